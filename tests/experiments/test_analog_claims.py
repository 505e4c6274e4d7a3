"""The analog stage: claims computed right on hand-made results, the sweeps' variants and the
monotonicity check, replicate seeds, a tiny replicate (learns, reproducible), and the small built
report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from neurobench import config
from neurobench.analog import MACParams, NetParams, accuracy
from neurobench.analog.layers import AnalogNet
from neurobench.experiments.analog.claims import CHAR_TOLERANCE_PCT, NOISY_DROP_PP, analog_claims, headline_metrics
from neurobench.experiments.analog.stages import SWEEPS, monotone_within_error, replicate_section, variant
from neurobench.seeds import child_seed


def _results() -> pd.DataFrame:
    return pd.DataFrame({
        "replicate": [0, 1, 2], "float": [0.99, 0.98, 0.97], "quantised": [0.985, 0.98, 0.97],
        "noisy": [0.98, 0.97, 0.97], "deployed": [0.97, 0.96, 0.96], "aware": [0.98, 0.97, 0.96],
        "deployed_chip_std": [0.01, 0.02, 0.01], "aware_chip_std": [0.005, 0.01, 0.01],
        "gain_error_pct": [1.0, 2.0, 0.5], "sigma_error_pct": [0.5, 6.0, 0.1],
        **{f"monotone_{q}": [1.0, 1.0, 1.0] for q in SWEEPS}, "n_train": [1438] * 3,
        "n_sends": [[19, 5, 7]] * 3})


def test_claims_are_computed_per_replicate_from_the_results():
    claims = {c.key: c for c in analog_claims(_results(), None, "toy")}
    assert set(claims) == {"noisy_drop", "deployed_drop", "aware_gain", "aware_spread", "char_gain", "char_sigma",
                           "mnist", *(f"monotone_{q}" for q in SWEEPS)}
    c = claims["noisy_drop"]
    assert c.measured == pytest.approx((-1.0, -1.0, 0.0)) and c.target == -NOISY_DROP_PP and c.met
    assert claims["aware_gain"].measured == pytest.approx((1.0, 1.0, 0.0)) and claims["aware_gain"].met
    assert claims["aware_spread"].measured == pytest.approx((-0.5, -1.0, 0.0)) and claims["aware_spread"].met
    c = claims["char_sigma"]  # mean 2.2 % <= 5 % although one seed is at 6 %
    assert c.target == CHAR_TOLERANCE_PCT and c.met and c.seeds == (0, 1, 2)
    assert claims["deployed_drop"].target is None
    m = claims["mnist"]
    assert m.paper == 98.0 and m.n == 0 and "absent" in m.note
    assert claims["mnist"].measured != (98.0,) * 3
    with_mnist = {c.key: c for c in analog_claims(_results(), {"mnist_deployed": 0.975, "mnist_float": 0.98}, "t")}
    assert with_mnist["mnist"].measured == pytest.approx((97.5,) * 3)
    worse = _results()
    worse["noisy"] = worse["float"] - 0.02
    worse["aware"] = worse["deployed"] - 0.01
    worse["aware_chip_std"] = worse["deployed_chip_std"] + 0.01
    worse["gain_error_pct"] = [6.0, 6.0, 6.0]
    worse["monotone_n_sends"] = [1.0, 0.0, 0.0]
    by_key = {c.key: c for c in analog_claims(worse, None, "toy")}
    for key in ("noisy_drop", "aware_gain", "aware_spread", "char_gain", "monotone_n_sends"):
        assert not by_key[key].met, key


def test_cross_paper_rows_and_energy_proxy():
    from neurobench.experiments.analog.crosspaper import energy_table

    cross = pd.DataFrame({"replicate": [0, 1, 2], "mlp_float": [0.98] * 3, "mlp_analog": [0.97, 0.96, 0.98],
                          "mlp_snn": [0.98, 0.98, 0.97], "mlp_analog_ops": [72000.0] * 3,
                          "mlp_snn_ops": [72000.0, 144000.0, 216000.0]})
    claims = {c.key: c for c in analog_claims(_results(), None, "toy", cross)}
    assert claims["cross_analog_vs_snn"].measured == pytest.approx((-1.0, -2.0, 1.0))
    assert claims["cross_ops_ratio"].measured == pytest.approx((1.0, 2.0, 3.0))
    assert claims["cross_ops_ratio"].met is None
    e = energy_table(cross, [0.1, 1.0, 10.0])
    assert e["E_snn / E_analog"].tolist() == pytest.approx([0.2, 2.0, 20.0])  # the SNN does twice the operations


def test_headline_metrics_are_means_of_numbers():
    m = headline_metrics(_results())
    assert m["float"] == pytest.approx(0.98) and "replicate" not in m and "n_sends" not in m


def test_monotone_within_error_bars():
    def curve(means, stds):
        return pd.DataFrame([{"step": k, "accuracy": m + d} for k, (m, s) in enumerate(zip(means, stds))
                             for d in (-s, s)])
    assert monotone_within_error(curve([0.9, 0.8, 0.5], [0.0, 0.0, 0.0]))
    assert monotone_within_error(curve([0.9, 0.91, 0.5], [0.01, 0.01, 0.0]))  # a rise within the error bars
    assert not monotone_within_error(curve([0.9, 0.95, 0.5], [0.01, 0.01, 0.0]))


def test_sweep_variants_keep_the_output_scale():
    net = AnalogNet(8, 10, NetParams(hidden=[16]), torch.Generator().manual_seed(0))
    mac = MACParams(sigma_trial=0.0)
    x = np.random.default_rng(0).integers(0, 32, (20, 8, 8)).astype(np.float32)
    xt = torch.as_tensor(x)
    base = net.layers[0](torch.nn.functional.pad(xt, (1,) * 4).unsqueeze(1), None)
    for quantity, value in (("weight_bits", 4), ("n_sends", 4)):
        n2, m2, x2 = variant(net, mac, x, quantity, value)
        n2.set_gain(m2.gain)
        y = n2.layers[0](torch.nn.functional.pad(torch.as_tensor(x2), (1,) * 4).unsqueeze(1), None)
        torch.testing.assert_close(y, base, rtol=1e-4, atol=1e-3)  # linear model unchanged before rounding
    n2, m2, x2 = variant(net, mac, x, "input_bits", 3)
    assert m2.input_bits == 3 and n2.net.shift == net.net.shift + 2 and x2.max() <= 7
    assert m2.gain == pytest.approx(mac.gain * 31 / 7)
    n2, m2, _ = variant(net, mac, x, "n_sends", 2)
    assert n2.n_sends == [2 * n for n in net.n_sends] and m2 == mac
    assert variant(net, mac, x, "sigma_trial", 4.0)[1].sigma_trial == 4.0
    with pytest.raises(ValueError, match="quantity"):
        variant(net, mac, x, "temperature", 1.0)


def test_replicates_derive_every_seed_with_child_seed():
    cfg = config.validate("analog", {})
    r1 = replicate_section(cfg, 1)
    for name in ("split_seed", "init_seed", "chip_seed", "noise_seed"):
        assert getattr(r1, name) == child_seed(getattr(cfg, name), 1), name
    assert r1.pretrain.seed == child_seed(cfg.pretrain.seed, 1) and r1.finetune.seed == child_seed(cfg.finetune.seed, 1)


@pytest.mark.slow
def test_a_tiny_replicate_learns_and_is_reproducible():
    from neurobench.experiments.analog.stages import run_replicate

    cfg = config.validate("analog", {"pretrain": {"epochs": 2}, "finetune": {"epochs": 1}, "n_chips": 2,
                                     "characterise_repeats": 10,
                                     "sweeps": {"sigma_trial": [0.0, 16.0], "sigma_fp_gain": [0.0, 0.4],
                                                "weight_bits": [6, 2], "input_bits": [5, 1], "n_sends": [1, 2]}})
    a, b = run_replicate(cfg, 0), run_replicate(cfg, 0)
    assert a["row"] == b["row"] and a["sweeps"].equals(b["sweeps"])
    assert a["row"]["float"] >= 0.85 and a["row"]["deployed"] >= 0.8  # chance: 0.1
    s = a["sweeps"].groupby(["quantity", "step"]).accuracy.mean()
    assert s["sigma_trial", 1] < s["sigma_trial", 0] and s["input_bits", 1] < 0.5
    assert accuracy(a["net"], np.zeros((3, 8, 8)), np.zeros(3), None) in (0.0, 1.0)


def test_built_report_claims(built_reports):
    built_reports.stage("analog")
    out = built_reports.reports / "analog"
    m = json.loads((out / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    assert m["float"] >= 0.8 and m["claim_char_gain_met"] == 1 and m["claim_char_sigma_met"] == 1
    for key in ("noisy_drop", "aware_gain", "aware_spread", "monotone_sigma_trial"):
        assert m[f"claim_{key}_n"] == 2 and f"claim_{key}_mean" in m
    claims = {c["key"]: c for c in json.loads((out / "claims.json").read_text())}
    assert claims["mnist"]["paper"] == 98.0 and claims["mnist"]["n"] == 0  # MNIST off in the small run
    assert claims["cross_ops_ratio"]["n"] == 2 and m["mlp_snn"] > 0.5 and m["mlp_analog"] > 0.5


def test_mnist_runs_the_spec_network_on_generated_files_and_is_skipped_without_them(tmp_path):
    import importlib.util
    from pathlib import Path

    from neurobench.experiments.analog.stages import mnist_run

    cfg = config.validate("analog", {"root": str(tmp_path), "mnist_train": {"epochs": 5, "batch_size": 8},
                                     "mnist_max_train": 30})
    assert mnist_run(cfg) is None  # absent: E2a does not run
    spec = importlib.util.spec_from_file_location("data_format_writers",
                                                  Path(__file__).parents[1] / "data" / "data_format_writers.py")
    writers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(writers)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        labels = (np.arange(n) % 2).astype(np.uint8)
        images = np.zeros((n, 28, 28), dtype=np.uint8)
        images[labels == 1, :, :14] = 200  # class 1: left half lit
        images += rng.integers(0, 20, images.shape).astype(np.uint8)
        writers.write_mnist_layout(tmp_path, "MNIST", prefix, images, labels)
    out = mnist_run(cfg)
    assert out["mnist_train"] == 30 and 0 <= out["mnist_deployed"] <= 1 and out["mnist_float"] >= 0.9
    assert mnist_run(config.validate("analog", {"root": str(tmp_path), "mnist": False})) is None
