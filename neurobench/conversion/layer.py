"""Per-layer synapse solver: every postsynaptic neuron of a layer through an executor.

The neurons of a layer are independent problems sharing the input matrix ``R`` (S calibration
rows, drives per unit weight in 1/ms); :func:`solve_layer` solves them with
:func:`neurobench.conversion.solve.solve_neuron`, in chunks, through a ``concurrent.futures``
executor (a spawn process pool by default), so the result does not depend on the executor.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from ..executor import ExecutorParams, Session, SubmitAdapter
from . import warm
from .constraints import Analog, Constraints
from .problem import OBJECTIVES, ConversionInfeasible, NeuronSolution
from .solve import solve_neuron

__all__ = ["LayerSolution", "NeuronOptions", "PoolOptions", "default_workers", "solve_layer"]


@dataclass
class LayerSolution:
    """All neurons of one layer.

    Attributes
    ----------
    weights : ndarray, shape (n_out, n_in)
        Row ``j`` is neuron ``j``'s input weights (NaN rows for recorded infeasible neurons).
    biases : ndarray, shape (n_out,)
    solutions : list of NeuronSolution
        Per neuron, in order.
    wall_seconds : float
        Wall time of :func:`solve_layer`.

    It also unpacks as ``weights, biases, solutions``.
    """

    weights: np.ndarray
    biases: np.ndarray
    solutions: list[NeuronSolution] = field(default_factory=list)
    wall_seconds: float = 0.0

    def __iter__(self):
        """Unpacks as ``weights, biases, solutions = solve_layer(...)``."""
        return iter((self.weights, self.biases, self.solutions))

    @property
    def statuses(self) -> list[str]:
        """Solver status of each neuron, in order."""
        return [s.status for s in self.solutions]

    @property
    def objectives(self) -> np.ndarray:
        """Objective value of each neuron (the chosen error norm of its drives in mV/ms), in order."""
        return np.array([s.objective for s in self.solutions])

    def summary(self) -> dict[str, Any]:
        """JSON-friendly totals: status counts, objective sum, solver and wall time."""
        counts: dict[str, int] = {}
        for s in self.statuses:
            counts[s] = counts.get(s, 0) + 1
        gaps = [s.mip_gap for s in self.solutions if s.mip_gap is not None]
        ok = [s for s in self.solutions if s.ok]
        return {
            "n_neurons": len(self.solutions), "status_counts": counts,
            "objective_sum": float(sum(s.objective for s in ok)),
            "solve_seconds": float(sum(s.solve_seconds for s in self.solutions)),
            "neuron_seconds": float(sum(s.total_seconds for s in self.solutions)),
            "wall_seconds": self.wall_seconds,
            "max_mip_gap": float(max(gaps)) if gaps else None,
            "max_rmse_active": float(max((s.residual.get("rmse_active", 0.0) for s in ok),
                                         default=0.0)),
        }


@dataclass(frozen=True)
class NeuronOptions:
    """Options of every neuron's problem in a layer (as the keywords of :func:`solve_neuron`).

    Attributes
    ----------
    bias : bool
        Free bias current ``beta`` (else ``beta = 0``).
    bias_bounds : (float, float)
        Bounds of ``beta``.
    silent_mode : "hinge" or "hard"
        Silent samples are penalised above ``i_th`` or held at or below it.
    input_types : ndarray of int, optional
        Hybrid "grouped" synapse type per input.
    on_infeasible : "raise" or "record"
        Raise the first :class:`ConversionInfeasible` (naming layer and neuron), or record the
        neuron with status "infeasible" and NaN weights.
    """

    bias: bool = True
    bias_bounds: tuple[float, float] = (-math.inf, math.inf)
    silent_mode: str = "hinge"
    input_types: np.ndarray | None = None
    on_infeasible: str = "raise"

    def solve_kwargs(self) -> dict[str, Any]:
        """The keywords passed to :func:`solve_neuron`."""
        return dict(bias=self.bias, bias_bounds=tuple(self.bias_bounds), silent_mode=self.silent_mode,
                    input_types=self.input_types)


@dataclass(frozen=True)
class PoolOptions:
    """How :func:`solve_layer` cuts a layer into tasks.

    ``max_workers``: the workers the chunks are sized for (default: the executor's ``workers``,
    or the usable cores for an object with ``submit``); ``chunk_size``: neurons per task (R is
    sent once per task; default 1 in serial, else about four tasks per worker; ignored when the
    constraints' ``lp_solver`` is "highspy": their ``warm_chunk`` fixes the chunks). Where the
    tasks run is the ``executor`` argument (``neurobench.executor``).
    """

    max_workers: int | None = None
    chunk_size: int | None = None


@dataclass(frozen=True)
class _LayerTask:
    """What every chunk of a layer shares (sent to the workers)."""

    objective: str
    constraints: Constraints | None
    options: NeuronOptions
    layer: int | None


def _solve_chunk(R, Z, silent, i_th, max_error, neuron_ids, task: _LayerTask) -> list[NeuronSolution]:
    """Worker: the neurons ``neuron_ids`` (columns of Z/silent) sharing the input matrix R."""
    with warm.chunk():
        return _solve_in_chunk(R, Z, silent, i_th, max_error, neuron_ids, task)


def _solve_in_chunk(R, Z, silent, i_th, max_error, neuron_ids, task: _LayerTask) -> list[NeuronSolution]:
    """The neurons of one chunk, in order (the warm-started LPs share one model)."""
    out = []
    for col, j in enumerate(neuron_ids):
        me = None if max_error is None else (max_error if np.ndim(max_error) == 0
                                             else max_error[:, col])
        try:
            sol = solve_neuron(R, Z[:, col], silent[:, col], float(i_th[col]),
                               objective=task.objective, constraints=task.constraints,
                               max_error=me, layer=task.layer, neuron=int(j), **task.options.solve_kwargs())
        except ConversionInfeasible as e:
            if task.options.on_infeasible == "raise":
                raise
            sol = NeuronSolution(weights=np.full(R.shape[1], np.nan), bias=float("nan"),
                                 status="infeasible", objective=float("nan"),
                                 objective_name=task.objective, message=str(e))
        out.append(sol)
    return out


class _Serial:
    """In-process stand-in for an executor (results computed at submit time)."""

    class _Done:
        def __init__(self, fn, args):
            self._value, self._exc = None, None
            try:
                self._value = fn(*args)
            except BaseException as e:  # re-raised by result(), like a Future
                self._exc = e

        def result(self):
            if self._exc is not None:
                raise self._exc
            return self._value

    def submit(self, fn, *args):
        return self._Done(fn, args)


def default_workers() -> int:
    """Worker processes for the default pool: the usable CPU cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _layer_arrays(R, Z, silent, i_th, max_error):
    """Checked float64/bool arrays of a layer: ``R`` (S, n_in), ``Z`` and ``silent`` (S, n_out),
    ``i_th`` (n_out,), ``max_error`` (None, a scalar or (S, n_out))."""
    R = np.ascontiguousarray(R, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    silent = np.asarray(silent, dtype=bool)
    if R.ndim != 2:
        raise ValueError(f"R must be 2-D (samples, inputs), got shape {R.shape}")
    S = R.shape[0]
    if Z.ndim != 2 or Z.shape[0] != S:
        raise ValueError(f"Z must have shape ({S}, n_out), got {Z.shape}")
    if silent.shape != Z.shape:
        raise ValueError(f"silent must have the shape of Z {Z.shape}, got {silent.shape}")
    i_th_arr = np.broadcast_to(np.asarray(i_th, dtype=np.float64), (Z.shape[1],))
    if max_error is not None and np.ndim(max_error) != 0:
        max_error = np.asarray(max_error, dtype=np.float64)
        if max_error.shape != Z.shape:
            raise ValueError(f"max_error must be a scalar or have the shape of Z {Z.shape}, "
                             f"got {max_error.shape}")
    return R, Z, silent, i_th_arr, max_error


def _open_executor(executor: Any, pool: PoolOptions, n_out: int):
    """``(submitter, workers, owned)``: ``owned`` is the session opened here, to close after the
    layer (None when the caller owns it)."""
    if executor is None or (isinstance(executor, ExecutorParams) and executor.kind == "local"):
        return _Serial(), 1, None
    if isinstance(executor, ExecutorParams):
        session = Session(executor)
        return SubmitAdapter(session), max(1, min(pool.max_workers or executor.workers, n_out)), session
    if isinstance(executor, Session):
        workers = 1 if executor.params.kind == "local" else executor.params.workers
        return SubmitAdapter(executor), max(1, min(pool.max_workers or workers, n_out)), None
    if hasattr(executor, "submit"):
        return executor, max(1, pool.max_workers or default_workers()), None
    raise ValueError(f"executor = {executor!r} is not allowed: None (this process), an ExecutorParams, an open "
                     "Session of neurobench.executor, or an object with submit()")


def warm_chunk_size(constraints: Constraints | None) -> int | None:
    """Neurons per chunk fixed by the warm-started LP path (``lp_solver="highspy"``), else None."""
    c = Analog(w_min=-math.inf, w_max=math.inf) if constraints is None else constraints
    return c.warm_chunk if c.lp_solver == "highspy" else None


def _chunks(n_out: int, chunk_size: int | None, workers: int,
            fixed: int | None = None) -> list[np.ndarray]:
    """Neuron indices per task: ``fixed`` each when the warm start fixes them (the weights then
    do not depend on the workers), else ``chunk_size`` (default 1 in serial, else about four
    tasks per worker)."""
    if fixed is not None:
        chunk_size = fixed
    elif chunk_size is None:
        chunk_size = 1 if workers == 1 else max(1, math.ceil(n_out / (4 * workers)))
    return [np.arange(a, min(a + chunk_size, n_out)) for a in range(0, n_out, chunk_size)]


def _run_chunks(ex, chunks, R, Z, silent, i_th, max_error, task: _LayerTask, progress: bool) -> list[NeuronSolution]:
    """Submit every chunk to ``ex`` and collect the solutions in neuron order."""
    solutions: list[NeuronSolution] = []
    futures = []
    for ids in chunks:
        me = max_error if (max_error is None or np.ndim(max_error) == 0) else max_error[:, ids]
        futures.append(ex.submit(_solve_chunk, R, Z[:, ids], silent[:, ids], i_th[ids], me, ids, task))
    with tqdm(total=Z.shape[1], disable=not progress,
              desc="solve" if task.layer is None else f"layer {task.layer}") as bar:
        for ids, fut in zip(chunks, futures):
            solutions.extend(fut.result())
            bar.update(len(ids))
    return solutions


def solve_layer(R: np.ndarray, Z: np.ndarray, silent: np.ndarray, i_th=0.0,
                objective: str = "l1", constraints: Constraints | None = None,
                executor: Any = None, *, options: NeuronOptions = NeuronOptions(),
                parallel: PoolOptions = PoolOptions(), max_error=None, layer: int | None = None,
                progress: bool = True) -> LayerSolution:
    """Solve every neuron of a layer (independent problems sharing ``R``).

    Parameters
    ----------
    R : ndarray, shape (S, n_in)
        Presynaptic drive per unit weight.
    Z : ndarray, shape (S, n_out)
        Target currents, one column per neuron.
    silent : ndarray of bool, shape (S, n_out)
        Silent samples per neuron.
    i_th : float or ndarray of shape (n_out,)
        Onset current(s).
    objective, constraints
        As for :func:`solve_neuron`, the same for every neuron (pass a per-layer
        ``Digital.scale`` so that the layer shares one grid).
    executor : None, ExecutorParams, Session, or an object with ``submit``
        None (default): in this process; ``neurobench.executor.ExecutorParams``: a session of
        that kind opened for the layer and closed afterwards (a process pool, a Dask cluster);
        an open ``Session``: used as is (one map per layer); any object with
        ``submit(fn, *args)`` returning futures with ``result()`` (a
        ``concurrent.futures.Executor``, a Dask client's ``get_executor()``) is used as is.
    options : NeuronOptions
        Bias, silent samples, hybrid input types and what to do with an infeasible neuron.
    parallel : PoolOptions
        Workers the chunks are sized for, and neurons per task.
    max_error : None, float, or ndarray of shape (S, n_out)
        Hard error band.
    layer : int, optional
        Named in error messages and the progress bar.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    LayerSolution
        ``weights`` (n_out, n_in), ``biases`` (n_out,), per-neuron ``solutions``.
    """
    t0 = time.perf_counter()
    R, Z, silent, i_th_arr, max_error = _layer_arrays(R, Z, silent, i_th, max_error)
    if options.on_infeasible not in ("raise", "record"):
        raise ValueError(f"on_infeasible = {options.on_infeasible!r}: must be 'raise' or 'record'")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective = {objective!r} is not allowed: must be one of "
                         f"{list(OBJECTIVES)}")
    task = _LayerTask(objective, constraints, options, layer)
    ex, workers, owned = _open_executor(executor, parallel, Z.shape[1])
    try:
        chunks = _chunks(Z.shape[1], parallel.chunk_size, workers, warm_chunk_size(constraints))
        solutions = _run_chunks(ex, chunks, R, Z, silent,
                                i_th_arr, max_error, task, progress)
    finally:
        if owned is not None:
            owned.close()
    W = np.vstack([s.weights for s in solutions]) if solutions else np.zeros((0, R.shape[1]))
    b = np.array([s.bias for s in solutions], dtype=np.float64)
    return LayerSolution(weights=W, biases=b, solutions=solutions,
                         wall_seconds=time.perf_counter() - t0)
