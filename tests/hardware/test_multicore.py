"""Many-core chip model: global-barrier vs dependency-driven (DepAsync, reconstructed) schedules."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench import config
from neurobench.data.encoders import poisson
from neurobench.hardware import multicore_partition as mp
from neurobench.hardware.multicore import (
    CostModel,
    Mesh,
    compare,
    core_load,
    deliveries,
    run_async,
    run_sync,
    run_tick,
    spike_trains,
    sweep_cost,
    tick_ns,
)
from neurobench.hardware.multicore_replay import _read_step, replay, replay_many
from neurobench.hardware.workload import Workload
from neurobench.network import Dense, Network, random_network
from neurobench.neurons import NeuronParams
from neurobench.schema import replace
from neurobench.sim import simulate

HAND_COST = CostModel(syn_event_ns=5.0, syn_event_pj=2.0, neuron_update_ns=10.0, neuron_update_pj=1.0,
                      hop_ns=3.0, hop_pj=0.5, static_mw=0.1, barrier_ns=7.0)


def load_of(net, spikes, assignment, **chip):
    """The per-core load of ``net`` replaying ``spikes`` (one train per population) under ``assignment``."""
    return core_load(Workload.from_network(net, spikes), assignment, **chip)


@pytest.fixture
def hand_workload():
    """2 inputs -> 2 neurons, W = [[1, 1], [0, 1]]; core 0: input 0 and neuron 0, core 1: input 1 and neuron 1."""
    net = Network((2,), (Dense(np.array([[1.0, 1.0], [0.0, 1.0]])),))
    inputs = np.array([[[1, 0], [1, 1], [0, 0]]], dtype=bool)  # (batch 1, 3 steps, 2)
    layer = np.array([[[0, 0], [0, 1], [0, 0]]], dtype=bool)
    return load_of(net, [inputs, layer], np.array([0, 1, 0, 1]), mesh=Mesh(rows=1, cols=2))


def test_hand_computed_two_core_three_step_example(hand_workload):
    wl = hand_workload
    # events of step t come from the spikes of step t-1: step 1 gets input 0 -> neuron 0 (core 0);
    # step 2 gets inputs 0, 1 -> neuron 0 (2 events, core 0) and input 1 -> neuron 1 (core 1)
    np.testing.assert_array_equal(wl.events, [[0, 0], [1, 0], [2, 1]])
    np.testing.assert_array_equal(wl.packets, [0, 1, 0])  # only input 1 -> core 0 crosses the mesh
    np.testing.assert_array_equal(wl.dep, [[False, False], [True, False]])  # core 0 depends on core 1
    # work w = 10 n + 5 E: core 0: 10, 15, 20; core 1: 10, 10, 15 (ns)
    # barrier = 7 + 2 * 1 hop * 3 ns = 13 (root = core 1); D = 3 ns at step 1 only
    sync = run_sync(wl, HAND_COST)
    np.testing.assert_array_equal(sync.start[:, 0], [0.0, 23.0, 54.0])  # 10+0+13, 15+3+13, 20+0+13
    assert sync.makespan_ns == 87.0
    # async: core 1 has no pre-dependency: starts 0, 10, 20, finishes 35 (+3 ns token drain = 38);
    # core 0: S(1) = max(10, 10 + 3) = 13, F = 28; S(2) = max(28, 20 + 3) = 28, F = 48
    for buffer_depth in (None, 2):  # the double-buffer acks never bind here
        asy = run_async(wl, HAND_COST, buffer_depth)
        np.testing.assert_array_equal(asy.start, [[0, 0], [13, 10], [28, 20]])
        np.testing.assert_array_equal(asy.finish, [[10, 10], [28, 20], [48, 35]])
        assert asy.makespan_ns == 48.0
    cmp = compare(wl, HAND_COST, buffer_depth=None)
    assert cmp.speedup == pytest.approx(87 / 48)
    # energy: compute 2 pJ * 4 events + 1 pJ * 2 neurons * 3 steps = 14; spikes 1 hop * 0.5 = 0.5;
    # tokens sync 3 steps * 2 * (1 + 0) hops * 0.5 = 3, async 3 done tokens * 1 hop * 0.5 = 1.5;
    # static 0.1 mW * 2 cores * makespan
    s, a = cmp.sync.energy, cmp.asynchronous.energy
    assert (s.compute_pj, s.spike_pj, s.token_pj) == (14.0, 0.5, 3.0)
    assert (a.compute_pj, a.spike_pj, a.token_pj) == (14.0, 0.5, 1.5)
    assert s.static_pj == pytest.approx(0.2 * 87) and a.static_pj == pytest.approx(0.2 * 48)
    assert cmp.energy_ratio == pytest.approx(34.9 / 25.6)
    assert compare(wl, HAND_COST, buffer_depth=2).asynchronous.energy.token_pj == 3.0  # + acks
    # utilisation: core 0 busy 45 ns of 87 (sync) and of 48 (async)
    np.testing.assert_allclose(cmp.sync.utilisation, [45 / 87, 35 / 87])
    np.testing.assert_allclose(cmp.asynchronous.utilisation, [45 / 48, 35 / 48])


def _random_case(seed: int):
    """A random layered network, spike trains, partition, mesh, costs and buffer depth."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 12, size=rng.integers(2, 5))
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        w = rng.normal(size=(n_out, n_in)) * (rng.random((n_out, n_in)) < rng.uniform(0.2, 1.0))
        layers.append(Dense(w))
    net = Network((int(sizes[0]),), tuple(layers))
    batch, steps = int(rng.integers(1, 3)), int(rng.integers(2, 12))
    spikes = [rng.random((batch, steps, int(n))) < rng.uniform(0.0, 0.6) for n in sizes]
    n_cores = int(rng.integers(1, 10))
    kind = rng.integers(3)
    part = [mp.random(sizes, n_cores, seed), mp.round_robin(sizes, n_cores),
            mp.imbalanced(sizes, n_cores, float(rng.uniform(0, 4)))][kind]
    mesh = Mesh.square(n_cores) if rng.random() < 0.5 else Mesh(rows=1, cols=n_cores)
    values = rng.uniform(0, 20, size=8) * (rng.random(8) < 0.8)  # some costs exactly zero
    cost = CostModel(**dict(zip(CostModel.model_fields, map(float, values))))
    buffer_depth = [None, 2, 3][rng.integers(3)]
    return load_of(net, spikes, part, n_cores=n_cores, mesh=mesh), cost, buffer_depth


@pytest.mark.parametrize("seed", range(40))
def test_async_never_slower_than_sync_and_delivers_the_same_spikes(seed):
    wl, cost, buffer_depth = _random_case(seed)
    cmp = compare(wl, cost, buffer_depth)
    # every core starts every step no later than the barrier would let it
    assert np.all(cmp.asynchronous.start <= cmp.sync.start)
    assert cmp.asynchronous.makespan_ns <= cmp.sync.makespan_ns
    if cmp.asynchronous.makespan_ns > 0:
        assert cmp.speedup >= 1.0
    got_sync, got_async = deliveries(wl, cmp.sync), deliveries(wl, cmp.asynchronous)
    assert got_sync.late == 0 and got_async.late == 0
    np.testing.assert_array_equal(got_sync.packets, got_async.packets)
    np.testing.assert_array_equal(got_sync.events, wl.events)
    np.testing.assert_array_equal(got_async.events, wl.events)
    small = deliveries(wl, cmp.asynchronous, chunk=5)  # the replay in small pieces: same result
    np.testing.assert_array_equal(small.packets, got_async.packets)
    np.testing.assert_array_equal(small.events, got_async.events)
    assert deliveries(wl, cmp.sync, keep_packets=False).packets.shape == (0, 4)


def test_delivery_check_catches_a_schedule_that_ignores_dependencies():
    """Negative control: cores that start as soon as they themselves are done miss remote spikes."""
    rng = np.random.default_rng(3)
    net = Network((6,), (Dense(rng.normal(size=(6, 6))), Dense(rng.normal(size=(4, 6)))))
    spikes = [rng.random((1, 20, n)) < 0.5 for n in net.sizes]
    wl = load_of(net, spikes, mp.round_robin(net.sizes, 4), mesh=Mesh(rows=2, cols=2))
    cost = CostModel(hop_ns=50.0)
    good = run_async(wl, cost)
    finish = np.cumsum(good.finish - good.start, axis=0)  # no waiting at all
    greedy = type(good)("greedy", finish - (good.finish - good.start), finish, float(finish.max()),
                        good.energy, cost)
    bad = deliveries(wl, greedy)
    assert bad.late > 0
    assert bad.events.sum() < wl.events.sum()
    assert deliveries(wl, good).late == 0


def test_balanced_load_zero_latency_zero_barrier_schedules_coincide():
    """Dense all-ones 4 -> 4, neuron i and input i on core i: every core integrates every input spike."""
    rng = np.random.default_rng(0)
    net = Network((4,), (Dense(np.ones((4, 4))),))
    spikes = [rng.random((2, 25, 4)) < 0.4, rng.random((2, 25, 4)) < 0.3]
    wl = load_of(net, spikes, np.r_[np.arange(4), np.arange(4)], mesh=Mesh(rows=2, cols=2))
    assert np.all(wl.events == wl.events[:, :1])  # equal load on every core, every step
    cost = CostModel(hop_ns=0.0, barrier_ns=0.0, hop_pj=0.0)
    for buffer_depth in (None, 2):
        cmp = compare(wl, cost, buffer_depth)
        np.testing.assert_array_equal(cmp.asynchronous.start, cmp.sync.start)
        assert cmp.asynchronous.makespan_ns == cmp.sync.makespan_ns
        assert cmp.speedup == 1.0 and cmp.energy_ratio == 1.0
    # any network latency or barrier cost makes the barrier strictly slower
    assert compare(wl, CostModel(hop_ns=0.0, barrier_ns=10.0)).speedup > 1.0
    assert compare(wl, CostModel(hop_ns=2.0, barrier_ns=0.0)).speedup > 1.0


def test_imbalance_over_time_is_what_async_recovers():
    """Two independent cores whose heavy steps alternate: sync pays max per step, async the per-core sum."""
    net = Network((2,), (Dense(np.eye(2)),))
    inputs = np.zeros((1, 5, 2), dtype=bool)
    inputs[0, [0, 2], 0] = True  # core 0 heavy at steps 1 and 3
    inputs[0, [1, 3], 1] = True  # core 1 heavy at steps 2 and 4
    wl = load_of(net, [inputs, np.zeros((1, 5, 2), bool)], np.array([0, 1, 0, 1]))
    cost = CostModel(syn_event_ns=100.0, neuron_update_ns=10.0, hop_ns=0.0, barrier_ns=0.0)
    cmp = compare(wl, cost)
    assert cmp.sync.makespan_ns == 5 * 10 + 4 * 100  # every step costs the slowest core
    assert cmp.asynchronous.makespan_ns == 5 * 10 + 2 * 100  # each core only its own two events
    assert cmp.speedup == pytest.approx(450 / 250)


def test_buffer_depth_bounds_how_far_a_producer_runs_ahead():
    """A work-free input core feeding a slow core stays at most B - 1 steps ahead of it."""
    net = Network((1,), (Dense(np.ones((1, 1))),))
    spikes = [np.ones((1, 10, 1), bool), np.zeros((1, 10, 1), bool)]
    wl = load_of(net, spikes, np.array([0, 1]), mesh=Mesh(rows=1, cols=2))
    cost = CostModel(neuron_update_ns=50.0, syn_event_ns=0.0, hop_ns=1.0)
    free = run_async(wl, cost, buffer_depth=None)
    np.testing.assert_array_equal(free.start[:, 0], 0.0)  # unbounded: the producer never waits
    for depth in (2, 3):
        bounded = run_async(wl, cost, buffer_depth=depth)
        # S_0(t) >= S_1(t - B + 1) + 1 ns, with equality once the consumer is the bottleneck
        np.testing.assert_array_equal(bounded.start[depth - 1:, 0], bounded.start[: 11 - depth, 1] + 1.0)
        assert bounded.makespan_ns == free.makespan_ns  # the consumer's chain is unchanged


def test_workload_events_match_the_simulators_synaptic_operations():
    neuron = NeuronParams(model="lif", v_th=1.0, tau_m=20.0)
    net = random_network((1, 8, 8), 3, 3, 2, 10, neuron, seed=0, weight_gain=1.5)
    x = np.random.default_rng(1).random((3, 1, 8, 8))
    inputs = poisson(x, 15, 1.0, 300.0, seed=2)
    rec = simulate(net, inputs, 1.0, record_spikes=True)
    trains = spike_trains(rec, inputs)
    wl = load_of(net, trains, mp.random(net.sizes, 6, seed=4))
    # the simulator counts every spike x fan-out; the chip integrates all but the last step's
    last = sum(int(trains[i][:, -1].sum(axis=0) @ net.fan_out(i)) for i in range(len(net.layers)))
    assert wl.events.sum() + last == rec.synops_per_layer().sum()
    np.testing.assert_array_equal(wl.neurons.sum(), sum(net.sizes[1:]))


def test_partitioners_cover_every_neuron_with_the_promised_balance():
    sizes = (64, 256, 64, 10)
    cont = mp.contiguous(sizes, 16)
    pops = mp.split(cont, sizes)
    cores = [set(p.tolist()) for p in pops]
    assert all(not (a & b) for i, a in enumerate(cores) for b in cores[i + 1:])  # own cores per layer
    assert [len(c) for c in cores] == [3, 9, 3, 1]  # largest remainder of 12 spare cores + 1 each
    for p in pops:
        counts = np.bincount(p)[p.min():]
        assert counts.max() - counts.min() <= 1 and np.all(np.diff(p) >= 0)
    np.testing.assert_array_equal(np.bincount(mp.round_robin(sizes, 16).core_of), [25] * 10 + [24] * 6)
    np.testing.assert_array_equal(mp.random(sizes, 16, seed=1).core_of, mp.random(sizes, 16, seed=1).core_of)
    assert not np.array_equal(mp.random(sizes, 16, seed=1).core_of, mp.random(sizes, 16, seed=2).core_of)
    np.testing.assert_array_equal(mp.imbalanced(sizes, 16, 0.0).core_of, cont.core_of)
    layer = np.bincount(mp.split(mp.imbalanced(sizes, 16, 2.0), sizes)[1])[3:12]
    assert layer.max() / layer.min() == pytest.approx(3.0, rel=0.1)  # ramp 1 .. 1 + imbalance
    assert mp.contiguous(sizes, 2).core_of.max() == 1  # fewer cores than populations: flat blocks
    with pytest.raises(ValueError, match="imbalance"):
        mp.imbalanced(sizes, 4, -1.0)


def test_mesh_hops_are_manhattan_distances_and_costs_are_validated():
    mesh = Mesh(rows=2, cols=3)
    hops = mesh.hops()
    assert hops[0, 5] == 3 and hops[1, 4] == 1 and hops[2, 3] == 3
    assert Mesh.square(10) == Mesh(rows=3, cols=4) and Mesh.square(16) == Mesh(rows=4, cols=4) and mesh.root == 4
    with pytest.raises(ValueError, match="hop_ns"):
        CostModel(hop_ns=-1.0)
    with pytest.raises(ValueError, match="buffer_depth"):
        run_async(load_of(Network((1,), (Dense(np.ones((1, 1))),)),
                                 [np.ones((1, 2, 1)), np.ones((1, 2, 1))], np.array([0, 0])),
                  CostModel(), buffer_depth=1)


def test_sweep_cost_rows_equal_direct_comparisons(hand_workload):
    rows = sweep_cost(hand_workload, HAND_COST, "hop_ns", [0.0, 3.0], buffer_depth=None, barrier_ns=0.0)
    for row in rows:
        direct = compare(hand_workload, replace(HAND_COST, hop_ns=row["hop_ns"], barrier_ns=0.0), None)
        assert row["speedup"] == direct.speedup and row["energy_ratio"] == direct.energy_ratio
    # hop 0, barrier 0: sync = 10 + 15 + 20 = 45 ns, async = 45 ns on core 0's chain
    assert rows[0]["sync_makespan_ns"] == 45.0 and rows[0]["async_makespan_ns"] == 45.0


def test_params_yaml_multicore_section_builds_the_cost_model(repo_root):
    cfg = config.load_section("multicore", repo_root / "params.yaml")
    assert isinstance(cfg.cost, CostModel)
    with pytest.raises(config.ConfigError, match=r"multicore.cost.hop_ns = -1.0 is not allowed"):
        config.validate("multicore", {"cost": {"hop_ns": -1.0}})
    with pytest.raises(config.ConfigError, match="multicore.buffer_depth"):
        config.validate("multicore", {"buffer_depth": 1})


# --------------------------------------------------------------------------------------------
# fixed tick and re-simulation from finite buffers
# --------------------------------------------------------------------------------------------


def test_fixed_tick_hand_example(hand_workload):
    """Worst step = max w (20 ns) + 1 hop * 3 ns = 23 ns; every step starts on a tick."""
    wl = hand_workload
    assert tick_ns(wl, HAND_COST) == 23.0
    tick = run_tick(wl, HAND_COST)
    np.testing.assert_array_equal(tick.start, [[0, 0], [23, 23], [46, 46]])
    assert tick.makespan_ns == 69.0 and tick.energy.token_pj == 0.0
    assert tick.energy.static_pj == pytest.approx(0.2 * 69)
    # a tick shorter than a core's step: the core starts when it is done with the previous one
    short = run_tick(wl, HAND_COST, tick=12.0)
    np.testing.assert_array_equal(short.start[:, 0], [0.0, 12.0, 27.0])  # 12, max(24, 12 + 15)
    np.testing.assert_array_equal(short.start[:, 1], [0.0, 12.0, 24.0])
    assert short.makespan_ns == 47.0  # core 0 finishes 27 + 20; core 0 has no post-dependency
    cmp = compare(wl, HAND_COST, None, tick=None)
    assert cmp.speedup_tick == pytest.approx(69 / 48) and set(cmp.schedules()) == {"barrier", "tick", "dependency"}
    with pytest.raises(ValueError, match="tick"):
        run_tick(wl, HAND_COST, tick=-1.0)


def _recorded(seed: int, n_cores: int = 6):
    """A random LIF conv network run in the clock simulator, and its workload."""
    neuron = NeuronParams(model="lif", v_th=1.0, tau_m=20.0)
    net = random_network((1, 8, 8), 3, 3, 2, 10, neuron, seed=seed, weight_gain=1.5)
    x = np.random.default_rng(seed + 1).random((3, 1, 8, 8))
    inputs = poisson(x, 20, 1.0, 300.0, seed=seed + 2)
    rec = simulate(net, inputs, 1.0, record_spikes=True)
    return net, Workload.from_network(net, spike_trains(rec, inputs)), rec


@pytest.mark.parametrize("seed", range(4))
def test_every_lossless_policy_recomputes_the_simulators_spikes(seed):
    net, wl, rec = _recorded(seed)
    rng = np.random.default_rng(seed)
    part = [mp.contiguous(net.sizes, 6), mp.round_robin(net.sizes, 6), mp.random(net.sizes, 6, seed)][seed % 3]
    load = core_load(wl, part)
    cost = CostModel(hop_ns=float(rng.uniform(0, 20)), barrier_ns=float(rng.uniform(0, 200)))
    cmp = compare(load, cost, buffer_depth=2, tick=None)
    for policy, schedule in cmp.schedules().items():
        r = replay(net, load, schedule, 1.0, buffer_depth=2)
        assert (r.overwrites, r.late, r.mismatches) == (0, 0, 0), policy
        assert r.identical and r.deliveries > 0
        for i, layer in enumerate(rec.layers):  # the clock simulator's spikes, population by population
            lo, hi = sum(net.sizes[:i + 1]), sum(net.sizes[:i + 2])
            np.testing.assert_array_equal(r.spikes[:, lo:hi].reshape(layer.spikes.shape), layer.spikes)
    # several runs of the same spikes replayed together give the same results
    together = replay_many(net, [(load, s, 2) for s in cmp.schedules().values()], 1.0)
    assert [t.mismatches for t in together] == [0, 0, 0]


def test_a_policy_without_back_pressure_overwrites_buffers_and_changes_spikes():
    net, wl, _ = _recorded(0)
    load = core_load(wl, mp.contiguous(net.sizes, 6))  # input cores do no work: they race ahead
    ahead = run_async(load, CostModel(), buffer_depth=None)
    r = replay(net, load, ahead, 1.0, buffer_depth=2)
    assert r.overwrites > 0 and r.mismatches > 0 and not r.identical
    # with unbounded (tagged) buffers the same schedule is exact; with the acks it is exact at depth 2
    assert replay(net, load, ahead, 1.0, buffer_depth=None).identical
    exact = replay(net, load, run_async(load, CostModel(), buffer_depth=2), 1.0, buffer_depth=2)
    assert (exact.overwrites, exact.late, exact.identical) == (0, 0, True)
    # a tick shorter than the worst step delivers spikes late
    short = replay(net, load, run_tick(load, CostModel(), 0.5 * tick_ns(load, CostModel())), 1.0, buffer_depth=None)
    assert short.late > 0 and not short.identical
    with pytest.raises(ValueError, match="buffer_depth"):
        replay(net, load, ahead, 1.0, buffer_depth=0)


def test_read_step_places_early_and_late_spikes_in_their_slots():
    """Depth 2, a consumer starting step t at 10 t ns; spikes of step s = 4 are due at step 5 (50 ns)."""
    starts = np.arange(10) * 10.0
    s = np.full(5, 4)
    arrival = np.array([50.0, 30.0, 29.0, 51.0, 75.0])
    # 50: on time; 30: at the instant step 3 reads (and empties) the slot: kept for step 5;
    # 29: into the slot still holding step 2's spikes -> read with them at step 3 (overwrite);
    # 51: late -> the next read of the slot, step 7; 75 -> step 9
    np.testing.assert_array_equal(_read_step(arrival, s, starts, 2), [5, 5, 3, 7, 9])
    np.testing.assert_array_equal(_read_step(arrival, s, starts, None), [5, 5, 5, 10, 10])
