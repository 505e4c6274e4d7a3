"""The NeuroBench-style metrics table of one clock-driven run, as plain numbers for ``metrics.json``."""

from __future__ import annotations

import numpy as np

from ..network import Network
from ..sim.record import SimRecord
from .accuracy import classification_accuracy
from .activity import (
    activation_sparsity,
    membrane_updates,
    neuron_operations,
    spike_density,
    synaptic_operations,
)
from .checks import UNDECIDED, TieBreak, class_indices
from .decode import predict
from .footprint import connection_sparsity, footprint, parameter_count
from .harness import Convention, check_convention
from .latency import latency_to_decision

__all__ = ["json_metrics", "summary"]


def summary(
    record: SimRecord,
    labels,
    network: Network | None = None,
    tie_break: TieBreak = "first_spike",
    convention: Convention = "workbench",
) -> dict[str, float | int | None]:
    """Flat dict of plain Python numbers for ``metrics.json``, keys in a fixed order.

    ``convention`` (``neurobench.metrics.harness``): ``"workbench"`` (default) gives our
    definitions; ``"neurobench"`` gives NeuroBench 2.3.0's values for every NeuroBench metric
    (argmax accuracy, synaptic operations without pooling, parameter count and footprint of the
    equivalent snnTorch model, connection sparsity rounded to 4 decimals) and adds NeuroBench's
    ``NeuronOperations``; use it for NeuroBench-style tables. Pass a ``zero_delay_record``
    (``neurobench.metrics.delay``) to get, step for step, the numbers NeuroBench reports for the
    snnTorch run on the same input.

    Always, in this order:

    * ``accuracy`` (``classification_accuracy`` of ``predict(record, tie_break, convention=...)``),
      ``undecided_fraction`` (workbench only: samples without a decision / B), ``n_samples``;
    * ``activation_sparsity``, ``spike_density`` (overall, spikes / (neuron * step)),
      ``mean_rate_hz``, ``spikes_per_sample`` (all layers), ``output_spikes_per_sample``;
    * ``effective_acs``, ``effective_macs`` (NeuroBench ``Effective_ACs`` / ``Effective_MACs``
      per sample; pooling layers included for ``"workbench"``, never for ``"neurobench"``);

    then, only with ``network``: ``dense_synops`` (NeuroBench ``Dense``),
    ``connection_sparsity``, ``parameter_count``, ``footprint_bytes`` (float32);
    only when the output spike trains were recorded: ``latency_steps_mean``, ``latency_ms_mean``
    (``latency_to_decision`` means over the decided samples; ``None``, written as JSON null, if
    no sample is decided, since ``metrics.json`` rejects NaN);
    only when every layer's ``v`` was recorded: ``membrane_updates``, and with ``network`` and
    ``convention="neurobench"``: ``neuron_ops_effective``, ``neuron_ops_dense`` (NeuroBench
    ``Effective Neuron Ops``, ``Neuron Dense Ops`` per sample; ``"neurobench"`` needs the
    network);
    latencies are our decoder's (not a NeuroBench metric) in both conventions;
    and last, for each layer ``l``: ``spike_density_layer{l}``, ``effective_acs_layer{l}``.
    The keys depend only on what is passed and recorded, never on the data, so one pipeline
    stage always writes the same keys in the same order.
    """
    check_convention(convention)
    if convention == "neurobench" and network is None:
        raise ValueError('summary(convention="neurobench") needs the network (pooling layers, '
                         "parameters and neuron modules)")
    lab = class_indices("labels", labels)
    batch = record.layers[0].spike_count.shape[0]
    if lab.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {lab.shape}")
    nb = convention == "neurobench"
    pred = predict(record, tie_break, convention=convention)
    density = spike_density(record)
    synops = synaptic_operations(record, network, convention=convention)
    out: dict[str, float | int | None] = {"accuracy": classification_accuracy(pred, lab)}
    if not nb:
        out["undecided_fraction"] = float(np.mean(pred == UNDECIDED))
    out |= {
        "n_samples": int(batch),
        "activation_sparsity": activation_sparsity(record),
        "spike_density": density["overall"],
        "mean_rate_hz": density["mean_rate_hz"],
        "spikes_per_sample": float(record.spikes_per_layer().sum()) / batch,
        "output_spikes_per_sample": float(record.output.spike_count.sum()) / batch,
        "effective_acs": synops["Effective_ACs"],
        "effective_macs": synops["Effective_MACs"],
    }
    if network is not None:
        out["dense_synops"] = synops["Dense"]
        out["connection_sparsity"] = connection_sparsity(network, convention)
        out["parameter_count"] = parameter_count(network, convention)
        out["footprint_bytes"] = footprint(network, convention=convention)
    if record.output.spikes is not None:
        lat = latency_to_decision(record, tie_break=tie_break)
        decided = lat.n_undecided < batch
        out["latency_steps_mean"] = lat.mean_step if decided else None
        out["latency_ms_mean"] = lat.mean_ms if decided else None
    if all(layer.v is not None for layer in record.layers):
        out["membrane_updates"] = membrane_updates(record)["total"]
        if nb:
            ops = neuron_operations(record, network)
            out["neuron_ops_effective"] = ops["Effective Neuron Ops"]
            out["neuron_ops_dense"] = ops["Neuron Dense Ops"]
    for i, (d, a) in enumerate(zip(density["per_layer"], synops["Effective_ACs_per_layer"])):
        out[f"spike_density_layer{i}"] = d
        out[f"effective_acs_layer{i}"] = a
    return out


def json_metrics(values: dict, prefix: str = "", skip=()) -> dict[str, float | int | str]:
    """The entries of ``values`` that ``metrics.json`` can hold, keys prefixed with ``prefix``:
    ``None`` values (a latency without any decided sample) and the keys in ``skip`` (after
    prefixing: metrics a report already writes under the same name) are left out."""
    out = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if value is None or name in skip:
            continue
        out[name] = value
    return out
