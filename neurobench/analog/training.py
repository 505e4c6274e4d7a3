"""Training networks on the analog MAC (spec A5): software pre-training through the linear
model, then mismatch-aware fine-tuning on one frozen chip instance with fresh trial noise every
batch (the forward on the simulated chip, the backward straight-through: "hardware in the loop"
without hardware). Cross-entropy on ``logit_scale ·`` scores, Adam, every weight clamped to
[-w_max, w_max] after every step."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

from ..progress import track
from ..schema import Params
from .layers import AnalogNet
from .mac import MACParams

__all__ = ["TrainParams", "accuracy", "predict", "train"]


class TrainParams(Params):
    """One training run."""

    epochs: int = Field(20, ge=0, le=10_000, description="passes over the training set")
    batch_size: int = Field(64, ge=1, le=100_000, description="samples per optimiser step")
    lr: float = Field(0.5, gt=0, description="Adam learning rate, in weight units (LSB of a 6-bit weight)")
    logit_scale: float = Field(0.1, gt=0, description="cross-entropy on logit_scale · scores (1/LSB)")
    seed: int = Field(0, ge=0, description="seed of the batch order")


def train(net: AnalogNet, x: np.ndarray, y: np.ndarray, tp: TrainParams, w_max: int, mac: MACParams | None = None,
          desc: str = "train", progress: bool = False) -> list[float]:
    """Trains ``net`` in place on images ``x`` (n, side, side, input units) and labels ``y``
    through the linear model (``mac=None``) or the MAC ``mac`` (trial noise of step ``k`` drawn
    from ``(mac.noise_seed, layer, k)``); returns the mean loss per epoch."""
    xt, yt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    opt = torch.optim.Adam(net.parameters(), lr=tp.lr)
    gen = torch.Generator().manual_seed(tp.seed)
    losses, step = [], 0
    for _ in track(range(tp.epochs), desc=desc, show=progress):
        order = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for start in range(0, len(xt), tp.batch_size):
            idx = order[start:start + tp.batch_size]
            loss = F.cross_entropy(tp.logit_scale * net(xt[idx], mac, step), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            net.clamp_weights(w_max)
            total += loss.item() * len(idx)
            step += 1
        losses.append(total / len(xt))
    return losses


@torch.no_grad()
def predict(net: AnalogNet, x: np.ndarray, mac: MACParams | None = None, batch_size: int = 512) -> np.ndarray:
    """Class index per sample: arg-max of the scores (first index on ties); batch ``b``'s trial
    noise drawn from ``(mac.noise_seed, layer, b)``."""
    xt = torch.as_tensor(x, dtype=torch.float32)
    out = [net(xt[s:s + batch_size], mac, b).argmax(dim=1) for b, s in enumerate(range(0, len(xt), batch_size))]
    return torch.cat(out).numpy()


def accuracy(net: AnalogNet, x: np.ndarray, y: np.ndarray, mac: MACParams | None = None) -> float:
    """Fraction of ``x`` classified as ``y``."""
    return float((predict(net, x, mac) == np.asarray(y)).mean())
