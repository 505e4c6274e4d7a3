"""The README's DVC workflow, run through DVC itself on a copy of the repository.

- A failed ``dvc repro <stage>`` (a broken parameter) exits non-zero and leaves every previous
  file under ``reports/`` byte-identical: report outputs are ``persist: true`` in ``dvc.yaml``, so
  DVC does not delete them before the command runs, and ``neurobench.pipeline`` swaps a new
  report in only when it is complete.
- ``dvc metrics diff`` after a parameter change shows numbers, old and new, for the stage.

The data stage is used because it runs in seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DVC = Path(sys.executable).with_name("dvc")

pytestmark = [pytest.mark.skipif(not DVC.exists(), reason=f"dvc is not installed beside {sys.executable}"),
              # one worker builds the module's repository copy once (26 s), not each worker its own
              pytest.mark.xdist_group("dvc_workflow"),
              pytest.mark.slow]  # dvc runs on a repository copy: about 160 worker-seconds


def _run(args, cwd, check=True):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "DVC_NO_ANALYTICS": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _set_param(repo: Path, section: str, key: str, value) -> None:
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    params[section][key] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory):
    """The repository's files (as git sees them, uncommitted ones included) in a fresh git
    repository, with the data stage reproduced once and committed."""
    dest = tmp_path_factory.mktemp("repo")
    files = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], REPO).stdout.split("\0")
    for name in filter(None, files):
        src = REPO / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    _run(["git", "init", "-q"], dest)
    _run(["git", "add", "-A"], dest)
    _run(["git", "commit", "-qm", "copy"], dest)
    _run([str(DVC), "repro", "data"], dest)
    _run(["git", "add", "dvc.lock"], dest)
    _run(["git", "commit", "-qm", "data reproduced"], dest)
    return dest


def test_failed_repro_keeps_the_previous_report_byte_identical(repo_copy):
    reports = repo_copy / "reports"
    before = _snapshot(reports)
    assert "data.html" in before and "data/metrics.json" in before
    original = (repo_copy / "params.yaml").read_text()
    try:
        _set_param(repo_copy, "data", "n_examples", 0)
        result = _run([str(DVC), "repro", "data"], repo_copy, check=False)
        assert result.returncode != 0
        assert "data.n_examples = 0" in result.stdout + result.stderr
        assert _snapshot(reports) == before
    finally:
        (repo_copy / "params.yaml").write_text(original)


def test_metrics_diff_after_a_parameter_change_shows_numbers(repo_copy):
    original = (repo_copy / "params.yaml").read_text()
    try:
        _set_param(repo_copy, "data", "test_fraction", 0.5)
        _run([str(DVC), "repro", "data"], repo_copy)
        diff = json.loads(_run([str(DVC), "metrics", "diff", "--json"], repo_copy).stdout)
        changes = diff["reports/data/metrics.json"]
        numeric = {k: v for k, v in changes.items() if isinstance(v.get("old"), (int, float))
                   and isinstance(v.get("new"), (int, float))}
        assert numeric, changes  # old and new are numbers, not "-"
        assert any(v["old"] != v["new"] for v in numeric.values())
    finally:
        (repo_copy / "params.yaml").write_text(original)


def test_plan_lists_what_repro_would_run_where_a_dry_run_cannot(repo_copy):
    # Only `data` was reproduced in this fresh repository (other tests of this module may have
    # changed its parameters since): every other stage would run, and `endurance` depends on
    # model folders that do not exist yet, where `dvc repro --dry` stops.
    result = _run([sys.executable, "-m", "neurobench.plan"], repo_copy)
    lines = dict(line.split(maxsplit=1) for line in result.stdout.strip().splitlines())
    assert {"simulator", "conversion", "async", "endurance", "src", "delays", "index"} <= set(lines)
    assert "after conversion, async" in lines["endurance"]
    assert "outputs" in lines["conversion"]  # never built here


def test_changing_one_chip_reruns_only_that_candidates_stage(repo_copy):
    # issue 17: every candidate chip is its own stage (deploy_candidate@<name>) with the shared
    # settings and its own deploy.chips.<name> as params
    path = repo_copy / "params.yaml"
    original = path.read_text()
    rram = {"kind": "spiking", "constraints": {"family": "digital", "bits": 4, "method": "round"},
            "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "barrier", "device": {"kind": "rram"}}
    try:
        params = yaml.safe_load(original)
        params["executor"]["kind"] = "local"
        params["deploy"].update({
            "network": {"hidden": 12, "epochs": 2, "min_hidden": 4}, "calibration_samples": 30, "n_steps": 16,
            "test_samples": 30, "timing_samples": 3, "brian_samples": 0, "pso": {"particles": 3, "iterations": 2},
            "n_seeds": 1, "sweep": {"factors": [0.5, 2.0], "temperatures": [300.0]},
            "chips": {"rram": rram, "mac": {"kind": "analog_mac", "cols": 64}}})
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        first = _run([str(DVC), "repro", "deploy_candidate"], repo_copy).stdout
        assert "Running stage 'deploy_candidate@rram'" in first and "Running stage 'deploy_candidate@mac'" in first
        stored = {n: (repo_copy / "models" / "deploy" / n / "result.json").read_bytes() for n in ("rram", "mac")}
        params["deploy"]["chips"]["rram"]["device"]["temperature"] = 330.0
        path.write_text(yaml.safe_dump(params, sort_keys=False))
        status = json.loads(_run([str(DVC), "status", "--json"], repo_copy).stdout)
        assert "deploy_candidate@rram" in status and "deploy_candidate@mac" not in status
        second = _run([str(DVC), "repro", "deploy_candidate"], repo_copy).stdout
        assert "Running stage 'deploy_candidate@rram'" in second
        assert "Running stage 'deploy_candidate@mac'" not in second
        assert (repo_copy / "models" / "deploy" / "mac" / "result.json").read_bytes() == stored["mac"]
        assert (repo_copy / "models" / "deploy" / "rram" / "result.json").read_bytes() != stored["rram"]
    finally:
        path.write_text(original)
