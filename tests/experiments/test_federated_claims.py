"""The federated stage: claims computed right on hand-made results, the params section's checks
(bad values stop with one message naming the key), replicate seeds, and the small built report
(numbers only, bit-identical on a second build with the same params)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.federated.claims import FAR_ABOVE_PP, NEAR_PP, RISE_PP, federated_claims, headline_metrics
from neurobench.seeds import child_seed


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "replicate": [0, 1, 2], "n_train": [289] * 3, "acc_federated": [0.98, 0.99, 1.0],
        "acc_separate": [0.5, 0.5, 0.5], "acc_centralised": [1.0, 0.99, 1.0], "ten_acc_federated": [0.8, 0.82, 0.84],
        "ten_acc_separate": [0.1, 0.1, 0.1], "ten_acc_centralised": [0.7, 0.7, 0.7], "tau_max_rise": [0.0, 0.02, 0.01],
        "tau_drop": [0.05, 0.04, 0.0], "rate_max_rise": [0.0, 0.0, 0.014], "rate_drop": [0.5, 0.4, 0.1]})


def test_claims_are_computed_per_replicate_from_the_results():
    claims = {c.key: c for c in federated_claims(_results(), 20, [1, 7], 10)}
    c = claims["fl1_central_minus_fed"]
    assert c.measured == pytest.approx((2.0, 0.0, 0.0)) and c.target == NEAR_PP and c.met and c.seeds == (0, 1, 2)
    c = claims["fl1_fed_minus_separate"]
    assert c.measured == pytest.approx((48.0, 49.0, 50.0)) and c.target == FAR_ABOVE_PP and c.met
    assert claims["fl1_separate"].paper == 50.0 and claims["fl1_separate"].met is None
    assert claims["ten_fed_minus_separate"].measured == pytest.approx((70.0, 72.0, 74.0))
    assert claims["fl2_tau_max_rise"].target == RISE_PP and claims["fl2_tau_max_rise"].met
    assert claims["fl2_rate_drop"].measured == pytest.approx((50.0, 40.0, 10.0))
    worse = _results()
    worse["acc_federated"] = [0.6, 0.55, 0.5]
    worse["rate_max_rise"] = [0.1, 0.08, 0.0]
    by_key = {c.key: c for c in federated_claims(worse, 20, [1, 7], None)}
    assert "ten_fed_minus_separate" not in by_key
    for key in ("fl1_central_minus_fed", "fl1_fed_minus_separate", "fl2_rate_max_rise"):
        assert not by_key[key].met, key


def test_headline_metrics_are_means_of_numbers():
    m = headline_metrics(_results())
    assert m["acc_federated"] == pytest.approx(0.99) and "replicate" not in m
    assert all(isinstance(v, float) for v in m.values())


def test_bad_section_values_stop_with_one_message_naming_the_key():
    for values, key in (({"n_seeds": 0}, r"federated\.n_seeds"), ({"fl": {"n_devices": 0}}, r"federated\.fl\.n_devices"),
                        ({"fl": {"tau": 0}}, r"federated\.fl\.tau"), ({"fl": {"rate": 1.2}}, r"federated\.fl\.rate"),
                        ({"fl": {"split": "by_label"}}, r"federated\.fl\.split"),
                        ({"ten_class_split": "x"}, r"federated\.ten_class_split"), ({"taus": [0, 4]}, r"taus"),
                        ({"rates": [1.0, 1.5]}, r"rates"), ({"rates": [0.5, 1.0]}, r"rates"),
                        ({"classes": [1, 1]}, r"classes"), ({"encoding": {"max_rate": 2000.0}}, r"max_rate"),
                        ({"rule": {"kappa": 1.0}}, r"federated\.rule\.kappa"),
                        ({"ten_class_devices": 0}, r"federated\.ten_class_devices")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("federated", values)


def test_replicates_derive_every_seed_with_child_seed():
    from neurobench.experiments.federated.stages import replicate_section

    cfg = config.validate("federated", {})
    r1 = replicate_section(cfg, 1)
    for name in ("split_seed", "init_seed", "train_seed", "eval_seed"):
        assert getattr(r1, name) == child_seed(getattr(cfg, name), 1), name
    assert r1.encoding.seed == child_seed(cfg.encoding.seed, 1)


def test_built_report_claims(built_reports):
    built_reports.stage("federated")
    out = built_reports.reports / "federated"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    assert m["acc_separate"] == 0.5  # one class per device: each device's model says its own class
    assert m["claim_fl1_fed_minus_separate_met"] == 1 and m["acc_federated"] >= 0.8
    for key in ("fl1_central_minus_fed", "fl2_tau_max_rise", "fl2_rate_max_rise", "ten_fed_minus_separate"):
        assert m[f"claim_{key}_n"] == 2 and f"claim_{key}_mean" in m


def test_same_params_give_bit_identical_metrics():
    from neurobench.experiments.federated.claims import federated_claims as fc
    from neurobench.experiments.federated.stages import run_replicates

    cfg = config.validate("federated", {"fl": {"samples_per_device": 6, "n_evals": 1}, "ten_class": False,
                                        "taus": [1, 4], "rates": [1.0, 0.0], "n_seeds": 1})
    a, _ = run_replicates(cfg)
    b, _ = run_replicates(cfg)
    assert json.dumps(headline_metrics(a)) == json.dumps(headline_metrics(b))
    assert len(fc(a, 20, cfg.classes, None)) == 9
