"""Baseline conversion by data-based weight normalisation, simulated with the clock simulator."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.ann import Ann
from neurobench.ann.train import evaluate, load_data, score, train_ann
from neurobench.conversion.normalize import (
    constrain,
    layer_scales,
    normalize,
    quantize,
    spikes_per_step,
)
from neurobench.metrics.readout import decode_outputs as decode
from neurobench.metrics.readout import layer_rates, output_charge
from neurobench.metrics.readout import predict_outputs as predict
from neurobench.network import AvgPool2d, Conv2d, Dense
from neurobench.sim import simulate
from neurobench.sim.static import encode, run

MAX_RATE, DT, T = 500.0, 1.0, 300  # rho = 0.5 spikes per step for a unit input


@pytest.fixture(scope="module")
def digits():
    return load_data("digits", seed=0)


@pytest.fixture(scope="module")
def mlp(digits):
    return train_ann("mlp", digits[0], digits[1], epochs=10, seed=0)


@pytest.fixture(scope="module")
def mlp_snn(mlp, digits):
    x_tr, _, x_te, _ = digits
    lam = layer_scales(mlp, x_tr)
    net = normalize(mlp, x_tr, max_rate=MAX_RATE, dt=DT)
    rec = run(net, x_te, n_steps=T, dt=DT, max_rate=MAX_RATE, encoder="regular")
    return lam, net, rec


def test_weight_and_bias_mapping_by_hand():
    dense1 = Dense(np.array([[2.0, -1.0], [0.5, 0.5]]), np.array([0.1, -0.2]))
    dense2 = Dense(np.array([[1.0, 3.0]]), np.array([0.3]))
    ann = Ann((2,), (dense1, dense2), ("relu", "linear"))
    scales = [1.0, 4.0, 8.0]
    net = normalize(ann, None, max_rate=200.0, dt=0.5, v_th=2.0, scales=scales)
    # w' = v_th W lambda_{l-1} / lambda_l; b' = v_th b / lambda_l * max_rate / 1000 (mV/ms)
    np.testing.assert_allclose(net.layers[0].weight, 2.0 * dense1.weight * 1.0 / 4.0)
    np.testing.assert_allclose(net.layers[1].weight, 2.0 * dense2.weight * 4.0 / 8.0)
    np.testing.assert_allclose(net.layers[0].bias, 2.0 * dense1.bias / 4.0 * 0.2)
    np.testing.assert_allclose(net.layers[1].bias, 2.0 * dense2.bias / 8.0 * 0.2)
    p = net.neurons[0]
    assert (p.model, p.reset, p.v_th, p.t_ref, p.tau_syn) == ("if", "subtract", 2.0, 0.0, 0.0)


def test_layer_scales_are_percentiles_of_positive_activations(mlp, digits):
    x = digits[0]
    acts = mlp.forward(x)
    lam = layer_scales(mlp, x, percentile=99.0, input_scale=1.0)
    assert lam[0] == 1.0
    for a, s in zip(acts, lam[1:]):
        assert s == pytest.approx(np.percentile(a[a > 0], 99.0))
    assert layer_scales(mlp, x, percentile=100)[1] == pytest.approx(acts[0].max())


def test_rates_follow_the_stated_mapping_on_constant_inputs():
    """A single unit: rate = rho * a / lambda spikes/step, with a bias and an input."""
    ann = Ann((1,), (Dense(np.array([[1.5]]), np.array([0.2])),), ("relu",))
    x = np.array([[0.8]])
    a = ann.forward(x)[0][0, 0]  # 1.4
    net = normalize(ann, None, max_rate=400.0, dt=1.0, scales=[1.0, 2.0])
    rec = run(net, x, n_steps=1000, dt=1.0, max_rate=400.0)
    rate = rec.output.spike_count[0, 0] / 1000
    assert rate == pytest.approx(0.4 * a / 2.0, abs=2e-3)
    assert decode(net, rec, max_rate=400.0, output_scale=2.0)[0, 0] == pytest.approx(a, abs=5e-3)


def test_mlp_snn_matches_the_ann(mlp, mlp_snn, digits):
    _, _, x_te, y_te = digits
    lam, net, rec = mlp_snn
    ann_pred = mlp.predict(x_te)
    snn_pred = predict(net, rec, max_rate=MAX_RATE)
    ann_acc, snn_acc = evaluate(mlp, x_te, y_te), score("classification", snn_pred, y_te)
    assert ann_acc > 0.9
    assert abs(snn_acc - ann_acc) <= 0.02
    assert np.mean(snn_pred == ann_pred) >= 0.97
    count_pred = predict(net, rec, max_rate=MAX_RATE, readout="count")
    assert np.mean(count_pred == ann_pred) >= 0.95
    # decoded output in ANN units is close to the logits
    logits = mlp.forward(x_te)[-1]
    out = decode(net, rec, max_rate=MAX_RATE, output_scale=lam[-1])
    assert np.corrcoef(out.ravel(), logits.ravel())[0, 1] > 0.99


def test_hidden_rates_are_proportional_to_ann_activations(mlp, mlp_snn, digits):
    lam, net, rec = mlp_snn
    acts = mlp.forward(digits[2])
    rates = layer_rates(rec)
    rho = spikes_per_step(MAX_RATE, DT)
    hidden, target = rates[0], rho * acts[0] / lam[1]
    assert hidden.max() <= 1.0
    assert np.corrcoef(hidden.ravel(), target.ravel())[0, 1] > 0.99
    # below saturation the count error is about a spike: the neuron's own rounding plus that
    # of its regular-coded inputs (measured: mean 0.48, max 2.2 spikes over T = 300)
    err = np.abs(hidden - target)[target < 1.0] * T
    assert err.mean() <= 1.0 and err.max() <= 3.0
    assert np.all(hidden[acts[0] <= 0] == 0)


def test_poisson_input_also_agrees(mlp, digits):
    x_tr, _, x_te, _ = digits
    net = normalize(mlp, x_tr, max_rate=MAX_RATE, dt=DT)
    rec = run(net, x_te, n_steps=T, dt=DT, max_rate=MAX_RATE, encoder="poisson", seed=3)
    assert np.mean(predict(net, rec, max_rate=MAX_RATE) == mlp.predict(x_te)) >= 0.95
    acts = mlp.forward(x_te)[0]
    lam = layer_scales(mlp, x_tr)
    rates = layer_rates(rec)[0]
    assert np.corrcoef(rates.ravel(), acts.ravel() / lam[1])[0, 1] > 0.95


def test_output_charge_is_the_integrated_membrane_potential(mlp_snn, digits):
    _, net, _ = mlp_snn
    x = digits[2][:5]
    rec = simulate(net, encode(x, 60, DT, MAX_RATE), DT, record_v=True)
    v_th = net.neurons[-1].v_th
    expected = v_th * rec.output.spike_count + rec.layers[-1].v[:, -1]
    np.testing.assert_allclose(output_charge(net, rec), expected, atol=1e-9)


def test_quantize_levels():
    w = np.array([[0.9, -0.3, 0.05], [0.2, 0.1, -0.2]])
    q = quantize(w, 3)  # levels k in {-3..3}, Delta = 0.3
    np.testing.assert_allclose(q, np.array([[0.9, -0.3, 0.0], [0.3, 0.0, -0.3]]))
    q2 = quantize(w, 2, axis=0)  # ternary, Delta per row = 0.9 and 0.2
    np.testing.assert_allclose(q2, np.array([[0.9, 0.0, 0.0], [0.2, 0.0, -0.2]]))
    assert len(np.unique(quantize(np.random.default_rng(0).normal(size=1000), 4))) <= 15
    with pytest.raises(ValueError, match="bits >= 2"):
        quantize(w, 1)


def test_constraints_8_bits_change_little_2_bits_hurt(mlp, mlp_snn, digits):
    _, _, x_te, y_te = digits
    _, net, rec = mlp_snn
    base_pred = predict(net, rec, max_rate=MAX_RATE)
    ann_pred = mlp.predict(x_te)

    def accuracy_and_agreement(network):
        r = run(network, x_te, n_steps=T, dt=DT, max_rate=MAX_RATE)
        pred = predict(network, r, max_rate=MAX_RATE)
        return np.mean(pred == y_te), np.mean(pred == ann_pred)

    base_acc = np.mean(base_pred == y_te)
    q8 = constrain(net, bits=8)
    for lq, l0 in zip(q8.layers, net.layers):
        assert np.max(np.abs(lq.weight - l0.weight)) <= np.max(np.abs(l0.weight)) / 127 / 2 + 1e-15
        assert len(np.unique(lq.weight)) <= 255
        assert np.array_equal(lq.bias, l0.bias)
    acc8, agree8 = accuracy_and_agreement(q8)
    assert abs(acc8 - base_acc) <= 0.01 and agree8 >= 0.97
    acc2, agree2 = accuracy_and_agreement(constrain(net, bits=2))
    assert acc2 < base_acc - 0.3 and agree2 < 0.7
    clipped = constrain(net, w_min=-0.05, w_max=0.05)
    assert all(np.abs(layer.weight).max() <= 0.05 for layer in clipped.layers)
    acc_clip, _ = accuracy_and_agreement(clipped)
    assert acc_clip < base_acc - 0.03  # measured: 0.89 vs 0.96


def test_cnn_conversion(digits):
    x_tr, y_tr, x_te, y_te = digits
    cnn = train_ann("cnn", x_tr, y_tr, epochs=10, seed=0)
    lam = layer_scales(cnn, x_tr)
    net = normalize(cnn, x_tr, max_rate=MAX_RATE, dt=DT)
    assert [type(layer) for layer in net.layers] == [Conv2d, AvgPool2d, Dense, Dense]
    assert net.layers[1].scale == pytest.approx(lam[1] / lam[2])
    kept = normalize(cnn, x_tr, max_rate=MAX_RATE, dt=DT, normalize_pool=False)
    assert kept.layers[1].scale == 1.0
    x, y = x_te[:200], y_te[:200]
    rec = run(net, x, n_steps=200, dt=DT, max_rate=MAX_RATE)
    pred = predict(net, rec, max_rate=MAX_RATE)
    ann_pred = cnn.predict(x)
    assert abs(np.mean(pred == y) - np.mean(ann_pred == y)) <= 0.03
    assert np.mean(pred == ann_pred) >= 0.95
    acts = cnn.forward(x)
    rates = layer_rates(rec)
    for i in range(3):  # conv, pool and dense hidden layers
        assert rates[i].max() <= 1.0
        assert np.corrcoef(rates[i].ravel(), acts[i].ravel())[0, 1] > 0.98


def test_regression_uses_the_potential_readout():
    x_tr, y_tr, x_te, y_te = load_data("diabetes", seed=0)
    ann = train_ann("regression", x_tr, y_tr, epochs=40, seed=0)
    lam = layer_scales(ann, x_tr)
    net = normalize(ann, x_tr, max_rate=MAX_RATE, dt=DT)
    rec = run(net, x_te, n_steps=T, dt=DT, max_rate=MAX_RATE)
    out = predict(net, rec, task="regression", max_rate=MAX_RATE, output_scale=lam[-1])
    assert np.corrcoef(out, ann.predict(x_te))[0, 1] > 0.99
    assert score("regression", out, y_te) == pytest.approx(evaluate(ann, x_te, y_te), abs=0.03)


def test_invalid_arguments(mlp):
    with pytest.raises(ValueError, match="spikes per step"):
        normalize(mlp, None, max_rate=2000.0, dt=1.0, scales=[1, 1, 1])
    with pytest.raises(ValueError, match="scales needs 3"):
        normalize(mlp, None, max_rate=500.0, dt=1.0, scales=[1, 1])
    with pytest.raises(ValueError, match="percentile"):
        layer_scales(mlp, np.zeros((2, 1, 8, 8)), percentile=0)
    with pytest.raises(ValueError, match="w_min <= w_max"):
        constrain(normalize(mlp, None, max_rate=500.0, dt=1.0, scales=[1, 1, 1]), w_min=1, w_max=0)


def test_constrain_biases_pooling_and_per_neuron_scales():
    net = normalize(
        Ann((1, 4, 4), (Conv2d(np.array([[[[1.0]]], [[[-0.1]]]]), np.array([0.3, 0.02])),
                        AvgPool2d(2), Dense(np.ones((3, 8)) * np.array([[1.0], [0.1], [0.01]]))),
            ("relu", "relu", "linear")),
        None, max_rate=1000.0, dt=1.0, scales=[1.0, 1.0, 0.5, 1.0],
    )
    assert net.layers[1].scale == 2.0  # weight 0.5 per input
    c = constrain(net, w_min=-0.25, w_max=0.25, bits=2, per="neuron", include_bias=True)
    assert c.layers[1].scale == pytest.approx(1.0)  # clipped to 0.25 per input
    np.testing.assert_allclose(c.layers[0].weight.ravel(), [0.25, -0.1])  # one level per channel
    np.testing.assert_allclose(c.layers[2].weight[:, 0], [0.25, 0.05, 0.005])  # gain 0.5
    np.testing.assert_allclose(c.layers[0].bias, [0.3, 0.0])  # own ternary scale: 0.3
    assert np.array_equal(constrain(net, bits=2).layers[0].bias, net.layers[0].bias)
