"""Training the stand-in ANNs in torch and their export to numpy ``Ann``s."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from neurobench.ann import Ann
from neurobench.ann.train import (
    DEFAULTS,
    KINDS,
    build_module,
    deterministic_torch,
    evaluate,
    load_data,
    score,
    to_ann,
    to_torch,
    train,
)
from neurobench.network import AvgPool2d, Conv2d, Dense


@pytest.fixture(scope="module")
def digits():
    return load_data("digits", seed=0)


@pytest.fixture(scope="module")
def diabetes():
    return load_data("diabetes", seed=0)


@pytest.fixture(scope="module")
def short_runs(digits, diabetes):
    """A short training of every kind (the module fixture keeps the suite fast)."""
    return {
        "mlp": (train("mlp", digits[0], digits[1], epochs=5, seed=1), digits),
        "cnn": (train("cnn", digits[0], digits[1], epochs=5, seed=1), digits),
        "regression": (train("regression", diabetes[0], diabetes[1], epochs=20, seed=1), diabetes),
    }


def test_digits_data(digits):
    x_tr, y_tr, x_te, y_te = digits
    assert x_tr.shape[1:] == (1, 8, 8) and x_te.shape[1:] == (1, 8, 8)
    assert len(x_tr) + len(x_te) == 1797 and len(x_te) == round(0.2 * 1797)
    assert x_tr.dtype == np.float64 and x_tr.min() >= 0 and x_tr.max() <= 1
    assert set(np.unique(y_te)) == set(range(10)) and y_tr.dtype == np.int64
    again = load_data("digits", seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(digits, again))


def test_diabetes_data_is_min_max_scaled_on_the_training_split(diabetes):
    x_tr, y_tr, x_te, y_te = diabetes
    assert x_tr.shape[1] == 10 and len(x_tr) + len(x_te) == 442
    np.testing.assert_allclose(x_tr.min(axis=0), 0.0)
    np.testing.assert_allclose(x_tr.max(axis=0), 1.0)
    assert x_te.min() >= 0 and x_te.max() <= 1  # clipped
    assert abs(y_tr.mean()) < 1e-12 and abs(y_tr.std() - 1) < 1e-12
    with pytest.raises(ValueError, match="unknown data set"):
        load_data("iris")


@pytest.mark.parametrize("kind", KINDS)
def test_numpy_forward_equals_torch_forward(kind, short_runs):
    res, (_, _, x_te, _) = short_runs[kind]
    ann = res.ann
    assert ann.name == kind and ann.activations[-1] == "linear"
    assert ann.task == ("regression" if kind == "regression" else "classification")
    torch_model = copy.deepcopy(res.module).double().eval()
    with torch.no_grad():
        expected = torch_model(torch.tensor(x_te, dtype=torch.float64)).numpy()
    acts = ann.forward(x_te)
    np.testing.assert_allclose(acts[-1], expected, rtol=0, atol=1e-10)
    # every exported weight is the float32 parameter, exactly
    params = [p.detach().double().numpy() for p in res.module.parameters()]
    exported = [a for layer in ann.layers if not isinstance(layer, AvgPool2d)
                for a in (layer.weight, layer.bias)]
    assert len(params) == len(exported)
    for p, e in zip(params, exported):
        assert np.array_equal(p, e)
    # hidden activations through the Ann -> torch round trip
    back = to_torch(ann)
    h = torch.tensor(x_te, dtype=torch.float64)
    i = 0
    with torch.no_grad():
        for m in back:
            h = m(h)
            if isinstance(m, (nn.ReLU,)) or m is back[-1]:
                np.testing.assert_allclose(h.reshape(len(h), -1).numpy(), acts[i], atol=1e-10)
                i += 1
    assert i == len(acts)


def test_cnn_layers_and_flatten_order_on_a_non_square_input():
    """(C, H, W) = (2, 6, 4): torch's flatten of (C, H, W) must be the Dense layer's C-order."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        module = build_module("cnn", (2, 6, 4), 5, (7,), channels=3).double()
    ann = to_ann(module, (2, 6, 4))
    assert [type(layer) for layer in ann.layers] == [Conv2d, AvgPool2d, Dense, Dense]
    assert ann.activations == ("relu", "relu", "relu", "linear")
    assert ann.layers[0].weight.shape == (3, 2, 3, 3) and ann.layers[0].padding == 1
    assert ann.shapes == ((2, 6, 4), (3, 6, 4), (3, 3, 2), (7,), (5,))
    x = np.random.default_rng(0).random((11, 2, 6, 4))
    with torch.no_grad():
        expected = module(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ann.forward(x)[-1], expected, rtol=0, atol=1e-12)


def test_export_rejects_what_the_snn_cannot_represent():
    with pytest.raises(ValueError, match="cannot export MaxPool2d"):
        to_ann(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2)), (1, 8, 8))
    with pytest.raises(ValueError, match="non-overlapping"):
        to_ann(nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(3, stride=1)), (1, 8, 8))


def test_same_seed_gives_bit_identical_weights_and_settings_are_restored(digits):
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    rng_state = torch.get_rng_state()
    a = train("cnn", digits[0][:400], digits[1][:400], epochs=2, seed=7).ann
    b = train("cnn", digits[0][:400], digits[1][:400], epochs=2, seed=7).ann
    c = train("cnn", digits[0][:400], digits[1][:400], epochs=2, seed=8).ann
    for la, lb in zip(a.layers, b.layers):
        if not isinstance(la, AvgPool2d):
            assert np.array_equal(la.weight, lb.weight) and np.array_equal(la.bias, lb.bias)
    assert not np.array_equal(a.layers[0].weight, c.layers[0].weight)
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == det
    assert torch.equal(torch.get_rng_state(), rng_state)  # the caller's RNG is untouched


def test_deterministic_torch_restores_settings_after_an_error():
    threads = torch.get_num_threads()
    det = torch.are_deterministic_algorithms_enabled()
    with pytest.raises(RuntimeError):
        with deterministic_torch(1):
            assert torch.are_deterministic_algorithms_enabled()
            raise RuntimeError
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == det


@pytest.mark.parametrize("kind, floor", [("mlp", 0.9), ("cnn", 0.85), ("regression", 0.2)])
def test_short_training_learns(kind, floor, short_runs):
    res, (x_tr, y_tr, x_te, y_te) = short_runs[kind]
    untrained = train(kind, x_tr, y_tr, epochs=0, seed=1).ann
    assert evaluate(res.ann, x_te, y_te) >= floor  # chance: 0.1 accuracy, R^2 <= 0
    assert evaluate(untrained, x_te, y_te) < 0.3
    assert res.loss[-1] < res.loss[0]


def test_score():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    assert score("regression", y, y) == 1.0
    assert score("regression", np.full(4, y.mean()), y) == 0.0
    assert score("classification", np.array([1, 2, 3]), np.array([1, 2, 0])) == pytest.approx(2 / 3)


def test_defaults_match_the_specified_architectures(digits):
    assert DEFAULTS["mlp"].hidden == (100,)
    ann = train("mlp", digits[0][:50], digits[1][:50], epochs=0).ann
    assert isinstance(ann, Ann) and ann.shapes == ((1, 8, 8), (100,), (10,))
    cnn = train("cnn", digits[0][:50], digits[1][:50], epochs=0).ann
    assert cnn.shapes == ((1, 8, 8), (8, 8, 8), (8, 4, 4), (128,), (10,))
