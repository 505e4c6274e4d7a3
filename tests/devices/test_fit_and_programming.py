"""Fitting recovers the parameters of noisy synthetic curves; writing levels onto devices."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.devices import FITTED, FitProtocol, GatedSynapseParams, fit, synthetic_curves
from neurobench.devices.programming import ProgramParams, level_states, open_loop_pulses, program, program_levels

TRUTH = GatedSynapseParams(t_set=120.0, t_reset=80.0, alpha_p=0.7, alpha_d=0.4, p=2.0, tau_decay=15_000.0)
PROTOCOL = FitProtocol(n_pulses=60, width=5.0, gap=20.0, amplitudes=[1.0, 0.75])


def test_fit_recovers_exact_parameters_from_clean_curves():
    measured = synthetic_curves(TRUTH, PROTOCOL, 0.0, np.random.default_rng(0))
    res = fit(measured, PROTOCOL, GatedSynapseParams(tau_decay=10_000.0))
    assert max(res.relative_errors(TRUTH).values()) < 1e-4 and res.rmse < 1e-6


def test_fit_recovers_parameters_within_5_percent_from_noisy_curves():
    measured = synthetic_curves(TRUTH, PROTOCOL, 0.01, np.random.default_rng(1))
    res = fit(measured, PROTOCOL, GatedSynapseParams(tau_decay=10_000.0))
    errors = res.relative_errors(TRUTH)
    assert set(errors) == set(FITTED) and max(errors.values()) < 0.05
    assert res.rmse == pytest.approx(0.01, rel=0.15)  # residuals are the read noise


def test_fit_needs_a_finite_decay_guess():
    with pytest.raises(ValueError, match="tau_decay"):
        fit(np.zeros(10), PROTOCOL, GatedSynapseParams())


def test_open_loop_pulse_counts_of_a_linear_device_are_exact():
    dev = GatedSynapseParams(alpha_p=0.0, t_set=100.0)
    prog = ProgramParams(width=2.0)
    assert open_loop_pulses(dev, prog, [0.0, 0.1, 0.5, 1.0]).tolist() == [0, 5, 25, 50]


def test_ideal_devices_write_levels_exactly_and_verify_meets_its_tolerance():
    dev = GatedSynapseParams(alpha_p=0.0, t_set=100.0)
    ideal = ProgramParams(width=100.0 / 70, sigma_d2d=0.0, sigma_c2c=0.0, read_noise=0.0)
    levels = np.array([[-7, -3, 0], [1, 4, 7]])
    written, res = program_levels(dev, ideal, levels, 7, False, np.random.default_rng(0))
    np.testing.assert_allclose(written, levels, atol=1e-9)
    noisy = ProgramParams(sigma_d2d=0.3, sigma_c2c=0.1, read_noise=0.0, tolerance=0.1)
    targets = level_states(np.repeat(np.arange(8), 50), 7)
    res = program(GatedSynapseParams(alpha_p=0.5), noisy, targets, True, 7, np.random.default_rng(2))
    assert np.all(np.abs(res.w - targets) <= 0.1 / 7 + 1e-12)
    open_res = program(GatedSynapseParams(alpha_p=0.5), noisy, targets, False, 7, np.random.default_rng(2))
    assert np.sqrt(np.mean((open_res.w - targets) ** 2)) > np.sqrt(np.mean((res.w - targets) ** 2))
    assert np.all(res.time_ns == res.pulses * noisy.width + res.reads * noisy.t_read)
