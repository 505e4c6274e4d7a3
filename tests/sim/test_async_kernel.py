"""The compiled event kernel of asynchronous execution: the numpy reference's record, bit for bit,
for every scheduler and option; engine selection."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import async_kernel
from neurobench.sim.asynchronous import AsyncConfig, AsyncGraph, kernel_engine, simulate_async
from neurobench.sim.schedulers import RandomScheduler, make_scheduler, uniform

pytestmark = pytest.mark.skipif(not async_kernel.AVAILABLE, reason="numba does not import")


def _net(model="lif", reset="zero", seed=0, sizes=(30, 24, 20, 6), discrete=False):
    """Random weights (mV); ``discrete``: multiples of 0.5 mV, so that currents cancel exactly."""
    rng = np.random.default_rng(seed)
    if discrete:
        layers = [Dense(rng.choice([-1.0, -0.5, 0.5, 1.0, 1.5], (n_out, n_in))) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    else:
        layers = [Dense(rng.normal(2.0 / n_in, 1.0 / np.sqrt(n_in), (n_out, n_in)))
                  for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return Network((sizes[0],), tuple(layers), NeuronParams(model=model, v_th=1.0, reset=reset, tau_m=5.0))


def assert_same_record(a, b):
    """Every field of two ``AsyncRecord``s is equal (output events in the same order)."""
    for field in ("synops", "input_events", "forward_steps", "first_output_step", "spikes_at_first_output",
                  "dropped", "halted"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert len(a.spike_count) == len(b.spike_count)
    for p, q in zip(a.spike_count, b.spike_count):
        np.testing.assert_array_equal(p, q, err_msg="spike_count")
    assert (a.frame_counts is None) == (b.frame_counts is None)
    for p, q in zip(a.frame_counts or (), b.frame_counts or ()):
        np.testing.assert_array_equal(p, q, err_msg="frame_counts")
    for p, q in zip(a.output_events, b.output_events):
        np.testing.assert_array_equal(p, q, err_msg="output_events")


# (scheduler, F, prioritize_input, refractory, stop, reset, neuron model); F = 40 with queues
# longer than F (a 120-input network, queued input); F = 1000 emits every pending spike.
CASES = [
    (s, F, prio, refr, "drain", reset, model)
    for s in ("random", "momentum", "fifo", "round_robin")
    for F, prio, refr, reset, model in ((1, True, True, "zero", "if"), (3, False, False, "subtract", "lif"),
                                        (8, True, False, "zero", "lif"), (40, False, True, "subtract", "if"))
] + [
    ("random", 1000, False, True, "drain", "zero", "lif"),
    ("random", 2, True, True, "first_output", "zero", "lif"),
    ("momentum", 3, False, False, "after_output", "subtract", "lif"),
    ("fifo", 2, True, True, "after_output", "zero", "if"),
    ("round_robin", 4, False, True, "first_output", "subtract", "if"),
]


@pytest.mark.parametrize("scheduler, F, prioritize, refractory, stop, reset, model", CASES)
def test_kernel_record_equals_the_numpy_reference(scheduler, F, prioritize, refractory, stop, reset, model):
    sizes = (120, 50, 40, 6) if F == 40 else (30, 24, 20, 6)
    net = _net(model, reset, sizes=sizes)
    x = np.random.default_rng(3).random((5, 10, sizes[0])) < 0.35
    cfg = AsyncConfig(forward_group=F, prioritize_input=prioritize, refractory=refractory, stop=stop,
                      steps_after_output=3)
    a = simulate_async(net, x, cfg, scheduler, seed=4, sample_offset=7, record_frames=True, engine="numpy")
    b = simulate_async(net, x, cfg, scheduler, seed=4, sample_offset=7, record_frames=True, engine="compiled")
    assert_same_record(a, b)
    assert a.spike_count[0].sum() > 40  # the network is active
    if stop != "drain":
        assert a.halted.any()
    if F < 40:  # queues longer than F: the schedule matters
        assert a.forward_steps.max() > 2


@pytest.mark.parametrize("refractory", [False, True])
def test_kernel_equals_the_reference_when_currents_cancel_exactly(refractory):
    """Weights in multiples of 0.5 mV: many targets receive an exact zero net current and must
    skip their threshold check (with reset by subtraction a neuron may sit above threshold)."""
    net = _net("if", "subtract", seed=2, discrete=True)
    x = np.random.default_rng(4).random((4, 8, 30)) < 0.3
    cfg = AsyncConfig(forward_group=3, prioritize_input=False, refractory=refractory, max_steps=300)
    a = simulate_async(net, x, cfg, "random", seed=2, record_frames=True, engine="numpy")
    b = simulate_async(net, x, cfg, "random", seed=2, record_frames=True, engine="compiled")
    assert_same_record(a, b)
    assert a.spike_count[0].sum() > 40


def test_kernel_drops_pending_spikes_at_max_steps_and_merges_sample_chunks_like_the_reference():
    net = _net("if", "subtract")
    x = np.random.default_rng(5).random((4, 6, 30)) < 0.5
    cfg = AsyncConfig(forward_group=1, refractory=False, max_steps=20)
    a = simulate_async(net, x, cfg, "random", seed=1, sample_offset=np.array([9, 2, 40, 3]), engine="numpy")
    # progress=True runs the kernel one sample chunk at a time and merges the output events
    b = simulate_async(net, x, cfg, "random", seed=1, sample_offset=np.array([9, 2, 40, 3]), engine="compiled",
                       progress=True)
    assert_same_record(a, b)
    assert a.dropped.sum() > 0 and a.frame_counts is None and len(a.output_events[0]) > 10


def test_kernel_random_numbers_equal_the_counter_based_stream():
    rng = np.random.default_rng(0)
    seed, sample, frame, step, neuron = 12345, *rng.integers(0, 2**40, (4, 200))
    expected = uniform(seed, sample, frame, step, neuron)
    got = [async_kernel._uniform(np.uint64(seed), s, f, t, g) for s, f, t, g in zip(sample, frame, step, neuron)]
    np.testing.assert_array_equal(got, expected)


def test_auto_engine_runs_the_kernel_for_built_in_schedulers_only():
    class Reversed(RandomScheduler):  # not a built-in strategy: numpy only
        def keys(self, p):
            return -self._random(p), np.zeros(p.flat.shape)

    assert kernel_engine("auto", make_scheduler("momentum"))
    assert not kernel_engine("numpy", make_scheduler("momentum"))
    assert not kernel_engine("auto", Reversed(0))
    with pytest.raises(ValueError, match="built-in schedulers"):
        kernel_engine("compiled", Reversed(0))
    with pytest.raises(ValueError, match="engine must be one of .*'gpu'"):
        simulate_async(_net(), np.zeros((1, 2, 30)), engine="gpu")
    net = _net()
    x = np.random.default_rng(1).random((3, 4, 30)) < 0.4
    cfg = AsyncConfig(forward_group=2)
    custom = simulate_async(net, x, cfg, Reversed(1), engine="auto")
    assert_same_record(custom, simulate_async(net, x, cfg, Reversed(1), engine="numpy"))


@pytest.mark.parametrize("scheduler", list(async_kernel.SCHEDULER_CODES))
def test_batched_compiled_selection_equals_numpy_select(scheduler):
    # a batch queue with crowded and uncrowded samples, tied overshoots (momentum), tied enqueue
    # steps (fifo) and several populations (round robin): the same flat ids as schedulers.select
    from neurobench.sim.schedulers import PendingSpikes, select

    rng = np.random.default_rng(7)
    batch, n_total, layer_of = 9, 40, np.repeat(np.arange(4), 10)
    ids = rng.permutation(1000)[:batch].astype(np.int64)
    enq = rng.integers(0, 3, batch * n_total)
    over = rng.choice([0.0, -0.0, 0.25, 0.5, np.inf], batch * n_total)
    for step, p in ((1, 0.05), (2, 0.3), (5, 0.8)):
        queue = np.flatnonzero(rng.random(batch * n_total) < p)
        qb, qg = np.divmod(queue, n_total)
        sched = make_scheduler(scheduler, 11)
        pending = PendingSpikes(queue, ids[qb], qg, layer_of[qg], enq[queue], over[queue], 3, step, 4)
        expected = queue[select(pending, sched, 3, qb)]
        got = async_kernel.select_batch(queue, n_total, ids, scheduler, 11, 3, step, 3, 4, layer_of, enq, over)
        np.testing.assert_array_equal(got, expected)


def test_kernel_equals_the_reference_on_sparse_and_dense_layers_mixed():
    """Layers 1 and 3 with zero weights (rows not dense: the touch-list path, whose order fixes
    the order of output events), layer 2 dense (the vectorised block path), in the same steps."""
    net = _net("lif", "subtract", seed=5)
    rng = np.random.default_rng(6)
    layers = list(net.layers)
    for i in (0, 2):
        w = np.array(layers[i].weight)
        w[rng.random(w.shape) < 0.4] = 0.0
        layers[i] = Dense(w)
    graph = AsyncGraph.build(Network(net.input_shape, tuple(layers), net.neurons), 1.0)
    np.testing.assert_array_equal(async_kernel.dense_layers(graph), [False, True, False, False])
    x = np.random.default_rng(7).random((4, 8, 30)) < 0.4
    for scheduler, F, prioritize in (("random", 3, True), ("random", 5, False), ("momentum", 2, False)):
        cfg = AsyncConfig(forward_group=F, prioritize_input=prioritize, refractory=False)
        a = simulate_async(graph, x, cfg, scheduler, seed=3, record_frames=True, engine="numpy")
        b = simulate_async(graph, x, cfg, scheduler, seed=3, record_frames=True, engine="compiled")
        assert_same_record(a, b)
        assert a.spike_count[0].sum() > 40 and a.forward_steps.max() > 2 and len(a.output_events[0]) > 50


def _reference_select(key, cg, forward_group):
    """The ``F`` smallest (key, id) pairs, ids sorted ascending (numpy reference)."""
    order = np.lexsort((cg, key))[:forward_group]
    return np.sort(cg[order])


def test_rank_selection_equals_lexsort_with_many_ties():
    rng = np.random.default_rng(0)
    for _ in range(300):
        m = int(rng.integers(1, 70))
        forward_group = int(rng.integers(1, m + 1))
        key = rng.integers(0, 4, m).astype(np.int64)  # four key values: ties everywhere
        cg = rng.permutation(1000)[:m].astype(np.int64)
        emit = np.full(m, -1, dtype=np.int64)
        async_kernel._rank_select(key, cg, m, forward_group, emit)
        np.testing.assert_array_equal(np.sort(emit[:forward_group]), _reference_select(key, cg, forward_group))
        # entries are written in key order: ranks 0 .. F-1
        order = np.lexsort((cg, key))[:forward_group]
        np.testing.assert_array_equal(emit[:forward_group], cg[order])


@pytest.mark.parametrize("forward_group", [1, 3, 8, 16])
def test_random_selection_equals_the_buffer_selection_for_any_queue_length_and_order(forward_group):
    """``_select`` (random scheduling, threshold filter and rank counting, or every entry ranked,
    or the buffer above 64 candidates) emits the same neurons as ``_select_buffer`` and as the
    ``schedulers.uniform`` keys sorted, whatever the queue's order."""
    rng = np.random.default_rng(forward_group)
    n = 3000
    zeros_i, zeros_f = np.zeros(n, dtype=np.int64), np.zeros(n)
    k = async_kernel  # hash chain of seed 7, sample 11, frame 2 (uint64 kept between calls)
    h_frame = np.uint64(k._chain(np.uint64(k._chain(np.uint64(k._mix(np.uint64(7))), 11)), 2))
    for qlen in (forward_group + 1, 9, 20, 27, 64, 65, 120, 500, 2999):
        if qlen <= forward_group:
            continue
        for step in (1, 5):
            queue = rng.permutation(n)[:qlen].astype(np.int64)
            h_step = np.uint64(async_kernel._chain(h_frame, step))
            buffers = [np.zeros(forward_group + 1) for _ in range(2)] + [np.zeros(forward_group + 1, dtype=np.int64)]
            fast = np.zeros(n, dtype=np.int64)
            got = async_kernel._select(queue, qlen, forward_group, 0, h_step, step, 3, zeros_i, zeros_i, zeros_f,
                                       *buffers, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), fast)
            slow = np.zeros(n, dtype=np.int64)
            async_kernel._select_buffer(queue, qlen, forward_group, 0, h_step, step, 3, zeros_i, zeros_i, zeros_f,
                                        *buffers, slow)
            u = uniform(7, 11, 2, step, queue)
            expected = np.sort(queue[np.lexsort((queue, u))[:forward_group]])
            assert got == forward_group
            np.testing.assert_array_equal(fast[:forward_group], expected)
            np.testing.assert_array_equal(np.sort(slow[:forward_group]), expected)
            # the queue's order does not matter
            shuffled = rng.permutation(queue)
            again = np.zeros(n, dtype=np.int64)
            async_kernel._select(shuffled, qlen, forward_group, 0, h_step, step, 3, zeros_i, zeros_i, zeros_f,
                                 *buffers, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), again)
            np.testing.assert_array_equal(again[:forward_group], expected)


@pytest.mark.parametrize("margin", [-0.9, 0.0, 4.0, 60.0])
def test_threshold_filter_of_random_selection_is_exact_or_declines(margin):
    """``_select_random`` with a threshold margin giving too few candidates (the fall-back ranks
    every entry, or declines above 64 entries), about enough, the default, or too many (it
    declines: -1 above 64 candidates; the caller then uses the buffer)."""
    rng = np.random.default_rng(2)
    n = 3000
    h_step = np.uint64(async_kernel._chain(np.uint64(async_kernel._mix(np.uint64(9))), 4))
    declined = 0
    for forward_group in (1, 4, 8, 16):
        for qlen in (forward_group + 1, 30, 64, 200, 2000):
            queue = rng.permutation(n)[:qlen].astype(np.int64)
            emit = np.zeros(n, dtype=np.int64)
            got = async_kernel._select_random(queue, qlen, forward_group, h_step, margin,
                                              np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), emit)
            if got == -1:
                declined += 1
                continue
            keys = np.array([async_kernel._chain(h_step, g) >> 11 for g in queue], dtype=np.uint64)
            np.testing.assert_array_equal(np.sort(emit[:forward_group]),
                                          np.sort(queue[np.lexsort((queue, keys))[:forward_group]]))
    if margin == 4.0:
        assert declined == 0
    if margin > 10:
        assert declined > 0


def test_small_sort_sorts_short_and_long_runs():
    rng = np.random.default_rng(1)
    for n in (0, 1, 2, 7, 32, 33, 200):
        a = rng.integers(0, 50, n + 5).astype(np.int64)
        b = a.copy()
        async_kernel._sort_small(b, n)
        np.testing.assert_array_equal(b[:n], np.sort(a[:n]))
        np.testing.assert_array_equal(b[n:], a[n:])
