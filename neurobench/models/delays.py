"""Feed-forward spiking networks with trainable multi-tap synaptic delays (Patiño-Saucedo et al.
2024, "Hardware-aware training of SNNs with synaptic delays"; docs/papers/delays.md).

Discrete time: ``t`` counts steps (one per input frame); every delay is a whole number of steps.

**Multi-tap delay projection** (``DelayLinear``, spec §2.3). ``DelayParams(max_delay=D,
stride)`` gives the candidate delays (taps) ``d_k = k * stride < D``, ``K = ceil(D / stride)``
of them, and one weight per (synapse, tap) ("multi-delay synapse")::

    x~_i[t] = sum_j sum_k w_{i j k} m_{i j k} s_j[t - d_k]          (s_j[t < 0] = 0)

``m`` is the 0/1 pooling mask (all ones until pooled). Training the weights trains the delays.
A projection without delays is the one-tap case ``D = stride = 1``.

**Neurons** (``lif_layer``): the clock simulator's LIF with delta synapses and reset to zero
(``neurobench.sim.clock``, phases in this order every step)::

    v <- alpha v;   s[t] = H(v - theta) (H(0) = 1);   v <- (v + x~[t]) (1 - s[t])

so a network exported with ``to_network`` runs the same dynamics in ``neurobench.sim.clock`` and
Brian2. The paper's neuron (spec §2.2) thresholds after adding the input and keeps the input of
the step after a spike; ours thresholds before (a spike depends on inputs up to ``t - 1``) and
discards the input of the spike step: the same leaky threshold unit, one step later. ``alpha =
exp(-1 / tau_m)`` per layer (the paper trains one per neuron; a per-layer constant is what the
simulators' ``NeuronParams`` hold). Surrogate gradient (spec §2.2): fast sigmoid
``dH/dv ~ 1 / (slope |v - theta| + 1)^2``, slope 10; the reset is not differentiated.

**Readout**: non-spiking leaky integrators ``o[t] = alpha_out o[t-1] + x~[t]``; logits
``sum_t o[t]`` (cross-entropy on time-summed output potentials, spec §2.2).

**Delay pooling** (``topk_mask``, spec §2.4): keep ``k`` of the ``K`` taps, ranked by weight
magnitude: ``synaptic`` (top-k per synapse by ``|w_{ijk}|``), ``axonal`` (top-k per presynaptic
neuron by ``sum_i |w_{ijk}|``, shared by all its targets), ``axonal_variable`` (layer-wide top
``k * N_pre`` (neuron, tap) pairs by the same score). ``DelayLinear.pool_`` fixes a mask
(then fine-tune); ``dynamic_k`` recomputes it from the current weights at every forward pass.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from pydantic import Field, model_validator
from torch import nn

from ..schema import Params

__all__ = ["DelayLinear", "DelayNet", "DelayNetParams", "DelayParams", "LIFDelayParams", "PoolMode",
           "check_k", "fast_sigmoid_spike", "lif_layer", "topk_mask"]

PoolMode = Literal["synaptic", "axonal", "axonal_variable"]
POOL_MODES = ("synaptic", "axonal", "axonal_variable")


class DelayParams(Params):
    """Candidate delays of one projection: taps ``0, stride, 2 stride, ... < max_delay`` (steps)."""

    max_delay: int = Field(1, ge=1, le=10_000, description="D: taps are the multiples of stride below D (steps)")
    stride: int = Field(1, gt=0, le=10_000, description="spacing of the taps (steps)")

    @model_validator(mode="after")
    def _stride_fits(self) -> "DelayParams":
        if self.max_delay < self.stride:
            raise ValueError(f"max_delay = {self.max_delay} must be >= stride = {self.stride} (at least one tap)")
        return self

    @property
    def taps(self) -> np.ndarray:
        """The tap delays ``d_k`` in steps, int64 (K,)."""
        return np.arange(0, self.max_delay, self.stride, dtype=np.int64)

    @property
    def n_taps(self) -> int:
        """``K = ceil(max_delay / stride)``."""
        return -(-self.max_delay // self.stride)


def check_k(k: int, n_taps: int, name: str = "k") -> int:
    """``k`` as an int after checking ``1 <= k <= n_taps``; else one ``ValueError`` naming ``name``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= int(k) <= n_taps:
        raise ValueError(f"{name} = {k!r} is not allowed: must be an integer in [1, {n_taps}] (the number of taps)")
    return int(k)


class LIFDelayParams(Params):
    """The LIF neurons of a delay network (module docstring; dimensionless potentials, steps)."""

    tau_m: float = Field(5.0, gt=0, le=1e6, description="membrane time constant in steps: alpha = exp(-1/tau_m)")
    threshold: float = Field(0.3, gt=0, description="firing threshold theta (spec: 0.3)")
    slope: float = Field(10.0, gt=0, description="fast-sigmoid surrogate slope (spec: 10)")
    tau_out: float = Field(5.0, gt=0, le=1e6, description="readout integrator time constant in steps")

    @property
    def alpha(self) -> float:
        """Membrane decay per step, ``exp(-1 / tau_m)`` (the clock simulator's ``a_v`` at dt = 1)."""
        return float(np.exp(-1.0 / self.tau_m))

    @property
    def alpha_out(self) -> float:
        """Readout decay per step, ``exp(-1 / tau_out)``."""
        return float(np.exp(-1.0 / self.tau_out))


class _FastSigmoidSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (ctx.slope * x.abs() + 1.0) ** 2, None


def fast_sigmoid_spike(x: torch.Tensor, slope: float = 10.0) -> torch.Tensor:
    """``H(x)`` (``H(0) = 1``) forward; ``1 / (slope |x| + 1)^2`` backward."""
    return _FastSigmoidSpike.apply(x, float(slope))


def topk_mask(weight: torch.Tensor, k: int, mode: str) -> torch.Tensor:
    """0/1 mask (same shape as ``weight`` (n_out, n_in, K)) keeping ``k`` taps by magnitude
    (module docstring): ``synaptic``: per (post, pre) the ``k`` largest ``|w|``; ``axonal``: per
    pre the ``k`` taps of largest ``sum_post |w|``; ``axonal_variable``: the ``k * n_in`` (pre,
    tap) pairs of largest ``sum_post |w|`` in the layer."""
    n_out, n_in, n_taps = weight.shape
    k = check_k(k, n_taps)
    a = weight.detach().abs()
    mask = torch.zeros_like(a)
    if mode == "synaptic":
        mask.scatter_(2, a.topk(k, dim=2).indices, 1.0)
    elif mode == "axonal":
        score = a.sum(0)  # (n_in, K)
        keep = torch.zeros_like(score).scatter_(1, score.topk(k, dim=1).indices, 1.0)
        mask[:] = keep
    elif mode == "axonal_variable":
        score = a.sum(0).reshape(-1)
        keep = torch.zeros_like(score).scatter_(0, score.topk(k * n_in).indices, 1.0)
        mask[:] = keep.reshape(n_in, n_taps)
    else:
        raise ValueError(f"pooling mode = {mode!r} is not allowed: must be one of {POOL_MODES}")
    return mask


class DelayLinear(nn.Module):
    """A bias-free multi-tap delay projection ``n_in -> n_out`` (module docstring).

    ``weight`` (n_out, n_in, K) is drawn ``U(+-1/sqrt(n_in K)) * gain`` from ``generator``; the
    buffer ``mask`` holds the pooling mask, ``dynamic_k`` (0 = off) and ``pool_mode`` the
    dynamic top-k."""

    def __init__(self, n_in: int, n_out: int, delay: DelayParams = DelayParams(), gain: float = 1.0,
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.delay = delay
        self.register_buffer("taps", torch.from_numpy(delay.taps))
        n_taps = delay.n_taps
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        bound = gain / math.sqrt(n_in * n_taps)
        w = (torch.rand((n_out, n_in, n_taps), generator=gen, dtype=torch.float64) * 2 - 1) * bound
        self.weight = nn.Parameter(w.to(dtype))
        self.register_buffer("mask", torch.ones((n_out, n_in, n_taps), dtype=dtype))
        self.dynamic_k, self.pool_mode = 0, "synaptic"

    @property
    def n_taps(self) -> int:
        return int(self.weight.shape[2])

    def effective_weight(self) -> torch.Tensor:
        """``w * mask`` (n_out, n_in, K); with ``dynamic_k`` the mask is recomputed first."""
        if self.dynamic_k:
            self.mask.copy_(topk_mask(self.weight, self.dynamic_k, self.pool_mode))
        return self.weight * self.mask

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Delayed synaptic input (batch, T, n_out) of presynaptic spikes ``s`` (batch, T, n_in).

        The taps are evenly spaced, so the sum over taps is a causal convolution in time with
        dilation ``stride``: ``conv1d`` over the input left-padded by ``(K - 1) stride`` zeros
        with the kernel reversed (its last element multiplies the current step, tap 0)."""
        w = self.effective_weight()
        n_taps, dilation = w.shape[2], self.delay.stride
        x = torch.nn.functional.pad(s.transpose(1, 2), ((n_taps - 1) * dilation, 0))
        return torch.nn.functional.conv1d(x, w.flip(2), dilation=dilation).transpose(1, 2)

    @torch.no_grad()
    def pool_(self, k: int, mode: str = "synaptic") -> None:
        """Fix the mask to the top-``k`` taps (``topk_mask``) of the current weights."""
        self.mask.copy_(topk_mask(self.weight, k, mode))

    def set_dynamic_(self, k: int, mode: str = "synaptic") -> None:
        """Recompute the top-``k`` mask at every forward pass (``k = 0``: off, mask kept)."""
        if k:
            check_k(k, self.n_taps)
            topk_mask(self.weight, k, mode)  # validates mode
        self.dynamic_k, self.pool_mode = int(k), mode


def lif_layer(current: torch.Tensor, p: LIFDelayParams) -> torch.Tensor:
    """Spikes (batch, T, n) of LIF neurons (module docstring) driven by ``current`` (batch, T, n)."""
    alpha = p.alpha
    v = torch.zeros_like(current[:, 0])
    out = []
    for t in range(current.shape[1]):
        v = alpha * v
        s = fast_sigmoid_spike(v - p.threshold, p.slope)
        v = (v + current[:, t]) * (1.0 - s.detach())
        out.append(s)
    return torch.stack(out, 1)


def readout(current: torch.Tensor, alpha_out: float) -> torch.Tensor:
    """Logits ``sum_t o[t]`` of leaky integrators ``o[t] = alpha_out o[t-1] + current[:, t]``."""
    o = torch.zeros_like(current[:, 0])
    total = torch.zeros_like(o)
    for t in range(current.shape[1]):
        o = alpha_out * o + current[:, t]
        total = total + o
    return total


class DelayNetParams(Params):
    """Architecture of a feed-forward delay network ``n_in -> hidden... -> n_out``."""

    hidden: list[int] = Field(default_factory=lambda: [48], min_length=1, description="hidden widths")
    delay: DelayParams = Field(default_factory=lambda: DelayParams(max_delay=16, stride=1),
                               description="taps of the delayed projections")
    delay_on: str = Field("ih", description="projections with delays: i (input), h (hidden->hidden), "
                                            "o (->readout); '' = none")
    neurons: LIFDelayParams = Field(default_factory=LIFDelayParams)
    gain: float = Field(2.0, gt=0, description="weight initialisation gain (U(+-gain/sqrt(fan_in)))")

    @model_validator(mode="after")
    def _delay_on(self) -> "DelayNetParams":
        if any(c not in "iho" for c in self.delay_on) or len(set(self.delay_on)) != len(self.delay_on):
            raise ValueError(f"delay_on = {self.delay_on!r} is not allowed: letters from 'iho', each at most once")
        if any(h < 1 for h in self.hidden):
            raise ValueError(f"hidden = {self.hidden} is not allowed: every width must be >= 1")
        return self


class DelayNet(nn.Module):
    """LIF layers joined by ``DelayLinear`` projections and a leaky-integrator readout."""

    def __init__(self, n_in: int, n_out: int, p: DelayNetParams = DelayNetParams(),
                 generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        sizes = [int(n_in), *p.hidden, int(n_out)]
        kinds = ["i"] + ["h"] * (len(p.hidden) - 1) + ["o"]
        self.p, self.sizes = p, tuple(sizes)
        self.projections = nn.ModuleList([
            DelayLinear(a, b, p.delay if kind in p.delay_on else DelayParams(), p.gain, gen, dtype)
            for a, b, kind in zip(sizes[:-1], sizes[1:], kinds)])

    def forward(self, x: torch.Tensor, record: bool = False):
        """Logits (batch, n_out) of frames ``x`` (batch, T, n_in); with ``record`` also the
        spikes of every hidden layer, each (batch, T, n)."""
        s = x.to(self.projections[0].weight.dtype)
        spikes = []
        for proj in self.projections[:-1]:
            s = lif_layer(proj(s), self.p.neurons)
            spikes.append(s)
        logits = readout(self.projections[-1](s), self.p.neurons.alpha_out)
        return (logits, spikes) if record else logits

    def pool_(self, k: int, mode: str = "synaptic") -> None:
        """Pool every projection that has more than one tap to ``k`` taps."""
        for proj in self.projections:
            if proj.n_taps > 1:
                proj.pool_(k, mode)

    def set_dynamic_(self, k: int, mode: str = "synaptic") -> None:
        """Dynamic top-``k`` on every projection that has more than one tap."""
        for proj in self.projections:
            if proj.n_taps > 1:
                proj.set_dynamic_(k, mode)

    def hidden_spikes(self, x: torch.Tensor) -> list[np.ndarray]:
        """Hidden spikes of frames ``x``, one bool array (batch, T, n) per hidden layer."""
        with torch.no_grad():
            _, spikes = self.forward(x, record=True)
        return [s.numpy() > 0 for s in spikes]
