"""A pooled delay network exported to ``Network`` with per-synapse delays: the clock simulator
runs the torch model's dynamics, and Brian2 runs the export spike for spike like the clock."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurobench.models.delay_export import clock_logits, to_network
from neurobench.models.delays import DelayNet, DelayNetParams, DelayParams, LIFDelayParams


def _net() -> DelayNet:
    p = DelayNetParams(hidden=[12], delay=DelayParams(max_delay=6, stride=1), delay_on="io",
                       neurons=LIFDelayParams(tau_m=3.0, threshold=0.3), gain=4.0)
    return DelayNet(10, 4, p, torch.Generator().manual_seed(3), dtype=torch.float64)


def _x() -> np.ndarray:
    return (np.random.default_rng(0).random((5, 20, 10)) < 0.3).astype(np.uint8)


def test_export_runs_the_torch_dynamics_in_the_clock_simulator():
    net = _net()
    net.pool_(1, "synaptic")
    network = to_network(net)
    assert network.has_delays and network.layers[0].delay.max() <= 5
    x = _x()
    logits, rec = clock_logits(network, x)
    with torch.no_grad():
        t_logits, t_spikes = net(torch.from_numpy(x).double(), record=True)
    np.testing.assert_array_equal(rec.layers[0].spikes, t_spikes[0].numpy() > 0)
    assert rec.layers[0].spike_count.sum() > 10
    np.testing.assert_allclose(logits, t_logits.numpy(), rtol=1e-9, atol=1e-9)


def test_export_is_identical_in_brian2_and_refuses_several_taps():
    pytest.importorskip("brian2")
    from neurobench.sim.brian import simulate_brian

    net = _net()
    with pytest.raises(ValueError, match="pool to k = 1"):
        to_network(net)
    net.pool_(1, "axonal")
    network = to_network(net)
    x = _x()
    logits, rec = clock_logits(network, x)
    b_logits, b_rec = clock_logits(network, x, simulate_brian)
    for a, b in zip(rec.layers, b_rec.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(logits, b_logits)
