"""Scheduling strategies of asynchronous SNN execution: which pending spikes a forward step emits.

In asynchronous execution (``neurobench.sim.asynchronous``) spikes wait in a queue until a
forward step emits them; each step emits at most ``F`` pending spikes per sample. A strategy
gives every pending spike a priority key (ascending: smaller keys go first); ``select`` then
takes the ``F`` smallest keys of each sample. Ties are broken by a second key and finally by the
flat neuron index, so the choice is a pure function of the queue, the strategy and its seed.

Randomness comes from a counter-based generator (``uniform``): a splitmix64 hash of
``(seed, sample, frame, step, neuron)``. The same pending spike therefore gets the same random
number whichever execution path (event-driven numpy or batched torch) or batch chunking asks for
it, which is what makes the two paths spike-for-spike identical for the same seed.

Strategies (Koopman et al. 2024, arXiv:2408.05098, and the authors' asynctorch):

* ``RandomScheduler`` (RS): a fresh uniform random key per pending spike and step.
* ``MomentumScheduler`` (MS): the largest relative membrane overshoot first,
  ``(v_pre - v_th) / v_th`` with ``v_pre`` the potential (mV) at the moment the neuron crossed
  its threshold; ties broken at random. Input events have no membrane: they count as an
  infinite overshoot (served first) when they share the queue (``prioritize_input=False``).
* ``FifoScheduler``: arrival order, the spike that entered the queue at the earliest forward
  step first; ties (same step) broken at random.
* ``RoundRobinScheduler``: per-layer round robin over the ``Q`` populations that can hold
  pending spikes (the input and every hidden layer): forward step ``s`` (1-based) serves
  population ``(s - 1) mod Q`` first, then the following ones cyclically; random order within a
  population.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FifoScheduler",
    "MomentumScheduler",
    "PendingSpikes",
    "RandomScheduler",
    "RoundRobinScheduler",
    "SCHEDULERS",
    "Scheduler",
    "make_scheduler",
    "select",
    "select_dense",
    "uniform",
]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser over a uint64 array (wrap-around arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def uniform(seed: int, *counters) -> np.ndarray:
    """Uniform numbers in [0, 1) that are a pure function of ``seed`` and integer ``counters``.

    ``u = (h >> 11) * 2**-53`` with ``h`` the splitmix64 hash chain of ``seed`` and the counters
    (broadcast together; each a non-negative integer or integer array). Returns float64 of the
    broadcast shape (at least 1-D).
    """
    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(c, dtype=np.int64)) for c in counters))
    h = _mix(np.full(arrays[0].shape, seed, dtype=np.uint64))
    for c in arrays:
        h = _mix(h ^ c.astype(np.uint64))
    return (h >> _S11).astype(np.float64) * 2.0**-53


@dataclass(frozen=True)
class PendingSpikes:
    """The queue of one forward step, one entry per neuron with at least one pending spike.

    Attributes
    ----------
    flat : (P,) int64
        ``b * n_total + neuron``: unique entry id (the final tie-break).
    sample : (P,) int64
        Global sample index (position in the whole data set), used by the random streams.
    neuron : (P,) int64
        Global neuron id: inputs ``0..n_in-1``, then layer 1, layer 2, ...
    layer : (P,) int64
        Population of the neuron: 0 = input, ``l`` = layer ``l`` (1-based).
    enqueued : (P,) int64
        Forward step of the frame at which the entry became non-empty (0 = frame start).
    overshoot : (P,) float64
        Relative overshoot ``(v_pre - v_th) / v_th`` of the neuron's latest spike; ``inf`` for inputs.
    frame, step : int
        Frame index and forward step (1-based) being scheduled.
    n_queues : int
        Number of populations that can hold pending spikes (input + hidden layers).
    """

    flat: np.ndarray
    sample: np.ndarray
    neuron: np.ndarray
    layer: np.ndarray
    enqueued: np.ndarray
    overshoot: np.ndarray
    frame: int
    step: int
    n_queues: int


class Scheduler(ABC):
    """A scheduling strategy: ``keys(pending) -> (primary, secondary)``, ascending priority."""

    name: str = "scheduler"

    def __init__(self, seed: int = 0) -> None:
        if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0):
            raise ValueError(f"scheduler seed must be an integer >= 0, got {seed!r}")
        self.seed = int(seed)

    def _random(self, p: PendingSpikes) -> np.ndarray:
        return uniform(self.seed, p.sample, p.frame, p.step, p.neuron)

    @abstractmethod
    def keys(self, p: PendingSpikes) -> tuple[np.ndarray, np.ndarray]:
        """Primary and secondary keys of every pending entry (smaller goes first)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed})"


class RandomScheduler(Scheduler):
    """Random scheduling (RS): a fresh uniform key per pending spike and forward step."""

    name = "random"

    def keys(self, p):
        return self._random(p), np.zeros(p.flat.shape)


class MomentumScheduler(Scheduler):
    """Momentum scheduling (MS): largest relative overshoot ``(v_pre - v_th) / v_th`` first."""

    name = "momentum"

    def keys(self, p):
        return -p.overshoot, self._random(p)


class FifoScheduler(Scheduler):
    """First in, first out: earliest ``enqueued`` step first, random among equals."""

    name = "fifo"

    def keys(self, p):
        return p.enqueued.astype(np.float64), self._random(p)


class RoundRobinScheduler(Scheduler):
    """Per-layer round robin: step ``s`` serves population ``(s - 1) mod Q`` first."""

    name = "round_robin"

    def keys(self, p):
        turn = (p.layer - (p.step - 1)) % max(p.n_queues, 1)
        return turn.astype(np.float64), self._random(p)


SCHEDULERS: dict[str, type[Scheduler]] = {
    cls.name: cls for cls in (RandomScheduler, MomentumScheduler, FifoScheduler, RoundRobinScheduler)
}


def make_scheduler(name: str | Scheduler, seed: int = 0) -> Scheduler:
    """A scheduler from its name (``random``, ``momentum``, ``fifo``, ``round_robin``)."""
    if isinstance(name, Scheduler):
        return name
    if name not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {tuple(SCHEDULERS)}, got {name!r}")
    return SCHEDULERS[name](seed)


def select(p: PendingSpikes, scheduler: Scheduler, forward_group: int,
           groups: np.ndarray | None = None) -> np.ndarray:
    """Indices into the entries of ``p`` emitted this step: the ``F`` best of each sample.

    Order within a sample: primary key, then secondary key, then ``flat`` (all ascending).
    Samples with at most ``F`` entries emit all of them without sorting. ``groups`` (optional)
    gives each entry's sample as a small non-negative integer (its position in the batch), which
    saves a sort.
    """
    if p.flat.size == 0:
        return np.zeros(0, dtype=np.int64)
    if groups is None:
        _, groups = np.unique(p.sample, return_inverse=True)
    crowded = np.bincount(groups)[groups] > forward_group
    if not crowded.any():
        return np.arange(p.flat.size)
    easy = np.flatnonzero(~crowded)
    hard = np.flatnonzero(crowded)
    sub = PendingSpikes(p.flat[hard], p.sample[hard], p.neuron[hard], p.layer[hard], p.enqueued[hard],
                        p.overshoot[hard], p.frame, p.step, p.n_queues)
    primary, secondary = scheduler.keys(sub)
    group = groups[hard]
    # Pre-selection (exact): sort by (sample, primary) only, take each sample's F-th smallest
    # primary key t; the winners are among the entries with primary <= t (ties included).
    by_key = np.argsort(primary)
    small = group.astype(np.int16) if group.max() < 2**15 else group  # radix sort for 16-bit keys
    by_group = by_key[np.argsort(small[by_key], kind="stable")]
    g_sorted = group[by_group]
    start = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(by_group.size) - start
    cutoff = np.full(group.max() + 1, -np.inf)
    at_f = rank == forward_group - 1
    cutoff[g_sorted[at_f]] = primary[by_group[at_f]]
    cand = np.flatnonzero(primary <= cutoff[group])
    order = cand[np.lexsort((sub.flat[cand], secondary[cand], primary[cand], group[cand]))]
    grouped = group[order]
    rank = np.arange(order.size) - np.searchsorted(grouped, grouped, side="left")
    return np.sort(np.concatenate([easy, hard[order[rank < forward_group]]]))


def select_dense(p: PendingSpikes, scheduler: Scheduler, forward_group: int, batch: int, n_total: int,
                 first: int = 0) -> np.ndarray:
    """The same choice as ``select``, computed the way asynctorch does: a (batch, ``n_total - first``)
    key matrix over the schedulable neurons ``first .. n_total - 1`` (the network's neurons, and the
    inputs too when they are queued: ``first = 0``) with ``+inf`` for entries not pending, a full
    stable sort of each sample's row, and the pending entries among the first ``F`` columns.

    ``p`` holds the pending entries (``flat = b * n_total + neuron``, ``b`` the position in the
    batch, ``neuron >= first``). Returns flat ids of the emitted entries (sorted). Keys come from
    ``scheduler.keys`` on the pending entries, so the choice equals ``select``'s.
    """
    primary, secondary = scheduler.keys(p)
    width = n_total - first
    b, col = p.flat // n_total, p.flat % n_total - first
    keys = np.full((batch, width), np.inf)
    keys[b, col] = primary
    if np.any(secondary):
        second = np.zeros((batch, width))
        second[b, col] = secondary
        order = np.lexsort((second, keys), axis=-1)[:, :forward_group]  # stable: column order breaks ties
    else:
        order = np.argsort(keys, axis=1, kind="stable")[:, :forward_group]
    pending = np.zeros((batch, width), dtype=bool)
    pending[b, col] = True
    rows = np.arange(batch)[:, None]
    chosen = (rows * n_total + first + order)[pending[rows, order]]
    return np.sort(chosen)
