"""What the ``wireless`` notebook runs: the digits as saccade events, the NeuroJSCC chain
trained with the channel in the loop, the frame-based BPSK baseline, and both systems' accuracy
against SNR, time to decision (channel uses) and energy (pulses).

Counting (``neurobench.wireless``): the SNN link uses ``n_channels`` channel uses per step, so a
decision after step ``t`` (1-based) has used ``t * n_channels`` channel uses and sent the pulses
(spikes) of those steps; the frame baseline decides after its whole frame, ``F * bits`` channel
uses and as many units of energy (``F`` = 64 pixel intensities of the 8x8 digit, what a frame
camera captures).

Every replicate ``r`` derives each of its seeds with ``child_seed(seed, r)``
(``replicate_section``); torch runs single-threaded and draws only from seeded generators, so
the same params give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ...data import load_dataset, train_test_split
from ...data.frames import frames_from_events
from ...data.saccade import saccade_sensor_size, saccades
from ...executor import ExecutorParams, Session, session_of
from ...schema import replace as replace_params
from ...seeds import child_seed
from ...training.bptt import train_bptt
from ...training.common import single_thread
from ...wireless.frame import frame_channel_uses, frame_link
from ...wireless.jscc import NeuroJSCC, decode_over_time
from .params import WirelessSection
from .table import chain_row

__all__ = ["LinkData", "build_chain", "decision_uses", "frame_accuracy", "load_data", "replicate_section",
           "run_replicate", "run_replicates", "snn_curves", "split_noiseless", "uses_over_levels"]

NOISELESS = "noiseless"


@dataclass
class LinkData:
    """Saccade frames (n, T, 2 H' W') uint8, the images' pixel intensities (n, 64) in [0, 1] (the
    frame baseline's features), labels and the split."""

    x: np.ndarray
    features: np.ndarray
    y: np.ndarray
    n_classes: int
    train_idx: np.ndarray
    test_idx: np.ndarray

    def overview(self) -> pd.DataFrame:
        """Steps, SNN inputs, frame features, classes, mean input events per test sample, sizes."""
        return pd.DataFrame([{"steps": self.x.shape[1], "SNN inputs": self.x.shape[2],
                              "frame features": self.features.shape[1], "classes": self.n_classes,
                              "input spikes / sample": float(self.x[self.test_idx].sum(axis=(1, 2)).mean()),
                              "train": len(self.train_idx), "test": len(self.test_idx)}])


def replicate_section(cfg: WirelessSection, r: int) -> WirelessSection:
    """``cfg`` for replicate ``r``: ``split_seed``, ``events.seed``, ``init_seed``, ``link_seed``,
    ``eval_seed`` and ``training.seed`` replaced by ``child_seed(seed, r)``."""
    return replace_params(
        cfg, split_seed=child_seed(cfg.split_seed, r), init_seed=child_seed(cfg.init_seed, r),
        link_seed=child_seed(cfg.link_seed, r), eval_seed=child_seed(cfg.eval_seed, r),
        events=replace_params(cfg.events, seed=child_seed(cfg.events.seed, r)),
        training=replace_params(cfg.training, seed=child_seed(cfg.training.seed, r)))


def load_data(cfg: WirelessSection) -> LinkData:
    """The digits of the (capped) stratified split as saccade events binned in 1 ms frames, and
    their intensities; rows are the training samples, then the test samples."""
    d = load_dataset("digits", root=cfg.root, kind="static")
    train, test = train_test_split(d.y, cfg.test_fraction, cfg.split_seed)
    train = train[: cfg.max_train] if cfg.max_train else train
    test = test[: cfg.max_test] if cfg.max_test else test
    keep = np.concatenate([train, test])  # only the samples used are recorded
    images = np.asarray(d.x, dtype=np.float64).reshape(len(d.x), 8, 8)[keep]
    e = cfg.events
    events = saccades(images, n_steps=e.steps, dt=1.0, amplitude=e.amplitude, contrast_threshold=e.threshold,
                      seed=e.seed)
    frames = frames_from_events(events, saccade_sensor_size(images.shape, e.amplitude), 1.0, float(e.steps))
    return LinkData(frames.reshape(len(frames), frames.shape[1], -1), images.reshape(len(images), -1),
                    np.asarray(d.y, dtype=np.int64)[keep], int(d.n_classes), np.arange(len(train)),
                    len(train) + np.arange(len(test)))


def build_chain(cfg: WirelessSection, n_in: int, n_classes: int) -> NeuroJSCC:
    """A fresh NeuroJSCC chain at ``train_snr_db``, weights from ``init_seed``, training channel
    draws from ``link_seed``."""
    return NeuroJSCC(n_in, n_classes, cfg.jscc, cfg.channel, cfg.train_snr_db,
                     torch.Generator().manual_seed(cfg.init_seed), cfg.link_seed)


def _snr_label(snr: float | None):
    return NOISELESS if snr is None else float(snr)


def snn_curves(model: NeuroJSCC, data: LinkData, cfg: WirelessSection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The chain on the test set. Returns (accuracy vs SNR: one row per ``snr_grid_db`` point and
    ``noiseless``, with accuracy, pulses per sample and spike error rate; accuracy vs time at
    ``decision_snr_db``: one row per step with channel uses and mean pulses sent so far). Every
    point draws its channels from ``child_seed(eval_seed, i)``."""
    xt, yt = data.x[data.test_idx], data.y[data.test_idx]
    n_uses = cfg.jscc.n_channels * xt.shape[1]
    rows = []
    for i, snr in enumerate([*cfg.snr_grid_db, None]):
        logits, sent, errors = decode_over_time(model, xt, snr, child_seed(cfg.eval_seed, i))
        rows.append({"snr_db": _snr_label(snr), "accuracy": float((logits[:, -1].argmax(1) == yt).mean()),
                     "pulses": float(sent[:, -1].mean()), "spike_error_rate": float(errors.mean() / n_uses)})
    logits, sent, _ = decode_over_time(model, xt, cfg.decision_snr_db, child_seed(cfg.eval_seed, len(rows)))
    steps = np.arange(1, xt.shape[1] + 1)
    over_time = pd.DataFrame({"step": steps, "channel_uses": steps * cfg.jscc.n_channels,
                              "accuracy": (logits.argmax(2) == yt[:, None]).mean(0),
                              "energy": sent.mean(0)})
    return pd.DataFrame(rows), over_time


def frame_accuracy(data: LinkData, cfg: WirelessSection, bits: int, snr_db: float | None, seed: int) -> float:
    """Test accuracy of the frame baseline: features sent as ``bits``-bit BPSK frames at
    ``snr_db`` (None: error-free), a logistic-regression classifier trained on the received
    training features at the same SNR (channels from ``child_seed(seed, 0)``, test channels from
    ``child_seed(seed, 1)``)."""
    from sklearn.linear_model import LogisticRegression

    received = [frame_link(data.features[idx], bits, cfg.channel, snr_db,
                           torch.Generator().manual_seed(child_seed(seed, k)))
                for k, idx in enumerate((data.train_idx, data.test_idx))]
    clf = LogisticRegression(C=cfg.frame.c, max_iter=2000)
    clf.fit(received[0], data.y[data.train_idx])
    return float((clf.predict(received[1]) == data.y[data.test_idx]).mean())


def frame_curves(data: LinkData, cfg: WirelessSection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frame baseline: (accuracy vs SNR at ``frame.bits``, with ``noiseless``; accuracy vs
    ``frame.bits_grid`` at ``decision_snr_db`` with channel uses = energy = ``F * bits``). Seeds
    ``child_seed(eval_seed, 100 + i)``."""
    n_feat = data.features.shape[1]
    rows = []
    for i, snr in enumerate([*cfg.snr_grid_db, None]):
        rows.append({"snr_db": _snr_label(snr), "accuracy": frame_accuracy(data, cfg, cfg.frame.bits, snr,
                                                                           child_seed(cfg.eval_seed, 100 + i)),
                     "pulses": float(frame_channel_uses(n_feat, cfg.frame.bits))})
    over_bits = []
    for j, bits in enumerate(cfg.frame.bits_grid):
        uses = frame_channel_uses(n_feat, bits)
        over_bits.append({"bits": bits, "channel_uses": uses, "energy": float(uses),
                          "accuracy": frame_accuracy(data, cfg, bits, cfg.decision_snr_db,
                                                     child_seed(cfg.eval_seed, 200 + j))})
    return pd.DataFrame(rows), pd.DataFrame(over_bits)


def decision_uses(curve: pd.DataFrame, level: float, column: str) -> float:
    """The smallest ``column`` (channel uses or energy) of ``curve`` (rows in increasing channel
    uses) at which its accuracy reaches ``level``; NaN when it never does."""
    hit = curve[curve.accuracy >= level - 1e-12]
    return float(hit[column].iloc[0]) if len(hit) else float("nan")


def uses_over_levels(snn_time: pd.DataFrame, frame_bits: pd.DataFrame, fractions) -> pd.DataFrame:
    """For every equal-accuracy level ``f * min(best SNN, best frame accuracy)``: the channel uses
    and energy each system needs to reach it, and the SNN-over-frame ratios (the sensitivity of
    the time and energy claims to the level chosen)."""
    top = min(snn_time.accuracy.max(), frame_bits.accuracy.max())
    rows = []
    for f in fractions:
        level = float(f) * top
        row = {"fraction": float(f), "level": level}
        for name, curve in (("snn", snn_time), ("frame", frame_bits)):
            row[f"{name}_channel_uses"] = decision_uses(curve, level, "channel_uses")
            row[f"{name}_energy"] = decision_uses(curve, level, "energy")
        row["uses_ratio"] = row["snn_channel_uses"] / row["frame_channel_uses"]
        row["energy_ratio"] = row["snn_energy"] / row["frame_energy"]
        rows.append(row)
    return pd.DataFrame(rows)


def split_noiseless(curves: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An accuracy-vs-SNR frame cut into (the rows at a finite SNR, with ``snr_db`` as float; the
    ``noiseless`` rows)."""
    noiseless = curves.snr_db.astype(str) == NOISELESS
    return curves[~noiseless].astype({"snr_db": float}), curves[noiseless]


def run_replicate(cfg: WirelessSection, r: int, progress: bool = False) -> tuple[dict, dict]:
    """Replicate ``r`` (module docstring). Returns (one row of numbers; artefacts: the curves,
    the training history, the data and the model)."""
    rcfg = replicate_section(cfg, r)
    data = load_data(rcfg)
    model = build_chain(rcfg, data.x.shape[2], data.n_classes)
    res = train_bptt(model, data.x[data.train_idx], data.y[data.train_idx], rcfg.training,
                     desc="NeuroJSCC epochs", progress=progress)
    snn_snr, snn_time = snn_curves(model, data, rcfg)
    frame_snr, frame_bits = frame_curves(data, rcfg)
    levels = uses_over_levels(snn_time, frame_bits, [rcfg.decision_fraction])
    by_snr = snn_snr.set_index("snr_db").accuracy
    fr_snr = frame_snr.set_index("snr_db").accuracy
    lo, hi = rcfg.snr_grid_db[0], rcfg.snr_grid_db[-1]
    row = {"replicate": r, "snn_acc_noiseless": float(by_snr[NOISELESS]), "snn_acc_max_snr": float(by_snr[hi]),
           "snn_acc_min_snr": float(by_snr[lo]), "frame_acc_noiseless": float(fr_snr[NOISELESS]),
           "frame_acc_max_snr": float(fr_snr[hi]), "frame_acc_min_snr": float(fr_snr[lo]),
           "snn_pulses": float(snn_snr.set_index("snr_db").pulses[NOISELESS]),
           "snn_channel_uses_full": float(snn_time.channel_uses.iloc[-1]),
           "snn_acc_decision_snr": float(snn_time.accuracy.iloc[-1]),
           **{k: float(v) for k, v in levels.iloc[0].items() if k != "fraction"},
           "n_train": len(data.train_idx), "n_test": len(data.test_idx)}
    art = {"data": data, "model": model, "history": pd.DataFrame(res.history),
           "snr": pd.concat([snn_snr.assign(system="SNN + impulse radio"),
                             frame_snr.assign(system=f"frame, {rcfg.frame.bits}-bit BPSK")], ignore_index=True),
           "time": snn_time, "bits": frame_bits,
           "levels": uses_over_levels(snn_time, frame_bits, rcfg.decision_fraction_sweep),
           "neurobench": chain_row(model, data.x[data.test_idx], data.y[data.test_idx])}
    return row, art


def replicate_task(task: tuple[WirelessSection, int]) -> tuple[dict, dict]:
    """:func:`run_replicate` of the task ``(cfg, r)`` with torch on one thread: the executor's
    task function (pure: every seed is derived from ``(cfg, r)``)."""
    cfg, r = task
    with single_thread():
        return run_replicate(cfg, r, False)


def run_replicates(cfg: WirelessSection, executor: ExecutorParams | Session = ExecutorParams()
                   ) -> tuple[pd.DataFrame, dict]:
    """Every replicate of ``cfg.n_seeds`` (one task per replicate, run where ``executor`` says;
    the results are identical for every executor). Returns (one row per replicate; the artefacts
    of every replicate's curves concatenated with a ``replicate`` column, plus replicate 0's data
    and ``neurobench``: the NeuroBench-style rows of the trained chain, one per replicate
    (``table.chain_row``))."""
    with session_of(executor) as session:
        results = session.map(replicate_task, [(cfg, r) for r in range(cfg.n_seeds)], "wireless: replicates")
    rows = [row for row, _ in results]
    arts = [art for _, art in results]
    out = {name: pd.concat([a[name].assign(replicate=r) for r, a in enumerate(arts)], ignore_index=True)
           for name in ("history", "snr", "time", "bits", "levels")}
    out["data"] = arts[0]["data"]
    out["neurobench"] = {"neurojscc": [a["neurobench"] for a in arts]}
    return pd.DataFrame(rows), out
