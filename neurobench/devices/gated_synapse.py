"""Behavioural model of a gated synapse (Jones & Jha 2020, reconstructed: spec B3, [inferred]).

A three-terminal device whose gate voltage ``V_g`` programs a state ``w in [0, 1]`` and whose
channel is read separately. The parameter names follow the paper's abstract (ideal set time,
threshold voltages, conductance evolution, state decay); the equations are our design, since
the paper's are not available. Units: voltages in V, times in ns, conductances in S.

Programming laws (``k_p``, ``k_d`` in 1/ns)::

    V_g >  v_th_p:   dw/dt =  k_p (1 - w)^alpha_p,  k_p = ((V_g - v_th_p) / (v_set - v_th_p))^p / t_set
    V_g < -v_th_d:   dw/dt = -k_d w^alpha_d,        k_d = ((|V_g| - v_th_d) / (v_reset - v_th_d))^p / t_reset
    otherwise:       dw/dt = -(w - w_inf) / tau_decay      (volatile decay; tau_decay = inf: none)

``t_set`` is the *ideal set time*: with ``alpha_p = 0`` at ``V_g = v_set`` the state goes from 0
to 1 in exactly ``t_set``. ``alpha_p``, ``alpha_d`` are the non-linearity exponents of the
conductance evolution (0: linear). Read: ``G = g_min + (g_max - g_min) w^gamma_read`` and
``I_DS = G V_DS`` (linear in the small read bias).

A waveform is piecewise constant: segments ``(V_g, duration)``. Within a segment each law is a
separable ODE with an exact solution, so :func:`simulate` steps from segment to segment with
those solutions (no time-step error) and clips ``w`` to [0, 1] after every segment::

    potentiation, u = 1 - w:  u^(1-a) = u0^(1-a) - (1-a) k t   (a != 1),   u = u0 exp(-k t)   (a = 1)
    depression:               w^(1-a) = w0^(1-a) - (1-a) k t   (a != 1),   w = w0 exp(-k t)   (a = 1)
    decay:                    w = w_inf + (w0 - w_inf) exp(-t / tau_decay)

All functions are vectorised over devices: :class:`DeviceArrays` holds one value per device
(device-to-device variation), and a waveform's voltages may differ per device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from pydantic import Field, model_validator

from ..schema import Params

__all__ = ["DeviceArrays", "GatedSynapseParams", "conductance", "device_arrays", "drive_rates", "full_set_time",
           "pulse_train", "read_current", "simulate", "step", "vary"]


class GatedSynapseParams(Params):
    """Parameters of one gated synapse (module docstring). Defaults are ours [inferred]: the
    paper's default table is not available."""

    t_set: float = Field(100.0, gt=0, description="ideal set time in ns: 0 -> 1 at v_set when alpha_p = 0")
    t_reset: float = Field(100.0, gt=0, description="ideal reset time in ns: 1 -> 0 at -v_reset when alpha_d = 0")
    v_set: float = Field(1.0, gt=0, description="reference set voltage in V")
    v_reset: float = Field(1.0, gt=0, description="reference reset voltage magnitude in V (applied as -v_reset)")
    v_th_p: float = Field(0.5, ge=0, description="potentiation threshold voltage in V")
    v_th_d: float = Field(0.5, ge=0, description="depression threshold voltage magnitude in V")
    p: float = Field(1.0, gt=0, le=20, description="voltage-sensitivity exponent of the programming rate")
    alpha_p: float = Field(0.5, ge=0, le=10, description="non-linearity exponent of potentiation (0 = linear)")
    alpha_d: float = Field(0.5, ge=0, le=10, description="non-linearity exponent of depression (0 = linear)")
    tau_decay: float = Field(math.inf, gt=0, allow_inf_nan=True,
                             description="state decay time constant in ns below threshold (inf: non-volatile)")
    w_inf: float = Field(0.0, ge=0, le=1, description="state the volatile decay relaxes to")
    g_min: float = Field(1e-6, gt=0, description="conductance at w = 0 in S")
    g_max: float = Field(1e-5, gt=0, description="conductance at w = 1 in S")
    gamma_read: float = Field(1.0, gt=0, le=10, description="read non-linearity: G - g_min proportional to w^gamma")

    @model_validator(mode="after")
    def _ordered(self) -> "GatedSynapseParams":
        if math.isnan(self.tau_decay):
            raise ValueError("tau_decay = nan is not allowed: a positive time in ns or inf")
        if not self.v_th_p < self.v_set:
            raise ValueError(f"v_th_p = {self.v_th_p} V is not allowed: the potentiation threshold must be below "
                             f"v_set = {self.v_set} V")
        if not self.v_th_d < self.v_reset:
            raise ValueError(f"v_th_d = {self.v_th_d} V is not allowed: the depression threshold must be below "
                             f"v_reset = {self.v_reset} V")
        if not self.g_min < self.g_max:
            raise ValueError(f"g_min = {self.g_min} S is not allowed: must be below g_max = {self.g_max} S")
        return self


@dataclass(frozen=True)
class DeviceArrays:
    """One value per device of every law constant (arrays of one shape, float64; units as in
    :class:`GatedSynapseParams`)."""

    t_set: np.ndarray
    t_reset: np.ndarray
    v_set: np.ndarray
    v_reset: np.ndarray
    v_th_p: np.ndarray
    v_th_d: np.ndarray
    p: np.ndarray
    alpha_p: np.ndarray
    alpha_d: np.ndarray
    tau_decay: np.ndarray
    w_inf: np.ndarray
    g_min: np.ndarray
    g_max: np.ndarray
    gamma_read: np.ndarray

    @property
    def n(self) -> int:
        """Number of devices."""
        return int(self.t_set.size)

    def take(self, index) -> "DeviceArrays":
        """The devices ``index`` (any numpy index) as a new ``DeviceArrays``."""
        return DeviceArrays(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def device_arrays(params: GatedSynapseParams, n: int = 1, **per_device) -> DeviceArrays:
    """``n`` identical devices of ``params``; ``per_device`` overrides fields with arrays (n,)."""
    values = {f.name: np.full(n, float(getattr(params, f.name))) for f in fields(DeviceArrays)}
    for name, value in per_device.items():
        if name not in values:
            raise ValueError(f"unknown device parameter {name!r}: one of {sorted(values)}")
        values[name] = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    return DeviceArrays(**values)


def vary(params: GatedSynapseParams, n: int, sigma: float, rng: np.random.Generator) -> DeviceArrays:
    """``n`` devices with device-to-device variation: ``t_set``, ``t_reset`` (and so the
    programming rates) scaled by independent log-normal factors ``exp(N(0, sigma^2))``."""
    if sigma < 0:
        raise ValueError(f"sigma = {sigma} is not allowed: must be >= 0")
    f_set, f_reset = np.exp(sigma * rng.standard_normal((2, n)))
    return device_arrays(params, n, t_set=params.t_set * f_set, t_reset=params.t_reset * f_reset)


def drive_rates(dev: DeviceArrays, v_g) -> tuple[np.ndarray, np.ndarray]:
    """Programming rates ``(k_p, k_d)`` in 1/ns at gate voltage(s) ``v_g`` in V (0 where the
    voltage is below the respective threshold)."""
    v = np.asarray(v_g, dtype=np.float64)
    over_p = np.maximum(v - dev.v_th_p, 0.0) / (dev.v_set - dev.v_th_p)
    over_d = np.maximum(-v - dev.v_th_d, 0.0) / (dev.v_reset - dev.v_th_d)
    return over_p**dev.p / dev.t_set, over_d**dev.p / dev.t_reset


def _power_law(x0: np.ndarray, kt: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Exact solution at ``k t`` of ``dx/dt = -k x^alpha`` from ``x0 >= 0`` (x floored at 0):
    ``x^(1-a) = x0^(1-a) - (1-a) k t`` (a != 1; a < 1 reaches 0, a > 1 approaches it), ``x0 e^(-k t)``
    (a = 1); ``x0 = 0`` stays 0."""
    x0 = np.clip(x0, 0.0, 1.0)
    one = alpha == 1.0
    e = np.where(one, 1.0, 1.0 - alpha)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        base = np.where(x0 > 0, x0, 1.0) ** e - e * kt
        y = np.where(base > 0, base, 0.0) ** (1.0 / e)
    return np.where(one, x0 * np.exp(-kt), np.where(x0 > 0, y, 0.0))


def step(dev: DeviceArrays, w: np.ndarray, v_g, duration: float | np.ndarray) -> np.ndarray:
    """State after one segment of constant gate voltage ``v_g`` (V) lasting ``duration`` ns,
    from ``w``, by the exact solution of the law that applies (module docstring), clipped."""
    w = np.asarray(w, dtype=np.float64)
    k_p, k_d = drive_rates(dev, v_g)
    t = np.asarray(duration, dtype=np.float64)
    pot = k_p > 0
    dep = k_d > 0
    sub = ~(pot | dep)
    out = dev.w_inf + (w - dev.w_inf) * np.exp(-t / dev.tau_decay) if sub.any() else np.zeros_like(w)
    if pot.any():
        out = np.where(pot, 1.0 - _power_law(1.0 - w, k_p * t, dev.alpha_p), out)
    if dep.any():
        out = np.where(dep, _power_law(w, k_d * t, dev.alpha_d), out)
    return np.clip(out, 0.0, 1.0)


def simulate(dev: DeviceArrays, w0, voltages, durations, record: bool = True) -> np.ndarray:
    """Every device through a piecewise-constant gate waveform.

    ``voltages``: (n_segments,) in V, shared, or (n_segments, n_devices); ``durations``:
    (n_segments,) in ns; ``w0``: initial states (scalar or (n_devices,)). Returns the states
    after every segment, (n_segments, n_devices), or only the final states (n_devices,) when
    ``record`` is False.
    """
    v = np.asarray(voltages, dtype=np.float64)
    d = np.asarray(durations, dtype=np.float64)
    if v.shape[0] != d.shape[0]:
        raise ValueError(f"voltages has {v.shape[0]} segments, durations {d.shape[0]}")
    if np.any(d < 0):
        raise ValueError("durations must be >= 0 ns")
    w = np.broadcast_to(np.asarray(w0, dtype=np.float64), (dev.n,)).copy()
    out = np.empty((len(d), dev.n)) if record else None
    for i in range(len(d)):
        w = step(dev, w, v[i], d[i])
        if record:
            out[i] = w
    return out if record else w


def pulse_train(n_pulses: int, v_pulse: float, width: float, gap: float = 0.0, v_gap: float = 0.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Waveform ``(voltages, durations)`` of ``n_pulses`` pulses of ``v_pulse`` V for ``width``
    ns, each followed by ``gap`` ns at ``v_gap`` V (no gap segments when ``gap`` is 0)."""
    if n_pulses < 0 or width < 0 or gap < 0:
        raise ValueError(f"n_pulses, width, gap must be >= 0, got {n_pulses}, {width}, {gap}")
    if gap == 0:
        return np.full(n_pulses, float(v_pulse)), np.full(n_pulses, float(width))
    v = np.tile([float(v_pulse), float(v_gap)], n_pulses)
    d = np.tile([float(width), float(gap)], n_pulses)
    return v, d


def conductance(dev: DeviceArrays | GatedSynapseParams, w) -> np.ndarray:
    """Channel conductance in S: ``g_min + (g_max - g_min) w^gamma_read``."""
    w = np.clip(np.asarray(w, dtype=np.float64), 0.0, 1.0)
    return dev.g_min + (dev.g_max - dev.g_min) * w**dev.gamma_read


def read_current(dev: DeviceArrays | GatedSynapseParams, w, v_ds) -> np.ndarray:
    """Read current in A at drain-source bias ``v_ds`` in V: ``I_DS = G(w) V_DS``."""
    return conductance(dev, w) * np.asarray(v_ds, dtype=np.float64)


def full_set_time(params: GatedSynapseParams) -> float:
    """Time in ns to go from w = 0 to w = 1 at ``v_set``: ``t_set / (1 - alpha_p)`` for
    ``alpha_p < 1``, inf otherwise (the approach is asymptotic)."""
    return params.t_set / (1.0 - params.alpha_p) if params.alpha_p < 1 else math.inf
