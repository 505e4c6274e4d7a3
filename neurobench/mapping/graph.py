"""An SNN as a synapse graph weighted by recorded activity: the input of every mapper.

Neurons are numbered globally (input population first, then each layer's population, in
order); synapses are parallel arrays ``pre``, ``post``, ``weight``. ``spikes[n]`` is neuron
``n``'s spike count per inference (mean over the recorded batch). A synapse's *activation*
(eSpine's term) is what wears its cell:

* ``"pre"`` (default): ``a_s = spikes[pre_s]``, one read (or write) per presynaptic spike;
* ``"stdp"``: ``a_s = spikes[pre_s] + spikes[post_s]``, one weight update per pre- and per
  postsynaptic spike (online learning); whether eSpine counts writes or spikes is open (Q1).

Spike traffic between neurons, the quantity partitioning cuts, is the sparse symmetric matrix
``T[u, v] = sum of spikes[pre] over synapses between u and v`` (both directions).

Fan-in unrolling (the group's spatial decomposition, arXiv:2009.09298): a neuron with more
than ``n`` inputs cannot have all its synapses on one column of an ``n x n`` crossbar; its
inputs (in id order) are split into chunks of ``n`` feeding partial-sum neurons, which feed
the neuron. Partial-sum neurons are numbered after all others, chunk-major (all first chunks,
then all second chunks, ...), so that those sharing inputs are neighbours in index order. A
partial-sum neuron is given its neuron's spike count, and its synapse to the neuron the
largest weight magnitude of the graph [inferred].
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, Sequence

import networkx as nx
import numpy as np
import scipy.sparse as sp

Activation = Literal["pre", "stdp"]


@dataclass(frozen=True, eq=False)
class SynapseGraph:
    """Synapses and per-neuron spike counts of a workload (validated on construction).

    Attributes
    ----------
    pre, post : int arrays (S,)
        Global presynaptic and postsynaptic neuron of every synapse.
    weight : float array (S,)
        Synaptic weight (mV for the workbench's networks; only its magnitude is used here).
    spikes : float array (N,)
        Spikes per inference of every neuron, >= 0.
    population : int array (N,)
        Population (0 = input, i = layer i) of every neuron, for pictures and tables.
    partial : bool array (N,)
        True for partial-sum neurons added by ``unroll``.
    """

    pre: np.ndarray
    post: np.ndarray
    weight: np.ndarray
    spikes: np.ndarray
    population: np.ndarray | None = None
    partial: np.ndarray | None = None

    def __post_init__(self) -> None:
        pre = np.asarray(self.pre, dtype=np.int64)
        post = np.asarray(self.post, dtype=np.int64)
        weight = np.asarray(self.weight, dtype=np.float64)
        spikes = np.asarray(self.spikes, dtype=np.float64)
        n = spikes.shape[0]
        if spikes.ndim != 1 or not np.all(np.isfinite(spikes)) or np.any(spikes < 0):
            raise ValueError("SynapseGraph.spikes must be a 1-D array of finite counts >= 0")
        if not (pre.shape == post.shape == weight.shape and pre.ndim == 1):
            raise ValueError(f"SynapseGraph pre, post, weight must be 1-D of equal length, got "
                             f"{pre.shape}, {post.shape}, {weight.shape}")
        if pre.size and (pre.min() < 0 or post.min() < 0 or max(pre.max(), post.max()) >= n):
            raise ValueError(f"SynapseGraph neuron ids must lie in [0, {n}) (spikes has {n} entries)")
        population = np.zeros(n, np.int64) if self.population is None else np.asarray(self.population, np.int64)
        partial = np.zeros(n, bool) if self.partial is None else np.asarray(self.partial, bool)
        if population.shape != (n,) or partial.shape != (n,):
            raise ValueError(f"SynapseGraph population and partial need {n} entries")
        for name, value in (("pre", pre), ("post", post), ("weight", weight), ("spikes", spikes),
                            ("population", population), ("partial", partial)):
            object.__setattr__(self, name, value)

    @property
    def n_neurons(self) -> int:
        return int(self.spikes.shape[0])

    @property
    def n_synapses(self) -> int:
        return int(self.pre.shape[0])

    def activation(self, mode: Activation = "pre") -> np.ndarray:
        """Activation of every synapse per inference (module docstring)."""
        if mode == "pre":
            return self.spikes[self.pre]
        if mode == "stdp":
            return self.spikes[self.pre] + self.spikes[self.post]
        raise ValueError(f"activation mode must be 'pre' or 'stdp', got {mode!r}")

    def fan_in(self) -> np.ndarray:
        return np.bincount(self.post, minlength=self.n_neurons)

    def traffic(self) -> sp.csr_matrix:
        """Symmetric (N, N) spike traffic between neurons (module docstring), zero diagonal."""
        n = self.n_neurons
        t = sp.coo_matrix((self.spikes[self.pre], (self.pre, self.post)), shape=(n, n)).tocsr()
        t = (t + t.T).tocsr()
        t.setdiag(0)
        t.eliminate_zeros()
        return t

    def total_spikes(self) -> float:
        return float(self.spikes.sum())


def from_network(network, spike_counts: Sequence[np.ndarray]) -> SynapseGraph:
    """Synapse graph of a ``neurobench.network.Network`` with recorded spike counts.

    Parameters
    ----------
    network : Network
    spike_counts : sequence of arrays
        One per population (input first, then every layer): (n,) or (batch, n) spike counts,
        averaged over the batch.
    """
    sizes = network.sizes
    if len(spike_counts) != len(sizes):
        raise ValueError(f"spike_counts needs {len(sizes)} arrays (input + {len(sizes) - 1} layers), got {len(spike_counts)}")
    counts = []
    for i, (c, n) in enumerate(zip(spike_counts, sizes)):
        c = np.asarray(c, dtype=np.float64)
        c = c.reshape(-1, n).mean(axis=0) if c.ndim > 1 else c
        if c.shape != (n,):
            raise ValueError(f"spike_counts[{i}] must have {n} neurons, got shape {np.shape(spike_counts[i])}")
        counts.append(c)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    pre, post, w = [], [], []
    for i in range(len(network.layers)):
        p, q, v = network.connectivity(i)
        pre.append(p + offsets[i])
        post.append(q + offsets[i + 1])
        w.append(v)
    population = np.repeat(np.arange(len(sizes)), sizes)
    return SynapseGraph(np.concatenate(pre), np.concatenate(post), np.concatenate(w),
                        np.concatenate(counts), population)


def from_record(network, record) -> SynapseGraph:
    """``from_network`` with the counts of a ``neurobench.sim.SimRecord``."""
    counts = [record.input_spike_count] + [layer.spike_count for layer in record.layers]
    return from_network(network, counts)


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
