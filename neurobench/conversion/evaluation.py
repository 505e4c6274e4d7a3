"""Evaluation of the converted networks of the conversion experiment (``notebooks/conversion.ipynb``).

Every function takes the ``conversion`` params section and an entry of ``conversion.json``
(written by ``neurobench.conversion.experiment``), which says how the network's outputs are read:
LP conversions read output spike counts (``rate / readout_scale + readout_offset``, ANN units),
the normalisation baseline reads the charge integrated by the output neurons. Inputs are the
deterministic regular rate code of the converter (``input_rate`` Hz for a value of 1), so every
number here is reproducible bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..ann import Ann
from ..ann.train import score
from ..config import ConversionSection
from ..metrics import predict_from_counts
from ..network import AvgPool2d, Network
from ..sim import simulate
from .experiment import make_converter
from .normalize import decode
from .targets import rate_targets


def encode(x: np.ndarray, cfg: ConversionSection, n_steps: int | None = None) -> np.ndarray:
    """Regular rate code of ``x`` over ``n_steps`` (default ``cfg.n_steps``) steps."""
    conv = make_converter(cfg, None, executor="serial")
    conv.n_steps = cfg.n_steps if n_steps is None else int(n_steps)
    return conv.encode(x)



def snn_outputs(network: Network, entry: dict[str, Any], x: np.ndarray, cfg: ConversionSection,
                n_steps: int | None = None):
    """Simulate ``network`` on ``x`` (regular rate code) and decode its outputs in ANN units.

    Returns ``(outputs (n, n_out), record)``. LP conversions read output spike counts
    (``rate / readout_scale + readout_offset``); the baseline reads the output neurons'
    integrated charge (``neurobench.conversion.normalize.decode``).
    """
    n_steps = cfg.n_steps if n_steps is None else int(n_steps)
    record = simulate(network, encode(x, cfg, n_steps), cfg.dt)
    if entry["readout"] == "count":
        rate_hz = record.output.spike_count / (n_steps * cfg.dt / 1000.0)
        outputs = rate_hz / entry["readout_scale"] + entry["readout_offset"]
    else:
        outputs = decode(network, record, max_rate=cfg.input_rate, output_scale=entry["output_scale"])
    return outputs, record


def decisions(task: str, outputs: np.ndarray, record, readout: str) -> np.ndarray:
    """Class decisions or regression outputs: spike-count read-outs break ties by the earliest
    first spike (``neurobench.metrics.predict_from_counts``), charge read-outs take the argmax."""
    if task != "classification":
        return outputs[:, 0]
    if readout == "count":
        return predict_from_counts(record.output.spike_count, record.output.first_spike_step)
    return outputs.argmax(axis=1)


def evaluate_entry(network: Network, entry: dict[str, Any], ann: Ann, x: np.ndarray, y: np.ndarray,
                   cfg: ConversionSection, n_steps: int | None = None) -> dict[str, Any]:
    """Task score, agreement with the ANN, activity and size of one converted network.

    ``score``: accuracy (classification) or R^2 (regression) on ``y``; ``agreement``: share of
    samples with the ANN's decision (classification) or R^2 of the SNN output against the ANN
    output (regression).
    """
    outputs, record = snn_outputs(network, entry, x, cfg, n_steps)
    pred = decisions(ann.task, outputs, record, entry["readout"])
    ann_pred = ann.predict(x)
    if ann.task == "classification":
        agree = float(np.mean(pred == ann_pred))
    else:
        agree = score("regression", pred, ann_pred)
    n_synapses = sum(int(np.count_nonzero(network.connectivity(i)[2])) for i in range(len(network.layers)))
    return {
        "score": score(ann.task, pred, y),
        "agreement": agree,
        "spikes_per_sample": float(record.spikes_per_layer().sum(axis=1).mean()),
        "synops_per_sample": float(record.synops_per_layer().sum(axis=1).mean()),
        "neurons": int(sum(network.sizes[1:])),
        "synapses": n_synapses,
    }


def brian_agreement(network: Network, x: np.ndarray, cfg: ConversionSection) -> dict[str, Any]:
    """Run ``network`` in Brian2 and in the clock simulator on ``x``; compare spike counts."""
    from ..sim.brian import simulate_brian

    spikes = encode(x, cfg)
    clock = simulate(network, spikes, cfg.dt)
    brian = simulate_brian(network, spikes, cfg.dt, target=cfg.evaluate.brian_target)
    same = [np.array_equal(a.spike_count, b.spike_count) for a, b in zip(clock.layers, brian.layers)]
    diffs = [int(np.abs(a.spike_count - b.spike_count).max()) for a, b in zip(clock.layers, brian.layers)]
    return {"identical": bool(all(same)), "max_count_diff": max(diffs),
            "spikes": int(sum(layer.spike_count.sum() for layer in clock.layers))}


def weight_levels(network: Network, index: int, entry: dict[str, Any], bits: int) -> np.ndarray:
    """Integer levels ``w / step`` of the weights of layer ``index`` of a digital conversion.

    The step is the LP converter's grid step (recorded in the entry's layer report) or, for the
    baseline, the per-layer step of its rounding, ``max |w| / (2^(bits-1) - 1)``.
    """
    w = network.connectivity(index)[2]
    if entry["method"] == "baseline":
        step = np.abs(w).max() / (2 ** (bits - 1) - 1) if w.size and np.any(w) else 1.0
    else:
        step = entry["layers"][index]["weight_step"]
    return np.rint(w / step).astype(np.int64)


def layer_rate_errors(network: Network, entry: dict[str, Any], ann: Ann, x: np.ndarray,
                      cfg: ConversionSection) -> pd.DataFrame:
    """Per-layer residual of an LP conversion: RMSE in Hz between each layer's SNN rates and its
    target rates ``min(alpha_l a_l, max_rate)`` on ``x``, also relative to ``max_rate``.

    Pooling layers and layers without a recorded scale are skipped.
    """
    record = simulate(network, encode(x, cfg), cfg.dt)
    activations = ann.forward(x)
    rows = []
    for i, layer_info in enumerate(entry["layers"]):
        if isinstance(network.layers[i], AvgPool2d) or layer_info["alpha"] is None:
            continue
        targets = rate_targets(activations[i], cfg.neuron.to_params(), cfg.max_rate, cfg.percentile,
                               shift=ann.activations[i] == "linear")
        target_hz = np.minimum(targets.alpha * np.maximum(activations[i].reshape(len(x), -1) - targets.offset, 0), cfg.max_rate)
        snn_hz = record.layers[i].spike_count / (cfg.n_steps * cfg.dt / 1000.0)
        rmse = float(np.sqrt(np.mean((snn_hz - target_hz) ** 2)))
        rows.append({"layer": i, "kind": layer_info["kind"], "neurons": layer_info["n_neurons"],
                     "rate_rmse_hz": rmse, "relative_rmse": rmse / cfg.max_rate,
                     "objective": layer_info["objective"], "rows": layer_info["n_rows"],
                     "statuses": ", ".join(f"{k}: {v}" for k, v in layer_info["statuses"].items())})
    return pd.DataFrame(rows)
