"""Read-outs of a simulated network's output layer for ANN-to-SNN comparisons.

A converted network answers in the units of the ANN it came from. Two read-outs of the output
layer are offered, for every converted network alike:

* ``"count"``: output spikes per step; classification decisions break ties by the earliest first
  spike (:func:`neurobench.metrics.predict_from_counts`);
* ``"potential"``: the charge (mV) the output neurons integrated over the run divided by
  ``v_th * n_steps`` (the membrane read-out of a non-spiking output layer); decisions by argmax.

Dividing by ``rho = max_rate * dt / 1000`` (spikes per step of a unit activation) gives outputs
in ANN units relative to the output layer's scale ``lambda_L``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .. import units
from ..network import Network
from ..sim.record import SimRecord
from .decode import predict_from_counts

ReadoutKind = Literal["potential", "count"]

__all__ = ["ReadoutKind", "decode_outputs", "layer_rates", "near_tie_share", "output_charge", "output_rate_hz",
           "predict_outputs", "spike_worth", "task_decisions"]


def output_charge(network: Network, record: SimRecord) -> np.ndarray:
    """Total charge in mV delivered to each output neuron over the run, shape (batch, n_out)."""
    last = len(network.layers) - 1
    pre = record.input_spike_count if last == 0 else record.layers[last - 1].spike_count
    w = network.weight_matrix(last)
    drive = network.bias(last) * record.dt * record.n_steps
    return np.asarray(w @ pre.T.astype(np.float64)).T + drive


def output_rate_hz(network: Network, record: SimRecord, readout: ReadoutKind) -> np.ndarray:
    """The output layer's rate in Hz, (batch, n_out), under ``readout``.

    ``"count"``: the output spike count over the run, ``count * 1000 / (n_steps * dt)``;
    ``"potential"``: the rate-equivalent of the charge ``Q`` (mV) the output neurons integrated,
    ``Q / v_th * 1000 / (n_steps * dt)`` -- what a non-spiking output layer would hold. It does
    not depend on whether the output neurons fire (the network is feed-forward), may be negative,
    and equals the count read-out plus the residual membrane potential ``v(T) / v_th`` for IF
    neurons with reset by subtraction.
    """
    if readout == "count":
        per_run = record.output.spike_count.astype(np.float64)
    elif readout == "potential":
        per_run = output_charge(network, record) / network.neurons[-1].v_th
    else:
        raise ValueError(f"readout must be 'potential' or 'count', got {readout!r}")
    return per_run * units.MS_PER_S / (record.n_steps * record.dt)


def spike_worth(n_steps: int, dt: float, hz_per_unit: float) -> float:
    """One output spike's worth in ANN units at a run of ``n_steps`` steps of ``dt`` ms.

    A read-out maps an output rate ``r`` (Hz) to ANN units as ``r / hz_per_unit + offset``; one
    spike more over the run raises ``r`` by ``1000 / (n_steps * dt)`` Hz, hence
    ``1000 / (n_steps * dt * hz_per_unit)`` ANN units.
    """
    return units.MS_PER_S / (int(n_steps) * float(dt) * float(hz_per_unit))


def near_tie_share(logits: np.ndarray, worth: float) -> float:
    """Share of samples whose top-two ANN logits differ by less than ``worth`` ANN units.

    ``logits``: (n, n_classes) ANN outputs; ``worth``: one output spike's worth in ANN units
    (:func:`spike_worth`). On such a *near tie* a spike-count read-out cannot separate the two
    leading classes (one spike more or less swaps them), so disagreement with the ANN there is
    quantisation, not conversion error: the share bounds how much agreement a run of that length
    can be expected to lose. Fewer than two classes: 0.
    """
    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] < 2 or not len(logits):
        return 0.0
    top = np.sort(logits, axis=1)[:, -2:]
    return float(np.mean(top[:, 1] - top[:, 0] < worth))


def decode_outputs(network: Network, record: SimRecord, *, max_rate: float, output_scale: float = 1.0,
           readout: ReadoutKind = "potential") -> np.ndarray:
    """The SNN's output in ANN units, (batch, n_out): ``output_scale`` is ``lambda_L``.

    ``output_scale=1`` gives the output relative to ``lambda_L``: enough for class decisions.
    """
    rho = units.spikes_per_step(float(max_rate), float(record.dt))
    v_th = network.neurons[-1].v_th
    if readout == "potential":
        per_step = output_charge(network, record) / (v_th * record.n_steps)
    elif readout == "count":
        per_step = record.output.spike_count / record.n_steps
    else:
        raise ValueError(f"readout must be 'potential' or 'count', got {readout!r}")
    return per_step * output_scale / rho


def layer_rates(record: SimRecord) -> list[np.ndarray]:
    """Spikes per step of every neuron of every layer, each (batch, n)."""
    return [layer.spike_count / record.n_steps for layer in record.layers]


def predict_outputs(network: Network, record: SimRecord, *, task: str = "classification",
            max_rate: float, output_scale: float = 1.0,
            readout: ReadoutKind = "potential") -> np.ndarray:
    """Class decisions (argmax; ties to the lowest index) or regression outputs in ANN units."""
    out = decode_outputs(network, record, max_rate=max_rate, output_scale=output_scale, readout=readout)
    return out.argmax(axis=1) if task == "classification" else out[:, 0]


# ---------------------------------------------------------------------------------- constraints


def task_decisions(task: str, outputs: np.ndarray, record, readout: str) -> np.ndarray:
    """Class decisions or regression outputs: spike-count read-outs break ties by the earliest
    first spike (``neurobench.metrics.predict_from_counts``), charge read-outs take the argmax."""
    if task != "classification":
        return outputs[:, 0]
    if readout == "count":
        return predict_from_counts(record.output.spike_count, record.output.first_spike_step)
    return outputs.argmax(axis=1)
