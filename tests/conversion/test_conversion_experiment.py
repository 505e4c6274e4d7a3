"""The conversion stages: params validation, fingerprinted model folders, evaluation numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurobench.config import ConfigError, validate
from neurobench.experiments.conversion import entries
from neurobench.experiments.conversion import evaluate as ev
from neurobench.experiments.conversion import models as ex
from neurobench.experiments.conversion.stages import ensure_models


def tiny(tmp_path, **overrides):
    values = {
        "networks": ["regression"], "epochs": {"mlp": 1, "cnn": 1, "regression": 30},
        "calibration_samples": 120, "n_steps": 100,
        "families": {"analog": {"family": "analog", "w_min": -8.0, "w_max": 8.0},
                     "digital3": {"family": "digital", "bits": 3, "method": "round"}},
        "pruning": {"network": "regression", "layer": 0, "sizes": [16], "methods": ["greedy"], "milp_sizes": []},
        "models_dir": str(tmp_path / "models"),
    }
    values.update(overrides)
    return validate("conversion", values)


@pytest.mark.parametrize("values, match", [
    ({"families": {"a": {"family": "analog", "w_min": 2.0, "w_max": 1.0}}}, r"conversion\.families\.a\.w_max = 1\.0 .*>= w_min"),
    ({"families": {"a": {"family": "quantum"}}}, r"conversion\.families\.a\b.*quantum"),
    ({"families": {"digital4": {"family": "digital", "bits": 0}}}, r"conversion\.families\.digital4\.bits = 0 is not allowed"),
    ({"families": {"digital4": {"family": "digital", "bits": 4.0}}}, r"conversion\.families\.digital4\.bits = 4\.0"),
    ({"families": {"a": {"family": "analog", "wmin": 1.0}}}, r"conversion\.families\.a\.wmin is not a known key"),
    ({"conversions": {"mlp": ["nope"]}}, r"conversion\.conversions.*nope"),
    ({"conversions": {"lenet": ["analog"]}}, r"conversion\.conversions"),
    ({"pruning": {"family": "digital9"}}, r"conversion\.pruning.*digital9"),
    ({"networks": ["mlp", "mlp"]}, r"conversion\.networks.*once"),
    ({"input_rate": 2000.0}, r"conversion\.input_rate.*1000"),
    ({"evaluate": {"steps": [0]}}, r"conversion\.evaluate\.steps"),
])
def test_bad_conversion_params_name_the_key(values, match):
    with pytest.raises(ConfigError, match=match):
        validate("conversion", values)


def test_fingerprints_follow_only_the_parameters_a_folder_depends_on(tmp_path):
    a = tiny(tmp_path)
    assert ex.train_fingerprint(a) == ex.train_fingerprint(tiny(tmp_path, objective="linf"))
    assert ex.convert_fingerprint(a) != ex.convert_fingerprint(tiny(tmp_path, objective="linf"))
    assert ex.convert_fingerprint(a) == ex.convert_fingerprint(tiny(tmp_path, evaluate={"steps": [5]}))
    assert ex.train_fingerprint(a) != ex.train_fingerprint(tiny(tmp_path, train_seed=1))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cfg = tiny(tmp_path_factory.mktemp("conv"))
    summary = ensure_models(cfg)
    return cfg, summary


def test_models_are_built_once_and_reused(built):
    cfg, summary = built
    stamp = (ex.snn_dir(cfg) / "conversion.json").stat().st_mtime_ns
    assert ensure_models(cfg) == summary
    assert (ex.snn_dir(cfg) / "conversion.json").stat().st_mtime_ns == stamp
    assert set(summary["entries"]) == {
        "regression__analog", "regression__analog__baseline", "regression__digital3",
        "regression__digital3__baseline", "prune__regression__greedy__16"}


def test_converted_regression_network_tracks_the_ann(built):
    cfg, summary = built
    ann = ex.load_anns(cfg)["regression"]
    x, y = ex.data_of("regression", cfg)[2:]
    entry = summary["entries"]["regression__analog"]
    assert ev.readout_of(entry).kind == "count"
    result = ev.evaluate_entry(ex.load_entry_network(cfg, "regression__analog"), entry, ann, x, y, cfg)
    assert result["agreement"] > 0.8  # R^2 of SNN outputs against ANN outputs
    assert abs(result["score"] - float(np.corrcoef(ann.predict(x), y)[0, 1] ** 2)) < 0.25
    assert entry["statuses"] == {"optimal": sum(r["n_neurons"] for r in entry["layers"])}


def test_pruned_entry_records_its_selection(built):
    cfg, summary = built
    entry = summary["entries"]["prune__regression__greedy__16"]
    net = ex.load_entry_network(cfg, "prune__regression__greedy__16")
    assert net.sizes[1] == 16 and len(entry["keep"]) == 16 and entry["selection_status"] == "optimal"


def test_digital_levels_lie_on_the_grid_of_the_bit_width(built):
    cfg, summary = built
    for name in ("regression__digital3", "regression__digital3__baseline"):
        entry, net = summary["entries"][name], ex.load_entry_network(cfg, name)
        for i in range(len(net.layers)):
            levels = ev.weight_levels(net, i, entry, bits=3)
            w = net.connectivity(i)[2]
            assert np.abs(levels).max() <= 3
            step = np.abs(w).max() / 3 if entry["method"] == "baseline" else entry["layers"][i]["weight_step"]
            np.testing.assert_allclose(levels * step, w, atol=1e-9)


def test_every_converted_network_runs_identically_in_brian2(built):
    cfg, summary = built
    x = ex.data_of("regression", cfg)[2][:3]
    for name in summary["entries"]:
        assert ev.brian_agreement(ex.load_entry_network(cfg, name), x, cfg)["identical"], name


def test_conversion_json_is_plain_json(built):
    cfg, _ = built
    data = json.loads((ex.snn_dir(cfg) / "conversion.json").read_text())
    assert data["fingerprint"] == ex.convert_fingerprint(cfg)


def test_reports_of_a_network_with_pooling_are_json_ready(tmp_path):
    from neurobench.ann import Ann
    from neurobench.conversion import Converter
    from neurobench.io import write_json_atomic
    from neurobench.network import AvgPool2d, Conv2d, Dense

    rng = np.random.default_rng(0)
    ann = Ann((1, 4, 4), [Conv2d(rng.normal(0, 0.5, (2, 1, 3, 3)), np.zeros(2), padding=1), AvgPool2d(2),
                          Dense(rng.normal(0, 0.5, (3, 8)))], ("relu", "relu", "linear"))
    conv = Converter(n_steps=40, executor="serial", conv_positions=4)
    conv.fit(ann, rng.random((30, 1, 4, 4)))
    entry = entries.lp_entry("cnn", "analog", conv, 0.0)
    write_json_atomic(tmp_path / "entry.json", entry)  # raises on NaN
    assert entry["layers"][1]["alpha"] is None and entry["layers"][0]["alpha"] > 0
