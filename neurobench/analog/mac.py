"""The simulated analog multiply-accumulate (MAC) of BrainScaleS-2 (Weis et al. 2020, spec A2/A3/A8).

One MAC reads a signed int8 value per neuron column ``i`` from unsigned inputs ``x_j`` (5-bit,
0..31, the duration a synapse row is driven) and signed weights ``w_ij`` (6-bit magnitude with
the sign from an excitatory/inhibitory row pair, -63..63). Per 128-row chunk ``c``::

    v_ic = g · n_sends · (Σ_{j in c} x_j w_ij) · (1 + γ_i) + o_i + κ_ic,   κ_ic ~ N(0, σ_trial²)
    y_ic = clamp(floor(s(v_ic)), -128, 127)
    y_i  = clamp(Σ_c y_ic, -128, 127)

with gain ``g`` (LSB per unit of x·w), ``n_sends`` repetitions of the input, a fixed pattern per
chip instance (per-column gain deviation ``γ_i ~ N(0, σ_fp_gain²)``, offset ``o_i ~ N(0,
σ_fp_offset²)`` LSB, frozen from ``chip_seed``), fresh trial noise ``κ`` (LSB) per chunk, column
and sample, and the optional soft saturation ``s(v) = v_sat · tanh(v / v_sat)`` (identity when
``saturation = 0``). Inputs are floored and clamped, weights rounded and clamped, before the sum.

The backward pass is straight-through with the linear model's gain (spec A5):
``dy/dx = g · n_sends · W``, ``dy/dW = g · n_sends · x`` (quantised operands), ignoring floor,
clamp, fixed pattern and saturation; with ``mask_saturated`` the gradient of a column whose
output sits at the int8 rails is zeroed.

Every random draw is reproducible: the fixed pattern of layer ``l`` from ``(chip_seed, l)``, the
trial noise of layer ``l`` on batch ``b`` from ``(noise_seed, l, b)``.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
from pydantic import Field

from ..schema import Params

__all__ = ["MACParams", "analog_mac", "fixed_pattern", "input_max", "linear_mac", "noise_generator",
           "output_range", "weight_max"]


class MACParams(Params):
    """The analog MAC: resolution, gain, noise and fixed pattern (units in each description)."""

    input_bits: int = Field(5, ge=1, le=16, description="unsigned input bits: x in 0..2^b - 1")
    weight_bits: int = Field(6, ge=1, le=16, description="weight magnitude bits (sign from the exc/inh row "
                                                         "pair): w in -(2^b - 1)..2^b - 1")
    output_bits: int = Field(8, ge=2, le=16, description="signed output bits: y in -2^(b-1)..2^(b-1) - 1")
    chunk_rows: int = Field(128, gt=0, le=1_000_000, description="signed input rows per analog chunk")
    gain: float = Field(0.0018, gt=0, description="g: output LSB per unit of x·w (per send)")
    sigma_trial: float = Field(1.6, ge=0, description="trial-to-trial noise per chunk readout, in LSB")
    sigma_fp_gain: float = Field(0.0, ge=0, description="fixed-pattern per-column relative gain spread "
                                                        "(fraction, per chip instance)")
    sigma_fp_offset: float = Field(0.0, ge=0, description="fixed-pattern per-column offset spread, in LSB "
                                                          "(per chip instance)")
    saturation: float = Field(0.0, ge=0, description="soft saturation v_sat in LSB (v_sat·tanh(v/v_sat)); "
                                                     "0 = off")
    mask_saturated: bool = Field(False, description="zero the straight-through gradient of outputs at the "
                                                    "int8 rails")
    chip_seed: int = Field(0, ge=0, description="seed of the frozen fixed pattern (the chip instance)")
    noise_seed: int = Field(0, ge=0, description="seed of the trial noise, drawn per (layer, batch index)")


def input_max(p: MACParams) -> int:
    """Largest input value 2^input_bits - 1 (31 for 5 bits)."""
    return 2 ** p.input_bits - 1


def weight_max(p: MACParams) -> int:
    """Largest weight magnitude 2^weight_bits - 1 (63 for 6 bits)."""
    return 2 ** p.weight_bits - 1


def output_range(p: MACParams) -> tuple[int, int]:
    """(lowest, highest) output value, (-128, 127) for 8 bits."""
    return -(2 ** (p.output_bits - 1)), 2 ** (p.output_bits - 1) - 1


def noise_generator(seed: int, layer: int, batch_index: int) -> torch.Generator:
    """A torch generator for the trial noise of ``layer`` on batch ``batch_index`` (spawned from
    ``seed``: same triple, same draws; independent across layers and batches)."""
    state = np.random.SeedSequence(int(seed), spawn_key=(int(layer), int(batch_index))).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def fixed_pattern(p: MACParams, n_out: int, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-column gain deviation γ (fraction) and offset o (LSB) of ``layer`` on chip instance
    ``p.chip_seed``: normal draws with std ``sigma_fp_gain`` and ``sigma_fp_offset``, shape
    (n_out,) each, float32 (cached: read-only)."""
    return _fixed_pattern(int(p.chip_seed), float(p.sigma_fp_gain), float(p.sigma_fp_offset), int(n_out), int(layer))


@functools.lru_cache(maxsize=256)
def _fixed_pattern(chip_seed: int, sigma_gain: float, sigma_offset: float, n_out: int, layer: int
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(np.random.SeedSequence(chip_seed, spawn_key=(layer,)))
    gamma = rng.standard_normal(n_out) * sigma_gain
    offset = rng.standard_normal(n_out) * sigma_offset
    return torch.as_tensor(gamma, dtype=torch.float32), torch.as_tensor(offset, dtype=torch.float32)


def _chunked(x: torch.Tensor, w: torch.Tensor, rows: int) -> torch.Tensor:
    """Per-chunk sums Σ_{j in c} x_j w_ij, shape (chunks, batch, n_out)."""
    n_in = x.shape[1]
    if n_in <= rows:
        return (x @ w.T).unsqueeze(0)
    n_chunks = -(-n_in // rows)
    pad = n_chunks * rows - n_in
    if pad:
        x = torch.nn.functional.pad(x, (0, pad))
        w = torch.nn.functional.pad(w, (0, pad))
    xs = x.reshape(len(x), n_chunks, rows).transpose(0, 1)
    ws = w.reshape(len(w), n_chunks, rows).permute(1, 2, 0)
    return torch.bmm(xs, ws)


class _AnalogMAC(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w, p: MACParams, n_sends: int, layer: int, batch_index: int):
        lo, hi = output_range(p)
        xq = torch.floor(x).clamp(0, input_max(p))
        wq = torch.round(w).clamp(-weight_max(p), weight_max(p))
        scale = p.gain * n_sends
        v = _chunked(xq, wq, p.chunk_rows).mul_(scale)  # (chunks, batch, n_out)
        if p.sigma_fp_gain or p.sigma_fp_offset:
            gamma, offset = fixed_pattern(p, w.shape[0], layer)
            v.mul_(gamma.to(v.dtype) + 1.0).add_(offset.to(v.dtype))
        if p.sigma_trial:
            noise = torch.randn(v.shape, generator=noise_generator(p.noise_seed, layer, batch_index), dtype=v.dtype)
            v.add_(noise, alpha=p.sigma_trial)
        if p.saturation:
            v = p.saturation * torch.tanh(v / p.saturation)
        y = v.floor_().clamp_(lo, hi).sum(dim=0).clamp_(lo, hi)
        ctx.save_for_backward(xq, wq, y)
        ctx.scale, ctx.mask, ctx.rails = scale, p.mask_saturated, (lo, hi)
        return y

    @staticmethod
    def backward(ctx, grad_y):
        xq, wq, y = ctx.saved_tensors
        if ctx.mask:
            grad_y = grad_y * ((y > ctx.rails[0]) & (y < ctx.rails[1])).to(grad_y.dtype)
        grad_x = ctx.scale * grad_y @ wq if ctx.needs_input_grad[0] else None
        grad_w = ctx.scale * grad_y.T @ xq if ctx.needs_input_grad[1] else None
        return grad_x, grad_w, None, None, None, None


def analog_mac(x: torch.Tensor, w: torch.Tensor, p: MACParams, n_sends: int = 1, layer: int = 0,
               batch_index: int = 0) -> torch.Tensor:
    """The analog MAC (module docstring) of inputs ``x`` (batch, n_in) and weights ``w``
    (n_out, n_in) in integer units: int8-valued outputs (batch, n_out) as float, LSB. Trial
    noise of batch ``batch_index`` of layer ``layer``; straight-through backward."""
    return _AnalogMAC.apply(x, w, p, int(n_sends), int(layer), int(batch_index))


def linear_mac(x: torch.Tensor, w: torch.Tensor, p: MACParams, n_sends: int = 1) -> torch.Tensor:
    """The linear (software, "float") model ``g · n_sends · x Wᵀ`` in LSB: no quantisation, no
    floor, no clamp, no noise; its autograd gradient is the straight-through one."""
    return p.gain * n_sends * (x @ w.T)
