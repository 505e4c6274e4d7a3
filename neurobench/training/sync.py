"""Layer-synchronized surrogate-gradient training with snnTorch (the baseline of the paper).

Architecture: ``Linear(bias=False) -> snntorch.Leaky`` per layer, stepped once per frame in layer
order with zero delay and immediate reset (``reset_delay=False``)::

    v_l <- beta * v_l + W_l s_{l-1};   s_l = H(v_l - v_th);   reset (zero / subtract)

with ``beta = exp(-frame_dt / tau_m)`` (1 for IF), i.e. exactly the forward pass of
``neurobench.sim.layersync`` (up to snnTorch's strict ``>`` at threshold). Loss: cross-entropy
on the output spike counts summed over frames; surrogate ``TrainConfig.surrogate``
(snnTorch ``atan`` by default).
"""

from __future__ import annotations

import numpy as np
import snntorch as snn
import torch
from torch import nn
from tqdm import tqdm

from ..network import Dense, Network
from ..neurons import NeuronParams
from ..sim.coefficients import leak_factor
from ..models.surrogate import SpikeSurrogate
from .common import Timer, TrainConfig, TrainResult, batches, init_weights, single_thread

__all__ = ["SyncNet", "train_sync"]


class SyncNet(nn.Module):
    """Bias-free dense SNN stepped layer-synchronously with snnTorch ``Leaky`` neurons."""

    def __init__(self, weights, neurons: tuple[NeuronParams, ...], frame_dt: float,
                 dtype: torch.dtype = torch.float32, surrogate: str = "atan") -> None:
        super().__init__()
        self.neurons = tuple(neurons)
        self.fcs = nn.ModuleList()
        self.lifs = nn.ModuleList()
        for w, p in zip(weights, self.neurons):
            fc = nn.Linear(w.shape[1], w.shape[0], bias=False, dtype=dtype)
            with torch.no_grad():
                fc.weight.copy_(torch.as_tensor(np.asarray(w), dtype=dtype))
            self.fcs.append(fc)
            beta = leak_factor(p, frame_dt)
            self.lifs.append(snn.Leaky(beta=beta, threshold=p.v_th, spike_grad=SpikeSurrogate(surrogate),
                                       reset_mechanism=p.reset, reset_delay=False))

    def forward(self, x: torch.Tensor, input_dropout: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """Output spike counts (batch, n_out) summed over the frames of ``x`` (batch, T, n_in)."""
        mems = [None] * len(self.fcs)
        total = 0.0
        for t in range(x.shape[1]):
            s = x[:, t]
            if input_dropout > 0:
                s = s * (torch.rand(s.shape, generator=generator, dtype=s.dtype) >= input_dropout)
            for i, (fc, lif) in enumerate(zip(self.fcs, self.lifs)):
                cur = fc(s)
                if mems[i] is None:
                    mems[i] = torch.zeros_like(cur)
                s, mems[i] = lif(cur, mems[i])
                s = s.to(x.dtype)  # snnTorch's Heaviside returns float32
            total = total + s
        return total

    def to_network(self) -> Network:
        layers = tuple(Dense(fc.weight.detach().double().numpy()) for fc in self.fcs)
        return Network((self.fcs[0].in_features,), layers, self.neurons)


def train_sync(x, y, neurons: NeuronParams | tuple[NeuronParams, ...], config: TrainConfig,
               frame_dt: float = 1.0, n_classes: int | None = None, progress: bool = False) -> TrainResult:
    """Train a dense SNN layer-synchronized (snnTorch BPTT) on binary frames.

    Parameters
    ----------
    x : array (n, n_frames, n_in) of 0/1
    y : array (n,) int class labels
    neurons : NeuronParams, or one per layer (len(hidden) + 1)
    config : TrainConfig
    frame_dt : float
        Frame length in ms (> 0), sets ``beta``.
    n_classes : int, optional
        Output width (default ``max(y) + 1``).
    """
    x = np.asarray(x, dtype=np.float32).reshape(len(x), np.shape(x)[1], -1)
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(n_classes or y.max() + 1)
    sizes = (x.shape[2], *config.hidden, n_classes)
    if isinstance(neurons, NeuronParams):
        neurons = (neurons,) * (len(sizes) - 1)
    rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    result = TrainResult(network=None)  # type: ignore[arg-type]
    # torch.nn.Linear draws its default initialisation from torch's global generator before
    # SyncNet overwrites it; fork_rng keeps those draws from touching the caller's random state.
    with single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = SyncNet(init_weights(sizes, config.init_gain, config.seed), tuple(neurons), frame_dt,
                        surrogate=config.surrogate)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        seen = 0
        with Timer() as timer:
            for _ in tqdm(range(config.epochs), desc="sync training", disable=not progress, leave=False):
                losses, correct = [], 0
                for idx in batches(len(y), config.batch_size, rng):
                    counts = model(xt[idx], config.input_dropout, gen)
                    loss = nn.functional.cross_entropy(counts, yt[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    losses.append(float(loss.detach()) * len(idx))
                    correct += int((counts.argmax(1) == yt[idx]).sum())
                    seen += len(idx)
                result.loss.append(sum(losses) / len(y))
                result.train_accuracy.append(correct / len(y))
        result.samples_per_s = seen / timer.seconds
    result.network = model.to_network()
    return result
