"""Batched torch path of asynchronous execution: identical to the event path, and differentiable."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from snntorch import surrogate

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim.async_torch import AsyncTorchNet, TorchTraining, run_async_torch
from neurobench.sim.asynchronous import AsyncConfig, simulate_async


def _net(reset="zero", seed=0):
    rng = np.random.default_rng(seed)
    sizes = [16, 24, 20, 6]
    layers = [Dense(rng.normal(0.0, 0.6, (sizes[i + 1], sizes[i]))) for i in range(3)]
    return Network((16,), tuple(layers), NeuronParams(model="lif", v_th=1.0, reset=reset, tau_m=5.0))


CASES = [
    ("random", 2, True, True, "drain", "zero"),
    ("random", 4, False, False, "drain", "subtract"),
    ("momentum", 2, True, False, "after_output", "zero"),
    ("momentum", 3, False, True, "drain", "subtract"),
    ("fifo", 2, False, True, "first_output", "zero"),
    ("round_robin", 3, False, False, "drain", "zero"),
    ("round_robin", 2, True, True, "after_output", "subtract"),
]


@pytest.mark.parametrize("scheduler, F, prioritize, refractory, stop, reset", CASES)
def test_torch_path_emits_exactly_the_event_path_spikes(scheduler, F, prioritize, refractory, stop, reset):
    net = _net(reset)
    x = np.random.default_rng(3).random((4, 12, 16)) < 0.3
    cfg = AsyncConfig(forward_group=F, prioritize_input=prioritize, refractory=refractory, stop=stop,
                      steps_after_output=2)
    a = simulate_async(net, x, cfg, scheduler, seed=4, record_frames=True)
    with torch.no_grad():
        b = run_async_torch(AsyncTorchNet.from_network(net), x, cfg, scheduler, seed=4, record_frames=True).record
    for p, q in zip(a.frame_counts, b.frame_counts):
        np.testing.assert_array_equal(p, q)
    for field in ("forward_steps", "synops", "first_output_step", "spikes_at_first_output", "input_events", "halted"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert a.spike_count[0].sum() > (60 if stop == "drain" else 20)


def test_asynctorch_style_full_pass_gives_the_same_spikes():
    net = _net()
    x = np.random.default_rng(3).random((3, 8, 16)) < 0.3
    model = AsyncTorchNet.from_network(net)
    cfg = AsyncConfig(forward_group=3, prioritize_input=False)
    with torch.no_grad():
        a = run_async_torch(model, x, cfg, "momentum", seed=2, record_frames=True).record
        b = run_async_torch(model, x, cfg, "momentum", seed=2, record_frames=True, full_pass=True).record
    for p, q in zip(a.frame_counts, b.frame_counts):
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.forward_steps, b.forward_steps)


def test_output_tensor_equals_recorded_output_counts():
    net = _net()
    x = np.random.default_rng(3).random((4, 8, 16)) < 0.3
    run = run_async_torch(AsyncTorchNet.from_network(net), x, AsyncConfig(forward_group=4),
                          training=TorchTraining(surrogate=surrogate.atan()))
    np.testing.assert_array_equal(run.output.detach().numpy(), run.record.output_count)


def test_gradient_of_a_memoryless_layer_is_the_closed_form_surrogate_sum():
    # One layer, beta = exp(-1000) = 0 (memoryless), prioritised input, no refractoriness: the
    # membrane at each check is v_j(t) = sum_i W_ji x_i(t), so
    # d(count_j)/dW_ji = sum_t atan'(v_j(t) - theta) x_i(t) (the reset is a constant).
    rng = np.random.default_rng(0)
    w = rng.normal(0.0, 0.7, (3, 5))
    neurons = NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=1e-3)
    model = AsyncTorchNet([w], neurons, dtype=torch.float64)
    x = rng.random((1, 6, 5)) < 0.5
    run = run_async_torch(model, x, AsyncConfig(forward_group=4, refractory=False),
                          training=TorchTraining(surrogate=surrogate.atan()))
    run.output.sum().backward()
    xf = x[0].astype(float)
    u = torch.tensor(xf @ w.T - 1.0, requires_grad=True)
    surrogate.atan()(u).sum().backward()
    received = (xf @ w.T) != 0
    expected = (u.grad.numpy() * received).T @ xf
    np.testing.assert_allclose(model.weights[0].grad.numpy(), expected, rtol=1e-12, atol=1e-15)
    assert np.abs(expected).sum() > 0.1
    assert math.isclose(float(run.output.detach().sum()), float(((xf @ w.T) >= 1.0).sum()))


def test_gradient_reaches_every_layer_through_the_schedule():
    net = _net()
    model = AsyncTorchNet.from_network(net, dtype=torch.float32)
    x = np.random.default_rng(3).random((4, 10, 16)) < 0.3
    run = run_async_torch(model, x, AsyncConfig(forward_group=3), training=TorchTraining(surrogate=surrogate.atan()))
    torch.nn.functional.cross_entropy(run.output, torch.tensor([0, 1, 2, 3])).backward()
    assert all(float(p.grad.abs().sum()) > 0 for p in model.weights)


def test_truncated_run_calls_back_every_frame_and_matches_the_full_forward_pass():
    net = _net()
    x = np.random.default_rng(3).random((3, 8, 16)) < 0.3
    frames = []
    full = run_async_torch(AsyncTorchNet.from_network(net), x, AsyncConfig(forward_group=2),
                           training=TorchTraining(surrogate=surrogate.atan()))
    trunc = run_async_torch(AsyncTorchNet.from_network(net), x, AsyncConfig(forward_group=2), training=TorchTraining(
        surrogate=surrogate.atan(), on_frame=lambda f, c: frames.append(c.detach().clone()), truncate=True))
    assert len(frames) == 8
    np.testing.assert_array_equal(sum(frames).numpy(), full.output.detach().numpy())
    np.testing.assert_array_equal(trunc.output.detach().numpy(), full.output.detach().numpy())


def test_dropout_options_are_seeded_and_change_the_run():
    net = _net()
    x = np.random.default_rng(3).random((3, 8, 16)) < 0.3
    model = AsyncTorchNet.from_network(net)

    def run(seed, p_in=0.3, p_ref=0.8):
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            return run_async_torch(model, x, AsyncConfig(forward_group=2), training=TorchTraining(
                input_dropout=p_in, refractory_dropout=p_ref, generator=gen)).record
    a, b, c = run(1), run(1), run(2)
    np.testing.assert_array_equal(a.spike_count[0], b.spike_count[0])
    assert not np.array_equal(a.spike_count[0], c.spike_count[0])
    plain = run(1, 0.0, 0.0)
    assert a.input_events.sum() < plain.input_events.sum()
    with pytest.raises(ValueError, match="Generator"):
        run_async_torch(model, x, AsyncConfig(), training=TorchTraining(input_dropout=0.2))


def test_to_network_round_trips_the_weights():
    net = _net()
    back = AsyncTorchNet.from_network(net).to_network()
    for i in range(3):
        np.testing.assert_array_equal(back.layers[i].weight, net.layers[i].weight)


@pytest.mark.parametrize("prioritize", [True, False])
def test_torch_path_drops_at_the_step_cap_exactly_as_the_event_path(prioritize):
    # max_steps cuts frames short: the pending spikes dropped there, and everything after, agree
    net = _net()
    x = np.random.default_rng(5).random((4, 6, 16)) < 0.4
    cfg = AsyncConfig(forward_group=1, prioritize_input=prioritize, max_steps=3)
    a = simulate_async(net, x, cfg, "random", seed=1, record_frames=True)
    with torch.no_grad():
        b = run_async_torch(AsyncTorchNet.from_network(net), x, cfg, "random", seed=1, record_frames=True).record
    assert a.dropped.sum() > 0
    for field in ("dropped", "forward_steps", "synops", "first_output_step", "spikes_at_first_output"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    for p, q in zip(a.frame_counts, b.frame_counts):
        np.testing.assert_array_equal(p, q)
