"""The gated-synapse model: every closed form of spec B3, the solve_ivp cross-check, vectorised
equals per-device, read-out, and bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.integrate import solve_ivp

from neurobench.devices import (
    GatedSynapseParams,
    conductance,
    decay_state,
    device_arrays,
    full_set_time,
    pulse_train,
    read_current,
    set_state,
    simulate,
    vary,
)

NV = GatedSynapseParams(tau_decay=math.inf)


def _run(p, w0, volts, dur):
    return simulate(device_arrays(p, 1), w0, volts, dur)[:, 0]


def test_linear_set_reaches_g_max_in_exactly_t_set():
    p = GatedSynapseParams(alpha_p=0.0, t_set=100.0)
    w = _run(p, 0.0, *pulse_train(50, p.v_set, 2.0))
    t = 2.0 * np.arange(1, 51)
    np.testing.assert_allclose(w, t / 100.0, rtol=1e-12)
    assert w[-1] == 1.0 and conductance(p, w[-1]) == pytest.approx(p.g_max, rel=1e-12)
    assert w[-2] < 1.0  # not before t_set


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.9])
def test_sublinear_set_follows_closed_form_and_completes_at_t_set_over_one_minus_alpha(alpha):
    p = GatedSynapseParams(alpha_p=alpha, t_set=100.0)
    t_full = full_set_time(p)
    assert t_full == pytest.approx(100.0 / (1 - alpha))
    n = 200
    w = _run(p, 0.0, *pulse_train(n, p.v_set, t_full / n))
    t = t_full * np.arange(1, n + 1) / n
    np.testing.assert_allclose(w, set_state(t, 100.0, alpha), rtol=1e-9, atol=1e-12)
    expected = 1.0 - np.maximum(1.0 - (1.0 - alpha) * t / 100.0, 0.0) ** (1.0 / (1.0 - alpha))  # spec B3
    np.testing.assert_allclose(w, np.clip(expected, 0, 1), rtol=1e-9, atol=1e-12)
    assert w[-1] == pytest.approx(1.0, abs=1e-12)


def test_alpha_one_set_is_exponential_and_never_completes():
    p = GatedSynapseParams(alpha_p=1.0, t_set=50.0)
    w = _run(p, 0.2, *pulse_train(100, p.v_set, 5.0))
    t = 5.0 * np.arange(1, 101)
    np.testing.assert_allclose(w, 1.0 - 0.8 * np.exp(-t / 50.0), rtol=1e-12)
    assert full_set_time(p) == math.inf and w[-1] < 1.0


def test_subthreshold_decay_matches_exponential():
    p = GatedSynapseParams(tau_decay=300.0, w_inf=0.2)
    w = _run(p, 0.9, np.zeros(30), np.full(30, 40.0))
    t = 40.0 * np.arange(1, 31)
    np.testing.assert_allclose(w, 0.2 + 0.7 * np.exp(-t / 300.0), rtol=1e-12)
    np.testing.assert_allclose(w, decay_state(t, 300.0, 0.9, 0.2), rtol=1e-12)


def test_no_change_below_threshold_bitwise_without_decay():
    dev = device_arrays(NV, 4)
    w0 = np.array([0.0, 0.25, 0.75, 1.0])
    for v in (0.5, -0.5, 0.49, -0.3, 0.0):
        out = simulate(dev, w0, *pulse_train(20, v, 3.0), record=False)
        assert np.array_equal(out, w0)
    assert not np.array_equal(simulate(dev, w0, *pulse_train(1, 0.51, 3.0), record=False)[:3], w0[:3])


def test_depression_is_the_mirror_of_potentiation_for_symmetric_parameters():
    p = GatedSynapseParams(alpha_p=0.7, alpha_d=0.7, t_set=80.0, t_reset=80.0, tau_decay=math.inf)
    pot = _run(p, 0.0, *pulse_train(60, 1.0, 2.0))
    dep = _run(p, 1.0, *pulse_train(60, -1.0, 2.0))
    np.testing.assert_allclose(pot, 1.0 - dep, atol=1e-14)
    assert np.all(np.diff(pot) >= 0) and np.all(np.diff(dep) <= 0)
    assert np.diff(pot)[-1] < np.diff(pot)[0]  # saturating


@pytest.mark.parametrize("alpha_p, alpha_d, v", [(0.4, 1.6, 0.8), (1.0, 2.5, -0.9), (2.0, 0.3, -0.75), (0.0, 1.0, 0.7)])
def test_segment_solution_matches_solve_ivp(alpha_p, alpha_d, v):
    p = GatedSynapseParams(alpha_p=alpha_p, alpha_d=alpha_d, p=1.7, t_set=60.0, t_reset=90.0, tau_decay=math.inf)
    w0 = 0.4
    k_p = ((max(v, 0) - 0.5) / 0.5) ** 1.7 / 60.0 if v > 0.5 else 0.0
    k_d = ((max(-v, 0) - 0.5) / 0.5) ** 1.7 / 90.0 if v < -0.5 else 0.0

    def rhs(_, w):
        w = min(max(w[0], 0.0), 1.0)
        return [k_p * (1 - w) ** alpha_p - k_d * w**alpha_d]

    ref = solve_ivp(rhs, (0, 40.0), [w0], t_eval=4.0 * np.arange(1, 11), rtol=1e-11, atol=1e-13).y[0]
    w = _run(p, w0, np.full(10, v), np.full(10, 4.0))
    np.testing.assert_allclose(w, ref, rtol=1e-7, atol=1e-9)


def test_voltage_exponent_scales_the_rate():
    p = GatedSynapseParams(alpha_p=0.0, p=2.0, t_set=100.0)
    w = _run(p, 0.0, [0.75], [10.0])  # ((0.75 - 0.5) / 0.5)^2 = 0.25
    assert w[0] == pytest.approx(0.025, rel=1e-12)


def test_vectorised_equals_per_device_loop():
    rng = np.random.default_rng(3)
    p = GatedSynapseParams(tau_decay=500.0, w_inf=0.1, alpha_p=0.8, alpha_d=1.3)
    dev = vary(p, 7, 0.3, rng)
    w0 = rng.uniform(0, 1, 7)
    volts = rng.choice([1.2, 0.9, 0.3, 0.0, -0.7, -1.1], size=(40, 7))
    dur = rng.uniform(0.5, 20.0, 40)
    together = simulate(dev, w0, volts, dur)
    for i in range(7):
        alone = simulate(dev.take([i]), w0[i], volts[:, i], dur)[:, 0]
        np.testing.assert_array_equal(together[:, i], alone)
    assert np.all((together >= 0) & (together <= 1))


def test_read_is_linear_in_bias_and_gamma_shapes_conductance():
    p = GatedSynapseParams(gamma_read=2.0)
    assert conductance(p, 0.5) == pytest.approx(1e-6 + 9e-6 * 0.25)
    assert read_current(p, 0.5, 0.2) == pytest.approx(0.2 * conductance(p, 0.5))
    assert conductance(p, 1.5) == pytest.approx(p.g_max)  # clipped state


@pytest.mark.parametrize("values, key", [
    ({"v_th_p": 1.2}, "v_th_p"), ({"v_th_d": 1.0}, "v_th_d"), ({"g_min": 1e-4}, "g_min"),
    ({"t_set": 0.0}, "t_set"), ({"alpha_p": -0.1}, "alpha_p"), ({"tau_decay": -1.0}, "tau_decay"),
    ({"w_inf": 1.5}, "w_inf"),
])
def test_bad_parameters_name_the_key(values, key):
    with pytest.raises(ValidationError, match=key):
        GatedSynapseParams(**values)


def test_simulate_rejects_mismatched_waveforms():
    with pytest.raises(ValueError, match="segments"):
        simulate(device_arrays(NV, 2), 0.0, [1.0, 1.0], [1.0])
    with pytest.raises(ValueError, match="durations"):
        simulate(device_arrays(NV, 2), 0.0, [1.0], [-1.0])
