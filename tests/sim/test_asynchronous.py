"""Event-driven asynchronous execution: layer-sync equivalence, counting identities, stopping modes."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.metrics import accuracy_vs_steps, first_output_latency, predict, spikes_per_neuron
from neurobench.sim.asynchronous import AsyncConfig, simulate_async
from neurobench.sim.layersync import simulate_layersync
from neurobench.sim.schedulers import SCHEDULERS


def _net(sizes, seed, scale=0.6, reset="zero", model="lif", tau_m=5.0):
    rng = np.random.default_rng(seed)
    layers = [Dense(rng.normal(0.0, scale, (sizes[i + 1], sizes[i]))) for i in range(len(sizes) - 1)]
    return Network((sizes[0],), tuple(layers), NeuronParams(model=model, v_th=1.0, reset=reset, tau_m=tau_m))


def _same_frames(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.frame_counts, b.frame_counts))


@pytest.mark.parametrize("refractory", [False, True])
def test_authors_3_3_2_async_equals_layer_sync_every_frame(refractory):
    # asynctorch's unit test: 3 -> 3 -> 2 LIF, tau_m = dt = 1, theta = 1, reset to zero, N(0, 1)
    # weights, random scheduling, F = 3 = layer width, input not prioritised, all-ones input
    # for 1000 frames: identical to the zero-delay layer-synchronized loop in every frame.
    # Five weight draws (many draws leave the output silent; the total below proves activity).
    x = np.ones((1, 1000, 3))
    cfg = AsyncConfig(forward_group=3, prioritize_input=False, refractory=refractory, frame_dt=1.0)
    output_spikes = 0
    for seed in (0, 5, 9, 12, 19):
        rng = np.random.default_rng(seed)
        net = Network((3,), (Dense(rng.normal(size=(3, 3))), Dense(rng.normal(size=(2, 3)))),
                      NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=1.0))
        a = simulate_async(net, x, cfg, "random", seed=seed, record_frames=True)
        b = simulate_layersync(net, x, frame_dt=1.0, record_frames=True)
        assert _same_frames(a, b)
        assert a.dropped.sum() == 0  # the queue empties in every frame
        # each frame drains one population per step: input, layer 1, (output spikes are final)
        assert a.forward_steps.max() <= 2
        output_spikes += a.output_count.sum()
    assert output_spikes >= 2000


@pytest.mark.parametrize("refractory", [False, True])
def test_bigger_network_async_with_F_equal_width_equals_layer_sync(refractory):
    net = _net([20, 30, 25, 10], seed=0)
    x = np.random.default_rng(1).random((6, 150, 20)) < 0.3
    cfg = AsyncConfig(forward_group=30, prioritize_input=False, refractory=refractory)
    a = simulate_async(net, x, cfg, "random", seed=3, record_frames=True)
    b = simulate_layersync(net, x, record_frames=True)
    assert _same_frames(a, b)
    assert min(c.sum() for c in a.spike_count) > 500
    np.testing.assert_array_equal(a.synops, b.synops)


def test_F_below_layer_width_breaks_layer_sync_equivalence():
    net = _net([20, 30, 25, 10], seed=0)
    x = np.random.default_rng(1).random((6, 150, 20)) < 0.3
    a = simulate_async(net, x, AsyncConfig(forward_group=2, prioritize_input=False), "random", seed=3)
    b = simulate_layersync(net, x)
    assert not all(np.array_equal(p, q) for p, q in zip(a.spike_count, b.spike_count))


def test_every_strategy_gives_the_same_spikes_when_F_exceeds_the_queue():
    net = _net([20, 30, 25, 10], seed=2)
    x = np.random.default_rng(4).random((4, 40, 20)) < 0.3
    cfg = AsyncConfig(forward_group=10_000)
    records = [simulate_async(net, x, cfg, name, seed=5) for name in SCHEDULERS]
    for r in records[1:]:
        for c0, c in zip(records[0].spike_count, r.spike_count):
            np.testing.assert_array_equal(c0, c)


@pytest.mark.parametrize("prioritize", [False, True])
def test_F1_takes_one_forward_step_per_emitted_spike(prioritize):
    # F = 1: every step emits exactly one spike, so the steps count the emitted spikes: the
    # hidden-layer spikes, plus the input events when they share the queue.
    net = _net([12, 16, 8], seed=1)
    x = np.random.default_rng(2).random((5, 30, 12)) < 0.3
    rec = simulate_async(net, x, AsyncConfig(forward_group=1, prioritize_input=prioritize), "momentum", seed=0)
    emitted = rec.spike_count[0].sum(axis=1) + (0 if prioritize else rec.input_events)
    np.testing.assert_array_equal(rec.forward_steps.sum(axis=1), emitted)
    assert rec.spike_count[0].sum() > 50


def test_synops_are_emitted_spikes_times_fan_out():
    net = _net([12, 16, 8], seed=1)
    x = np.random.default_rng(2).random((5, 30, 12)) < 0.3
    rec = simulate_async(net, x, AsyncConfig(forward_group=3), "fifo", seed=0)
    np.testing.assert_array_equal(rec.synops[:, 0], rec.input_events * 16)
    np.testing.assert_array_equal(rec.synops[:, 1], rec.spike_count[0] @ net.fan_out(1))


def test_hand_solved_chain_gives_known_steps_and_spike_counts():
    # input -> 1 hidden -> 1 output, weights 1 mV, theta 1 mV: the hidden neuron fires at the
    # input injection, is emitted at forward step 1, the output fires in step 1.
    net = Network((1,), (Dense([[1.0]]), Dense([[1.0]])), NeuronParams(model="if", v_th=1.0, reset="zero"))
    x = np.zeros((1, 3, 1))
    x[0, 0, 0] = x[0, 2, 0] = 1
    rec = simulate_async(net, x, AsyncConfig(forward_group=1), "random", seed=0)
    np.testing.assert_array_equal(rec.forward_steps, [[1, 0, 1]])
    assert rec.first_output_step.tolist() == [[1]]
    assert rec.spikes_at_first_output.tolist() == [[2]]
    assert [c.tolist() for c in rec.spike_count] == [[[2]], [[2]]]
    assert rec.output_events[2].tolist() == [1, 2]
    rec_q = simulate_async(net, x, AsyncConfig(forward_group=1, prioritize_input=False), "random", seed=0)
    np.testing.assert_array_equal(rec_q.forward_steps, [[2, 0, 2]])
    assert rec_q.first_output_step.tolist() == [[2]]


def test_leak_is_applied_once_per_frame():
    # IF vs LIF with beta = 1/2: two sub-threshold inputs of 0.6 mV in consecutive frames fire the
    # IF neuron (1.2 mV) but not the LIF one (0.6 / 2 + 0.6 = 0.9 mV).
    x = np.ones((1, 2, 1))
    for model, tau, expect in (("if", 20.0, 1), ("lif", 1.0 / np.log(2.0), 0)):
        net = Network((1,), (Dense([[0.6]]),), NeuronParams(model=model, v_th=1.0, reset="zero", tau_m=tau))
        assert simulate_async(net, x, AsyncConfig(frame_dt=1.0)).output_count.sum() == expect


def test_refractory_allows_one_spike_per_neuron_per_frame():
    net = _net([10, 20, 5], seed=3, scale=2.0)
    x = np.ones((2, 10, 10))
    rec = simulate_async(net, x, AsyncConfig(forward_group=2, refractory=True), "random", seed=0, record_frames=True)
    assert all(fc.max() == 1 for fc in rec.frame_counts)
    free = simulate_async(net, x, AsyncConfig(forward_group=2, refractory=False), "random", seed=0, record_frames=True)
    assert max(fc.max() for fc in free.frame_counts) > 1


def test_same_seed_same_result_and_seed_changes_the_schedule():
    net = _net([20, 30, 25, 10], seed=0)
    x = np.random.default_rng(1).random((4, 30, 20)) < 0.3
    cfg = AsyncConfig(forward_group=1)
    a = simulate_async(net, x, cfg, "random", seed=11)
    b = simulate_async(net, x, cfg, "random", seed=11)
    c = simulate_async(net, x, cfg, "random", seed=12)
    for p, q in zip(a.spike_count, b.spike_count):
        np.testing.assert_array_equal(p, q)
    assert any(not np.array_equal(p, q) for p, q in zip(a.spike_count, c.spike_count))


def test_batch_split_does_not_change_results_with_global_sample_ids():
    net = _net([20, 30, 25, 10], seed=0)
    x = np.random.default_rng(1).random((6, 20, 20)) < 0.3
    cfg = AsyncConfig(forward_group=2)
    whole = simulate_async(net, x, cfg, "random", seed=1)
    parts = [simulate_async(net, x[i : i + 2], cfg, "random", seed=1, sample_offset=i) for i in (0, 2, 4)]
    np.testing.assert_array_equal(whole.output_count, np.concatenate([p.output_count for p in parts]))


@pytest.mark.parametrize("k", [0, 3])
def test_stopping_after_output_is_a_prefix_of_the_drained_run(k):
    # The schedule is a pure function of the state, so stopping k steps after the first output
    # spike replays the drained run exactly up to that step and then halts.
    net = _net([20, 30, 25, 10], seed=0, scale=0.8)
    x = np.random.default_rng(1).random((8, 30, 20)) < 0.3
    full = simulate_async(net, x, AsyncConfig(forward_group=4), "random", seed=2)
    stop = "first_output" if k == 0 else "after_output"
    cut = simulate_async(net, x, AsyncConfig(forward_group=4, stop=stop, steps_after_output=k), "random", seed=2)
    first = np.where(full.first_output_step >= 0, full.first_output_step, 10**9).min(axis=1)
    assert np.all(first < 10**9) and cut.halted.all()
    reached = (full.first_output_step >= 0) & (full.first_output_step <= (first + k)[:, None])
    np.testing.assert_array_equal(cut.first_output_step, np.where(reached, full.first_output_step, -1))
    np.testing.assert_array_equal(cut.spikes_at_first_output, np.where(reached, full.spikes_at_first_output, -1))
    keep = full.output_events[2] <= first[full.output_events[0]] + k
    expected = np.zeros_like(full.output_count)
    np.add.at(expected, (full.output_events[0][keep], full.output_events[1][keep]), 1)
    np.testing.assert_array_equal(cut.output_count, expected)
    assert np.all(cut.forward_steps.sum(axis=1) <= first + k)
    assert cut.spikes_per_sample().sum() < full.spikes_per_sample().sum()
    if k == 0:
        assert np.all(cut.forward_steps.sum(axis=1) == first)


def test_layer_sync_matches_clock_simulator_shifted_by_one_step_per_layer():
    # IF, reset by subtraction, no bias, delta synapses: the clock simulator (Brian2 schedule)
    # spikes in layer l (1-based) at step n + l exactly when the zero-delay loop spikes at step n.
    net = _net([15, 20, 12, 6], seed=5, scale=0.7, reset="subtract", model="if")
    n_layers, n_steps = 3, 60
    x = (np.random.default_rng(6).random((3, n_steps, 15)) < 0.3).astype(float)
    padded = np.concatenate([x, np.zeros((3, n_layers, 15))], axis=1)
    clock = simulate(net, padded, dt=1.0, record_spikes=True)
    sync = simulate_layersync(net, padded, frame_dt=1.0, record_frames=True)
    for layer in range(n_layers):
        shift = layer + 1
        trains = clock.layers[layer].spikes
        assert not trains[:, :shift].any()
        np.testing.assert_array_equal(trains[:, shift:], sync.frame_counts[layer][:, : n_steps + n_layers - shift] > 0)
        # spike counts: the clock run over n + L steps = the zero-delay run cut l steps earlier
        np.testing.assert_array_equal(clock.layers[layer].spike_count,
                                      sync.frame_counts[layer][:, : n_steps + n_layers - shift].sum(axis=1))
    assert sync.output_count.sum() > 20


def test_metrics_on_a_hand_built_record():
    net = Network((2,), (Dense([[1.0, 0.0], [0.0, 1.0]]),), NeuronParams(model="if", v_th=1.0, reset="zero"))
    x = np.zeros((2, 3, 2))
    x[0, 0, 0] = x[0, 1, 0] = x[0, 2, 1] = 1  # sample 0: class 0 twice, then class 1
    x[1, 2, 1] = 1  # sample 1: class 1 once, in frame 2
    rec = simulate_async(net, x, AsyncConfig(forward_group=1, prioritize_input=False), "random", seed=0)
    np.testing.assert_array_equal(predict(rec), [0, 1])
    lat = first_output_latency(rec, [1, 1])
    np.testing.assert_array_equal(lat["steps_to_output"], [1, 1])
    np.testing.assert_array_equal(lat["steps_to_correct"], [3, 1])
    np.testing.assert_array_equal(lat["spikes_to_correct"], [3, 1])
    np.testing.assert_allclose(spikes_per_neuron(rec), [3 / 2, 1 / 2])
    np.testing.assert_allclose(accuracy_vs_steps(rec, [0, 1], [0, 1, 3]), [0.0, 1.0, 1.0])
    np.testing.assert_allclose(accuracy_vs_steps(rec, [1, 1], [1, 2, 3]), [0.5, 0.5, 0.5])


def test_invalid_configurations_are_rejected_with_the_parameter_name():
    with pytest.raises(ValueError, match="forward_group"):
        AsyncConfig(forward_group=0)
    with pytest.raises(ValueError, match="stop"):
        AsyncConfig(stop="never")
    net = Network((2,), (Dense(np.ones((1, 2)), bias=[0.5]),), NeuronParams())
    with pytest.raises(ValueError, match="bias"):
        simulate_async(net, np.zeros((1, 2, 2)))
    net = Network((2,), (Dense(np.ones((1, 2))),), NeuronParams(tau_syn=5.0))
    with pytest.raises(ValueError, match="tau_syn"):
        simulate_async(net, np.zeros((1, 2, 2)))
