"""Seeds: every stochastic step takes a seed spawned from one root seed of ``params.yaml``.

A params section holds one root seed per independent source of randomness that a user may want
to vary on its own (the data split, the training, the encoder). Where one piece of code needs
several independent streams from one root, it spawns them with numpy's ``SeedSequence`` instead
of writing ``seed + 1``, ``seed + 2`` ...: spawned children are statistically independent of
each other and of the children of any other root, while ``seed + 1`` of one stage is
``seed`` of the next.
"""

from __future__ import annotations

import numpy as np

__all__ = ["child_seed", "spawn_rngs", "spawn_seeds"]


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` independent 32-bit integer seeds spawned from ``root`` (same root, same seeds)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    children = np.random.SeedSequence(int(root)).spawn(n)
    return [int(child.generate_state(1, np.uint32)[0]) for child in children]


def spawn_rngs(root: int, n: int) -> list[np.random.Generator]:
    """``n`` independent numpy generators spawned from ``root``."""
    return [np.random.default_rng(child) for child in np.random.SeedSequence(int(root)).spawn(n)]


def child_seed(root: int, index: int) -> int:
    """The ``index``-th seed spawned from ``root`` (equal to ``spawn_seeds(root, n)[index]`` for
    any ``n > index``) without spawning the ones before it: for per-layer, per-epoch or
    per-batch streams."""
    if index < 0:
        raise ValueError(f"index must be >= 0, got {index}")
    child = np.random.SeedSequence(int(root), spawn_key=(int(index),))
    return int(child.generate_state(1, np.uint32)[0])
