"""Converter core: current synapses, LIF neurons with the discrete-time rate, 3-bit digital,
MILP gaps per layer, reachable-rate and penalty validation."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.executor import ExecutorParams
from neurobench.ann.train import load_data, train_ann
from neurobench.conversion import Converter, Digital
from neurobench.conversion.normalize import constrain, normalize
from neurobench.conversion.targets import synaptic_gain
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


@pytest.fixture(scope="module")
def mlp(digits):
    x_train, y_train, _, _ = digits
    return train_ann("mlp", x_train, y_train, hidden=(12,), epochs=15)


def convert(ann, x, **kw):
    kw.setdefault("executor", ExecutorParams(kind="local"))
    kw.setdefault("n_steps", 100)
    conv = Converter(**kw)
    return conv, conv.fit(ann, x)


def hidden_rate_error(conv, net, ann, x) -> float:
    """RMSE of the hidden layer's measured rates against its targets, relative to max_rate."""
    rec = simulate(net, conv.encode(x), conv.dt)
    measured = rec.layers[0].spike_count / (conv.n_steps * conv.dt / 1000.0)
    target = np.minimum(conv.layer_reports_[0].alpha * np.maximum(ann.forward(x)[0], 0), conv.max_rate)
    return float(np.sqrt(np.mean((measured - target) ** 2)) / conv.max_rate)


def assert_brian_identical(conv, net, x):
    spikes = conv.encode(x)
    clock, brian = simulate(net, spikes, conv.dt), simulate_brian(net, spikes, conv.dt)
    for a, b in zip(clock.layers, brian.layers):
        assert a.spike_count.sum() > 0
        np.testing.assert_array_equal(a.spike_count, b.spike_count)
        np.testing.assert_array_equal(a.first_spike_step, b.first_spike_step)


def test_synaptic_gain_is_the_simulators_charge_per_spike():
    assert synaptic_gain(NeuronParams(), 1.0) == 1.0
    assert synaptic_gain(NeuronParams(), 0.5) == 2.0
    assert synaptic_gain(NeuronParams(tau_syn=5.0), 1.0) == pytest.approx(5.0, rel=1e-12)
    lif = NeuronParams(model="lif", tau_m=20.0, tau_syn=5.0)
    assert synaptic_gain(lif, 0.1) == pytest.approx(5.0 / 0.1, rel=1e-2)  # -> tau_syn / dt as dt -> 0


def test_current_synapses_convert_to_their_targets_and_run_identically_in_brian2(digits, mlp):
    x = digits[0][:200]
    neuron = NeuronParams(model="if", reset="subtract", tau_syn=5.0)
    conv, net = convert(mlp, x, neuron=neuron, max_rate=200.0, input_rate=200.0)
    assert conv.gain == pytest.approx(5.0)
    assert hidden_rate_error(conv, net, mlp, x) < 0.05
    assert_brian_identical(conv, net, digits[2][:4])


@pytest.mark.parametrize("reset, tolerance", [
    pytest.param("subtract", 0.05, marks=pytest.mark.slow),  # the LIF-subtract inverse bisects
    # reset to zero fires at whole-step intervals: 500, 333, 250 Hz, ... (quantisation included)
    ("zero", 0.12),
])
def test_lif_conversion_matches_targets_and_brian2(digits, mlp, reset, tolerance):
    x = digits[0][:200]
    neuron = NeuronParams(model="lif", reset=reset, tau_m=20.0)
    conv, net = convert(mlp, x, neuron=neuron, max_rate=500.0)
    assert hidden_rate_error(conv, net, mlp, x) < tolerance
    assert_brian_identical(conv, net, digits[2][:4])


def test_unreachable_max_rate_is_refused_before_any_compute(digits, mlp):
    neuron = NeuronParams(model="if", t_ref=2.0)  # 2 steps of 1 ms: at most 500 Hz
    with pytest.raises(ValueError, match=r"max_rate = 600 Hz.*at most 500 Hz.*lower max_rate"):
        Converter(neuron=neuron, max_rate=600.0, executor=ExecutorParams(kind="local")).fit(mlp, digits[0][:20])


@pytest.mark.parametrize("method", ["iterative", pytest.param("milp", marks=pytest.mark.slow)])
def test_three_bit_lp_beats_the_rounded_baseline(digits, mlp, method):
    x = digits[0][:150]
    spec = Digital(bits=3, method=method, time_limit=1.0)
    conv, net = convert(mlp, x, constraints=spec)
    for i, layer in enumerate(net.layers):
        levels = layer.weight / conv.layer_reports_[i].weight_step
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-9)
        assert np.abs(np.round(levels)).max() <= 3
    base = constrain(normalize(mlp, x, max_rate=conv.max_rate, dt=conv.dt), bits=3)
    base_rec = simulate(base, conv.encode(x), conv.dt)
    # the baseline's hidden layer against the same targets (it maps the same percentile to max_rate)
    measured = base_rec.layers[0].spike_count / (conv.n_steps * conv.dt / 1000.0)
    target = np.minimum(conv.layer_reports_[0].alpha * np.maximum(mlp.forward(x)[0], 0), conv.max_rate)
    base_error = float(np.sqrt(np.mean((measured - target) ** 2)) / conv.max_rate)
    assert hidden_rate_error(conv, net, mlp, x) < 0.8 * base_error
    if method == "milp":
        assert all(r.mip_gap is not None and 0 <= r.mip_gap < 1 for r in conv.layer_reports_)
        assert conv.layer_reports_[0].mip_gap == max(s.mip_gap for s in conv.solutions_[0])
    else:
        assert all(r.mip_gap is None for r in conv.layer_reports_)


def test_penalty_norm_must_fit_the_objective(digits, mlp):
    from neurobench.conversion import Analog
    with pytest.raises(ValueError, match="penalty_norm = 'l2' is not allowed with objective = 'l1'"):
        Converter(constraints=Analog(weight_penalty=0.1, penalty_norm="l2"), executor=ExecutorParams(kind="local")).fit(mlp, digits[0][:20])
    with pytest.raises(ValueError, match="penalty_norm = 'l1' is not allowed with objective = 'ls'"):
        Converter(objective="ls", constraints=Analog(weight_penalty=0.1), executor=ExecutorParams(kind="local")).fit(mlp, digits[0][:20])


def test_node_limited_milp_stops_at_the_same_incumbent_every_time(digits, mlp):
    # A time limit makes the MILP's answer depend on the machine's speed; a node limit does not:
    # two conversions under the same node limit give bit-identical weights and gaps. Each HiGHS
    # call's root work dominates, so the time goes with the rows: 20 rows stop 20 of the 22 neurons
    # at the node limit as 60 did, in under half the time.
    x = digits[0][:20]
    spec = Digital(bits=3, method="milp", node_limit=5, time_limit=60.0)
    (conv_a, net_a), (conv_b, net_b) = convert(mlp, x, constraints=spec), convert(mlp, x, constraints=spec)
    for a, b in zip(net_a.layers, net_b.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
    assert [r.mip_gap for r in conv_a.layer_reports_] == [r.mip_gap for r in conv_b.layer_reports_]
    stopped = [s.status for layer in conv_a.solutions_ for s in layer]
    assert set(stopped) - {"optimal"}  # some neurons stopped at the node limit, so it made the answer
