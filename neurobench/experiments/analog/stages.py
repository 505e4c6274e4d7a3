"""What the ``analog`` notebook runs: the digits (E2b) on the simulated BrainScaleS-2 MAC, float
vs quantised vs noisy vs deployed on chip instances vs mismatch-aware fine-tuned, the E2d
sweeps, the E2c characterisation and MNIST (E2a) when its files are present.

Replicate ``r`` derives every seed with ``child_seed(seed, r)`` (``replicate_section``); chip
instance ``c`` of a replicate has fixed-pattern seed ``child_seed(chip_seed, c)`` and evaluation
noise seed ``child_seed(noise_seed, c)``, its fine-tuning noise ``child_seed(noise_seed, n_chips +
c)``. Torch runs single-threaded and draws only from seeded generators: same params, same numbers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ...analog import AnalogNet, MACParams, NetParams, accuracy, analog_mac, characterise, train
from ...analog.mac import input_max, weight_max
from ...data import dataset_unavailable, load_dataset, train_test_split
from ...progress import track
from ...schema import replace
from ...seeds import child_seed
from ...training.common import single_thread
from .params import AnalogSection
from .table import analog_row

__all__ = ["SWEEPS", "Images", "build_net", "characterisation", "chip_mac", "load_digits", "mnist_run",
           "monotone_within_error", "replicate_section", "run_replicate", "run_replicates", "sweep", "variant"]

SWEEPS = ("sigma_trial", "sigma_fp_gain", "weight_bits", "input_bits", "n_sends")
"""The E2d sweeps, in the order of the report."""


@dataclass
class Images:
    """Images (n, side, side) scaled to the MAC's inputs (0..31), labels, train/test split."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def side(self) -> int:
        """Image side in pixels (before padding)."""
        return int(self.x_train.shape[-1])


def _scaled(x: np.ndarray, side: int, x_max: int) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32).reshape(len(x), side, side)
    return x * (x_max / max(float(x.max()), 1e-12))


def load_digits(cfg: AnalogSection) -> Images:
    """The embedded 8x8 digits, pixel values scaled to 0..2^input_bits - 1, stratified split."""
    d = load_dataset("digits", root=cfg.root, kind="static")
    x = _scaled(d.x, 8, input_max(cfg.mac))
    y = np.asarray(d.y, dtype=np.int64)
    train, test = train_test_split(y, cfg.test_fraction, cfg.split_seed)
    return Images(x[train], y[train], x[test], y[test])


def replicate_section(cfg: AnalogSection, r: int) -> AnalogSection:
    """``cfg`` for replicate ``r``: every seed field replaced by ``child_seed(seed, r)``."""
    return replace(cfg, split_seed=child_seed(cfg.split_seed, r), init_seed=child_seed(cfg.init_seed, r),
                   chip_seed=child_seed(cfg.chip_seed, r), noise_seed=child_seed(cfg.noise_seed, r),
                   pretrain=replace(cfg.pretrain, seed=child_seed(cfg.pretrain.seed, r)),
                   finetune=replace(cfg.finetune, seed=child_seed(cfg.finetune.seed, r)))


def chip_mac(cfg: AnalogSection, c: int, fine_tune: bool = False) -> MACParams:
    """The MAC of chip instance ``c``: its fixed pattern and its evaluation (or fine-tuning)
    noise seed."""
    k = cfg.n_chips + c if fine_tune else c
    return replace(cfg.mac, chip_seed=child_seed(cfg.chip_seed, c), noise_seed=child_seed(cfg.noise_seed, k))


def build_net(net: NetParams, side: int, n_classes: int, mac: MACParams, seed: int) -> AnalogNet:
    """A fresh network with the spec's initialisation for ``mac``'s gain and weight range."""
    return AnalogNet(side, n_classes, replace(net, init_gain=mac.gain), torch.Generator().manual_seed(int(seed)),
                     gain=mac.gain, w_max=weight_max(mac), x_max=input_max(mac))


def variant(net: AnalogNet, mac: MACParams, x: np.ndarray, quantity: str, value: float
            ) -> tuple[AnalogNet, MACParams, np.ndarray]:
    """The trained ``net``, ``mac`` and test images with one swept quantity changed (E2d).

    ``sigma_trial`` (LSB), ``sigma_fp_gain`` (fraction): the MAC's value. ``weight_bits`` b:
    weights scaled by (2^b - 1) / w_max and the gain by the inverse (same full-scale output,
    coarser steps). ``input_bits`` b: images and every layer's inputs on 0..2^b - 1 (shift
    raised by the bits dropped), the gain scaled to keep the output scale. ``n_sends`` k: every
    layer sends k times with weights divided by k (same output scale, fewer weight levels)."""
    if quantity in ("sigma_trial", "sigma_fp_gain"):
        return net, replace(mac, **{quantity: float(value)}), x
    net = copy.deepcopy(net)
    if quantity == "weight_bits":
        f = (2 ** int(value) - 1) / weight_max(mac)
        with torch.no_grad():
            for layer in net.layers:
                layer.weight.mul_(f)
        return net, replace(mac, weight_bits=int(value), gain=mac.gain / f), x
    if quantity == "input_bits":
        f = (2 ** int(value) - 1) / input_max(mac)
        net.net = replace(net.net, shift=net.net.shift + mac.input_bits - int(value))
        return net, replace(mac, input_bits=int(value), gain=mac.gain / f), x * f
    if quantity == "n_sends":
        with torch.no_grad():
            for layer in net.layers:
                layer.weight.div_(float(value))
                layer.n_sends *= int(value)
        return net, mac, x
    raise ValueError(f"quantity = {quantity!r} is not allowed: one of {SWEEPS}")


def sweep(net: AnalogNet, cfg: AnalogSection, data: Images) -> pd.DataFrame:
    """E2d: test accuracy of ``net`` on every chip instance at every value of every sweep
    (columns quantity, value, step, chip, accuracy)."""
    rows = []
    for quantity in SWEEPS:
        for step, value in enumerate(getattr(cfg.sweeps, quantity)):
            for c in range(cfg.n_chips):
                n2, mac, x = variant(net, chip_mac(cfg, c), data.x_test, quantity, value)
                rows.append({"quantity": quantity, "value": float(value), "step": step, "chip": c,
                             "accuracy": accuracy(n2, x, data.y_test, mac)})
    return pd.DataFrame(rows)


def monotone_within_error(curve: pd.DataFrame) -> bool:
    """Whether accuracy never rises from one step of a sweep to the next by more than the sum of
    the two steps' standard deviations over chip instances (``curve``: columns step, accuracy)."""
    stats = curve.groupby("step").accuracy.agg(["mean", "std"]).sort_index().fillna(0.0)
    m, s = stats["mean"].to_numpy(), stats["std"].to_numpy()
    return bool(np.all(m[1:] <= m[:-1] + s[1:] + s[:-1] + 1e-12))


def characterisation(cfg: AnalogSection, r: int) -> dict[str, float]:
    """E2c on replicate ``r``'s chip instance 0 (injected g, σ_trial, σ_fp from ``cfg.mac``):
    injected and estimated values and the relative errors (%)."""
    mac = chip_mac(replicate_section(cfg, r), 0)
    est = characterise(lambda x, w, rep: analog_mac(x, w, mac, 1, 0, rep), repeats=cfg.characterise_repeats,
                       seed=mac.chip_seed)
    return {"gain_injected": mac.gain, "gain_estimated": est.gain,
            "gain_error_pct": 100.0 * abs(est.gain / mac.gain - 1.0),
            "sigma_injected": mac.sigma_trial, "sigma_estimated": est.sigma_trial,
            "sigma_error_pct": 100.0 * abs(est.sigma_trial / mac.sigma_trial - 1.0) if mac.sigma_trial else 0.0,
            "fp_injected": mac.sigma_fp_gain, "fp_estimated": est.fixed_pattern}


def run_replicate(cfg: AnalogSection, r: int, progress: bool = False) -> dict:
    """Replicate ``r``: trains the digits network through the linear model, deploys it
    (quantised, noisy, on each chip instance), fine-tunes a copy on each chip instance, sweeps.
    Returns ``row`` (accuracies as fractions), ``chips`` (per chip) and ``sweeps`` frames."""
    rc = replicate_section(cfg, r)
    data = load_digits(rc)
    w_max = weight_max(cfg.mac)
    with single_thread():
        net = build_net(rc.network, data.side, 10, rc.mac, rc.init_seed)
        train(net, data.x_train, data.y_train, rc.pretrain, w_max, None, desc=f"pretrain r{r}", progress=progress)
        quiet = replace(rc.mac, sigma_trial=0.0, sigma_fp_gain=0.0, sigma_fp_offset=0.0)
        chips = []
        for c in range(rc.n_chips):
            mac = chip_mac(rc, c)
            aware = copy.deepcopy(net)
            train(aware, data.x_train, data.y_train, rc.finetune, w_max, chip_mac(rc, c, fine_tune=True),
                  desc=f"fine-tune r{r} chip {c}", progress=progress)
            chips.append({"replicate": r, "chip": c,
                          "noisy": accuracy(net, data.x_test, data.y_test, replace(quiet, sigma_trial=mac.sigma_trial,
                                                                                  noise_seed=mac.noise_seed)),
                          "deployed": accuracy(net, data.x_test, data.y_test, mac),
                          "aware": accuracy(aware, data.x_test, data.y_test, mac)})
        chips_frame = pd.DataFrame(chips)
        sweeps = sweep(net, rc, data).assign(replicate=r)
        row = {"replicate": r, "float": accuracy(net, data.x_test, data.y_test, None),
               "quantised": accuracy(net, data.x_test, data.y_test, quiet),
               **{k: float(chips_frame[k].mean()) for k in ("noisy", "deployed", "aware")},
               **{f"{k}_chip_std": float(chips_frame[k].std(ddof=1)) for k in ("deployed", "aware")},
               **{f"monotone_{q}": float(monotone_within_error(sweeps[sweeps.quantity == q])) for q in SWEEPS},
               **characterisation(cfg, r), "n_sends": net.n_sends, "n_train": len(data.x_train)}
        neurobench = {"float": analog_row(net, data.x_test, data.y_test, None, "the linear software model"),
                      "quantised": analog_row(net, data.x_test, data.y_test, quiet,
                                              "the MAC without noise or fixed pattern")}
    return {"row": row, "chips": chips_frame, "sweeps": sweeps, "net": net, "neurobench": neurobench}


def run_replicates(cfg: AnalogSection, progress: bool = False
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, list[dict]]]:
    """Every replicate: (results, one row per replicate; chips; sweeps; the NeuroBench-style rows
    (``table.analog_row``) of the trained network in the linear model and quantised on the MAC,
    one per replicate)."""
    outs = [run_replicate(cfg, r, progress) for r in track(range(cfg.n_seeds), desc="replicates", show=progress)]
    results = pd.DataFrame([o["row"] for o in outs])
    nb = {name: [o["neurobench"][name] for o in outs] for name in outs[0]["neurobench"]}
    return results, pd.concat([o["chips"] for o in outs], ignore_index=True), pd.concat(
        [o["sweeps"] for o in outs], ignore_index=True), nb


def mnist_run(cfg: AnalogSection, progress: bool = False) -> dict[str, float] | None:
    """E2a: the spec's MNIST network (A6) trained through the linear model on at most
    ``mnist_max_train`` samples, test accuracy in float and on chip instance 0 of replicate 0;
    None when MNIST's files are not under ``cfg.root`` or ``cfg.mnist`` is off."""
    if not cfg.mnist or dataset_unavailable("mnist", cfg.root) is not None:
        return None
    parts = [load_dataset("mnist", root=cfg.root, kind="static", split=s) for s in ("train", "test")]
    x_max = input_max(cfg.mac)
    xs = [_scaled(p.x, 28, x_max) for p in parts]
    ys = [np.asarray(p.y, dtype=np.int64) for p in parts]
    if cfg.mnist_max_train:
        xs[0], ys[0] = xs[0][:cfg.mnist_max_train], ys[0][:cfg.mnist_max_train]
    with single_thread():
        net = build_net(cfg.mnist_network, 28, 10, cfg.mac, cfg.init_seed)
        train(net, xs[0], ys[0], cfg.mnist_train, weight_max(cfg.mac), None, desc="MNIST", progress=progress)
        return {"mnist_float": accuracy(net, xs[1], ys[1], None),
                "mnist_deployed": accuracy(net, xs[1], ys[1], chip_mac(cfg, 0)), "mnist_train": float(len(xs[0]))}
