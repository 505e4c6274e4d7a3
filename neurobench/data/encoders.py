"""Spike encoders for static inputs in [0, 1].

Every encoder maps ``x`` of shape ``(n, ...)`` (samples first) to a uint8 array of 0/1 spikes of
shape ``(n, n_steps, ...)``; step ``k`` covers the time ``[k dt, (k + 1) dt)`` in ms. Rates are in
Hz, so ``r * dt / 1000`` is the expected number of spikes per step at rate ``r``; a rate code can
emit at most one spike per step, which bounds ``max_rate`` by ``1000 / dt`` Hz.

* ``poisson``: independent Bernoulli draws, ``P(spike in a step) = x * max_rate * dt / 1000``.
* ``regular``: deterministic, the same mean rate with evenly spaced spikes.
* ``latency``: one spike per input above ``threshold``, earlier for larger values.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, field_validator

from ..schema import Params
from ..units import MS_PER_S, rate_fits_time_step
from ._checks import check_float, check_int, check_seed, check_unit_array


def _rate_params(n_steps, dt, max_rate) -> tuple[int, float, float]:
    n_steps = check_int("n_steps", n_steps, minimum=1)
    dt = check_float("dt", dt, gt=0, unit="ms")
    max_rate = check_float("max_rate", max_rate, ge=0, unit="Hz")
    if max_rate * dt / MS_PER_S > 1.0:
        raise ValueError(
            f"max_rate = {max_rate:g} Hz with dt = {dt:g} ms asks for {max_rate * dt / MS_PER_S:g} "
            f"spikes per step; at most one fits: max_rate must be <= 1000 / dt = "
            f"{MS_PER_S / dt:g} Hz"
        )
    return n_steps, dt, max_rate


def poisson(x, n_steps: int, dt: float, max_rate: float, seed: int) -> np.ndarray:
    """Poisson (Bernoulli per step) rate code.

    Each input and step spikes independently with probability ``p = x * max_rate * dt / 1000``,
    so an input of value ``x`` fires at ``x * max_rate`` Hz on average.

    Parameters
    ----------
    x : array_like, shape (n, ...)
        Inputs in [0, 1].
    n_steps : int
        Number of time steps, >= 1.
    dt : float
        Time step in ms, > 0.
    max_rate : float
        Rate in Hz of an input of value 1; 0 <= max_rate <= 1000 / dt.
    seed : int
        Seed of ``np.random.default_rng`` (>= 0); the same seed gives bit-identical spikes.

    Returns
    -------
    ndarray of uint8, shape (n, n_steps, ...)
    """
    n_steps, dt, max_rate = _rate_params(n_steps, dt, max_rate)
    seed = check_seed("seed", seed)
    x = check_unit_array("x", x)
    p = x * max_rate * dt / MS_PER_S
    rng = np.random.default_rng(seed)
    out = np.empty((x.shape[0], n_steps, *x.shape[1:]), dtype=np.uint8)
    for k in range(n_steps):  # one draw of x.shape per step: memory stays O(x.size)
        out[:, k] = rng.random(x.shape) < p
    return out


def regular(x, n_steps: int, dt: float, max_rate: float, phase: float = 0.0) -> np.ndarray:
    """Deterministic rate code from an accumulator (evenly spaced spikes).

    With ``p = x * max_rate * dt / 1000`` spikes per step, the accumulator after ``k`` steps holds
    ``p * k + phase`` and a spike is emitted in step ``k - 1`` whenever its integer part grows, so
    the number of spikes in the first ``k`` steps is exactly ``floor(p * k + phase)`` (with
    ``0 <= phase < 1``, ``floor(phase) = 0``); over the window it is
    ``floor(x * max_rate * dt / 1000 * n_steps + phase)``.

    Parameters
    ----------
    x : array_like, shape (n, ...)
        Inputs in [0, 1].
    n_steps : int
        Number of time steps, >= 1.
    dt : float
        Time step in ms, > 0.
    max_rate : float
        Rate in Hz of an input of value 1; 0 <= max_rate <= 1000 / dt.
    phase : float
        Initial accumulator value, 0 <= phase < 1 (0.5 centres the spikes in their intervals).

    Returns
    -------
    ndarray of uint8, shape (n, n_steps, ...)
    """
    n_steps, dt, max_rate = _rate_params(n_steps, dt, max_rate)
    phase = check_float("phase", phase, ge=0, lt=1)
    x = check_unit_array("x", x)
    p = x * max_rate * dt / MS_PER_S
    out = np.empty((x.shape[0], n_steps, *x.shape[1:]), dtype=np.uint8)
    previous = np.floor(p * 0.0 + phase)
    for k in range(1, n_steps + 1):
        current = np.floor(p * float(k) + phase)
        out[:, k - 1] = current - previous  # 0 or 1 because p <= 1
        previous = current
    return out


def latency_steps(x, n_steps: int, dt: float, tau: float, threshold: float = 0.01,
                  mode: str = "linear") -> np.ndarray:
    """Step of the single spike of each input for ``latency``; -1 where ``x <= threshold``.

    * ``mode="linear"``: step ``rint((1 - x) * (n_steps - 1))`` (round half to even): 0 for
      ``x = 1``, ``n_steps - 1`` as ``x -> 0``. ``dt`` and ``tau`` are not used.
    * ``mode="log"``: the time an RC circuit with time constant ``tau`` (ms), charged towards
      ``x``, takes to reach ``threshold``: ``t = tau * ln(x / (x - threshold))`` ms (as in
      ``snntorch.spikegen.latency``), converted to step ``floor(t / dt)`` and clipped to the last
      step ``n_steps - 1``.

    Parameters are those of ``latency``.

    Returns
    -------
    ndarray of int64, shape of ``x``
    """
    n_steps = check_int("n_steps", n_steps, minimum=1)
    dt = check_float("dt", dt, gt=0, unit="ms")
    tau = check_float("tau", tau, gt=0, unit="ms")
    if mode not in ("linear", "log"):
        raise ValueError(f"mode = {mode!r} is not allowed: must be 'linear' or 'log'")
    if mode == "log":
        threshold = check_float("threshold", threshold, gt=0, lt=1)
    else:
        threshold = check_float("threshold", threshold, ge=0, lt=1)
    x = check_unit_array("x", x)
    on = x > threshold
    steps = np.full(x.shape, -1, dtype=np.int64)
    xs = x[on]
    if mode == "linear":
        steps[on] = np.rint((1.0 - xs) * (n_steps - 1)).astype(np.int64)
    else:
        t = tau * np.log(xs / (xs - threshold))  # ms, finite and >= 0 because xs > threshold
        steps[on] = np.minimum(np.floor(t / dt), n_steps - 1).astype(np.int64)
    return steps


def latency(x, n_steps: int, dt: float, tau: float, threshold: float = 0.01,
            mode: str = "linear") -> np.ndarray:
    """Time-to-first-spike code: exactly one spike per input above ``threshold``, none otherwise.

    Larger inputs spike earlier. The spike step is (see ``latency_steps``)

    * linear: ``rint((1 - x) * (n_steps - 1))``;
    * log: ``min(floor(tau * ln(x / (x - threshold)) / dt), n_steps - 1)``, the RC charging time
      in ms of snntorch's log latency code, clipped to the window.

    Parameters
    ----------
    x : array_like, shape (n, ...)
        Inputs in [0, 1].
    n_steps : int
        Number of time steps, >= 1.
    dt : float
        Time step in ms, > 0.
    tau : float
        RC time constant in ms, > 0 (log mode only, but always validated).
    threshold : float
        Inputs ``<= threshold`` do not spike; 0 < threshold < 1 for log, 0 <= threshold < 1 for
        linear.
    mode : "linear" or "log"

    Returns
    -------
    ndarray of uint8, shape (n, n_steps, ...)
    """
    steps = latency_steps(x, n_steps, dt, tau, threshold, mode)
    n = steps.shape[0]
    flat = steps.reshape(n, -1)
    out = np.zeros((n, n_steps, flat.shape[1]), dtype=np.uint8)
    sample, feature = np.nonzero(flat >= 0)
    out[sample, flat[sample, feature], feature] = 1
    return out.reshape((n, n_steps, *steps.shape[1:]))


class EncodingParams(Params):
    """How static images become spike trains (``neurobench.data.encoders``)."""

    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="number of time steps")
    max_rate: float = Field(200.0, gt=0, description="rate of a pixel of value 1 in Hz, at most 1000/dt")
    poisson_seed: int = Field(1, ge=0, description="seed of the Poisson encoder")
    latency_tau: float = Field(5.0, gt=0, description="RC time constant of the log latency code in ms")
    latency_mode: Literal["linear", "log"] = Field("linear", description="latency code")
    saccade_amplitude: float = Field(1.5, gt=0, le=8, description="saccade length in pixels")
    saccade_threshold: float = Field(0.15, gt=0, le=2, description="DVS contrast threshold (log intensity)")
    saccade_steps: int = Field(30, ge=3, le=10_000, description="time steps of the saccade recording")
    saccade_seed: int = Field(2, ge=0, description="seed of the saccade path jitter")

    _rate_fits_time_step = field_validator("max_rate")(rate_fits_time_step)
