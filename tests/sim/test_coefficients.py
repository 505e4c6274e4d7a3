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
