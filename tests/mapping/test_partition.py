"""KL partitioning: clusters fit the crossbar and cut fewer spikes than random partitions."""

from __future__ import annotations

import networkx as nx
import numpy as np
from networkx.algorithms.community import kernighan_lin_bisection

from neurobench.mapping import workloads as W
from neurobench.mapping.graph import to_networkx, unroll
from neurobench.mapping.partition import (
    cluster_traffic,
    cut_spikes,
    fits,
    partition_kl,
    partition_random,
    partition_sequential,
    usage,
)

N = 32


def _graph():
    return unroll(W.edge_detection(side=16, seed=2).graph, N)


def test_every_kl_and_sequential_cluster_fits_the_crossbar():
    g = _graph()
    for clustering in (partition_kl(g, N, seed=0), partition_sequential(g, N)):
        rows, cols = usage(g, clustering.cluster_of)
        assert rows.max() <= N and cols.max() <= N
        assert fits(g, clustering, N)


def test_kl_never_cuts_more_spikes_than_random_partitions_of_the_same_sizes():
    g = _graph()
    kl = partition_kl(g, N, seed=0)
    kl_cut = cut_spikes(g, kl.cluster_of)
    random_cuts = [cut_spikes(g, partition_random(g, kl.sizes(), seed=s).cluster_of) for s in range(10)]
    assert kl_cut <= min(random_cuts)
    assert kl_cut < 0.8 * np.mean(random_cuts)  # measured: 0.73


def test_kl_bisection_never_worse_than_its_random_start():
    g = _graph()
    nxg = to_networkx(g)
    for seed in range(3):
        a, b = kernighan_lin_bisection(nxg, max_iter=10, weight="weight", seed=seed)
        rng = np.random.default_rng(seed)
        perm = rng.permutation(g.n_neurons)
        ra = set(perm[: g.n_neurons // 2].tolist())
        kl_cut = nx.cut_size(nxg, a, b, weight="weight")
        random_cut = nx.cut_size(nxg, ra, set(range(g.n_neurons)) - ra, weight="weight")
        assert kl_cut <= random_cut


def test_kl_is_deterministic_under_a_seed():
    g = _graph()
    assert np.array_equal(partition_kl(g, N, seed=5).cluster_of, partition_kl(g, N, seed=5).cluster_of)


def test_cut_and_cluster_traffic_on_a_hand_example():
    from neurobench.mapping.graph import SynapseGraph

    # neuron 0 (3 spikes) -> 1 and 2; neuron 1 (2 spikes) -> 2. Clusters {0}, {1, 2}.
    g = SynapseGraph([0, 0, 1], [1, 2, 2], [1.0, 1.0, 1.0], [3.0, 2.0, 0.0])
    cluster_of = np.array([0, 1, 1])
    assert cut_spikes(g, cluster_of) == 6.0  # per synapse
    t = cluster_traffic(g, cluster_of)
    assert t[0, 1] == 3.0 and t[1, 0] == 0.0  # multicast: one spike per destination cluster


def test_metis_clusters_fit_and_cut_fewer_spikes_than_random_partitions():
    from neurobench.mapping.partition import partition_metis

    g = _graph()
    metis = partition_metis(g, N, seed=0)
    assert fits(g, metis, N)
    cut = cut_spikes(g, metis.cluster_of)
    random_cuts = [cut_spikes(g, partition_random(g, metis.sizes(), seed=s).cluster_of) for s in range(10)]
    assert cut <= min(random_cuts)
    assert cut <= 1.05 * cut_spikes(g, partition_kl(g, N, seed=0).cluster_of)  # as good as KL here
    assert np.array_equal(metis.cluster_of, partition_metis(g, N, seed=0).cluster_of)


def test_unknown_partition_method_is_named():
    import pytest

    with pytest.raises(ValueError, match="partition method = 'spectral'"):
        partition_kl(_graph(), N, seed=0, method="spectral")
