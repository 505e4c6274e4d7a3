"""The layered feed-forward SNN graph that every simulator, solver and mapper consumes.

Like NIR's nodes, layers are small typed data holders checked on construction, with no
simulation behaviour. Each layer is a linear map from the previous population's spikes to a
new population of spiking neurons:

* ``Dense(weight, bias, delay)`` : ``weight`` (n_out, n_in) flattens its input in C-order;
  ``delay`` (optional, same shape, integers >= 0) is each synapse's transmission delay in time
  steps (a spike at step ``n`` reaches the synapse's target at step ``n + delay``); without it
  every synapse delivers in the step of the spike;
* ``Conv2d(weight, bias, stride, padding)`` : cross-correlation (PyTorch convention) over
  (C, H, W) inputs, ``weight`` (C_out, C_in, kH, kW);
* ``AvgPool2d(kernel_size, scale)`` : non-overlapping average pooling, each output neuron
  receives ``scale / kernel_size**2`` from each input of its window.

Weights are in mV for delta synapses and mV/ms for current-based synapses; biases are constant
drives in mV/ms. ``Layer.connectivity`` lists every synapse as (pre, post, weight) arrays: the
clock simulator turns it into a sparse matrix, the Brian2 backend passes it to ``connect``, so
both simulate exactly the same synapses.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence, Union

import numpy as np
import scipy.sparse as sp

from pydantic import Field

from .neurons import NeuronParams
from .schema import Params

Shape = tuple[int, ...]


def _layer_int(name: str, value, minimum: int, maximum: int | None = None, why: str = "") -> int:
    """``value`` as a Python int after checking that it is an integer (a Python or numpy
    integer, not a bool and not a float such as 2.0) in ``[minimum, maximum]``; otherwise one
    ``ValueError`` naming ``name``, the value and the allowed range (``why`` explains the range)."""
    allowed = f"an integer >= {minimum}" + (f" and <= {maximum}" if maximum is not None else "") + why
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} = {value!r} ({type(value).__name__}) is not allowed: must be {allowed}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} = {value} is not allowed: must be {allowed}")
    return int(value)


def checked_shape(name: str, shape) -> Shape:
    """``shape`` (a population's shape, e.g. ``(1, 8, 8)`` or ``(64,)``) as a tuple of Python
    ints after checking that it is a non-empty sequence of integers >= 1 (no floats, no bools);
    otherwise one ``ValueError`` naming ``name`` and the offending entry."""
    try:
        entries = tuple(shape)
    except TypeError:
        raise ValueError(f"{name} = {shape!r} is not allowed: must be a sequence of integers >= 1") from None
    if not entries:
        raise ValueError(f"{name} = {shape!r} is not allowed: must have at least one dimension")
    return tuple(_layer_int(f"{name}[{i}]", s, 1) for i, s in enumerate(entries))


def _as_float_array(name: str, value, ndim: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


@dataclass(frozen=True, eq=False)
class Dense:
    """Fully connected layer: ``weight`` (n_out, n_in), ``bias`` (n_out,) in mV/ms, optional
    per-synapse ``delay`` (n_out, n_in) in time steps (integers >= 0; None: no delays)."""

    weight: np.ndarray
    bias: np.ndarray | None = None
    delay: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _as_float_array("Dense.weight", self.weight, 2))
        bias = np.zeros(self.weight.shape[0]) if self.bias is None else self.bias
        object.__setattr__(self, "bias", _as_float_array("Dense.bias", bias, 1))
        if self.bias.shape[0] != self.weight.shape[0]:
            raise ValueError(f"Dense.bias has {self.bias.shape[0]} entries, weight has {self.weight.shape[0]} rows")
        if self.delay is not None:
            d = np.asarray(self.delay)
            if d.shape != self.weight.shape:
                raise ValueError(f"Dense.delay must have the weight's shape {self.weight.shape}, got {d.shape}")
            if d.size and (d.dtype.kind not in "iu" or d.min() < 0):
                raise ValueError(f"Dense.delay must hold integers >= 0 (time steps), got dtype {d.dtype}"
                                 + (f" and minimum {d.min()}" if d.dtype.kind in "iuf" else ""))
            object.__setattr__(self, "delay", d.astype(np.int64))

    def synapse_delays(self, input_shape: Shape) -> np.ndarray:
        """Delays in steps of the synapses ``connectivity`` lists, in its order (zeros without
        delays)."""
        post, pre = np.nonzero(self.weight)
        return np.zeros(post.size, dtype=np.int64) if self.delay is None else self.delay[post, pre]

    def output_shape(self, input_shape: Shape) -> Shape:
        if int(np.prod(input_shape)) != self.weight.shape[1]:
            raise ValueError(f"Dense layer expects {self.weight.shape[1]} inputs, got shape {input_shape}")
        return (self.weight.shape[0],)

    def connectivity(self, input_shape: Shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self.output_shape(input_shape)
        post, pre = np.nonzero(self.weight)
        return pre, post, self.weight[post, pre]

    def neuron_bias(self, input_shape: Shape) -> np.ndarray:
        return self.bias


@dataclass(frozen=True, eq=False)
class Conv2d:
    """2-D convolution (cross-correlation): ``weight`` (C_out, C_in, kH, kW), ``bias`` (C_out,).

    ``stride`` is an integer >= 1 and ``padding`` (zeros on every side) an integer in
    ``[0, min(kH, kW) - 1]``, so that every output neuron sees at least one input pixel; other
    values raise ``ValueError`` on construction. PyTorch's ``nn.Conv2d`` takes any padding >= 0;
    ``neurobench.ann.train.to_ann`` therefore refuses a wider one through this check."""

    weight: np.ndarray
    bias: np.ndarray | None = None
    stride: int = 1
    padding: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _as_float_array("Conv2d.weight", self.weight, 4))
        bias = np.zeros(self.weight.shape[0]) if self.bias is None else self.bias
        object.__setattr__(self, "bias", _as_float_array("Conv2d.bias", bias, 1))
        if self.bias.shape[0] != self.weight.shape[0]:
            raise ValueError("Conv2d.bias needs one entry per output channel")
        if 0 in self.weight.shape:
            raise ValueError(
                f"Conv2d.weight has shape {self.weight.shape}: (C_out, C_in, kH, kW) must all be >= 1"
            )
        object.__setattr__(self, "stride", _layer_int("Conv2d.stride", self.stride, 1))
        k = min(self.weight.shape[2:])
        object.__setattr__(self, "padding", _layer_int(
            "Conv2d.padding", self.padding, 0, k - 1,
            f" (below the kernel size {k}: a wider padding makes output neurons that see only zeros)",
        ))

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3 or input_shape[0] != self.weight.shape[1]:
            raise ValueError(f"Conv2d expects input (C={self.weight.shape[1]}, H, W), got {input_shape}")
        _, h, w = input_shape
        kh, kw = self.weight.shape[2:]
        oh = (h + 2 * self.padding - kh) // self.stride + 1
        ow = (w + 2 * self.padding - kw) // self.stride + 1
        if oh < 1 or ow < 1:
            raise ValueError(f"Conv2d kernel {kh}x{kw} does not fit input {input_shape}")
        return (self.weight.shape[0], oh, ow)

    def connectivity(self, input_shape: Shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c_out, oh, ow = self.output_shape(input_shape)
        c_in, h, w = input_shape
        kh, kw = self.weight.shape[2:]
        co, ci, ky, kx, oy, ox = np.meshgrid(
            np.arange(c_out), np.arange(c_in), np.arange(kh), np.arange(kw),
            np.arange(oh), np.arange(ow), indexing="ij",
        )
        iy = oy * self.stride - self.padding + ky
        ix = ox * self.stride - self.padding + kx
        valid = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
        weight = self.weight[co, ci, ky, kx]
        valid &= weight != 0
        pre = (ci * h + iy) * w + ix
        post = (co * oh + oy) * ow + ox
        return pre[valid], post[valid], weight[valid]

    def neuron_bias(self, input_shape: Shape) -> np.ndarray:
        _, oh, ow = self.output_shape(input_shape)
        return np.repeat(self.bias, oh * ow)


@dataclass(frozen=True, eq=False)
class AvgPool2d:
    """Non-overlapping average pooling over (C, H, W); each input contributes ``scale / k**2``.

    ``kernel_size`` (window side and stride, in pixels) is an integer >= 1 and ``scale`` a finite
    real number (dimensionless); other values raise ``ValueError`` on construction."""

    kernel_size: int
    scale: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kernel_size", _layer_int("AvgPool2d.kernel_size", self.kernel_size, 1))
        scale = np.asarray(self.scale)  # a Python or numpy number, or a 0-d array of one
        if scale.ndim != 0 or scale.dtype.kind not in "iuf" or not math.isfinite(scale):
            raise ValueError(f"AvgPool2d.scale = {self.scale!r} is not allowed: must be a finite real number")
        object.__setattr__(self, "scale", float(scale))

    def output_shape(self, input_shape: Shape) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(f"AvgPool2d expects input (C, H, W), got {input_shape}")
        c, h, w = input_shape
        k = self.kernel_size
        if h < k or w < k:
            raise ValueError(f"AvgPool2d kernel {k} does not fit input {input_shape}")
        return (c, h // k, w // k)

    def connectivity(self, input_shape: Shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c, oh, ow = self.output_shape(input_shape)
        _, h, w = input_shape
        k = self.kernel_size
        ch, oy, ox, ky, kx = np.meshgrid(
            np.arange(c), np.arange(oh), np.arange(ow), np.arange(k), np.arange(k), indexing="ij"
        )
        pre = (ch * h + oy * k + ky) * w + ox * k + kx
        post = (ch * oh + oy) * ow + ox
        weight = np.full(pre.size, self.scale / k**2)
        return pre.ravel(), post.ravel(), weight

    def neuron_bias(self, input_shape: Shape) -> np.ndarray:
        return np.zeros(int(np.prod(self.output_shape(input_shape))))


Layer = Union[Dense, Conv2d, AvgPool2d]


@dataclass(frozen=True, eq=False)
class Network:
    """A feed-forward SNN: an input shape, a sequence of layers, and each layer's neurons.

    ``neurons`` is one ``NeuronParams`` shared by every layer, or one per layer.
    """

    input_shape: Shape
    layers: tuple[Layer, ...]
    neurons: NeuronParams | tuple[NeuronParams, ...] = field(default_factory=NeuronParams)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", checked_shape("Network input_shape", self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers:
            raise ValueError("Network needs at least one layer")
        if isinstance(self.neurons, NeuronParams):
            object.__setattr__(self, "neurons", (self.neurons,) * len(self.layers))
        else:
            object.__setattr__(self, "neurons", tuple(self.neurons))
        if len(self.neurons) != len(self.layers):
            raise ValueError(f"Network has {len(self.layers)} layers but {len(self.neurons)} neuron parameter sets")
        self.shapes  # check that the shapes chain

    @cached_property
    def shapes(self) -> tuple[Shape, ...]:
        """Shapes of the input and of every layer's output population."""
        shapes = [self.input_shape]
        for i, layer in enumerate(self.layers):
            try:
                shapes.append(layer.output_shape(shapes[-1]))
            except ValueError as err:
                raise ValueError(f"layer {i} ({type(layer).__name__}): {err}") from None
        return tuple(shapes)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Number of neurons in the input and in every layer."""
        return tuple(int(np.prod(s)) for s in self.shapes)

    def connectivity(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Synapses of layer ``index`` as (pre, post, weight) arrays over flattened populations."""
        return self.layers[index].connectivity(self.shapes[index])

    def weight_matrix(self, index: int) -> sp.csr_matrix:
        """Layer ``index``'s weights as a sparse (n_out, n_in) matrix."""
        pre, post, w = self.connectivity(index)
        n_in, n_out = self.sizes[index], self.sizes[index + 1]
        return sp.csr_matrix((w, (post, pre)), shape=(n_out, n_in))

    def bias(self, index: int) -> np.ndarray:
        """Constant drive of each neuron of layer ``index`` in mV/ms."""
        return self.layers[index].neuron_bias(self.shapes[index])

    @property
    def has_delays(self) -> bool:
        """Whether any layer has synaptic delays (``Dense.delay``)."""
        return any(getattr(layer, "delay", None) is not None for layer in self.layers)

    def delays(self, index: int) -> np.ndarray:
        """Delays in steps of layer ``index``'s synapses, in ``connectivity``'s order (zeros for
        a layer without delays)."""
        layer = self.layers[index]
        if getattr(layer, "delay", None) is None:
            return np.zeros(self.connectivity(index)[0].size, dtype=np.int64)
        return layer.synapse_delays(self.shapes[index])

    def fan_out(self, index: int) -> np.ndarray:
        """Number of synapses leaving each presynaptic neuron of layer ``index``."""
        layer = self.layers[index]
        if isinstance(layer, Dense):  # its nonzero weights, counted without listing them
            return np.count_nonzero(layer.weight, axis=0)
        pre, _, _ = self.connectivity(index)
        return np.bincount(pre, minlength=self.sizes[index])


class RandomNetworkParams(Params):
    """The default conv -> avg-pool -> dense network with random weights."""

    conv_channels: int = Field(4, ge=1, le=256, description="channels of the conv layer")
    kernel_size: int = Field(3, ge=1, le=7, description="conv kernel side in pixels (odd keeps the image size)")
    pool: int = Field(2, ge=1, le=4, description="average-pool window side in pixels")
    weight_gain: float = Field(1.5, gt=0, description="scale of the He-initialised weights")
    weight_seed: int = Field(0, ge=0, description="seed of the random weights")


def random_network(
    input_shape: Sequence[int],
    conv_channels: int,
    kernel_size: int,
    pool: int,
    n_classes: int,
    neurons: NeuronParams,
    seed: int,
    weight_gain: float = 1.0,
) -> Network:
    """A conv -> avg-pool -> dense network with He-scaled random weights times ``weight_gain``.

    Used where no trained model is needed (simulator agreement, benchmarks).
    """
    rng = np.random.default_rng(seed)
    c, h, w = input_shape
    conv_w = rng.normal(0.0, np.sqrt(2.0 / (c * kernel_size**2)), (conv_channels, c, kernel_size, kernel_size))
    conv = Conv2d(weight_gain * conv_w, np.zeros(conv_channels), padding=kernel_size // 2)
    pooled = AvgPool2d(pool).output_shape(conv.output_shape(tuple(input_shape)))
    n_in = int(np.prod(pooled))
    dense = Dense(weight_gain * rng.normal(0.0, np.sqrt(2.0 / n_in), (n_classes, n_in)))
    return Network(tuple(input_shape), (conv, AvgPool2d(pool), dense), neurons)
