"""Activity metrics: activation sparsity, spike density, synaptic operations, membrane updates,
neuron operations.

Spikes are binary per neuron and step, so the harness's "non-zero activations" are spikes and
every synaptic operation of an SNN is an accumulate (AC), never a MAC. Per-sample quantities are
averaged over the batch, as the NeuroBench harness divides its totals by the number of samples.

Per-step metrics and the delay: every metric here counts over the steps of the record it is
given. A record of our simulators carries one step of delay per layer (``neurobench.metrics.delay``);
to compare with NeuroBench on an snnTorch run of the same ``T`` input steps, simulate
``pad_input(x, L)`` and pass ``zero_delay_record(record, network, T)``: on that record the
definitions below are NeuroBench's, value for value.
"""

from __future__ import annotations

import numpy as np

from ..network import AvgPool2d, Conv2d, Dense, Network
from ..sim.events import AsyncRecord
from ..sim.record import SimRecord
from ..units import MS_PER_S
from .harness import NEURON_OPS_PER_UPDATE, Convention, check_convention, neuron_module

__all__ = [
    "activation_sparsity",
    "activation_sparsity_by_layer",
    "membrane_updates",
    "neuron_operations",
    "spike_density",
    "spikes_per_neuron",
    "synaptic_operations",
]


def _layer_spikes_and_slots(record: SimRecord) -> tuple[np.ndarray, np.ndarray]:
    """Total spikes and neuron-step slots (batch * n_steps * n) of each layer, as float arrays."""
    spikes = np.array([float(layer.spike_count.sum()) for layer in record.layers])
    slots = np.array([float(layer.spike_count.size) * record.n_steps for layer in record.layers])
    return spikes, slots


def activation_sparsity(record: SimRecord) -> float:
    """Fraction of neuron-step activations that are zero, over all spiking layers.

    ``sparsity = 1 - (sum_l sum_i S_l^i) / (B * T * sum_l N_l)`` where ``S_l^i`` is the number of
    spikes of layer ``l`` in sample ``i``, ``N_l`` its neuron count, ``T`` the number of time
    steps and ``B`` the batch size; dimensionless in [0, 1] (1 = no spike at all). The input
    population is not a spiking layer of the model and is excluded; spikes are binary per step,
    so zero activations are exactly the neuron-steps without a spike.

    The same definition as NeuroBench's (every layer, pooling layers included, is one snnTorch
    neuron module); equal values on a ``zero_delay_record`` (module docstring). NeuroBench
    averages this stateless metric over batches weighted by batch size, which for batches of
    equal ``T`` is this overall fraction.

    Source: NeuroBench ``neurobench/metrics/workload/activation_sparsity.py``
    (``ActivationSparsity``: ``(total - count_nonzero) / total`` over the outputs of all
    activation modules, all timesteps and samples) and
    ``docs/metrics/workload_metrics/activation_sparsity.rst``.
    """
    spikes, slots = _layer_spikes_and_slots(record)
    return float(1.0 - spikes.sum() / slots.sum())


def activation_sparsity_by_layer(record: SimRecord) -> list[float]:
    """Fraction of zero activations of each layer: ``1 - S_l / (B * T * N_l)``, dimensionless.

    NeuroBench's ``ActivationSparsityByLayer`` (PR #252, ``metrics/workload/
    activation_sparsity_by_layer.py``) returns the same per named neuron module (a dict keyed by
    the module's name in its ``nn.Sequential``); here the list is indexed by layer. Equal
    values on a ``zero_delay_record``. ``1 - spike_density(record)["per_layer"]``.
    """
    spikes, slots = _layer_spikes_and_slots(record)
    return [float(1.0 - x) for x in spikes / slots]


def spike_density(record: SimRecord) -> dict:
    """Spikes per neuron per time step, overall and per layer (= 1 - activation sparsity).

    ``density_l = S_l / (B * T * N_l)`` in spikes / (neuron * step), and
    ``overall = sum_l S_l / (B * T * sum_l N_l)``. ``mean_rate_hz`` converts ``overall`` to a
    mean firing rate: ``overall * MS_PER_S / dt`` Hz (dt in ms).

    Returns ``{"overall": float, "per_layer": [float, ...], "mean_rate_hz": float}``.
    Not a NeuroBench metric: its complement is ``activation_sparsity`` (overall), and
    ``1 - per_layer`` is NeuroBench's ``ActivationSparsityByLayer``.
    """
    spikes, slots = _layer_spikes_and_slots(record)
    overall = float(spikes.sum() / slots.sum())
    return {
        "overall": overall,
        "per_layer": [float(x) for x in spikes / slots],
        "mean_rate_hz": overall * MS_PER_S / record.dt,
    }


def _membrane_updates_per_layer(record: SimRecord) -> list[float]:
    """``U_l`` of ``membrane_updates`` for every layer, summed over the batch (not divided)."""
    per_layer = []
    for i, layer in enumerate(record.layers):
        if layer.v is None:
            raise ValueError(
                f"membrane_updates needs membrane potentials: layer {i} has no v (record_v=True)"
            )
        v = layer.v
        batch, _, n = v.shape
        per_layer.append(float(batch * n + np.count_nonzero(v[:, 1:] != v[:, :-1])))
    return per_layer


def membrane_updates(record: SimRecord) -> dict:
    """Membrane-potential updates per sample, total and per layer; needs recorded ``v``.

    NeuroBench counts, for every neuron, the first time step as an update and then every step
    whose potential differs from the previous step's:
    ``U_l = N_l * B + sum_{t >= 1} #{(i, k): v_l[i, t, k] != v_l[i, t-1, k]}``, and reports
    ``sum_l U_l / B`` (updates per sample).

    ``v`` here is recorded after the reset. The harness compares snnTorch's ``mem`` before and
    after each step (``pre_fire_mem_potential``/``post_fire_mem_potential``), and snnTorch's
    ``mem`` after step ``t`` is ours after step ``t + l`` in layer ``l``
    (``neurobench.metrics.delay``): on a ``zero_delay_record`` the two counts are equal. The
    harness sums per neuron-module type; the total is the same.

    Source: NeuroBench ``neurobench/metrics/workload/membrane_updates.py`` (``MembraneUpdates``)
    and ``docs/metrics/workload_metrics/membrane_updates.rst``.

    Returns ``{"total": float, "per_layer": [float, ...]}``.
    """
    batch = record.layers[0].spike_count.shape[0]
    per_layer = [u / batch for u in _membrane_updates_per_layer(record)]
    return {"total": float(sum(per_layer)), "per_layer": per_layer}


def neuron_operations(record: SimRecord, network: Network) -> dict:
    """Neuron operations per sample (NeuroBench ``NeuronOperations``, PR #266); needs ``v``.

    Every membrane update costs ``c_l`` operations, set by the layer's snnTorch neuron module and
    reset mode (``harness.NEURON_OPS_PER_UPDATE``: ``Leaky`` 4 for either reset, ``Synaptic`` 6
    for subtract, 8 for zero; IF and LIF with delta synapses are ``Leaky``):

    * ``"Effective Neuron Ops" = (1/B) * sum_l c_l * U_l`` with ``U_l`` the membrane updates of
      ``membrane_updates``;
    * ``"Neuron Dense Ops" = (1/B) * sum_l c_l * B * T * N_l = T * sum_l c_l * N_l``: every
      neuron updated every step.

    Units: operations per sample. Equal to the harness's on a ``zero_delay_record``.

    Source: NeuroBench ``neurobench/metrics/workload/neuron_operations.py``.

    Returns the two keys above (NeuroBench's names) and ``"per_layer"``: the effective
    operations of each layer per sample.
    """
    _check_network(record, network)
    batch = record.layers[0].spike_count.shape[0]
    cost = [NEURON_OPS_PER_UPDATE[neuron_module(p)][p.reset] for p in network.neurons]
    effective = [c * u / batch for c, u in zip(cost, _membrane_updates_per_layer(record))]
    dense = record.n_steps * sum(c * n for c, n in zip(cost, network.sizes[1:]))
    return {
        "Effective Neuron Ops": float(sum(effective)),
        "Neuron Dense Ops": float(dense),
        "per_layer": [float(e) for e in effective],
    }


def spikes_per_neuron(record: AsyncRecord) -> np.ndarray:
    """Spikes per neuron of each sample of an asynchronous run, shape (batch,) float:
    ``sum_l sum_i c_{l,i} / N`` with ``c_{l,i}`` the spike count of neuron ``i`` of layer ``l``
    over the whole run and ``N`` the number of spiking neurons (input excluded). Frames have no
    fixed number of steps, so unlike ``spike_density`` this is not per time step."""
    return record.spikes_per_sample() / record.n_neurons


def _dense_connections(network: Network, index: int) -> int:
    """Synapses of layer ``index`` counting zero weights: what an all-ones forward pass counts."""
    layer, shape = network.layers[index], network.shapes[index]
    if isinstance(layer, Dense):
        return int(layer.weight.size)
    if isinstance(layer, Conv2d):
        ones = Conv2d(np.ones_like(layer.weight), None, layer.stride, layer.padding)
        return int(ones.connectivity(shape)[0].size)  # in-bounds taps only: padding is zero
    if isinstance(layer, AvgPool2d):
        return int(layer.connectivity(shape)[0].size)
    raise TypeError(f"unknown layer type {type(layer).__name__}")


def _check_network(record: SimRecord, network: Network) -> None:
    if len(network.layers) != len(record.layers):
        raise ValueError(
            f"network has {len(network.layers)} layers, record has {len(record.layers)}"
        )
    for i, layer in enumerate(record.layers):
        if layer.spike_count.shape[1] != network.sizes[i + 1]:
            raise ValueError(
                f"layer {i}: record has {layer.spike_count.shape[1]} neurons, "
                f"network has {network.sizes[i + 1]}"
            )


def synaptic_operations(
    record: SimRecord,
    network: Network | None = None,
    include_pooling: bool | None = None,
    convention: Convention = "workbench",
) -> dict:
    """Synaptic operations per sample (NeuroBench ``Effective_MACs``, ``Effective_ACs``, ``Dense``).

    * ``Effective_ACs = (1/B) * sum_l sum_i sum_t sum_j s_{l-1}[i, t, j] * fanout_l(j)``: every
      presynaptic spike (input spikes for the first layer) counts once per non-zero synapse it
      reaches. That is ``record.layers[l].synops`` averaged over the batch, for any backend.
      Units: operations per sample.
    * ``Effective_MACs = 0``: inputs and hidden activations are binary spikes, so the harness
      classifies every operation as an accumulate (its ``binary_inputs`` test).
    * ``Dense = (1/B) * sum_l B * T * C_l = T * sum_l C_l``, with ``C_l`` the layer's synapses
      counting zero weights (all-ones weights and inputs): ``n_out * n_in`` for ``Dense``, the
      in-bounds kernel taps for ``Conv2d`` (zero padding adds none), ``k**2`` per output neuron
      for ``AvgPool2d``. Needs ``network``; ``None`` without it. Units: operations per sample.

    Biases (constant drives) are not synaptic operations, as in the harness.

    Pooling, the one difference of definition: the harness only hooks Linear/Conv/recurrent
    modules and never counts pooling. Here ``AvgPool2d`` is a connection layer with its own
    spiking population (a depthwise convolution with fixed weights) whose synapses a
    neuromorphic chip does implement, so ``convention="workbench"`` counts it by default
    (``include_pooling=None`` means True); ``include_pooling=False`` (needs ``network``) drops
    it from the totals. ``convention="neurobench"`` never counts pooling (needs ``network``;
    ``include_pooling=True`` is an error there). Per-layer lists always hold every layer.

    The per-step counts follow the record's steps: equal to the harness's on a
    ``zero_delay_record`` (module docstring); ``Dense`` uses the record's ``n_steps``.

    Source: NeuroBench ``neurobench/metrics/workload/synaptic_operations.py``
    (``SynapticOperations.compute``: totals divided by the number of samples),
    ``neurobench/metrics/utils/layers/macs.py`` (``single_layer_MACs``: binarized weights times
    binarized inputs; ``total=True`` uses all ones) and
    ``docs/metrics/workload_metrics/synaptic_operations.rst``.

    Returns
    -------
    dict with keys ``"Effective_MACs"``, ``"Effective_ACs"``, ``"Dense"`` (floats, ``Dense``
    ``None`` without a network), ``"Effective_ACs_per_layer"`` and ``"Dense_per_layer"``
    (lists over all layers, pooling included; ``Dense_per_layer`` ``None`` without a network).
    """
    check_convention(convention)
    if convention == "neurobench":
        if include_pooling:
            raise ValueError('include_pooling=True contradicts convention="neurobench" '
                             "(NeuroBench never counts pooling); leave it None")
        if network is None:
            raise ValueError('convention="neurobench" needs the network to know which layers pool')
        include_pooling = False
    elif include_pooling is None:
        include_pooling = True
    batch = record.layers[0].spike_count.shape[0]
    acs = [float(np.sum(layer.synops, dtype=np.float64)) / batch for layer in record.layers]
    counted = [True] * len(acs)
    dense = None
    if network is not None:
        _check_network(record, network)
        dense = [float(record.n_steps * _dense_connections(network, i)) for i in range(len(acs))]
        if not include_pooling:
            counted = [not isinstance(layer, AvgPool2d) for layer in network.layers]
    elif not include_pooling:
        raise ValueError("include_pooling=False needs the network to know which layers pool")
    return {
        "Effective_MACs": 0.0,
        "Effective_ACs": float(sum(a for a, c in zip(acs, counted) if c)),
        "Dense": None if dense is None else float(sum(d for d, c in zip(dense, counted) if c)),
        "Effective_ACs_per_layer": acs,
        "Dense_per_layer": dense,
    }
