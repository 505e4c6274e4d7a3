"""The async stage's claims rows (neurobench.claims.Claim), energy proxy, replicates, saved
models, and the claim metrics of the small built report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from neurobench import config
from neurobench.claims import claims_frame
from neurobench.experiments.asynchronous.claims import energy_sweep, paired_effects, study_claims
from neurobench.experiments.asynchronous.params import AsyncEnergyParams
from neurobench.experiments.asynchronous.stages import LAYER_SYNC, grid_mean, replicate_section, save_models
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.seeds import child_seed
from neurobench.serialize import load_network

TASK = "saccade digits (spatial)"
REPO = Path(__file__).resolve().parents[2]


def _grid():
    """Two replicates, one async cell pair (F = 2, 8) per replicate with hand-checkable effects."""
    rows = []
    for r, shift in ((0, 0.0), (1, 10.0)):
        for model, spikes, latency, acc, syn in (("sync", 100.0, 40.0, 0.80, 1000.0), ("async-random", 60.0, 20.0, 0.85, 500.0)):
            base = {"replicate": r, "task": TASK, "model": model, "neuron_updates_per_sample": 10.0}
            rows.append({**base, "execution": LAYER_SYNC, "F": 0, "spikes_per_sample": 1.0, "spikes_to_correct": 1.0,
                         "accuracy": 0.0, "synops_per_sample": 1.0})
            for F, scale in ((2, 1.0), (8, 0.5)):
                rows.append({**base, "execution": "random", "F": F,
                             "spikes_per_sample": spikes * (scale if model == "sync" else 1.0) + (shift if model == "sync" else 0.0),
                             "spikes_to_correct": latency, "accuracy": acc, "synops_per_sample": syn})
    return pd.DataFrame(rows)


def test_claims_are_claim_rows_with_paper_numbers_and_per_seed_best_and_mean():
    claims = {c.key: c for c in study_claims(_grid(), AsyncEnergyParams(syn_op_pj=20.0, neuron_update_pj=0.0))}
    assert len(claims) == 8 and all(k.startswith("saccade_") for k in claims)
    # replicate 0: F=2 60 vs 100 -> 40 % fewer, F=8 60 vs 50 -> -20 %; replicate 1: 60 vs 110 / 60 vs 60
    best, mean = claims["saccade_spikes_best"], claims["saccade_spikes_mean"]
    assert best.measured == pytest.approx((40.0, 100 * (1 - 60 / 110))) and best.paper == 50.0 and best.target == 50.0
    assert mean.measured == pytest.approx((10.0, (100 * (1 - 60 / 110) + 0.0) / 2)) and best.seeds == (0, 1)
    assert claims["saccade_decision_best"].measured == (2.0, 2.0) and claims["saccade_decision_best"].met is True
    assert claims["saccade_accuracy_mean"].mean == pytest.approx(5.0) and claims["saccade_accuracy_best"].met is False
    # energy with neuron updates free: synops 1000 vs 500 -> 2x in every cell
    assert claims["saccade_energy_mean"].measured == pytest.approx((2.0, 2.0)) and claims["saccade_energy_best"].met
    frame = claims_frame(claims.values())
    assert frame.loc[frame.claim.str.startswith("up to 50 %"), "paper"].iloc[0] == "50.0 %"
    assert "Koopman et al. 2024" in frame.source.iloc[0]


def test_energy_gain_moves_towards_one_as_neuron_updates_cost_more():
    energy = AsyncEnergyParams(syn_op_pj=20.0, neuron_update_pj=50.0, neuron_update_pj_sweep=[0.0, 1000.0, 1e6])
    sweep = energy_sweep(_grid(), energy)
    gains = list(sweep["energy gain mean (x)"])
    # E = 20 * synops + e_upd * 10: (20000 + 10 e) / (10000 + 10 e)
    assert gains == pytest.approx([(20 * 1000 + 10 * e) / (20 * 500 + 10 * e) for e in (0.0, 1000.0, 1e6)])
    assert gains[0] == pytest.approx(2.0) and gains[-1] < 1.01
    effects = paired_effects(_grid(), energy)
    assert len(effects) == 4 and set(effects.model) == {"async-random"}


def test_grid_mean_averages_replicates_with_accuracy_std():
    mean = grid_mean(_grid()).set_index(["model", "execution", "F"])
    assert mean.loc[("sync", "random", 2), "spikes_per_sample"] == pytest.approx(105.0)
    assert mean.loc[("sync", "random", 2), "accuracy_std"] == 0.0 and "replicate" not in mean


def test_replicates_derive_every_seed_with_child_seed_and_n_seeds_is_validated():
    cfg = config.validate("asynchronous", {})
    assert cfg.n_seeds == 3
    r1 = replicate_section(cfg, 1)
    assert r1.training.seed == child_seed(cfg.training.seed, 1) and r1.split_seed == child_seed(cfg.split_seed, 1)
    assert r1.saccade_seed == child_seed(cfg.saccade_seed, 1) and r1.schedule_seed == child_seed(cfg.schedule_seed, 1)
    assert replicate_section(cfg, 0).training.seed != r1.training.seed
    with pytest.raises(config.ConfigError, match=r"asynchronous\.n_seeds = 0"):
        config.validate("asynchronous", {"n_seeds": 0})
    with pytest.raises(config.ConfigError, match=r"asynchronous\.training\.surrogate"):
        config.validate("asynchronous", {"training": {"surrogate": "relu"}})


def test_save_models_writes_loadable_networks_per_task_and_model(tmp_path):
    net = Network((4,), (Dense(np.arange(8.0).reshape(2, 4)),), NeuronParams(model="lif", reset="zero"))
    paths = save_models({TASK: {"sync": net, "async-random": net}, "row-by-row digits (temporal)": {"sync": net}}, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == ["rows/sync.npz", "saccade/async-random.npz",
                                                                         "saccade/sync.npz"]
    back = load_network(tmp_path / "saccade" / "async-random.npz")
    assert np.array_equal(back.layers[0].weight, net.layers[0].weight) and back.neurons == net.neurons


def test_built_report_claims_and_layer_sync_clock_agreement(built_reports):
    built_reports.stage("async")
    out = built_reports.reports / "async"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    # the layer-sync loop of every trained model equals the clock simulator under the matching convention
    assert m["layersync_clock_agreement"] == 1.0 and m["layersync_clock_prediction_agreement"] == 1.0
    assert m["layersync_clock_spikes"] > 0 and m["layersync_clock_naive_count_agreement"] < 1.0
    small = yaml.safe_load(built_reports.params.read_text())["asynchronous"]
    for tag in ("saccade", "rows"):
        for key in ("spikes", "decision", "accuracy", "energy"):
            for how in ("best", "mean"):
                stem = f"claim_{tag}_{key}_{how}"
                assert m[f"{stem}_n"] >= 1 and f"{stem}_mean" in m and f"{stem}_target" in m
        assert m[f"claim_{tag}_spikes_best_paper"] == 50.0 and m[f"claim_{tag}_decision_best_paper"] == 2.0
        assert m[f"claim_{tag}_spikes_best_n"] == small["n_seeds"]
        # energy proxy: async-trained models deliver fewer synaptic events at the same neuron count,
        # and never an order of magnitude less energy
        assert 0.5 < m[f"claim_{tag}_energy_mean_mean"] < 10.0
    records = json.loads((out / "claims.json").read_text())
    assert len(records) == 16 and {r["key"] for r in records} >= {"saccade_energy_mean", "rows_accuracy_best"}
    models = Path(small["models_dir"])
    models = models if models.is_absolute() else REPO / models
    for tag in ("saccade", "rows"):
        for model in ["sync", *(f"async-{s}" for s in small["training"]["strategies"])]:
            assert load_network(models / tag / f"{model}.npz").sizes[-1] == 10
