"""Fitting the gated-synapse model to conductance-versus-pulse curves (scipy least squares).

The measurement protocol (:class:`FitProtocol`) is one experiment per amplitude ``a`` in
``amplitudes``: from ``w = 0``, ``n_pulses`` potentiation pulses of ``a v_set`` for ``width`` ns,
each followed by ``gap`` ns at 0 V and a read; as many depression pulses of ``-a v_reset``, each
read; a second potentiation train; then a hold of ``hold`` ns at 0 V read ``n_hold`` times
(the volatile decay).
Reads are conductances in S. Several amplitudes make the voltage exponent ``p`` identifiable,
the gaps and the hold the decay time ``tau_decay``.

:func:`fit` minimises ``sum ((G_model - G_measured) / (g_max - g_min))^2`` over
``FITTED = (t_set, t_reset, alpha_p, alpha_d, p, tau_decay)`` (times and ``p`` on a log scale)
with ``scipy.optimize.least_squares`` (trust-region reflective, bounds on the exponents); the
other parameters (thresholds, reference voltages, conductance range) are taken as measured.
The Jacobian is a forward difference in which all perturbed parameter sets are simulated as
extra devices in one vectorised pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pydantic import Field, field_validator
from scipy.optimize import least_squares

from ..schema import Params
from ..schema import replace as replace_params
from .gated_synapse import GatedSynapseParams, conductance, device_arrays, simulate

__all__ = ["FITTED", "FitProtocol", "FitResult", "fit", "model_curves", "protocol_waveform", "synthetic_curves"]

FITTED = ("t_set", "t_reset", "alpha_p", "alpha_d", "p", "tau_decay")
"""The parameters :func:`fit` estimates (spec B3's ``t_set, alpha_p, alpha_d, p, tau_decay`` and
the reset time)."""
_LOG = {"t_set", "t_reset", "p", "tau_decay"}
_ALPHA_MAX = 5.0


class FitProtocol(Params):
    """The pulse protocol whose conductance reads are fitted (module docstring)."""

    n_pulses: int = Field(40, ge=2, le=10_000, description="potentiation and depression pulses per experiment")
    amplitudes: list[float] = Field(default_factory=lambda: [1.0, 0.8], min_length=1,
                                    description="pulse amplitudes as fractions of v_set (v_reset for depression)")
    width: float = Field(4.0, gt=0, description="pulse width in ns")
    gap: float = Field(50.0, gt=0, description="time at 0 V after each pulse, before its read, in ns")
    hold: float = Field(20_000.0, gt=0, description="hold at 0 V between the two trains in ns")
    n_hold: int = Field(20, ge=1, le=10_000, description="reads during the hold")

    @field_validator("amplitudes")
    @classmethod
    def _amplitudes(cls, v: list[float]) -> list[float]:
        if any(not 0 < a <= 2 for a in v) or len(set(v)) != len(v):
            raise ValueError(f"amplitudes = {v} is not allowed: distinct fractions in (0, 2]")
        return v


def protocol_waveform(params: GatedSynapseParams, protocol: FitProtocol) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(voltages (n_segments, n_amplitudes) in V, durations (n_segments,) in ns, read mask
    (n_segments,) bool)`` of the protocol: the reads are the states after the marked segments."""
    n, m = protocol.n_pulses, protocol.n_hold
    pulse_v = np.tile([1.0, 0.0], n)
    cols = [np.concatenate([pulse_v * a * params.v_set, -pulse_v * a * params.v_reset, pulse_v * a * params.v_set,
                            np.zeros(m)]) for a in protocol.amplitudes]
    train = np.tile([protocol.width, protocol.gap], n)
    durations = np.concatenate([train, train, train, np.full(m, protocol.hold / m)])
    train_reads = np.tile([False, True], n)
    reads = np.concatenate([train_reads, train_reads, train_reads, np.ones(m, bool)])
    return np.stack(cols, axis=1), durations, reads


def model_curves(sets: list[GatedSynapseParams], protocol: FitProtocol) -> np.ndarray:
    """Conductance reads in S of the protocol for each parameter set, (n_sets, n_amplitudes *
    n_reads), all sets simulated in one vectorised pass (one device per set and amplitude).
    The sets share the voltages of ``sets[0]``."""
    v, d, reads = protocol_waveform(sets[0], protocol)
    n_amp = v.shape[1]
    per = {name: np.repeat([float(getattr(s, name)) for s in sets], n_amp)
           for name in GatedSynapseParams.model_fields}
    dev = device_arrays(sets[0], len(sets) * n_amp, **per)
    states = simulate(dev, 0.0, np.tile(v, (1, len(sets))), d)[reads]  # (n_reads, n_sets * n_amp)
    g = conductance(dev, states)
    return g.T.reshape(len(sets), n_amp * int(reads.sum()))


def synthetic_curves(params: GatedSynapseParams, protocol: FitProtocol, noise: float,
                     rng: np.random.Generator) -> np.ndarray:
    """The protocol's reads of ``params`` plus Gaussian read noise of ``noise (g_max - g_min)``
    standard deviation, in S."""
    clean = model_curves([params], protocol)[0]
    return clean + noise * (params.g_max - params.g_min) * rng.standard_normal(clean.shape)


@dataclass(frozen=True)
class FitResult:
    """Fitted parameters, the normalised RMSE of the fit (fraction of ``g_max - g_min``), the
    number of model evaluations and scipy's status."""

    params: GatedSynapseParams
    rmse: float
    n_evaluations: int
    status: int

    def relative_errors(self, truth: GatedSynapseParams) -> dict[str, float]:
        """``|fitted - true| / |true|`` of every fitted parameter."""
        return {k: abs(getattr(self.params, k) - getattr(truth, k)) / abs(getattr(truth, k)) for k in FITTED}


def _to_x(p: GatedSynapseParams) -> np.ndarray:
    return np.array([math.log(getattr(p, k)) if k in _LOG else getattr(p, k) for k in FITTED])


def _from_x(base: GatedSynapseParams, x: np.ndarray) -> GatedSynapseParams:
    values = {k: float(math.exp(v)) if k in _LOG else float(v) for k, v in zip(FITTED, x)}
    return replace_params(base, **values)


def fit(measured: np.ndarray, protocol: FitProtocol, guess: GatedSynapseParams, max_nfev: int = 200,
        diff_step: float = 1e-6) -> FitResult:
    """Least-squares estimate of ``FITTED`` from the protocol's conductance reads ``measured``
    (S), starting from ``guess`` (whose other parameters are kept). ``tau_decay`` of the guess
    must be finite."""
    if not math.isfinite(guess.tau_decay):
        raise ValueError("guess.tau_decay must be finite to be fitted (ns)")
    measured = np.asarray(measured, dtype=np.float64)
    span = guess.g_max - guess.g_min
    x0 = _to_x(guess)
    lo = np.array([-np.inf if k in _LOG else 0.0 for k in FITTED])
    hi = np.array([np.inf if k in _LOG else _ALPHA_MAX for k in FITTED])
    x0 = np.clip(x0, lo, hi)
    cache: dict[bytes, np.ndarray] = {}

    def residuals(x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = (model_curves([_from_x(guess, x)], protocol)[0] - measured) / span
        return cache[key]

    def jacobian(x: np.ndarray) -> np.ndarray:
        h = diff_step * np.maximum(1.0, np.abs(x))
        xs = [x] + [x + h[i] * np.eye(len(x))[i] * (-1.0 if x[i] + h[i] > hi[i] else 1.0) for i in range(len(x))]
        curves = (model_curves([_from_x(guess, xi) for xi in xs], protocol) - measured) / span
        steps = np.array([xi[i] - x[i] for i, xi in enumerate(xs[1:])])
        return ((curves[1:] - curves[0]) / steps[:, None]).T

    res = least_squares(residuals, x0, jac=jacobian, bounds=(lo, hi), method="trf", max_nfev=max_nfev,
                        x_scale="jac")
    rmse = float(np.sqrt(np.mean(res.fun**2)))
    return FitResult(_from_x(guess, res.x), rmse, int(res.nfev), int(res.status))
