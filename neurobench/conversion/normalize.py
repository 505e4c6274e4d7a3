"""Baseline ANN-to-SNN conversion: data-based weight normalisation (no solver).

The method of Diehl et al. (2015) and Rueckauer et al. (2017), as SNN Toolbox and sinabs
implement it: every ReLU unit becomes a non-leaky integrate-and-fire neuron with reset by
subtraction, threshold ``v_th`` mV, delta synapses and no refractory period; the weights are
rescaled layer by layer so that the ``percentile``-th activation of each layer on calibration
inputs maps to the input's maximum rate; average pooling stays a (spiking) layer.

Units and mapping
-----------------
Inputs are rate coded (``neurobench.data.encoders.poisson`` / ``regular``): a pixel of value
``x`` fires ``x * rho`` spikes per step with ``rho = max_rate * dt / 1000`` (``<= 1``). Let
``lambda_l`` be the scale of layer ``l``: ``lambda_0 = input_scale`` (1 for inputs in [0, 1]:
the encoder maps the value 1 to ``max_rate``) and, for ``l >= 1``, the ``percentile``-th
percentile of the layer's **positive** ANN activations on the calibration inputs (SNN Toolbox
takes the percentile over the non-zero activations; ``percentile=100`` is Diehl's max-norm).
The conversion makes

    SNN rate of a unit of layer l  =  rho * a_l / lambda_l   spikes per step
                                   =  max_rate * a_l / lambda_l   Hz,

i.e. every layer fires at ``max_rate`` for its reference activation ``lambda_l``. With delta
synapses a presynaptic train of ``r`` spikes/step through a weight ``w`` mV injects ``w r`` mV
per step; an IF neuron with subtractive reset turns a mean per-step charge ``q >= 0`` into
``q / v_th`` spikes/step (at most 1 per step; the residue stays on the membrane). Asking for
``rho a_l / lambda_l = (sum_i w'_i rho a_{l-1,i} / lambda_{l-1} + b' dt) / v_th`` gives

    w'_l = v_th * W_l * lambda_{l-1} / lambda_l                  (mV)
    b'_l = v_th * b_l / lambda_l * max_rate / 1000               (mV/ms; per step b'_l * dt)

Average pooling is the same rule with ``W = 1 / k**2``: ``AvgPool2d(k, scale=lambda_{l-1} /
lambda_l)``. ``normalize_pool=False`` sets ``lambda_pool = lambda_{l-1}`` instead (scale 1:
the pooling layer then just averages rates; both work equally well on the digits CNN).

Units above ``lambda_l`` (about ``100 - percentile`` % of the positive activations) would need
more than ``rho`` spikes/step; they fire faster, saturating at one spike per step. Negative
pre-activations give no spikes (ReLU). Over ``T`` steps a neuron's count is off by about a
spike (its own rounding plus that of its inputs; measured on the digits MLP with the regular code
at T = 300: mean 0.5, max 2.2 spikes), and every layer adds an onset delay of at least one step,
so short runs of deep networks lose accuracy (digits CNN at 500 Hz: chance level at T = 10,
ANN level from T = 50).

Read-out (``decode``): the output layer (``"linear"`` in the ANN) is normalised like the others.
``readout="potential"`` (default) uses the total charge ``Q`` that reached each output neuron
(``W'_L`` times the last hidden layer's spike counts plus ``T dt b'_L``; with IF neurons,
subtractive reset and no leak this equals ``v_th * count + v(T)``, an exact non-spiking
integrator read-out that keeps negative outputs, needed for regression); ``readout="count"`` uses
the output spike counts. Both are converted back to ANN units: ``a = lambda_L / rho * Q /
(v_th T)`` or ``lambda_L / rho * count / T``.

Chip constraints (``constrain``): clip weights to ``[w_min, w_max]`` and/or round them to
``bits``-bit signed levels ``Delta * k``, ``k in {-(2**(bits-1) - 1), ..., 2**(bits-1) - 1}``
with ``Delta = max|w| / (2**(bits-1) - 1)`` per layer (or per output neuron / channel). This is
how the baseline is compared with the solver under the same constraints
(``docs/papers/conversion.md`` §10: "the baseline's weights are simply rounded").

Hybrid chips (``hybrid_baseline``): the same rounding idea for integer multiplicities times
shared type weights: per neuron, the type weights are fitted to its normalised weights
(``neurobench.conversion.hybrid.initial_type_weights``: the largest weight of each sign is
``max_multiplicity`` synapses of that sign's first type) and every weight becomes the nearest
multiplicity combination, so that the network satisfies the same constraints the LP solves
under (``neurobench.conversion.constraints.hybrid_violations`` is 0).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, Sequence

import numpy as np

from .. import units
from ..ann.model import Ann
from ..network import AvgPool2d, Network
from ..neurons import NeuronParams
from .constraints import Hybrid
from .hybrid import initial_type_weights


def spikes_per_step(max_rate: float, dt: float) -> float:
    """``rho = max_rate * dt / 1000``: spikes per step of ``dt`` ms of a unit input firing at
    ``max_rate`` Hz; must lie in (0, 1]."""
    if not (dt > 0 and np.isfinite(dt)):
        raise ValueError(f"dt = {dt} is not allowed: must be a finite value > 0 ms")
    rho = units.spikes_per_step(float(max_rate), float(dt))
    if not (0 < rho <= 1):
        raise ValueError(
            f"max_rate = {max_rate:g} Hz with dt = {dt:g} ms gives {rho:g} spikes per step; "
            f"need 0 < max_rate <= 1000 / dt = {units.max_rate_hz(dt):g} Hz"
        )
    return rho


def layer_scales(ann: Ann, calibration_x, *, percentile: float = 99.9,
                 input_scale: float = 1.0) -> np.ndarray:
    """``lambda_0 .. lambda_L``: ``input_scale``, then each layer's percentile of its positive
    activations on ``calibration_x``.

    A layer without any positive activation on the calibration data gets ``lambda = 1``.
    """
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile = {percentile} is not allowed: must be in (0, 100]")
    if not (input_scale > 0 and np.isfinite(input_scale)):
        raise ValueError(f"input_scale = {input_scale} is not allowed: must be > 0")
    acts = ann.forward(calibration_x)
    scales = [float(input_scale)]
    for a in acts:
        pos = a[a > 0]
        scales.append(float(np.percentile(pos, percentile)) if pos.size else 1.0)
    return np.asarray(scales)


def normalize(
    ann: Ann,
    calibration_x,
    *,
    max_rate: float,
    dt: float,
    percentile: float = 99.9,
    v_th: float = 1.0,
    input_scale: float = 1.0,
    normalize_pool: bool = True,
    scales: Sequence[float] | None = None,
) -> Network:
    """The baseline SNN of ``ann`` (module docstring): same layers, weights in mV, biases in mV/ms.

    Parameters
    ----------
    ann : Ann
        Hidden layers ``"relu"``; the output layer may be ``"linear"``.
    calibration_x : array (S, *ann.input_shape)
        Inputs whose activations set the layer scales (typically the training set).
    max_rate, dt : float
        The input encoder's rate of a unit input in Hz and the time step in ms.
    percentile : float
        Percentile of each layer's positive activations used as its scale (99.9; 100 = max).
    v_th : float
        Threshold of every IF neuron in mV.
    input_scale : float
        ANN input value the encoder maps to ``max_rate`` (1 for inputs in [0, 1]).
    normalize_pool : bool
        Give pooling layers their own scale (True) or keep the previous layer's (False).
    scales : sequence of float, optional
        Precomputed ``layer_scales`` (then ``calibration_x`` may be None).
    """
    spikes_per_step(max_rate, dt)  # checks 0 < max_rate * dt / 1000 <= 1
    if not (v_th > 0 and np.isfinite(v_th)):
        raise ValueError(f"v_th = {v_th} is not allowed: must be a finite value > 0 mV")
    if scales is None:
        lam = layer_scales(ann, calibration_x, percentile=percentile, input_scale=input_scale)
    else:
        lam = np.asarray(scales, dtype=np.float64)
        if lam.shape != (len(ann.layers) + 1,) or not np.all(lam > 0):
            raise ValueError(f"scales needs {len(ann.layers) + 1} positive values, got {lam}")
    lam = lam.copy()
    layers = []
    for i, layer in enumerate(ann.layers):
        if isinstance(layer, AvgPool2d):
            if not normalize_pool:
                lam[i + 1] = lam[i]
            layers.append(AvgPool2d(layer.kernel_size, layer.scale * lam[i] / lam[i + 1]))
            continue
        gain = v_th * lam[i] / lam[i + 1]
        bias = v_th * layer.bias / lam[i + 1] * max_rate / units.MS_PER_S
        layers.append(replace(layer, weight=layer.weight * gain, bias=bias))
    neuron = NeuronParams(model="if", v_th=float(v_th), reset="subtract", t_ref=0.0, tau_syn=0.0)
    return Network(ann.input_shape, tuple(layers), neuron)


# ------------------------------------------------------------------------------------ read-out


def quantize(w: np.ndarray, bits: int, axis: int | None = None) -> np.ndarray:
    """Round ``w`` to signed ``bits``-bit levels ``Delta * k``, ``|k| <= 2**(bits-1) - 1``.

    ``Delta = max|w| / (2**(bits-1) - 1)`` over all of ``w`` (``axis=None``) or separately for
    each index of ``axis`` (e.g. axis 0: per output neuron / channel). All-zero groups stay 0.
    """
    bits = int(bits)
    if bits < 2:
        raise ValueError(f"bits = {bits} is not allowed: signed levels need bits >= 2")
    w = np.asarray(w, dtype=np.float64)
    levels = 2 ** (bits - 1) - 1
    if axis is None:
        top = np.max(np.abs(w)) if w.size else 0.0
    else:
        other = tuple(a for a in range(w.ndim) if a != axis % w.ndim)
        top = np.max(np.abs(w), axis=other, keepdims=True)
    delta = np.where(top > 0, top / levels, 1.0)
    return np.clip(np.rint(w / delta), -levels, levels) * delta + 0.0  # no -0.0


def constrain(
    network: Network,
    *,
    w_min: float | None = None,
    w_max: float | None = None,
    bits: int | None = None,
    per: Literal["layer", "neuron"] = "layer",
    include_bias: bool = False,
) -> Network:
    """``network`` with weights clipped to ``[w_min, w_max]`` (mV) and/or rounded to ``bits`` bits.

    Clipping comes first, then rounding with a scale per layer (``per="layer"``) or per output
    neuron / conv channel (``per="neuron"``). Biases (mV/ms, not comparable with weights in mV)
    are left alone, unless ``include_bias`` and ``bits`` are given: then each layer's biases are
    rounded to ``bits`` bits on a scale of their own. Pooling layers have one weight value,
    which rounding keeps exactly; clipping can change it (its ``scale`` follows).
    """
    if w_min is not None and w_max is not None and not w_min <= w_max:
        raise ValueError(f"need w_min <= w_max, got {w_min} > {w_max}")
    if per not in ("layer", "neuron"):
        raise ValueError(f"per must be 'layer' or 'neuron', got {per!r}")
    lo = -np.inf if w_min is None else float(w_min)
    hi = np.inf if w_max is None else float(w_max)
    axis = None if per == "layer" else 0
    layers = []
    for layer in network.layers:
        if isinstance(layer, AvgPool2d):
            k2 = layer.kernel_size**2
            w = float(np.clip(layer.scale / k2, lo, hi))
            layers.append(AvgPool2d(layer.kernel_size, w * k2))
            continue
        w = np.clip(layer.weight, lo, hi)
        if bits is not None:
            w = quantize(w, bits, axis)
        b = quantize(layer.bias, bits, None) if include_bias and bits is not None else layer.bias
        layers.append(replace(layer, weight=w, bias=b))
    return Network(network.input_shape, tuple(layers), network.neurons)


def _round_to_types(w: np.ndarray, s: np.ndarray, max_mult: int) -> np.ndarray:
    """Multiplicities (n, n_types) that approximate ``w`` with the type weights ``s``.

    Greedy per sign: the types of the weight's sign, largest first, each take
    ``floor(r / s_tau)`` synapses of the remainder ``r`` (``round`` for the smallest type),
    clipped to ``0..max_mult``. Types of the other sign stay unused.
    """
    m = np.zeros((w.size, s.size))
    for sign in (1.0, -1.0):
        rows = np.flatnonzero(np.sign(w) == sign)
        types = [t for t in np.argsort(-np.abs(s), kind="stable") if np.sign(s[t]) == sign]
        r = np.abs(w[rows])
        for n, t in enumerate(types):
            ratio = r / abs(s[t])
            k = np.rint(ratio) if n == len(types) - 1 else np.floor(ratio + 1e-12)
            k = np.clip(k, 0, max_mult)
            m[rows, t] = k
            r = r - k * abs(s[t])
    return m


def hybrid_baseline(network: Network, spec: Hybrid) -> Network:
    """The normalised ``network`` rounded onto a hybrid chip: multiplicity x shared type weight.

    The usual conversion's analogue for :class:`~neurobench.conversion.constraints.Hybrid`
    constraints (module docstring). Per output neuron (conv channel) with weights ``w`` (mV):

    1. with ``fan_in``, only the ``fan_in`` largest ``|w_i|`` are kept;
    2. type weights ``s`` (n_types,) from ``initial_type_weights(spec, w)`` (per sign
       ``max |w| / max_multiplicity``, halved for further types of that sign, clipped to the
       type bounds ``[0, s_max]`` / ``[-s_max, 0]`` with ``excitatory_inhibitory``);
    3. multiplicities ``m in {0..max_multiplicity}`` by greedy rounding (types of the weight's
       sign, largest first), and ``w_i = sum_tau s_tau m_{i,tau}``.

    Weights beyond ``max_multiplicity * s_max`` saturate; biases (continuous currents on the
    chip) and pooling layers are kept. ``assignment="grouped"`` is rounded the same way (each
    input uses the type of its weight's sign), which needs one type per sign.
    """
    if spec.assignment == "grouped" and not (spec.excitatory_inhibitory and spec.n_types == 2):
        raise ValueError("hybrid_baseline: assignment = 'grouped' is supported with two "
                         "excitatory/inhibitory types only (no input_types are known here)")
    M = int(spec.max_multiplicity)
    layers = []
    for layer in network.layers:
        if isinstance(layer, AvgPool2d):
            layers.append(layer)
            continue
        W = np.asarray(layer.weight, dtype=np.float64).reshape(layer.weight.shape[0], -1)
        out = np.zeros_like(W)
        for j, w in enumerate(W):
            if spec.fan_in is not None and np.count_nonzero(w) > spec.fan_in:
                keep = np.argsort(-np.abs(w), kind="stable")[: spec.fan_in]
                w = np.where(np.isin(np.arange(w.size), keep), w, 0.0)
            s = initial_type_weights(spec, w)
            out[j] = _round_to_types(w, s, M) @ s
        layers.append(replace(layer, weight=out.reshape(layer.weight.shape) + 0.0))
    return Network(network.input_shape, tuple(layers), network.neurons)


__all__ = [
    "constrain", "hybrid_baseline",
    "layer_scales",
    "normalize",
    "quantize",
    "spikes_per_step",
]
