"""Analytic steady-state firing rates of IF and LIF neurons under a constant drive, and inverses.

The drive ``I`` is a constant input in mV/ms (``dv/dt = I`` for IF, ``dv/dt = -v/tau_m + I``
for LIF). Rates are in Hz. These are the continuous-time closed forms: with reset to zero the
neuron restarts from 0 mV; with reset by subtraction and an exact threshold crossing the
continuous-time trajectory is the same, so both share one formula. A clock-driven simulation
with step ``dt`` approaches them as ``dt -> 0``; the conversion solver maps ANN activations to
drives through the inverses.

    IF :  r(I) = 1 / (t_ref + v_th / I)                          for I > 0, else 0
    LIF:  r(I) = 1 / (t_ref + tau_m * ln(I tau_m / (I tau_m - v_th)))   for I tau_m > v_th, else 0
"""

from __future__ import annotations

import numpy as np

from ..units import MS_PER_S
from .params import NeuronParams


def max_rate(params: NeuronParams) -> float:
    """Supremum of the rate in Hz (1 / t_ref; infinite without a refractory period)."""
    return np.inf if params.t_ref == 0 else MS_PER_S / params.t_ref


def rate(drive: np.ndarray, params: NeuronParams) -> np.ndarray:
    """Steady-state firing rate in Hz for a constant drive ``I`` in mV/ms (element-wise)."""
    drive = np.asarray(drive, dtype=np.float64)
    out = np.zeros_like(drive)
    if params.model == "if":
        on = drive > 0
        isi = params.t_ref + params.v_th / drive[on]
    else:
        on = drive * params.tau_m > params.v_th
        x = drive[on] * params.tau_m
        # ln(x / (x - v_th)) written as log1p: exact to rounding also for strong drives x >> v_th
        isi = params.t_ref + params.tau_m * np.log1p(params.v_th / (x - params.v_th))
    out[on] = MS_PER_S / isi
    return out


def inverse_rate(target_rate: np.ndarray, params: NeuronParams) -> np.ndarray:
    """Constant drive in mV/ms that gives ``target_rate`` Hz (0 Hz maps to the firing onset).

    Raises ``ValueError`` for rates < 0, NaN, or >= the maximum rate ``1 / t_ref``.
    """
    r = np.asarray(target_rate, dtype=np.float64)
    if not np.all((r >= 0) & (r < max_rate(params))):  # also rejects NaN
        raise ValueError(
            f"target_rate must lie in [0, {max_rate(params)}) Hz for t_ref = {params.t_ref} ms"
        )
    out = np.empty_like(r)
    zero = r == 0
    isi = MS_PER_S / r[~zero] - params.t_ref  # ms available for integration
    if params.model == "if":
        out[~zero] = params.v_th / isi
        out[zero] = 0.0
    else:
        # 1 - exp(-isi / tau_m) written as -expm1: no cancellation when isi << tau_m
        out[~zero] = params.v_th / (params.tau_m * -np.expm1(-isi / params.tau_m))
        out[zero] = params.v_th / params.tau_m
    return out
