"""Evaluation of converted networks on static inputs, from explicit simulation settings.

Inputs are the converter's deterministic regular rate code (``neurobench.sim.static.encode``:
an input of value 1 fires at ``input_rate`` Hz, for ``n_steps`` steps of ``dt`` ms), so every
number here is reproducible bit for bit. Every converted network -- LP conversion or
normalisation baseline -- is read out the same way: its output layer's rate in Hz under a
read-out kind (``neurobench.metrics.readout.output_rate_hz``: ``"count"``, output spike counts;
``"potential"``, the charge of a non-spiking output layer) mapped to ANN units by the network's
:class:`Readout` constants, ``a = r / scale + offset``. One simulation serves both kinds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..ann import Ann
from ..ann.train import score
from ..metrics.readout import ReadoutKind, near_tie_share, output_rate_hz, spike_worth, task_decisions
from ..network import AvgPool2d, Network
from ..neurons import NeuronParams
from ..sim import simulate
from ..sim.record import SimRecord
from ..sim.static import encode
from ..units import rate_hz
from .targets import rate_targets

READOUTS: tuple[ReadoutKind, ...] = ("count", "potential")
"""The read-out kinds every evaluation reports."""


@dataclass(frozen=True)
class Readout:
    """The constants that turn a converted network's output rate into ANN units.

    ``a = r / scale + offset``: ``scale`` is the output layer's rate per ANN unit (Hz), ``offset``
    its shift (ANN units). LP conversions: the converter's ``alpha_L`` and ``o_L``; the
    normalisation baseline: ``input_rate / lambda_L`` and 0.
    """

    scale: float
    offset: float = 0.0


def snn_outputs(network: Network, readout: Readout, x: np.ndarray, *, n_steps: int, dt: float,
                input_rate: float, kinds: Sequence[ReadoutKind] = READOUTS) -> tuple[dict[str, np.ndarray], SimRecord]:
    """Simulate ``network`` on ``x`` (regular rate code, ``input_rate`` Hz for a value of 1,
    ``n_steps`` steps of ``dt`` ms) and read its outputs in ANN units under each read-out kind.

    Returns ``({kind: outputs (n, n_out)}, record)``.
    """
    record = simulate(network, encode(x, n_steps, dt, input_rate), dt)
    outputs = {kind: output_rate_hz(network, record, kind) / readout.scale + readout.offset for kind in kinds}
    return outputs, record


def evaluate_network(network: Network, readout: Readout, ann: Ann, x: np.ndarray, y: np.ndarray, *,
                     n_steps: int, dt: float, input_rate: float,
                     kinds: Sequence[ReadoutKind] = READOUTS, keep_record: bool = False) -> dict[str, Any]:
    """Task score and agreement with the ANN under each read-out kind, activity and size of one
    converted network, from one simulation (with ``keep_record``, also its ``SimRecord`` as
    ``result["record"]``, e.g. for ``neurobench.metrics.table.clock_metrics``).

    ``result[kind]["score"]``: accuracy (classification) or R^2 (regression) on ``y``;
    ``result[kind]["agreement"]``: share of samples with the ANN's decision (classification) or
    R^2 of the SNN output against the ANN output (regression). ``near_tie``: share of samples
    whose top-two ANN logits are closer than one output spike's worth at ``n_steps``
    (``neurobench.metrics.readout.near_tie_share``; 0 for regression). ``spikes_per_sample`` and
    ``synops_per_sample``: spikes and synaptic events of all layers per input over the run;
    ``neurons`` and ``synapses`` (non-zero weights).
    """
    outputs, record = snn_outputs(network, readout, x, n_steps=n_steps, dt=dt, input_rate=input_rate, kinds=kinds)
    ann_out = ann.forward(x)[-1].reshape(len(x), -1)
    ann_pred = ann_out.argmax(axis=1) if ann.task == "classification" else ann_out[:, 0]
    result: dict[str, Any] = {}
    for kind in kinds:
        pred = task_decisions(ann.task, outputs[kind], record, kind)
        if ann.task == "classification":
            agree = float(np.mean(pred == ann_pred))
        else:
            agree = score("regression", pred, ann_pred)
        result[kind] = {"score": score(ann.task, pred, y), "agreement": agree}
    n_synapses = sum(int(np.count_nonzero(network.connectivity(i)[2])) for i in range(len(network.layers)))
    near_tie = near_tie_share(ann_out, spike_worth(n_steps, dt, readout.scale)) if ann.task == "classification" else 0.0
    result.update({
        "near_tie": near_tie,
        "spikes_per_sample": float(record.spikes_per_layer().sum(axis=1).mean()),
        "synops_per_sample": float(record.synops_per_layer().sum(axis=1).mean()),
        "neurons": int(sum(network.sizes[1:])),
        "synapses": n_synapses,
    })
    if keep_record:
        result["record"] = record
    return result


def brian_agreement(network: Network, x: np.ndarray, *, n_steps: int, dt: float, input_rate: float,
                    target: str = "numpy") -> dict[str, Any]:
    """Run ``network`` in Brian2 (code generation ``target``) and in the clock simulator on ``x``
    (regular rate code); compare the spike counts of every neuron.

    Returns ``identical`` (all counts equal), ``max_count_diff`` (spikes) and ``spikes`` (the
    clock simulator's total).
    """
    from ..sim.brian import simulate_brian

    spikes = encode(x, n_steps, dt, input_rate)
    clock = simulate(network, spikes, dt)
    brian = simulate_brian(network, spikes, dt, target=target)
    same = [np.array_equal(a.spike_count, b.spike_count) for a, b in zip(clock.layers, brian.layers)]
    diffs = [int(np.abs(a.spike_count - b.spike_count).max()) for a, b in zip(clock.layers, brian.layers)]
    return {"identical": bool(all(same)), "max_count_diff": max(diffs),
            "spikes": int(sum(layer.spike_count.sum() for layer in clock.layers))}


def rounding_step(weights: np.ndarray, bits: int) -> float:
    """Grid step in mV of rounding ``weights`` to ``bits``-bit signed levels on one grid:
    ``max |w| / (2^(bits-1) - 1)`` (1 for empty or all-zero weights)."""
    return np.abs(weights).max() / (2 ** (bits - 1) - 1) if weights.size and np.any(weights) else 1.0


def weight_levels(network: Network, index: int, step: float) -> np.ndarray:
    """Integer levels ``w / step`` (rounded) of the weights of layer ``index``, ``step`` in mV."""
    w = network.connectivity(index)[2]
    return np.rint(w / step).astype(np.int64)


def layer_rate_errors(network: Network, layers: Sequence[dict[str, Any]], ann: Ann, x: np.ndarray, *,
                      neuron: NeuronParams, n_steps: int, dt: float, input_rate: float, max_rate: float,
                      percentile: float) -> pd.DataFrame:
    """Per-layer residual of an LP conversion: RMSE in Hz between each layer's SNN rates and its
    target rates ``min(alpha_l a_l, max_rate)`` on ``x``, also relative to ``max_rate`` (Hz).

    ``layers`` are the converter's layer reports as dicts (``kind``, ``n_neurons``, ``alpha``,
    ``objective``, ``n_rows``, ``statuses``); pooling layers and layers without a recorded scale
    are skipped. The targets use the conversion's ``neuron``, ``max_rate`` and ``percentile``.
    """
    record = simulate(network, encode(x, n_steps, dt, input_rate), dt)
    activations = ann.forward(x)
    rows = []
    for i, layer_info in enumerate(layers):
        if isinstance(network.layers[i], AvgPool2d) or layer_info["alpha"] is None:
            continue
        targets = rate_targets(activations[i], neuron, max_rate, percentile,
                               shift=ann.activations[i] == "linear")
        target_hz = np.minimum(targets.alpha * np.maximum(activations[i].reshape(len(x), -1) - targets.offset, 0), max_rate)
        snn_hz = rate_hz(record.layers[i].spike_count, n_steps, dt)
        rmse = float(np.sqrt(np.mean((snn_hz - target_hz) ** 2)))
        rows.append({"layer": i, "kind": layer_info["kind"], "neurons": layer_info["n_neurons"],
                     "rate_rmse_hz": rmse, "relative_rmse": rmse / max_rate,
                     "objective": layer_info["objective"], "rows": layer_info["n_rows"],
                     "statuses": ", ".join(f"{k}: {v}" for k, v in layer_info["statuses"].items())})
    return pd.DataFrame(rows)
