"""Clock-driven, batched simulation of a layered feed-forward SNN in numpy (float64).

Every time step ``n`` (time ``n * dt``) runs four phases over all layers, in the same order as
Brian2's default schedule (state update, thresholds, synapses, resets), so both simulators
produce identical spikes:

1. state update: neurons out of their refractory period integrate their linear ODE exactly over
   ``dt`` (``neurobench.neurons.params`` states it): ``v = (a_v * v + c_b * b) + c_i * I`` with
   the ``StepCoefficients`` of ``neurobench.sim.coefficients``; refractory neurons keep their
   potential; synaptic currents always decay, ``I = a_i * I``;
2. threshold: ``v >= v_th`` and not refractory gives a spike at step ``n``;
3. synapses: the spikes of step ``n`` (input spikes for the first layer) reach the next layer
   at once: ``v += W s`` for delta synapses (ignored by refractory neurons, including those that
   have just spiked at step ``n`` when ``round(t_ref / dt) > 0``), ``I += W s`` for
   current-based ones. A spike in layer ``l`` at step ``n`` can make layer ``l+1`` spike at
   step ``n+1`` at the earliest;
4. reset: neurons that spiked reset (to 0 mV or by subtracting ``v_th``) and start their
   refractory period: they are refractory while ``n' - n < round(t_ref / dt)``.

**Bit-identical arithmetic with Brian2.** A spike is a threshold crossing of a floating-point
sum, so agreeing "spike for spike" with ``neurobench.sim.brian``, also when a decimal drive or
weight hits the threshold exactly (ten steps of 0.1 mV/ms reach 0.9999999999999999 mV, not
1 mV), needs the same floats in the same order on both sides, not merely close ones:

* units: everything here is in mV, mV/ms and ms, and the Brian2 backend runs its model on
  dimensionless numbers in the same units (in volts the sums round differently);
* phase 1: one product or sum at a time, in the order written above, with the coefficients
  both simulators take from ``StepCoefficients``;
* phase 3: ``W s`` is summed for each postsynaptic neuron from 0.0, adding the weights of the
  spiking presynaptic neurons one by one in ascending presynaptic index, and the sum is then
  added to ``v`` or ``I``. That is what scipy's CSR product computes (its ``csr_matvec`` and
  ``csr_matvecs`` kernels accumulate row by row over the sorted column indices), and the order
  in which Brian2 delivers a step's spikes. Conv and pooling layers always went through this
  product; for ``Dense`` layers a BLAS product (``s @ W.T``) is faster (whole simulations of the
  Dense-only networks of ``benchmarks/simulator.py`` ran 2.4x to 4x faster with it, one BLAS
  thread) but blocks and vectorises the sum over presynaptic neurons, so its rounding depends
  on the layer sizes and the BLAS build.

**Synaptic delays** (``Dense.delay``, integers in steps): a spike of step ``n`` reaches a
synapse with delay ``d`` in phase 3 of step ``n + d`` (``d = 0``: the same step, as without
delays). A delayed layer keeps a ring buffer of ``max delay + 1`` slots of pending synaptic
events; each step first pushes its spikes' events into slot ``(n + d) mod (max + 1)``, then
delivers the current slot. Brian2 delivers a step's events from its spike queue in the order
they were pushed (earlier spike steps first; within one step, spiking presynaptic neurons in
ascending index, each one's synapses in ascending postsynaptic index), adding them one at a
time into ``syn_input``; so here too each postsynaptic sum starts at 0.0 and adds the event
weights one by one in that order (``numpy.add.at``, unbuffered and in order), then it is added
to ``v`` or ``I`` once. Layers without delays keep the CSR product above.
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from ..network import Network
from .coefficients import StepCoefficients
from .record import LayerRecord, SimRecord

__all__ = ["NEVER", "StepCoefficients", "simulate", "validate_input"]

NEVER = -(10**9)  # "last spike" step of a neuron that has not spiked yet


def _propagator(network: Network, index: int):
    """A function mapping presynaptic spikes (batch, n_in) of 0.0/1.0 to postsynaptic input
    (batch, n_out), in mV (delta synapses) or mV/ms (current-based).

    Each postsynaptic sum starts at 0.0 and adds the weights of the spiking presynaptic neurons
    one at a time in ascending presynaptic index, the order in which Brian2 delivers them (see
    the module docstring): scipy's CSR product with sorted column indices accumulates row by row
    in exactly that order, where a dense BLAS product would block and reorder the sum."""
    w = network.weight_matrix(index)
    w.sort_indices()
    return lambda s: np.asarray(w @ s.T).T


class _DelayedDelivery:
    """Ring buffer of pending synaptic events of one delayed layer (module docstring)."""

    def __init__(self, network: Network, index: int, batch: int):
        pre, post, w = network.connectivity(index)
        d = network.delays(index)
        order = np.lexsort((post, pre))  # by presynaptic neuron, then postsynaptic index
        self.post, self.w, self.d = post[order], w[order], d[order]
        self.n_in, self.n_out, self.batch = network.sizes[index], network.sizes[index + 1], batch
        counts = np.bincount(pre, minlength=self.n_in)
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.count = counts
        self.slots: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(int(d.max(initial=0)) + 1)]

    def push(self, step: int, pre_spikes: np.ndarray) -> None:
        """Queue the events of this step's presynaptic spikes (batch, n_in)."""
        flat = np.flatnonzero(pre_spikes.ravel())
        if not flat.size:
            return
        b, j = np.divmod(flat, self.n_in)
        lens = self.count[j]
        total = int(lens.sum())
        if not total:
            return
        first = np.repeat(self.start[j] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        syn = first + np.arange(total)
        target = np.repeat(b, lens) * self.n_out + self.post[syn]
        w, d = self.w[syn], self.d[syn]
        order = np.argsort(d, kind="stable")
        d_sorted = d[order]
        bounds = np.flatnonzero(np.diff(d_sorted)) + 1
        for group in np.split(order, bounds):
            slot = (step + int(d[group[0]])) % len(self.slots)
            self.slots[slot].append((target[group], w[group]))

    def deliver(self, step: int) -> np.ndarray | None:
        """The synaptic input (batch, n_out) arriving at this step, None when nothing arrives."""
        slot = self.slots[step % len(self.slots)]
        if not slot:
            return None
        syn_input = np.zeros(self.batch * self.n_out)
        for target, w in slot:
            np.add.at(syn_input, target, w)
        slot.clear()
        return syn_input.reshape(self.batch, self.n_out)


def validate_input(network: Network, input_spikes: np.ndarray, dt: float) -> np.ndarray:
    """Check ``input_spikes`` (batch, n_steps, *input_shape) and return it as (batch, n_steps, n_in) float."""
    if not (dt > 0 and np.isfinite(dt)):
        raise ValueError(f"dt must be a finite value > 0 ms, got {dt}")
    x = np.asarray(input_spikes)
    if x.ndim < 3 or tuple(x.shape[2:]) != network.input_shape:
        raise ValueError(
            f"input_spikes must have shape (batch, n_steps, {', '.join(map(str, network.input_shape))}), got {x.shape}"
        )
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"input_spikes needs at least one sample and one time step, got {x.shape}")
    x = x.reshape(x.shape[0], x.shape[1], -1)
    if x.dtype != bool and not np.all((x == 0) | (x == 1)):
        raise ValueError("input_spikes must be binary (0 or 1 per neuron and step)")
    return x.astype(np.float64)


class _ClockState:
    """Per-layer state of one clock-driven run (all (batch, n) arrays, one per layer) and the
    four phases of a time step. In-place numpy operations throughout; each computes exactly what
    the textbook form (``v = where(not_ref, a_v * v + c_b * b + c_i * I, v)``, ...) computes, in
    the same order."""

    def __init__(self, network: Network, batch: int, n_steps: int, dt: float, record_spikes: bool, record_v: bool):
        self.network = network
        n_layers = len(network.layers)
        sizes = network.sizes[1:]
        self.props = [_propagator(network, i) for i in range(n_layers)]
        self.delayed = [_DelayedDelivery(network, i, batch) if getattr(network.layers[i], "delay", None) is not None
                        else None for i in range(n_layers)]
        self.coef = [StepCoefficients.for_neuron(p, dt) for p in network.neurons]
        self.drive = [self.coef[i].c_b * network.bias(i) for i in range(n_layers)]  # mV per step
        self.has_drive = [bool(np.any(d != 0)) for d in self.drive]
        self.ref_steps = [p.refractory_steps(dt) for p in network.neurons]
        self.v = [np.zeros((batch, n)) for n in sizes]  # mV
        self.cur = [np.zeros((batch, n)) for n in sizes]  # mV/ms
        self.last = [np.full((batch, n), NEVER, dtype=np.int64) for n in sizes]
        self.counts = [np.zeros((batch, n), dtype=np.int64) for n in sizes]
        self.first = [np.full((batch, n), -1, dtype=np.int64) for n in sizes]
        self.spike_rec = [np.zeros((batch, n_steps, n), dtype=bool) for n in sizes] if record_spikes else None
        self.v_rec = [np.zeros((batch, n_steps, n)) for n in sizes] if record_v else None

    def update_and_threshold(self, step: int) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Phases 1 and 2: state update of the non-refractory neurons, current decay, threshold.

        Returns each layer's spikes of this step and its mask of neurons that accept delta input
        (None: nobody is ever refractory in that layer)."""
        spikes, free = [], []
        v, cur, last = self.v, self.cur, self.last
        for i, p in enumerate(self.network.neurons):
            c = self.coef[i]
            if self.ref_steps[i] > 0:
                not_ref = (step - last[i]) >= self.ref_steps[i]
                update = c.a_v * v[i] + self.drive[i]
                if p.tau_syn > 0:
                    update += c.c_i * cur[i]
                np.copyto(v[i], update, where=not_ref)
            else:  # nobody is ever refractory
                not_ref = None
                if c.a_v != 1.0:
                    v[i] *= c.a_v
                if self.has_drive[i]:
                    v[i] += self.drive[i]
                if p.tau_syn > 0:
                    v[i] += c.c_i * cur[i]
            if p.tau_syn > 0:
                cur[i] *= c.a_i
            s = v[i] >= p.v_th
            if not_ref is not None:
                s &= not_ref
                # a neuron is refractory from its spike on, so from phase 3 of its spike step
                not_ref &= ~s
            spikes.append(s)
            free.append(not_ref)
        return spikes, free

    def propagate(self, x_step: np.ndarray, spikes: list[np.ndarray], free: list[np.ndarray | None],
                  step: int = 0) -> None:
        """Phase 3: this step's spikes (``x_step`` for the first layer) reach the next layer."""
        v, cur = self.v, self.cur
        for i, p in enumerate(self.network.neurons):
            pre = x_step if i == 0 else spikes[i - 1]
            if self.delayed[i] is not None:
                self.delayed[i].push(step, pre)
                syn_input = self.delayed[i].deliver(step)
                if syn_input is None:
                    continue
            elif not pre.any():
                continue
            else:
                syn_input = self.props[i](pre if i == 0 else pre.astype(np.float64))
            if p.tau_syn > 0:
                cur[i] += syn_input
            elif free[i] is None:
                v[i] += syn_input
            else:
                np.add(v[i], syn_input, out=v[i], where=free[i])

    def reset_and_record(self, step: int, spikes: list[np.ndarray]) -> None:
        """Phase 4: reset the neurons that spiked, start their refractory period, count and record."""
        v = self.v
        for i, p in enumerate(self.network.neurons):
            s = spikes[i]
            if s.any():
                if p.reset == "zero":
                    np.copyto(v[i], 0.0, where=s)
                else:
                    np.subtract(v[i], p.v_th, out=v[i], where=s)
                if self.ref_steps[i] > 0:
                    np.copyto(self.last[i], step, where=s)
                self.counts[i] += s
                np.copyto(self.first[i], step, where=s & (self.first[i] < 0))
            if self.spike_rec is not None:
                self.spike_rec[i][:, step] = s
            if self.v_rec is not None:
                self.v_rec[i][:, step] = v[i]

    def record(self, x: np.ndarray, dt: float) -> SimRecord:
        """The run's ``SimRecord``; synaptic operations: every presynaptic spike reaches each of
        its synapses once."""
        network = self.network
        input_counts = x.sum(axis=1).astype(np.int64)
        pre_counts = [input_counts] + self.counts[:-1]
        layers = [
            LayerRecord(
                spike_count=self.counts[i],
                first_spike_step=self.first[i],
                synops=pre_counts[i] @ network.fan_out(i).astype(np.int64),
                spikes=self.spike_rec[i] if self.spike_rec is not None else None,
                v=self.v_rec[i] if self.v_rec is not None else None,
            )
            for i in range(len(network.layers))
        ]
        return SimRecord(layers, input_counts, float(dt), x.shape[1], "clock")


def simulate(
    network: Network,
    input_spikes: np.ndarray,
    dt: float = 1.0,
    record_spikes: bool = False,
    record_v: bool = False,
    progress: bool = False,
) -> SimRecord:
    """Run ``network`` on a batch of binary input spike trains (see the module docstring).

    Parameters
    ----------
    network : Network
    input_spikes : array (batch, n_steps, *network.input_shape) of 0/1
    dt : float
        Time step in ms.
    record_spikes, record_v : bool
        Also keep full spike trains / membrane potentials (mV) of every layer.
    progress : bool
        Show a tqdm bar over time steps.
    """
    x = validate_input(network, input_spikes, dt)
    batch, n_steps, _ = x.shape
    x_steps = np.ascontiguousarray(x.transpose(1, 0, 2))  # one contiguous (batch, n_in) block per step
    state = _ClockState(network, batch, n_steps, dt, record_spikes, record_v)
    for step in tqdm(range(n_steps), desc="clock sim", disable=not progress, leave=False):
        spikes, free = state.update_and_threshold(step)
        state.propagate(x_steps[step], spikes, free, step)
        state.reset_and_record(step, spikes)
    return state.record(x, dt)
