"""The zero-delay layer-synchronized loop against the clock simulator (Brian2's schedule): exact
under the matching convention for reset to zero, different when run naively."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim.layersync import clock_agreement, clock_equivalent, clock_frames


def _net(model="lif", reset="zero", seed=0):
    rng = np.random.default_rng(seed)
    layers = (Dense(rng.normal(0.3, 0.6, (12, 16))), Dense(rng.normal(0.2, 0.6, (8, 12))), Dense(rng.normal(0.2, 0.6, (4, 8))))
    return Network((16,), layers, NeuronParams(model=model, v_th=1.0, reset=reset, tau_m=5.0))


@pytest.mark.parametrize("model", ["lif", "if"])
@pytest.mark.parametrize("gap", [2, 3])
def test_clock_simulator_reproduces_layer_sync_spike_for_spike_under_matching_convention(model, gap):
    x = np.random.default_rng(1).random((20, 15, 16)) < 0.3
    result = clock_agreement(_net(model), x, frame_dt=3.0, gap=gap)
    assert result["spikes"] > 1000  # an active network, not a silent one
    assert result["mismatches"] == 0 and result["agreement"] == 1.0 and result["prediction_agreement"] == 1.0
    # run naively (same dt and threshold) the conventions differ in most spike counts
    assert result["naive_count_agreement"] < 0.5


def test_matching_convention_scales_threshold_by_one_step_leak_and_spreads_frames():
    net, dt = clock_equivalent(_net(), frame_dt=3.0, gap=2)
    assert dt == 1.5 and net.neurons[0].v_th == pytest.approx(np.exp(-1.5 / 5.0))
    x = np.ones((1, 3, 16))
    frames = clock_frames(x, n_layers=3, gap=2)
    assert frames.shape == (1, 9, 16) and list(frames[0, :, 0]) == [1, 0, 1, 0, 1, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="reset 'zero'"):
        clock_equivalent(_net(reset="subtract"), 3.0)
    with pytest.raises(ValueError, match="gap must be >= 2"):
        clock_equivalent(_net(), 3.0, gap=1)
