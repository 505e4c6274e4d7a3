"""Every notebook is committed clean, reads only declared params, and runs (small) end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from neurobench import config, pipeline

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]

# Small parameters so that every notebook runs in seconds (sections are merged into params.yaml's).
SMALL = {
    # serial: a pool's start-up (spawn, imports) costs more than these tiny runs; the pool and Dask
    # give identical results (tests/test_executor.py, tests/experiments/test_executor_stages.py)
    "executor": {"kind": "local"},
    "data": {"n_examples": 3, "encoding": {"n_steps": 20, "saccade_steps": 9}},
    "simulator": {"n_steps": 30, "batch_size": 4},
    "conversion": {
        "networks": ["mlp", "regression"], "epochs": {"mlp": 5, "cnn": 5, "regression": 10},
        "calibration_samples": 150, "n_steps": 30, "n_seeds": 2,
        "conversions": {"mlp": ["analog", "digital3"], "regression": ["analog", "digital3_milp"]},
        "families": {"analog": {"family": "analog", "w_min": -8.0, "w_max": 8.0},
                     "digital3": {"family": "digital", "bits": 3, "method": "round"},
                     "digital3_milp": {"family": "digital", "bits": 3, "method": "milp", "node_limit": 20, "time_limit": 30.0}},
        "pruning": {"sizes": [20], "methods": ["group_lp", "random"], "milp_sizes": []},
        "penalty": {"penalties": [0.0, 0.1]},
        "evaluate": {"steps": [10, 30], "test_samples": 60, "brian_samples": 1},
    },
    "multicore": {"n_steps": 30, "batch_size": 2, "mlp_epochs": 2, "imbalance_sweep": [0.0, 2.0],
                  "hop_ns_sweep": [0.0, 10.0], "static_mw_sweep": [0.0, 5.0], "n_seeds": 2,
                  "deep_hidden": [32, 32], "sparse_sizes": [64, 32], "barrier_ns_sweep": [0.0, 100.0],
                  "cost_factors": [2.0]},
    "asynchronous": {"max_train": 64, "max_test": 30, "saccade_steps": 12, "forward_groups": [2, 16],
                     "strategies": ["random", "momentum"], "steps_after_output": [0, 3], "latency_forward_group": 2,
                     "training": {"hidden": [16], "epochs": 1, "batch_size": 32}, "n_seeds": 2,
                     "crosscheck_samples": 4},
    "async_authors": {"training": {"hidden": [16, 16], "epochs": 1, "batch_size": 32}, "n_seeds": 2},
    "endurance": {
        "crossbar": {"n": 32, "r_wl": 2.5, "r_bl": 2.5, "r_cell": 10000.0, "v_prog": 1.0, "bias": "V/2", "v_read": 0.2},
        "pso": {"particles": 6, "iterations": 5, "inertia": 0.7, "c1": 1.5, "c2": 1.5, "lambda_life": 1.0,
                "lambda_energy": 0.2, "lambda_latency": 0.2},
        "workloads": {"image_side": 12, "hidden": 30, "lenet_side": 16, "lenet_dense": 20, "reservoir": 30,
                      "synthetic_sizes": [60, 60, 60], "rf_sizes": [100, 100], "rf_fan_in": 20, "rf_group": 10,
                      "duration": 100.0, "seed": 0, "simulated": True, "samples": 4,
                      "n_steps": 20, "dt": 1.0, "max_rate": 500.0},
        "drivers": {"workloads": ["image_smoothing", "heart_lsm"], "exponents": [0.0, 2.0], "sigma_tiles": [0.0, 0.4],
                    "sigma_cells": [0.0, 0.2]},
        "sensitivity": {"workload": "image_smoothing", "wire_resistances": [1.0, 10.0], "crossbar_sizes": [16, 32],
                        "biases": ["V/2", "V/3"]},
        "refine_iters": 5,
        "n_seeds": 2,
    },
    "src": {"max_train": 120, "max_test": 40, "encoding": {"silent_steps": 5, "stimulus_steps": 10},
            "events": {"saccade_steps": 12}, "network": {"hidden": [16], "deep_hidden": [16, 16, 16, 16]},
            "training": {"epochs": 2, "batch_size": 40}, "n_seeds": 2, "neuron_steps": 60,
            "stimulus_sweep": [5, 10], "brian_samples": 2},
    "delays": {"max_train": 320, "max_test": 40, "network": {"hidden": [16]}, "rows_network": {"hidden": [16]},
               "training": {"epochs": 3, "batch_size": 32}, "finetune": {"epochs": 1, "batch_size": 32},
               "pool_ks": [2, 1], "memory_ks": [13, 1], "n_seeds": 2, "brian_samples": 4},
    "devices": {"checks": {"n_pulses": 40}, "fit": {"protocol": {"n_pulses": 30, "n_hold": 8}},
                "program": {"max_pulses": 120},
                "network": {"hidden": 24, "epochs": 5, "calibration_samples": 120, "n_steps": 40,
                            "test_samples": 120},
                "alphas": [0.0, 1.0], "sigma_sweep": [0.0, 0.3], "n_seeds": 2},
    "wireless": {"max_train": 200, "max_test": 60, "events": {"steps": 12},
                 "jscc": {"encoder_hidden": 16, "n_channels": 8, "decoder_hidden": 16},
                 "training": {"epochs": 2, "batch_size": 50}, "snr_grid_db": [0.0, 20.0],
                 "frame": {"bits_grid": [1, 4]}, "n_seeds": 2},
    "federated": {"fl": {"samples_per_device": 20, "n_evals": 2}, "ten_class_devices": 4, "ten_class_samples": 8,
                  "taus": [1, 16], "rates": [1.0, 0.0], "n_seeds": 2},
    "analog": {"pretrain": {"epochs": 3}, "finetune": {"epochs": 1}, "n_chips": 2, "n_seeds": 2,
               "characterise_repeats": 20, "sweeps": {"sigma_trial": [0.0, 8.0], "sigma_fp_gain": [0.0, 0.2],
                                                      "weight_bits": [6, 3], "input_bits": [5, 2], "n_sends": [1, 4]},
               "mnist": False, "mlp_hidden": 32, "mlp_epochs": 3, "calibration_samples": 40, "snn_steps": 30},
    "interop": {"n_steps": 15, "samples": 2, "n_seeds": 2, "brian_networks": 1, "sweep_networks": 1},
    "deploy": {"network": {"hidden": 16, "epochs": 3, "min_hidden": 5}, "calibration_samples": 40, "n_steps": 24,
               "test_samples": 60, "timing_samples": 4, "brian_samples": 2, "pso": {"particles": 4, "iterations": 3},
               "n_seeds": 2, "sweep": {"factors": [0.5, 1.0, 2.0], "temperatures": [300.0, 330.0]}},
}

REPLACED = {("conversion", "conversions")}  # mappings replaced whole, not merged key by key


def small_params(tmp_path) -> Path:
    """params.yaml with SMALL merged in, written to ``tmp_path`` (used by conftest's `built_reports`)."""
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["conversion"]["models_dir"] = str(tmp_path / "models" / "conversion")  # never the repo's models
    params["asynchronous"]["models_dir"] = str(tmp_path / "models" / "async")
    params["endurance"]["workloads"]["conversion_dir"] = str(tmp_path / "models" / "conversion" / "snn" / "seed0")
    params["endurance"]["workloads"]["async_dir"] = str(tmp_path / "models" / "async")
    params["async_authors"]["default_claims"] = str(tmp_path / "reports" / "async" / "claims.json")
    params["interop"]["conversion_dir"] = str(tmp_path / "models" / "conversion" / "snn")
    params["interop"]["async_dir"] = str(tmp_path / "models" / "async")
    params["interop"]["nir_dir"] = str(tmp_path / "models" / "nir")
    params["deploy"]["models_dir"] = str(tmp_path / "models" / "deploy")
    for section, values in SMALL.items():
        for key, value in values.items():
            if isinstance(value, dict) and (section, key) not in REPLACED:
                params[section][key].update(value)
            else:
                params[section][key] = value
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_every_notebook_is_a_stage_and_every_stage_runs_a_notebook():
    notebook_stages = {nb.stem for nb in NOTEBOOKS}
    run_stages = {name for name, s in STAGES.items() if s.get("cmd", "").startswith("python -m neurobench.pipeline run")}
    assert notebook_stages == run_stages
    for name in run_stages:
        assert STAGES[name]["cmd"] == f"python -m neurobench.pipeline run {name}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(notebook):
    nb = json.loads(notebook.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_one_parameters_cell_matching_its_stage_params(notebook):
    nb = json.loads(notebook.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    names = set(pipeline.notebook_parameters(notebook)) - {pipeline.OUTPUT_DIR_PARAMETER}
    assert names - config.RUNTIME_SECTIONS == set(STAGES[notebook.stem]["params"])


def test_no_stage_lists_a_runtime_section_so_changing_it_reruns_nothing():
    """``executor`` says where tasks run, never what they compute: DVC must not track it."""
    for name, stage in STAGES.items():
        listed = set()
        for entry in stage.get("params") or []:
            listed |= set(entry) if isinstance(entry, dict) else {str(entry).split(".")[0]}
        assert not listed & config.RUNTIME_SECTIONS, name
        assert "params.yaml" not in stage.get("deps", []), name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_stage_declares_its_report_outputs(notebook):
    stage = STAGES[notebook.stem]
    outs = [o if isinstance(o, str) else next(iter(o)) for o in stage["outs"]]
    metrics = [m if isinstance(m, str) else next(iter(m)) for m in stage["metrics"]]
    assert f"reports/{notebook.stem}.html" in outs
    assert metrics == [f"reports/{notebook.stem}/metrics.json"]
    assert f"notebooks/{notebook.name}" in stage["deps"]


# dvc.yaml order, so that a whole session builds the stages as `dvc repro` would.
NOTEBOOKS_IN_PIPELINE_ORDER = sorted(NOTEBOOKS, key=lambda nb: list(STAGES).index(nb.stem))


@pytest.mark.parametrize("notebook", NOTEBOOKS_IN_PIPELINE_ORDER, ids=lambda p: p.stem)
def test_notebook_runs_and_writes_declared_outputs(notebook, built_reports):
    # Built once per session by the `built_reports` fixture (conftest.py) into one reports folder
    # with small params; the browser tests (test_browser.py) check the same reports.
    reports = built_reports.reports
    built_reports.stage(notebook.stem)  # fails here, for this stage only, if it raised
    stage = STAGES[notebook.stem]
    declared = [o if isinstance(o, str) else next(iter(o)) for o in stage["outs"] + stage["metrics"] + stage.get("plots", [])]
    for path in declared:  # files, and the model folders (under the session's own models/)
        assert (built_reports.root / path).is_file() or (path.startswith("models/") and (built_reports.root / path).is_dir()), path
    html = (reports / f"{notebook.stem}.html").read_text()
    assert html.count("data:image/png;base64") >= 2, "the report shows no figures"
    metrics = json.loads((reports / notebook.stem / "metrics.json").read_text())
    # numbers only (null where a quantity is undefined), so that `dvc metrics diff` compares them
    assert metrics and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
                           for v in metrics.values()), {k: v for k, v in metrics.items() if isinstance(v, str)}
    claims_path = reports / notebook.stem / "claims.json"
    if claims_path.exists():  # a paper's stage: every claim measured over the seeds, its numbers in metrics.json
        claims = json.loads(claims_path.read_text())
        assert claims and all(len(c["measured"]) >= 2 for c in claims), [c["key"] for c in claims if len(c["measured"]) < 2]
        assert all(metrics[f"claim_{c['key']}_n"] == c["n"] for c in claims)


def test_same_params_give_bit_identical_metrics(built_reports, tmp_path, monkeypatch):
    # The session's simulator report is the first run; one more run with the same params file.
    built_reports.stage("simulator")
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as in the first run
    first, second = built_reports.reports, tmp_path / "second"
    pipeline.run_stage("simulator", built_reports.params, REPO / "notebooks", second, progress=False)
    a = (first / "simulator" / "metrics.json").read_bytes()
    assert a == (second / "simulator" / "metrics.json").read_bytes()
    assert json.loads(a)["identical_spike_counts"] == 1


def test_built_report_tests_join_their_stage_group_under_xdist(request, built_reports):
    """``make test-slow``'s ``--dist loadgroup`` sees a group only in the node id's ``@<group>`` suffix
    (tests/conftest.py writes it where pytest-xdist's own hook no longer can): without it every
    test is scheduled alone and each worker builds the stages its tests happen to read."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("runs on a pytest-xdist worker of `-n N --dist loadgroup` (make test-slow)")
    assert request.node.nodeid.endswith("@built_reports-other")
