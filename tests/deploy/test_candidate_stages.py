"""One DVC stage per candidate chip: params in step with the schema, fingerprints that follow only
the chip's own parameters, stored results reused or recomputed, the command's bad input.

The DVC run itself (changing one chip reruns only that chip's stage) is in
``tests/test_dvc_workflow.py``.
"""

import json
import math
from pathlib import Path

import pytest
import yaml

from neurobench import config
from neurobench.experiments.deploy import candidate, results
from neurobench.experiments.deploy.results import (
    CandidateResult, candidate_fingerprint, candidate_results, load_result, save_result, shared_keys,
)

REPO = Path(__file__).resolve().parents[2]
TINY = {"network": {"hidden": 12, "epochs": 2, "min_hidden": 4}, "calibration_samples": 30, "n_steps": 16,
        "test_samples": 30, "timing_samples": 3, "brian_samples": 0, "pso": {"particles": 3, "iterations": 2},
        "n_seeds": 1, "sweep": {"factors": [0.5, 2.0], "temperatures": [300.0]}}
RRAM = {"kind": "spiking", "constraints": {"family": "digital", "bits": 4, "method": "round"},
        "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "barrier", "device": {"kind": "rram"}}
MAC = {"kind": "analog_mac", "cols": 64}


def tiny(tmp_path, chips=None, **changes):
    chips = {"rram": RRAM, "mac": MAC} if chips is None else chips
    return config.validate("deploy", {**TINY, "chips": chips, "models_dir": str(tmp_path / "deploy"), **changes})


def test_dvc_candidate_stage_lists_every_shared_key_and_only_its_own_chip():
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    body = stages["deploy_candidate"]
    assert body["foreach"] == "${deploy.chips}"
    cfg = config.load_section("deploy")
    assert body["do"]["params"] == [f"deploy.{k}" for k in shared_keys(cfg)] + ["deploy.chips.${key}"]
    assert body["do"]["cmd"] == "python -m neurobench.experiments.deploy.candidate ${key}"
    assert [next(iter(o)) for o in body["do"]["outs"]] == ["${deploy.models_dir}/${key}"]
    assert "${deploy.models_dir}" in stages["deploy"]["deps"]  # the report reads every candidate's folder


def test_fingerprint_follows_the_shared_settings_and_the_own_chip_only(tmp_path):
    cfg = tiny(tmp_path)
    base = {n: candidate_fingerprint(cfg, n) for n in cfg.chips}
    other_chip = tiny(tmp_path, chips={"rram": {**RRAM, "device": {"kind": "rram", "temperature": 330.0}},
                                       "mac": MAC})
    assert candidate_fingerprint(other_chip, "mac") == base["mac"]
    assert candidate_fingerprint(other_chip, "rram") != base["rram"]
    shared = tiny(tmp_path, n_steps=20)
    assert all(candidate_fingerprint(shared, n) != base[n] for n in cfg.chips)
    moved = tiny(tmp_path / "elsewhere")  # where results are kept is not what they are
    assert {n: candidate_fingerprint(moved, n) for n in cfg.chips} == base
    with pytest.raises(ValueError, match="chip 'tpu' is not allowed: deploy.chips has rram, mac"):
        candidate_fingerprint(cfg, "tpu")


def test_result_round_trip_keeps_an_unbounded_lifetime(tmp_path):
    r = CandidateResult("mac", "abc", False, [0.9], [{"accuracy": 0.8, "lifetime": math.inf}],
                        [["mac", "accuracy", "mac.sigma_trial", 0.5, 0.81]], None, ["replicate 0: pruned"], None)
    path = save_result(r, tmp_path)
    assert json.loads(path.read_text())["rows"][0]["lifetime"] == "inf"  # JSON has no infinity
    assert load_result(tmp_path, "mac") == r
    assert load_result(tmp_path, "absent") is None


def test_stored_candidates_are_reused_and_stale_ones_recomputed(tmp_path, monkeypatch):
    cfg = tiny(tmp_path)
    first = candidate_results(cfg)
    assert list(first) == ["rram", "mac"]
    assert (tmp_path / "deploy" / "rram" / "rram.nir").is_file() and first["rram"].nir == "rram.nir"
    assert first["mac"].nir is None and math.isinf(first["mac"].rows[0]["lifetime"])
    assert first["rram"].sweep and all(row[0] == "rram" for row in first["rram"].sweep)

    computed = []
    real = results.compute_candidates

    def spy(cfg, names, *args, **kw):
        computed.append(list(names))
        return real(cfg, names, *args, **kw)

    monkeypatch.setattr(results, "compute_candidates", spy)
    assert candidate_results(cfg) == first and computed == []  # both current: nothing computed
    hot = tiny(tmp_path, chips={"rram": {**RRAM, "device": {"kind": "rram", "temperature": 330.0}}, "mac": MAC})
    again = candidate_results(hot)
    assert computed == [["rram"]]  # only the changed chip
    assert again["mac"] == first["mac"]
    assert again["rram"].rows[0]["lifetime"] != first["rram"].rows[0]["lifetime"]  # hotter: shorter read life
    assert again["rram"].rows[0]["accuracy"] == first["rram"].rows[0]["accuracy"]  # same conversion


def test_candidate_command_rejects_an_unknown_chip_before_compute(tmp_path, capsys):
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["deploy"]["models_dir"] = str(tmp_path / "deploy")
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    assert candidate.main(["tpu", "--params", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: chip 'tpu' is not allowed: deploy.chips has pcm_analog, rram_digital4")
    assert not (tmp_path / "deploy").exists()
