"""The Converter end to end: a trained ANN becomes an SNN that agrees with it and with Brian2."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from neurobench.executor import ExecutorParams
from neurobench import metrics
from neurobench.ann.train import load_data, train_ann
from neurobench.conversion import Analog, Converter, Digital
from neurobench.network import Conv2d, Dense
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian


@pytest.fixture(scope="module")
def digits():
    return load_data("digits")


@pytest.fixture(scope="module")
def mlp(digits):
    x_train, y_train, _, _ = digits
    return train_ann("mlp", x_train, y_train, hidden=(32,), epochs=20)


def convert(ann, x, **kw):
    kw.setdefault("executor", ExecutorParams(kind="local"))
    kw.setdefault("n_steps", 100)
    conv = Converter(**kw)
    return conv, conv.fit(ann, x)


def test_analog_mlp_agrees_with_its_ann(digits, mlp):
    x_train, _, x_test, y_test = digits
    conv, net = convert(mlp, x_train[:400], constraints=Analog(w_min=-8.0, w_max=8.0))
    assert all(set(r.statuses) == {"optimal"} for r in conv.layer_reports_)
    record = simulate(net, conv.encode(x_test), conv.dt)
    pred = metrics.predict_from_counts(record.output.spike_count, record.output.first_spike_step)
    ann_accuracy = metrics.classification_accuracy(mlp.predict(x_test), y_test)
    assert metrics.agreement(pred, mlp.predict(x_test)) >= 0.95
    assert metrics.classification_accuracy(pred, y_test) >= ann_accuracy - 0.03
    for layer in net.layers:
        assert layer.weight.min() >= -8.0 - 1e-9 and layer.weight.max() <= 8.0 + 1e-9


def test_converted_cnn_runs_identically_in_brian2(digits):
    x_train, y_train, x_test, _ = digits
    cnn = train_ann("cnn", x_train[:300], y_train[:300], channels=2, hidden=(16,), epochs=3)
    conv, net = convert(cnn, x_train[:60], n_steps=40, conv_positions=8)
    assert isinstance(net.layers[0], Conv2d) and isinstance(net.layers[-1], Dense)
    spikes = conv.encode(x_test[:4])
    clock, brian = simulate(net, spikes, conv.dt), simulate_brian(net, spikes, conv.dt)
    for a, b in zip(clock.layers, brian.layers):
        assert a.spike_count.sum() > 0
        np.testing.assert_array_equal(a.spike_count, b.spike_count)
        np.testing.assert_array_equal(a.first_spike_step, b.first_spike_step)


def test_digital_weights_lie_on_one_grid_per_layer(digits, mlp):
    x_train = digits[0]
    conv, net = convert(mlp, x_train[:150], constraints=Digital(bits=4, method="round"))
    for i, layer in enumerate(net.layers):
        scale = conv.solutions_[i][0].scale
        levels = layer.weight / scale
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-9)
        assert np.abs(np.round(levels)).max() <= 7
        assert all(sol.scale == scale for sol in conv.solutions_[i])


def test_process_pool_gives_the_same_network_as_serial(digits, mlp):
    x = digits[0][:120]
    _, serial = convert(mlp, x)
    with ProcessPoolExecutor(2) as pool:
        _, pooled = convert(mlp, x, executor=pool)
    for a, b in zip(serial.layers, pooled.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)


@pytest.mark.parametrize(
    "kw, message",
    [({"objective": "l2"}, "objective must be"), ({"max_rate": 2000.0}, "max_rate must lie in"),
     ({"dt": 0.0}, "dt must be > 0"), ({"percentile": 0.0}, "percentile")],
)
def test_bad_settings_fail_before_any_solve(mlp, digits, kw, message):
    with pytest.raises(ValueError, match=message):
        Converter(executor=ExecutorParams(kind="local"), **kw).fit(mlp, digits[0][:10])


def test_calibration_inputs_must_be_rates(mlp, digits):
    with pytest.raises(ValueError, match=r"calibration_x must lie in \[0, 1\]"):
        Converter(executor=ExecutorParams(kind="local")).fit(mlp, digits[0][:10] * 2.0)


@pytest.mark.parametrize("bad", ["serial", "process", 3])
def test_a_bad_executor_is_refused_before_any_compute(digits, mlp, bad):
    with pytest.raises(ValueError, match=r"executor = .* is not allowed: must be neurobench\.executor\.ExecutorParams"):
        Converter(executor=bad).fit(mlp, digits[0][:10])


@pytest.mark.slow
def test_an_executor_session_gives_the_same_network_as_local(digits, mlp):
    """``neurobench.executor`` settings or an open session: the neuron chunks go through
    ``SubmitAdapter``, one map per layer, and the network is the local one."""
    from neurobench.executor import open_executor

    x = digits[0][:120]
    conv, serial = convert(mlp, x)
    with open_executor(ExecutorParams(kind="process", workers=2)) as session:
        pooled_conv, pooled = convert(mlp, x, executor=session)
        assert session._pool is not None  # left open for its owner
    for a, b in zip(serial.layers, pooled.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        np.testing.assert_array_equal(a.bias, b.bias)
    assert [r.statuses for r in conv.layer_reports_] == [r.statuses for r in pooled_conv.layer_reports_]
