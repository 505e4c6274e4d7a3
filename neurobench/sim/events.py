"""What the asynchronous engines share: configuration, the flattened graph, the result record,
and the per-(sample, neuron) event state with its bookkeeping.

The semantics are stated in ``neurobench.sim.asynchronous``. Three engines use this module:
the event-driven numpy path (``asynchronous.simulate_async``), the dense differentiable torch
path (``async_torch.run_async_torch``) and the zero-delay layer-synchronized loop
(``layersync.simulate_layersync``). Units: time in ms, membrane potentials and weights in mV;
steps and spikes are counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ..network import Network
from .clock import validate_input
from .coefficients import leak_factor

__all__ = [
    "STOP_MODES",
    "AsyncConfig",
    "AsyncGraph",
    "AsyncRecord",
    "EventState",
    "binary_frames",
    "sample_ids",
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
        Stopping mode (see ``neurobench.sim.asynchronous``).
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
    beta_layer: np.ndarray  # (n_layers,) per-frame leak factor exp(-frame_dt / tau_m), 1 for IF

    @classmethod
    def build(cls, network: Network, frame_dt: float) -> "AsyncGraph":
        """Flatten ``network`` for frames of ``frame_dt`` ms; checks that it is bias-free with
        delta synapses and ``t_ref = 0``."""
        n_layers = len(network.layers)
        if network.has_delays:
            raise ValueError("asynchronous execution does not model synaptic delays (Dense.delay): "
                             "run delayed networks with neurobench.sim.simulate or simulate_brian")
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
        beta = np.array([leak_factor(p, frame_dt) for p in network.neurons])
        return cls(network, sizes, offsets, n_total, indptr, np.concatenate(cols), np.concatenate(vals),
                   layer_of, v_th.astype(np.float64), zero.astype(bool), beta)

    @property
    def n_layers(self) -> int:
        """Spiking layers (input excluded)."""
        return len(self.sizes) - 1

    @cached_property
    def outgoing(self) -> sp.csr_matrix:
        """All synapses as one (N, N) CSR matrix of weights in mV, row = presynaptic global id."""
        return sp.csr_matrix((self.weights, self.indices, self.indptr), shape=(self.n_total, self.n_total))

    @property
    def output_offset(self) -> int:
        """Global id of the first output neuron."""
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
        """Output spike counts, (batch, n_out) int64."""
        return self.spike_count[-1]

    def spikes_per_sample(self) -> np.ndarray:
        """Network spikes (all layers, input excluded) per sample, shape (batch,)."""
        return sum(c.sum(axis=1) for c in self.spike_count)

    @property
    def n_neurons(self) -> int:
        """Spiking neurons of the network (input excluded)."""
        return int(sum(c.shape[1] for c in self.spike_count))


def sample_ids(sample_offset: int | np.ndarray, batch: int) -> np.ndarray:
    """Global sample ids (batch,) int64 from an offset or an explicit array."""
    if np.ndim(sample_offset) == 0:
        return np.arange(batch, dtype=np.int64) + int(sample_offset)
    ids = np.asarray(sample_offset, dtype=np.int64)
    if ids.shape != (batch,) or np.any(ids < 0):
        raise ValueError(f"sample_offset must be an int or {batch} ids >= 0, got shape {ids.shape}")
    return ids


def binary_frames(graph: AsyncGraph, input_frames) -> np.ndarray:
    """Validated input events as a bool array (batch, n_frames, n_in): True where an input
    neuron has an event in a frame (``input_frames`` is 0/1 of shape (batch, n_frames, *input_shape))."""
    x = np.asarray(input_frames)
    if x.dtype == np.bool_ and x.ndim >= 3:  # binary already: validate the shape on one frame, no float copy
        validate_input(graph.network, x[:, :1], 1.0)
        return x.reshape(x.shape[0], x.shape[1], -1)
    return validate_input(graph.network, x, 1.0) > 0


class EventState:
    """Flat per-(sample, neuron) state of an asynchronous run and its bookkeeping.

    Arrays indexed by the flat id ``b * N + g`` (sample ``b``, global neuron id ``g``, ``N``
    neurons in all): ``v`` (membrane potential, mV), ``ref`` (refractory in this frame),
    ``pend`` (pending spikes in the queue), ``enq`` (forward step of the frame at which the
    entry was queued), ``over`` (relative overshoot ``(v - v_th) / v_th`` of the latest spike),
    ``count`` (spikes over the run). Per sample: ``total`` (network spikes so far), ``base``
    (forward steps of the frames already run), ``halted``, ``dropped``, ``input_events``.
    ``first`` / ``first_spikes`` hold each output neuron's first global step and the network
    spikes up to it; ``synops`` the synaptic events per layer; ``steps`` the forward steps of
    each frame.
    """

    def __init__(self, graph: AsyncGraph, batch: int, n_frames: int, record_frames: bool):
        self.graph = graph
        self.batch = batch
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
        self.input_events = np.zeros(batch, dtype=np.int64)
        self.events: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.frame_counts = np.zeros((batch, n_frames, n - graph.sizes[0]), dtype=np.int64) if record_frames else None
        self._prev_counts: np.ndarray | None = None

    def present_input(self, x_frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Input events of one frame for the samples not halted: (sample, input neuron) index
        arrays of the True entries of ``x_frame`` (batch, n_in); counts them in ``input_events``."""
        xb, xi = np.nonzero(x_frame & ~self.halted[:, None])
        self.input_events += np.bincount(xb, minlength=self.batch)
        return xb, xi

    def enqueue_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """Queue input events (flat ids) as pending spikes queued at step 0; returns them."""
        self.pend[inputs] = 1
        self.enq[inputs] = 0
        return inputs

    def book(self, cand: np.ndarray, over: np.ndarray, ref_set: np.ndarray | None,
             step_global: np.ndarray, step: int) -> np.ndarray:
        """Record new spikes of the sorted unique flat ids ``cand`` (relative overshoots
        ``over``): spike counts, refractory flags of ``ref_set`` (None: none), first output
        spikes at the per-sample global steps ``step_global``, output events; hidden neurons
        join the queue at forward step ``step``. Returns the fresh queue entries (flat ids)."""
        graph = self.graph
        n = graph.n_total
        g = cand % n
        b = cand // n
        self.over[cand] = over
        self.count[cand] += 1
        if ref_set is not None:
            self.ref[ref_set] = True
        self.total += np.bincount(b, minlength=self.batch)
        out = g >= graph.output_offset
        if out.any():
            bo, no = b[out], g[out] - graph.output_offset
            so = step_global[bo]
            self.events.append((bo, no, so))
            new = self.first[bo, no] < 0
            self.first[bo[new], no[new]] = so[new]
            self.first_spikes[bo[new], no[new]] = self.total[bo[new]]
        hidden = cand[~out]
        fresh = hidden[self.pend[hidden] == 0]
        self.enq[fresh] = step
        self.pend[hidden] += 1
        return fresh

    def halt(self, queue: np.ndarray, halt_after: int | None, step_global: np.ndarray) -> np.ndarray:
        """Mark samples whose stopping rule is met (global step ``step_global`` at least
        ``halt_after`` forward steps past their first output spike) as halted, and drop their
        entries from ``queue`` (flat ids); returns the remaining queue."""
        if halt_after is None:
            return queue
        has = (self.first >= 0).any(axis=1)
        if not has.any():
            return queue
        first_any = np.where(self.first >= 0, self.first, np.iinfo(np.int64).max).min(axis=1)
        stop = has & ~self.halted & (step_global >= first_any + halt_after)
        if not stop.any():
            return queue
        self.halted |= stop
        drop = stop[queue // self.graph.n_total]
        self.pend[queue[drop]] = 0
        return queue[~drop]

    def drop_pending(self, queue: np.ndarray) -> None:
        """Discard every pending spike of ``queue`` (flat ids) at the ``max_steps`` cap,
        counting them in ``dropped``."""
        np.add.at(self.dropped, queue // self.graph.n_total, self.pend[queue])
        self.pend[queue] = 0

    def end_frame(self, frame: int) -> None:
        """Close frame ``frame``: advance the global step base and record per-frame counts."""
        self.base += self.steps[:, frame]
        if self.frame_counts is not None:
            counts = self.count.reshape(self.batch, self.graph.n_total)[:, self.graph.sizes[0]:]
            self.frame_counts[:, frame] = counts - (0 if self._prev_counts is None else self._prev_counts)
            self._prev_counts = counts.copy()

    def record(self) -> AsyncRecord:
        """The run's ``AsyncRecord``."""
        graph = self.graph
        off, n_in = graph.offsets, graph.sizes[0]
        counts = self.count.reshape(self.batch, graph.n_total)
        layers = range(1, graph.n_layers + 1)
        spike_count = [counts[:, off[i] : off[i + 1]].copy() for i in layers]
        frame_counts = None
        if self.frame_counts is not None:
            frame_counts = [self.frame_counts[:, :, off[i] - n_in : off[i + 1] - n_in] for i in layers]
        if self.events:
            events = tuple(np.concatenate(col) for col in zip(*self.events))
        else:
            events = tuple(np.zeros(0, dtype=np.int64) for _ in range(3))
        return AsyncRecord(spike_count, self.synops, self.input_events, self.steps, self.first, self.first_spikes,
                           events, frame_counts, self.dropped, self.halted)
