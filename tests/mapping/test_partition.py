"""KL partitioning: clusters fit the crossbar and cut fewer spikes than random partitions."""

from __future__ import annotations

import numpy as np

from neurobench.mapping import workloads as W
from neurobench.mapping.graph import unroll
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


def _interleaved_communities(m=8):
    """Two all-to-all recurrent communities of ``m`` neurons, interleaved in id order (community
    of neuron v = v % 2): each fits an m x m crossbar, index order cuts every community in half."""
    from neurobench.mapping.graph import SynapseGraph

    ids = np.arange(2 * m)
    pre, post = [], []
    for c in (0, 1):
        members = ids[ids % 2 == c]
        p, q = np.meshgrid(members, members, indexing="ij")
        keep = p != q
        pre.append(p[keep])
        post.append(q[keep])
    return SynapseGraph(np.concatenate(pre), np.concatenate(post), np.ones(2 * m * (m - 1)), np.full(2 * m, 5.0))


def test_kl_bisection_never_worse_than_its_random_start():
    # the package's partition_kl (recursive KL from the index-order halving) against its start and
    # against sequential (index-order) partitioning, on a graph where index order is the worst cut
    m = 8
    g = _interleaved_communities(m)
    kl = partition_kl(g, m, seed=0)
    seq = partition_sequential(g, m)
    assert fits(g, kl, m) and kl.n_clusters == 2
    assert cut_spikes(g, kl.cluster_of) == 0.0  # KL finds the two communities
    assert cut_spikes(g, seq.cluster_of) > 0.0
    start = (np.arange(2 * m) >= m).astype(int)  # KL's start: the index-order halving
    assert cut_spikes(g, kl.cluster_of) <= cut_spikes(g, start)
    # and on a real workload, never worse than random starts of the same sizes
    w = _graph()
    kl_w = partition_kl(w, N, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(3):
        assert cut_spikes(w, kl_w.cluster_of) <= cut_spikes(w, rng.permutation(kl_w.cluster_of))


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
