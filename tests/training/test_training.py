"""Unlayered backprop and the layer-synchronized snnTorch baseline on small, hand-checkable tasks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurobench.neurons import NeuronParams
from neurobench.metrics import predict
from neurobench.sim.asynchronous import AsyncConfig, simulate_async
from neurobench.sim.layersync import simulate_layersync
from neurobench.training import SyncNet, TrainConfig, init_weights, train_async, train_sync

NEURONS = NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=5.0)


def _toy(n, seed):
    """4 classes; class c drives inputs 4c..4c+3 (p = 0.7 per frame), background p = 0.05."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 4
    p = np.full((n, 16), 0.05)
    for c in range(4):
        p[y == c, 4 * c : 4 * c + 4] = 0.7
    x = rng.random((n, 6, 16)) < p[:, None, :]
    return x.astype(np.uint8), y


def test_init_weights_are_xavier_uniform():
    w = init_weights((300, 200), gain=2.0, seed=0)[0]
    a = 2.0 * np.sqrt(6.0 / 500)
    assert w.shape == (200, 300) and np.abs(w).max() <= a
    assert abs(w.var() - a**2 / 3) < 0.02 * a**2 / 3


def test_train_config_rejects_bad_values_by_name():
    with pytest.raises(ValueError, match="input_dropout"):
        TrainConfig(input_dropout=1.0)
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="hidden"):
        TrainConfig(hidden=(0,))


def test_unlayered_training_is_bit_reproducible_under_its_seed():
    x, y = _toy(40, 0)
    cfg = TrainConfig(hidden=(12,), epochs=1, batch_size=20, input_dropout=0.2, refractory_dropout=0.5, seed=3)
    runs = [train_async(x, y, NEURONS, cfg, AsyncConfig(forward_group=2)) for _ in range(2)]
    other = train_async(x, y, NEURONS, TrainConfig(hidden=(12,), epochs=1, batch_size=20, seed=4), AsyncConfig(forward_group=2))
    for a, b, c in zip(runs[0].network.layers, runs[1].network.layers, other.network.layers):
        np.testing.assert_array_equal(a.weight, b.weight)
        assert not np.array_equal(a.weight, c.weight)
    assert runs[0].loss == runs[1].loss


@pytest.mark.parametrize("truncate", [False, True])
def test_unlayered_training_learns_a_separable_task(truncate):
    x, y = _toy(160, 1)
    xt, yt = _toy(80, 2)
    cfg = TrainConfig(hidden=(16,), epochs=6, batch_size=32, lr=1e-2, init_gain=1.5, truncate=truncate, seed=0)
    res = train_async(x, y, NEURONS, cfg, AsyncConfig(forward_group=4), scheduler="momentum")
    assert res.loss[-1] < res.loss[0]
    rec = simulate_async(res.network, xt, AsyncConfig(forward_group=4), "momentum", seed=1)
    # truncated per-frame backprop trades accuracy for memory (asynctorch's note)
    assert np.mean(predict(rec) == yt) >= (0.8 if truncate else 0.9)


def test_sync_net_forward_is_the_zero_delay_layer_sync_loop():
    # snnTorch Leaky(reset_delay=False) layers stepped per frame == neurobench.sim.layersync
    x, _ = _toy(8, 3)
    weights = init_weights((16, 20, 4), gain=2.0, seed=1)
    net = SyncNet(weights, (NEURONS, NEURONS), frame_dt=1.0, dtype=torch.float64)
    with torch.no_grad():
        counts = net(torch.from_numpy(x.astype(np.float64))).numpy()
    ref = simulate_layersync(net.to_network(), x, frame_dt=1.0)
    np.testing.assert_array_equal(counts, ref.output_count)
    assert ref.output_count.sum() > 10


def test_sync_trained_model_runs_asynchronously_and_learns():
    x, y = _toy(160, 1)
    xt, yt = _toy(80, 2)
    cfg = TrainConfig(hidden=(16,), epochs=6, batch_size=32, lr=1e-2, init_gain=1.5, seed=0)
    res = train_sync(x, y, NEURONS, cfg, frame_dt=1.0)
    assert res.train_accuracy[-1] > res.train_accuracy[0]
    sync = simulate_layersync(res.network, xt, frame_dt=1.0)
    assert np.mean(predict(sync) == yt) >= 0.9
    # F >= every width, random, queued input: asynchronous execution reproduces the sync run
    rec = simulate_async(res.network, xt, AsyncConfig(forward_group=16, prioritize_input=False), "random", seed=0)
    for a, b in zip(rec.spike_count, sync.spike_count):
        np.testing.assert_array_equal(a, b)


def test_trainers_leave_torch_global_random_state_untouched():
    x, y = _toy(24, 5)
    cfg = TrainConfig(hidden=(8,), epochs=1, batch_size=12, input_dropout=0.2, refractory_dropout=0.5, seed=3)
    trainers = (lambda: train_sync(x, y, NEURONS, cfg),
                lambda: train_async(x, y, NEURONS, cfg, AsyncConfig(forward_group=2)))
    for train in trainers:
        torch.manual_seed(123)
        expected = torch.rand(3)
        torch.manual_seed(123)
        train()
        np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_unlayered_training_skips_batches_whose_spikes_never_reach_the_output():
    # threshold far above any input: no spike reaches the output, so the loss has no gradient;
    # the trainer must skip the step (not fail) and leave the weights at their initial values
    x, y = _toy(16, 0)
    silent = NeuronParams(model="lif", v_th=1e6, reset="zero", tau_m=5.0)
    config = TrainConfig(hidden=(8,), epochs=1, batch_size=8, seed=0)
    result = train_async(x, y, silent, config, AsyncConfig(forward_group=4))
    for layer, w0 in zip(result.network.layers, init_weights((16, 8, 4), config.init_gain, config.seed)):
        assert np.allclose(layer.weight, w0, atol=1e-6)
    assert result.train_accuracy == [0.25]  # argmax of all-zero counts is class 0, a quarter of the labels
