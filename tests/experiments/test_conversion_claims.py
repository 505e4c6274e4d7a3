"""The conversion report built small (``test_notebooks.SMALL``): its claims and metrics, read from
the built ``claims.json`` and ``metrics.json`` (``built_reports`` fixture of ``tests/conftest.py``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from neurobench.experiments.conversion import claims


@pytest.fixture(scope="module")
def built(built_reports):
    built_reports.stage("conversion")
    folder = built_reports.reports / "conversion"
    metrics = json.loads((folder / "metrics.json").read_text())
    rows = {row["key"]: row for row in json.loads((folder / "claims.json").read_text())}
    return folder, metrics, rows


def test_every_claim_row_has_both_seeds_and_is_decided_on_the_mean(built):
    _, metrics, rows = built
    assert metrics["n_seeds"] == 2
    for key, row in rows.items():
        assert row["n"] == 2 and len(row["seeds"]) == 2 and len(set(row["seeds"])) == 2, key
        assert metrics[f"claim_{key}_n"] == 2
        if row["target"] is not None:
            met = row["mean"] >= row["target"] if row["higher_is_better"] else row["mean"] <= row["target"]
            assert row["met"] == met and metrics[f"claim_{key}_met"] == int(met), key
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values())


def test_every_small_network_is_identical_in_brian2(built):
    _, metrics, rows = built
    assert metrics["brian_identical_networks"] == metrics["networks_converted"] > 0
    assert rows["brian_identical_share"]["mean"] == 1.0 and metrics["claim_brian_identical_share_met"] == 1


def test_small_analog_mlp_keeps_agreement_and_reports_near_ties(built):
    _, metrics, rows = built
    assert set(rows) >= {"mlp_analog_drop_pp", "mlp_analog_agreement_pct", "mlp_analog_near_tie_pct",
                         "mlp_digital3_drop_pp", "mlp_digital3_lp_minus_baseline_pp", "regression_analog_r2_drop",
                         "pruning_half_drop_pp", "pruning_group_lp_minus_random_pp", "brian_identical_share"}
    assert rows["mlp_analog_agreement_pct"]["mean"] >= 90.0  # 5 epochs, T = 30, 60 test samples
    assert 0.0 <= rows["mlp_analog_near_tie_pct"]["mean"] <= 100.0
    assert rows["regression_analog_r2_drop"]["mean"] <= claims.REGRESSION_MAX_R2_DROP


def test_lp_and_baseline_are_read_out_alike_in_the_report(built):
    folder, metrics, _ = built
    for key in ("mlp_digital3_baseline", "mlp_digital3_lp", "mlp_analog_baseline", "regression_analog_baseline"):
        assert metrics[f"{key}_score"] == metrics[f"{key}_score_count"], key  # evaluate.readout = count
    sweep = pd.read_csv(folder / "plots" / "steps_sweep.csv")
    assert set(sweep.readout) == {"count", "potential"} and set(sweep.n_steps) == {10, 30}
    assert sweep.near_tie.between(0, 1).all()
    # fewer near ties with a longer run: one spike is worth less
    ties = sweep[(sweep.network == "mlp") & (sweep.method == "lp")].groupby("n_steps").near_tie.mean()
    assert ties[30] <= ties[10]


def test_small_report_shows_the_milp_path_and_the_penalty_sweep(built):
    folder, metrics, _ = built
    results = pd.read_csv(folder / "plots" / "results.csv")
    milp = results[(results.family == "digital3_milp") & (results.method == "lp")]
    assert len(milp) == 2 and (milp.solver == "milp").all() and milp.max_mip_gap.notna().all()
    penalties = pd.read_csv(folder / "plots" / "weight_penalty.csv")
    assert list(penalties.weight_penalty) == [0.0, 0.1] and penalties.test_rmse_pct.gt(0).all()
    residuals = pd.read_csv(folder / "plots" / "layer_residuals.csv")
    assert {"calibration_rmse_pct", "test_rmse_pct"} <= set(residuals.columns)
