"""Shared experiment helpers: the one geometric mean and the random test network."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench.experiments.common import geometric_mean, random_test_network
from neurobench.network import RandomNetworkParams, random_network
from neurobench.neurons import NeuronParams


def test_geometric_mean_of_known_values():
    assert geometric_mean([1.0, 4.0]) == pytest.approx(2.0)
    assert geometric_mean([2.0, 8.0, 4.0]) == pytest.approx(4.0)
    assert geometric_mean(pd.Series([0.5, 2.0])) == pytest.approx(1.0)
    assert geometric_mean(np.array([3.0])) == pytest.approx(3.0)


def test_random_test_network_is_the_simulator_default_network():
    neuron = NeuronParams(model="lif")
    net = random_test_network((1, 8, 8), neuron)
    direct = random_network((1, 8, 8), 4, 3, 2, 10, neuron, seed=0, weight_gain=1.5)
    assert net.sizes == direct.sizes == (64, 256, 64, 10)
    for i in range(len(net.layers)):
        np.testing.assert_array_equal(net.connectivity(i)[2], direct.connectivity(i)[2])
    other = random_test_network((1, 8, 8), neuron, RandomNetworkParams(weight_seed=1, conv_channels=2))
    assert other.sizes == (64, 128, 32, 10)
