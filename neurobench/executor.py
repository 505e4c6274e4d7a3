"""Where the independent tasks of a stage run: in this process, a local process pool, or Dask.

A stage fans out wherever it has many independent units of work (the per-neuron solves of a
conversion, per-seed training runs, per-network verification, per-workload mapping, the points
of a sweep). :func:`map_tasks` maps one task function over a list of task arguments and returns
the results **in task order**, wherever they ran; :func:`open_executor` keeps one executor (and
the Dask cluster it started) open across several maps, e.g. one map per layer of a conversion.

``ExecutorParams.kind``:

* ``"local"``: serially, in this process (the reference);
* ``"process"``: a ``concurrent.futures.ProcessPoolExecutor`` of ``workers`` processes started
  by ``spawn`` (or ``forkserver``: never ``fork``, which copies the solver and torch threads of
  this process);
* ``"dask"``: ``distributed.Client(address)`` when ``address`` names a running scheduler
  (``dask scheduler`` + ``dask worker`` on other machines, or dask-jobqueue on SLURM), else a
  ``distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True)`` that is
  closed afterwards. A worker lost mid-run (killed, out of memory, pre-empted) has its tasks
  rescheduled on the others, and a task that raises is re-run, each up to ``retries`` times
  (worker losses count against the scheduler's ``distributed.scheduler.allowed-failures``,
  which a LocalCluster started here sets to ``retries``; a remote scheduler keeps its own). An address where no scheduler answers fails
  within ``connect_timeout_s`` with one ``ConnectionError`` naming the address.

The purity contract (what makes every kind give bit-identical results)
------------------------------------------------------------------------
A task function must be

1. **importable**: a module-level function of an importable module (workers unpickle it by
   name; no lambdas or closures, no functions defined in a notebook);
2. **pure**: its result depends on its arguments only -- parameters in, arrays out; no global
   state read or written, no files written outside its own return value, no wall-clock time
   or process id in the result;
3. **seeded by its identity**: every random stream it uses is derived from a seed among its
   arguments (``neurobench.seeds.child_seed(root, index)`` with the task's index, never a
   per-worker or per-call counter), so the task computes the same numbers in any process, in
   any order, and again when it is retried;
4. **thread-explicit**: numerical libraries run with a fixed number of threads (torch through
   ``neurobench.ann.train.deterministic_torch``); Dask's workers get ``OMP_NUM_THREADS=1`` from
   Dask's nanny, the pool's processes from :func:`one_thread_worker`. One thread per worker is
   also what keeps a pool fast: with ``workers`` processes on as many cores, torch's default of a
   thread per core oversubscribes them, and small tensor operations suffer most (the test-set
   evaluation of the src stage's 64-100-10 LIF network took 2.2 s on 2 threads while two other
   processes kept both cores busy, 0.035 s on one; ``docs/performance.md``).

Timings are the one part of a result allowed to differ between runs; compare the rest.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterator, Literal, Sequence, TypeVar

from pydantic import Field, model_validator

from .progress import track
from .schema import Params

__all__ = ["ExecutorParams", "Session", "SubmitAdapter", "WORKER_THREAD_VARIABLES", "map_tasks", "one_thread_environment",
           "one_thread_worker", "open_executor", "session_of"]

R = TypeVar("R")


class ExecutorParams(Params):
    """Where a stage's independent tasks run (module docstring)."""

    kind: Literal["local", "process", "dask"] = Field(
        "local", description="local: serial in this process; process: a local process pool; "
                             "dask: a Dask cluster (address) or a LocalCluster")
    address: str | None = Field(
        None, min_length=1,
        description="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (kind dask only; None: "
                    "start a LocalCluster)")
    workers: int = Field(2, ge=1, le=4096, description="worker processes of the process pool or LocalCluster")
    connect_timeout_s: float = Field(
        5.0, gt=0, le=60, description="seconds to wait for the Dask scheduler at address before failing")
    retries: int = Field(2, ge=0, le=100, description="re-runs of a Dask task that raised or whose worker died")
    start_method: Literal["spawn", "forkserver"] = Field(
        "spawn", description="how the process pool starts its processes (kind process)")

    @model_validator(mode="after")
    def _address_needs_dask(self) -> "ExecutorParams":
        if self.address is not None and self.kind != "dask":
            raise ValueError(f"address = {self.address!r} is only allowed with kind = 'dask', "
                             f"got kind = {self.kind!r}")
        return self


WORKER_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Environment variables that set the thread count of OpenMP (torch), MKL and OpenBLAS (numpy)."""


def one_thread_worker() -> None:
    """Initializer of the process pool's workers: every numerical library on one thread.

    Sets ``WORKER_THREAD_VARIABLES`` to 1 before the worker imports numpy or torch (importing
    this module imports neither), and limits any already loaded (torch through
    ``torch.set_num_threads``, BLAS and OpenMP through threadpoolctl)."""
    import os
    import sys

    for name in WORKER_THREAD_VARIABLES:
        os.environ[name] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)


@contextlib.contextmanager
def one_thread_environment() -> Iterator[None]:
    """``WORKER_THREAD_VARIABLES`` set to 1 in ``os.environ`` for the block, so that every
    process started inside it (a stage's notebook kernel, and the pool workers it starts) runs
    its numerical libraries on one thread; the previous values are restored after."""
    import os

    previous = {name: os.environ.get(name) for name in WORKER_THREAD_VARIABLES}
    os.environ.update({name: "1" for name in WORKER_THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Session:
    """An open executor: :meth:`map` as often as needed, then :meth:`close` (or use
    :func:`open_executor`, which closes it)."""

    def __init__(self, params: ExecutorParams) -> None:
        self.params = params
        self._pool: ProcessPoolExecutor | None = None
        self._client = None
        self._cluster = None
        if params.kind == "process":
            context = multiprocessing.get_context(params.start_method)
            self._pool = ProcessPoolExecutor(max_workers=params.workers, mp_context=context,
                                             initializer=one_thread_worker)
        elif params.kind == "dask":
            self._client, self._cluster = _dask_client(params)

    @property
    def client(self):
        """The ``distributed.Client`` of a Dask session (None for the other kinds)."""
        return self._client

    def map(self, fn: Callable[..., R], tasks: Sequence[Any], desc: str = "tasks") -> list[R]:
        """``[fn(task) for task in tasks]``, computed where the session runs tasks, in task order.

        ``fn`` follows the purity contract (module docstring); each task is one argument
        (pack several into a tuple or a small dataclass). Progress is reported per finished
        task through ``neurobench.progress.track`` as ``desc``. The first task that raises
        (after Dask's retries) raises here.
        """
        tasks = list(tasks)
        if not tasks:
            return []
        if self._pool is not None:
            futures = [self._pool.submit(fn, task) for task in tasks]
            for _ in track(as_completed(futures), desc, total=len(futures)):
                pass
            return [future.result() for future in futures]
        if self._client is not None:
            from distributed import as_completed as dask_completed

            token = uuid.uuid4().hex[:8]
            name = getattr(fn, "__name__", "task")
            keys = [f"{name}-{token}-{i}" for i in range(len(tasks))]
            futures = self._client.map(fn, tasks, key=keys, pure=False, retries=self.params.retries)
            try:
                for _ in track(dask_completed(futures, loop=self._client.loop), desc, total=len(futures)):
                    pass
                return self._client.gather(futures)
            finally:
                self._client.cancel(futures)
        return [fn(task) for task in track(tasks, desc)]

    def close(self) -> None:
        """Shut down the process pool, or disconnect from Dask and close a cluster started here."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def _dask_client(params: ExecutorParams):
    """``(client, cluster)``: connected to ``params.address``, or to a LocalCluster started here
    (``cluster`` is None when connecting to an address)."""
    from distributed import Client, LocalCluster

    if params.address is not None:
        try:
            return Client(params.address, timeout=params.connect_timeout_s, set_as_default=False), None
        except (OSError, TimeoutError) as e:
            raise ConnectionError(
                f"executor address = {params.address!r}: no Dask scheduler answered within "
                f"{params.connect_timeout_s:g} s ({e}); start one there (`dask scheduler`) or set "
                "executor.address to null for a LocalCluster") from None
    import dask

    # the scheduler runs in this process: a task whose workers died more than ``retries`` times
    # fails with KilledWorker instead of being rescheduled once more
    with dask.config.set({"distributed.scheduler.allowed-failures": params.retries}):
        cluster = LocalCluster(n_workers=params.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    try:
        return Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


@contextlib.contextmanager
def open_executor(params: ExecutorParams) -> Iterator[Session]:
    """A :class:`Session` for ``params``, closed (with any cluster it started) on exit."""
    session = Session(params)
    try:
        yield session
    finally:
        session.close()


@contextlib.contextmanager
def session_of(executor: "ExecutorParams | Session") -> Iterator[Session]:
    """``executor`` itself when it is an open :class:`Session` (left open: its owner closes
    it), else a new session for the ``ExecutorParams``, closed on exit. Lets a caller run several
    fan-outs on one cluster."""
    if isinstance(executor, Session):
        yield executor
    elif isinstance(executor, ExecutorParams):
        with open_executor(executor) as session:
            yield session
    else:
        raise TypeError(f"executor = {executor!r} is not allowed: must be ExecutorParams or an open Session")


def map_tasks(fn: Callable[..., R], tasks: Sequence[Any],
              executor: "ExecutorParams | Session" = ExecutorParams(), desc: str = "tasks") -> list[R]:
    """``[fn(task) for task in tasks]`` run as ``executor`` says (settings, or an open session),
    in task order."""
    with session_of(executor) as session:
        return session.map(fn, tasks, desc)


def _call(packed: tuple[Callable[..., Any], tuple]) -> Any:
    """Task function of a submitted call: ``fn(*args)`` (module level, so workers import it)."""
    fn, args = packed
    return fn(*args)


class _Deferred:
    """The future of a submission: its result is computed when any pending result is asked for."""

    _UNSET = object()

    def __init__(self, owner: "SubmitAdapter") -> None:
        self._owner = owner
        self._value: Any = self._UNSET

    def result(self) -> Any:
        if self._value is self._UNSET:
            self._owner.flush()
        return self._value


class SubmitAdapter:
    """A ``concurrent.futures``-style ``submit`` over a :class:`Session` (what
    ``neurobench.conversion.Converter`` hands to the per-layer neuron solves).

    Submissions are held until the first ``result()`` of any of them; then every pending
    submission is mapped through the session at once (progress as ``desc``) and each future gets
    its result. ``solve_layer`` submits a whole layer before it collects, so each layer is one
    map. A task that fails raises at that first ``result()``.
    """

    def __init__(self, session: Session, desc: str = "conversion: neuron chunks") -> None:
        self.session, self.desc = session, desc
        self._pending: list[tuple[Callable[..., Any], tuple, _Deferred]] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Deferred:
        future = _Deferred(self)
        self._pending.append((fn, args, future))
        return future

    def flush(self) -> None:
        """Run every pending submission through the session."""
        batch, self._pending = self._pending, []
        results = self.session.map(_call, [(fn, args) for fn, args, _ in batch], self.desc)
        for (_, _, future), value in zip(batch, results):
            future._value = value
