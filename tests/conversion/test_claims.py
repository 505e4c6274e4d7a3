"""The conversion report's claims/targets table and result tables, on small synthetic inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench.config import validate
from neurobench.conversion.evaluation import Readout, rounding_step, weight_levels
from neurobench.experiments.conversion import claims, tables
from neurobench.experiments.conversion.evaluate import readout_of
from neurobench.experiments.conversion import convert as convert_stage
from neurobench.experiments.conversion.params import ConversionPruningSection
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams


def cfg_of(**overrides):
    values = {
        "networks": ["mlp", "regression"],
        "families": {"analog": {"family": "analog", "w_min": -8.0, "w_max": 8.0},
                     "digital4": {"family": "digital", "bits": 4, "method": "round"},
                     "hybrid": {"family": "hybrid"}},
        "evaluate": {"steps": [50, 200]},
        "pruning": {"network": "mlp", "layer": 0, "sizes": [75, 50, 25], "methods": ["group_lp", "greedy", "random"],
                    "milp_sizes": []},
    }
    values.update(overrides)
    return validate("conversion", values)


def sweep_of(rows):
    return pd.DataFrame(rows, columns=["network", "family", "method", "n_steps", "score", "agreement"])


SWEEP = sweep_of([
    ("mlp", "analog", "lp", 50, 0.80, 0.85),
    ("mlp", "analog", "lp", 200, 0.95, 0.99),
    ("mlp", "digital4", "lp", 200, 0.94, 0.97),
    ("mlp", "digital4", "baseline", 200, 0.90, 0.93),
    ("regression", "analog", "lp", 200, 0.47, 0.90),
])
ANN = {"mlp": 0.955, "cnn": 0.97, "regression": 0.50}


def test_longest_runs_keep_only_the_longest_length():
    longest = claims.longest_runs(SWEEP, 200)
    assert len(longest) == 4
    assert longest.loc[("mlp", "analog", "lp")].score == 0.95


def test_analog_claim_measures_drop_and_agreement():
    rows = claims.analog_claims(claims.longest_runs(SWEEP, 200), ANN, 200)
    assert rows == [{"paper's claim": "SNN keeps agreement and performance",
                     "our target": "mlp analog: within 1 pp of the ANN, agreement >= 98 %",
                     "measured": "drop 0.50 pp, agreement 99.0 % (T = 200)", "met": "yes"}]
    worse = sweep_of([("cnn", "analog", "lp", 200, 0.95, 0.995)])  # drop 2 pp
    assert claims.analog_claims(claims.longest_runs(worse, 200), ANN, 200)[0]["met"] == "NO"


def test_digital_claims_compare_with_the_ann_and_the_rounded_baseline():
    rows = claims.digital_claims(claims.longest_runs(SWEEP, 200), ANN, cfg_of().families)
    assert [r["our target"] for r in rows] == ["mlp 4-bit: within 3 pp of the ANN",
                                               "mlp 4-bit: LP above the rounded baseline"]
    assert rows[0]["measured"] == "drop 1.50 pp" and rows[0]["met"] == "yes"
    assert rows[1]["measured"] == "LP 0.940 vs baseline 0.900" and rows[1]["met"] == "yes"


def test_regression_claim_needs_the_network():
    longest = claims.longest_runs(SWEEP, 200)
    (row,) = claims.regression_claims(longest, ANN, ["mlp", "regression"])
    assert row["measured"] == "SNN R² 0.470, ANN R² 0.500" and row["met"] == "yes"
    assert claims.regression_claims(longest, ANN, ["mlp"]) == []


PRUNED = pd.DataFrame({
    "network": ["mlp"] * 6,
    "selection": ["group_lp", "random"] * 3,
    "prune_size": [75, 75, 50, 50, 25, 25],
    "score": [0.95, 0.93, 0.945, 0.90, 0.90, 0.70],
})


def test_pruning_claims_use_the_size_nearest_half_and_the_mean_over_sizes():
    rows = claims.pruning_claims(PRUNED, ANN, 100, ConversionPruningSection())
    assert rows[0]["our target"] == "mlp: group-LP pruning to about half (50 of 100) costs <= 2 pp"
    assert rows[0]["measured"] == "drop 1.00 pp" and rows[0]["met"] == "yes"
    assert rows[1]["measured"] == "group LP 0.932, greedy nan, random 0.843" and rows[1]["met"] == "yes"
    assert claims.pruning_claims(PRUNED.iloc[:0], ANN, 100, ConversionPruningSection()) == []


def test_brian_claim_counts_identical_networks():
    (row,) = claims.brian_claims(pd.DataFrame({"identical": [True, False, True]}))
    assert row["measured"] == "2 / 3" and row["met"] == "NO"


def test_targets_table_in_report_order():
    training = {"mlp": {"sizes": [64, 100, 10]}, "regression": {"sizes": [10, 32, 16, 1]}}
    targets = claims.targets_table(SWEEP, PRUNED, pd.DataFrame({"identical": [True, True]}), ANN, training, cfg_of())
    assert list(targets.columns) == ["paper's claim", "our target", "measured", "met"]
    assert list(targets["paper's claim"]) == [
        "SNN keeps agreement and performance", "targets digital chips", "(ours) LP beats the usual conversion",
        "three networks convert", "little loss after pruning", "optimal node pruning", "(ours) Brian2 agrees"]
    assert (targets.met == "yes").sum() == 7


def study_of(entries, training=None, networks=None, cfg=None):
    return tables.Study(cfg=cfg or cfg_of(), entries=entries, training=training or {}, anns={},
                        networks=networks or {}, tests={}, ann_scores={"mlp": 0.955, "regression": 0.5})


def test_pruning_table_and_headline_metrics():
    entries = {"prune__mlp__random__50": {"selection_status": "optimal", "selection_seconds": 0.5, "prune_layer": 0}}
    results = pd.DataFrame([
        {"name": "mlp__analog", "network": "mlp", "family": "analog", "method": "lp", "prune_size": None,
         "score": 0.95, "agreement": 0.99},
        {"name": "prune__mlp__random__50", "network": "mlp", "family": "analog", "method": "prune_random",
         "prune_size": 50, "score": 0.9, "agreement": 0.92},
    ])
    study = study_of(entries, training={"mlp": {"sizes": [64, 100, 10]}})
    pruned = tables.pruning_table(study, results)
    assert pruned.iloc[0][["selection", "prune_size", "selection_status", "prune_layer", "layer_width"]].tolist() == \
        ["random", 50, "optimal", 0, 100]
    main = tables.main_results(results)
    assert list(main.name) == ["mlp__analog"]
    targets = pd.DataFrame({"met": ["yes", "NO", "yes"]})
    metrics = tables.headline_metrics(study, main, pruned, pd.DataFrame({"identical": [True, True]}), targets)
    assert metrics == {
        "brian_identical_networks": 2, "networks_converted": 1, "ann_mlp_score": 0.955, "ann_regression_score": 0.5,
        "mlp_analog_lp_score": 0.95, "mlp_analog_lp_agreement": 0.99, "prune_mlp_random_50_score": 0.9,
        "targets_met": 2, "targets_total": 3,
    }


def test_weight_levels_of_lp_and_baseline_entries():
    neuron = NeuronParams(model="if", reset="subtract")
    net = Network((3,), (Dense(np.array([[0.2, -0.4, 0.0], [0.6, 0.1, -0.2]]), np.zeros(2)),), neuron)
    assert rounding_step(net.layers[0].weight, 3) == pytest.approx(0.2)
    assert rounding_step(np.zeros(4), 3) == 1.0
    assert weight_levels(net, 0, 0.2).tolist() == [1, -2, 3, 0, -1]  # non-zero weights, row by row
    entries = {"mlp__digital4": {"network": "mlp", "family": "digital4", "method": "lp",
                                 "layers": [{"weight_step": 0.2}]},
               "mlp__digital4__baseline": {"network": "mlp", "family": "digital4", "method": "baseline"},
               "mlp__analog": {"network": "mlp", "family": "analog", "method": "lp"}}
    study = study_of(entries, networks={name: net for name in entries})
    levels = tables.weight_levels_table(study)
    assert set(levels.method) == {"lp", "baseline"} and set(levels.bits) == {4}
    # baseline step max|w| / 7 = 0.6 / 7
    assert levels[levels.method == "baseline"].level.tolist() == [2, -5, 7, 1, -2]
    counts = tables.level_counts(levels)
    assert counts["count"].sum() == 10 and list(counts.columns) == ["network", "method", "layer", "level", "count"]


def test_readout_of_entries():
    assert readout_of({"readout": "count", "readout_scale": 250.0, "readout_offset": -1.5}) == Readout("count", 250.0, -1.5)
    assert readout_of({"readout": "potential", "output_scale": 3.0}) == Readout("potential", 3.0)


def test_stage_command_rejects_a_bad_section_with_exit_2_naming_the_key(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("conversion:\n  families:\n    digital4: {family: digital, bits: 0}\n")
    assert convert_stage.main(["--params", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "conversion.families.digital4.bits = 0" in err and err.count("\n") == 1
