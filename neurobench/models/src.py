"""The Spiking Recurrent Cell (SRC; De Geeter, Ernst, Drion 2023, arXiv:2306.03623).

A GRU-derived neuron that emits spikes yet is differentiable end to end, so plain BPTT trains
it. Discrete time: ``t`` counts steps (one per input frame); there is no ms anywhere here. Per
layer with input spikes ``s_in[t]`` (docs/papers/src.md gives the source of every constant)::

    i[t]   = alpha i[t-1] + W s_in[t]                                 input integrator
    x[t]   = rho tanh(i[t] / rho)                                     soft saturation
    h[t]   = z h[t-1] + (1 - z) tanh(x[t] + r h[t-1] + r_s h_s[t-1] + b)      fast variable
    h_s[t] = z_s[t] h_s[t-1] + (1 - z_s[t]) h[t-1]                    slow variable
    z_s[t] = z_hyp + (z_dep - z_hyp) H(h[t-1] - 1/2)                  (H(0) = 0)
    s[t]   = ReLU(h[t])                                               output

``r > 1`` makes the fast loop bistable, the negative bias ``b`` keeps the neuron low, input
pushes it over the fold, and the slow negative feedback ``r_s h_s`` (``h_s`` snaps to ``h``
while depolarised, recovers slowly after) ends the spike and makes the neuron refractory: an
excitable relaxation unit built from GRU primitives. A spike is a short positive excursion of
``h`` (continuous values, possibly several steps); ``count_spikes`` counts its upward crossings
of 1/2. The state starts at zero, which is less excitable than rest (``h_s`` ~ -0.9), hence the
silent steps before a stimulus.

Training knobs (``SRCParams``): ``detach_rec`` stops the gradient through the ``h`` and ``h_s``
recurrences across time (only ``i`` carries gradient through time); ``relu_bypass`` makes the
output ReLU straight-through (identity gradient). The step ``H`` has no gradient.

``src_step`` is the pure step function (state in, state out, Norse style); ``SRCNet`` runs
``T`` steps of a stack of SRC layers and a linear non-spiking readout: ``"sum"``: logits =
``sum_t W_o s_L[t] + b_o``; ``"last"``: a leaky integrator ``o[t] = readout_alpha o[t-1] +
W_o s_L[t]``, logits = ``o[T-1] + b_o``.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
import torch
from pydantic import Field, model_validator
from torch import nn

from ..schema import Params

__all__ = ["Readout", "SRCNet", "SRCParams", "SRCState", "count_spikes", "init_uniform", "readout_logits",
           "src_step", "zero_state"]

Readout = Literal["sum", "last"]
SPIKE_LEVEL = 0.5
"""``h`` above this is depolarised (``z_s = z_dep``); an upward crossing counts as one spike."""


class SRCParams(Params):
    """Constants and training knobs of one SRC population (units: steps; all dimensionless).

    Defaults from a third-party re-implementation [3rd-party code] and a third-party summary
    [secondary] of the paper (docs/papers/src.md); the paper itself states none.
    """

    alpha: float = Field(0.9, ge=0, lt=1, description="input-integrator leak per step [3rd-party code]")
    rho: float = Field(3.0, gt=0, description="input saturation: x = rho tanh(i / rho) [3rd-party code]")
    r: float = Field(2.0, description="fast positive feedback gain; > 1 is bistable [secondary]")
    r_s: float = Field(-7.0, description="slow negative feedback gain [secondary]")
    z: float = Field(0.0, ge=0, lt=1, description="fast gate (0: h follows its target at once) [secondary]")
    z_hyp: float = Field(0.9, ge=0, le=1, description="slow gate below h = 1/2 (recovery) [3rd-party code]")
    z_dep: float = Field(0.0, ge=0, le=1, description="slow gate above h = 1/2 (h_s snaps to h) [3rd-party code]")
    bias_init: float = Field(-6.0, description="initial bias b of every neuron (excitability) [3rd-party code]")
    bias_max: float = Field(-4.0, description="b is clamped to <= bias_max after every update [3rd-party code]")
    train_bias: bool = Field(True, description="train b (per neuron) as well as the weights")
    detach_rec: bool = Field(False, description="no gradient through the h, h_s recurrences across time")
    relu_bypass: bool = Field(False, description="straight-through output ReLU (identity gradient)")

    @model_validator(mode="after")
    def _bias_below_clamp(self) -> "SRCParams":
        if self.bias_init > self.bias_max:
            raise ValueError(f"bias_init = {self.bias_init} must be <= bias_max = {self.bias_max}")
        return self


def check_architecture(n_in: int, hidden, n_out: int, readout: str) -> tuple[int, ...]:
    """The layer sizes ``(n_in, *hidden, n_out)`` of a network with a non-spiking readout,
    checked: every size >= 1, at least one hidden layer, ``readout`` "sum" or "last"."""
    sizes = (int(n_in), *(int(h) for h in hidden), int(n_out))
    if any(s < 1 for s in sizes) or not hidden:
        raise ValueError(f"layer sizes must be >= 1 with at least one hidden layer, got {sizes}")
    if readout not in ("sum", "last"):
        raise ValueError(f"readout must be 'sum' or 'last', got {readout!r}")
    return sizes


class SRCState(NamedTuple):
    """State of one SRC layer, each (batch, n): input integrator ``i``, fast ``h``, slow ``hs``."""

    i: torch.Tensor
    h: torch.Tensor
    hs: torch.Tensor


def zero_state(batch: int, n: int, dtype: torch.dtype = torch.float32) -> SRCState:
    """The all-zero initial state of a layer of ``n`` SRCs for ``batch`` samples."""
    zeros = torch.zeros(batch, n, dtype=dtype)
    return SRCState(zeros, zeros, zeros)


def src_step(current: torch.Tensor, state: SRCState, bias: torch.Tensor, p: SRCParams) -> tuple[torch.Tensor, SRCState]:
    """One step of a layer of SRCs (module docstring): ``current = W s_in[t]`` (batch, n),
    ``state`` at ``t - 1``, per-neuron ``bias`` (n,). Returns (``s[t]`` = ReLU(h[t]), state at
    ``t``). Pure: nothing is modified in place."""
    i = p.alpha * state.i + current
    x = p.rho * torch.tanh(i / p.rho)
    h_prev, hs_prev = (state.h.detach(), state.hs.detach()) if p.detach_rec else (state.h, state.hs)
    depolarised = (h_prev > SPIKE_LEVEL).to(h_prev.dtype)  # H(h[t-1] - 1/2): no gradient
    z_s = p.z_hyp + (p.z_dep - p.z_hyp) * depolarised
    hs = z_s * hs_prev + (1.0 - z_s) * h_prev
    h = p.z * h_prev + (1.0 - p.z) * torch.tanh(x + p.r * h_prev + p.r_s * hs_prev + bias)
    s = torch.relu(h)
    if p.relu_bypass:
        s = h + (s - h).detach()
    return s, SRCState(i, h, hs)


def count_spikes(h: torch.Tensor | np.ndarray) -> np.ndarray:
    """Spikes of every neuron in ``h`` (batch, T, n): upward crossings of 1/2
    (``h[t] > 1/2 >= h[t-1]``, ``h[-1] = 0``). Returns (batch, n) int64."""
    h = h.detach().cpu().numpy() if isinstance(h, torch.Tensor) else np.asarray(h)
    above = h > SPIKE_LEVEL
    onsets = above[:, 1:] & ~above[:, :-1]
    return (onsets.sum(axis=1) + above[:, 0]).astype(np.int64)


def init_uniform(shape: tuple[int, ...], bound: float, generator: torch.Generator,
                 dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``U(-bound, bound)`` drawn from ``generator`` (never torch's global random state)."""
    return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2.0 - 1.0).mul(bound).to(dtype)


def readout_logits(currents: list[torch.Tensor] | torch.Tensor, bias: torch.Tensor, readout: str,
                   readout_alpha: float) -> torch.Tensor:
    """Logits of the linear non-spiking readout from its input currents ``W_o s_L[t]``
    (T tensors (batch, n_out), or one (batch, T, n_out)): ``"sum"``: ``sum_t + b_o``; ``"last"``:
    ``o[T-1] + b_o`` with ``o[t] = readout_alpha o[t-1] + W_o s_L[t]``."""
    if isinstance(currents, torch.Tensor):
        currents = list(currents.unbind(1))
    if readout == "sum":
        return torch.stack(currents, 0).sum(0) + bias
    if readout == "last":
        o = torch.zeros_like(currents[0])
        for c in currents:
            o = readout_alpha * o + c
        return o + bias
    raise ValueError(f"readout must be 'sum' or 'last', got {readout!r}")


class SRCNet(nn.Module):
    """``n_in -> hidden... -> n_out``: bias-free dense projections into SRC layers (per-neuron
    trainable bias ``b``), then a linear non-spiking readout (weights and bias).

    Weights are Kaiming-uniform as ``torch.nn.Linear`` draws them (``U(+-1/sqrt(fan_in))``),
    from ``generator``; biases start at ``p.bias_init``, the readout bias at 0.
    """

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, p: SRCParams = SRCParams(),
                 readout: Readout = "sum", readout_alpha: float = 0.9, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        sizes = check_architecture(n_in, hidden, n_out, readout)
        if not 0.0 <= readout_alpha < 1.0:
            raise ValueError(f"readout_alpha must be in [0, 1), got {readout_alpha}")
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        self.p, self.readout, self.readout_alpha, self.sizes = p, readout, float(readout_alpha), sizes
        self.weights = nn.ParameterList(
            [nn.Parameter(init_uniform((b, a), 1.0 / math.sqrt(a), gen, dtype)) for a, b in zip(sizes[:-1], sizes[1:])])
        self.biases = nn.ParameterList([nn.Parameter(torch.full((n,), p.bias_init, dtype=dtype),
                                                     requires_grad=p.train_bias) for n in sizes[1:-1]])
        self.out_bias = nn.Parameter(torch.zeros(sizes[-1], dtype=dtype))

    def forward(self, x: torch.Tensor, record: bool = False):
        """Logits (batch, n_out) of input frames ``x`` (batch, T, n_in); with ``record``, also
        the fast variables ``h`` of every hidden layer, each (batch, T, n)."""
        batch, n_steps = x.shape[0], x.shape[1]
        x = x.to(self.out_bias.dtype)
        states = [zero_state(batch, w.shape[0], x.dtype) for w in self.weights[:-1]]
        currents, hs = [], [[] for _ in states]
        for t in range(n_steps):
            s = x[:, t]
            for k, (w, b) in enumerate(zip(self.weights[:-1], self.biases)):
                s, states[k] = src_step(s @ w.T, states[k], b, self.p)
                if record:
                    hs[k].append(states[k].h)
            currents.append(s @ self.weights[-1].T)
        logits = readout_logits(currents, self.out_bias, self.readout, self.readout_alpha)
        if record:
            return logits, [torch.stack(h, 1) for h in hs]
        return logits

    @torch.no_grad()
    def clamp_(self) -> None:
        """Project the biases onto ``b <= bias_max`` (after every optimiser step)."""
        for b in self.biases:
            b.clamp_(max=self.p.bias_max)

    def hidden_spikes(self, x: torch.Tensor) -> np.ndarray:
        """Spikes per sample over every hidden neuron (``count_spikes``), (batch,) int64."""
        with torch.no_grad():
            _, hs = self.forward(x, record=True)
        return sum(count_spikes(h).sum(axis=1) for h in hs)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every weight and bias as float64 numpy arrays: ``w0..w{L}`` ((n_out, n_in); the last
        is the readout), ``b0..b{L-1}`` (hidden biases), ``b_out``."""
        out = {f"w{k}": w.detach().double().numpy() for k, w in enumerate(self.weights)}
        out.update({f"b{k}": b.detach().double().numpy() for k, b in enumerate(self.biases)})
        out["b_out"] = self.out_bias.detach().double().numpy()
        return out


def single_neuron(drive: float, n_steps: int, p: SRCParams = SRCParams(), onset: int = 0) -> dict[str, np.ndarray]:
    """One SRC neuron (bias ``p.bias_init``) under a constant input current ``drive`` (the
    integrator input ``W s_in``, from step ``onset`` on) for ``n_steps`` steps, float64.

    Returns ``h``, ``hs``, ``s`` (= ReLU(h)) and ``x`` (the saturated input), each (n_steps,),
    and ``spike_steps`` (steps of the upward crossings of 1/2)."""
    state = zero_state(1, 1, torch.float64)
    bias = torch.full((1,), p.bias_init, dtype=torch.float64)
    rows = []
    for t in range(n_steps):
        current = torch.full((1, 1), float(drive) if t >= onset else 0.0, dtype=torch.float64)
        s, state = src_step(current, state, bias, p)
        x = p.rho * torch.tanh(state.i / p.rho)
        rows.append((float(state.h), float(state.hs), float(s), float(x)))
    h, hs, s, x = (np.array(c) for c in zip(*rows))
    above = h > SPIKE_LEVEL
    spike_steps = np.flatnonzero(above & ~np.concatenate([[False], above[:-1]]))
    return {"h": h, "hs": hs, "s": s, "x": x, "spike_steps": spike_steps}
