"""Exactness of an execution policy, proven by re-simulating every core from its input buffers.

A schedule of ``neurobench.hardware.multicore`` (global barrier, fixed tick or dependency-driven)
says when every core starts and finishes every step. This module asks what each core would
*compute* under that schedule when its input spikes live in finite buffers, and compares the
result with the clock simulator (``neurobench.sim.simulate``), population by population:

Buffers [inferred]
------------------
Core ``b`` has ``B`` (``buffer_depth``) input slots; the spikes of step ``s`` go into slot
``s mod B``. At the start of step ``t`` (time ``S_b(t)``) the core reads slot ``(t - 1) mod B``,
integrates what it holds as the spikes of step ``t - 1``, and clears it. A spike of neuron ``j``
on core ``a`` at step ``s`` leaves at ``F_a(s)`` and arrives at ``A = F_a(s) + hops(a, b) *
hop_ns`` (local targets: ``A = F_a(s)``). It is integrated at the first read of its slot that
sees it:

* the right step ``t = s + 1`` when ``S_b(s - B + 1) <= A <= S_b(s + 1)``;
* **overwrite**: ``A < S_b(s - B + 1)``: it lands in the slot while the slot still holds the
  unconsumed spikes of step ``s - B`` and is integrated ``B`` (or a multiple of ``B``) steps
  early, merged with them;
* **late**: ``A > S_b(s + 1)``: it is integrated at the next read of its slot, ``B`` steps late
  (or never, past the end of the run).

``buffer_depth = None``: unbounded buffers tagged by step, so a spike is integrated at ``s + 1``
when ``A <= S_b(s + 1)`` and dropped (late) otherwise; nothing is overwritten. A read at the first
step of a sample integrates nothing (the chip resets between samples, as the simulator's
independent batch elements do), and spikes of a sample's last step are not sent.

Re-simulation
-------------
For populations ``l = 1, 2, ...`` in order, every core that holds neurons of population ``l``
runs the simulator's own layer ``l`` (``neurobench.sim.simulate`` on a one-layer
``Network`` with the same layer object and neuron parameters) on the spikes of population
``l - 1`` it read from its buffers, step by step; it keeps the spikes of its own neurons. The
spikes of population ``l - 1`` that are sent are the *re-simulated* ones (the input population's
are the recorded input), so an error upstream propagates downstream. The cores of a population
are stacked along the simulator's batch axis, which computes every core independently with
exactly the simulator's arithmetic (cores that read exactly the same spikes are computed once:
a deterministic simulator gives them exactly the same result). The schedule itself (from the recorded load) is taken as
given: when spikes differ, the work they would change is not re-timed.

The result is compared with the recorded spike trains of ``simulate`` (``CoreLoad.spikes``):
``identical`` when every spike of every non-input neuron at every step agrees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..network import Network
from ..sim import simulate
from .multicore import CoreLoad, Schedule
from .workload import offsets

__all__ = ["Replay", "replay", "replay_many"]


@dataclass(frozen=True, eq=False)
class Replay:
    """What every core computed under one schedule with finite buffers.

    Attributes
    ----------
    spikes : (T, N) bool
        Re-simulated spike trains (input population: the recorded input), samples back to back.
    deliveries : int
        Spike deliveries sent (one per spike and target core, local ones included).
    overwrites : int
        Deliveries that arrived into a slot still holding unconsumed spikes (integrated early).
    late : int
        Deliveries that arrived after their step had started (integrated late, or never).
    mismatches : int
        (step, neuron) entries where the re-simulated spikes differ from the simulator's.
    """

    spikes: np.ndarray
    deliveries: int
    overwrites: int
    late: int
    mismatches: int

    @property
    def identical(self) -> bool:
        """True when every re-simulated spike equals the clock simulator's."""
        return self.mismatches == 0


def _read_step(arrival: np.ndarray, s: np.ndarray, starts: np.ndarray, depth: int | None) -> np.ndarray:
    """Global step whose read integrates each delivery (module docstring); ``len(starts)`` when never.

    ``arrival``, ``s``: (K,) arrival times (ns) and spike steps of deliveries to one core;
    ``starts``: (T,) that core's non-decreasing step starts."""
    n_steps = starts.size
    due = s + 1
    on_time = arrival <= starts[due]
    if depth is None:
        return np.where(on_time, due, n_steps)
    # earliest read of the slot after the arrival (strictly later: a read at the same instant
    # as the arrival of a spike B steps ahead has already emptied the slot)
    first = np.searchsorted(starts, arrival, side="right")
    early = first + np.mod(due - first, depth)
    late_first = np.searchsorted(starts, arrival, side="left")
    late = late_first + np.mod(due - late_first, depth)
    read = np.where(early < due, early, np.where(on_time, due, late))
    return np.minimum(read, n_steps)


def _deliveries(load: CoreLoad, schedule: Schedule, pre: np.ndarray, lo: int, sent_ok: np.ndarray,
                buffer_depth: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every sent spike of the population starting at neuron ``lo`` (``pre``: (T, n_pre) bool),
    once per target core: its step ``s``, neuron ``j`` (global), target core ``b`` and the step
    whose read integrates it (module docstring)."""
    targets = load.targets
    sp_s, sp_j = np.nonzero(pre & sent_ok[:, None])
    sp_j = sp_j + lo
    per = np.diff(targets.indptr)[sp_j]
    index = np.repeat(targets.indptr[sp_j] - (np.cumsum(per) - per), per) + np.arange(per.sum())
    b = targets.indices[index]
    s, j = np.repeat(sp_s, per), np.repeat(sp_j, per)
    a = load.assignment.core_of[j]
    arrival = schedule.finish[s, a] + schedule.cost.hop_ns * load.hops[a, b]
    read = np.empty_like(s)
    for c in np.unique(b):
        m = b == c
        read[m] = _read_step(arrival[m], s[m], schedule.start[:, c], buffer_depth)
    return s, j, b, read


def replay_many(network: Network, runs: Sequence[tuple[CoreLoad, Schedule, int | None]], dt: float) -> list[Replay]:
    """:func:`replay` of several (load, schedule, buffer depth) runs of the *same* recorded
    spikes (e.g. every partition and policy of one workload), computed together: one simulator
    call per population for all of them."""
    if not runs:
        return []
    sizes = network.sizes
    off = offsets(sizes)
    ref = runs[0][0]
    n_steps, n_neurons = ref.spikes.shape
    if n_neurons != off[-1]:
        raise ValueError(f"load has {n_neurons} neurons, the network {off[-1]}")
    for load, _, depth in runs:
        if load.spikes is not ref.spikes and not np.array_equal(load.spikes, ref.spikes):
            raise ValueError("replay_many needs loads of the same recorded spikes")
        if depth is not None and not (isinstance(depth, (int, np.integer)) and depth >= 1):
            raise ValueError(f"buffer_depth = {depth!r} is not allowed: must be an integer >= 1 or None")
    n_samples = int(ref.sample_start.sum())
    steps = n_steps // n_samples
    sent_ok = np.zeros(n_steps, dtype=bool)
    sent_ok[:-1] = ~ref.sample_start[1:]  # spikes of a sample's last step are not sent
    outs = []
    for _ in runs:
        out = np.zeros((n_steps, n_neurons), dtype=bool)
        out[:, off[0]:off[1]] = ref.spikes[:, off[0]:off[1]]
        outs.append(out)
    counts = np.zeros((len(runs), 3), dtype=np.int64)  # deliveries, overwrites, late
    for layer in range(1, len(sizes)):
        lo, hi, n_pre = off[layer - 1], off[layer], off[layer] - off[layer - 1]
        inputs, owners, first = [], [], 0
        for i, (load, schedule, depth) in enumerate(runs):
            core_of = load.assignment.core_of
            cores = np.unique(core_of[off[layer]:off[layer + 1]])
            block = np.full(load.n_cores, -1, dtype=np.int64)
            block[cores] = np.arange(cores.size)
            s, j, b, read = _deliveries(load, schedule, outs[i][:, lo:hi], lo, sent_ok, depth)
            counts[i] += (s.size, (read < s + 1).sum(), (read > s + 1).sum())
            # what each core reads at each step, as the input of its simulator batch entry
            keep = read < n_steps
            keep[keep] = ~ref.sample_start[read[keep]]
            g = read[keep] - 1  # read at step g + 1 = integrated as the spikes of step g
            x = np.zeros((cores.size, n_samples, steps, n_pre), dtype=bool)
            x[block[b[keep]], g // steps, g % steps, j[keep] - lo] = True
            inputs.append(x)
            owners.append((first, block[core_of[off[layer]:off[layer + 1]]]))  # batch entry of each neuron's core
            first += cores.size
        x = np.concatenate(inputs)
        # cores that read exactly the same spikes compute exactly the same: simulate each distinct input once
        keys = [row.tobytes() for row in np.packbits(x.reshape(len(x), -1), axis=1)]
        unique: dict[bytes, int] = {}
        which = np.array([unique.setdefault(k, len(unique)) for k in keys], dtype=np.int64)
        firsts = np.unique(which, return_index=True)[1]
        net = Network(network.shapes[layer - 1], (network.layers[layer - 1],), network.neurons[layer - 1])
        rec = simulate(net, x[firsts].reshape(firsts.size * n_samples, steps, *network.shapes[layer - 1]), dt,
                       record_spikes=True)
        spikes = rec.layers[0].spikes.reshape(firsts.size, n_samples, steps, -1)
        cols = np.arange(off[layer + 1] - off[layer])
        for i, (start, blocks) in enumerate(owners):
            mine = which[start + blocks]
            outs[i][:, off[layer]:off[layer + 1]] = spikes[mine, :, :, cols].transpose(1, 2, 0).reshape(n_steps, -1)
    return [Replay(out, int(c[0]), int(c[1]), int(c[2]), int((out[:, off[1]:] != ref.spikes[:, off[1]:]).sum()))
            for out, c in zip(outs, counts)]


def replay(network: Network, load: CoreLoad, schedule: Schedule, dt: float,
           buffer_depth: int | None = 2) -> Replay:
    """Re-simulate every core of ``load`` under ``schedule`` with input buffers of ``buffer_depth``
    slots (module docstring) and compare with the simulator's spikes.

    Parameters
    ----------
    network : Network
        The layered network whose recorded run (``neurobench.sim.simulate`` with time step
        ``dt`` ms, ``record_spikes=True``) ``load`` was built from.
    load : CoreLoad
    schedule : Schedule
        Any policy's schedule of ``load``.
    dt : float
        Time step in ms (the simulator's).
    buffer_depth : int >= 1 or None
        Physical input slots per core (None: unbounded, tagged by step). Independent of the
        flow control a dependency-driven schedule was computed with.
    """
    return replay_many(network, [(load, schedule, buffer_depth)], dt)[0]
