"""The study behind notebooks/async.ipynb (neurobench.experiments.asynchronous): tasks, grid,
claims, headline metrics and the params section's neuron rule."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench import config
from neurobench.experiments.asynchronous.claims import headline_metrics, model_footprints, study_claims
from neurobench.experiments.asynchronous.params import AsyncEnergyParams
from neurobench.experiments.asynchronous.stages import LAYER_SYNC, early_stopping, evaluate_grid
from neurobench.experiments.asynchronous.tasks import row_digit_frames, saccade_digit_frames
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams


def _net(seed):
    rng = np.random.default_rng(seed)
    layers = (Dense(rng.normal(0.2, 0.5, (12, 16))), Dense(rng.normal(0.1, 0.5, (4, 12))))
    return Network((16,), layers, NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=5.0))


def test_task_builders_give_binary_frames_of_the_expected_shapes():
    rng = np.random.default_rng(0)
    images = rng.random((3, 1, 8, 8))
    x = saccade_digit_frames(images, n_steps=12, amplitude=1.5, threshold=0.15, seed=2, window=3.0)
    assert x.shape == (3, 4, 2 * 12 * 12) and set(np.unique(x)) <= {0, 1} and x.sum() > 0
    r = row_digit_frames(images, levels=2)
    assert r.shape == (3, 8, 16)


def test_grid_has_every_execution_and_large_F_reproduces_layer_sync():
    x = np.random.default_rng(1).random((10, 6, 16)) < 0.4
    y = np.arange(10) % 4
    models = {"sync": _net(0), "async-random": _net(1)}
    grid, lat = evaluate_grid(models, x, y, ["random", "momentum"], [1, 64], frame_dt=1.0)
    assert len(grid) == 2 * (1 + 2 * 2) and len(lat) == len(grid) * 10
    for model in models:
        sync = grid[(grid.model == model) & (grid.execution == LAYER_SYNC)].iloc[0]
        wide = grid[(grid.model == model) & (grid.execution == "random") & (grid.F == 64)].iloc[0]
        # prioritised input + F >= every width: one layer per step, the layer-sync spike counts
        assert wide.spikes_per_sample == sync.spikes_per_sample and wide.accuracy == sync.accuracy
    curve, stops = early_stopping(models, x, y, "random", 2, 1.0, budgets=[0, 1000], ks=(0, 2))
    assert curve[curve.budget == 0].accuracy.max() == 0.0
    drained = stops[stops.stop == "drain"].set_index("model").accuracy
    for model in models:
        assert curve[(curve.model == model) & (curve.budget == 1000)].accuracy.iloc[0] == drained[model]


def test_async_section_neurons_are_neuron_params_without_t_ref_or_synaptic_decay():
    cfg = config.validate("asynchronous", {})
    assert cfg.neuron == NeuronParams(model="lif", reset="zero")
    for key, value in (("t_ref", 1.0), ("tau_syn", 2.0)):
        with pytest.raises(config.ConfigError, match=rf"asynchronous\.neuron\b.*\b{key} must be 0"):
            config.validate("asynchronous", {"neuron": {"model": "lif", key: value}})


def test_headline_metrics_add_the_static_metrics_of_every_model():
    models = {"saccade digits (spatial)": {"sync": _net(0), "async-random": _net(1)}}
    x = np.random.default_rng(1).random((6, 4, 16)) < 0.4
    grid, _ = evaluate_grid(models["saccade digits (spatial)"], x, np.arange(6) % 4, ["random"], [2], frame_dt=1.0)
    grid = grid.assign(task="saccade digits (spatial)")
    foot = model_footprints(models)
    assert list(foot.parameter_count) == [16 * 12 + 12 + 12 * 4 + 4] * 2
    summary = headline_metrics(grid, foot, ["random"], 2, n_train=10, n_test=6)
    assert all(isinstance(v, (int, float)) for v in summary.values())
    assert len(study_claims(grid, AsyncEnergyParams())) == 8
    assert summary["saccade_async_random_footprint_bytes"] == 4 * (16 * 12 + 12 + 12 * 4 + 4)
    assert summary["saccade_sync_random_F2_accuracy"] == float(grid[(grid.model == "sync") & (grid.F == 2)].accuracy.iloc[0])
    assert list(summary)[-2:] == ["n_train", "n_test"]
