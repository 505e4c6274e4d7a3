"""The snnTorch LIF baseline of the SRC study: same sizes, same readout, surrogate gradient.

``n_in -> hidden... -> n_out``: per hidden layer a dense projection with bias into
``snntorch.Leaky`` neurons (discrete time, steps)::

    v[t] = beta v[t-1] + W s_in[t] + b - theta s[t-1]     (reset by subtraction)
    s[t] = H(v[t] - theta)                                 (surrogate gradient in the backward)

and the SRC networks' linear non-spiking readout (``neurobench.models.src.readout_logits``), so
only the neuron differs between the two networks. Weights are drawn like ``SRCNet``'s
(Kaiming-uniform from a ``torch.Generator``), hidden biases start at 0.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from pydantic import Field
from torch import nn

from ..schema import Params
from .src import Readout, check_architecture, init_uniform, readout_logits
from .surrogate import SpikeSurrogate, Surrogate

# SpikeSurrogate lives in .surrogate; it stays importable from here for the SRC and wireless code
__all__ = ["LIFNet", "LIFParams", "SpikeSurrogate"]

class LIFParams(Params):
    """The baseline's ``snntorch.Leaky`` neurons (units: steps; dimensionless potentials)."""

    beta: float = Field(0.9, ge=0, le=1, description="membrane decay per step")
    threshold: float = Field(1.0, gt=0, description="firing threshold")
    surrogate: Surrogate = Field("fast_sigmoid", description="snnTorch surrogate gradient (default slopes)")


class LIFNet(nn.Module):
    """Dense snnTorch ``Leaky`` network with the SRC study's readout (module docstring)."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, p: LIFParams = LIFParams(),
                 readout: Readout = "sum", readout_alpha: float = 0.9, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        import snntorch as snn

        super().__init__()
        sizes = check_architecture(n_in, hidden, n_out, readout)
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        self.p, self.readout, self.readout_alpha, self.sizes = p, readout, float(readout_alpha), sizes
        self.weights = nn.ParameterList(
            [nn.Parameter(init_uniform((b, a), 1.0 / math.sqrt(a), gen, dtype)) for a, b in zip(sizes[:-1], sizes[1:])])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(n, dtype=dtype)) for n in sizes[1:-1]])
        self.out_bias = nn.Parameter(torch.zeros(sizes[-1], dtype=dtype))
        self.lifs = nn.ModuleList([snn.Leaky(beta=p.beta, threshold=p.threshold, spike_grad=SpikeSurrogate(p.surrogate),
                                             reset_mechanism="subtract") for _ in hidden])

    def forward(self, x: torch.Tensor, record: bool = False):
        """Logits (batch, n_out) of input frames ``x`` (batch, T, n_in); with ``record``, also
        the spikes of every hidden layer, each (batch, T, n)."""
        x = x.to(self.out_bias.dtype)
        mems = [torch.zeros(x.shape[0], w.shape[0], dtype=x.dtype) for w in self.weights[:-1]]
        currents, spikes = [], [[] for _ in mems]
        for t in range(x.shape[1]):
            s = x[:, t]
            for k, (w, b, lif) in enumerate(zip(self.weights[:-1], self.biases, self.lifs)):
                s, mems[k] = lif(s @ w.T + b, mems[k])
                s = s.to(x.dtype)
                if record:
                    spikes[k].append(s)
            currents.append(s @ self.weights[-1].T)
        logits = readout_logits(currents, self.out_bias, self.readout, self.readout_alpha)
        if record:
            return logits, [torch.stack(s, 1) for s in spikes]
        return logits

    def clamp_(self) -> None:
        """Nothing to project (the interface ``neurobench.training.bptt`` calls after a step)."""

    def hidden_spikes(self, x: torch.Tensor) -> np.ndarray:
        """Spikes per sample over every hidden neuron, (batch,) int64."""
        with torch.no_grad():
            _, spikes = self.forward(x, record=True)
        return sum(s.sum(dim=(1, 2)).to(torch.int64).numpy() for s in spikes)
