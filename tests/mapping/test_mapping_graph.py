"""Synapse graphs from networks and records, traffic, fan-in unrolling, workload generator counts."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.mapping import workloads as W
from neurobench.mapping.graph import SynapseGraph, from_network, to_networkx, unroll
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate


def test_from_network_numbers_populations_and_averages_counts():
    net = Network((3,), (Dense(np.ones((2, 3))), Dense(np.ones((1, 2)))))
    counts = [np.array([[1, 2, 3], [3, 2, 1]]), np.array([4, 0]), np.array([5])]
    g = from_network(net, counts)
    assert g.n_neurons == 6 and g.n_synapses == 8
    np.testing.assert_array_equal(g.spikes, [2, 2, 2, 4, 0, 5])
    np.testing.assert_array_equal(g.population, [0, 0, 0, 1, 1, 2])
    assert set(zip(g.pre.tolist(), g.post.tolist())) >= {(0, 3), (2, 4), (3, 5), (4, 5)}
    np.testing.assert_array_equal(g.activation("pre")[g.post == 5], [4, 0])


def test_workload_from_simulated_network_matches_record():
    rng = np.random.default_rng(0)
    net = Network((8,), (Dense(rng.normal(0.6, 0.2, (5, 8))),), NeuronParams(model="if"))
    x = (rng.random((3, 20, 8)) < 0.3).astype(float)
    rec = simulate(net, x, 1.0)
    w = W.workload_from_network(net, rec, name="tiny")
    assert w.source == "simulated" and w.graph.n_synapses == 40
    np.testing.assert_allclose(w.graph.spikes[8:], rec.layers[0].spike_count.mean(axis=0))
    np.testing.assert_allclose(w.graph.spikes[:8], x.sum(axis=1).mean(axis=0))


def test_traffic_is_symmetric_spike_count_per_pair():
    g = SynapseGraph([0, 1, 0], [1, 0, 2], [1.0, 1.0, 1.0], [3.0, 5.0, 0.0])
    t = g.traffic().toarray()
    assert t[0, 1] == t[1, 0] == 8.0 and t[0, 2] == t[2, 0] == 3.0 and t[1, 2] == 0
    nxg = to_networkx(g)
    assert nxg[0][1]["weight"] == 8.0


def test_unroll_bounds_fan_in_and_preserves_every_synapse():
    rng = np.random.default_rng(1)
    pre = np.arange(300) % 30
    post = np.repeat([30, 31], 150)
    g = SynapseGraph(pre, post, rng.normal(size=300), rng.integers(0, 5, 32).astype(float))
    u = unroll(g, 8)
    assert u.fan_in().max() <= 8
    # every original synapse is still there (now into a partial-sum neuron) with its pre and weight
    original = u.pre < 30
    assert original.sum() == 300
    np.testing.assert_array_equal(np.sort(u.weight[original]), np.sort(g.weight))
    # partial-sum neurons feed their owner, carry its spike count
    assert u.partial.sum() == u.n_neurons - 32 and u.partial[u.post[original]].all()
    owners = u.post[u.partial[u.pre]]
    assert set(owners.tolist()) <= {30, 31, *np.flatnonzero(u.partial).tolist()}


def test_digit_mlp_has_the_published_size():
    w = W.digit_mlp()
    assert (w.graph.n_neurons, w.graph.n_synapses) == (894, 79_400)  # summary §9, T8
    table = W.table([w, W.heart_lsm()])
    assert list(table["synapses"])[0] == 79_400


def test_generators_are_seeded():
    a, b = W.classic("edge_detection", seed=4), W.classic("edge_detection", seed=4)
    assert np.array_equal(a.graph.spikes, b.graph.spikes) and np.array_equal(a.graph.pre, b.graph.pre)
    with pytest.raises(ValueError, match="unknown workload"):
        W.classic("alexnet")
