"""The wireless stage: claims computed right on hand-made results, the time / energy comparison
at equal accuracy, the params section's checks (naming the key), replicate seeds, and the small
built report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.wireless.claims import headline_metrics, wireless_claims
from neurobench.experiments.wireless.stages import decision_uses, replicate_section, uses_over_levels
from neurobench.seeds import child_seed


def _results() -> pd.DataFrame:
    return pd.DataFrame({"replicate": [0, 1, 2], "snn_acc_noiseless": [0.90, 0.88, 0.92],
                         "snn_acc_max_snr": [0.89, 0.88, 0.90], "snn_acc_min_snr": [0.60, 0.65, 0.70],
                         "frame_acc_noiseless": [0.97, 0.96, 0.97], "uses_ratio": [0.5, 0.75, 1.0],
                         "energy_ratio": [2.0, 1.5, np.nan]})


def test_claims_are_computed_per_replicate_from_the_results():
    claims = {c.key: c for c in wireless_claims(_results(), 3.0, 20.0, -4.0, 0.95, "toy")}
    c = claims["snn_noiseless_gap"]
    assert c.measured == pytest.approx((1.0, 0.0, 2.0)) and c.target == 3.0 and not c.higher_is_better and c.met
    assert claims["snn_snr_gain"].measured == pytest.approx((29.0, 23.0, 20.0)) and claims["snn_snr_gain"].met
    assert claims["uses_ratio"].mean == pytest.approx(0.75) and claims["uses_ratio"].met
    assert claims["energy_ratio"].n == 2 and not claims["energy_ratio"].met  # NaN: level never reached
    assert claims["snn_accuracy_noiseless"].met is None and claims["snn_accuracy_noiseless"].seeds == (0, 1, 2)
    worse = _results().assign(snn_acc_max_snr=[0.80, 0.80, 0.80], uses_ratio=[1.5, 2.0, 1.0])
    by_key = {c.key: c for c in wireless_claims(worse, 3.0, 20.0, -4.0, 0.95, "toy")}
    assert not by_key["snn_noiseless_gap"].met and not by_key["uses_ratio"].met
    m = headline_metrics(_results())
    assert m["uses_ratio"] == pytest.approx(0.75) and m["energy_ratio"] == pytest.approx(1.75)
    assert "replicate" not in m


def test_equal_accuracy_comparison_on_hand_made_curves():
    snn = pd.DataFrame({"channel_uses": [32, 64, 96, 128], "accuracy": [0.3, 0.7, 0.85, 0.9],
                        "energy": [5.0, 12.0, 20.0, 25.0]})
    frame = pd.DataFrame({"channel_uses": [64, 128, 256], "accuracy": [0.8, 0.95, 0.96],
                          "energy": [64.0, 128.0, 256.0]})
    assert decision_uses(snn, 0.85, "channel_uses") == 96.0 and np.isnan(decision_uses(snn, 0.95, "energy"))
    levels = uses_over_levels(snn, frame, [0.5, 0.9, 1.0]).set_index("fraction")
    # top = min(0.9, 0.96) = 0.9; level 0.45 -> SNN 64 uses / 12 pulses, frame 64 / 64
    assert levels.loc[0.5, "uses_ratio"] == 1.0 and levels.loc[0.5, "energy_ratio"] == pytest.approx(12 / 64)
    # level 0.81 -> SNN 96 uses, frame 128
    assert levels.loc[0.9, "snn_channel_uses"] == 96 and levels.loc[0.9, "frame_channel_uses"] == 128
    assert levels.loc[0.9, "uses_ratio"] == pytest.approx(0.75)
    assert levels.loc[1.0, "uses_ratio"] == pytest.approx(1.0)  # 0.9: SNN 128, frame 128


def test_bad_section_values_stop_with_one_message_naming_the_key():
    for values, key in (({"n_seeds": 0}, r"wireless\.n_seeds"),
                        ({"train_snr_db": float("inf")}, r"wireless\.train_snr_db"),
                        ({"decision_snr_db": float("nan")}, r"wireless\.decision_snr_db"),
                        ({"snr_grid_db": [0.0, float("inf")]}, r"wireless\.snr_grid_db"),
                        ({"snr_grid_db": [4.0, 0.0]}, r"snr_grid_db"),
                        ({"channel": {"n_taps": 0}}, r"wireless\.channel\.n_taps"),
                        ({"channel": {"decay": 0.0}}, r"wireless\.channel\.decay"),
                        ({"channel": {"fading": "rician"}}, r"wireless\.channel\.fading"),
                        ({"jscc": {"n_channels": 0}}, r"wireless\.jscc\.n_channels"),
                        ({"frame": {"bits_grid": [4, 2]}}, r"bits_grid"),
                        ({"frame": {"bits": 0}}, r"wireless\.frame\.bits"),
                        ({"decision_fraction": 1.5}, r"wireless\.decision_fraction"),
                        ({"max_train": 5}, r"max_train")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("wireless", values)


def test_replicates_derive_every_seed_with_child_seed():
    cfg = config.validate("wireless", {})
    r1 = replicate_section(cfg, 1)
    for name in ("split_seed", "init_seed", "link_seed", "eval_seed"):
        assert getattr(r1, name) == child_seed(getattr(cfg, name), 1), name
    assert r1.events.seed == child_seed(cfg.events.seed, 1) and r1.training.seed == child_seed(cfg.training.seed, 1)


def test_built_report_claims(built_reports):
    built_reports.stage("wireless")
    out = built_reports.reports / "wireless"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    for key in ("snn_noiseless_gap", "snn_snr_gain", "uses_ratio", "snn_accuracy_noiseless"):
        assert m[f"claim_{key}_n"] == 2 and f"claim_{key}_mean" in m
    assert 0.0 <= m["snn_acc_noiseless"] <= 1.0 and m["frame_acc_noiseless"] > 0.5  # chance 0.1
    assert m["snn_channel_uses_full"] == 12 * 8  # steps x n_channels at SMALL
    claims = json.loads((out / "claims.json").read_text())
    assert {c["key"] for c in claims} >= {"snn_noiseless_gap", "uses_ratio", "energy_ratio"}


TINY = {"max_train": 100, "max_test": 40, "events": {"steps": 9},
        "jscc": {"encoder_hidden": 8, "n_channels": 4, "decoder_hidden": 8},
        "training": {"epochs": 1, "batch_size": 50}, "snr_grid_db": [0.0, 10.0], "frame": {"bits_grid": [1, 2]}}


@pytest.mark.slow
def test_a_tiny_replicate_is_bit_reproducible_and_seeds_matter():
    from neurobench.experiments.wireless.stages import run_replicate

    cfg = config.validate("wireless", TINY)
    row, art = run_replicate(cfg, 0)
    again, art2 = run_replicate(cfg, 0)
    assert json.dumps(row) == json.dumps(again)  # bit-identical, NaN included
    pd.testing.assert_frame_equal(art["time"], art2["time"])
    other, _ = run_replicate(cfg, 1)
    assert json.dumps(other) != json.dumps(row)
    assert row["snn_channel_uses_full"] == 9 * 4 and art["bits"].channel_uses.tolist() == [64, 128]
