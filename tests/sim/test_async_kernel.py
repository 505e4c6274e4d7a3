"""The compiled event kernel of asynchronous execution: the numpy reference's record, bit for bit,
for every scheduler and option; engine selection."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import async_kernel
from neurobench.sim.asynchronous import AsyncConfig, kernel_engine, simulate_async
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
