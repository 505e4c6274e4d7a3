"""The endurance report's claims at SMALL params: targets met on the mean, rows over seeds."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def built(built_reports):
    built_reports.stage("endurance")
    folder = built_reports.reports / "endurance"
    return json.loads((folder / "metrics.json").read_text()), json.loads((folder / "claims.json").read_text())


MET = ["t1_far_near_current", "t2_gain_vs_spinemap", "t2_min_gain_vs_spinemap", "t2_gain_vs_sequential",
       "t3_energy_vs_spinemap", "t4_spinemap_energy", "t4_spinemap_latency", "t5_rram_gain_min",
       "thermal_pcm_gain", "thermal_rram_gain"]


def test_claim_targets_are_met_at_small_scale(built):
    metrics, _ = built
    for key in MET:
        assert metrics[f"claim_{key}_met"] == 1, key
    # the headline numbers behind them, on the mean over seeds
    assert metrics["claim_t1_far_near_current_mean"] < 1.0
    assert metrics["claim_t2_gain_vs_spinemap_mean"] > 1.05
    assert metrics["claim_t5_rram_gain_min_mean"] > 1.0
    assert metrics["claim_thermal_rram_gain_mean"] > 1.0


def test_every_claim_row_has_the_seeds_and_the_paper_beside_it(built):
    metrics, records = built
    n_seeds = metrics["n_seeds"]
    assert n_seeds == 2  # SMALL
    for r in records:
        assert r["n"] == n_seeds and len(r["measured"]) == n_seeds and r["source"]
        assert r["note"]  # nothing here is like-for-like with the papers
    assert {r["key"]: r["paper"] for r in records}["t4_spinemap_energy"] == 0.55


def test_gain_decomposition_and_drivers_at_small_scale(built):
    metrics, _ = built
    # total gain = cell ordering x PSO (geometric means per seed, then the mean over seeds)
    assert metrics["cell_ordering_gain_geomean"] >= 1.0 and metrics["pso_gain_geomean"] >= 1.0
    # without variation between tiles the PSO part vanishes
    assert metrics["drivers_pso_gain_no_variation"] == 1.0
    assert metrics["n_synthetic_workloads"] >= 1
