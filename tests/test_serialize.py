"""Networks and ANNs survive a round trip through their .npz files, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.ann import Ann
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.serialize import load_ann, load_network, save_ann, save_network


def layers(rng):
    return (
        Conv2d(rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3), stride=1, padding=1),
        AvgPool2d(2, scale=0.9),
        Dense(rng.normal(size=(10, 48)), rng.normal(size=10)),
    )


def test_network_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    neurons = (NeuronParams(model="lif", v_th=1.5, reset="zero", tau_m=10.0, t_ref=2.0, tau_syn=3.0), NeuronParams(), NeuronParams(model="if", v_th=0.5))
    net = Network((1, 8, 8), layers(rng), neurons)
    back = load_network(save_network(tmp_path / "net.npz", net))
    assert back.input_shape == net.input_shape and back.neurons == net.neurons
    for a, b in zip(net.layers, back.layers):
        assert type(a) is type(b)
    for i in range(3):
        for x, y in zip(net.connectivity(i), back.connectivity(i)):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(net.bias(i), back.bias(i))
    assert back.layers[0].padding == 1 and back.layers[1].scale == 0.9


def test_ann_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    ann = Ann((1, 8, 8), layers(rng), ("relu", "relu", "linear"), "classification", "cnn")
    back = load_ann(save_ann(tmp_path / "ann.npz", ann))
    x = rng.random((4, 1, 8, 8))
    np.testing.assert_array_equal(ann.forward(x)[-1], back.forward(x)[-1])
    assert (back.name, back.task, back.activations) == ("cnn", "classification", ("relu", "relu", "linear"))


def test_wrong_kind_and_corrupt_files_name_the_path(tmp_path):
    rng = np.random.default_rng(2)
    path = save_ann(tmp_path / "ann.npz", Ann((4,), (Dense(rng.normal(size=(2, 4))),), ("linear",)))
    with pytest.raises(ValueError, match="ann.npz: not a readable neurobench network file"):
        load_network(path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="bad.npz: not a readable neurobench ann file"):
        load_ann(bad)
