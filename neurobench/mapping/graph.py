"""An SNN as a synapse graph weighted by recorded activity: the input of every mapper.

The graph type itself, :class:`~neurobench.hardware.workload.SynapseGraph` (synapses and
per-neuron spike counts per inference, the activation of a synapse, spike traffic between
neurons), and ``from_network`` / ``from_record`` live in ``neurobench.hardware.workload`` (shared
with the many-core timing model) and are re-exported here. This module adds the mapper's views
of it.

Fan-in unrolling (the group's spatial decomposition, arXiv:2009.09298): a neuron with more
than ``n`` inputs cannot have all its synapses on one column of an ``n x n`` crossbar; its
inputs (in id order) are split into chunks of ``n`` feeding partial-sum neurons, which feed
the neuron. Partial-sum neurons are numbered after all others, chunk-major (all first chunks,
then all second chunks, ...), so that those sharing inputs are neighbours in index order. A
partial-sum neuron is given its neuron's spike count, and its synapse to the neuron the
largest weight magnitude of the graph [inferred].
"""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np

from ..hardware.workload import Activation, SynapseGraph, from_network, from_record

__all__ = ["Activation", "SynapseGraph", "from_network", "from_record", "to_networkx", "unroll"]


def unroll(graph: SynapseGraph, n: int) -> SynapseGraph:
    """Split every fan-in above ``n`` into partial-sum neurons of at most ``n`` inputs each."""
    if n < 2:
        raise ValueError(f"unroll needs a crossbar size n >= 2, got {n}")
    g = graph
    while g.n_synapses and g.fan_in().max() > n:
        fan = g.fan_in()
        order = np.argsort(g.post, kind="stable")
        post_sorted = g.post[order]
        starts = np.concatenate([[0], np.cumsum(fan)])[post_sorted]
        rank = np.arange(order.size) - starts  # position of each synapse among its post's inputs
        big = fan[post_sorted] > n
        chunk = rank // n
        # one partial-sum neuron per (big post, chunk)
        key_post = post_sorted[big]
        key_chunk = chunk[big]
        n_chunks = -(-fan // n)
        first = np.concatenate([[0], np.cumsum(np.where(fan > n, n_chunks, 0))])
        n_new = int(first[-1])
        owners = np.repeat(np.arange(g.n_neurons), np.where(fan > n, n_chunks, 0))
        chunks = np.arange(n_new) - first[owners]
        # number partial-sum neurons chunk-major: those reading the same inputs are neighbours
        by_chunk = np.lexsort((owners, chunks))
        rank = np.empty(n_new, np.int64)
        rank[by_chunk] = np.arange(n_new)
        new_post = g.post.copy()
        new_post[order[big]] = g.n_neurons + rank[first[key_post] + key_chunk]
        owners = owners[by_chunk]
        partial_ids = g.n_neurons + np.arange(n_new)
        pre = np.concatenate([g.pre, partial_ids])
        post = np.concatenate([new_post, owners])
        w_max = float(np.abs(g.weight).max()) if g.n_synapses else 1.0
        weight = np.concatenate([g.weight, np.full(n_new, w_max)])
        spikes = np.concatenate([g.spikes, g.spikes[owners]])
        population = np.concatenate([g.population, g.population[owners]])
        partial = np.concatenate([g.partial, np.ones(n_new, bool)])
        g = replace(g, pre=pre, post=post, weight=weight, spikes=spikes, population=population, partial=partial)
    return g


def to_networkx(graph: SynapseGraph) -> nx.Graph:
    """Undirected networkx graph: a node per neuron, edges weighted by spike traffic (``weight``)."""
    g = nx.from_scipy_sparse_array(graph.traffic(), edge_attribute="weight")
    return g
