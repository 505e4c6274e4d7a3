"""Clock-driven, batched simulation of a layered feed-forward SNN in numpy (float64).

Every time step ``n`` (time ``n * dt``) runs four phases over all layers, in the same order as
Brian2's default schedule (state update, thresholds, synapses, resets), so both simulators
produce identical spikes:

1. state update: neurons out of their refractory period integrate their linear ODE exactly over
   ``dt`` (``neurobench.neurons.params`` states it); refractory neurons keep their potential;
   synaptic currents always decay;
2. threshold: ``v >= v_th`` and not refractory gives a spike at step ``n``;
3. synapses: the spikes of step ``n`` (input spikes for the first layer) reach the next layer
   at once: ``v += W s`` for delta synapses (ignored by refractory neurons, including those that
   have just spiked at step ``n`` when ``round(t_ref / dt) > 0``), ``I += W s`` for
   current-based ones. A spike in layer ``l`` at step ``n`` can make layer ``l+1`` spike at
   step ``n+1`` at the earliest;
4. reset: neurons that spiked reset (to 0 mV or by subtracting ``v_th``) and start their
   refractory period: they are refractory while ``n' - n < round(t_ref / dt)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from ..network import Dense, Network
from ..neurons import NeuronParams
from .record import LayerRecord, SimRecord

NEVER = -(10**9)  # "last spike" step of a neuron that has not spiked yet


@dataclass(frozen=True)
class StepCoefficients:
    """Exact one-step solution of the linear neuron ODE: v' = a_v v + c_b b + c_i I, I' = a_i I."""

    a_v: float
    c_b: float
    c_i: float
    a_i: float

    @classmethod
    def for_neuron(cls, p: NeuronParams, dt: float) -> "StepCoefficients":
        """Coefficients for neuron parameters ``p`` and time step ``dt`` ms."""
        a_i = np.exp(-dt / p.tau_syn) if p.tau_syn > 0 else 0.0
        if p.model == "if":
            a_v, c_b = 1.0, dt
            c_i = p.tau_syn * (1.0 - a_i) if p.tau_syn > 0 else 0.0
        else:
            a_v = np.exp(-dt / p.tau_m)
            c_b = p.tau_m * (1.0 - a_v)
            if p.tau_syn > 0:
                c_i = p.tau_m * p.tau_syn / (p.tau_m - p.tau_syn) * (a_v - a_i)
            else:
                c_i = 0.0
        return cls(float(a_v), float(c_b), float(c_i), float(a_i))


def _propagator(network: Network, index: int):
    """A function mapping presynaptic spikes (batch, n_in) to postsynaptic input (batch, n_out)."""
    layer = network.layers[index]
    if isinstance(layer, Dense):
        w_t = np.ascontiguousarray(layer.weight.T)
        return lambda s: s @ w_t
    w = network.weight_matrix(index)
    return lambda s: np.asarray(w @ s.T).T


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


def simulate(
    network: Network,
    input_spikes: np.ndarray,
    dt: float = 1.0,
    record_spikes: bool = False,
    record_v: bool = False,
    progress: bool = False,
) -> SimRecord:
    """Run ``network`` on a batch of binary input spike trains.

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
    n_layers = len(network.layers)
    sizes = network.sizes[1:]
    props = [_propagator(network, i) for i in range(n_layers)]
    coef = [StepCoefficients.for_neuron(p, dt) for p in network.neurons]
    drive = [coef[i].c_b * network.bias(i) for i in range(n_layers)]
    has_drive = [bool(np.any(d != 0)) for d in drive]
    ref_steps = [p.refractory_steps(dt) for p in network.neurons]
    v = [np.zeros((batch, n)) for n in sizes]
    cur = [np.zeros((batch, n)) for n in sizes]
    last = [np.full((batch, n), NEVER, dtype=np.int64) for n in sizes]
    counts = [np.zeros((batch, n), dtype=np.int64) for n in sizes]
    first = [np.full((batch, n), -1, dtype=np.int64) for n in sizes]
    spike_rec = [np.zeros((batch, n_steps, n), dtype=bool) for n in sizes] if record_spikes else None
    v_rec = [np.zeros((batch, n_steps, n)) for n in sizes] if record_v else None

    # In-place numpy operations throughout; each computes exactly what the textbook form
    # (v = where(not_ref, a_v * v + c_b * b + c_i * I, v), ...) computes, in the same order.
    steps = tqdm(range(n_steps), desc="clock sim", disable=not progress, leave=False)
    for step in steps:
        spikes, free = [], []
        for i, p in enumerate(network.neurons):  # 1. state update and 2. threshold
            c = coef[i]
            if ref_steps[i] > 0:
                not_ref = (step - last[i]) >= ref_steps[i]
                update = c.a_v * v[i] + drive[i]
                if p.tau_syn > 0:
                    update += c.c_i * cur[i]
                np.copyto(v[i], update, where=not_ref)
            else:  # nobody is ever refractory
                not_ref = None
                if c.a_v != 1.0:
                    v[i] *= c.a_v
                if has_drive[i]:
                    v[i] += drive[i]
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
        for i, p in enumerate(network.neurons):  # 3. synapses
            pre = x_steps[step] if i == 0 else spikes[i - 1]
            if not pre.any():
                continue
            syn_input = props[i](pre if i == 0 else pre.astype(np.float64))
            if p.tau_syn > 0:
                cur[i] += syn_input
            elif free[i] is None:
                v[i] += syn_input
            else:
                np.add(v[i], syn_input, out=v[i], where=free[i])
        for i, p in enumerate(network.neurons):  # 4. reset and recording
            s = spikes[i]
            if s.any():
                if p.reset == "zero":
                    np.copyto(v[i], 0.0, where=s)
                else:
                    np.subtract(v[i], p.v_th, out=v[i], where=s)
                if ref_steps[i] > 0:
                    np.copyto(last[i], step, where=s)
                counts[i] += s
                np.copyto(first[i], step, where=s & (first[i] < 0))
            if record_spikes:
                spike_rec[i][:, step] = s
            if record_v:
                v_rec[i][:, step] = v[i]

    # synaptic operations: every presynaptic spike reaches each of its synapses once
    input_counts = x.sum(axis=1).astype(np.int64)
    pre_counts = [input_counts] + counts[:-1]
    layers = [
        LayerRecord(
            spike_count=counts[i],
            first_spike_step=first[i],
            synops=pre_counts[i] @ network.fan_out(i).astype(np.int64),
            spikes=spike_rec[i] if record_spikes else None,
            v=v_rec[i] if record_v else None,
        )
        for i in range(n_layers)
    ]
    return SimRecord(layers, input_counts, float(dt), n_steps, "clock")
