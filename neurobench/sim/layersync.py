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

Relation to the clock simulator (``neurobench.sim.clock``, Brian2's schedule, checked spike for
spike against Brian2): there a step runs leak, threshold, synaptic input, reset, so a spike of
layer ``l`` at step ``n`` reaches layer ``l+1`` at once but can make it fire only at step ``n+1``
(one step of delay per layer); input arriving at step ``n`` is leaked once before its threshold
check; and a neuron that fires at step ``n`` discards the input that arrives in that step (its
reset comes after the synapses). Run naively (same ``dt``, same threshold) the two therefore
differ for LIF neurons with reset to zero (``clock_agreement`` quantifies it).

**Matching convention** for reset to zero (``clock_equivalent``): present each input frame on every ``gap``-th
clock step (``gap >= 2``, silent steps between), with clock step ``dt = frame_dt / gap`` and
threshold ``v_th' = a * v_th`` (``a = exp(-dt / tau_m)``, 1 for IF). Then layer ``l`` receives
frame ``t`` at clock step ``gap * t + l - 1`` and checks ``a * w >= a * v_th`` one step later,
where ``w`` is exactly this loop's ``v`` after the frame's input; the following steps carry no
input into that layer (so the zero reset discards nothing), no neuron crosses its threshold
without input (leak only shrinks ``|v|``), and ``gap`` leaks of ``a`` make this loop's ``beta``.
So layer ``l`` of the clock run spikes at step ``gap * t + l`` exactly when layer ``l`` of this
loop spikes in frame ``t`` (up to float rounding at exact ties; tested, and measured on the
trained models of the ``async`` stage). The input is padded by ``L`` silent steps so that the
last frame reaches the output. With reset by subtraction there is no such convention: a neuron
left above threshold after its spike fires again on the clock's silent steps, while this loop
allows one spike per layer pass; for IF neurons with reset by subtraction the step-shift relation
below holds instead.

For IF neurons with reset by subtraction, no bias, delta synapses and ``t_ref = 0`` (no gap, same
``dt`` and threshold), layer ``l`` of the clock simulator spikes at step ``n + l`` exactly when
layer ``l`` of this loop spikes at step ``n``; so for an input padded by ``L`` silent steps, the
clock run's spike counts of layer ``l`` equal this loop's counts over its first
``n_steps + L - l`` steps (the whole run when activity dies out within the padding).

The result is an ``AsyncRecord``: every frame counts as ``L`` forward steps (one per layer), so an
output spike of frame ``t`` has global step ``(t + 1) * L``.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from ..schema import replace
from .clock import simulate
from .coefficients import leak_factor
from .events import AsyncGraph, AsyncRecord, binary_frames

__all__ = ["clock_agreement", "clock_equivalent", "clock_frames", "simulate_layersync"]


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


def clock_equivalent(network: Network, frame_dt: float, gap: int = 2) -> tuple[Network, float]:
    """The network and clock step (ms) with which ``neurobench.sim.clock.simulate`` runs this
    loop's dynamics (module docstring, *matching convention*): every layer's threshold becomes
    ``a * v_th`` with ``a`` the leak factor over ``dt = frame_dt / gap``; returns
    ``(network', dt)``. Input frames go through ``clock_frames``."""
    if gap < 2:
        raise ValueError(f"gap must be >= 2 clock steps per frame, got {gap}")
    resets = {p.reset for p in network.neurons}
    if resets != {"zero"}:
        # with reset by subtraction a neuron left above threshold fires again on the silent steps
        raise ValueError(f"the matching convention needs reset 'zero' in every layer, got {sorted(resets)}")
    dt = frame_dt / gap
    neurons = tuple(replace(p, v_th=leak_factor(p, dt) * p.v_th) for p in network.neurons)
    return Network(network.input_shape, network.layers, neurons), dt


def clock_frames(input_frames, n_layers: int, gap: int = 2) -> np.ndarray:
    """Input frames (batch, n_frames, n_in) spread onto clock steps: frame ``t`` on step
    ``gap * t``, silent steps between, and ``n_layers`` silent steps at the end:
    (batch, gap * n_frames + n_layers, n_in) float64."""
    x = np.asarray(input_frames, dtype=np.float64)
    x = x.reshape(x.shape[0], x.shape[1], -1)
    out = np.zeros((x.shape[0], gap * x.shape[1] + n_layers, x.shape[2]))
    out[:, : gap * x.shape[1] : gap] = x
    return out


def clock_agreement(network: Network, input_frames, frame_dt: float, gap: int = 2) -> dict[str, float]:
    """Cross-check of this loop against the clock simulator on ``input_frames`` (batch,
    n_frames, n_in) of 0/1.

    Returns

    * ``spikes``: spikes of this loop (all layers, all samples), and ``mismatches``: (sample,
      frame, layer, neuron) entries where the clock run under the matching convention
      (``clock_equivalent``; layer ``l``'s step ``gap * t + l`` is frame ``t``) differs;
      ``agreement = 1 - mismatches / max(spikes, 1)``; ``prediction_agreement``: fraction of
      samples with the same decoded class (argmax of output counts, first index on ties);
    * ``naive_count_agreement``: fraction of (sample, neuron) spike counts that are equal when the
      clock simulator runs the network as it is (``dt = frame_dt``, same thresholds, input on
      every step, ``L`` silent steps padded), the size of the convention difference.
    """
    x = np.asarray(input_frames, dtype=np.float64)
    x = x.reshape(x.shape[0], x.shape[1], -1)
    batch, n_frames, _ = x.shape
    n_layers = len(network.layers)
    ref = simulate_layersync(network, x, frame_dt, record_frames=True)
    clock_net, dt = clock_equivalent(network, frame_dt, gap)
    rec = simulate(clock_net, clock_frames(x, n_layers, gap), dt, record_spikes=True)
    mismatches, spikes = 0, 0
    for i in range(n_layers):
        steps = gap * np.arange(n_frames) + i + 1
        clock = rec.layers[i].spikes[:, steps].astype(np.int64)
        mismatches += int(np.sum(clock != ref.frame_counts[i]))
        spikes += int(ref.frame_counts[i].sum())
        # nothing may fire on the steps between (a spike there has no layer-sync counterpart)
        mismatches += int(rec.layers[i].spikes.sum() - clock.sum())
    padded = np.concatenate([x, np.zeros((batch, n_layers, x.shape[2]))], axis=1)
    naive = simulate(network, padded, frame_dt)
    naive_equal = sum(int(np.sum(naive.layers[i].spike_count == ref.spike_count[i])) for i in range(n_layers))
    naive_total = sum(ref.spike_count[i].size for i in range(n_layers))
    same_class = np.argmax(rec.layers[-1].spike_count, axis=1) == np.argmax(ref.spike_count[-1], axis=1)
    return {"spikes": float(spikes), "mismatches": float(mismatches),
            "agreement": 1.0 - mismatches / max(spikes, 1),
            "prediction_agreement": float(np.mean(same_class)),
            "naive_count_agreement": naive_equal / naive_total}
