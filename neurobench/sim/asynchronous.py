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
lockstep of forward steps, vectorised together.

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

Departures from asynctorch: refractory neurons keep their potential (asynctorch multiplies it by
zero, the same with reset to zero); output spikes take no emission slot; spikes still pending at
``max_steps`` are discarded (counted in ``AsyncRecord.dropped``); layers must be bias-free with
delta synapses and ``t_ref = 0`` (refractoriness is the per-frame flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from ..metrics import predict_from_counts
from ..network import Network
from .clock import validate_input
from .schedulers import PendingSpikes, Scheduler, make_scheduler, select

__all__ = [
    "AsyncConfig",
    "AsyncGraph",
    "AsyncRecord",
    "STOP_MODES",
    "accuracy_vs_steps",
    "decision_latency",
    "decisions",
    "simulate_async",
    "spike_density",
]

StopMode = Literal["drain", "first_output", "after_output"]
STOP_MODES = ("drain", "first_output", "after_output")


@dataclass(frozen=True)
class AsyncConfig:
    """Parameters of asynchronous execution (validated on construction).

    Parameters
    ----------
    forward_group : int
        ``F``, the most spikes one forward step emits per sample, >= 1.
    prioritize_input : bool
        Deliver a frame's input events all at once (True) or queue them with network spikes.
    refractory : bool
        At most one spike per neuron per frame.
    frame_dt : float
        Physical length of a frame in ms, > 0 (sets the leak ``exp(-frame_dt / tau_m)``).
    stop : "drain", "first_output" or "after_output"
        Stopping mode (see the module docstring).
    steps_after_output : int
        Extra forward steps after the first output spike for ``stop="after_output"``, >= 0.
    max_steps : int
        Cap on forward steps per frame, >= 1; spikes still pending there are dropped.
    """

    forward_group: int = 8
    prioritize_input: bool = True
    refractory: bool = True
    frame_dt: float = 1.0
    stop: StopMode = "drain"
    steps_after_output: int = 0
    max_steps: int = 100_000

    def __post_init__(self) -> None:
        if not (isinstance(self.forward_group, (int, np.integer)) and self.forward_group >= 1):
            raise ValueError(f"forward_group (F) must be an integer >= 1, got {self.forward_group!r}")
        if not (self.frame_dt > 0 and np.isfinite(self.frame_dt)):
            raise ValueError(f"frame_dt must be a finite value > 0 ms, got {self.frame_dt}")
        if self.stop not in STOP_MODES:
            raise ValueError(f"stop must be one of {STOP_MODES}, got {self.stop!r}")
        if not (isinstance(self.steps_after_output, (int, np.integer)) and self.steps_after_output >= 0):
            raise ValueError(f"steps_after_output must be an integer >= 0, got {self.steps_after_output!r}")
        if not (isinstance(self.max_steps, (int, np.integer)) and self.max_steps >= 1):
            raise ValueError(f"max_steps must be an integer >= 1, got {self.max_steps!r}")

    @property
    def halt_after(self) -> int | None:
        """Forward steps after the first output spike at which a sample halts (None: never)."""
        if self.stop == "drain":
            return None
        return 0 if self.stop == "first_output" else int(self.steps_after_output)


@dataclass(frozen=True, eq=False)
class AsyncGraph:
    """A network flattened for asynchronous execution: global neuron ids and outgoing CSR rows.

    Global ids: inputs ``0..n_in-1``, then layer 1, layer 2, ... (``offsets[l]`` is the first id
    of population ``l``, 0 = input). Row ``g`` of ``(indptr, indices, weights)`` lists the
    targets (global ids) and weights (mV) of neuron ``g``; output neurons have empty rows.
    """

    network: Network
    sizes: tuple[int, ...]
    offsets: np.ndarray
    n_total: int
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    layer_of: np.ndarray  # (n_total,) population of each id
    v_th: np.ndarray  # (n_total,) mV, inf for inputs
    zero_reset: np.ndarray  # (n_total,) bool
    beta_layer: np.ndarray  # (n_layers,) per-frame leak factor

    @classmethod
    def build(cls, network: Network, frame_dt: float) -> "AsyncGraph":
        """Flatten ``network``; checks that it is bias-free with delta synapses and ``t_ref = 0``."""
        n_layers = len(network.layers)
        for i, p in enumerate(network.neurons):
            if p.tau_syn != 0:
                raise ValueError(f"layer {i}: asynchronous execution needs delta synapses (tau_syn = 0), got {p.tau_syn} ms")
            if p.t_ref != 0:
                raise ValueError(f"layer {i}: asynchronous execution needs t_ref = 0 (use refractory=True), got {p.t_ref} ms")
            if np.any(network.bias(i) != 0):
                raise ValueError(f"layer {i}: asynchronous execution supports bias-free layers only")
        sizes = tuple(int(s) for s in network.sizes)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        n_total = int(offsets[-1])
        row_len = np.zeros(n_total, dtype=np.int64)
        cols, vals = [], []
        for i in range(n_layers):
            wt = network.weight_matrix(i).T.tocsr()  # (n_in, n_out): outgoing rows
            wt.sort_indices()
            row_len[offsets[i] : offsets[i + 1]] = np.diff(wt.indptr)
            cols.append(wt.indices.astype(np.int64) + offsets[i + 1])
            vals.append(wt.data.astype(np.float64))
        indptr = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int64)
        layer_of = np.repeat(np.arange(n_layers + 1), sizes).astype(np.int64)
        v_th = np.concatenate([[np.inf] * sizes[0]] + [[p.v_th] * sizes[i + 1] for i, p in enumerate(network.neurons)])
        zero = np.concatenate([[False] * sizes[0]] + [[p.reset == "zero"] * sizes[i + 1] for i, p in enumerate(network.neurons)])
        beta = np.array([np.exp(-frame_dt / p.tau_m) if p.leaky else 1.0 for p in network.neurons])
        return cls(network, sizes, offsets, n_total, indptr, np.concatenate(cols), np.concatenate(vals),
                   layer_of, v_th.astype(np.float64), zero.astype(bool), beta)

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1

    @cached_property
    def outgoing(self) -> sp.csr_matrix:
        """All synapses as one (N, N) CSR matrix, row = presynaptic global id."""
        return sp.csr_matrix((self.weights, self.indices, self.indptr), shape=(self.n_total, self.n_total))

    @property
    def output_offset(self) -> int:
        return int(self.offsets[-2])


@dataclass
class AsyncRecord:
    """What an asynchronous run returns (per sample of the batch).

    Attributes
    ----------
    spike_count : list of (batch, n_l) int64
        Spikes of every neuron of every layer over the run.
    synops : (batch, n_layers) int64
        Synaptic events delivered into each layer (one per emitted spike and synapse).
    input_events : (batch,) int64
        Input events presented (frames not reached after a halt are not counted).
    forward_steps : (batch, n_frames) int64
        Forward steps of each frame (0 for frames not run).
    first_output_step : (batch, n_out) int64
        Global forward step (counted over all frames, 1-based; the input injection of a frame
        counts as the previous step) of each output neuron's first spike, -1 if none.
    spikes_at_first_output : (batch, n_out) int64
        Network spikes (all layers) fired up to and including that forward step, -1 if none.
    output_events : (sample, neuron, step) int64 arrays
        Every output spike with its global forward step.
    frame_counts : list of (batch, n_frames, n_l) int64 or None
        Per-frame spike counts when recorded.
    dropped : (batch,) int64
        Pending spikes discarded at the ``max_steps`` cap.
    halted : (batch,) bool
        Samples stopped by the stopping mode.
    """

    spike_count: list[np.ndarray]
    synops: np.ndarray
    input_events: np.ndarray
    forward_steps: np.ndarray
    first_output_step: np.ndarray
    spikes_at_first_output: np.ndarray
    output_events: tuple[np.ndarray, np.ndarray, np.ndarray]
    frame_counts: list[np.ndarray] | None
    dropped: np.ndarray
    halted: np.ndarray

    @property
    def output_count(self) -> np.ndarray:
        return self.spike_count[-1]

    def spikes_per_sample(self) -> np.ndarray:
        """Network spikes (all layers, input excluded) per sample, shape (batch,)."""
        return sum(c.sum(axis=1) for c in self.spike_count)

    @property
    def n_neurons(self) -> int:
        return int(sum(c.shape[1] for c in self.spike_count))


def sample_ids(sample_offset: int | np.ndarray, batch: int) -> np.ndarray:
    """Global sample ids (batch,) int64 from an offset or an explicit array."""
    if np.ndim(sample_offset) == 0:
        return np.arange(batch, dtype=np.int64) + int(sample_offset)
    ids = np.asarray(sample_offset, dtype=np.int64)
    if ids.shape != (batch,) or np.any(ids < 0):
        raise ValueError(f"sample_offset must be an int or {batch} ids >= 0, got shape {ids.shape}")
    return ids


def _check_inputs(graph: AsyncGraph, input_frames) -> np.ndarray:
    x = validate_input(graph.network, input_frames, 1.0)
    return x > 0


class _EventState:
    """Flat per-(sample, neuron) state of the event-driven path (internal)."""

    def __init__(self, graph: AsyncGraph, batch: int, n_frames: int, record_frames: bool):
        n = graph.n_total
        self.v = np.zeros(batch * n)
        self.ref = np.zeros(batch * n, dtype=bool)
        self.pend = np.zeros(batch * n, dtype=np.int64)
        self.enq = np.zeros(batch * n, dtype=np.int64)
        self.over = np.full(batch * n, np.inf)
        self.count = np.zeros(batch * n, dtype=np.int64)
        self.total = np.zeros(batch, dtype=np.int64)
        n_out = graph.sizes[-1]
        self.first = np.full((batch, n_out), -1, dtype=np.int64)
        self.first_spikes = np.full((batch, n_out), -1, dtype=np.int64)
        self.synops = np.zeros((batch, graph.n_layers), dtype=np.int64)
        self.steps = np.zeros((batch, n_frames), dtype=np.int64)
        self.base = np.zeros(batch, dtype=np.int64)
        self.halted = np.zeros(batch, dtype=bool)
        self.dropped = np.zeros(batch, dtype=np.int64)
        self.events: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.frame_counts = np.zeros((batch, n_frames, n - graph.sizes[0]), dtype=np.int64) if record_frames else None


def _deliver(graph: AsyncGraph, st: _EventState, emit: np.ndarray, refractory: bool, batch: int) -> np.ndarray:
    """Add the emitted spikes' currents to their targets; return the (flat) targets whose net
    current is non-zero (each once).

    The currents of one step are summed per target by one sparse product (emitted spikes as a
    (batch, N) CSR matrix times the (N, N) outgoing-synapse matrix), so the work is the number
    of synaptic events delivered.
    """
    n = graph.n_total
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


def _fire(graph: AsyncGraph, st: _EventState, tgt: np.ndarray, refractory: bool, step_global: np.ndarray,
          step: int, batch: int) -> np.ndarray:
    """Threshold check and reset of the reached neurons; returns the new queue entries (flat ids)."""
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
    return _book(graph, st, cand, over, cand if refractory else None, step_global, step, batch)


def _book(graph: AsyncGraph, st: _EventState, cand: np.ndarray, over: np.ndarray, ref_set: np.ndarray | None,
          step_global: np.ndarray, step: int, batch: int) -> np.ndarray:
    """Bookkeeping of new spikes (sorted unique flat ids ``cand``): counts, refractory flags
    (``ref_set``), first output spikes, queue entries. Shared by both execution paths."""
    n = graph.n_total
    g = cand % n
    b = cand // n
    st.over[cand] = over
    st.count[cand] += 1
    if ref_set is not None:
        st.ref[ref_set] = True
    st.total += np.bincount(b, minlength=batch)
    out = g >= graph.output_offset
    if out.any():
        bo, no = b[out], g[out] - graph.output_offset
        so = step_global[bo]
        st.events.append((bo, no, so))
        new = st.first[bo, no] < 0
        st.first[bo[new], no[new]] = so[new]
        st.first_spikes[bo[new], no[new]] = st.total[bo[new]]
    hidden = cand[~out]
    fresh = hidden[st.pend[hidden] == 0]
    st.enq[fresh] = step
    st.pend[hidden] += 1
    return fresh


def simulate_async(
    network: Network | AsyncGraph,
    input_frames: np.ndarray,
    config: AsyncConfig = AsyncConfig(),
    scheduler: Scheduler | str = "random",
    seed: int = 0,
    sample_offset: int | np.ndarray = 0,
    record_frames: bool = False,
    progress: bool = False,
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
        tqdm bar over frames.
    """
    graph = network if isinstance(network, AsyncGraph) else AsyncGraph.build(network, config.frame_dt)
    sched = make_scheduler(scheduler, seed)
    x = _check_inputs(graph, input_frames)
    batch, n_frames, n_in = x.shape
    n = graph.n_total
    st = _EventState(graph, batch, n_frames, record_frames)
    ids = sample_ids(sample_offset, batch)
    beta = np.repeat(graph.beta_layer, graph.sizes[1:])
    leaky = bool(np.any(beta != 1.0))
    halt_after = config.halt_after
    n_queues = graph.n_layers  # input + hidden layers
    v2 = st.v.reshape(batch, n)
    input_events = np.zeros(batch, dtype=np.int64)
    prev_counts = None
    for frame in tqdm(range(n_frames), desc="async sim", disable=not progress, leave=False):
        live = ~st.halted
        if not live.any():
            break
        if leaky:
            v2[:, n_in:] *= beta
        if config.refractory:
            st.ref[:] = False
        xb, xi = np.nonzero(x[:, frame] & live[:, None])
        input_events += np.bincount(xb, minlength=batch)
        inputs = xb * n + xi
        step_global = st.base.copy()
        if config.prioritize_input:
            tgt = _deliver(graph, st, inputs, config.refractory, batch)
            queue = _fire(graph, st, tgt, config.refractory, step_global, 0, batch)
        else:
            st.pend[inputs] = 1
            st.enq[inputs] = 0
            queue = inputs
        queue = _halt(st, graph, queue, halt_after, step_global)
        step = 0
        while queue.size:
            if step == config.max_steps:
                np.add.at(st.dropped, queue // n, st.pend[queue])
                st.pend[queue] = 0
                break
            step += 1
            qb = queue // n
            g = queue % n
            pending = PendingSpikes(queue, ids[qb], g, graph.layer_of[g], st.enq[queue],
                                    st.over[queue], frame, step, n_queues)
            emit = queue[select(pending, sched, config.forward_group, qb)]
            st.pend[emit] -= 1
            st.steps[qb, frame] = step
            step_global = st.base + st.steps[:, frame]
            tgt = _deliver(graph, st, emit, config.refractory, batch)
            queue = queue[st.pend[queue] > 0]
            fresh = _fire(graph, st, tgt, config.refractory, step_global, step, batch)
            queue = _halt(st, graph, np.concatenate([queue, fresh]), halt_after, step_global)
        st.base += st.steps[:, frame]
        if record_frames:
            counts = st.count.reshape(batch, n)[:, n_in:]
            st.frame_counts[:, frame] = counts - (0 if prev_counts is None else prev_counts)
            prev_counts = counts.copy()
    counts = st.count.reshape(batch, n)
    spike_count = [counts[:, graph.offsets[i] : graph.offsets[i + 1]].copy() for i in range(1, graph.n_layers + 1)]
    frame_counts = None
    if record_frames:
        frame_counts = [st.frame_counts[:, :, graph.offsets[i] - n_in : graph.offsets[i + 1] - n_in]
                        for i in range(1, graph.n_layers + 1)]
    if st.events:
        events = tuple(np.concatenate(col) for col in zip(*st.events))
    else:
        events = tuple(np.zeros(0, dtype=np.int64) for _ in range(3))
    return AsyncRecord(spike_count, st.synops, input_events, st.steps, st.first, st.first_spikes,
                       events, frame_counts, st.dropped, st.halted)


def _halt(st: _EventState, graph: AsyncGraph, queue: np.ndarray, halt_after: int | None,
          step_global: np.ndarray) -> np.ndarray:
    """Mark samples whose stopping rule is met as halted and drop their queue entries."""
    if halt_after is None:
        return queue
    has = (st.first >= 0).any(axis=1)
    if not has.any():
        return queue
    first_any = np.where(st.first >= 0, st.first, np.iinfo(np.int64).max).min(axis=1)
    stop = has & ~st.halted & (step_global >= first_any + halt_after)
    if not stop.any():
        return queue
    st.halted |= stop
    drop = stop[queue // graph.n_total]
    st.pend[queue[drop]] = 0
    return queue[~drop]


# --------------------------------------------------------------------------------------------
# metrics over an AsyncRecord
# --------------------------------------------------------------------------------------------


def decisions(record: AsyncRecord) -> np.ndarray:
    """Rate-decoded class of each sample (most output spikes; ties: earliest first spike, then
    lowest index; -1 when no output spike), shape (batch,)."""
    return predict_from_counts(record.output_count, record.first_output_step, tie_break="first_spike")


def spike_density(record: AsyncRecord) -> np.ndarray:
    """Spikes per neuron per sample: ``sum_l sum_i c_{l,i} / N`` (input excluded), shape (batch,)."""
    return record.spikes_per_sample() / record.n_neurons


def decision_latency(record: AsyncRecord, labels) -> dict[str, np.ndarray]:
    """Forward steps and network spikes until the first output spike and the first correct one.

    Returns float arrays (batch,) ``steps_to_output``, ``spikes_to_output``, ``steps_to_correct``,
    ``spikes_to_correct``; NaN where no (correct) output spike happened.
    """
    labels = np.asarray(labels, dtype=np.int64)
    first = record.first_output_step.astype(np.float64)
    spikes = record.spikes_at_first_output.astype(np.float64)
    first[first < 0] = np.nan
    spikes[record.spikes_at_first_output < 0] = np.nan
    with np.errstate(all="ignore"):
        i_any = np.where(np.isnan(first).all(axis=1), 0, np.nanargmin(np.where(np.isnan(first), np.inf, first), axis=1))
    rows = np.arange(labels.size)
    return {
        "steps_to_output": first[rows, i_any],
        "spikes_to_output": spikes[rows, i_any],
        "steps_to_correct": first[rows, labels],
        "spikes_to_correct": spikes[rows, labels],
    }


def accuracy_vs_steps(record: AsyncRecord, labels, budgets) -> np.ndarray:
    """Accuracy when decoding only the output spikes of the first ``s`` global forward steps.

    For each budget ``s`` the decision is made as by ``decisions`` over the output spikes at
    steps ``<= s`` (most spikes; ties: earliest first spike, then lowest index; none: wrong).
    Returns (len(budgets),) float.
    """
    labels = np.asarray(labels, dtype=np.int64)
    sample, neuron, step = record.output_events
    n_out = record.output_count.shape[1]
    out = []
    for s in np.atleast_1d(budgets):
        keep = step <= s
        counts = np.zeros((labels.size, n_out), dtype=np.int64)
        np.add.at(counts, (sample[keep], neuron[keep]), 1)
        first = np.full((labels.size, n_out), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, (sample[keep], neuron[keep]), step[keep])
        first[counts == 0] = -1
        pred = predict_from_counts(counts, first, tie_break="first_spike")
        out.append(float(np.mean(pred == labels)))
    return np.array(out)
