"""Zero-delay layer-synchronized execution: the snnTorch-style loop, per frame, over all layers.

For every frame ``t`` (one time step of ``frame_dt`` ms) and every layer ``l = 1..L`` in order::

    v_l <- beta_l * v_l + W_l s_{l-1}(t)        (s_0(t) = input frame t; beta = exp(-frame_dt/tau_m), 1 for IF)
    s_l(t) = [v_l >= v_th]
    v_l <- 0 where s_l (reset "zero")  or  v_l - v_th where s_l ("subtract")

A spike of layer ``l`` reaches layer ``l+1`` within the same step (no synaptic delay), so an input
frame can drive the output in the same step. This is the layer-synchronized baseline of
Koopman et al. (2024): an snnTorch ``Leaky(reset_mechanism="zero", reset_delay=False)`` network
(up to its strict ``>`` threshold test), and the execution that asynchronous scheduling
(``neurobench.sim.asynchronous``) reproduces exactly with ``F`` >= every layer width, random
scheduling, non-prioritised input and reset to zero.

Relation to the clock simulator (``neurobench.sim.clock``, Brian2's schedule): there a spike of
layer ``l`` at step ``n`` reaches layer ``l+1`` at once but can make it fire only at step
``n+1`` (one step of delay per layer), and input arriving at step ``n`` is leaked before its
next threshold check. For IF neurons with reset by subtraction, no bias, delta synapses and
``t_ref = 0`` the relation is exact: layer ``l`` of the clock simulator spikes at step ``n + l``
exactly when layer ``l`` of this loop spikes at step ``n`` (tested); so for an input padded by
``L`` silent steps, the clock run's spike counts of layer ``l`` equal this loop's counts over its
first ``n_steps + L - l`` steps (the whole run when activity dies out within the padding). With
leak or reset to zero the two differ (the clock simulator leaks input once before its first
threshold check; its zero reset discards the input that arrives in the spike step).

The result is an ``AsyncRecord``: every frame counts as ``L`` forward steps (one per layer), so an
output spike of frame ``t`` has global step ``(t + 1) * L``.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from .events import AsyncGraph, AsyncRecord, binary_frames

__all__ = ["simulate_layersync"]


def simulate_layersync(network: Network, input_frames, frame_dt: float = 1.0,
                       record_frames: bool = False) -> AsyncRecord:
    """Run ``network`` layer-synchronized with zero delay (see the module docstring).

    Parameters
    ----------
    network : Network
        Bias-free, delta synapses, ``t_ref = 0`` (checked as for asynchronous execution).
    input_frames : array (batch, n_frames, *input_shape) of 0/1
    frame_dt : float
        Frame length in ms (> 0), sets the leak factor.
    record_frames : bool
        Keep per-frame spike counts of every layer.
    """
    graph = AsyncGraph.build(network, frame_dt)
    x = binary_frames(graph, input_frames).astype(np.float64)
    batch, n_frames, _ = x.shape
    n_layers = graph.n_layers
    mats = [network.weight_matrix(i) for i in range(n_layers)]
    fan_out = [network.fan_out(i).astype(np.int64) for i in range(n_layers)]
    v = [np.zeros((batch, s)) for s in graph.sizes[1:]]
    counts = [np.zeros((batch, s), dtype=np.int64) for s in graph.sizes[1:]]
    frames = [np.zeros((batch, n_frames, s), dtype=np.int64) for s in graph.sizes[1:]] if record_frames else None
    synops = np.zeros((batch, n_layers), dtype=np.int64)
    n_out = graph.sizes[-1]
    first = np.full((batch, n_out), -1, dtype=np.int64)
    first_spikes = np.full((batch, n_out), -1, dtype=np.int64)
    total = np.zeros(batch, dtype=np.int64)
    events = []
    for t in range(n_frames):
        s = x[:, t]
        for i, p in enumerate(network.neurons):
            synops[:, i] += (s @ fan_out[i]).astype(np.int64)
            v[i] *= graph.beta_layer[i]
            v[i] += np.asarray(mats[i] @ s.T).T
            fired = v[i] >= p.v_th
            if p.reset == "zero":
                v[i][fired] = 0.0
            else:
                v[i][fired] -= p.v_th
            counts[i] += fired
            total += fired.sum(axis=1)
            if record_frames:
                frames[i][:, t] = fired
            s = fired.astype(np.float64)
        step = (t + 1) * n_layers
        fired = s > 0
        new = fired & (first < 0)
        first[new] = step
        first_spikes[new] = np.broadcast_to(total[:, None], new.shape)[new]
        b, j = np.nonzero(fired)
        events.append((b, j, np.full(b.size, step, dtype=np.int64)))
    output_events = tuple(np.concatenate(col).astype(np.int64) for col in zip(*events))
    return AsyncRecord(
        spike_count=counts,
        synops=synops,
        input_events=x.sum(axis=(1, 2)).astype(np.int64),
        forward_steps=np.full((batch, n_frames), n_layers, dtype=np.int64),
        first_output_step=first,
        spikes_at_first_output=first_spikes,
        output_events=output_events,
        frame_counts=frames,
        dropped=np.zeros(batch, dtype=np.int64),
        halted=np.zeros(batch, dtype=bool),
    )
