"""Asynchronous (unlayered) execution of a feed-forward SNN, event-driven and sparse (numpy).

Semantics follow the asynctorch simulator of Koopman et al. (2024, arXiv:2408.05098); the paper
calls the alternative *layer synchronization*. Time advances in **frames** of ``frame_dt`` ms
(one input frame each); inside a frame there is no physical time, only **forward steps**.

Frame ``t`` of one sample:

1. leak once: ``v <- beta * v`` with ``beta = exp(-frame_dt / tau_m)`` (LIF) or 1 (IF); clear
   the refractory flags (``refractory=True``: at most one spike per neuron per frame);
2. input: with ``prioritize_input`` every input event of the frame is delivered at once
   (``v_1 += W_1[:, i]`` for each active input ``i``, before the first forward step); otherwise
   the input events join the queue and compete with network spikes for emission slots;
3. forward steps ``s = 1, 2, ...`` while the queue is non-empty (at most ``max_steps``):
   the scheduler (``neurobench.sim.schedulers``) picks at most ``F`` pending spikes; each
   emitted spike of neuron ``j`` (layer ``l``) adds ``W_{l+1}[:, j]`` (mV) to the membrane of
   its targets (refractory targets ignore it); then only the neurons that received a non-zero
   net current in this step check ``v >= v_th`` (asynctorch's update mask). A neuron that
   crosses spikes at once: its spike count grows, it resets (to 0 mV or by subtracting ``v_th``), becomes refractory (if enabled) and, unless it is an
   output neuron, one spike joins its queue entry (a count: with ``refractory=False`` a neuron
   may hold several pending spikes; each emission slot carries one). Output neurons drive no
   synapse, so their spikes are final at once and never take an emission slot.

Cost: each forward step gathers the CSR rows (outgoing synapses, the transpose of
``Network.weight_matrix``) of the emitted spikes only, so work grows with the synaptic events
actually delivered, not with a dense layer pass per step. All samples of a batch advance in
lockstep of forward steps, vectorised together. This numpy code is the reference; by default
(``engine="auto"``) ``simulate_async`` runs the compiled kernel ``neurobench.sim.async_kernel``
instead when numba imports and the scheduler is a built-in one: one sample at a time, the same
floating-point operations in the same order, the same ``AsyncRecord`` bit for bit (tested).

Relations (tested): with ``F`` at least every layer's width (input included), random scheduling
and ``prioritize_input=False``, each forward step drains exactly one layer, so a frame equals one
step of the zero-delay layer-synchronized loop ``neurobench.sim.layersync`` (reset to zero;
bit-identical spike counts every frame). With large ``F`` every strategy gives the same result.
``neurobench.sim.async_torch`` runs the same semantics batched in torch; for the same seed both
paths emit the same spikes (floating point aside: identical unless a sum lands within one ulp
of a threshold).

Stopping modes (``stop``): ``"drain"`` runs every frame until no spike is pending;
``"first_output"`` halts a sample after the forward step of its first output spike;
``"after_output"`` halts it ``steps_after_output`` forward steps (counted across frames) later.
A halted sample receives no more input.

Module layout: configuration (``AsyncConfig``), the flattened network (``AsyncGraph``), the
result (``AsyncRecord``) and the event bookkeeping (``EventState``) live in
``neurobench.sim.events``, shared with ``async_torch`` and ``layersync``, and are re-exported
here. Decoding and latency metrics of an ``AsyncRecord`` are in ``neurobench.metrics``
(``predict``, ``spikes_per_neuron``, ``first_output_latency``, ``accuracy_vs_steps``).

Departures from asynctorch: refractory neurons keep their potential (asynctorch multiplies it by
zero, the same with reset to zero); output spikes take no emission slot; spikes still pending at
``max_steps`` are discarded (counted in ``AsyncRecord.dropped``); layers must be bias-free with
delta synapses and ``t_ref = 0`` (refractoriness is the per-frame flag).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from ..network import Network
from . import async_kernel
from .events import STOP_MODES, AsyncConfig, AsyncGraph, AsyncRecord, EventState, binary_frames, sample_ids
from .schedulers import SCHEDULERS, PendingSpikes, Scheduler, make_scheduler, select

__all__ = [
    "AsyncConfig",
    "AsyncGraph",
    "AsyncRecord",
    "ENGINES",
    "STOP_MODES",
    "kernel_engine",
    "simulate_async",
]

ENGINES = ("auto", "numba", "numpy")


def kernel_engine(engine: str, scheduler: Scheduler) -> bool:
    """Whether ``simulate_async`` runs the compiled kernel (``neurobench.sim.async_kernel``) for
    ``engine`` and ``scheduler``: ``"numpy"`` never; ``"numba"`` always (an error when numba does
    not import or the scheduler is not a built-in strategy); ``"auto"`` when both hold."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    builtin = type(scheduler) is SCHEDULERS.get(getattr(scheduler, "name", None))
    if engine == "numba":
        if not async_kernel.AVAILABLE:
            raise ValueError("engine='numba' needs numba, which does not import; use engine='numpy' or 'auto'")
        if not builtin:
            raise ValueError(f"engine='numba' compiles the built-in schedulers {tuple(SCHEDULERS)} only, "
                             f"got {scheduler!r}; use engine='numpy' or 'auto'")
    return engine != "numpy" and async_kernel.AVAILABLE and builtin


def _deliver(graph: AsyncGraph, st: EventState, emit: np.ndarray, refractory: bool) -> np.ndarray:
    """Add the emitted spikes' currents (mV) to their targets; return the (flat) targets whose
    net current is non-zero (each once).

    The currents of one step are summed per target by one sparse product (emitted spikes as a
    (batch, N) CSR matrix times the (N, N) outgoing-synapse matrix), so the work is the number
    of synaptic events delivered.
    """
    n, batch = graph.n_total, st.batch
    g = emit % n
    b = emit // n
    lengths = graph.indptr[g + 1] - graph.indptr[g]
    np.add.at(st.synops, (b, graph.layer_of[g]), lengths)
    if not lengths.any():
        return np.zeros(0, dtype=np.int64)
    spikes = sp.csr_matrix((np.ones(emit.size), (b, g)), shape=(batch, n))
    cur = spikes @ graph.outgoing  # exact zero sums are dropped: no current received
    tgt = np.repeat(np.arange(batch, dtype=np.int64) * n, np.diff(cur.indptr)) + cur.indices
    w = cur.data
    if refractory:
        free = ~st.ref[tgt]
        tgt, w = tgt[free], w[free]
    st.v[tgt] += w
    return tgt


def _fire(graph: AsyncGraph, st: EventState, tgt: np.ndarray, refractory: bool, step_global: np.ndarray,
          step: int) -> np.ndarray:
    """Threshold check (``v >= v_th``) and reset of the reached neurons ``tgt`` (flat ids);
    returns the new queue entries (flat ids)."""
    n = graph.n_total
    if tgt.size == 0:
        return tgt
    cand = tgt[st.v[tgt] >= graph.v_th[tgt % n]]
    if cand.size == 0:
        return cand
    g = cand % n
    th = graph.v_th[g]
    over = (st.v[cand] - th) / th
    st.v[cand] = np.where(graph.zero_reset[g], 0.0, st.v[cand] - th)
    return st.book(cand, over, cand if refractory else None, step_global, step)


def _start_frame(graph: AsyncGraph, st: EventState, x_frame: np.ndarray, beta: np.ndarray | None,
                 config: AsyncConfig) -> np.ndarray:
    """Phases 1-2 of a frame: leak (``beta`` per hidden/output neuron, None: no leak), clear the
    refractory flags, present the input events; returns the queue (flat ids)."""
    n, n_in = graph.n_total, graph.sizes[0]
    if beta is not None:
        st.v.reshape(st.batch, n)[:, n_in:] *= beta
    if config.refractory:
        st.ref[:] = False
    xb, xi = st.present_input(x_frame)
    inputs = xb * n + xi
    step_global = st.base.copy()
    if config.prioritize_input:
        tgt = _deliver(graph, st, inputs, config.refractory)
        queue = _fire(graph, st, tgt, config.refractory, step_global, 0)
    else:
        queue = st.enqueue_inputs(inputs)
    return st.halt(queue, config.halt_after, step_global)


def _forward_steps(graph: AsyncGraph, st: EventState, queue: np.ndarray, frame: int, config: AsyncConfig,
                   sched: Scheduler, ids: np.ndarray) -> None:
    """Phase 3 of a frame: forward steps until the queue is empty or ``max_steps`` is reached."""
    n = graph.n_total
    step = 0
    while queue.size:
        if step == config.max_steps:
            st.drop_pending(queue)
            break
        step += 1
        qb = queue // n
        g = queue % n
        pending = PendingSpikes(queue, ids[qb], g, graph.layer_of[g], st.enq[queue],
                                st.over[queue], frame, step, graph.n_layers)
        emit = queue[select(pending, sched, config.forward_group, qb)]
        st.pend[emit] -= 1
        st.steps[qb, frame] = step
        step_global = st.base + st.steps[:, frame]
        tgt = _deliver(graph, st, emit, config.refractory)
        queue = queue[st.pend[queue] > 0]
        fresh = _fire(graph, st, tgt, config.refractory, step_global, step)
        queue = st.halt(np.concatenate([queue, fresh]), config.halt_after, step_global)


def simulate_async(
    network: Network | AsyncGraph,
    input_frames: np.ndarray,
    config: AsyncConfig = AsyncConfig(),
    scheduler: Scheduler | str = "random",
    seed: int = 0,
    sample_offset: int | np.ndarray = 0,
    record_frames: bool = False,
    progress: bool = False,
    engine: str = "auto",
) -> AsyncRecord:
    """Run a batch through asynchronous execution, event-driven (see the module docstring).

    Parameters
    ----------
    network : Network or AsyncGraph
        Feed-forward, bias-free network with delta synapses (weights in mV).
    input_frames : array (batch, n_frames, *input_shape) of 0/1
        Input events per frame of ``config.frame_dt`` ms.
    config : AsyncConfig
    scheduler : Scheduler or name
        Strategy object, or a name of ``neurobench.sim.schedulers.SCHEDULERS`` built with ``seed``.
    seed : int
        Seed of a scheduler given by name.
    sample_offset : int or (batch,) int array
        Global index of the first sample, or of every sample (random streams are per global
        sample, so results do not depend on how a data set is split into batches).
    record_frames : bool
        Keep per-frame spike counts of every layer.
    progress : bool
        tqdm bar over frames (numpy) or sample chunks (numba).
    engine : "auto", "numba" or "numpy"
        ``"numpy"``: the vectorised reference below; ``"numba"``: the compiled event kernel
        ``neurobench.sim.async_kernel`` (bit-identical record, built-in schedulers only);
        ``"auto"`` (default): the kernel when numba imports and the scheduler is built in.
    """
    sched = make_scheduler(scheduler, seed)
    use_kernel = kernel_engine(engine, sched)
    graph = network if isinstance(network, AsyncGraph) else AsyncGraph.build(network, config.frame_dt)
    x = binary_frames(graph, input_frames)
    batch, n_frames, _ = x.shape
    ids = sample_ids(sample_offset, batch)
    if use_kernel:
        return async_kernel.run_kernel(graph, x, ids, config, sched.name, sched.seed, record_frames, progress)
    st = EventState(graph, batch, n_frames, record_frames)
    beta = np.repeat(graph.beta_layer, graph.sizes[1:])
    leak = beta if np.any(beta != 1.0) else None
    for frame in tqdm(range(n_frames), desc="async sim", disable=not progress, leave=False):
        if st.halted.all():
            break
        queue = _start_frame(graph, st, x[:, frame], leak, config)
        _forward_steps(graph, st, queue, frame, config, sched, ids)
        st.end_frame(frame)
    return st.record()
