"""NeuroBench-compatible metrics over simulation records and networks.

The names and definitions follow the NeuroBench harness (github.com/NeuroBench/neurobench,
package ``neurobench.metrics``), so numbers computed here compare with its leaderboards. Each
function's docstring gives its formula, its units and the harness file it follows; where this
module departs from the harness it says so. All functions are pure: numpy arrays,
``SimRecord`` / ``LayerRecord`` (``neurobench.sim.record``) and ``Network`` in, numbers out.

Conventions
-----------
* A *sample* is one entry of the batch; per-sample quantities are averaged over the batch, as
  the harness divides its accumulated totals by the number of samples.
* A *decision* is the index of the winning output neuron, or ``UNDECIDED`` (-1) when no output
  neuron spiked (or, with ``tie_break="undecided"``, when the top count is tied). An undecided
  sample never matches a label, so it counts as wrong.
* Time step ``n`` is time ``n * dt`` ms, as in ``SimRecord.first_spike_time``.
* Spikes are binary per neuron and step, so "non-zero activations" (the harness's words) are
  spikes, and every synaptic operation of an SNN is an accumulate (AC), never a MAC.

Public API
----------
``classification_accuracy``, ``agreement``, ``predict_from_counts``, ``predict``,
``activation_sparsity``, ``activation_sparsity_by_layer``, ``spike_density``,
``synaptic_operations``, ``membrane_updates``, ``connection_sparsity``, ``parameter_count``,
``footprint``, ``latency_to_decision`` (returns ``DecisionLatency``) and ``summary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .network import AvgPool2d, Conv2d, Dense, Network
from .sim.record import SimRecord

UNDECIDED = -1
TieBreak = Literal["first_spike", "lowest_index", "undecided"]
TIE_BREAKS = ("first_spike", "lowest_index", "undecided")
BYTES_FLOAT32 = 4
MS_PER_S = 1000.0
_CHUNK_ELEMENTS = 1 << 22  # cap on (samples x steps x neurons) held at once by latency_to_decision


# --------------------------------------------------------------------------------------------
# decisions and accuracy
# --------------------------------------------------------------------------------------------


def _labels_1d(name: str, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold integer class indices")
        arr = arr.astype(np.int64)
    return arr


def _same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a!r} and {name_b!r} must have the same shape, got {a.shape} and {b.shape}"
        )


def classification_accuracy(predictions, labels) -> float:
    """Fraction of samples whose predicted class equals the label.

    ``accuracy = (1/B) * sum_i [pred_i == label_i]``, dimensionless in [0, 1]. Undecided
    predictions (-1) never equal a label (labels must be >= 0), so they count as wrong.

    Source: NeuroBench ``neurobench/metrics/workload/classification_accuracy.py``
    (``ClassificationAccuracy``: ``mean(preds == labels)``, with the shape check of
    ``metrics/utils/decorators/check_shape.py``).
    """
    pred = _labels_1d("predictions", predictions)
    lab = _labels_1d("labels", labels)
    _same_shape("predictions", pred, "labels", lab)
    if np.any(lab < 0):
        raise ValueError("labels must be class indices >= 0")
    return float(np.mean(pred == lab))


def agreement(pred_a, pred_b, count_undecided: bool = False) -> float:
    """Fraction of samples on which two models decide the same class.

    ``agreement = (1/B) * sum_i [a_i == b_i and a_i != -1]``, dimensionless in [0, 1]: a sample
    where both models are undecided is not a shared decision, so it counts as a disagreement
    unless ``count_undecided=True`` (then it is ``mean(a == b)``). Not a NeuroBench metric;
    used to compare simulators or a converted SNN with its source ANN.
    """
    a = _labels_1d("pred_a", pred_a)
    b = _labels_1d("pred_b", pred_b)
    _same_shape("pred_a", a, "pred_b", b)
    same = a == b
    if not count_undecided:
        same &= a != UNDECIDED
    return float(np.mean(same))


def _check_tie_break(tie_break) -> None:
    if not (isinstance(tie_break, str) and tie_break in TIE_BREAKS):
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")


def _decide(counts: np.ndarray, first: np.ndarray | None, tie_break: str) -> np.ndarray:
    """Decisions over the last axis of ``counts`` (any leading shape); see predict_from_counts."""
    top = counts.max(axis=-1)
    tied = counts == top[..., None]
    if tie_break == "first_spike":
        # Every tied neuron has count >= 1 when top >= 1, so its first spike step is >= 0.
        key = np.where(tied, first, np.iinfo(np.int64).max)
        tied &= key == key.min(axis=-1, keepdims=True)
    decision = np.argmax(tied, axis=-1).astype(np.int64)  # first True: lowest index
    if tie_break == "undecided":
        decision[tied.sum(axis=-1) > 1] = UNDECIDED
    decision[top <= 0] = UNDECIDED
    return decision


def predict_from_counts(
    spike_count,
    first_spike_step=None,
    *,
    tie_break: TieBreak = "first_spike",
) -> np.ndarray:
    """Decision of each sample: the output neuron with the most spikes, shape (batch,) int64.

    Parameters
    ----------
    spike_count : (batch, n_classes) int
        Output spike counts (``record.output.spike_count``).
    first_spike_step : (batch, n_classes) int, optional
        First spike step of each output neuron, -1 for never (``record.output.first_spike_step``);
        needed by the default tie-break.
    tie_break (keyword only) : "first_spike", "lowest_index" or "undecided"
        How several neurons sharing the top count are resolved, deterministically:

        * ``"first_spike"`` (default): the tied neuron whose first spike came earliest
          (smallest ``first_spike_step``), then the lowest index among those still tied;
          needs ``first_spike_step``;
        * ``"lowest_index"``: the lowest index among the tied neurons (``np.argmax``);
        * ``"undecided"``: any tie gives -1.

    Returns
    -------
    (batch,) int64: the winning class index, or -1 (``UNDECIDED``) for samples where no output
    neuron spiked (or a tie under ``"undecided"``); such samples count as wrong in
    ``classification_accuracy``.
    """
    _check_tie_break(tie_break)
    counts = np.asarray(spike_count)
    if counts.ndim != 2 or counts.shape[1] < 1:
        raise ValueError(f"spike_count must have shape (batch, n_classes), got {counts.shape}")
    first = None
    if tie_break == "first_spike":
        if first_spike_step is None:
            raise ValueError('tie_break="first_spike" needs first_spike_step')
        first = np.asarray(first_spike_step, dtype=np.int64)
        _same_shape("spike_count", counts, "first_spike_step", first)
    return _decide(counts, first, tie_break)


def predict(record: SimRecord, tie_break: TieBreak = "first_spike") -> np.ndarray:
    """``predict_from_counts`` on the record's output layer, shape (batch,) int64."""
    out = record.output
    return predict_from_counts(out.spike_count, out.first_spike_step, tie_break=tie_break)


# --------------------------------------------------------------------------------------------
# activity
# --------------------------------------------------------------------------------------------


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

    Source: NeuroBench ``neurobench/metrics/workload/activation_sparsity.py``
    (``ActivationSparsity``: ``(total - count_nonzero) / total`` over the outputs of all
    activation modules, all timesteps and samples) and
    ``docs/metrics/workload_metrics/activation_sparsity.rst``.
    """
    spikes, slots = _layer_spikes_and_slots(record)
    return float(1.0 - spikes.sum() / slots.sum())


def activation_sparsity_by_layer(record: SimRecord) -> list[float]:
    """Activation sparsity of each layer: ``1 - S_l / (B * T * N_l)``, dimensionless.

    Source: NeuroBench ``neurobench/metrics/workload/activation_sparsity_by_layer.py``
    (``ActivationSparsityByLayer``).
    """
    spikes, slots = _layer_spikes_and_slots(record)
    return [float(x) for x in 1.0 - spikes / slots]


def spike_density(record: SimRecord) -> dict:
    """Spikes per neuron per time step, overall and per layer (= 1 - activation sparsity).

    ``density_l = S_l / (B * T * N_l)`` in spikes / (neuron * step), and
    ``overall = sum_l S_l / (B * T * sum_l N_l)``. ``mean_rate_hz`` converts ``overall`` to a
    mean firing rate: ``overall * 1000 / dt`` Hz (dt in ms).

    Returns ``{"overall": float, "per_layer": [float, ...], "mean_rate_hz": float}``.
    Not a NeuroBench metric (its complement is ``activation_sparsity``).
    """
    spikes, slots = _layer_spikes_and_slots(record)
    overall = float(spikes.sum() / slots.sum())
    return {
        "overall": overall,
        "per_layer": [float(x) for x in spikes / slots],
        "mean_rate_hz": overall * MS_PER_S / record.dt,
    }


def membrane_updates(record: SimRecord) -> dict:
    """Membrane-potential updates per sample, total and per layer; needs recorded ``v``.

    NeuroBench counts, for every neuron, the first time step as an update and then every step
    whose post-step potential differs from the previous step's post-step potential:
    ``U_l = N_l * B + sum_{t >= 1} #{(i, k): v_l[i, t, k] != v_l[i, t-1, k]}``, and reports
    ``sum_l U_l / B`` (updates per sample). ``v`` here is recorded after the reset, like the
    harness's ``post_fire_mem_potential``.

    Source: NeuroBench ``neurobench/metrics/workload/membrane_updates.py`` (``MembraneUpdates``)
    and ``docs/metrics/workload_metrics/membrane_updates.rst``.

    Returns ``{"total": float, "per_layer": [float, ...]}``.
    """
    per_layer = []
    for i, layer in enumerate(record.layers):
        if layer.v is None:
            raise ValueError(
                f"membrane_updates needs membrane potentials: layer {i} has no v (record_v=True)"
            )
        v = layer.v
        batch, _, n = v.shape
        changed = np.count_nonzero(v[:, 1:] != v[:, :-1])
        per_layer.append(float(batch * n + changed) / batch)
    return {"total": float(sum(per_layer)), "per_layer": per_layer}


# --------------------------------------------------------------------------------------------
# synaptic operations and static metrics
# --------------------------------------------------------------------------------------------


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
    record: SimRecord, network: Network | None = None, include_pooling: bool = True
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

    Deviation: the harness only hooks Linear/Conv/recurrent modules and skips pooling, which in
    its PyTorch models is an operation between a connection layer and its neurons. Here
    ``AvgPool2d`` is a connection layer with its own spiking population (a depthwise
    convolution with fixed weights), so it is counted by default; ``include_pooling=False``
    (needs ``network``) drops it from the totals, as the harness would.

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


def _weighted_layers(network: Network) -> list[Dense | Conv2d]:
    return [layer for layer in network.layers if isinstance(layer, (Dense, Conv2d))]


def connection_sparsity(network: Network) -> float:
    """Fraction of synaptic weights that are exactly zero, over all weighted layers.

    ``sparsity = sum_l #{W_l == 0} / sum_l size(W_l)`` over ``Dense`` and ``Conv2d`` weight
    tensors (biases excluded), dimensionless in [0, 1]. ``AvgPool2d`` has no weights and is
    skipped, as the harness skips pooling modules. The harness rounds to 4 decimals; this
    returns the exact fraction.

    Source: NeuroBench ``neurobench/metrics/static/connection_sparsity.py``
    (``ConnectionSparsity``: zeros in the weights of Linear/Conv/recurrent modules over their
    total number).
    """
    layers = _weighted_layers(network)
    if not layers:
        return 0.0
    zeros = sum(int(np.count_nonzero(layer.weight == 0)) for layer in layers)
    total = sum(int(layer.weight.size) for layer in layers)
    return float(zeros / total)


def parameter_count(network: Network) -> int:
    """Number of parameters: weights and biases of every ``Dense`` and ``Conv2d`` layer.

    A ``Dense``/``Conv2d`` always has a bias vector (zeros when none was given), as
    ``torch.nn.Linear``/``Conv2d`` do by default; ``AvgPool2d`` has none. Neuron constants
    (``v_th``, ``tau_m``, ... one scalar per layer) are not counted.

    Source: NeuroBench ``neurobench/metrics/static/parameter_count.py`` (``ParameterCount``:
    ``sum(p.numel() for p in parameters())``).
    """
    return int(sum(layer.weight.size + layer.bias.size for layer in _weighted_layers(network)))


def footprint(network: Network, bytes_per_param: int = BYTES_FLOAT32) -> int:
    """Memory footprint of the model in bytes: ``parameter_count * bytes_per_param``.

    Stored at float32 (4 bytes) by default, as the harness measures a float32 PyTorch model
    (``numel * element_size`` of every parameter and buffer), even though the simulators here
    compute in float64. Zero weights are included (connection sparsity accounts for them).
    Choice: the per-layer neuron constants that snnTorch keeps as buffers (threshold, beta: a
    few bytes per layer) are not counted; there are no other buffers.

    Source: NeuroBench ``neurobench/metrics/static/footprint.py`` (``Footprint``) and
    ``docs/metrics/static_metrics/model_footprint.rst``.
    """
    if bytes_per_param <= 0:
        raise ValueError(f"bytes_per_param must be > 0, got {bytes_per_param}")
    return parameter_count(network) * int(bytes_per_param)


# --------------------------------------------------------------------------------------------
# decision latency
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionLatency:
    """Per-sample decision latencies (see ``latency_to_decision``).

    Attributes
    ----------
    decision : (batch,) int64
        Final decision (after the last step), -1 if undecided.
    step : (batch,) int64
        First step from which the running decision equals the final decision and never changes
        again; -1 for undecided samples.
    time_ms : (batch,) float64
        ``step * dt`` ms; NaN for undecided samples.
    mean_step, mean_ms : float
        Means over the decided samples; NaN if no sample is decided.
    n_undecided : int
        Number of samples whose final decision is -1.
    first_correct_step : (batch,) int64 or None
        With labels: first step at which the running decision equals the label (it may change
        later), -1 if it never does; ``None`` without labels.
    first_correct_ms : (batch,) float64 or None
        ``first_correct_step * dt`` ms, NaN where -1.
    """

    decision: np.ndarray
    step: np.ndarray
    time_ms: np.ndarray
    mean_step: float
    mean_ms: float
    n_undecided: int
    first_correct_step: np.ndarray | None = None
    first_correct_ms: np.ndarray | None = None


def latency_to_decision(
    record: SimRecord, labels=None, tie_break: TieBreak = "first_spike"
) -> DecisionLatency:
    """Step (and ms) from which each sample's decision is final; needs ``record.output.spikes``.

    The running decision at step ``t`` is ``d_t = predict_from_counts(C_t, tie_break, F_t)`` with
    ``C_t[k] = sum_{s <= t} spikes[s, k]`` the cumulative output spike counts and ``F_t`` the first
    spike steps seen up to ``t``. The final decision is ``D = d_{T-1}``, which equals
    ``predict(record, tie_break)``. The decision latency is

        ``step = min{t : d_s == D for every s >= t}``,  ``time_ms = step * dt``,

    i.e. the step after the last change of mind. Undecided samples (``D == -1``) have no latency:
    ``step = -1`` and ``time_ms = NaN``, they are excluded from the means and counted in
    ``n_undecided``. With ``labels``, ``first_correct_step = min{t : d_t == label}`` (-1 if never)
    is also returned. Not a NeuroBench metric.
    """
    _check_tie_break(tie_break)
    spikes = record.output.spikes
    if spikes is None:
        raise ValueError(
            "latency_to_decision needs output spike trains (simulate with record_spikes=True)"
        )
    spikes = np.asarray(spikes)
    batch, n_steps, n = spikes.shape
    lab = None
    if labels is not None:
        lab = _labels_1d("labels", labels)
        if lab.shape != (batch,):
            raise ValueError(f"labels must have shape ({batch},), got {lab.shape}")

    steps = np.arange(n_steps)
    decisions = np.empty((batch, n_steps), dtype=np.int64)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_steps * n))
    for lo in range(0, batch, chunk):
        s = spikes[lo : lo + chunk].astype(np.int64)
        counts = np.cumsum(s, axis=1)
        first = None
        if tie_break == "first_spike":
            ever = s.any(axis=1)
            first_step = np.where(ever, np.argmax(s, axis=1), -1)  # (chunk, n)
            seen = (first_step[:, None, :] >= 0) & (first_step[:, None, :] <= steps[None, :, None])
            first = np.where(seen, first_step[:, None, :], -1)
        decisions[lo : lo + chunk] = _decide(counts, first, tie_break)

    final = decisions[:, -1]
    differs = decisions != final[:, None]
    any_diff = differs.any(axis=1)
    last_diff = n_steps - 1 - np.argmax(differs[:, ::-1], axis=1)
    step = np.where(any_diff, last_diff + 1, 0).astype(np.int64)
    undecided = final == UNDECIDED
    step[undecided] = -1
    time_ms = np.where(undecided, np.nan, step * record.dt)
    n_decided = int((~undecided).sum())
    mean_step = float(step[~undecided].mean()) if n_decided else float("nan")
    mean_ms = mean_step * record.dt if n_decided else float("nan")

    first_correct = first_correct_ms = None
    if lab is not None:
        hit = decisions == lab[:, None]
        first_correct = np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1).astype(np.int64)
        first_correct_ms = np.where(first_correct >= 0, first_correct * record.dt, np.nan)
    return DecisionLatency(
        decision=final,
        step=step,
        time_ms=time_ms,
        mean_step=mean_step,
        mean_ms=mean_ms,
        n_undecided=int(undecided.sum()),
        first_correct_step=first_correct,
        first_correct_ms=first_correct_ms,
    )


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------


def summary(
    record: SimRecord,
    labels,
    network: Network | None = None,
    tie_break: TieBreak = "first_spike",
) -> dict[str, float | int | None]:
    """Flat dict of plain Python numbers for ``metrics.json``, keys in a fixed order.

    Always, in this order:

    * ``accuracy`` (``classification_accuracy`` of ``predict(record, tie_break)``),
      ``undecided_fraction`` (samples without a decision / B), ``n_samples``;
    * ``activation_sparsity``, ``spike_density`` (overall, spikes / (neuron * step)),
      ``mean_rate_hz``, ``spikes_per_sample`` (all layers), ``output_spikes_per_sample``;
    * ``effective_acs``, ``effective_macs`` (NeuroBench ``Effective_ACs`` / ``Effective_MACs``
      per sample, pooling layers included);

    then, only with ``network``: ``dense_synops`` (NeuroBench ``Dense``),
    ``connection_sparsity``, ``parameter_count``, ``footprint_bytes`` (float32);
    only when the output spike trains were recorded: ``latency_steps_mean``, ``latency_ms_mean``
    (``latency_to_decision`` means over the decided samples; ``None``, written as JSON null, if
    no sample is decided, since ``metrics.json`` rejects NaN);
    only when every layer's ``v`` was recorded: ``membrane_updates``;
    and last, for each layer ``l``: ``spike_density_layer{l}``, ``effective_acs_layer{l}``.
    The keys depend only on what is passed and recorded, never on the data, so one pipeline
    stage always writes the same keys in the same order.
    """
    lab = _labels_1d("labels", labels)
    batch = record.layers[0].spike_count.shape[0]
    if lab.shape != (batch,):
        raise ValueError(f"labels must have shape ({batch},), got {lab.shape}")
    pred = predict(record, tie_break)
    density = spike_density(record)
    synops = synaptic_operations(record, network)
    out: dict[str, float | int | None] = {
        "accuracy": classification_accuracy(pred, lab),
        "undecided_fraction": float(np.mean(pred == UNDECIDED)),
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
        out["connection_sparsity"] = connection_sparsity(network)
        out["parameter_count"] = parameter_count(network)
        out["footprint_bytes"] = footprint(network)
    if record.output.spikes is not None:
        lat = latency_to_decision(record, tie_break=tie_break)
        decided = lat.n_undecided < batch
        out["latency_steps_mean"] = lat.mean_step if decided else None
        out["latency_ms_mean"] = lat.mean_ms if decided else None
    if all(layer.v is not None for layer in record.layers):
        out["membrane_updates"] = membrane_updates(record)["total"]
    for i, (d, a) in enumerate(zip(density["per_layer"], synops["Effective_ACs_per_layer"])):
        out[f"spike_density_layer{i}"] = d
        out[f"effective_acs_layer{i}"] = a
    return out
