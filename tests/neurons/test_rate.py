"""Analytic rate functions: closed forms, inverses, and agreement with the clock simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams, inverse_rate, max_rate, rate
from neurobench.sim import simulate

IF = NeuronParams(model="if", v_th=1.0)
IF_REF = NeuronParams(model="if", v_th=1.0, t_ref=2.0)
LIF = NeuronParams(model="lif", v_th=1.0, tau_m=10.0)
LIF_REF = NeuronParams(model="lif", v_th=2.0, tau_m=20.0, t_ref=1.5, reset="zero")
ALL = [IF, IF_REF, LIF, LIF_REF]


def onset(p: NeuronParams) -> float:
    """Smallest drive that fires: 0 for IF, v_th / tau_m for LIF (mV/ms)."""
    return 0.0 if p.model == "if" else p.v_th / p.tau_m


# --- closed forms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, drive, expected_hz",
    [
        (IF, 0.5, 500.0),  # ISI = v_th / I = 2 ms
        (IF, 0.01, 10.0),  # 100 ms
        (IF_REF, 0.5, 250.0),  # 2 ms refractory + 2 ms integration
        (IF_REF, 0.25, 1000.0 / 6.0),
        (LIF, 0.2, 1000.0 / (10.0 * math.log(2.0))),  # I tau = 2 v_th: ISI = tau ln 2
        (LIF, 0.15, 1000.0 / (10.0 * math.log(3.0))),  # I tau = 1.5: ln(1.5 / 0.5)
        (LIF_REF, 0.2, 1000.0 / (1.5 + 20.0 * math.log(2.0))),  # I tau = 4 = 2 v_th
    ],
)
def test_rate_closed_forms(params, drive, expected_hz):
    assert rate(np.array([drive]), params)[0] == pytest.approx(expected_hz, rel=1e-14)
    assert float(rate(drive, params)) == pytest.approx(expected_hz, rel=1e-14)  # scalar input


@pytest.mark.parametrize("params", ALL)
def test_rate_is_zero_at_and_below_onset(params):
    on = onset(params)
    below = np.array([-1.0, 0.0, on * 0.5, on])
    np.testing.assert_array_equal(rate(below, params), 0.0)
    assert rate(np.array([on + 1e-6]), params)[0] > 0


@pytest.mark.parametrize("params", ALL)
def test_rate_is_increasing_and_bounded(params):
    drives = onset(params) + np.geomspace(1e-3, 1e3, 200)
    r = rate(drives, params)
    assert np.all(np.diff(r) > 0)
    assert np.all(r < max_rate(params))


def test_max_rate():
    assert max_rate(IF) == np.inf
    assert max_rate(IF_REF) == 500.0
    assert max_rate(LIF_REF) == pytest.approx(1000.0 / 1.5)


# --- inverse --------------------------------------------------------------------------------


@pytest.mark.parametrize("params", ALL)
def test_inverse_round_trip(params):
    # Drives from just above onset to strong drives. Without a refractory period the LIF goes
    # up to I tau / v_th = 1e5, where ln(x / (x - v_th)) and 1 - exp(-isi / tau) cancel
    # catastrophically unless written with log1p / expm1. With t_ref > 0 the strongest drives
    # are left out: near the maximum rate, isi - t_ref cancels whatever the formula.
    if params.model == "if":
        drives = np.geomspace(1e-3, 10.0, 60)
    else:
        drives = onset(params) * np.geomspace(1.01, 1e3 if params.t_ref > 0 else 1e5, 60)
    back = inverse_rate(rate(drives, params), params)
    np.testing.assert_allclose(back, drives, rtol=1e-12, atol=0)


@pytest.mark.parametrize("params", ALL)
def test_rate_of_inverse_round_trip(params):
    # Rates whose LIF inter-spike integration time is at most 3 tau_m: far below that the drive
    # is the onset to within rounding (I - onset ~ exp(-isi / tau_m)) and the rate is lost.
    low = 1.0 if params.model == "if" else 1000.0 / (params.t_ref + 3.0 * params.tau_m)
    rates = np.linspace(low, 0.9 * min(max_rate(params), 2000.0), 50)
    np.testing.assert_allclose(rate(inverse_rate(rates, params), params), rates, rtol=1e-12, atol=0)


@pytest.mark.parametrize("params", ALL)
def test_inverse_of_zero_is_onset(params):
    assert inverse_rate(np.array([0.0]), params)[0] == onset(params)


@pytest.mark.parametrize("params", ALL)
@pytest.mark.parametrize("bad", [-1.0, np.nan, np.inf])
def test_inverse_rejects_rates_out_of_range(params, bad):
    with pytest.raises(ValueError, match="target_rate"):
        inverse_rate(np.array([10.0, bad]), params)


@pytest.mark.parametrize("params", [IF_REF, LIF_REF])
def test_inverse_rejects_max_rate_and_above(params):
    top = max_rate(params)
    with pytest.raises(ValueError, match="target_rate"):
        inverse_rate(np.array([top]), params)
    with pytest.raises(ValueError, match="target_rate"):
        inverse_rate(np.array([1.01 * top]), params)
    assert inverse_rate(np.array([0.99 * top]), params)[0] > 0


# --- the clock simulator approaches the closed forms ----------------------------------------


def drive_network(drives: np.ndarray, params: NeuronParams) -> Network:
    """One independent neuron per drive: zero weights, the bias is the constant drive."""
    n = len(drives)
    return Network((1,), (Dense(np.zeros((n, 1)), np.asarray(drives, float)),), params)


def simulated_rate(drives: np.ndarray, params: NeuronParams, dt: float, window_ms: float):
    """Rate in Hz from the mean inter-spike interval of each neuron (first to last spike)."""
    n_steps = int(round(window_ms / dt))
    net = drive_network(drives, params)
    rec = simulate(net, np.zeros((1, n_steps, 1)), dt=dt, record_spikes=True)
    out = []
    for k in range(len(drives)):
        steps = np.flatnonzero(rec.output.spikes[0, :, k])
        assert steps.size >= 10, "window too short for an ISI estimate"
        out.append(1000.0 / (np.diff(steps).mean() * dt))
    return np.array(out)


@pytest.mark.parametrize("params", [NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=10.0), LIF_REF])
def test_clock_lif_converges_to_closed_form(params):
    drives = onset(params) * np.array([1.5, 2.0, 5.0])
    expected = rate(drives, params)
    errors = []
    for dt in (0.1, 0.01):
        errors.append(np.abs(simulated_rate(drives, params, dt, 400.0) / expected - 1))
    assert np.all(errors[1] < 0.02)
    assert errors[1].max() < errors[0].max()


@pytest.mark.parametrize("dt", [1.0, 0.25, 0.1])
def test_clock_if_subtract_counts_within_one_spike(dt):
    drives = np.array([0.013, 0.37, 0.5, 0.77])  # mV/ms, v_th = 1 mV
    window_ms = 100.0
    n_steps = int(round(window_ms / dt))
    rec = simulate(drive_network(drives, IF), np.zeros((1, n_steps, 1)), dt=dt)
    expected = rate(drives, IF) * window_ms / 1000.0  # 1.3, 37, 50, 77 spikes
    assert np.all(np.abs(rec.output.spike_count[0] - expected) <= 1.0)


# --- parameter validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(v_th=0.0), "v_th"),
        (dict(v_th=-1.0), "v_th"),
        (dict(v_th=np.nan), "v_th"),
        (dict(v_th=np.inf), "v_th"),
        (dict(tau_m=0.0), "tau_m"),
        (dict(tau_m=-5.0), "tau_m"),
        (dict(model="lif", tau_m=np.inf), "tau_m"),
        (dict(model="lif", tau_m=np.nan), "tau_m"),
        (dict(t_ref=-0.1), "t_ref"),
        (dict(t_ref=np.nan), "t_ref"),
        (dict(t_ref=np.inf), "t_ref"),
        (dict(tau_syn=-1.0), "tau_syn"),
        (dict(tau_syn=np.inf), "tau_syn"),
        (dict(model="izhikevich"), "model"),
        (dict(reset="hold"), "reset"),
        (dict(model="lif", tau_m=10.0, tau_syn=10.0), "tau_syn"),
    ],
)
def test_neuron_params_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        NeuronParams(**kwargs)


def test_neuron_params_valid_edges():
    assert NeuronParams(model="if", tau_m=np.inf).tau_m == np.inf  # IF ignores tau_m
    assert NeuronParams(t_ref=0.0, tau_syn=0.0).refractory_steps(0.1) == 0
    assert NeuronParams(t_ref=2.0).refractory_steps(0.5) == 4
