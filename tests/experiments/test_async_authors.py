"""The ``async_authors`` stage: the authors' training setting merged into the study, the two
claims tables side by side, and the small built report."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from neurobench import config
from neurobench.claims import Claim
from neurobench.experiments.async_authors.params import AsyncAuthorsSection
from neurobench.experiments.async_authors.setting import (authors_study, compare_settings, read_claims_records,
                                                          setting_differences)
from neurobench.experiments.asynchronous.params import AsyncSection


def test_authors_study_changes_training_threshold_and_seeds_only():
    study = AsyncSection(n_seeds=5, frame_window=4.0)
    authors = AsyncAuthorsSection(n_seeds=3)
    cfg = authors_study(study, authors)
    assert cfg.training == authors.training
    assert cfg.neuron.v_th == 0.3 and cfg.neuron.tau_m == study.neuron.tau_m and cfg.neuron.model == "lif"
    assert cfg.n_seeds == 3
    assert cfg.model_dump(exclude={"training", "neuron", "n_seeds"}) == study.model_dump(
        exclude={"training", "neuron", "n_seeds"})


def test_committed_setting_is_the_authors_and_differs_from_ours_where_documented(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    study = config.validate("asynchronous", params["asynchronous"])
    authors = config.validate("async_authors", params["async_authors"])
    t = authors.training
    assert (t.hidden, t.lr, t.batch_size, t.epochs, authors.neuron.v_th) == ([64, 64, 64], 1e-3, 256, 45, 0.3)
    # ~235 optimiser steps, as one N-MNIST epoch at batch 256 (1,348 training digits here)
    assert abs(t.epochs * math.ceil(1348 / t.batch_size) - 235) <= 40
    diff = setting_differences(study, authors_study(study, authors))
    assert set(diff.parameter) == {"training.hidden", "training.epochs", "training.batch_size", "training.lr",
                                   "neuron.v_th"}


def test_bad_authors_setting_is_rejected_naming_the_key():
    with pytest.raises(config.ConfigError, match=r"async_authors\.neuron\.v_th"):
        config.validate("async_authors", {"neuron": {"v_th": -0.3}})
    with pytest.raises(config.ConfigError, match=r"async_authors\.training\.lr"):
        config.validate("async_authors", {"training": {"lr": 0}})


def _claim(key, measured, paper=None, target=1.0):
    return Claim(key=key, statement=f"statement {key}", source="src", unit="x", measured=measured, paper=paper,
                 target=target, higher_is_better=True, note="", seeds=tuple(range(len(measured))))


def test_compare_settings_puts_each_claim_of_both_settings_on_one_row():
    from neurobench.claims import claims_records

    default = claims_records([_claim("a", (1.0, 3.0), paper=2.0), _claim("only_default", (5.0, 5.0))])
    authors = [_claim("a", (0.5, 0.7, 0.9), paper=2.0), _claim("only_authors", (2.0, 2.0, 2.0))]
    table = compare_settings(default, authors).set_index("claim")
    assert list(table.index) == ["a", "only_default", "only_authors"]
    assert table.loc["a", "ours (default)"] == "2.00 ± 1.41 x (n=2)"
    assert table.loc["a", "authors' setting"] == "0.700 ± 0.200 x (n=3)"
    assert table.loc["a", "paper"] == "2 x"
    assert (table.loc["a", "met (default)"], table.loc["a", "met (authors')"]) == (True, False)
    assert table.loc["only_default", "authors' setting"] == "n/a"
    assert table.loc["only_authors", "ours (default)"] == "n/a"


def test_read_claims_records(tmp_path):
    assert read_claims_records(tmp_path / "absent.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"key": "a"}))
    with pytest.raises(ValueError, match="bad.json"):
        read_claims_records(bad)
    good = tmp_path / "claims.json"
    good.write_text(json.dumps([{"key": "a"}]))
    assert read_claims_records(good) == [{"key": "a"}]


@pytest.fixture(scope="module")
def authors_report(built_reports):
    built_reports.stage("async")
    return built_reports.stage("async_authors")


def test_small_report_has_both_tasks_claims_over_seeds_and_the_default_beside(authors_report):
    folder = authors_report.with_suffix("")
    records = json.loads((folder / "claims.json").read_text())
    keys = {r["key"] for r in records}
    for task in ("saccade", "rows"):
        assert {f"{task}_accuracy_best", f"{task}_spikes_best", f"{task}_energy_mean"} <= keys
    assert all(r["n"] >= 2 for r in records if r["key"].endswith("_spikes_mean"))
    metrics = json.loads((folder / "metrics.json").read_text())
    assert all(isinstance(v, (int, float)) for v in metrics.values())
    assert metrics["claim_saccade_spikes_best_n"] >= 2
    html = authors_report.read_text()
    assert "authors&#x27; setting" in html or "authors' setting" in html
    assert "are not there" not in html  # the async report's claims were found and shown beside
