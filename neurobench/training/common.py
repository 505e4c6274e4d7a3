"""What both SNN trainers of the asynchronous study share: configuration, weight initialisation,
determinism, batching.

``TrainConfig`` holds the hyper-parameters of the SNN trainers in this package
(``train_sync``: layer-synchronized snnTorch BPTT; ``train_async``: unlayered backprop through
asynchronous execution) and ``TrainResult`` what they return: a bias-free ``Network`` of
``Dense`` layers with weights in mV, per-epoch loss and training accuracy. They are unrelated to
``neurobench.ann.train``'s ``AnnTrainConfig`` / ``AnnTrainResult``, which train the ANNs that the
conversion stages turn into SNNs.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from ..models.surrogate import SURROGATES
from ..network import Network

__all__ = ["SURROGATES", "TrainConfig", "TrainResult", "batches", "init_weights", "single_thread"]

@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of SNN training by ``train_sync`` / ``train_async`` (validated on construction).

    Parameters
    ----------
    hidden : tuple of int
        Hidden layer widths (each >= 1); the architecture is ``n_in -> hidden... -> n_classes``.
    epochs : int
        Passes over the training set, >= 1.
    batch_size : int
        Samples per optimiser step, >= 1.
    lr : float
        Adam learning rate, > 0.
    weight_decay : float
        Adam weight decay, >= 0 (asynctorch examples: 1e-5).
    init_gain : float
        Gain of the Xavier-uniform initialisation, > 0 (weights in mV for ``v_th`` in mV).
    input_dropout : float
        Probability of dropping each input event during training, in [0, 1) (asynctorch: 0.25).
    refractory_dropout : float
        Probability that a spiking neuron does not become refractory during asynchronous
        training, in [0, 1) (asynctorch: 0.8).
    truncate : bool
        Truncated per-frame backprop for asynchronous training (loss and backward every frame).
    surrogate : str
        Surrogate gradient of the spike (``SURROGATES``: snnTorch's ``atan`` with alpha = 2, the
        asynctorch examples' choice; ``fast_sigmoid`` and ``sigmoid`` with slope 25).
    seed : int
        Seed of initialisation, shuffling, dropout and (training) scheduling, >= 0.
    """

    hidden: tuple[int, ...] = (64,)
    epochs: int = 3
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-5
    init_gain: float = 1.0
    input_dropout: float = 0.0
    refractory_dropout: float = 0.0
    truncate: bool = False
    surrogate: str = "atan"
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden widths must be >= 1, got {self.hidden}")
        for name, minimum in (("epochs", 1), ("batch_size", 1), ("seed", 0)):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= minimum):
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not self.init_gain > 0:
            raise ValueError(f"init_gain must be > 0, got {self.init_gain}")
        if self.surrogate not in SURROGATES:
            raise ValueError(f"surrogate must be one of {SURROGATES}, got {self.surrogate!r}")
        for name in ("input_dropout", "refractory_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")


@dataclass
class TrainResult:
    """A trained model: the ``Network`` (Dense, bias-free), per-epoch loss and training
    accuracy (deterministic), and wall-clock throughput (not deterministic)."""

    network: Network
    loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    samples_per_s: float = float("nan")


def init_weights(sizes, gain: float, seed: int) -> list[np.ndarray]:
    """Xavier-uniform weights ``U(-a, a)``, ``a = gain * sqrt(6 / (n_in + n_out))``, one
    (n_out, n_in) float64 array per layer of ``sizes = (n_in, ..., n_out)``."""
    rng = np.random.default_rng(seed)
    out = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        a = gain * np.sqrt(6.0 / (n_in + n_out))
        out.append(rng.uniform(-a, a, (n_out, n_in)))
    return out


@contextlib.contextmanager
def single_thread():
    """Run torch on one thread (bit-reproducible CPU reductions), restoring the setting after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def batches(n: int, batch_size: int, rng: np.random.Generator):
    """Shuffled index batches covering ``range(n)`` once."""
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


class Timer:
    """Wall-clock seconds of a block (for throughput reports only)."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
