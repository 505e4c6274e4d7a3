"""Analytic checks of the clock simulator alone, against closed forms derived from the
time-step convention in ``neurobench.sim.clock`` (state update -> threshold -> synapses -> reset),
and of the layers' connectivity against direct numpy/scipy computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import correlate2d

from neurobench.network import AvgPool2d, Conv2d, Dense, Network, random_network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate


def single_neuron(bias: float, **params) -> Network:
    """One neuron with a constant drive ``bias`` (mV/ms) and one silent input."""
    return Network((1,), (Dense(np.zeros((1, 1)), np.array([bias])),), NeuronParams(**params))


def silence(steps: int, batch: int = 1) -> np.ndarray:
    return np.zeros((batch, steps, 1))


# ---- single neurons under constant drive ---------------------------------------------------


@pytest.mark.parametrize("bias, dt", [(0.25, 1.0), (0.375, 1.0), (0.625, 1.0), (0.375, 0.5), (0.1875, 2.0)])
def test_if_subtract_reset_count_is_floor_of_charge(bias, dt):
    # dyadic drives: the membrane sums are exact, so the closed form holds without rounding slack
    steps, v_th = 97, 1.0
    rec = simulate(single_neuron(bias, model="if", v_th=v_th, reset="subtract"), silence(steps), dt=dt, record_v=True)
    charge_per_step = bias * dt
    assert rec.output.spike_count[0, 0] == math.floor(steps * charge_per_step / v_th)
    assert rec.output.first_spike_step[0, 0] == math.ceil(v_th / charge_per_step) - 1
    # subtraction keeps the overshoot: after step n, v = (n + 1) * b * dt - v_th * (spikes so far)
    spikes_so_far = np.floor(np.arange(1, steps + 1) * charge_per_step / v_th)
    np.testing.assert_allclose(rec.output.v[0, :, 0], np.arange(1, steps + 1) * charge_per_step - v_th * spikes_so_far)


@pytest.mark.parametrize("bias", [0.3, 0.25, 0.45])
def test_if_zero_reset_fires_periodically(bias):
    steps = 100
    rec = simulate(single_neuron(bias, model="if", reset="zero"), silence(steps), record_spikes=True)
    period = math.ceil(1.0 / bias)  # steps of integration from 0 mV to threshold
    assert rec.output.spike_count[0, 0] == steps // period
    np.testing.assert_array_equal(np.flatnonzero(rec.output.spikes[0, :, 0]), np.arange(period - 1, steps, period))


@pytest.mark.parametrize("t_ref, dt", [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (5.0, 1.0), (3.0, 0.5), (2.6, 1.0)])
def test_refractory_period_gives_predicted_count(t_ref, dt):
    steps, bias = 120, 0.3
    net = single_neuron(bias, model="if", reset="zero", t_ref=t_ref)
    rec = simulate(net, silence(steps), dt=dt, record_spikes=True, record_v=True)
    period = math.ceil(1.0 / (bias * dt))
    ref_steps = round(t_ref / dt)
    # after a spike at step n the neuron is clamped at 0 mV during steps n+1 .. n+ref_steps-1
    interval = period + max(ref_steps - 1, 0)
    expected = np.arange(period - 1, steps, interval)
    np.testing.assert_array_equal(np.flatnonzero(rec.output.spikes[0, :, 0]), expected)
    assert rec.output.spike_count[0, 0] == (steps - period) // interval + 1
    for n in expected:  # clamped at the reset value while refractory
        assert np.all(rec.output.v[0, n : min(n + ref_steps, steps), 0] == 0.0)


@pytest.mark.parametrize("t_ref, expected_v", [(0.0, [0.6, 1.2, 0.8, 1.4]), (2.0, [0.6, 1.2, 0.2, 0.2])])
def test_delta_input_in_the_spike_step_needs_no_refractory_period(t_ref, expected_v):
    """Input spikes of weight 0.6 at steps 0-3: the neuron crosses 1 mV at step 1 (after phase 3),
    spikes at step 2 and resets by subtraction. Without refractory period the input of step 2
    still counts (1.2 + 0.6 - 1); with one it is refractory from its spike on, so the input of
    step 2 (phase 3 follows the spike) and of step 3 (< 2 steps later) is ignored (1.2 - 1)."""
    net = Network((1,), (Dense(np.array([[0.6]])),), NeuronParams(model="if", reset="subtract", t_ref=t_ref))
    x = np.zeros((1, 4, 1))
    x[0, :, 0] = 1
    rec = simulate(net, x, record_v=True)
    np.testing.assert_allclose(rec.output.v[0, :, 0], expected_v, rtol=1e-12)
    assert rec.output.first_spike_step[0, 0] == 2


def test_lif_trace_under_constant_drive_until_threshold():
    bias, tau, v_th, dt, steps = 0.12, 10.0, 1.0, 1.0, 60
    rec = simulate(single_neuron(bias, model="lif", tau_m=tau, v_th=v_th, reset="zero"), silence(steps), dt=dt, record_v=True)
    t = np.arange(1, steps + 1) * dt  # the potential after step n is the potential at (n + 1) * dt
    exact = bias * tau * (1.0 - np.exp(-t / tau))
    first = int(np.argmax(exact >= v_th))
    assert rec.output.first_spike_step[0, 0] == first
    np.testing.assert_allclose(rec.output.v[0, :first, 0], exact[:first], rtol=1e-12)
    assert rec.output.v[0, first, 0] == 0.0  # reset to zero in the spike step


def test_lif_without_threshold_converges_to_b_tau():
    bias, tau = 0.05, 7.0
    rec = simulate(single_neuron(bias, model="lif", tau_m=tau, v_th=10.0), silence(300), record_v=True)
    t = np.arange(1, 301)
    np.testing.assert_allclose(rec.output.v[0, :, 0], bias * tau * (1.0 - np.exp(-t / tau)), rtol=1e-12)
    assert rec.output.spike_count[0, 0] == 0 and rec.output.first_spike_step[0, 0] == -1


@pytest.mark.parametrize("model, tau_m", [("if", 20.0), ("lif", 12.0)])
def test_current_synapse_kernel(model, tau_m):
    w, tau_s, steps = 0.8, 4.0, 40
    net = Network((1,), (Dense(np.array([[w]])),), NeuronParams(model=model, v_th=100.0, tau_m=tau_m, tau_syn=tau_s))
    x = silence(steps)
    x[0, 0, 0] = 1  # one input spike at step 0: I = w from then on, decaying
    rec = simulate(net, x, record_v=True)
    t = np.arange(steps) * 1.0  # time since the spike after step n
    if model == "if":
        exact = w * tau_s * (1.0 - np.exp(-t / tau_s))
    else:
        exact = w * tau_m * tau_s / (tau_m - tau_s) * (np.exp(-t / tau_m) - np.exp(-t / tau_s))
    np.testing.assert_allclose(rec.output.v[0, :, 0], exact, rtol=1e-12, atol=1e-15)


# ---- propagation and counting --------------------------------------------------------------


@pytest.mark.parametrize("model, weight", [("if", 1.0), ("lif", 1.5)])  # LIF: enough to survive one step of leak
@pytest.mark.parametrize("input_step", [0, 7])
def test_delta_chain_advances_one_layer_per_step(model, weight, input_step):
    n_layers, width = 5, 3
    net = Network((width,), [Dense(np.eye(width) * weight) for _ in range(n_layers)], NeuronParams(model=model, v_th=1.0))
    x = np.zeros((2, 20, width))
    x[0, input_step, 1] = 1  # sample 1 stays silent
    rec = simulate(net, x)
    for layer, lr in enumerate(rec.layers, start=1):
        # the input spike of step s arrives in phase 3 of step s: layer l spikes at step s + l
        assert lr.first_spike_step[0].tolist() == [-1, input_step + layer, -1]
        assert lr.spike_count[0].tolist() == [0, 1, 0]
        assert lr.spike_count[1].sum() == 0 and np.all(lr.first_spike_step[1] == -1)
        assert lr.synops.tolist() == [1, 0]


def test_synops_are_presynaptic_spikes_times_fan_out():
    rng = np.random.default_rng(0)
    w = rng.normal(0.5, 1.0, (6, 9)) * (rng.random((6, 9)) < 0.5)  # sparse: fan-outs differ
    dense_net = Network((9,), (Dense(w, np.full(6, 0.05)), Dense(rng.normal(0.6, 0.3, (4, 6)))))
    conv_net = random_network((1, 8, 8), 4, 3, 2, 10, NeuronParams(), seed=1, weight_gain=2.0)
    for net in (dense_net, conv_net):
        x = rng.random((3, 50, *net.input_shape)) < 0.3
        rec = simulate(net, x)
        pre = rec.input_spike_count
        np.testing.assert_array_equal(pre, x.reshape(3, 50, -1).sum(axis=1))
        for i, layer in enumerate(rec.layers):
            fan_out = np.count_nonzero(net.weight_matrix(i).toarray(), axis=0)
            np.testing.assert_array_equal(net.fan_out(i), fan_out)
            assert layer.synops.dtype == np.int64
            np.testing.assert_array_equal(layer.synops, pre @ fan_out)
            assert layer.spike_count.sum() > 0
            pre = layer.spike_count
    np.testing.assert_array_equal(np.count_nonzero(w, axis=0), dense_net.fan_out(0))


# ---- input validation ----------------------------------------------------------------------


def test_input_validation_errors():
    net = Network((2, 3), (Dense(np.ones((4, 6))),))
    good = np.zeros((1, 5, 2, 3))
    simulate(net, good)
    with pytest.raises(ValueError, match=r"shape \(batch, n_steps, 2, 3\)"):
        simulate(net, np.zeros((1, 5, 6)))
    with pytest.raises(ValueError, match="shape"):
        simulate(net, np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="at least one"):
        simulate(net, np.zeros((1, 0, 2, 3)))
    with pytest.raises(ValueError, match="binary"):
        simulate(net, np.full((1, 5, 2, 3), 0.5))
    with pytest.raises(ValueError, match="binary"):
        simulate(net, -good - 1)
    for dt in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="dt"):
            simulate(net, good, dt=dt)


# ---- connectivity of the layer types -------------------------------------------------------


def conv_reference(x: np.ndarray, w: np.ndarray, stride: int, padding: int) -> np.ndarray:
    """PyTorch-convention conv2d (cross-correlation) of one (C_in, H, W) input, by scipy."""
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    out = [sum(correlate2d(xp[ci], w[co, ci], mode="valid") for ci in range(w.shape[1])) for co in range(w.shape[0])]
    return np.stack(out)[:, ::stride, ::stride]


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("kernel, padding", [((3, 3), 0), ((3, 3), 1), ((3, 3), 2), ((2, 3), 0), ((2, 3), 1)])
def test_conv_connectivity_is_cross_correlation(stride, padding, kernel):
    rng = np.random.default_rng(stride * 10 + padding)
    in_shape = (2, 9, 8)
    w = rng.normal(size=(3, 2, *kernel))
    w[0, 1, 0, 0] = 0.0  # zero weights make no synapse
    conv = Conv2d(w, rng.normal(size=3), stride=stride, padding=padding)
    net = Network(in_shape, (conv,))
    x = rng.normal(size=in_shape)
    expected = conv_reference(x, w, stride, padding)
    assert net.shapes[1] == expected.shape
    np.testing.assert_allclose(net.weight_matrix(0) @ x.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)
    pre, post, weight = net.connectivity(0)
    assert np.all(weight != 0) and len(set(zip(pre.tolist(), post.tolist()))) == len(pre)
    np.testing.assert_array_equal(net.bias(0), np.repeat(conv.bias, expected.shape[1] * expected.shape[2]))


@pytest.mark.parametrize("k, scale", [(2, 1.0), (3, 1.0), (2, 2.5)])
def test_avg_pool_connectivity_is_block_mean(k, scale):
    rng = np.random.default_rng(k)
    c, h, w = 3, 7, 10  # not multiples of k: the remainder rows/columns are dropped
    x = rng.normal(size=(c, h, w))
    net = Network((c, h, w), (AvgPool2d(k, scale),))
    oh, ow = h // k, w // k
    expected = scale * x[:, : oh * k, : ow * k].reshape(c, oh, k, ow, k).mean(axis=(2, 4))
    assert net.shapes[1] == (c, oh, ow)
    np.testing.assert_allclose(net.weight_matrix(0) @ x.ravel(), expected.ravel(), rtol=1e-12)
    assert np.all(net.bias(0) == 0)
