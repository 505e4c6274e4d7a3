"""The analog MAC candidate: the trained ANN run directly on a BrainScaleS-2-like MAC array.

No conversion to spikes: the float MLP's weights are scaled onto the MAC's integer units and
every layer runs on ``neurobench.analog``'s noisy MAC (Weis et al. 2020, reconstructed; fixed
pattern of the chip instance, fresh trial noise per sample). The mapping, per layer ``l`` with
float weights ``W``, bias ``b`` and input scale ``s_a`` (input units per unit of activation;
``2^input_bits - 1`` for the pixels in [0, 1])::

    bias row: a constant input at x_max, weight b s_a / x_max (in units of W)
    s_w = w_max / max |[W, b s_a / x_max]|                     (integer weights round(s_w W))
    k   = g s_a s_w                                             (output LSB per unit of z = W a + b, one send)
    n   = clamp(floor(Y / (P k)), 1, max_n_sends),  Y = min(x_max 2^shift, y_max)  (hidden layers)
                                                    Y = y_max                       (output layer)

with ``P`` the ``percentile`` of the layer's positive pre-activations (output layer: of ``|z|``)
on the calibration samples; where ``P k > Y`` already at one send the weights are scaled down
(``s_w`` times ``Y / (P k)``). The next layer's inputs are ``clamp(floor(y / 2^shift), 0,
x_max)`` (``neurobench.analog.requantise``), so its ``s_a`` is ``g n s_a s_w / 2^shift``. The
hidden layer is pruned to the array's columns (``check.largest_fitting_hidden``) with the
conversion's node selection (``neurobench.conversion.prune.select_neurons``) and the output
layer refitted on the survivors by least squares.

Figures (:class:`~neurobench.experiments.deploy.chips.MacCost`): latency ``sum_l n_l *
pass_ns`` (one integration pass per send; a layer's columns and chunks run in parallel),
energy ``power_w * latency`` (the ASIC power Stradmann et al. 2022 measured), programming: every
synapse of an excitatory/inhibitory pair (``2 * sum_l n_out (n_in + 1)`` SRAM words of
``weight_bits`` bits) written at ``write_gbit_s`` and ``write_pj_per_bit``. SRAM has no write
or read endurance limit: lifetime is unbounded (inf). Synaptic operations: NeuroBench's
effective MACs of an ANN, ``sum_l nnz(input_l) * n_out_l`` per inference (the bias row
included).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...analog.layers import requantise
from ...analog.mac import MACParams, analog_mac, input_max, output_range, weight_max
from ...ann import Ann
from ...conversion.prune import select_neurons
from ...hardware.programming import ProgrammingCost
from ...network import Dense
from ...schema import replace
from ...seeds import child_seed
from ...training.common import single_thread
from .check import ImpossibleCandidate, largest_fitting_hidden
from .chips import AnalogMacChip, MacCost
from .params import N_CLASSES, N_INPUTS

__all__ = ["MacDeployed", "MacLayer", "MacRun", "mac_cost", "mac_programming", "map_to_mac", "prune_ann",
           "run_mac", "run_on_mac"]

BATCH = 256
"""Samples per MAC batch (the trial noise of batch b is drawn from (noise_seed, layer, b))."""


@dataclass(frozen=True, eq=False)
class MacLayer:
    """One layer on the MAC: integer weights (n_out, n_in + 1), the last column the bias row."""

    weight: np.ndarray
    n_sends: int


@dataclass(frozen=True, eq=False)
class MacDeployed:
    """The ANN (pruned to ``hidden``) mapped onto the MAC of ``chip``."""

    previous: object  # flow.TrainedNetwork
    name: str
    chip: AnalogMacChip
    ann: Ann
    layers: tuple[MacLayer, ...]
    hidden: int


def prune_ann(ann: Ann, x_cal: np.ndarray, hidden: int, method: str, seed: int) -> Ann:
    """The MLP ``ann`` with its hidden layer pruned to ``hidden`` neurons chosen by
    ``select_neurons`` (``method``) from the calibration activations, the output layer refitted
    on the survivors by least squares (``ann`` itself when nothing is pruned)."""
    l0, l1 = ann.layers
    if hidden >= l0.weight.shape[0]:
        return ann
    h, z = ann.forward(x_cal)
    target = z - l1.bias
    keep = select_neurons(h, target, np.zeros_like(target, dtype=bool), hidden, method, seed=seed).keep
    design = np.hstack([h[:, keep], np.ones((len(h), 1))])
    sol = np.linalg.lstsq(design, z, rcond=None)[0]
    return Ann(ann.input_shape, (Dense(l0.weight[keep], l0.bias[keep]), Dense(sol[:-1].T, sol[-1])),
               ann.activations, ann.task, ann.name)


def map_to_mac(trained, name: str, chip: AnalogMacChip, cfg) -> MacDeployed:
    """Prune the trained ANN to the array's columns and scale it onto the MAC (module docstring)."""
    n_in, full, n_out = N_INPUTS, trained.ann.layers[0].weight.shape[0], N_CLASSES
    hidden = largest_fitting_hidden(n_in, full, n_out, chip, min(cfg.network.min_hidden, full))
    if hidden is None:
        raise ImpossibleCandidate(f"chip {name!r} is impossible: the network does not fit its columns")
    x_cal = trained.x_train[: cfg.calibration_samples]
    ann = prune_ann(trained.ann, x_cal, hidden, cfg.prune_method, cfg.mapping_seed)
    p = chip.mac
    x_max, w_max, y_max = input_max(p), weight_max(p), output_range(p)[1]
    inputs = [x_cal.reshape(len(x_cal), -1), *ann.forward(x_cal)[:-1]]
    pre = [a @ layer.weight.T + layer.bias for layer, a in zip(ann.layers, inputs)]
    s_a = float(x_max)
    layers = []
    for i, layer in enumerate(ann.layers):
        last = i == len(ann.layers) - 1
        aug = np.hstack([layer.weight, (layer.bias * s_a / x_max)[:, None]])
        s_w = w_max / max(float(np.abs(aug).max()), 1e-12)
        z = np.abs(pre[i]) if last else np.maximum(pre[i], 0.0)
        top = max(float(np.percentile(z, cfg.percentile)), 1e-12)
        big = float(y_max) if last else float(min(x_max * 2 ** chip.shift, y_max))
        k = p.gain * s_a * s_w
        n = int(min(chip.max_n_sends, max(1, np.floor(big / (top * k)))))
        if top * k * n > big:
            s_w *= big / (top * k * n)
        layers.append(MacLayer(np.round(aug * s_w).clip(-w_max, w_max), n))
        s_a = p.gain * n * s_a * s_w / 2 ** chip.shift
    return MacDeployed(trained, name, chip, ann, tuple(layers), hidden)


def run_on_mac(deployed: MacDeployed, x: np.ndarray, mac: MACParams) -> tuple[np.ndarray, float]:
    """Class scores (n, n_out) in LSB of the images ``x`` (values in [0, 1]) on the MAC ``mac``,
    and the effective MACs per inference (module docstring)."""
    x_max = input_max(mac)
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    scores, ops = [], 0.0
    with single_thread(), torch.no_grad():
        for b, start in enumerate(range(0, len(flat), BATCH)):
            h = torch.as_tensor(np.floor(np.clip(flat[start:start + BATCH] * x_max, 0, x_max)), dtype=torch.float32)
            for i, layer in enumerate(deployed.layers):
                h = torch.cat([h, torch.full((len(h), 1), float(x_max))], dim=1)
                ops += float((h != 0).sum()) * layer.weight.shape[0]
                y = analog_mac(h, torch.as_tensor(layer.weight, dtype=torch.float32), mac, layer.n_sends, i, b)
                h = y if i == len(deployed.layers) - 1 else requantise(y, deployed.chip.shift, x_max, analog=True)
            scores.append(h.numpy())
    return np.concatenate(scores).astype(np.float64), ops / max(len(flat), 1)


def mac_cost(deployed: MacDeployed, cost: MacCost | None = None) -> tuple[float, float]:
    """(latency in ns, energy in pJ) per inference (module docstring)."""
    cost = deployed.chip.cost if cost is None else cost
    latency = sum(layer.n_sends for layer in deployed.layers) * cost.pass_ns
    return latency, cost.power_w * latency * 1e3  # W x ns = nJ; x 1e3 = pJ


def mac_programming(deployed: MacDeployed, cost: MacCost | None = None) -> ProgrammingCost:
    """Writing every synapse word (module docstring): cells, writes, time (ns), energy (pJ)."""
    cost = deployed.chip.cost if cost is None else cost
    cells = 2 * sum(int(layer.weight.size) for layer in deployed.layers)
    bits = cells * deployed.chip.mac.weight_bits
    return ProgrammingCost(cells=cells, pulses=float(cells), time_ns=bits / cost.write_gbit_s,
                          energy_pj=bits * cost.write_pj_per_bit)


@dataclass(frozen=True, eq=False)
class MacRun:
    """The analog MAC candidate's numbers on one replicate (its chip instance and trial noise)."""

    deployed: MacDeployed
    mac: MACParams
    accuracy: float
    agreement: float
    synops: float
    latency_ns: float
    energy_pj: float
    programming: ProgrammingCost
    lifetime: float = float("inf")
    notes: tuple[str, ...] = ()


def replicate_mac(chip: AnalogMacChip, r: int) -> MACParams:
    """The MAC of replicate ``r``: chip instance ``child_seed(mac.chip_seed, r)``, trial noise
    ``child_seed(mac.noise_seed, r)``."""
    return replace(chip.mac, chip_seed=child_seed(chip.mac.chip_seed, r), noise_seed=child_seed(chip.mac.noise_seed, r))


def run_mac(trained, name: str, chip: AnalogMacChip, cfg, r: int) -> MacRun:
    """The analog MAC candidate on replicate ``r``'s network and chip instance: accuracy and
    agreement with the ANN on the test split, effective MACs, latency, energy, programming."""
    deployed = map_to_mac(trained, name, chip, cfg)
    mac = replicate_mac(chip, r)
    scores, ops = run_on_mac(deployed, trained.x_test, mac)
    pred = scores.argmax(axis=1)
    latency, energy = mac_cost(deployed)
    notes = (f"pruned to {deployed.hidden} hidden neurons for {chip.cols} columns",) \
        if deployed.hidden < trained.ann.layers[0].weight.shape[0] else ()
    return MacRun(deployed, mac, float((pred == trained.y_test).mean()),
                  float((pred == trained.ann.predict(trained.x_test)).mean()), ops, latency, energy,
                  mac_programming(deployed), notes=notes)
