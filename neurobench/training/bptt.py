"""A small shared harness for training spiking networks by backpropagation through time.

Used by the SRC study (``neurobench.models.src.SRCNet`` and its snnTorch LIF baseline) and the
synaptic-delay study (``neurobench.models.delays.DelayNet``). Any ``torch.nn.Module`` whose ``forward(x)`` maps input
frames ``x`` (batch, T, n_in) to logits (batch, n_classes) trains here; a ``clamp_()`` method,
when the model has one, is called after every optimiser step (parameter constraints).

* data: frames are kept as numpy arrays (uint8 0/1 spikes or floats) and turned into float32
  tensors batch by batch; batches are drawn by ``torch.randperm`` from a ``torch.Generator``
  seeded with ``BPTTParams.seed``;
* optimiser: Adam on the cross-entropy of the logits, optional gradient-norm clipping;
* early stopping: a stratified validation split (``val_fraction``, seed
  ``child_seed(seed, 0)``) is held out of the training set; after the last epoch (or
  ``patience`` epochs without a better validation accuracy) the model is restored to its best
  epoch;
* determinism: torch runs single-threaded (``neurobench.training.common.single_thread``) and
  nothing draws from torch's global random state, so the same model initialisation, data and
  seed give bit-identical parameters;
* progress: epochs are reported through ``neurobench.progress.track`` (the stage runner's
  terminal, never the report);
* checkpoints: ``save_checkpoint`` / ``load_checkpoint`` write and read the parameters as
  ``.npz`` (never pickle).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from pydantic import Field

from ..data import train_test_split
from ..io import atomic_path
from ..progress import track
from ..schema import Params
from ..seeds import child_seed
from .common import Timer, single_thread

__all__ = ["BPTTParams", "BPTTResult", "batch_indices", "evaluate", "load_checkpoint", "predict", "save_checkpoint",
           "train_bptt"]


class BPTTParams(Params):
    """Hyper-parameters of ``train_bptt``."""

    epochs: int = Field(5, ge=1, le=10_000, description="passes over the training set (upper bound with early stopping)")
    batch_size: int = Field(64, ge=1, le=65_536, description="samples per optimiser step")
    lr: float = Field(3e-3, gt=0, le=1, description="Adam learning rate")
    weight_decay: float = Field(0.0, ge=0, description="Adam weight decay")
    max_grad_norm: float = Field(0.0, ge=0, description="clip the gradient's 2-norm to this (0 = no clipping)")
    val_fraction: float = Field(0.1, ge=0, lt=1, description="share of the training set held out for validation "
                                                               "(0 = none: the last epoch is kept)")
    patience: int = Field(0, ge=0, description="stop after this many epochs without a better validation "
                                                "accuracy (0 = run every epoch)")
    seed: int = Field(0, ge=0, description="seed of the batch order and the validation split")


@dataclass
class BPTTResult:
    """What ``train_bptt`` returns. ``history``: one dict per epoch run (``epoch``, ``loss``
    (mean training cross-entropy), ``train_accuracy``, ``val_accuracy`` (NaN without a validation
    split)); ``best_epoch``: the epoch whose parameters the model holds (1-based); ``stopped_early``;
    ``train_s`` and ``samples_per_s``: wall-clock (not reproducible)."""

    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    train_s: float = float("nan")
    samples_per_s: float = float("nan")


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> list[torch.Tensor]:
    """A random permutation of ``range(n)`` (from ``generator``) cut into batches of
    ``batch_size`` (the last may be shorter)."""
    return list(torch.randperm(n, generator=generator).split(batch_size))


def _frames(x: np.ndarray, idx) -> torch.Tensor:
    return torch.from_numpy(np.asarray(x[np.asarray(idx)], dtype=np.float32))


@torch.no_grad()
def predict(model: torch.nn.Module, x, batch_size: int = 256) -> np.ndarray:
    """Logits (n, n_classes) of ``model`` on frames ``x`` (n, T, n_in), float64, in batches."""
    model.eval()
    out = [model(_frames(x, np.arange(a, min(a + batch_size, len(x))))).double().numpy()
           for a in range(0, len(x), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, 0))


def evaluate(model: torch.nn.Module, x, y, batch_size: int = 256) -> float:
    """Accuracy (fraction correct) of ``model`` on frames ``x`` with labels ``y``."""
    return float((predict(model, x, batch_size).argmax(1) == np.asarray(y)).mean())


def _step(model, opt, xb, yb, max_grad_norm: float) -> tuple[float, int]:
    model.train()
    logits = model(xb)
    loss = torch.nn.functional.cross_entropy(logits, yb)
    opt.zero_grad()
    loss.backward()
    if max_grad_norm > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    opt.step()
    if hasattr(model, "clamp_"):
        model.clamp_()
    return float(loss.detach()) * len(yb), int((logits.detach().argmax(1) == yb).sum())


def train_bptt(model: torch.nn.Module, x, y, params: BPTTParams = BPTTParams(), desc: str = "BPTT epochs",
               progress: bool = False) -> BPTTResult:
    """Train ``model`` in place on frames ``x`` (n, T, n_in) with integer labels ``y`` (n,) by
    BPTT (module docstring); returns the per-epoch history and timings. The model ends with the
    parameters of its best validation epoch (of the last epoch without a validation split)."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=np.int64)
    if x.ndim != 3 or len(x) != len(y):
        raise ValueError(f"x must be (n, T, n_in) frames with one label each, got x {x.shape} and y {y.shape}")
    if params.val_fraction > 0:
        train_idx, val_idx = train_test_split(y, params.val_fraction, child_seed(params.seed, 0))
    else:
        train_idx, val_idx = np.arange(len(y)), np.arange(0)
    gen = torch.Generator().manual_seed(params.seed)
    opt = torch.optim.Adam([q for q in model.parameters() if q.requires_grad], lr=params.lr,
                           weight_decay=params.weight_decay)
    yt = torch.from_numpy(y)
    result = BPTTResult()
    best_acc, best_state, waited, seen = -1.0, None, 0, 0
    with single_thread(), Timer() as timer:
        for epoch in track(range(1, params.epochs + 1), desc=desc, show=progress):
            loss_sum, correct = 0.0, 0
            for b in batch_indices(len(train_idx), params.batch_size, gen):
                idx = train_idx[b.numpy()]
                loss, right = _step(model, opt, _frames(x, idx), yt[idx], params.max_grad_norm)
                loss_sum, correct, seen = loss_sum + loss, correct + right, seen + len(idx)
            val_acc = evaluate(model, x[val_idx], y[val_idx], params.batch_size) if len(val_idx) else float("nan")
            result.history.append({"epoch": epoch, "loss": loss_sum / len(train_idx),
                                   "train_accuracy": correct / len(train_idx), "val_accuracy": val_acc})
            if not len(val_idx) or val_acc > best_acc:
                best_acc, best_state, waited, result.best_epoch = val_acc, copy.deepcopy(model.state_dict()), 0, epoch
            else:
                waited += 1
                if params.patience and waited >= params.patience:
                    result.stopped_early = epoch < params.epochs
                    break
        if best_state is not None:
            model.load_state_dict(best_state)
    result.train_s = timer.seconds
    result.samples_per_s = seen / timer.seconds if timer.seconds > 0 else float("nan")
    return result


def save_checkpoint(path: str | Path, model: torch.nn.Module) -> Path:
    """Write ``model``'s parameters and buffers (``state_dict``) to ``path`` as ``.npz`` (one
    array per name, original dtype; no pickle), atomically. Returns the path."""
    path = Path(path)
    arrays = {name: t.detach().cpu().numpy() for name, t in model.state_dict().items()}
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        np.savez(f, **arrays)
    return path


def load_checkpoint(path: str | Path, model: torch.nn.Module) -> torch.nn.Module:
    """Load parameters written by ``save_checkpoint`` into ``model`` (names and shapes must
    match exactly); returns the model."""
    with np.load(Path(path), allow_pickle=False) as data:
        state = {name: torch.from_numpy(data[name].copy()) for name in data.files}
    model.load_state_dict(state, strict=True)
    return model
