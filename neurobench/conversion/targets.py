"""From ANN activations and measured SNN rates to per-neuron least-error problems.

For layer ``l`` with ANN activations ``a`` (S samples) the converter asks each SNN neuron to fire
at ``rho = alpha_l * (a - offset_l)_+`` Hz, where ``alpha_l`` maps the ``percentile``-th
activation to ``max_rate`` Hz and ``offset_l`` is 0 for ReLU layers (the output layer, which
has no rectification, is shifted by its smallest calibration activation so that every logit
maps to a rate). The target drive is the inverse rate function ``z = g^-1(rho)`` in mV/ms; samples
with ``rho == 0`` are *silent*: the drive must only stay at or below the firing onset.

The drive of a neuron is the constant bias ``b`` (mV/ms) that would bring the same charge per
step: ``I = sum_i w_i g p_i + b``, where ``p_i`` is presynaptic neuron ``i``'s measured spikes
per step, ``w_i`` the weight and ``g`` the :func:`synaptic_gain` (1/ms per spike per step) that
the clock simulator's own step coefficients give (delta synapses: ``1 / c_b``, i.e. ``1 / dt``
for IF; current-based synapses: ``tau_syn``-fold more), so a problem's input matrix is
``R = g p``. Given ``dt``, the inverse rate function is the discrete-time one of the clock
simulator (``neurobench.neurons.discrete_inverse_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..neurons import NeuronParams, discrete_inverse_rate, inverse_rate
from ..sim.coefficients import StepCoefficients


@dataclass(frozen=True)
class LayerTargets:
    """Targets of one layer over S rows: drives ``z`` (S, n) in mV/ms and the ``silent`` mask."""

    z: np.ndarray
    silent: np.ndarray
    alpha: float  # Hz per unit of ANN activation
    offset: float  # ANN activation that maps to 0 Hz


def rate_targets(
    activations: np.ndarray,
    neuron: NeuronParams,
    max_rate: float,
    percentile: float = 99.9,
    shift: bool = False,
    dt: float | None = None,
) -> LayerTargets:
    """Target drives for ANN ``activations`` (S, n) so that the layer fires up to ``max_rate`` Hz.

    ``shift=True`` (output layers without ReLU) subtracts the smallest activation first. With a
    time step ``dt`` (ms) the drives invert the clock simulator's discrete-time rate function
    (``neurobench.neurons.discrete_inverse_rate``; a ``max_rate`` the neuron cannot reach at
    this ``dt`` raises ``ValueError``); without, the continuous-time one (``inverse_rate``).
    """
    a = np.asarray(activations, dtype=np.float64)
    offset = float(min(a.min(), 0.0)) if shift else 0.0
    positive = np.maximum(a - offset, 0.0)
    scale = np.percentile(positive[positive > 0], percentile) if np.any(positive > 0) else 1.0
    alpha = max_rate / scale
    rho = np.minimum(alpha * positive, max_rate)
    silent = rho <= 0
    z = np.zeros_like(rho)
    if dt is None:
        z[~silent] = inverse_rate(rho[~silent], neuron)
    else:
        z[~silent] = discrete_inverse_rate(rho[~silent], neuron, dt)
    return LayerTargets(z=z, silent=silent, alpha=float(alpha), offset=offset)


def synaptic_gain(neuron: NeuronParams, dt: float) -> float:
    """Drive in mV/ms per unit weight of a presynaptic train of one spike per step (1/ms).

    Derived from the clock simulator's own step coefficients
    (``neurobench.sim.coefficients.StepCoefficients``: ``v <- a_v v + c_b b + c_i I``,
    ``I <- a_i I``): a spike adds ``w`` to ``v`` (delta synapses) or to ``I`` (current-based),
    whose membrane charge over the following steps is ``c_i (1 + a_i + a_i^2 + ...) w =
    c_i / (1 - a_i) w`` (``tau_syn w`` for IF). A constant drive ``b`` adds ``c_b b`` per step, so
    the equivalent drive of ``p`` spikes per step is ``w p / c_b`` (delta; ``w p / dt`` for IF)
    or ``w p c_i / ((1 - a_i) c_b)`` (current; ``w p tau_syn / dt`` for IF). Exact for the mean
    charge; leak and refractoriness act on its timing only (LIF), or drop the charge that
    arrives while a neuron is refractory (current synapses).
    """
    c = StepCoefficients.for_neuron(neuron, dt)
    charge = 1.0 if neuron.tau_syn == 0 else c.c_i / (1.0 - c.a_i)  # mV per unit weight
    return charge / c.c_b


def onset_drive(neuron: NeuronParams) -> float:
    """Largest constant drive in mV/ms at which the neuron never fires (rheobase)."""
    return 0.0 if neuron.model == "if" else neuron.v_th / neuron.tau_m


def conv_patches(
    rates: np.ndarray,
    kernel_size: tuple[int, int],
    stride: int,
    padding: int,
) -> np.ndarray:
    """Input patches of a convolution: rates (S, C, H, W) -> (S, oh, ow, C * kh * kw), zero-padded."""
    kh, kw = kernel_size
    padded = np.pad(rates, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    s, c, oh, ow = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(s, oh, ow, c * kh * kw)


def sample_positions(n_images: int, out_hw: tuple[int, int], per_image: int, seed: int) -> np.ndarray:
    """Seeded (image, y, x) triples, ``per_image`` distinct output positions from every image."""
    oh, ow = out_hw
    per_image = min(per_image, oh * ow)
    rng = np.random.default_rng(seed)
    picks = np.stack([rng.choice(oh * ow, size=per_image, replace=False) for _ in range(n_images)])
    image = np.repeat(np.arange(n_images), per_image)
    flat = picks.ravel()
    return np.stack([image, flat // ow, flat % ow], axis=1)
