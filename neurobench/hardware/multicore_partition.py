"""Simple partitions of a layered SNN's neurons onto the cores of a many-core chip.

A partition is an :class:`~neurobench.hardware.workload.Assignment`: the core of every neuron
in global order (input population first, then each layer, each population flattened in C-order:
neuron ``j`` of population ``p`` is entry ``offsets[p] + j`` with ``offsets = cumsum([0,
*sizes])`` and ``sizes = network.sizes``). Any assignment of that form (for example
``Mapping.assignment()`` of ``neurobench.mapping``) can drive ``neurobench.hardware.multicore``.

Partitioners here (all pure, seeded where random):

* ``contiguous``: each population gets its own cores, in proportion to its size (largest
  remainder, at least one each, when there are at least as many cores as populations), and is cut
  into contiguous, equal (+-1 neuron) blocks over them; with fewer cores than populations the
  flat neuron list is cut into ``n_cores`` equal blocks.
* ``round_robin``: neuron ``k`` of the flat list on core ``k mod n_cores``.
* ``random``: every neuron on a uniformly random core (``np.random.default_rng(seed)``).
* ``imbalanced``: like ``contiguous``, but the ``k`` cores of a population receive block sizes
  proportional to ``1 + imbalance * r / (k - 1)``, ``r = 0 .. k-1`` (a linear ramp: the largest
  block is ``1 + imbalance`` times the smallest). ``imbalance = 0`` is ``contiguous``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .workload import Assignment, offsets

__all__ = ["contiguous", "imbalanced", "partition_offsets", "random", "round_robin", "split"]


def _check(sizes: Sequence[int], n_cores: int) -> np.ndarray:
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or sizes.size == 0 or np.any(sizes < 1):
        raise ValueError(f"sizes must be a non-empty list of population sizes >= 1, got {sizes.tolist()}")
    if not (isinstance(n_cores, (int, np.integer)) and n_cores >= 1):
        raise ValueError(f"n_cores = {n_cores!r} is not allowed: must be an integer >= 1")
    return sizes


def partition_offsets(sizes: Sequence[int]) -> np.ndarray:
    """Start of every population in the global neuron order, plus the total: (n_pops + 1,)."""
    return offsets(sizes)


def split(partition, sizes: Sequence[int]) -> list[np.ndarray]:
    """The core of every neuron of ``partition`` (an Assignment or array) as one array per population."""
    return Assignment.of(partition).split(sizes)


def _cores_per_population(sizes: np.ndarray, n_cores: int) -> np.ndarray:
    """Largest-remainder allocation of ``n_cores`` to populations, at least one core each."""
    n_pops = sizes.size
    extra = n_cores - n_pops
    quota = extra * sizes / sizes.sum()
    alloc = np.floor(quota).astype(np.int64)
    remainder = extra - alloc.sum()
    order = np.argsort(-(quota - alloc), kind="stable")
    alloc[order[:remainder]] += 1
    return alloc + 1


def _blocks(n: int, shares: np.ndarray) -> np.ndarray:
    """Core rank (0 .. len(shares)-1) of each of ``n`` neurons for contiguous blocks of the given shares."""
    bounds = np.rint(np.cumsum(shares) / shares.sum() * n).astype(np.int64)
    return np.searchsorted(bounds, np.arange(n), side="right")


def imbalanced(sizes: Sequence[int], n_cores: int, imbalance: float) -> Assignment:
    """Contiguous blocks per population with a linear ramp of block sizes (module docstring).

    Parameters
    ----------
    sizes : sequence of int
        Neurons per population, input first (``network.sizes``).
    n_cores : int
    imbalance : float
        >= 0; the largest block of a population is ``1 + imbalance`` times its smallest.
    """
    sizes = _check(sizes, n_cores)
    if not (imbalance >= 0 and np.isfinite(imbalance)):
        raise ValueError(f"imbalance = {imbalance} is not allowed: must be a finite value >= 0")
    if n_cores < sizes.size:
        shares = 1.0 + imbalance * np.linspace(0.0, 1.0, n_cores)
        return Assignment(_blocks(int(sizes.sum()), shares), n_cores)
    alloc = _cores_per_population(sizes, n_cores)
    parts, first = [], 0
    for n, k in zip(sizes, alloc):
        shares = 1.0 + imbalance * (np.arange(k) / (k - 1) if k > 1 else np.zeros(1))
        parts.append(first + _blocks(int(n), shares))
        first += int(k)
    return Assignment(np.concatenate(parts).astype(np.int64), n_cores)


def contiguous(sizes: Sequence[int], n_cores: int) -> Assignment:
    """Each population on its own cores, in contiguous equal blocks (module docstring)."""
    return imbalanced(sizes, n_cores, 0.0)


def round_robin(sizes: Sequence[int], n_cores: int) -> Assignment:
    """Neuron ``k`` of the flat neuron list on core ``k mod n_cores``."""
    sizes = _check(sizes, n_cores)
    return Assignment(np.arange(int(sizes.sum()), dtype=np.int64) % n_cores, n_cores)


def random(sizes: Sequence[int], n_cores: int, seed: int) -> Assignment:
    """Every neuron on a uniformly random core; the same ``seed`` gives the same partition."""
    sizes = _check(sizes, n_cores)
    return Assignment(np.random.default_rng(seed).integers(0, n_cores, size=int(sizes.sum()), dtype=np.int64), n_cores)
