"""Scheduling strategies: which pending spikes a forward step emits, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.sim.schedulers import (
    FifoScheduler,
    MomentumScheduler,
    PendingSpikes,
    RandomScheduler,
    RoundRobinScheduler,
    make_scheduler,
    select,
    select_dense,
    uniform,
)


def _queue(sample, layer, enqueued, overshoot, step=1):
    sample = np.asarray(sample, dtype=np.int64)
    n = sample.size
    neuron = np.arange(n, dtype=np.int64) + 10
    return PendingSpikes(flat=sample * 100 + neuron, sample=sample, neuron=neuron,
                         layer=np.asarray(layer, dtype=np.int64), enqueued=np.asarray(enqueued, dtype=np.int64),
                         overshoot=np.asarray(overshoot, dtype=float), frame=0, step=step, n_queues=3)


def test_uniform_is_a_pure_function_of_its_counters_and_covers_the_unit_interval():
    a = uniform(3, np.arange(100_000), 7)
    np.testing.assert_array_equal(a, uniform(3, np.arange(100_000), 7))
    assert not np.array_equal(a, uniform(4, np.arange(100_000), 7))
    assert 0.0 <= a.min() and a.max() < 1.0
    assert abs(a.mean() - 0.5) < 0.005 and abs(a.var() - 1 / 12) < 0.002
    # an element's value does not depend on the others in the call
    assert uniform(3, [5], 7)[0] == a[5]


def test_select_takes_at_most_F_entries_per_sample():
    q = _queue([0] * 5 + [1] * 2 + [2] * 4, [1] * 11, [0] * 11, [0.1] * 11)
    chosen = select(q, RandomScheduler(0), 3)
    assert np.bincount(q.sample[chosen], minlength=3).tolist() == [3, 2, 3]


def test_momentum_emits_the_largest_overshoot_first():
    q = _queue([0, 0, 0, 0, 1, 1], [1] * 6, [0] * 6, [0.2, 1.5, 0.7, 0.9, 0.1, 3.0])
    chosen = select(q, MomentumScheduler(0), 2)
    assert sorted(q.neuron[chosen].tolist()) == [11, 13, 14, 15]


def test_momentum_serves_queued_inputs_first():
    q = _queue([0, 0, 0], [0, 1, 1], [0, 0, 0], [np.inf, 5.0, 2.0])
    assert q.neuron[select(q, MomentumScheduler(0), 1)].tolist() == [10]


def test_fifo_emits_in_arrival_order():
    q = _queue([0] * 5, [1, 2, 1, 2, 1], [3, 1, 2, 0, 4], [0.0] * 5)
    assert sorted(q.neuron[select(q, FifoScheduler(0), 3)].tolist()) == [11, 12, 13]


@pytest.mark.parametrize("step, first_layer", [(1, 0), (2, 1), (3, 2), (4, 0)])
def test_round_robin_starts_with_the_layer_whose_turn_it_is(step, first_layer):
    q = _queue([0] * 6, [0, 0, 1, 1, 2, 2], [0] * 6, [0.0] * 6, step=step)
    chosen = select(q, RoundRobinScheduler(0), 2)
    assert set(q.layer[chosen].tolist()) == {first_layer}
    chosen4 = select(q, RoundRobinScheduler(0), 4)
    assert set(q.layer[chosen4].tolist()) == {first_layer, (first_layer + 1) % 3}


def test_random_scheduler_is_seeded_and_unbiased():
    picks = []
    for step in range(1, 2001):
        q = _queue([0] * 4, [1] * 4, [0] * 4, [0.0] * 4, step=step)
        picks.append(q.neuron[select(q, RandomScheduler(9), 1)][0])
    counts = np.bincount(np.array(picks) - 10, minlength=4)
    assert counts.min() > 400  # each of 4 neurons about 500 times
    again = [_queue([0] * 4, [1] * 4, [0] * 4, [0.0] * 4, step=s) for s in range(1, 50)]
    assert [select(q, RandomScheduler(9), 1).tolist() for q in again] == \
        [select(q, RandomScheduler(9), 1).tolist() for q in again]


def test_make_scheduler_names_and_errors():
    assert isinstance(make_scheduler("momentum", 3), MomentumScheduler)
    assert make_scheduler("fifo", 2).seed == 2
    with pytest.raises(ValueError, match="scheduler"):
        make_scheduler("lifo")
    with pytest.raises(ValueError, match="seed"):
        RandomScheduler(-1)


@pytest.mark.parametrize("scheduler", [RandomScheduler(1), MomentumScheduler(2), FifoScheduler(3), RoundRobinScheduler(4)])
def test_dense_full_sort_selection_equals_the_sparse_selection(scheduler):
    # asynctorch's way (a key matrix over the schedulable neurons, full sort per sample) picks the same spikes
    rng = np.random.default_rng(0)
    batch, n = 5, 40
    flat = np.arange(batch * n, dtype=np.int64)
    neuron = flat % n
    layer = neuron // 10
    enq = rng.integers(0, 4, batch * n)
    over = rng.random(batch * n)
    over[layer == 0] = np.inf
    pending = rng.random(batch * n) < np.repeat([0.1, 0.3, 0.6, 0.9, 0.02], n)
    for first in (0, 10):  # inputs queued, or delivered at frame start (never pending)
        idx = np.flatnonzero(pending & (neuron >= first))
        sparse = PendingSpikes(flat[idx], flat[idx] // n + 7, neuron[idx], layer[idx], enq[idx], over[idx], 2, 3, 4)
        for F in (1, 3, 8):
            chosen_sparse = np.sort(sparse.flat[select(sparse, scheduler, F)])
            np.testing.assert_array_equal(select_dense(sparse, scheduler, F, batch, n, first), chosen_sparse)
