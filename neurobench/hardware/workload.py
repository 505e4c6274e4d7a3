"""What runs on a chip: a workload (synapse graph + spike activity) and an assignment of its neurons.

One workload type and one assignment type serve both hardware models of the workbench: the
endurance mapping (``neurobench.mapping``) and the many-core timing model
(``neurobench.hardware.multicore``). A mapping computed by ``neurobench.mapping`` is an
:class:`Assignment` of the workload's neurons to mesh positions and can drive the timing model.

Workload
--------
Neurons are numbered globally (input population first, then each layer's population, in
order); synapses are parallel arrays ``pre``, ``post``, ``weight`` (:class:`SynapseGraph`).
``spikes[n]`` is neuron ``n``'s spike count per inference (mean over the recorded batch). A
synapse's *activation* (eSpine's term) is what wears its cell:

* ``"pre"`` (default): ``a_s = spikes[pre_s]``, one read (or write) per presynaptic spike;
* ``"stdp"``: ``a_s = spikes[pre_s] + spikes[post_s]``, one weight update per pre- and per
  postsynaptic spike (online learning); whether eSpine counts writes or spikes is open (Q1).

Spike traffic between neurons, the quantity partitioning cuts, is the sparse symmetric matrix
``T[u, v] = sum of spikes[pre] over synapses between u and v`` (both directions).

A :class:`Workload` is a named graph and, when the spikes were recorded step by step, the spike
trains ``trains`` (batch, n_steps, N) of every neuron: the endurance mapping reads the counts,
the timing model replays the trains.

Assignment
----------
``Assignment.core_of[v]`` is the mesh position (a core of the many-core chip, a crossbar tile
of the endurance chip, or, before placement, a crossbar-sized cluster) of neuron ``v``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np
import scipy.sparse as sp

__all__ = ["Activation", "Assignment", "SynapseGraph", "Workload", "from_network", "from_record", "offsets"]

Activation = Literal["pre", "stdp"]


def offsets(sizes: Sequence[int]) -> np.ndarray:
    """Global id of the first neuron of every population, plus the total: (n_pops + 1,) int64."""
    return np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))]).astype(np.int64)


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


@dataclass(frozen=True, eq=False)
class Workload:
    """A named synapse graph with its spike activity: what every hardware model consumes.

    Attributes
    ----------
    name : str
    graph : SynapseGraph
        Synapses and spikes per inference of every neuron.
    topology : str
        Short description (e.g. "MLP", "feed-forward").
    source : str
        "generator" (synthetic counts) or "simulated" (recorded by ``neurobench.sim``).
    trains : bool array (batch, n_steps, N), optional
        Spike trains of every neuron (global ids), when recorded step by step; needed by the
        many-core timing model, which replays them.
    """

    name: str
    graph: SynapseGraph
    topology: str = ""
    source: str = "generator"
    trains: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.trains is not None:
            trains = np.asarray(self.trains).astype(bool, copy=False)
            if trains.ndim != 3 or trains.shape[2] != self.graph.n_neurons:
                raise ValueError(f"Workload.trains must have shape (batch, n_steps, {self.graph.n_neurons}), "
                                 f"got {trains.shape}")
            object.__setattr__(self, "trains", trains)

    @classmethod
    def from_network(cls, network, trains: Sequence[np.ndarray], name: str = "network",
                     topology: str | None = None) -> "Workload":
        """The workload of a ``neurobench.network.Network`` from its recorded spike trains.

        ``trains``: one (batch, n_steps, n_p) array of 0/1 per population, input first
        (``neurobench.hardware.multicore.spike_trains``); spike counts per inference are their
        sums over time, averaged over the batch.
        """
        sizes = network.sizes
        if len(trains) != len(sizes):
            raise ValueError(f"need spike trains for {len(sizes)} populations (input first), got {len(trains)}")
        batch, steps = np.asarray(trains[0]).shape[:2]
        flat = []
        for i, (s, n) in enumerate(zip(trains, sizes)):
            s = np.asarray(s)
            if s.shape != (batch, steps, n):
                raise ValueError(f"spike train of population {i} must have shape {(batch, steps, n)}, got {s.shape}")
            flat.append(s.astype(bool))
        counts = [s.sum(axis=1) for s in flat]
        kinds = "-".join(type(layer).__name__ for layer in network.layers)
        return cls(name, from_network(network, counts), topology or kinds, "simulated",
                   np.concatenate(flat, axis=2))

    @property
    def n_samples(self) -> int:
        """Samples (batch) of the recorded trains."""
        return int(self.trains.shape[0]) if self.trains is not None else 0

    @property
    def steps_per_sample(self) -> int:
        """Time steps per sample of the recorded trains."""
        return int(self.trains.shape[1]) if self.trains is not None else 0


@dataclass(frozen=True, eq=False)
class Assignment:
    """The mesh position of every neuron: ``core_of[v]`` in ``0 .. n_cores - 1``.

    The one way to say which core, tile or cluster a neuron is on. ``n_cores`` defaults to
    ``max(core_of) + 1``. The mapping's names ``cluster_of`` and ``n_clusters`` (a cluster is a
    crossbar's worth of neurons before placement) are the same attributes.
    """

    core_of: np.ndarray
    n_cores: int | None = None

    def __post_init__(self) -> None:
        c = np.asarray(self.core_of, dtype=np.int64)
        if c.ndim != 1:
            raise ValueError(f"Assignment.core_of must be 1-D, got shape {c.shape}")
        top = int(c.max()) + 1 if c.size else 0
        n = top if self.n_cores is None else int(self.n_cores)
        if c.size and (int(c.min()) < 0 or top > n):
            raise ValueError(f"core indices must lie in [0, {n - 1}], got [{int(c.min())}, {top - 1}]")
        object.__setattr__(self, "core_of", c)
        object.__setattr__(self, "n_cores", n)

    @classmethod
    def of(cls, value, n_cores: int | None = None) -> "Assignment":
        """``value`` if it is an Assignment (``n_cores`` overriding), else an array of core indices."""
        if isinstance(value, Assignment):
            return value if n_cores is None or n_cores == value.n_cores else cls(value.core_of, n_cores)
        return cls(value, n_cores)

    @property
    def n_neurons(self) -> int:
        return int(self.core_of.size)

    @property
    def cluster_of(self) -> np.ndarray:
        """``core_of`` under the mapping's name."""
        return self.core_of

    @property
    def n_clusters(self) -> int:
        """``n_cores`` under the mapping's name."""
        return self.n_cores

    def sizes(self) -> np.ndarray:
        """Neurons on every core, (n_cores,) int64."""
        return np.bincount(self.core_of, minlength=self.n_cores)

    def split(self, sizes: Sequence[int]) -> list[np.ndarray]:
        """``core_of`` as one array per population of ``sizes`` (neurons per population, input first)."""
        off = offsets(sizes)
        if self.core_of.shape != (off[-1],):
            raise ValueError(f"assignment must have one entry per neuron ({off[-1]}), got {self.core_of.size}")
        return [self.core_of[off[i]:off[i + 1]] for i in range(len(sizes))]

    def placed(self, tile_of, n_tiles: int | None = None) -> "Assignment":
        """Neuron -> tile: this assignment (neuron -> cluster) followed by ``tile_of`` (cluster -> tile)."""
        tile_of = np.asarray(tile_of, dtype=np.int64)
        return Assignment(tile_of[self.core_of], n_tiles)

    def first(self, n: int) -> "Assignment":
        """The assignment of neurons ``0 .. n-1`` only (e.g. without ``unroll``'s partial-sum neurons)."""
        return Assignment(self.core_of[:n], self.n_cores)
