"""Seeds spawned from one root: reproducible, independent of each other, and of neighbouring roots."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.seeds import child_seed, spawn_rngs, spawn_seeds


def test_spawned_seeds_are_reproducible_and_distinct():
    assert spawn_seeds(3, 5) == spawn_seeds(3, 5)
    assert len(set(spawn_seeds(3, 100))) == 100


def test_child_seed_is_the_index_th_spawned_seed():
    assert [child_seed(11, i) for i in range(6)] == spawn_seeds(11, 6)


def test_children_of_neighbouring_roots_do_not_collide_as_seed_plus_k_would():
    # with `seed + k`, root 0's second stream is root 1's first; spawned streams never coincide
    assert not set(spawn_seeds(0, 50)) & set(spawn_seeds(1, 50))


def test_spawned_generators_draw_independent_streams():
    a, b = spawn_rngs(0, 2)
    x, y = a.standard_normal(20_000), b.standard_normal(20_000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.03


@pytest.mark.parametrize("call", [lambda: spawn_seeds(0, -1), lambda: child_seed(0, -1)])
def test_negative_counts_are_rejected(call):
    with pytest.raises(ValueError):
        call()
