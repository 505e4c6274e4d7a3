"""Shared fixtures: the repository root, and seeds reset for every test."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True)
def _reset_global_seeds():
    """Tests must not depend on global random state left by other tests."""
    random.seed(0)
    np.random.seed(0)
    yield


class BuiltReports:
    """Every notebook stage's report built (small) once per test session into one folder.

    ``root`` holds ``params.yaml`` (params.yaml with the small sections of
    ``test_notebooks.SMALL``), ``models/conversion`` (the conversion notebook's models, never the
    repository's) and ``reports/`` (``<stage>.html``, ``<stage>/...`` and ``index.html``), laid
    out as in the repository so that dvc.yaml's declared paths resolve against ``root``.

    Stages are built on first request, so running one stage's tests builds only that stage;
    :meth:`build_all` builds the remaining ones in ``dvc.yaml`` order, then the index. A stage that
    raises is recorded in ``errors`` (and not retried): its own tests fail, the others go on.
    """

    def __init__(self, root: Path, params: Path, stages: list[str]):
        self.root, self.params, self.stages = root, params, stages
        self.reports = root / "reports"
        self.built: dict[str, Path] = {}
        self.errors: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.index: Path | None = None

    def stage(self, name: str) -> Path:
        """``reports/<name>.html``, building the stage if not yet attempted; fails the calling
        test with the stage's own error when it could not be built."""
        if name not in self.built and name not in self.errors:
            import time
            import traceback

            from neurobench import pipeline

            start = time.perf_counter()
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("MPLBACKEND", "Agg")  # figures must reach the report even so
                mp.chdir(REPO_ROOT)  # the notebooks' working directory, as under dvc repro
                try:
                    self.built[name] = pipeline.run_stage(
                        name, self.params, REPO_ROOT / "notebooks", self.reports, progress=False)
                except Exception as exc:  # recorded: fails this stage's tests only
                    self.errors[name] = "".join(traceback.format_exception(exc))
            self.seconds[name] = time.perf_counter() - start
        if name in self.errors:
            pytest.fail(f"stage {name!r} could not be built:\n{self.errors[name]}", pytrace=False)
        return self.built[name]

    def build_all(self) -> Path:
        """Every stage not yet attempted (dvc.yaml order), then ``reports/index.html``."""
        if self.index is None:
            from neurobench import pipeline

            for name in self.stages:
                if name not in self.built and name not in self.errors:
                    try:
                        self.stage(name)
                    except pytest.fail.Exception:
                        pass  # recorded in self.errors; reported by that stage's tests
            with pytest.MonkeyPatch.context() as mp:
                mp.chdir(REPO_ROOT)  # build_stamp reads the git commit of the working directory
                self.index = pipeline.build_index(self.reports, REPO_ROOT / "notebooks", REPO_ROOT / "dvc.yaml")
        return self.index


REPORTS_GROUP = "built_reports"
"""The pytest-xdist group of every test that reads the small built reports."""


def pytest_collection_modifyitems(config, items):
    """``make test`` runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``): every
    test that reads the small built reports (the ``built_reports`` fixture, directly or through
    another fixture) goes to one worker, which builds each stage once; the other worker runs the
    rest. Without xdist the marker does nothing."""
    for item in items:
        if "built_reports" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(REPORTS_GROUP))


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory) -> BuiltReports:
    """The session's reports folder: see :class:`BuiltReports` (small params, one build per stage)."""
    import yaml
    from test_notebooks import small_params  # the small parameters live next to the notebook tests

    root = tmp_path_factory.mktemp("built_reports")
    stages = [name for name, stage in yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"].items()
              if stage.get("cmd") == f"python -m neurobench.pipeline run {name}"]  # not foreach templates
    return BuiltReports(root, small_params(root), stages)
