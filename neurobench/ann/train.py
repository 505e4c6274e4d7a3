"""Training the three stand-in ANNs of the conversion study in torch, exported as ``Ann``.

The paper's three networks are unknown (``docs/papers/conversion.md`` §8); these stand-ins are
ours:

========== ============ =====================================================================
kind       data         architecture (torch)
========== ============ =====================================================================
mlp        digits       flatten -> dense 64 -> H, ReLU -> dense H -> 10 (logits)
cnn        digits       conv 1 -> C (3x3, padding 1), ReLU -> avg-pool 2 -> flatten ->
                        dense 16 C -> H, ReLU -> dense H -> 10 (logits)
regression diabetes     dense 10 -> H1, ReLU -> dense H1 -> H2, ReLU -> dense H2 -> 1 (linear)
========== ============ =====================================================================

Export conventions (``to_ann``): weights become float64 numpy arrays in
``neurobench.network``'s ``Dense`` (``weight`` (n_out, n_in), flattening its input in C-order,
exactly like ``torch.nn.Flatten`` of a (C, H, W) tensor), ``Conv2d`` (``weight`` (C_out, C_in,
kH, kW), ``stride``, ``padding``) and ``AvgPool2d`` (non-overlapping, ``scale = 1``). Every layer
followed by a ``ReLU`` gets activation ``"relu"``, the last layer ``"linear"``. The CNN's
pooling layer has no ReLU in torch, but its inputs are ReLU outputs, hence non-negative, so a
ReLU after it is the identity: it is marked ``"relu"``. That is what a spiking pooling layer
computes anyway (IF neurons cannot fire at negative rates), and it tells converters that the
layer is a hidden, rectified one.

Data (``load_data``):

* ``"digits"``: scikit-learn's 8x8 digits via ``neurobench.data.load_dataset``, images
  (n, 1, 8, 8) in [0, 1], labels 0..9, stratified ``train_test_split`` seeded by ``seed``.
* ``"diabetes"``: scikit-learn's bundled diabetes data (442 samples, 10 features), a seeded random
  split. Rate codes need non-negative inputs in [0, 1], so the features are **min-max scaled to
  [0, 1] with the minimum and maximum of the training split** (test values outside the training
  range are clipped to [0, 1]); the target is **standardised** with the training split's mean and
  standard deviation. R^2 is therefore the same in standardised and original units.

Training is deterministic on CPU: ``torch.use_deterministic_algorithms(True)``, a fixed number of
intra-op threads, the seed fixing both the initial weights (inside ``torch.random.fork_rng``, so
the caller's global torch RNG is left untouched) and the mini-batch order (a ``torch.Generator``);
the global torch settings are restored afterwards. The same arguments give bit-identical weights.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Iterator, Literal, Sequence

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..network import AvgPool2d, Conv2d, Dense
from .model import Ann

Kind = Literal["mlp", "cnn", "regression"]
KINDS: tuple[str, ...] = ("mlp", "cnn", "regression")
DATA_OF_KIND: dict[str, str] = {"mlp": "digits", "cnn": "digits", "regression": "diabetes"}


@dataclass(frozen=True)
class AnnTrainConfig:
    """Hyper-parameters of one training run (see ``DEFAULTS`` for each kind's values).

    ``hidden``: hidden layer widths of the dense part (one entry for mlp and cnn);
    ``channels``: convolution channels (cnn only).
    """

    hidden: tuple[int, ...]
    channels: int = 8
    epochs: int = 30
    lr: float = 3e-3
    batch_size: int = 32
    weight_decay: float = 1e-4
    seed: int = 0


DEFAULTS: dict[str, AnnTrainConfig] = {
    "mlp": AnnTrainConfig(hidden=(100,), epochs=60, lr=1e-2, batch_size=32, weight_decay=1e-4),
    "cnn": AnnTrainConfig(hidden=(128,), channels=8, epochs=60, lr=1e-2, batch_size=32,
                       weight_decay=1e-4),
    "regression": AnnTrainConfig(hidden=(32, 16), epochs=100, lr=1e-3, batch_size=32,
                              weight_decay=1e-3),
}
"""Defaults per kind (Adam, cosine learning-rate decay to 0 over ``epochs``). On the default
split (seed 0) they give 96.9 % (mlp) and 97.2 % (cnn) test accuracy and R^2 = 0.51
(regression; a linear least-squares fit gets 0.52 on the same split), in 1-3 s each on one CPU
thread."""


# --------------------------------------------------------------------------------------- data


def load_data(name: str, *, test_fraction: float = 0.2, seed: int = 0
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of ``"digits"`` or ``"diabetes"`` (module docstring).

    digits: x float64 (n, 1, 8, 8) in [0, 1], y int64. diabetes: x float64 (n, 10) in [0, 1]
    (min-max scaled on the training split, test clipped), y float64 standardised on the
    training split.
    """
    if name == "digits":
        from ..data import load_dataset, train_test_split

        ds = load_dataset("digits")
        train, test = train_test_split(ds, test_fraction, seed)
        return ds.x[train], ds.y[train], ds.x[test], ds.y[test]
    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        x, y = load_diabetes(return_X_y=True)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction = {test_fraction} is not allowed: must be in (0, 1)")
        order = np.random.default_rng(seed).permutation(len(y))
        n_test = int(round(test_fraction * len(y)))
        test, train = np.sort(order[:n_test]), np.sort(order[n_test:])
        lo, hi = x[train].min(axis=0), x[train].max(axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        x = np.clip((x - lo) / span, 0.0, 1.0)
        mu, sd = y[train].mean(), y[train].std()
        y = (y - mu) / sd
        return x[train], y[train], x[test], y[test]
    raise ValueError(f"unknown data set {name!r}: 'digits' or 'diabetes'")


# ------------------------------------------------------------------------------------ modules


def build_module(kind: str, input_shape: Sequence[int], n_out: int, hidden: Sequence[int],
                 channels: int = 8) -> nn.Sequential:
    """The torch model of ``kind`` (float32, torch's default initialisation from the global RNG)."""
    input_shape = tuple(int(s) for s in input_shape)
    hidden = tuple(int(h) for h in hidden)
    if not hidden or min(hidden) < 1:
        raise ValueError(f"hidden must list at least one width >= 1, got {hidden}")
    mods: list[nn.Module] = []
    if kind in ("mlp", "regression"):
        mods.append(nn.Flatten())
        n_in = int(np.prod(input_shape))
    elif kind == "cnn":
        if len(input_shape) != 3:
            raise ValueError(f"cnn needs (C, H, W) inputs, got {input_shape}")
        c, h, w = input_shape
        mods += [nn.Conv2d(c, channels, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten()]
        n_in = channels * (h // 2) * (w // 2)
    else:
        raise ValueError(f"unknown kind {kind!r}: one of {KINDS}")
    for width in hidden:
        mods += [nn.Linear(n_in, width), nn.ReLU()]
        n_in = width
    mods.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*mods)


def _pair(v, name: str) -> int:
    if isinstance(v, tuple):
        if len(set(v)) != 1:
            raise ValueError(f"{name} must be the same along both axes, got {v}")
        v = v[0]
    return int(v)


def to_ann(module: nn.Sequential, input_shape: Sequence[int], task: str = "classification",
           name: str = "ann") -> Ann:
    """Export a torch ``Sequential`` (Linear, Conv2d, AvgPool2d, ReLU, Flatten) to ``Ann``."""
    layers, acts = [], []

    def arr(t):
        return t.detach().to(torch.float64).cpu().numpy().copy()

    for m in module:
        if isinstance(m, nn.Linear):
            bias = arr(m.bias) if m.bias is not None else None
            layers.append(Dense(arr(m.weight), bias))
            acts.append("linear")
        elif isinstance(m, nn.Conv2d):
            if m.groups != 1 or _pair(m.dilation, "dilation") != 1 or m.padding_mode != "zeros":
                raise ValueError("only plain convolutions export (groups 1, dilation 1, zeros)")
            if isinstance(m.padding, str):
                raise ValueError("give Conv2d an integer padding to export it")
            bias = arr(m.bias) if m.bias is not None else None
            layers.append(Conv2d(arr(m.weight), bias, stride=_pair(m.stride, "stride"),
                                 padding=_pair(m.padding, "padding")))
            acts.append("linear")
        elif isinstance(m, nn.AvgPool2d):
            k = _pair(m.kernel_size, "kernel_size")
            stride = k if m.stride is None else _pair(m.stride, "stride")
            if stride != k or _pair(m.padding, "padding") != 0 or m.ceil_mode:
                raise ValueError("only non-overlapping average pooling without padding exports")
            layers.append(AvgPool2d(k))
            # non-negative inputs (a ReLU before it) make a ReLU after it the identity
            acts.append("relu" if acts and acts[-1] == "relu" else "linear")
        elif isinstance(m, nn.ReLU):
            if not layers:
                raise ValueError("a ReLU must follow a layer")
            acts[-1] = "relu"
        elif isinstance(m, nn.Flatten):
            continue
        else:
            raise ValueError(f"cannot export {type(m).__name__}")
    return Ann(tuple(input_shape), tuple(layers), tuple(acts), task=task, name=name)


def to_torch(ann: Ann, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """The torch ``Sequential`` computing ``ann.forward(x)[-1]`` (for checks and fine-tuning)."""
    mods: list[nn.Module] = []
    for layer, act, shape in zip(ann.layers, ann.activations, ann.shapes[:-1]):
        if isinstance(layer, Dense):
            if len(shape) != 1:
                mods.append(nn.Flatten())
            lin = nn.Linear(layer.weight.shape[1], layer.weight.shape[0])
            lin.weight.data = torch.tensor(layer.weight, dtype=dtype)
            lin.bias.data = torch.tensor(layer.bias, dtype=dtype)
            mods.append(lin)
        elif isinstance(layer, Conv2d):
            co, ci, kh, kw = layer.weight.shape
            conv = nn.Conv2d(ci, co, (kh, kw), stride=layer.stride, padding=layer.padding)
            conv.weight.data = torch.tensor(layer.weight, dtype=dtype)
            conv.bias.data = torch.tensor(layer.bias, dtype=dtype)
            mods.append(conv)
        elif isinstance(layer, AvgPool2d):
            mods.append(nn.AvgPool2d(layer.kernel_size))
            if layer.scale != 1.0:
                raise ValueError("to_torch needs AvgPool2d.scale == 1")
        if act == "relu":
            mods.append(nn.ReLU())
    return nn.Sequential(*mods).to(dtype)


# ----------------------------------------------------------------------------------- training


@contextlib.contextmanager
def deterministic_torch(num_threads: int = 1) -> Iterator[None]:
    """Deterministic algorithms and ``num_threads`` intra-op threads; previous settings restored."""
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(num_threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(det, warn_only=warn_only)
        torch.set_num_threads(threads)


@dataclass
class AnnTrainResult:
    """A trained torch module, its ``Ann`` export and the training log."""

    module: nn.Sequential
    ann: Ann
    loss: list[float] = field(default_factory=list)  # mean training loss per epoch
    seconds: float = 0.0


def _task(kind: str) -> str:
    return "regression" if kind == "regression" else "classification"


def train(kind: str, x_train, y_train, *, hidden: Sequence[int] | int | None = None,
          channels: int | None = None, epochs: int | None = None, lr: float | None = None,
          batch_size: int | None = None, seed: int = 0, weight_decay: float | None = None,
          n_classes: int | None = None, num_threads: int = 1,
          progress: bool = False) -> AnnTrainResult:
    """Train ``kind`` on (x_train, y_train) with Adam; arguments left None take ``DEFAULTS[kind]``.

    Classification minimises cross-entropy on the logits (``n_classes`` outputs, default
    ``max(y_train) + 1``);
    regression minimises the mean squared error of the single linear output. Training runs in
    float32; the export is float64.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: one of {KINDS}")
    d = DEFAULTS[kind]
    if hidden is None:
        hidden = d.hidden
    hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
    channels = d.channels if channels is None else int(channels)
    epochs = d.epochs if epochs is None else int(epochs)
    lr = d.lr if lr is None else float(lr)
    batch_size = d.batch_size if batch_size is None else int(batch_size)
    weight_decay = d.weight_decay if weight_decay is None else float(weight_decay)
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    x = np.asarray(x_train, dtype=np.float64)
    y = np.asarray(y_train)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x_train has {len(x)} samples, y_train {len(y)}")
    task = _task(kind)
    if task == "classification":
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
            raise ValueError("classification labels must be non-negative integers")
        n_out = int(y.max()) + 1 if n_classes is None else int(n_classes)
        yt = torch.tensor(y, dtype=torch.int64)
        loss_fn: nn.Module = nn.CrossEntropyLoss()
    else:
        n_out = 1
        yt = torch.tensor(y, dtype=torch.float32).reshape(-1, 1)
        loss_fn = nn.MSELoss()
    xt = torch.tensor(x, dtype=torch.float32)
    input_shape = x.shape[1:]

    t0 = time.perf_counter()
    losses: list[float] = []
    with deterministic_torch(num_threads), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        module = build_module(kind, input_shape, n_out, hidden, channels)
        gen = torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(module.parameters(), lr=lr, weight_decay=weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
        n = len(xt)
        for _ in tqdm(range(epochs), desc=f"train {kind}", disable=not progress, leave=False):
            module.train()
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for start in range(0, n, batch_size):
                idx = perm[start:start + batch_size]
                opt.zero_grad()
                loss = loss_fn(module(xt[idx]), yt[idx])
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            sched.step()
            losses.append(total / n)
        module.eval()
    seconds = time.perf_counter() - t0
    ann = to_ann(module, input_shape, task=task, name=kind)
    return AnnTrainResult(module=module, ann=ann, loss=losses, seconds=seconds)


def train_ann(kind: str, x_train, y_train, **kwargs) -> Ann:
    """``train(...)`` returning only the exported ``Ann`` (same keyword arguments)."""
    return train(kind, x_train, y_train, **kwargs).ann


def evaluate(ann: Ann, x, y) -> float:
    """Accuracy (classification) or coefficient of determination R^2 (regression) on (x, y)."""
    pred = ann.predict(x)
    return score(ann.task, pred, y)


def score(task: str, pred, y) -> float:
    """Accuracy of class decisions ``pred``, or R^2 = 1 - SS_res / SS_tot of regression outputs."""
    pred, y = np.asarray(pred), np.asarray(y)
    if task == "classification":
        return float(np.mean(pred == y))
    y = y.astype(np.float64)
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return 1.0 - float(np.sum((pred - y) ** 2)) / ss_tot if ss_tot > 0 else float("nan")


def train_default(kind: str, *, seed: int = 0, data_seed: int = 0, progress: bool = False,
                  **overrides) -> tuple[Ann, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Load ``kind``'s data (split seeded by ``data_seed``) and train it with ``DEFAULTS``.

    Returns ``(ann, (x_train, y_train, x_test, y_test))``.
    """
    data = load_data(DATA_OF_KIND[kind], seed=data_seed)
    ann = train_ann(kind, data[0], data[1], seed=seed, progress=progress, **overrides)
    return ann, data


__all__ = [
    "DATA_OF_KIND",
    "DEFAULTS",
    "KINDS",
    "AnnTrainConfig",
    "AnnTrainResult",
    "build_module",
    "deterministic_torch",
    "evaluate",
    "load_data",
    "score",
    "to_ann",
    "to_torch",
    "train",
    "train_ann",
    "train_default",
]
