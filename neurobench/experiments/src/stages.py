"""The ``src`` stage's computations: tasks, training of every network, replicates, the
single-neuron study (E-SRC-1), the torch vs Brian2 forward check and the stimulus-length sweep.

Tasks (frames of 0/1 spikes, one network step per frame):

* ``rate``: the static data set (embedded digits by default) rate-coded: ``silent_steps`` empty
  frames, then ``stimulus_steps`` Bernoulli frames (E-SRC-2);
* ``events``: digits as saccade events (N-MNIST-like) or N-MNIST, binned into frames of
  ``frame_window`` ms, after the same silent frames.

Models per replicate: on ``rate`` the shallow SRC net (``network.hidden``, 64-100-10), the deep
SRC net (``network.deep_hidden``) and the snnTorch LIF net of the shallow size; on ``events`` the
shallow SRC and LIF nets. All train with the same ``training`` budget (``train_bptt``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ...data import load_dataset, poisson, train_test_split
from ...data.frames import frames_from_events
from ...data.saccade import saccade_sensor_size, saccades
from ...executor import ExecutorParams, Session, session_of
from ...models.lif import LIFNet
from ...models.src import SRCNet, SRCParams, single_neuron
from ...models.src_brian import src_brian_forward
from ...schema import replace as replace_params
from ...seeds import child_seed
from ...training.bptt import evaluate, train_bptt
from .params import SrcSection
from .table import model_row

__all__ = ["ABLATION", "MODELS", "StudyData", "brian_crosscheck", "build_model", "load_study_data", "model_spec",
           "model_task", "neuron_study", "rate_frames", "replicate_models", "replicate_section", "run_replicate",
           "run_replicates", "saccade_frames", "stimulus_sweep", "train_model"]

RATE, EVENTS = "rate", "events"
MODELS = {  # name -> (task, kind, which widths)
    "src_shallow": (RATE, "src", "hidden"),
    "src_deep": (RATE, "src", "deep_hidden"),
    "lif_shallow": (RATE, "lif", "hidden"),
    "src_events": (EVENTS, "src", "hidden"),
    "lif_events": (EVENTS, "lif", "hidden"),
}
"""The networks trained in every replicate (``ABLATION``: replicate 0, with ``ablation``)."""


def _silent(frames: np.ndarray, silent_steps: int) -> np.ndarray:
    n, _, n_in = frames.shape
    return np.concatenate([np.zeros((n, silent_steps, n_in), dtype=np.uint8), frames.astype(np.uint8)], axis=1)


def rate_frames(images, silent_steps: int, stimulus_steps: int, p_max: float, seed: int) -> np.ndarray:
    """Images (n, ...) in [0, 1] as (n, silent_steps + stimulus_steps, n_pixels) uint8 frames:
    empty frames, then pixel ``v`` spiking with probability ``v * p_max`` per step
    (``neurobench.data.poisson`` with dt = 1)."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return _silent(poisson(x, stimulus_steps, 1.0, p_max * 1000.0, seed), silent_steps)


def saccade_frames(images, silent_steps: int, n_steps: int, amplitude: float, threshold: float, seed: int,
                   window: float) -> np.ndarray:
    """Images as N-MNIST-like saccade events (``n_steps`` steps of 1 ms) binned into frames of
    ``window`` ms, after ``silent_steps`` empty frames: (n, frames, 2 H' W') uint8."""
    events = saccades(images, n_steps=n_steps, dt=1.0, amplitude=amplitude, contrast_threshold=threshold, seed=seed)
    frames = frames_from_events(events, saccade_sensor_size(np.shape(images), amplitude), window, float(n_steps))
    return _silent(frames.reshape(len(frames), frames.shape[1], -1), silent_steps)


@dataclass
class StudyData:
    """Labels, split and the frames of every task (name -> (n, T, n_in) uint8)."""

    y: np.ndarray
    n_classes: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    tasks: dict[str, np.ndarray]

    def overview(self) -> pd.DataFrame:
        """One row per task: steps, inputs, mean input spikes per test sample, train/test sizes."""
        return pd.DataFrame([{"task": name, "steps": x.shape[1], "inputs": x.shape[2],
                              "input spikes / sample": float(x[self.test_idx].sum(axis=(1, 2)).mean()),
                              "train": len(self.train_idx), "test": len(self.test_idx)}
                             for name, x in self.tasks.items()])


def _load_static(cfg: SrcSection):
    """(images, labels, n_classes, train_idx, test_idx): digits with our stratified split, the
    MNIST-like sets with their own train/test split."""
    if cfg.dataset == "digits":
        d = load_dataset("digits", root=cfg.root, kind="static")
        train_idx, test_idx = train_test_split(d.y, cfg.test_fraction, cfg.split_seed)
        return d.x, d.y, d.n_classes, train_idx, test_idx
    train = load_dataset(cfg.dataset, root=cfg.root, kind="static", split="train", max_samples=cfg.max_train or None)
    test = load_dataset(cfg.dataset, root=cfg.root, kind="static", split="test", max_samples=cfg.max_test or None)
    x, y = np.concatenate([train.x, test.x]), np.concatenate([train.y, test.y])
    return x, y, train.n_classes, np.arange(len(train.y)), len(train.y) + np.arange(len(test.y))


def _nmnist_frames(cfg: SrcSection, n_train: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    e = cfg.events
    parts = [load_dataset("nmnist", root=cfg.root, kind="events", split=s, max_samples=m or None)
             for s, m in (("train", n_train), ("test", n_test))]
    frames = [frames_from_events(p.x, p.sensor_size, e.frame_window, e.duration) for p in parts]
    frames = [_silent(f.reshape(len(f), f.shape[1], -1), cfg.encoding.silent_steps) for f in frames]
    return np.concatenate(frames), np.concatenate([p.y for p in parts])


def load_study_data(cfg: SrcSection) -> StudyData:
    """Load, split and encode both tasks as ``cfg`` says (module docstring). With
    ``events.task: nmnist`` the event task is N-MNIST's own train/test samples (capped by
    ``max_train`` / ``max_test``) and must have as many samples as the rate task's split."""
    images, y, n_classes, train_idx, test_idx = _load_static(cfg)
    if cfg.max_train:
        train_idx = train_idx[: cfg.max_train]
    if cfg.max_test:
        test_idx = test_idx[: cfg.max_test]
    enc, e = cfg.encoding, cfg.events
    tasks = {RATE: rate_frames(images, enc.silent_steps, enc.stimulus_steps, enc.p_max, enc.seed)}
    if e.task == "saccade_digits":
        if cfg.dataset != "digits":
            raise ValueError(f"src.events.task = 'saccade_digits' needs src.dataset = 'digits', got {cfg.dataset!r}")
        tasks[EVENTS] = saccade_frames(images, enc.silent_steps, e.saccade_steps, e.saccade_amplitude,
                                       e.saccade_threshold, e.seed, e.frame_window)
    elif e.task == "nmnist":
        frames, y_events = _nmnist_frames(cfg, len(train_idx), len(test_idx))
        keep = np.concatenate([train_idx, test_idx])
        if len(frames) != len(keep) or not np.array_equal(y_events, y[keep]):
            raise ValueError("src.events.task = 'nmnist' needs N-MNIST samples aligned with the rate task's: "
                             "set src.dataset: mnist and equal max_train / max_test")
        full = np.zeros((len(y), *frames.shape[1:]), dtype=np.uint8)
        full[keep] = frames
        tasks[EVENTS] = full
    return StudyData(np.asarray(y), int(n_classes), np.asarray(train_idx), np.asarray(test_idx), tasks)


def replicate_section(cfg: SrcSection, r: int) -> SrcSection:
    """``cfg`` for replicate ``r``: every seed field (``split_seed``, ``init_seed``,
    ``encoding.seed``, ``events.seed``, ``training.seed``) replaced by ``child_seed(seed, r)``."""
    return replace_params(
        cfg, split_seed=child_seed(cfg.split_seed, r), init_seed=child_seed(cfg.init_seed, r),
        encoding=replace_params(cfg.encoding, seed=child_seed(cfg.encoding.seed, r)),
        events=replace_params(cfg.events, seed=child_seed(cfg.events.seed, r)),
        training=replace_params(cfg.training, seed=child_seed(cfg.training.seed, r)))


ABLATION = "src_deep_no_bypass"
"""The deep SRC net without ``relu_bypass``, trained in replicate 0 when ``ablation``."""


def model_spec(name: str) -> tuple[str, str, str]:
    """``(task, kind, which widths)`` of model ``name``: its ``MODELS`` entry, the deep SRC
    net's for ``ABLATION``."""
    if name == ABLATION:
        return MODELS["src_deep"]
    if name not in MODELS:
        raise ValueError(f"model must be one of {[*MODELS, ABLATION]}, got {name!r}")
    return MODELS[name]


def build_model(kind: str, n_in: int, hidden, n_out: int, cfg: SrcSection, seed: int,
                cell: SRCParams | None = None, dtype: torch.dtype = torch.float32):
    """A freshly initialised ``SRCNet`` (``kind="src"``, constants ``cell`` or ``cfg.cell``) or
    ``LIFNet`` (``"lif"``), weights drawn from a generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(int(seed))
    net = cfg.network
    if kind == "src":
        return SRCNet(n_in, tuple(hidden), n_out, cell or cfg.cell, net.readout, net.readout_alpha, gen, dtype)
    if kind == "lif":
        return LIFNet(n_in, tuple(hidden), n_out, cfg.lif, net.readout, net.readout_alpha, gen, dtype)
    raise ValueError(f"model kind must be 'src' or 'lif', got {kind!r}")


def train_model(name: str, data: StudyData, cfg: SrcSection, progress: bool = False,
                cell: SRCParams | None = None):
    """Train model ``name`` (``MODELS``, or ``ABLATION``) on its task's training split
    and evaluate it on the test split. Returns (model, row: task, model, accuracy,
    spikes_per_sample (hidden spikes per test sample), best_epoch, parameters; history rows;
    timings: train_s, samples_per_s)."""
    task, kind, widths = model_spec(name)
    x = data.tasks[task]
    hidden = getattr(cfg.network, widths)
    model = build_model(kind, x.shape[2], hidden, data.n_classes, cfg, child_seed(cfg.init_seed, list(MODELS).index(name)
                                                                                    if name in MODELS else len(MODELS)),
                        cell)
    res = train_bptt(model, x[data.train_idx], data.y[data.train_idx], cfg.training, desc=f"{name} epochs",
                     progress=progress)
    xt = x[data.test_idx]
    acc = evaluate(model, xt, data.y[data.test_idx], cfg.training.batch_size)
    spikes = np.concatenate([model.hidden_spikes(torch.from_numpy(xt[a:a + 256].astype(np.float32)))
                             for a in range(0, len(xt), 256)])
    row = {"task": task, "model": name, "accuracy": acc, "spikes_per_sample": float(spikes.mean()),
           "best_epoch": res.best_epoch, "parameters": int(sum(q.numel() for q in model.parameters()))}
    history = [{"task": task, "model": name, **h} for h in res.history]
    return model, row, history, {"train_s": res.train_s, "samples_per_s": res.samples_per_s}


def replicate_models(cfg: SrcSection, data: StudyData, r: int) -> list[str]:
    """The models replicate ``r`` trains, in report order: every model of ``MODELS`` whose task
    ``data`` has (only the rate task's with ``events.task: none``), plus ``ABLATION``
    in replicate 0 when ``cfg.ablation``."""
    names = [n for n, (task, _, _) in MODELS.items() if task in data.tasks]
    return names + [ABLATION] if r == 0 and cfg.ablation else names


def _model_result(rcfg: SrcSection, data: StudyData, r: int, name: str):
    """``train_model`` of ``name`` in replicate ``r`` (``rcfg`` its section): (model, result
    row with ``replicate``, history rows, timings keyed ``<what>[<name>][r<r>]``, the
    NeuroBench-style row, None for the ablation)."""
    cell = replace_params(rcfg.cell, relu_bypass=False) if name == ABLATION else None
    model, row, hist, t = train_model(name, data, rcfg, False, cell)
    nb = model_row(model, data.tasks[row["task"]][data.test_idx], row["accuracy"]) if name in MODELS else None
    return (model, {"replicate": r, **row}, [{"replicate": r, **h} for h in hist],
            {f"{k}[{name}][r{r}]": v for k, v in t.items()}, nb)


def _collect_replicate(data: StudyData, names: list[str], results: list):
    """``run_replicate``'s returns from ``_model_result`` of each of ``names``, in that order."""
    models, rows, histories, timings, nb = {}, [], [], {}, {}
    for name, (model, row, hist, t, nb_row) in zip(names, results):
        models[name] = model
        rows.append(row)
        histories += hist
        timings.update(t)
        if nb_row is not None:  # not the ablation, trained in replicate 0 only
            nb[name] = nb_row
    return rows, histories, (data, models), timings, nb


def run_replicate(task: tuple[SrcSection, int]):
    """Replicate ``r`` (the task ``(cfg, r)``, ``replicate_section``) in this process: every
    model of ``replicate_models`` trained. Returns (result rows, history rows, (data, models),
    timings, the NeuroBench-style row of every model of ``MODELS``, ``table.model_row``).
    ``run_replicates`` computes the same, one executor task per model."""
    cfg, r = task
    rcfg = replicate_section(cfg, r)
    data = load_study_data(rcfg)
    names = replicate_models(cfg, data, r)
    return _collect_replicate(data, names, [_model_result(rcfg, data, r, name) for name in names])


def model_task(task: tuple[SrcSection, int, str]):
    """One model of replicate ``r`` trained (the executor's task ``(cfg, r, name)``):
    ``_model_result``. Pure (``neurobench.executor``'s contract): every seed is derived from
    ``(cfg, r)`` and the model's name."""
    cfg, r, name = task
    rcfg = replicate_section(cfg, r)
    return _model_result(rcfg, load_study_data(rcfg), r, name)


def run_replicates(cfg: SrcSection, executor: ExecutorParams | Session = ExecutorParams()):
    """Every replicate of ``cfg.n_seeds``, one executor task per (replicate, model)
    (:func:`model_task`, the deep networks first: they take longest), run where ``executor``
    says; the results are identical for every executor, and to :func:`run_replicate`'s.

    Returns (results: one row per replicate and model, with ``replicate``; histories; models and
    data of replicate 0; timings in wall seconds, keys ``<what>[<model>][r<r>]``, not
    reproducible; the NeuroBench-style rows of every model, one per replicate
    (``table.model_row``)).
    """
    data = [load_study_data(replicate_section(cfg, r)) for r in range(cfg.n_seeds)]
    names = [replicate_models(cfg, data[r], r) for r in range(cfg.n_seeds)]
    jobs = sorted(((r, name) for r in range(cfg.n_seeds) for name in names[r]),
                  key=lambda job: model_spec(job[1])[2] != "deep_hidden")
    with session_of(executor) as session:
        done = dict(zip(jobs, session.map(model_task, [(cfg, *job) for job in jobs], "src: models")))
    results = [_collect_replicate(data[r], names[r], [done[r, name] for name in names[r]])
               for r in range(cfg.n_seeds)]
    rows = [row for res in results for row in res[0]]
    histories = [h for res in results for h in res[1]]
    timings = {k: v for res in results for k, v in res[3].items()}
    nb = {name: [res[4][name] for res in results] for name in results[0][4]}
    return pd.DataFrame(rows), pd.DataFrame(histories), results[0][2], timings, nb


def neuron_study(p: SRCParams, drives, n_steps: int) -> tuple[pd.DataFrame, dict[float, dict]]:
    """E-SRC-1: one SRC neuron under each constant integrator input of ``drives`` for ``n_steps``
    steps. Returns (one row per drive: drive, saturated input x, spikes, mean inter-spike
    interval in steps (NaN with fewer than two spikes), spike width (steps above 1/2 per spike),
    min and max of h; the traces of ``single_neuron`` by drive)."""
    rows, traces = [], {}
    for d in drives:
        tr = single_neuron(float(d), n_steps, p)
        steps = tr["spike_steps"]
        above = int((tr["h"] > 0.5).sum())
        rows.append({"drive": float(d), "x (saturated input)": float(tr["x"][-1]), "spikes": int(len(steps)),
                     "mean ISI (steps)": float(np.diff(steps).mean()) if len(steps) > 1 else float("nan"),
                     "spike width (steps)": above / len(steps) if len(steps) else float("nan"),
                     "h min": float(tr["h"].min()), "h max": float(tr["h"].max())})
        traces[float(d)] = tr
    return pd.DataFrame(rows), traces


def brian_crosscheck(model: SRCNet, x, y=None) -> dict[str, float]:
    """The trained SRC ``model`` run in float64 by torch and by Brian2 (``src_brian_forward``)
    on frames ``x`` (n, T, n_in): ``max_abs_logit_diff``, ``max_abs_h_diff`` (over every hidden
    layer and step), ``prediction_agreement`` (fraction of equal arg-max), ``samples``,
    ``brian_s`` (wall seconds, not reproducible)."""
    arrays = model.arrays()
    m64 = SRCNet(model.sizes[0], model.sizes[1:-1], model.sizes[-1], model.p, model.readout, model.readout_alpha,
                 dtype=torch.float64)
    with torch.no_grad():
        for k, w in enumerate(m64.weights):
            w.copy_(torch.from_numpy(arrays[f"w{k}"]))
        for k, b in enumerate(m64.biases):
            b.copy_(torch.from_numpy(arrays[f"b{k}"]))
        m64.out_bias.copy_(torch.from_numpy(arrays["b_out"]))
        logits, hs = m64(torch.from_numpy(np.asarray(x, dtype=np.float64)), record=True)
    t0 = time.perf_counter()
    b_logits, b_hs = src_brian_forward(arrays, model.p, x, model.readout, model.readout_alpha)
    brian_s = time.perf_counter() - t0
    logits = logits.numpy()
    return {"samples": int(len(x)), "max_abs_logit_diff": float(np.abs(logits - b_logits).max()),
            "max_abs_h_diff": float(max(np.abs(h.numpy() - bh).max() for h, bh in zip(hs, b_hs))),
            "prediction_agreement": float((logits.argmax(1) == b_logits.argmax(1)).mean()), "brian_s": brian_s}


def stimulus_sweep(model, x, y, silent_steps: int, stimulus_steps, batch_size: int = 256) -> pd.DataFrame:
    """Test accuracy of a trained ``model`` when only the silent frames and the first ``k``
    stimulus frames of ``x`` are shown, for every ``k`` of ``stimulus_steps`` (capped at the
    frames there are): how the result moves with the assumed presentation length."""
    rows = []
    for k in stimulus_steps:
        n = min(silent_steps + int(k), x.shape[1])
        rows.append({"stimulus steps": n - silent_steps, "accuracy": evaluate(model, x[:, :n], y, batch_size)})
    return pd.DataFrame(rows).drop_duplicates("stimulus steps")
