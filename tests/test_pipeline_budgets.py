"""Every stage of ``make reproduce`` has a wall-time budget in ``benchmarks/pipeline.py``, which
times them (issue 15: every new stage within its own budget)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import yaml

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCHMARKS))  # the script imports its sibling ``harness``
    try:
        spec = importlib.util.spec_from_file_location("bench_pipeline", BENCHMARKS / "pipeline.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_every_dvc_stage_has_a_positive_budget(bench, repo_root):
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    missing = [name for name in stages if bench.budget(name) is None]
    assert not missing, f"give these stages a budget in benchmarks/pipeline.py STAGE_BUDGETS_S: {missing}"
    assert set(bench.STAGE_BUDGETS_S) == set(stages), "budgets of stages that no longer exist"
    assert all(b > 0 for b in bench.STAGE_BUDGETS_S.values())


def test_a_foreach_instance_has_its_stages_budget_and_an_overrun_is_flagged(bench):
    rows = bench.stage_rows({"deploy_candidate@pcm_analog": 10.0, "data": 1000.0, "index": None})
    by = {r["stage"]: r for r in rows}
    assert by["deploy_candidate@pcm_analog"]["budget (s)"] == bench.STAGE_BUDGETS_S["deploy_candidate"]
    assert by["deploy_candidate@pcm_analog"]["within"] == "yes"
    assert by["data"]["within"] == "NO"
    assert by["index"]["within"] == "not recorded"
    total = rows[-1]
    assert total["wall time (s)"] == 1010.0
    assert total["budget (s)"] == bench.STAGE_BUDGETS_S["deploy_candidate"] + bench.STAGE_BUDGETS_S["data"]


def test_notebook_seconds_reads_papermills_duration(bench, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "notebook.ipynb").write_text('{"metadata": {"papermill": {"duration": 7.5}}, "cells": []}')
    assert bench.notebook_seconds(tmp_path, "data") == 7.5
    assert bench.notebook_seconds(tmp_path, "simulator") is None


def test_merge_params_merges_mappings_replaces_the_rest_and_refuses_unknown_keys(bench):
    params = {"conversion": {"n_seeds": 3, "conversions": {"mlp": ["analog", "digital3"], "cnn": ["analog"]},
                             "penalty": {"network": "mlp", "penalties": [0.0, 1.0]}}, "data": {"seed": 0}}
    merged = bench.merge_params(params, {"conversion": {"n_seeds": 1, "conversions": {"mlp": ["analog"]},
                                                        "penalty": {"penalties": []}}})
    assert merged == {"conversion": {"n_seeds": 1, "conversions": {"mlp": ["analog"], "cnn": ["analog"]},
                                     "penalty": {"network": "mlp", "penalties": []}}, "data": {"seed": 0}}
    assert params["conversion"]["n_seeds"] == 3  # the input is left alone
    with pytest.raises(KeyError, match="'n_seed' is not a key"):
        bench.merge_params(params, {"conversion": {"n_seed": 1}})


def test_the_one_replicate_workload_is_valid_params(bench, repo_root):
    """benchmarks/one_replicate.yaml merges into params.yaml and every section it touches passes
    its schema, with one replicate."""
    from neurobench.config import validate

    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    changes = yaml.safe_load((BENCHMARKS / "one_replicate.yaml").read_text())
    merged = bench.merge_params(params, changes)
    for section in changes:
        assert validate(section, merged[section]).n_seeds == 1
    assert merged["conversion"]["penalty"]["penalties"] == []
