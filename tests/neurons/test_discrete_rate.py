"""Discrete-time rate functions: exact against the clock simulator for a grid of drives."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import (
    NeuronParams,
    discrete_inverse_rate,
    discrete_max_rate,
    discrete_rate,
    rate,
    step_gains,
)
from neurobench.sim import simulate
from neurobench.sim.coefficients import StepCoefficients

DT = 1.0
T = 4000  # steps
CASES = [
    NeuronParams(model="if", reset="zero"),
    NeuronParams(model="if", reset="subtract"),
    NeuronParams(model="if", reset="zero", t_ref=3.0),
    NeuronParams(model="if", reset="subtract", t_ref=3.0),
    NeuronParams(model="lif", reset="zero", tau_m=20.0),
    NeuronParams(model="lif", reset="subtract", tau_m=20.0),
    NeuronParams(model="lif", reset="zero", tau_m=10.0, t_ref=2.0, v_th=2.0),
    NeuronParams(model="lif", reset="subtract", tau_m=10.0, t_ref=3.0),
]
IDS = [f"{p.model}-{p.reset}-tref{p.t_ref:g}" for p in CASES]


def onset(p: NeuronParams) -> float:
    return 0.0 if p.model == "if" else p.v_th / p.tau_m


def drive_grid(p: NeuronParams) -> np.ndarray:
    """Drives in mV/ms from just above onset to beyond the one-spike-per-interval drive."""
    return onset(p) + p.v_th * np.geomspace(2e-3, 2.0, 41) * 1.0123


def simulated_counts(drives: np.ndarray, p: NeuronParams, dt: float, n_steps: int) -> np.ndarray:
    net = Network((1,), (Dense(np.zeros((len(drives), 1)), drives),), p)
    return simulate(net, np.zeros((1, n_steps, 1)), dt=dt).output.spike_count[0]


@pytest.mark.parametrize("p", CASES, ids=IDS)
def test_step_gains_are_the_simulators_coefficients(p):
    for dt in (1.0, 0.1, 0.37):
        c = StepCoefficients.for_neuron(p, dt)
        assert step_gains(p, dt) == (c.a_v, c.c_b)  # to the bit


@pytest.mark.parametrize("p", CASES, ids=IDS)
def test_discrete_rate_counts_match_the_clock_simulator(p):
    drives = drive_grid(p)
    counts = simulated_counts(drives, p, DT, T)
    expected = discrete_rate(drives, p, DT) * T * DT / 1000.0
    # the long-run rate predicts the count of a run from rest to within one spike
    assert np.all(np.abs(counts - expected) <= 1.0), np.abs(counts - expected).max()
    assert counts.max() > 0.9 * T * DT / 1000.0 * discrete_max_rate(p, DT)  # the grid reaches the top


@pytest.mark.parametrize("p", [CASES[4], CASES[6]], ids=[IDS[4], IDS[6]])
def test_continuous_rate_misses_the_clock_simulator(p):
    # the reason for the discrete form: at dt = 1 ms the continuous closed form is off by many spikes
    drives = drive_grid(p)
    counts = simulated_counts(drives, p, DT, T)
    assert np.max(np.abs(counts - rate(drives, p) * T * DT / 1000.0)) > 50


@pytest.mark.parametrize("p", CASES, ids=IDS)
def test_discrete_rate_is_zero_at_onset_and_tops_out(p):
    assert np.all(discrete_rate(np.array([-1.0, 0.0, onset(p)]), p, DT) == 0)
    top = discrete_max_rate(p, DT)
    assert top == pytest.approx(1000.0 / (DT * (max(p.refractory_steps(DT) - 1, 0) + 1)))
    assert discrete_rate(np.array([10.0 * p.v_th]), p, DT)[0] == pytest.approx(top)


@pytest.mark.parametrize("p", CASES, ids=IDS)
def test_discrete_inverse_rate(p):
    top = discrete_max_rate(p, DT)
    targets = np.linspace(5.0, top, 37)
    drives = discrete_inverse_rate(targets, p, DT)
    assert np.all(np.diff(drives) > 0)
    back = discrete_rate(drives, p, DT)
    assert discrete_inverse_rate(np.array([0.0]), p, DT)[0] == pytest.approx(onset(p))
    if p.reset == "subtract" and p.model == "if":
        np.testing.assert_allclose(back, targets, rtol=1e-12)
    elif p.reset == "subtract":
        # the LIF-subtract rate is a staircase of locked ratios: the smallest drive at or above
        assert np.all(back >= targets * (1 - 1e-6)) and np.all(back <= targets * 1.01)
    else:
        # reset to zero: the interval (in steps) nearest to the target's
        frozen = max(p.refractory_steps(DT) - 1, 0)
        wanted = 1000.0 / (targets * DT) - frozen
        got = 1000.0 / (back * DT) - frozen
        assert np.all(np.abs(got - wanted) <= 0.5 + 1e-9)
        np.testing.assert_allclose(got, np.maximum(np.round(wanted), 1), rtol=1e-9)
    # and the simulator fires at that rate (LIF-subtract plateaus with periods beyond the
    # searched window are averaged: about one more spike of slack)
    counts = simulated_counts(drives, p, DT, T)
    slack = 2.0 if (p.model, p.reset) == ("lif", "subtract") else 1.0
    assert np.all(np.abs(counts - back * T * DT / 1000.0) <= slack)


@pytest.mark.parametrize("p", CASES, ids=IDS)
def test_unreachable_target_names_target_maximum_and_parameter(p):
    top = discrete_max_rate(p, DT)
    with pytest.raises(ValueError, match=rf"target_rate {1.5 * top:g} Hz.*at most {top:g} Hz.*max_rate.*t_ref"):
        discrete_inverse_rate(np.array([10.0, 1.5 * top]), p, DT)
    with pytest.raises(ValueError, match="target_rate"):
        discrete_inverse_rate(np.array([np.nan]), p, DT)
