"""Discrete-event model of a many-core SNN chip: global barrier vs dependency-driven execution.

Reconstruction of the asynchronous multi-core accelerator of Chen et al. 2024 ("An Asynchronous
Multi-core Accelerator for SNN inference", arXiv:2407.20947, "DepAsync"). Only the paper's
abstract is available (``docs/papers/multicore.md`` §1): cores with a local scheduler advance to
their next timestep as soon as their compile-time dependency cores allow, without a global
barrier, and the spike results stay exact. **Everything below the abstract level (the
dependency rule, the buffer rule, the cost and energy model, the barrier model, the default
costs) is our reconstruction [inferred], not the paper's.**

Chip
----
``C`` cores on the first ``C`` positions of a ``neurobench.hardware.mesh.Mesh`` (by default
``Mesh.square(C)``), core ``c`` at ``(c // cols, c % cols)``; XY routing, so a packet from core
``a`` to core ``b`` takes ``hops(a, b) = |ya - yb| + |xa - xb|`` hops and ``L(a, b) = hops(a, b)
* hop_ns`` ns. The chip runs a ``neurobench.hardware.workload.Workload`` (synapse graph and
recorded spike trains) under an ``Assignment`` of every neuron (input included) to a core: one of
``neurobench.hardware.multicore_partition``'s partitions, or the neuron -> tile assignment of a
``neurobench.mapping`` mapping (``Mapping.assignment``). ``core_load`` reduces the two to
per-core, per-step counts (:class:`CoreLoad`) in phases: check the chip, synapses from every
neuron onto every core, traffic per step, integration one step later.

Work of a timestep (both modes)
-------------------------------
The clock simulator's delay (``neurobench.sim.clock``): spikes of population ``l`` at step ``t``
(``l = 0``: the input) are consumed by population ``l + 1`` at step ``t + 1``. Timestep ``t`` of
core ``c`` integrates the synaptic events of the step-``t-1`` spikes that target its neurons,
updates all its non-input neurons, and emits their step-``t`` spikes at its end::

    w_c(t) = neuron_update_ns * n_c + syn_event_ns * E_c(t)            (ns)

``n_c``: non-input neurons of core ``c``; ``E_c(t)``: synapses from step-``t-1`` spikes onto
neurons of ``c``. A spike is sent as one packet to every *other* core holding one of its
targets (local targets need no packet). Several samples run back to back (``n_steps`` each);
the first step of a sample integrates nothing (stale spikes of the previous sample are dropped).

Synchronous baseline (global barrier)
-------------------------------------
Every step all cores compute, the spike packets drain, then a global barrier (reduce to the
central core and broadcast back over the mesh)::

    T_step(t) = max_c w_c(t) + D(t) + T_barrier,     S(t + 1) = S(t) + T_step(t),  S(0) = 0
    D(t)      = hop_ns * (most hops of any packet sent at step t; 0 if none)
    T_barrier = barrier_ns + 2 * R * hop_ns,         R = max_c hops(c, root)
    (root: the central mesh position; the round trip term keeps every token latency of the
    asynchronous design below the barrier's, see below)
    makespan  = sum_t T_step(t)

Asynchronous design (dependency-driven, [inferred])
----------------------------------------------------
``pre(c)``: cores (other than ``c``) holding a presynaptic neuron of a neuron of ``c``;
``post(c)``: cores that have ``c`` in their ``pre``. After each step a core sends a ``done(t)``
token to each ``post`` core behind its spike packets (same in-order path). Core ``c`` starts
step ``t`` when (1) it finished ``t - 1``, (2) every ``p`` in ``pre(c)`` finished ``t - 1`` and
its token arrived (so all step-``t-1`` spikes for ``c`` are there), and (3) with input buffers of
depth ``B`` (``buffer_depth``; ``None`` = unbounded), every ``q`` in ``post(c)`` has started step
``t - B + 1``, i.e. consumed ``c``'s spikes of step ``t - B`` (ack tokens back to ``c``)::

    S_c(t) = max( F_c(t-1),  max_{p in pre(c)} F_p(t-1) + L(p, c),
                  max_{q in post(c)} S_q(t-B+1) + L(q, c) ),    F_c(t) = S_c(t) + w_c(t)
    makespan = max_c [ F_c(T-1) + max_{q in post(c)} L(c, q) ]    (last tokens delivered)

The recurrence runs over steps, vectorised over cores with a dense (C, C) latency matrix.
Since every ``L(p, c) <= diameter * hop_ns <= 2 R hop_ns``, induction gives
``S_c(t) <= S(t)`` for every core and step: the asynchronous makespan never exceeds the
synchronous one (speedup >= 1), and with equal work on every core, ``hop_ns = 0`` and
``barrier_ns = 0`` both schedules coincide exactly.

Energy (pJ; mW x ns = pJ)
-------------------------
``E = syn_event_pj * sum E + neuron_update_pj * T * sum n_c`` (compute, same in both modes)
``+ hop_pj * (hops of all spike packets)`` (same in both modes)
``+ hop_pj * (hops of control tokens)``: sync, ``2 hops(c, root)`` per core and step (barrier);
async, ``hops(p, c)`` per dependency edge and step (``done``), twice with a finite buffer (acks)
``+ static_mw * C * makespan`` (every core powered, busy or waiting, for the whole run).

Fixed-tick baseline (TrueNorth-like)
------------------------------------
A global clock ticks every ``tick_ns``; core ``c`` starts step ``t`` at the tick or, if it is
still busy, when it finishes step ``t - 1``; no barrier and no control tokens (the clock tree's
cost is not modelled)::

    S_c(t) = max(t * tick_ns, F_c(t-1)),     F_c(t) = S_c(t) + w_c(t)
    tick_ns (default) = max_t max_c w_c(t) + hop_ns * max_t D_hops(t)   (the worst step of the run)
    makespan = max(T * tick_ns, max_c [F_c(T-1) + max_{q in post(c)} L(c, q)])

With the default tick every spike arrives before the next tick; a shorter tick can deliver
spikes late (``neurobench.hardware.multicore_replay`` then finds different spikes). The default
is the worst step *observed*, a lower bound on a tick fixed at compile time: the baseline is
optimistic.

``deliveries`` replays every spike packet against a schedule and checks that it arrived before
the consuming core started the step that needs it; ``neurobench.hardware.multicore_replay``
goes further and recomputes every core's spikes from what its finite buffers hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from pydantic import Field
from tqdm import tqdm

from ..schema import Params
from ..schema import replace as replace_params
from ..sim.record import SimRecord
from . import multicore_partition as partition
from .mesh import Mesh
from .workload import Assignment, Workload

__all__ = [
    "POLICIES", "Comparison", "CoreLoad", "CostModel", "Delivery", "Energy", "Mesh", "Schedule",
    "barrier_ns", "compare", "core_load", "core_targets", "deliveries", "partition", "run_async",
    "run_sync", "run_tick", "spike_trains", "sweep_cost", "tick_ns", "work",
]


# --------------------------------------------------------------------------------------------
# costs
# --------------------------------------------------------------------------------------------


class CostModel(Params):
    """Per-operation time and energy of a core and of the on-chip mesh [inferred defaults].

    The paper's cost parameters are not available; the defaults are round numbers of the order
    reported for digital neuromorphic cores (a few ns and tens of pJ per synaptic event), chosen
    before any result was seen. ``hop_ns`` and ``hop_pj`` apply to every packet, spike or
    control token; the synchronous baseline adds the mesh round trip ``2 R hop_ns`` to
    ``barrier_ns``.
    """

    syn_event_ns: float = Field(2.0, ge=0, description="time of integrating one synaptic event in ns")
    syn_event_pj: float = Field(20.0, ge=0, description="energy of integrating one synaptic event in pJ")
    neuron_update_ns: float = Field(5.0, ge=0, description="time of one neuron update in ns")
    neuron_update_pj: float = Field(50.0, ge=0, description="energy of one neuron update in pJ")
    hop_ns: float = Field(5.0, ge=0, description="latency of one packet crossing one mesh hop in ns")
    hop_pj: float = Field(4.0, ge=0, description="energy of one packet crossing one mesh hop in pJ")
    static_mw: float = Field(1.0, ge=0, description="static (leakage) power of one powered core in mW")
    barrier_ns: float = Field(100.0, ge=0, description="fixed latency of the global barrier logic per step in ns")


# --------------------------------------------------------------------------------------------
# core load: what every core has to do at every step
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CoreLoad:
    """A workload's recorded activity under one assignment, reduced to per-core, per-step counts.

    Attributes
    ----------
    mesh : Mesh
    assignment : Assignment
        Core of every neuron (global neuron ids).
    population : (N,) int64
        Population of every neuron (0 = input: never updated).
    neurons : (C,) int64
        Non-input neurons per core (updated every step).
    events : (T, C) int64
        Synaptic events integrated by core ``c`` at step ``t`` (from the spikes of step ``t-1``).
    packets, packet_hops, max_hops : (T,) int64
        Spike packets sent at step ``t``, their total hops, and the most hops of any of them.
    dep : (C, C) bool
        ``dep[p, c]``: core ``c`` depends on core ``p`` (``p != c``).
    sample_start : (T,) bool
        First step of each sample (back-to-back samples).
    spikes : (T, N) bool
        Spike trains of every neuron, samples concatenated in time.
    targets : csr (N, C) int64
        Synapses from each neuron onto each core.
    """

    mesh: Mesh
    assignment: Assignment
    population: np.ndarray
    neurons: np.ndarray
    events: np.ndarray
    packets: np.ndarray
    packet_hops: np.ndarray
    max_hops: np.ndarray
    dep: np.ndarray
    sample_start: np.ndarray
    spikes: np.ndarray
    targets: sp.csr_matrix

    @property
    def n_cores(self) -> int:
        """Cores C in use (the first C positions of the mesh)."""
        return self.assignment.n_cores

    @property
    def n_steps(self) -> int:
        """Total steps T (all samples)."""
        return int(self.events.shape[0])

    @property
    def hops(self) -> np.ndarray:
        """(C, C) XY hop counts between the cores in use."""
        return self.mesh.hops(self.n_cores)


def spike_trains(record: SimRecord, input_spikes) -> list[np.ndarray]:
    """Per-population spike trains (batch, n_steps, n) bool, input first, from a recorded run.

    ``record`` must come from ``neurobench.sim.simulate(..., record_spikes=True)`` on
    ``input_spikes`` (batch, n_steps, *input_shape).
    """
    x = np.asarray(input_spikes)
    x = x.reshape(x.shape[0], x.shape[1], -1).astype(bool)
    if any(layer.spikes is None for layer in record.layers):
        raise ValueError("record has no spike trains: simulate with record_spikes=True")
    return [x] + [layer.spikes.astype(bool) for layer in record.layers]


def _chip(workload: Workload, assignment, n_cores: int | None, mesh: Mesh | None) -> tuple[Assignment, Mesh]:
    """Phase 1: check the workload and the assignment, and pick the mesh (``Mesh.square`` by default)."""
    if workload.trains is None:
        raise ValueError(f"workload {workload.name!r} has no spike trains: build it with Workload.from_network")
    assignment = Assignment.of(assignment, n_cores)
    if assignment.n_neurons != workload.graph.n_neurons:
        raise ValueError(f"assignment must have one entry per neuron ({workload.graph.n_neurons}), "
                         f"got {assignment.n_neurons}")
    mesh = Mesh.square(assignment.n_cores) if mesh is None else mesh
    if mesh.size < assignment.n_cores:
        raise ValueError(f"mesh {mesh.rows}x{mesh.cols} holds {mesh.size} cores, fewer than n_cores = {assignment.n_cores}")
    return assignment, mesh


def core_targets(workload: Workload, assignment: Assignment) -> sp.csr_matrix:
    """Phase 2: (N, C) int64 csr, synapses from each neuron onto the neurons of each core."""
    g = workload.graph
    m = sp.csr_matrix((np.ones(g.n_synapses, dtype=np.int64), (g.pre, assignment.core_of[g.post])),
                      shape=(g.n_neurons, assignment.n_cores))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def _traffic(spikes: np.ndarray, targets: sp.csr_matrix, core_of: np.ndarray, hops: np.ndarray,
             block: int = 4096) -> tuple[np.ndarray, ...]:
    """Phase 3: from the spikes (T, N) of every step, events sent to each core (T, C), spike
    packets, their hops and the most hops of any packet (T,), and the dependency edges (C, C).

    A spike is one packet to every other core holding one of its targets. Neurons are processed
    in blocks of ``block`` (counts are integers in float64, so the sums are exact).
    """
    n_total, n_neurons = spikes.shape
    n_cores = targets.shape[1]
    events = np.zeros((n_total, n_cores))
    packets = np.zeros(n_total)
    packet_hops = np.zeros(n_total)
    max_hops = np.zeros(n_total, dtype=np.int64)
    dep = np.zeros((n_cores, n_cores), dtype=bool)
    for lo in range(0, n_neurons, block):
        hi = min(lo + block, n_neurons)
        m = targets[lo:hi]
        rows = np.repeat(np.arange(hi - lo), np.diff(m.indptr))
        src = core_of[lo + rows]
        h = hops[src, m.indices]
        dep[src, m.indices] = True
        n_pk = np.bincount(rows, weights=(h > 0).astype(np.float64), minlength=hi - lo)
        n_hops = np.bincount(rows, weights=h, minlength=hi - lo)
        far = np.zeros(hi - lo, dtype=np.int64)
        np.maximum.at(far, rows, h)
        s = spikes[:, lo:hi]
        s_f = s.astype(np.float64)
        events += np.asarray(m.T.astype(np.float64) @ s_f.T).T
        packets += s_f @ n_pk
        packet_hops += s_f @ n_hops
        max_hops = np.maximum(max_hops, np.where(s, far, 0).max(axis=1, initial=0))
    np.fill_diagonal(dep, False)
    return events, packets, packet_hops, max_hops, dep


def _next_step(events: np.ndarray, batch: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Phase 4: events integrated one step after the spikes that caused them, within each sample
    (the first step of a sample integrates nothing); returns (T, C) int64 events and the (T,)
    sample starts."""
    ev = events.reshape(batch, steps, -1)
    shifted = np.zeros_like(ev)
    shifted[:, 1:] = ev[:, :-1]
    sample_start = np.zeros((batch, steps), dtype=bool)
    sample_start[:, 0] = True
    return np.rint(shifted.reshape(batch * steps, -1)).astype(np.int64), sample_start.ravel()


def core_load(workload: Workload, assignment, n_cores: int | None = None,
                   mesh: Mesh | None = None) -> CoreLoad:
    """Count what every core does at every step when ``workload`` runs under ``assignment``.

    Parameters
    ----------
    workload : Workload
        Synapse graph and recorded spike trains (``Workload.from_network``).
    assignment : Assignment or (N,) int array
        Core of every neuron (``multicore_partition``, or ``Mapping.assignment()`` of
        ``neurobench.mapping``).
    n_cores : int, optional
        Number of cores (default: the assignment's).
    mesh : Mesh, optional
        Default ``Mesh.square(n_cores)``; must hold at least ``n_cores`` cores.
    """
    assignment, mesh = _chip(workload, assignment, n_cores, mesh)
    batch, steps, n_neurons = workload.trains.shape
    spikes = workload.trains.reshape(batch * steps, n_neurons)
    targets = core_targets(workload, assignment)
    events, packets, packet_hops, max_hops, dep = _traffic(spikes, targets, assignment.core_of,
                                                           mesh.hops(assignment.n_cores))
    events, sample_start = _next_step(events, batch, steps)
    population = workload.graph.population
    neurons = np.bincount(assignment.core_of[population > 0], minlength=assignment.n_cores).astype(np.int64)
    return CoreLoad(
        mesh=mesh, assignment=assignment, population=population, neurons=neurons, events=events,
        packets=np.rint(packets).astype(np.int64), packet_hops=np.rint(packet_hops).astype(np.int64),
        max_hops=max_hops, dep=dep, sample_start=sample_start, spikes=spikes, targets=targets,
    )


def work(load: CoreLoad, cost: CostModel) -> np.ndarray:
    """Compute time ``w_c(t) = neuron_update_ns n_c + syn_event_ns E_c(t)`` in ns, (T, C)."""
    return cost.neuron_update_ns * load.neurons[None, :] + cost.syn_event_ns * load.events


# --------------------------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Energy:
    """Energy of a run in pJ, by cause."""

    compute_pj: float
    spike_pj: float
    token_pj: float
    static_pj: float

    @property
    def total_pj(self) -> float:
        return self.compute_pj + self.spike_pj + self.token_pj + self.static_pj


@dataclass(frozen=True, eq=False)
class Schedule:
    """When every core ran every step: ``start``/``finish`` (T, C) in ns, and the totals."""

    mode: str
    start: np.ndarray
    finish: np.ndarray
    makespan_ns: float
    energy: Energy
    cost: CostModel
    buffer_depth: int | None = None

    @property
    def busy_ns(self) -> np.ndarray:
        """Compute time of each core over the run, (C,) ns."""
        return (self.finish - self.start).sum(axis=0)

    @property
    def utilisation(self) -> np.ndarray:
        """Busy share of each core, ``busy_ns / makespan_ns``, (C,)."""
        return self.busy_ns / self.makespan_ns if self.makespan_ns > 0 else np.zeros_like(self.busy_ns)


def _energy(load: CoreLoad, cost: CostModel, makespan_ns: float, token_hops: float) -> Energy:
    n_steps = load.n_steps
    return Energy(
        compute_pj=float(cost.syn_event_pj * load.events.sum()
                         + cost.neuron_update_pj * n_steps * load.neurons.sum()),
        spike_pj=float(cost.hop_pj * load.packet_hops.sum()),
        token_pj=float(cost.hop_pj * token_hops),
        static_pj=float(cost.static_mw * load.n_cores * makespan_ns),
    )


def barrier_ns(load: CoreLoad, cost: CostModel) -> float:
    """Per-step barrier time ``barrier_ns + 2 R hop_ns`` (reduce to the central core, broadcast)."""
    radius = int(load.mesh.hops()[load.mesh.root, : load.n_cores].max())
    return cost.barrier_ns + 2 * radius * cost.hop_ns


def run_sync(load: CoreLoad, cost: CostModel) -> Schedule:
    """The global-barrier baseline (module docstring): all cores start step ``t`` together."""
    w = work(load, cost)
    step = w.max(axis=1) + cost.hop_ns * load.max_hops + barrier_ns(load, cost)
    total = np.cumsum(step)
    start = np.broadcast_to(np.concatenate([[0.0], total[:-1]])[:, None], w.shape).copy()
    makespan = float(total[-1])
    to_root = load.mesh.hops()[load.mesh.root, : load.n_cores]
    token_hops = load.n_steps * 2.0 * to_root.sum()
    return Schedule("sync", start, start + w, makespan, _energy(load, cost, makespan, token_hops), cost)


def run_async(load: CoreLoad, cost: CostModel, buffer_depth: int | None = 2,
              progress: bool = False) -> Schedule:
    """The dependency-driven design (module docstring, [inferred]): per-core start times.

    Parameters
    ----------
    load : CoreLoad
    cost : CostModel
    buffer_depth : int >= 2 or None
        Input buffer depth B in steps (2 = double buffering); None for unbounded buffers.
    progress : bool
        Show a tqdm bar over steps.
    """
    if buffer_depth is not None and not (isinstance(buffer_depth, (int, np.integer)) and buffer_depth >= 2):
        raise ValueError(f"buffer_depth = {buffer_depth!r} is not allowed: must be an integer >= 2 or None")
    w = work(load, cost)
    n_steps, n_cores = w.shape
    lat = np.where(load.dep, cost.hop_ns * load.hops, -np.inf)  # lat[p, c] = L(p, c)
    start = np.empty_like(w)
    finish = np.empty_like(w)
    prev = np.zeros(n_cores)
    for t in tqdm(range(n_steps), desc="async schedule", disable=not progress, leave=False):
        s = prev.copy()
        if t > 0:
            np.maximum(s, (prev[:, None] + lat).max(axis=0, initial=-np.inf), out=s)
            if buffer_depth is not None and t - buffer_depth + 1 >= 0:
                np.maximum(s, (start[t - buffer_depth + 1][None, :] + lat).max(axis=1, initial=-np.inf), out=s)
        start[t] = s
        prev = s + w[t]
        finish[t] = prev
    makespan = float(np.max(finish[-1] + _drain(load, cost)))
    edge_hops = float(load.hops[load.dep].sum())
    token_hops = n_steps * edge_hops * (1 if buffer_depth is None else 2)
    energy = _energy(load, cost, makespan, token_hops)
    return Schedule("async", start, finish, makespan, energy, cost, buffer_depth)


def tick_ns(load: CoreLoad, cost: CostModel) -> float:
    """The default tick of the fixed-tick baseline in ns: the worst step of the run,
    ``max_t max_c w_c(t) + hop_ns * max_t D_hops(t)`` (compute plus the farthest packet)."""
    return float(work(load, cost).max(initial=0.0) + cost.hop_ns * load.max_hops.max(initial=0))


def _drain(load: CoreLoad, cost: CostModel) -> np.ndarray:
    """(C,) ns: latency of each core's farthest post-dependency (0 if none)."""
    lat = np.where(load.dep, cost.hop_ns * load.hops, -np.inf)
    drain = lat.max(axis=1, initial=-np.inf)
    return np.where(np.isfinite(drain), drain, 0.0)


def run_tick(load: CoreLoad, cost: CostModel, tick: float | None = None) -> Schedule:
    """The fixed-tick baseline (module docstring): step ``t`` starts at ``t * tick`` ns or when
    the core finished ``t - 1``; ``tick`` in ns, default :func:`tick_ns` (the worst step)."""
    if tick is None:
        tick = tick_ns(load, cost)
    if not (tick >= 0 and np.isfinite(tick)):
        raise ValueError(f"tick = {tick!r} is not allowed: must be a finite value >= 0 ns")
    w = work(load, cost)
    n_steps, n_cores = w.shape
    # S(t) = max(t tick, S(t-1) + w(t-1)) unrolls to S(t) = W(t) + max_{k <= t} (k tick - W(k)),
    # W(t) = sum_{i < t} w(i): a running maximum instead of a loop over steps
    cum = np.vstack([np.zeros((1, n_cores)), np.cumsum(w, axis=0)[:-1]])
    ticks = tick * np.arange(n_steps, dtype=np.float64)[:, None]
    slack = ticks - cum
    best = np.maximum.accumulate(slack, axis=0)
    start = np.where(slack >= best, ticks, cum + best)  # exactly t * tick where the tick decides
    finish = start + w
    makespan = float(max(n_steps * tick, np.max(finish[-1] + _drain(load, cost))))
    return Schedule("tick", start, finish, makespan, _energy(load, cost, makespan, 0.0), cost)


POLICIES = ("barrier", "tick", "dependency")
"""The three execution policies: global barrier (``run_sync``), fixed tick (``run_tick``) and
dependency-driven (``run_async``)."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """The schedules of one load: global barrier, dependency-driven and (optionally) fixed tick."""

    sync: Schedule
    asynchronous: Schedule
    tick: Schedule | None = None

    @property
    def speedup(self) -> float:
        """``makespan_sync / makespan_async`` (>= 1)."""
        return self.sync.makespan_ns / self.asynchronous.makespan_ns

    @property
    def energy_ratio(self) -> float:
        """Energy-efficiency gain ``E_sync / E_async``."""
        return self.sync.energy.total_pj / self.asynchronous.energy.total_pj

    @property
    def speedup_tick(self) -> float:
        """``makespan_tick / makespan_async`` (nan without a tick schedule)."""
        return self.tick.makespan_ns / self.asynchronous.makespan_ns if self.tick is not None else float("nan")

    @property
    def energy_ratio_tick(self) -> float:
        """``E_tick / E_async`` (nan without a tick schedule)."""
        return self.tick.energy.total_pj / self.asynchronous.energy.total_pj if self.tick is not None else float("nan")

    def schedules(self) -> dict[str, Schedule]:
        """The schedules by policy name (``POLICIES`` order; tick only when present)."""
        out = {"barrier": self.sync, "tick": self.tick, "dependency": self.asynchronous}
        return {k: v for k, v in out.items() if v is not None}

    def summary(self) -> dict[str, float]:
        """Headline numbers as a flat dict (times in ns, energies in pJ)."""
        s, a = self.sync, self.asynchronous
        out = {
            "sync_makespan_ns": s.makespan_ns, "async_makespan_ns": a.makespan_ns,
            "speedup": self.speedup,
            "sync_energy_pj": s.energy.total_pj, "async_energy_pj": a.energy.total_pj,
            "energy_ratio": self.energy_ratio,
            "sync_static_share": s.energy.static_pj / s.energy.total_pj,
            "sync_utilisation": float(s.utilisation.mean()),
            "async_utilisation": float(a.utilisation.mean()),
        }
        if self.tick is not None:
            out.update({"tick_makespan_ns": self.tick.makespan_ns, "tick_energy_pj": self.tick.energy.total_pj,
                        "speedup_tick": self.speedup_tick, "energy_ratio_tick": self.energy_ratio_tick,
                        "tick_utilisation": float(self.tick.utilisation.mean())})
        return out


def compare(load: CoreLoad, cost: CostModel, buffer_depth: int | None = 2, tick: float | None | bool = False
            ) -> Comparison:
    """Run the barrier and dependency-driven schedules on ``load``, and the fixed-tick one unless
    ``tick`` is False (None: the default worst-step tick; a number: the tick in ns)."""
    tick_schedule = None if tick is False else run_tick(load, cost, tick)
    return Comparison(run_sync(load, cost), run_async(load, cost, buffer_depth), tick_schedule)


def sweep_cost(load: CoreLoad, cost: CostModel, name: str, values: Sequence[float],
               buffer_depth: int | None = 2, tick: float | None | bool = False,
               **fixed: float) -> list[dict[str, float]]:
    """``compare`` with cost field ``name`` set to each of ``values`` (other fields from ``cost``,
    ``fixed`` overriding some); one ``Comparison.summary()`` row per value, with ``name`` added."""
    rows = []
    for value in values:
        c = replace_params(cost, **fixed, **{name: float(value)})
        rows.append({name: float(value), **compare(load, c, buffer_depth, tick).summary()})
    return rows


# --------------------------------------------------------------------------------------------
# spike delivery check
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Delivery:
    """Spikes a schedule delivered in time.

    Attributes
    ----------
    packets : (K, 4) int64
        Every (population, neuron (global id), step, destination core) delivery that arrived
        before the destination started step + 1, sorted; local deliveries included.
    events : (T, C) int64
        Synaptic events integrated by each core at each step from those deliveries.
    late : int
        Deliveries that arrived after their consumer had started (0 for a correct schedule).
    """

    packets: np.ndarray
    events: np.ndarray
    late: int


def deliveries(load: CoreLoad, schedule: Schedule, keep_packets: bool = True,
               chunk: int = 1 << 20) -> Delivery:
    """Replay every spike against ``schedule``: arrival ``F_a(s) + L(a, b) <= S_b(s + 1)``?

    A spike of step ``s`` from a neuron on core ``a`` leaves at the end of ``a``'s step ``s``
    and reaches a target core ``b`` after ``hops(a, b) * hop_ns`` ns; it is integrated at
    ``b``'s step ``s + 1`` (dropped if that is the first step of the next sample or past the
    end). Pure bookkeeping over the recorded spikes: the returned event counts equal
    ``load.events`` exactly when no delivery is late.

    Parameters
    ----------
    keep_packets : bool
        Also return every on-time (population, neuron, step, core) delivery (memory grows with
        the number of deliveries; ``False`` returns an empty ``packets`` array).
    chunk : int
        Deliveries expanded at once (bounds the memory of the replay).
    """
    n_steps, n_cores = load.events.shape
    lat = schedule.cost.hop_ns * load.hops
    m = load.targets
    core_of = load.assignment.core_of
    events = np.zeros(n_steps * n_cores, dtype=np.int64)
    kept, late = [], 0
    all_steps, all_neurons = np.nonzero(load.spikes)
    all_per = np.diff(m.indptr)[all_neurons]
    bounds = np.searchsorted(np.cumsum(all_per), np.arange(chunk, all_per.sum() + chunk, chunk), side="right")
    for lo, hi in zip(np.r_[0, bounds[:-1]], bounds):
        steps, neurons, per = all_steps[lo:hi], all_neurons[lo:hi], all_per[lo:hi]
        if per.sum() == 0:
            continue
        s = np.repeat(steps, per)
        j = np.repeat(neurons, per)
        index = np.repeat(m.indptr[neurons] - (np.cumsum(per) - per), per) + np.arange(per.sum())
        b = m.indices[index]
        syn = m.data[index]
        a = core_of[j]
        valid = s + 1 < n_steps
        valid[valid] = ~load.sample_start[s[valid] + 1]
        s, j, a, b, syn = s[valid], j[valid], a[valid], b[valid], syn[valid]
        on_time = schedule.finish[s, a] + lat[a, b] <= schedule.start[s + 1, b]
        late += int((~on_time).sum())
        events += np.bincount(((s + 1) * n_cores + b)[on_time], weights=syn[on_time],
                              minlength=n_steps * n_cores).astype(np.int64)
        if keep_packets:
            kept.append(np.stack([load.population[j[on_time]], j[on_time], s[on_time], b[on_time]], axis=1))
    packets = np.concatenate(kept).astype(np.int64) if kept else np.zeros((0, 4), dtype=np.int64)
    packets = packets[np.lexsort(packets.T[::-1])]
    return Delivery(packets, events.reshape(n_steps, n_cores), late)
