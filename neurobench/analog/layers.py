"""Layers and networks on the analog MAC (spec A2, A5, A6, A8).

``AnalogLinear`` and ``AnalogConv2d`` (im2col through ``Tensor.unfold`` onto the
same MAC, one MAC row per kernel element, one column per output channel) hold weights in the
MAC's integer units (-63..63 for 6 bits) and a per-layer ``n_sends``. Every forward runs in one
of two modes:

* ``mac=None``: the linear software model ``clamp(g · n_sends · x Wᵀ, -128, 127)`` (no
  quantisation, no noise): the "float" network;
* ``mac=MACParams(...)``: the analog MAC (``neurobench.analog.mac.analog_mac``): quantised
  operands, 128-row chunks, trial noise, the chip instance's fixed pattern.

Between layers ``requantise`` is the ReLU that turns int8 outputs into the next layer's 5-bit
inputs: ``clamp(floor(max(y, 0) / 2^shift), 0, 31)`` (no floor in the linear model), with a
straight-through gradient ``1 / 2^shift`` inside the range (rails included).

Initialisation (spec A5): a He-normal standard deviation mapped onto the MAC,
``σ_w = 2^shift · √2 / (g · √fan_in)``; ``n_sends = ceil(σ_w / 21)``, then ``σ_w /= n_sends``;
weights from a normal truncated to [-63, 63].
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field, field_validator
from torch import nn

from ..schema import Params
from .mac import MACParams, analog_mac, input_max, output_range

__all__ = ["INIT_WEIGHT", "AnalogConv2d", "AnalogLinear", "AnalogNet", "NetParams", "init_layer", "requantise"]

INIT_WEIGHT = 21.0
"""Target weight standard deviation of the initialisation (63 / 3): n_sends = ceil(σ_w / 21)."""


class NetParams(Params):
    """A network of one optional convolution and dense layers, without biases (spec A6)."""

    conv_channels: int = Field(20, ge=0, le=4096, description="output channels of the convolution (0: no "
                                                              "convolution, a dense network)")
    kernel: int = Field(4, ge=1, le=64, description="square kernel side, pixels")
    stride: int = Field(2, ge=1, le=64, description="convolution stride, pixels")
    pad: int = Field(1, ge=0, le=64, description="zero padding of the input image, pixels per side")
    hidden: list[int] = Field(default_factory=lambda: [128], description="hidden dense layer sizes")
    shift: int = Field(1, ge=0, le=15, description="ReLU re-quantisation shift: next input = floor(y / 2^shift)")
    init_gain: float = Field(0.0018, gt=0, description="g assumed by the initialisation (LSB per unit x·w)")
    max_n_sends: int = Field(64, ge=1, le=1024, description="cap on the n_sends the initialisation picks")

    @field_validator("hidden")
    @classmethod
    def _hidden(cls, v: list[int]) -> list[int]:
        if any(h < 1 for h in v):
            raise ValueError(f"hidden = {v} is not allowed: layer sizes >= 1")
        return v


def requantise(y: torch.Tensor, shift: int, x_max: int, analog: bool) -> torch.Tensor:
    """ReLU and re-quantisation to the next layer's inputs: ``clamp(floor(y / 2^shift), 0,
    x_max)`` (analog) or without the floor (linear model); gradient ``2^-shift`` where
    ``0 <= y / 2^shift <= x_max``, else 0 (straight-through through the floor)."""
    z = (y / 2.0 ** shift).clamp(0.0, float(x_max))
    return z + (torch.floor(z) - z).detach() if analog else z


def init_layer(n_out: int, fan_in: int, net: NetParams, w_max: int, gen: torch.Generator) -> tuple[torch.Tensor, int]:
    """The spec's initialisation (module docstring): weights (n_out, fan_in) and ``n_sends``."""
    std = 2.0 ** net.shift * math.sqrt(2.0) / (net.init_gain * math.sqrt(fan_in))
    n_sends = int(min(net.max_n_sends, max(1, math.ceil(std / INIT_WEIGHT))))
    std /= n_sends
    w = torch.empty(n_out, fan_in)
    nn.init.trunc_normal_(w, 0.0, std, -float(w_max), float(w_max), generator=gen)
    return w, n_sends


class AnalogLinear(nn.Module):
    """A dense layer on the MAC: weights (n_out, n_in) in integer units, no bias."""

    def __init__(self, weight: torch.Tensor, n_sends: int, layer: int):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.n_sends, self.layer = int(n_sends), int(layer)

    def forward(self, x: torch.Tensor, mac: MACParams | None, batch_index: int = 0) -> torch.Tensor:
        """Outputs (batch, n_out) in LSB of inputs (batch, n_in) (module docstring for ``mac``)."""
        if mac is None:
            lo, hi = output_range(MACParams())
            return (_linear_gain(self) * (x @ self.weight.T)).clamp(lo, hi)
        return analog_mac(x, self.weight, mac, self.n_sends, self.layer, batch_index)


class AnalogConv2d(nn.Module):
    """A convolution on the MAC through unfold: weights (out, in, k, k), no bias, no padding
    (pad the input image instead)."""

    def __init__(self, weight: torch.Tensor, stride: int, n_sends: int, layer: int):
        super().__init__()
        self.weight = nn.Parameter(weight.clone())
        self.stride, self.n_sends, self.layer = int(stride), int(n_sends), int(layer)

    def forward(self, x: torch.Tensor, mac: MACParams | None, batch_index: int = 0) -> torch.Tensor:
        """Outputs (batch, out, H', W') in LSB of inputs (batch, in, H, W)."""
        k = self.weight.shape[-1]
        b, _, h, w = x.shape
        ho, wo = (h - k) // self.stride + 1, (w - k) // self.stride + 1
        cols = x.unfold(2, k, self.stride).unfold(3, k, self.stride)  # (b, c, ho, wo, k, k), a strided view
        cols = cols.permute(0, 2, 3, 1, 4, 5).reshape(b * ho * wo, -1)
        kernels = self.weight.reshape(len(self.weight), -1)
        if mac is None:
            lo, hi = output_range(MACParams())
            y = (_linear_gain(self) * (cols @ kernels.T)).clamp(lo, hi)
        else:
            y = analog_mac(cols, kernels, mac, self.n_sends, self.layer, batch_index)
        return y.reshape(b, ho * wo, -1).transpose(1, 2).reshape(b, -1, ho, wo)


def _linear_gain(layer: nn.Module) -> float:
    return layer.gain * layer.n_sends


class AnalogNet(nn.Module):
    """Optional convolution, then dense layers; ReLU re-quantisation between layers; the last
    layer's int8 outputs are the class scores (spec A6).

    ``gain`` is the g of the linear model (the MAC's own g is in the ``MACParams`` a forward
    gets); ``x_max`` the largest input value (31)."""

    def __init__(self, image_side: int, n_classes: int, net: NetParams, gen: torch.Generator,
                 gain: float = 0.0018, w_max: int = 63, x_max: int = 31):
        super().__init__()
        self.net, self.x_max = net, int(x_max)
        layers: list[nn.Module] = []
        side = image_side + 2 * net.pad
        n_in = side * side
        if net.conv_channels:
            w, n = init_layer(net.conv_channels, net.kernel ** 2, net, w_max, gen)
            layers.append(AnalogConv2d(w.reshape(net.conv_channels, 1, net.kernel, net.kernel), net.stride, n, 0))
            out_side = (side - net.kernel) // net.stride + 1
            n_in = net.conv_channels * out_side ** 2
        for size in [*net.hidden, n_classes]:
            w, n = init_layer(size, n_in, net, w_max, gen)
            layers.append(AnalogLinear(w, n, len(layers)))
            n_in = size
        self.layers = nn.ModuleList(layers)
        self.set_gain(gain)

    def set_gain(self, gain: float) -> None:
        """Sets the g of the linear model on every layer."""
        for layer in self.layers:
            layer.gain = float(gain)

    @property
    def n_sends(self) -> list[int]:
        """n_sends of every layer."""
        return [layer.n_sends for layer in self.layers]

    def forward(self, images: torch.Tensor, mac: MACParams | None = None, batch_index: int = 0) -> torch.Tensor:
        """Class scores (batch, n_classes) in LSB of ``images`` (batch, side, side) already
        scaled to the input range 0..x_max (zero padded here)."""
        x = F.pad(images, (self.net.pad,) * 4).unsqueeze(1) if images.dim() == 3 else images
        if not self.net.conv_channels:
            x = x.flatten(1)
        x_max = self.x_max if mac is None else input_max(mac)
        for i, layer in enumerate(self.layers):
            if i and x.dim() > 2:
                x = x.flatten(1)
            y = layer(x, mac, batch_index)
            if i == len(self.layers) - 1:
                return y
            x = requantise(y, self.net.shift, x_max, analog=mac is not None)
        raise AssertionError("unreachable")

    def clamp_weights(self, w_max: int) -> None:
        """Clamps every weight to [-w_max, w_max] in place (after each optimiser step)."""
        with torch.no_grad():
            for p in self.parameters():
                p.clamp_(-w_max, w_max)

    def weights(self) -> list[np.ndarray]:
        """Every layer's weights as numpy arrays (integer units, not rounded)."""
        return [layer.weight.detach().numpy().copy() for layer in self.layers]

