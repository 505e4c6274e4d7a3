"""The SRC stage: claims computed right on hand-made results, the E-SRC-1 checks, the params
section's checks, replicate seeds, and the small built report."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.src.claims import TOLERANCE_PP, accuracy_table, neuron_checks, src_claims
from neurobench.seeds import child_seed


def _results() -> pd.DataFrame:
    acc = {"src_shallow": [0.92, 0.94, 0.90], "lif_shallow": [0.95, 0.93, 0.96], "src_deep": [0.85, 0.93, 0.91],
           "src_events": [0.80, 0.82, 0.84], "lif_events": [0.81, 0.80, 0.86]}
    spikes = {"src_shallow": 50.0, "lif_shallow": 200.0, "src_deep": 80.0, "src_events": 40.0, "lif_events": 100.0}
    rows = [{"replicate": r, "task": "events" if "events" in m else "rate", "model": m, "accuracy": a[r],
             "spikes_per_sample": spikes[m] + r, "parameters": 10} for m, a in acc.items() for r in range(3)]
    return pd.DataFrame(rows)


def test_claims_are_computed_per_replicate_from_the_results():
    claims = {c.key: c for c in src_claims(_results(), 100)}
    assert set(claims) == {"shallow_accuracy", "src_vs_lif", "deep_vs_shallow", "events_src_vs_lif", "fpga_context",
                           "spike_ratio"}
    c = claims["shallow_accuracy"]
    assert c.measured == pytest.approx((92.0, 94.0, 90.0)) and c.target == 90.0 and c.met and c.paper is None
    c = claims["src_vs_lif"]  # (-3, +1, -6) pp: mean -2.67 >= -3
    assert c.measured == pytest.approx((-3.0, 1.0, -6.0)) and c.target == -TOLERANCE_PP and c.met
    assert c.source == "De Geeter et al. 2023, abstract" and c.paper is None
    c = claims["deep_vs_shallow"]  # (-7, -1, +1): mean -2.33
    assert c.measured == pytest.approx((-7.0, -1.0, 1.0)) and c.met
    assert claims["events_src_vs_lif"].measured == pytest.approx((-1.0, 2.0, -2.0))
    assert claims["fpga_context"].paper == 96.31 and claims["fpga_context"].met is None
    assert claims["spike_ratio"].measured == pytest.approx((50 / 200, 51 / 201, 52 / 202))
    # missed when the SRC falls more than 3 pp behind on average
    worse = _results()
    worse.loc[worse.model == "src_shallow", "accuracy"] -= 0.05
    by_key = {c.key: c for c in src_claims(worse)}
    assert not by_key["src_vs_lif"].met and not by_key["shallow_accuracy"].met and by_key["deep_vs_shallow"].met


def test_claims_skip_models_that_were_not_trained():
    only_rate = _results()
    only_rate = only_rate[only_rate.task == "rate"]
    keys = {c.key for c in src_claims(only_rate)}
    assert "events_src_vs_lif" not in keys and "src_vs_lif" in keys


def test_accuracy_table_means_and_stds_over_replicates():
    t = accuracy_table(_results()).set_index("model")
    assert t.loc["src_shallow", "accuracy (%)"] == pytest.approx(92.0)
    assert t.loc["src_shallow", "accuracy std (pp)"] == pytest.approx(2.0)
    assert t.loc["lif_shallow", "replicates"] == 3


def test_neuron_checks_from_a_hand_made_table():
    table = pd.DataFrame({"drive": [0.0, 0.1, 0.2, 0.3, 0.5], "spikes": [0, 0, 5, 6, 7],
                          "mean ISI (steps)": [float("nan"), float("nan"), 25.0, 22.0, 20.0],
                          "spike width (steps)": [float("nan"), float("nan"), 2.0, 1.5, 1.0]})
    assert neuron_checks(table) == {"neuron_zero_input_spikes": 0, "neuron_spiking_drives": 3,
                                    "neuron_isi_decreasing": 1, "neuron_min_spike_width": 1.0}
    table.loc[3, "mean ISI (steps)"] = 27.0  # shrinks overall, but not monotonically
    assert neuron_checks(table)["neuron_isi_decreasing"] == 0


def test_bad_section_values_stop_with_one_message_naming_the_key():
    for values, key in (({"n_seeds": 0}, r"src\.n_seeds"), ({"cell": {"alpha": 1.0}}, r"src\.cell\.alpha"),
                        ({"network": {"hidden": [-4]}}, r"src\.network\.hidden"),
                        ({"network": {"readout": "max"}}, r"src\.network\.readout"),
                        ({"training": {"epochs": 0}}, r"src\.training\.epochs"),
                        ({"events": {"task": "shd"}}, r"src\.events\.task"),
                        ({"dataset": "cifar"}, r"src\.dataset")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("src", values)


def test_replicates_derive_every_seed_with_child_seed():
    from neurobench.experiments.src.stages import replicate_section

    cfg = config.validate("src", {})
    r1 = replicate_section(cfg, 1)
    assert r1.split_seed == child_seed(cfg.split_seed, 1) and r1.init_seed == child_seed(cfg.init_seed, 1)
    assert r1.encoding.seed == child_seed(cfg.encoding.seed, 1) and r1.events.seed == child_seed(cfg.events.seed, 1)
    assert r1.training.seed == child_seed(cfg.training.seed, 1)


def test_built_report_claims_brian_check_and_single_neuron(built_reports):
    built_reports.stage("src")
    out = built_reports.reports / "src"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    assert m["brian_max_abs_logit_diff"] < 1e-6 and m["brian_max_abs_h_diff"] < 1e-6
    assert m["brian_prediction_agreement"] == 1.0
    assert m["neuron_zero_input_spikes"] == 0 and m["neuron_isi_decreasing"] == 1 and m["neuron_spiking_drives"] >= 2
    for key in ("shallow_accuracy", "src_vs_lif", "deep_vs_shallow", "events_src_vs_lif"):
        assert m[f"claim_{key}_n"] == 2 and f"claim_{key}_mean" in m and f"claim_{key}_target" in m
    assert m["claim_shallow_accuracy_target"] == 90.0 and m["claim_src_vs_lif_target"] == -TOLERANCE_PP
    assert m["claim_fpga_context_paper"] == 96.31
    assert 0.0 <= m["src_shallow_accuracy"] <= 1.0 and m["src_shallow_spikes_per_sample"] > 0
    records = json.loads((out / "claims.json").read_text())
    assert {r["key"] for r in records} >= {"shallow_accuracy", "src_vs_lif", "deep_vs_shallow"}
