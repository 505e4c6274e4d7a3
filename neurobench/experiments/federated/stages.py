"""What the ``federated`` notebook runs: the digits encoded into spikes, E-FL-1 (federated vs
separate vs centralised on two classes over two devices, one class each, and on ten classes over
``ten_class_devices`` devices), E-FL-2 (accuracy against tau and against the uplink budget) and
the uplink count over quantisations.

Replicate ``r`` derives every seed of the section with ``child_seed(seed, r)``
(``replicate_section``); everything runs in numpy from seeded generators, so the same params give
the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data import load_dataset, train_test_split
from ...data.encoders import poisson
from ...federated.fl import FLResult, run_federated, split_devices, uplink_per_round
from ...progress import track
from ...schema import replace as replace_params
from ...seeds import child_seed
from .params import FederatedSection
from .table import glm_row

__all__ = ["MODES", "Digits", "device_indices", "load_digits_spikes", "replicate_section", "run_replicate", "run_replicates",
           "sweep_summary", "uplink_table"]

MODES = ("federated", "separate", "centralised")


@dataclass
class Digits:
    """Spike frames (n, T, 64) uint8 of the chosen digits, labels 0..C-1, stratified split."""

    x: np.ndarray
    y: np.ndarray
    digits: list[int]
    train_idx: np.ndarray
    test_idx: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.digits)

    def overview(self) -> pd.DataFrame:
        """Digits, steps, inputs, train/test sizes, mean input spikes per sample."""
        return pd.DataFrame([{"digits": " ".join(map(str, self.digits)), "steps": self.x.shape[1],
                              "inputs": self.x.shape[2], "train": len(self.train_idx), "test": len(self.test_idx),
                              "input spikes / sample": float(self.x.sum(axis=(1, 2)).mean())}])


def replicate_section(cfg: FederatedSection, r: int) -> FederatedSection:
    """``cfg`` for replicate ``r``: ``split_seed``, ``encoding.seed``, ``init_seed``,
    ``train_seed`` and ``eval_seed`` replaced by ``child_seed(seed, r)``."""
    return replace_params(cfg, split_seed=child_seed(cfg.split_seed, r), init_seed=child_seed(cfg.init_seed, r),
                          train_seed=child_seed(cfg.train_seed, r), eval_seed=child_seed(cfg.eval_seed, r),
                          encoding=replace_params(cfg.encoding, seed=child_seed(cfg.encoding.seed, r)))


def load_digits_spikes(cfg: FederatedSection, digits: list[int]) -> Digits:
    """The embedded 8x8 digits of ``digits`` (relabelled 0..C-1 in that order; pixels in
    [0, 1] by the loader) Poisson-encoded (``cfg.encoding``), split by ``cfg.test_fraction``."""
    d = load_dataset("digits", kind="static")
    images = np.asarray(d.x, dtype=np.float64).reshape(len(d.x), -1)
    labels = np.asarray(d.y)
    keep = np.isin(labels, digits)
    images = images[keep]  # already in [0, 1]
    y = np.array([digits.index(int(v)) for v in labels[keep]], dtype=np.int64)
    e = cfg.encoding
    x = poisson(np.clip(images, 0.0, 1.0), e.n_steps, e.dt, e.max_rate, e.seed)
    train, test = train_test_split(y, cfg.test_fraction, cfg.split_seed)
    return Digits(x, y, list(digits), train, test)


def device_indices(data: Digits, cfg: FederatedSection, fl) -> list[np.ndarray]:
    """Each device's training samples (indices into ``data.x``): ``split_devices`` of the
    training set by ``fl.split`` with ``cfg.split_seed``."""
    local = split_devices(data.y[data.train_idx], fl.n_devices, fl.split, cfg.split_seed)
    return [data.train_idx[i] for i in local]


def _run(data: Digits, cfg: FederatedSection, fl, mode: str) -> FLResult:
    idx = device_indices(data, cfg, fl)
    return run_federated(data.x, data.y, idx, data.x[data.test_idx], data.y[data.test_idx], data.n_classes,
                         cfg.glm, cfg.rule, fl, mode, cfg.train_seed, cfg.init_seed, cfg.eval_seed)


def run_replicate(cfg: FederatedSection, r: int, progress: bool = False) -> tuple[dict, dict]:
    """Replicate ``r`` (module docstring). Returns (one row of numbers: ``acc_<mode>`` and
    ``ten_acc_<mode>`` as fractions, uplink totals; artefacts: ``curves`` (accuracy along
    training), ``sweeps`` (E-FL-2 rows), ``data``, ``neurobench``: the NeuroBench-style rows of
    the final two-class federated (server) and centralised networks, ``table.glm_row``)."""
    rcfg = replicate_section(cfg, r)
    data = load_digits_spikes(rcfg, rcfg.classes)
    row: dict = {"replicate": r, "n_train": len(data.train_idx), "n_test": len(data.test_idx)}
    curves, sweeps, nb = [], [], {}
    jobs = [("two", m) for m in MODES]
    if rcfg.ten_class:
        jobs += [("ten", m) for m in MODES]
    jobs += [("tau", t) for t in rcfg.taus] + [("rate", q) for q in rcfg.rates]
    ten = load_digits_spikes(rcfg, list(range(10))) if rcfg.ten_class else None
    ten_fl = replace_params(rcfg.fl, n_devices=rcfg.ten_class_devices, split=rcfg.ten_class_split,
                            samples_per_device=rcfg.ten_class_samples)
    for kind, what in track(jobs, f"federated replicate {r}", show=progress):
        if kind in ("two", "ten"):
            res = _run(data if kind == "two" else ten, rcfg, rcfg.fl if kind == "two" else ten_fl, what)
            prefix = "acc" if kind == "two" else "ten_acc"
            if kind == "two" and what in ("federated", "centralised"):
                nb[what] = glm_row(res.final, rcfg.glm, data.x[data.test_idx], data.y[data.test_idx],
                                   data.n_classes, rcfg.eval_seed)
            row[f"{prefix}_{what}"] = res.final_accuracy
            if what == "federated":
                row[f"{prefix.replace('acc', 'uplink_floats')}"] = float(res.uplink_floats)
                row[f"{prefix.replace('acc', 'rounds')}"] = float(res.rounds)
            curves += [{"study": "2 classes" if kind == "two" else "10 classes", "mode": what, "replicate": r,
                        "step": s, "accuracy": a} for s, a in zip(res.steps, res.accuracy)]
        else:
            fl = replace_params(rcfg.fl, **{kind: what})
            res = _run(data, rcfg, fl, "federated")
            sweeps.append({"sweep": kind, "value": float(what), "replicate": r, "accuracy": res.final_accuracy,
                           "rounds": res.rounds, "uplink_floats": res.uplink_floats, "uplink_bits": res.uplink_bits})
    sw = pd.DataFrame(sweeps)
    for kind in ("tau", "rate"):
        acc = sw[sw.sweep == kind].accuracy.to_numpy()  # ordered from most to least communication
        row[f"{kind}_max_rise"] = float(np.max(np.concatenate([[0.0], np.diff(acc)])))
        row[f"{kind}_drop"] = float(acc[0] - acc[-1])
    return row, {"curves": pd.DataFrame(curves), "sweeps": sw, "data": data, "neurobench": nb}


def run_replicates(cfg: FederatedSection, progress: bool = False) -> tuple[pd.DataFrame, dict]:
    """Every replicate of ``cfg.n_seeds``. Returns (one row per replicate; artefacts with
    ``curves`` and ``sweeps`` of all replicates, replicate 0's ``data`` and ``neurobench``, the
    NeuroBench-style rows of every replicate by network)."""
    rows, curves, sweeps, first, nb = [], [], [], {}, {}
    for r in range(cfg.n_seeds):
        row, art = run_replicate(cfg, r, progress)
        rows.append(row)
        curves.append(art["curves"])
        sweeps.append(art["sweeps"])
        for name, nb_row in art["neurobench"].items():
            nb.setdefault(name, []).append(nb_row)
        first = first or art
    return pd.DataFrame(rows), {"curves": pd.concat(curves, ignore_index=True),
                                "sweeps": pd.concat(sweeps, ignore_index=True), "data": first["data"],
                                "neurobench": nb}


def sweep_summary(sweeps: pd.DataFrame, kind: str) -> pd.DataFrame:
    """E-FL-2 sweep ``kind`` (``tau`` or ``rate``): accuracy (%) mean and std over replicates and
    the uplink floats per device and run, by value."""
    s = sweeps[sweeps.sweep == kind].copy()
    s["accuracy (%)"] = 100.0 * s.accuracy
    g = s.groupby("value", sort=False)
    out = pd.DataFrame({"accuracy (%)": g["accuracy (%)"].mean(), "std (pp)": g["accuracy (%)"].std().fillna(0.0),
                        "uplink floats": g.uplink_floats.mean(), "rounds": g.rounds.mean()})
    return out.rename_axis(kind).reset_index()


def uplink_table(cfg: FederatedSection, n_in: int, n_out: int) -> pd.DataFrame:
    """Uplink per device and round, in floats and in kbit at each of ``quant_bits``, for every
    rate of ``cfg.rates`` (the assumption behind the bit counts, and how they move with it)."""
    n_learn = cfg.glm.n_hidden + n_out
    rows = []
    for rate in cfg.rates:
        row = {"rate": rate, "floats": uplink_per_round(n_learn, n_in + n_learn, cfg.glm.n_basis, rate, 32)[0]}
        for b in cfg.quant_bits:
            row[f"{b}-bit (kbit)"] = uplink_per_round(n_learn, n_in + n_learn, cfg.glm.n_basis, rate, b)[1] / 1e3
        rows.append(row)
    return pd.DataFrame(rows)
