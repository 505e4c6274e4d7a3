"""The conversion stages: params validation, fingerprinted model folders, evaluation numbers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from neurobench.config import ConfigError, validate
from neurobench.executor import ExecutorParams
from neurobench.ann.train import score
from neurobench.experiments.conversion import entries, tables
from neurobench.experiments.conversion import evaluate as ev
from neurobench.experiments.conversion import models as ex
from neurobench.experiments.conversion.stages import ensure_models
from neurobench.fingerprint import PACKAGE_ROOT
from neurobench.seeds import child_seed
from neurobench.sim import simulate
from neurobench.sim.static import encode
from neurobench.units import rate_hz


def tiny(tmp_path, **overrides):
    values = {
        "networks": ["regression"], "epochs": {"mlp": 1, "cnn": 1, "regression": 30},
        "calibration_samples": 120, "n_steps": 100,
        "families": {"analog": {"family": "analog", "w_min": -8.0, "w_max": 8.0},
                     "digital3": {"family": "digital", "bits": 3, "method": "round"}},
        "pruning": {"network": "regression", "layer": 0, "sizes": [16], "methods": ["greedy"], "milp_sizes": []},
        "n_seeds": 2, "models_dir": str(tmp_path / "models"),
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
    ({"n_seeds": 0}, r"conversion\.n_seeds = 0 is not allowed"),
    ({"evaluate": {"readout": "membrane"}}, r"conversion\.evaluate\.readout"),
    ({"penalty": {"family": "digital9", "penalties": [0.1]}}, r"conversion\.penalty.*digital9"),
    ({"penalty": {"penalties": [-1.0]}}, r"conversion\.penalty\.penalties"),
])
def test_bad_conversion_params_name_the_key(values, match):
    with pytest.raises(ConfigError, match=match):
        validate("conversion", values)


def test_code_fingerprint_follows_every_source_file_of_the_listed_code(tmp_path):
    from neurobench.experiments.conversion import models

    root = tmp_path / "pkg"
    (root / "conversion").mkdir(parents=True)
    (root / "conversion" / "solve.py").write_text("x = 1\n")
    (root / "network.py").write_text("y = 2\n")
    (root / "report.py").write_text("z = 3\n")
    code = ("conversion", "network.py")
    before = models.code_fingerprint(code, root)
    (root / "report.py").write_text("z = 4\n")  # not model code: same fingerprint
    assert models.code_fingerprint(code, root) == before
    (root / "conversion" / "solve.py").write_text("x = 2\n")  # a solver change: the models are stale
    assert models.code_fingerprint(code, root) != before
    (root / "conversion" / "new.py").write_text("")
    assert len({before, models.code_fingerprint(code, root)}) == 2
    # the real lists name existing code, and converting depends on everything training does
    assert all((PACKAGE_ROOT / rel).exists() for rel in models.CONVERT_CODE)
    assert set(models.TRAIN_CODE) <= set(models.CONVERT_CODE)


def test_fingerprints_follow_only_the_parameters_a_folder_depends_on(tmp_path):
    a = tiny(tmp_path)
    assert ex.train_fingerprint(a) == ex.train_fingerprint(tiny(tmp_path, objective="linf"))
    assert ex.convert_fingerprint(a) != ex.convert_fingerprint(tiny(tmp_path, objective="linf"))
    assert ex.convert_fingerprint(a) == ex.convert_fingerprint(tiny(tmp_path, evaluate={"steps": [5]}))
    assert ex.train_fingerprint(a) != ex.train_fingerprint(tiny(tmp_path, train_seed=1))
    assert ex.train_fingerprint(a) != ex.train_fingerprint(tiny(tmp_path, n_seeds=3))


def test_replicates_derive_every_seed_with_child_seed(tmp_path):
    cfg = tiny(tmp_path, data_seed=5, train_seed=6, seed=7, n_seeds=3)
    for r in range(3):
        assert ex.replicate_seeds(cfg, r) == {"data_seed": child_seed(5, r), "train_seed": child_seed(6, r),
                                              "seed": child_seed(7, r)}
    assert len({ex.replicate(cfg, r).data_seed for r in range(3)}) == 3
    with pytest.raises(ValueError, match="n_seeds = 3"):
        ex.replicate(cfg, 3)


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
    assert len(summary["replicates"]) == 2
    for r, rep in enumerate(summary["replicates"]):
        assert rep["seeds"] == ex.replicate_seeds(cfg, r)
        assert set(rep["entries"]) == {
            "regression__analog", "regression__analog__baseline", "regression__digital3",
            "regression__digital3__baseline", "prune__regression__greedy__16"}


def test_every_replicate_has_its_own_models_in_seed_folders(built):
    cfg, summary = built
    for r in range(2):
        assert (ex.ann_dir(cfg) / f"seed{r}" / "regression.npz").is_file()
        assert (ex.snn_dir(cfg) / f"seed{r}" / "regression__analog.npz").is_file()
    a, b = (ex.load_anns(cfg, r)["regression"] for r in range(2))
    assert not np.array_equal(a.layers[0].weight, b.layers[0].weight)  # other split and initialisation
    training = ex.training_summary(cfg)["replicates"]
    assert [t["seeds"] for t in training] == [ex.replicate_seeds(cfg, r) for r in range(2)]


def test_converted_regression_network_tracks_the_ann(built):
    cfg, summary = built
    ann = ex.load_anns(cfg, 0)["regression"]
    x, y = ex.data_of("regression", ex.replicate(cfg, 0))[2:]
    entry = summary["replicates"][0]["entries"]["regression__analog"]
    result = ev.evaluate_entry(ex.load_entry_network(cfg, 0, "regression__analog"), entry, ann, x, y, cfg)
    assert result["count"]["agreement"] > 0.8  # R^2 of SNN outputs against ANN outputs
    assert result["potential"]["agreement"] > 0.8
    assert abs(result["count"]["score"] - float(np.corrcoef(ann.predict(x), y)[0, 1] ** 2)) < 0.25
    assert entry["statuses"] == {"optimal": sum(r["n_neurons"] for r in entry["layers"])}


def test_lp_and_baseline_are_read_out_alike_from_output_spike_counts(built):
    """Like-for-like: under ``evaluate.readout = count`` every network's score, baseline included,
    is that of its own output spike counts, decoded by its entry's constants."""
    cfg, summary = built
    study = tables.load_study(cfg, summary)
    results = tables.results_table(study)
    assert cfg.evaluate.readout == "count"
    np.testing.assert_array_equal(results.score, results.score_count)
    rep = study.replicates[1]
    entry = rep.entries["regression__analog__baseline"]
    x, y = rep.tests["regression"]
    record = simulate(rep.networks["regression__analog__baseline"], encode(x, cfg.n_steps, cfg.dt, cfg.input_rate), cfg.dt)
    decoded = rate_hz(record.output.spike_count[:, 0], cfg.n_steps, cfg.dt) / entry["readout_scale"]
    row = results[(results.seed == 1) & (results.name == "regression__analog__baseline")].iloc[0]
    assert row.score == pytest.approx(score("regression", decoded, y), abs=1e-12)
    assert row.score_potential != pytest.approx(row.score_count)  # the charge keeps negative outputs


def test_pruned_entry_records_its_selection(built):
    cfg, summary = built
    entry = summary["replicates"][0]["entries"]["prune__regression__greedy__16"]
    net = ex.load_entry_network(cfg, 0, "prune__regression__greedy__16")
    assert net.sizes[1] == 16 and len(entry["keep"]) == 16 and entry["selection_status"] == "optimal"


def test_digital_levels_lie_on_the_grid_of_the_bit_width(built):
    cfg, summary = built
    for name in ("regression__digital3", "regression__digital3__baseline"):
        entry, net = summary["replicates"][0]["entries"][name], ex.load_entry_network(cfg, 0, name)
        for i in range(len(net.layers)):
            levels = ev.weight_levels(net, i, entry, bits=3)
            w = net.connectivity(i)[2]
            assert np.abs(levels).max() <= 3
            step = np.abs(w).max() / 3 if entry["method"] == "baseline" else entry["layers"][i]["weight_step"]
            np.testing.assert_allclose(levels * step, w, atol=1e-9)


def test_every_converted_network_runs_identically_in_brian2(built):
    cfg, summary = built
    x = ex.data_of("regression", ex.replicate(cfg, 0))[2][:3]
    for name in summary["replicates"][0]["entries"]:
        assert ev.brian_agreement(ex.load_entry_network(cfg, 0, name), x, cfg)["identical"], name


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
    conv = Converter(n_steps=40, executor=ExecutorParams(kind="local"), conv_positions=4)
    conv.fit(ann, rng.random((30, 1, 4, 4)))
    entry = entries.lp_entry("cnn", "analog", conv, 0.0)
    write_json_atomic(tmp_path / "entry.json", entry)  # raises on NaN
    assert entry["layers"][1]["alpha"] is None and entry["layers"][0]["alpha"] > 0


def _without_timings(value):
    """``conversion.json`` / ``training.json`` without the wall-clock fields."""
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if "seconds" not in k}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.mark.slow
def test_a_process_pool_builds_the_same_models_as_the_serial_run(built, tmp_path):
    """The training runs and the neuron solves fan out through ``neurobench.executor``; the
    model folders do not depend on where they ran."""
    cfg, summary = built
    pooled = tiny(tmp_path)
    again = ensure_models(pooled, executor=ExecutorParams(kind="process", workers=2))
    assert _without_timings(again) == _without_timings(summary)
    for folder in ("ann", "snn"):
        files = sorted(p.relative_to(ex.snn_dir(cfg).parent / folder)
                       for p in (ex.snn_dir(cfg).parent / folder).rglob("*.npz"))
        assert files and files == sorted(p.relative_to(ex.snn_dir(pooled).parent / folder)
                                         for p in (ex.snn_dir(pooled).parent / folder).rglob("*.npz"))
        for rel in files:
            a = np.load(ex.snn_dir(cfg).parent / folder / rel)
            b = np.load(ex.snn_dir(pooled).parent / folder / rel)
            assert a.files == b.files
            for key in a.files:
                np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.slow
def test_brian_checks_and_steps_sweep_are_the_same_serially_and_on_a_process_pool(built):
    """The report's two loops of independent simulations fan out through ``neurobench.executor``:
    the tables are identical for both kinds, each row the result of its own network."""
    from neurobench.executor import open_executor

    from dataclasses import replace

    cfg, summary = built
    study = tables.load_study(cfg, summary)
    # two networks of each replicate (a Brian2 run costs about 2 s, its first in a process more)
    study = tables.Study(cfg, [replace(rep, entries=dict(list(rep.entries.items())[:2])) for rep in study.replicates])
    main = tables.main_results(tables.results_table(study))
    serial = tables.brian_table(study), tables.steps_sweep(study, main)
    with open_executor(ExecutorParams(kind="process", workers=2)) as session:
        pooled = tables.brian_table(study, session), tables.steps_sweep(study, main, session)
    for a, b in zip(serial, pooled):
        pd.testing.assert_frame_equal(a, b)
    brian, sweep = serial
    reps = {rep.r: rep for rep in study.replicates}
    assert len(brian) == sum(len(rep.entries) for rep in study.replicates) and brian.identical.all()
    assert brian.spikes.nunique() > 1  # distinct networks: a row in the wrong place would show
    for row in brian.itertuples():
        rep = reps[row.seed]
        x = rep.tests[rep.entries[row.name]["network"]][0][:cfg.evaluate.brian_samples]
        assert row.spikes == int(sum(layer.spike_count.sum() for layer in simulate(
            rep.networks[row.name], encode(x, cfg.n_steps, cfg.dt, cfg.input_rate), cfg.dt).layers))
    first = main.iloc[-1]
    rep = reps[first.seed]
    x, y = rep.tests[first.network]
    m = ev.evaluate_entry(rep.networks[first["name"]], rep.entries[first["name"]], rep.anns[first.network], x, y, cfg,
                          n_steps=cfg.evaluate.steps[0])
    got = sweep[(sweep.seed == first.seed) & (sweep.method == first.method) & (sweep.family == first.family)
                & (sweep.n_steps == cfg.evaluate.steps[0]) & (sweep.readout == "count")]
    assert got.score.tolist() == [m["count"]["score"]]
