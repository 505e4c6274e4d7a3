"""The delays stage: claims computed right on hand-made results, the params section's checks,
replicate seeds, the tasks (delayed coincidence, SHD on generated files), a tiny replicate, and
the small built report."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.delays.claims import CLEARLY_LOWER_PP, DROP_PP, delays_claims, headline_metrics
from neurobench.experiments.delays.tasks import coincidence_frames
from neurobench.seeds import child_seed

LEGS = ["uniform8", "uniform4", "loihi8", "bf16"]


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "replicate": [0, 1, 2], "acc_delays": [0.99, 0.97, 0.98], "acc_no_delays": [0.30, 0.25, 0.28],
        "acc_pool2": [0.95, 0.96, 0.94], "acc_pool2_before": [0.7, 0.6, 0.65], "acc_pool1": [0.80, 0.70, 0.75],
        "acc_pool1_before": [0.4, 0.3, 0.35], "acc_dynamic": [0.9, 0.92, 0.94], "acc_uniform8": [0.99, 0.96, 0.97],
        "acc_uniform4": [0.90, 0.85, 0.95], "acc_loihi8": [0.98, 0.97, 0.98], "acc_bf16": [0.99, 0.97, 0.98],
        "scdq_growth": [1.7, 1.8, 1.6], "ring_buffer_growth": [1.0, 1.0, 1.0], "brian_identical": [1.0, 1.0, 1.0],
        "rows_acc_delays": [0.85, 0.86, 0.84], "rows_acc_no_delays": [0.60, 0.62, 0.58], "n_train": [100] * 3})


def test_claims_are_computed_per_replicate_from_the_results():
    claims = {c.key: c for c in delays_claims(_results(), "toy", 13, LEGS)}
    assert set(claims) == {"with_delays", "delay_gap", "pool_k2", "pool_k1", "dynamic_topk", "quant_uniform8_drop",
                           "quant_uniform4_drop", "quant_loihi8_drop", "quant_bf16_drop", "scdq_growth",
                           "ring_buffer_growth", "brian_identical", "rows_delay_gain"}
    c = claims["with_delays"]
    assert c.measured == pytest.approx((99.0, 97.0, 98.0)) and c.target == 95.0 and c.met and c.seeds == (0, 1, 2)
    c = claims["delay_gap"]
    assert c.measured == pytest.approx((69.0, 72.0, 70.0)) and c.target == CLEARLY_LOWER_PP and c.met
    assert claims["pool_k1"].paper == 62.45 and claims["pool_k1"].met is None
    assert claims["pool_k2"].paper is None
    c = claims["quant_uniform8_drop"]  # (0, -1, -1) pp: mean -0.67 >= -1
    assert c.measured == pytest.approx((0.0, -1.0, -1.0)) and c.target == -DROP_PP and c.met
    assert claims["quant_uniform4_drop"].target is None  # informational leg
    assert claims["scdq_growth"].met and claims["ring_buffer_growth"].met and claims["brian_identical"].met
    assert claims["rows_delay_gain"].measured == pytest.approx((25.0, 24.0, 26.0))
    # missed: delays not learned, an 8-bit leg losing 2 pp, a ring buffer that grows, a mismatch
    worse = _results()
    worse["acc_delays"] = [0.40, 0.35, 0.38]
    worse["acc_uniform8"] = worse.acc_delays - 0.02
    worse["ring_buffer_growth"] = [1.5, 1.5, 1.5]
    worse["brian_identical"] = [1.0, 0.0, 1.0]
    by_key = {c.key: c for c in delays_claims(worse, "toy", 13, LEGS)}
    for key in ("with_delays", "delay_gap", "quant_uniform8_drop", "ring_buffer_growth", "brian_identical"):
        assert not by_key[key].met, key


def test_headline_metrics_are_means_of_numbers():
    m = headline_metrics(_results())
    assert m["acc_delays"] == pytest.approx(0.98) and "replicate" not in m
    assert all(isinstance(v, float) for v in m.values())


def test_bad_section_values_stop_with_one_message_naming_the_key():
    for values, key in (({"n_seeds": 0}, r"delays\.n_seeds"),
                        ({"network": {"delay": {"max_delay": 4, "stride": 0}}}, r"delays\.network\.delay\.stride"),
                        ({"network": {"delay": {"max_delay": 2, "stride": 3}}}, r"max_delay"),
                        ({"pool_ks": [20, 1]}, r"pool_ks"),
                        ({"quant": [{"kind": "int3"}]}, r"delays\.quant"),
                        ({"quant": [{"kind": "uniform", "bits": 0}]}, r"bits"),
                        ({"network": {"delay": {"max_delay": 80, "stride": 1}}, "memory_ks": [1]}, r"loihi"),
                        ({"task": "mnist"}, r"delays\.task"),
                        ({"coincidence": {"lags": [3, 3]}}, r"lags"),
                        ({"activity_gains": [1.0, 0.5]}, r"activity_gains")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("delays", values)


def test_replicates_derive_every_seed_with_child_seed():
    from neurobench.experiments.delays.stages import replicate_section

    cfg = config.validate("delays", {})
    r1 = replicate_section(cfg, 1)
    assert r1.split_seed == child_seed(cfg.split_seed, 1) and r1.init_seed == child_seed(cfg.init_seed, 1)
    assert r1.coincidence.seed == child_seed(cfg.coincidence.seed, 1)
    assert r1.training.seed == child_seed(cfg.training.seed, 1) and r1.finetune.seed == child_seed(cfg.finetune.seed, 1)


def test_coincidence_frames_show_the_image_twice_lag_apart():
    images = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    x, y, src = coincidence_frames(images, 3, [2, 5], 1.0, 3, 1, 0)
    assert x.shape == (6, 3 + 5 + 1 + 1, 4) and src.tolist() == [0, 0, 0, 1, 1, 1]
    for frames, label, s in zip(x, y, src):
        steps = np.flatnonzero(frames.any(axis=1))
        assert len(steps) == 2 and steps[1] - steps[0] == [2, 5][label] and steps[0] <= 3
        np.testing.assert_array_equal(frames[steps[0]], images[s])  # p_max = 1: the binary image
    with pytest.raises(ValueError, match="lags"):
        coincidence_frames(images, 1, [2], 1.0, 0, 0, 0)


def _writers():
    spec = importlib.util.spec_from_file_location("data_format_writers",
                                                  Path(__file__).parents[1] / "data" / "data_format_writers.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_shd_task_on_generated_files_and_missing_files_named(tmp_path):
    from neurobench.experiments.delays.stages import load_task

    cfg = config.validate("delays", {"task": "shd", "root": str(tmp_path), "shd": {"bins": 10, "duration": 1000.0}})
    with pytest.raises(FileNotFoundError, match="shd_train.h5"):
        load_task(cfg)
    rng = np.random.default_rng(0)
    for split, n in (("train", 4), ("test", 2)):
        times = [np.sort(rng.integers(0, 64, 5)) / 64.0 for _ in range(n)]  # s
        units = [rng.integers(0, 700, 5) for _ in range(n)]
        _writers().write_shd(tmp_path / "SHD" / f"shd_{split}.h5", times, units, np.arange(n) % 20)
    data = load_task(cfg)
    assert data.x.shape == (6, 10, 700) and data.n_classes == 20
    assert data.train_idx.tolist() == [0, 1, 2, 3] and data.test_idx.tolist() == [4, 5]
    assert data.x.sum() > 0


@pytest.mark.slow
def test_a_tiny_replicate_learns_the_coincidence_and_is_reproducible():
    from neurobench.experiments.delays.stages import run_replicate

    cfg = config.validate("delays", {"max_train": 300, "max_test": 80, "rows": False, "dynamic_k": 0,
                                     "training": {"epochs": 4}, "finetune": {"epochs": 1}, "pool_ks": [1],
                                     "memory_ks": [1], "brian_samples": 4, "quant": [{"kind": "bf16"}]})
    row, _ = run_replicate(cfg, 0)
    again, _ = run_replicate(cfg, 0)
    assert row == again
    assert row["acc_delays"] >= 0.5 and row["acc_delays"] - row["acc_no_delays"] >= 0.2  # chance: 0.25
    assert row["brian_identical"] == 1.0 and row["ring_buffer_growth"] == 1.0 and row["scdq_growth"] > 1.0


def test_built_report_claims_and_brian_check(built_reports):
    built_reports.stage("delays")
    out = built_reports.reports / "delays"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    assert m["brian_identical"] == 1.0 and m["claim_brian_identical_met"] == 1
    assert m["ring_buffer_growth"] == 1.0 and m["scdq_growth"] > 1.0
    for key in ("with_delays", "delay_gap", "quant_bf16_drop", "scdq_growth"):
        assert m[f"claim_{key}_n"] == 2 and f"claim_{key}_mean" in m
