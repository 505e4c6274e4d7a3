"""Spike encoders against their analytic expectations."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data import latency, latency_steps, poisson, regular


def test_poisson_mean_rate_within_four_standard_errors():
    values = np.array([0.0, 0.1, 0.25, 0.5, 0.9, 1.0])
    x = np.repeat(values[:, None], 40, axis=1)[:, None, :]  # (6, 1, 40)
    n_steps, dt, max_rate = 1500, 0.5, 300.0
    spikes = poisson(x, n_steps, dt, max_rate, seed=7)
    assert spikes.shape == (6, n_steps, 1, 40) and spikes.dtype == np.uint8
    assert set(np.unique(spikes)) <= {0, 1}
    for i, v in enumerate(values):
        p = v * max_rate * dt / 1000
        trials = n_steps * 40
        p_hat = spikes[i].mean()
        if p == 0:
            assert p_hat == 0
            continue
        se = np.sqrt(p * (1 - p) / trials)
        assert abs(p_hat - p) < 4 * se, (v, p_hat, p, se)
        rate_hz = spikes[i].sum() / 40 / (n_steps * dt / 1000)
        assert abs(rate_hz - v * max_rate) < 4 * se * 1000 / dt


def test_poisson_probability_one_and_zero_are_deterministic():
    spikes = poisson(np.array([[0.0, 1.0]]), 50, 2.0, 500.0, seed=1)  # 500 Hz = 1000 / dt
    assert spikes[0, :, 0].sum() == 0 and spikes[0, :, 1].sum() == 50


def test_poisson_same_seed_same_bits_other_seed_differs():
    x = np.random.default_rng(0).random((3, 2, 5))
    a = poisson(x, 40, 1.0, 200.0, seed=11)
    b = poisson(x, 40, 1.0, 200.0, seed=11)
    c = poisson(x, 40, 1.0, 200.0, seed=12)
    assert a.tobytes() == b.tobytes()
    assert not np.array_equal(a, c)


def test_rate_limit_error_names_max_rate_dt_and_limit():
    limit = r"max_rate = 600 Hz with dt = 2 ms .* max_rate must be <= 1000 / dt = 500 Hz"
    with pytest.raises(ValueError, match=limit):
        poisson(np.zeros((1, 1)), 10, 2.0, 600.0, seed=0)
    with pytest.raises(ValueError, match="1000 / dt = 500 Hz"):
        regular(np.zeros((1, 1)), 10, 2.0, 600.0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_steps=0), "n_steps = 0 is not allowed: must be >= 1"),
        (dict(dt=0.0), "dt = 0 ms is not allowed: must be > 0 ms"),
        (dict(max_rate=-1.0), "max_rate = -1 Hz is not allowed: must be >= 0 Hz"),
        (dict(x=np.array([[0.5, 1.2]])), r"x must lie in \[0, 1\]; got values in \[0.5, 1.2\]"),
        (dict(x=np.array([[np.nan]])), "NaN"),
        (dict(x=np.array(0.5)), "at least 1 axes"),
    ],
)
def test_parameter_errors(kwargs, match):
    args = dict(x=np.array([[0.5]]), n_steps=5, dt=1.0, max_rate=100.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        poisson(**args, seed=0)
    with pytest.raises(ValueError, match=match):
        regular(**args)


def test_seed_must_be_an_integer():
    with pytest.raises(TypeError, match="seed must be an integer"):
        poisson(np.array([[0.5]]), 5, 1.0, 100.0, seed=1.5)


@pytest.mark.parametrize("phase", [0.0, 0.25, 0.5, 0.999])
def test_regular_counts_are_exact(phase):
    x = np.random.default_rng(3).random((4, 3, 7))
    x[0, 0, :3] = [0.0, 1.0, 0.5]
    n_steps, dt, max_rate = 137, 0.7, 910.0
    spikes = regular(x, n_steps, dt, max_rate, phase=phase)
    assert spikes.shape == (4, n_steps, 3, 7) and spikes.dtype == np.uint8
    expected = np.floor(x * max_rate * dt / 1000 * n_steps + phase)
    np.testing.assert_array_equal(spikes.sum(axis=1), expected)
    # the count after every k steps is floor(p k + phase): evenly spaced spikes
    p = x * max_rate * dt / 1000
    cumulative = np.cumsum(spikes, axis=1, dtype=np.int64)
    for k in (1, 10, 50, 136):
        np.testing.assert_array_equal(cumulative[:, k - 1], np.floor(p * k + phase))


def test_regular_phase_range():
    with pytest.raises(ValueError, match=r"phase = 1 is not allowed: must be < 1"):
        regular(np.array([[0.5]]), 5, 1.0, 100.0, phase=1.0)


def test_latency_linear_exact_steps():
    x = np.array([[1.0, 0.5, 0.3, 0.0101, 0.01, 0.0, 0.75]])
    n_steps = 11
    spikes = latency(x, n_steps, dt=1.0, tau=5.0, threshold=0.01, mode="linear")
    assert spikes.shape == (1, n_steps, 7) and spikes.dtype == np.uint8
    counts = spikes.sum(axis=1)[0]
    np.testing.assert_array_equal(counts, [1, 1, 1, 1, 0, 0, 1])
    first = np.argmax(spikes[0], axis=0)
    assert first[[0, 1, 2, 3, 6]].tolist() == [0, 5, 7, 10, 2]  # rint((1 - x) * 10); 2.5 -> 2
    above = x > 0.01
    np.testing.assert_array_equal(first[above[0]], np.rint((1 - x[above]) * (n_steps - 1)))


def test_latency_log_matches_rc_charging_time():
    x = np.random.default_rng(4).random((5, 2, 9))
    x[0, 0, :4] = [1.0, 0.02, 0.0100001, 0.005]
    n_steps, dt, tau, thr = 40, 0.5, 5.0, 0.01
    spikes = latency(x, n_steps, dt, tau, threshold=thr, mode="log")
    steps = latency_steps(x, n_steps, dt, tau, thr, "log")
    above = x > thr
    np.testing.assert_array_equal(spikes.sum(axis=1), above.astype(np.uint8))
    t_ms = tau * np.log(x[above] / (x[above] - thr))
    expected = np.minimum(np.floor(t_ms / dt), n_steps - 1)
    np.testing.assert_array_equal(steps[above], expected)
    np.testing.assert_array_equal(np.argmax(spikes, axis=1)[above], expected)
    assert np.all(steps[~above] == -1)
    # by hand: 5 ln(1/0.99) = 0.050 ms -> 0; 5 ln 2 = 3.47 ms -> 6; barely above threshold -> last
    assert steps[0, 0, :4].tolist() == [0, 6, n_steps - 1, -1]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(mode="exp"), "mode = 'exp' is not allowed"),
        (dict(tau=0.0), "tau = 0 ms is not allowed: must be > 0 ms"),
        (dict(threshold=1.0), "threshold = 1 is not allowed: must be < 1"),
        (dict(threshold=0.0, mode="log"), "threshold = 0 is not allowed: must be > 0"),
        (dict(n_steps=0), "n_steps = 0"),
    ],
)
def test_latency_parameter_errors(kwargs, match):
    args = dict(x=np.array([[0.5]]), n_steps=5, dt=1.0, tau=5.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        latency(**args)
