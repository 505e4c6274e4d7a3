"""Units of the workbench and the conversions between them, defined once.

Internal units: time in ms, membrane potential in mV, rates in Hz (spikes per second), energy
in pJ, hardware latencies in ns, resistances in ohm, temperatures in K. Code converts between
them only through the constants and functions here, never with a bare ``1000.0``.
"""

from __future__ import annotations

MS_PER_S = 1000.0
"""Milliseconds per second: a rate in Hz times ``dt / MS_PER_S`` is spikes per step of dt ms."""

NS_PER_MS = 1e6
"""Nanoseconds per millisecond (hardware latencies are in ns, simulation time in ms)."""

PJ_PER_J = 1e12
"""Picojoules per joule (hardware energies are in pJ)."""

PJ_PER_UJ = 1e6
"""Picojoules per microjoule (energies per inference are shown in µJ)."""

UA_PER_A = 1e6
"""Microamperes per ampere (crossbar cell currents are shown in µA)."""

K_B_EV = 8.617333262e-5
"""Boltzmann constant in eV/K (Arrhenius laws of device endurance)."""


def spikes_per_step(rate_hz, dt_ms):
    """Expected spikes per time step of ``dt_ms`` ms at ``rate_hz`` Hz (works on arrays)."""
    return rate_hz * dt_ms / MS_PER_S


def max_rate_hz(dt_ms: float) -> float:
    """The highest rate one spike per step can express, ``1 / dt``, in Hz for ``dt_ms`` ms."""
    return MS_PER_S / dt_ms


def rate_hz(spike_count, n_steps: int, dt_ms: float):
    """Mean firing rate in Hz of ``spike_count`` spikes over ``n_steps`` steps of ``dt_ms`` ms."""
    return spike_count / (n_steps * dt_ms / MS_PER_S)


def rate_fits_time_step(cls, max_rate: float, info) -> float:
    """Schema rule (a pydantic ``field_validator``): a rate code emits at most one spike per
    step, so ``max_rate`` in Hz must be at most ``1 / dt`` for the section's ``dt`` in ms."""
    dt = info.data.get("dt")
    if dt is not None and max_rate > max_rate_hz(dt):
        raise ValueError(f"must be at most 1/dt = {max_rate_hz(dt):g} Hz for dt = {dt} ms")
    return max_rate
