"""One place for the neuron step coefficients: every engine's leak factor comes from it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim.coefficients import StepCoefficients, leak_factor
from neurobench.sim.events import AsyncGraph


@pytest.mark.parametrize("dt", [0.1, 1.0, 3.0])
def test_leak_factor_is_exp_minus_dt_over_tau_for_lif_and_one_for_if(dt):
    lif = NeuronParams(model="lif", tau_m=20.0)
    assert leak_factor(lif, dt) == math.exp(-dt / 20.0) == StepCoefficients.for_neuron(lif, dt).a_v
    assert leak_factor(NeuronParams(model="if"), dt) == 1.0


def test_coefficients_solve_the_ode_exactly():
    p = NeuronParams(model="lif", tau_m=10.0, tau_syn=4.0)
    c = StepCoefficients.for_neuron(p, 0.5)
    # v(t) for v(0) = 0, I(0) = 1 mV/ms, no bias: tau_m tau_s / (tau_m - tau_s) (e^-t/tau_m - e^-t/tau_s)
    expected = 10.0 * 4.0 / 6.0 * (math.exp(-0.05) - math.exp(-0.125))
    assert c.c_i == pytest.approx(expected, rel=1e-14)
    assert c.a_i == math.exp(-0.5 / 4.0) and c.c_b == pytest.approx(10.0 * (1 - math.exp(-0.05)), rel=1e-14)


def test_asynchronous_graph_takes_its_per_frame_leak_from_the_coefficients():
    neurons = (NeuronParams(model="lif", tau_m=7.0, reset="zero"), NeuronParams(model="if", reset="zero"))
    net = Network((3,), (Dense(np.ones((2, 3))), Dense(np.ones((1, 2)))), neurons)
    graph = AsyncGraph.build(net, frame_dt=2.5)
    assert list(graph.beta_layer) == [leak_factor(neurons[0], 2.5), 1.0]


@pytest.mark.parametrize("dt", [0.5, 1.0])
def test_lif_coefficients_match_brian2s_own_exact_solution(dt):
    """The Brian2 backend integrates with these coefficients (bit-identical to the clock
    simulator); Brian2's symbolic exact solver derives the same one-step propagator on its own.
    Three neurons start from unit v (1 mV), unit I (1 mV/ms) and unit bias (1 mV/ms): after one
    step their v are a_v, c_i and c_b, and I decays by a_i."""
    b2 = pytest.importorskip("brian2")
    from brian2 import mV, ms

    p = NeuronParams(model="lif", tau_m=10.0, tau_syn=4.0)
    eqs = "dv/dt = -v / tau_m + I + b : volt\ndI/dt = -I / tau_syn : volt/second\nb : volt/second (constant)"
    group = b2.NeuronGroup(3, eqs, method="exact", dt=dt * ms,
                           namespace={"tau_m": p.tau_m * ms, "tau_syn": p.tau_syn * ms})
    group.v = [1.0, 0.0, 0.0] * mV
    group.I = [0.0, 1.0, 0.0] * mV / ms
    group.b = [0.0, 0.0, 1.0] * mV / ms
    b2.Network(group).run(dt * ms, namespace={})
    c = StepCoefficients.for_neuron(p, dt)
    np.testing.assert_allclose(np.asarray(group.v / mV), [c.a_v, c.c_i, c.c_b], rtol=1e-12)
    np.testing.assert_allclose(np.asarray(group.I / (mV / ms)), [0.0, c.a_i, 0.0], rtol=1e-12, atol=0.0)


@pytest.mark.parametrize("dt, tau_syn", [(0.5, 0.0), (1.0, 2.0), (0.25, 3.0)])
def test_if_coefficients_are_the_closed_form(dt, tau_syn):
    """IF: v(t + dt) = v + b dt + I tau_syn (1 - exp(-dt / tau_syn)) (Brian2's exact solver cannot
    integrate it: its matrix is singular, brian2 issue #1010)."""
    c = StepCoefficients.for_neuron(NeuronParams(model="if", tau_syn=tau_syn), dt)
    a_i = math.exp(-dt / tau_syn) if tau_syn else 0.0
    assert (c.a_v, c.c_b, c.a_i) == (1.0, dt, a_i)
    assert c.c_i == pytest.approx(tau_syn * (1.0 - a_i), rel=1e-15, abs=0.0)
