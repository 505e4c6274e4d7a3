"""The one-step-per-layer delay of our simulators and the zero-delay stack of snnTorch.

Our clock simulator (like Brian2, whose schedule it follows) thresholds a layer *before* the
spikes of the current step arrive: the spikes of layer ``l-1`` at step ``n`` (input spikes for
layer 0) are added to layer ``l`` in step ``n`` after its threshold test, so they can make it
spike at step ``n + 1`` at the earliest (``neurobench.sim.clock``). An snnTorch
``nn.Sequential`` (what NeuroBench's ``SNNTorchModel`` runs) is zero-delay: within one step,
layer ``l`` integrates the spikes layer ``l-1`` has just emitted and fires at once; its reset is
applied at the next step (``reset_delay=True``). For layers ``l = 0 .. L-1``, input step ``t``:

* spikes:    ``S_ours[l][:, t + l + 1] == S_snntorch[l][:, t]``;
* membrane:  ``v_ours[l][:, t + l] == mem_snntorch[l][:, t]``: our potential after the reset
  equals snnTorch's ``mem`` (input integrated, reset of the previous step's spike applied),
  since both follow ``v[t] = beta * v[t-1] + W s[t] - v_th * spike[t-1]``.

So a native snnTorch run of ``T`` steps sees the effect of every input step, while ours over the
same ``T`` steps drops the last ``l + 1`` steps of layer ``l`` (the output layer's final ``L``
steps). To compare step by step: simulate ``pad_input(x, L)`` (``T + L`` steps, the last ``L``
silent) and pass the record to ``zero_delay_record``, which cuts each layer's window of ``T``
steps in snnTorch's time. Every metric of ``neurobench.metrics`` on that record, with
``convention="neurobench"``, then equals NeuroBench's on the snnTorch run.

The spike trains themselves coincide exactly for IF neurons with delta synapses, reset by
subtraction, no refractory period and no bias beyond layer 0, up to the threshold comparison
(ours ``v >= v_th``, snnTorch ``mem > v_th``: equal only when a potential hits the threshold
exactly). LIF neurons differ by one leak factor at the threshold test (ours tests the decayed
potential), zero reset differs in the step after a spike (ours drops the input that arrives with
the spike, snnTorch keeps it), so there only the metric definitions are shared, not the trains.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from ..sim.record import LayerRecord, SimRecord

__all__ = ["pad_input", "zero_delay_record"]


def pad_input(input_spikes, n_layers: int) -> np.ndarray:
    """``input_spikes`` (batch, T, ...) followed by ``n_layers`` silent steps on axis 1, so that
    every layer's response to every input step lies within the run (shape (batch, T + L, ...))."""
    x = np.asarray(input_spikes)
    if x.ndim < 2:
        raise ValueError(f"input_spikes must have shape (batch, n_steps, ...), got {x.shape}")
    if isinstance(n_layers, bool) or not isinstance(n_layers, (int, np.integer)) or n_layers < 0:
        raise ValueError(f"n_layers must be an integer >= 0, got {n_layers!r}")
    pad = np.zeros((x.shape[0], int(n_layers)) + x.shape[2:], dtype=x.dtype)
    return np.concatenate([x, pad], axis=1)


def _first_step(spikes: np.ndarray) -> np.ndarray:
    """First step with a spike of each (sample, neuron), -1 when none; spikes (batch, T, n)."""
    any_spike = spikes.any(axis=1)
    return np.where(any_spike, np.argmax(spikes, axis=1), -1).astype(np.int64)


def zero_delay_record(record: SimRecord, network: Network, n_steps: int) -> SimRecord:
    """The record of a run on ``pad_input(x, L)`` in snnTorch's zero-delay time, ``n_steps`` = T.

    Layer ``l`` keeps spikes of steps ``l + 1 .. l + T`` and potentials of steps ``l .. l + T - 1``
    (module docstring), renumbered ``0 .. T - 1``; spike counts, first-spike steps and synaptic
    operations (presynaptic spikes within the window times their fan-out; input spikes for layer
    0) are recomputed from them, and ``n_steps`` becomes ``T``. Needs the spike trains
    (``record_spikes=True``); potentials are carried over when recorded.

    Raises ``ValueError`` when the record is shorter than ``T + L`` steps, has no spike trains,
    does not match ``network``, or when a layer beyond the first has a non-zero bias (a constant
    drive integrates during our delay steps, so no window of ours matches snnTorch's).
    """
    n_layers = len(network.layers)
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    if len(record.layers) != n_layers:
        raise ValueError(f"network has {n_layers} layers, record has {len(record.layers)}")
    if record.n_steps < n_steps + n_layers:
        raise ValueError(
            f"record has {record.n_steps} steps; zero_delay_record needs n_steps + n_layers = "
            f"{n_steps + n_layers} (simulate pad_input(x, {n_layers}))"
        )
    for i, layer in enumerate(network.layers[1:], start=1):
        if np.any(network.bias(i) != 0):
            raise ValueError(f"layer {i} ({type(layer).__name__}) has a non-zero bias: only "
                             "layer 0 may have one for the delay alignment to be exact")
    layers = []
    pre_counts = record.input_spike_count.astype(np.int64)
    for i, rec in enumerate(record.layers):
        if rec.spikes is None:
            raise ValueError(f"zero_delay_record needs spike trains: layer {i} has none (record_spikes=True)")
        if rec.spikes.shape[2] != network.sizes[i + 1]:
            raise ValueError(f"layer {i}: record has {rec.spikes.shape[2]} neurons, network has {network.sizes[i + 1]}")
        spikes = rec.spikes[:, i + 1 : i + 1 + n_steps]
        v = None if rec.v is None else rec.v[:, i : i + n_steps]
        counts = spikes.sum(axis=1).astype(np.int64)
        layers.append(LayerRecord(
            spike_count=counts,
            first_spike_step=_first_step(spikes),
            synops=pre_counts @ network.fan_out(i).astype(np.int64),
            spikes=spikes,
            v=v,
        ))
        pre_counts = counts
    return SimRecord(layers, record.input_spike_count, record.dt, int(n_steps), f"{record.backend}/zero_delay")
