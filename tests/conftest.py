"""Shared fixtures: the repository root, and seeds reset for every test."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]

if os.environ.get("PYTEST_XDIST_WORKER"):
    # one thread per pytest-xdist worker (and per notebook kernel or pool worker it starts, which
    # inherit the environment), as the executor's pool workers have: with torch's thread per core
    # beside a second busy worker, small tensor operations ran up to 60x slower
    from neurobench.executor import one_thread_worker

    one_thread_worker()


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
    """Every notebook stage's report built (small) once per test run into one folder.

    ``root`` holds ``params.yaml`` (params.yaml with the small sections of
    ``test_notebooks.SMALL``), ``models/conversion`` (the conversion notebook's models, never the
    repository's) and ``reports/`` (``<stage>.html``, ``<stage>/...`` and ``index.html``), laid
    out as in the repository so that dvc.yaml's declared paths resolve against ``root``.

    Stages are built on first request, so running one stage's tests builds only that stage (and
    the stages whose outputs it reads, ``deps``, first); :meth:`build_all` builds the remaining
    ones in ``dvc.yaml`` order, then the index. A stage that raises is recorded (and not retried):
    its own tests fail, the others go on.

    Under pytest-xdist every worker process has its own ``BuiltReports`` on the same ``root``:
    a stage is built by the first worker that asks for it, under a file lock, and recorded in
    ``root`` (``.<stage>.done`` or ``.<stage>.error``), so that the other worker reads it instead
    of building it again.
    """

    def __init__(self, root: Path, params: Path, stages: list[str], deps: dict[str, list[str]]):
        self.root, self.params, self.stages, self.deps = root, params, stages, deps
        self.reports = root / "reports"
        self.built: dict[str, Path] = {}
        self.errors: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.index: Path | None = None

    def _record(self, name: str) -> bool:
        """Read the outcome another process (or this one) recorded for ``name``; False if none."""
        done, failed = self.root / f".{name}.done", self.root / f".{name}.error"
        if done.is_file():
            self.built[name] = Path(done.read_text())
        elif failed.is_file():
            self.errors[name] = failed.read_text()
        return done.is_file() or failed.is_file()

    def stage(self, name: str) -> Path:
        """``reports/<name>.html``, building the stage (after the stages it reads) if not yet
        attempted; fails the calling test with the stage's own error when it could not be built."""
        if name not in self.built and name not in self.errors:
            import time
            import traceback

            from filelock import FileLock  # a dependency of torch

            from neurobench import pipeline

            for upstream in self.deps.get(name, ()):  # e.g. endurance reads conversion's models
                try:
                    self.stage(upstream)
                except pytest.fail.Exception:
                    pass  # recorded; this stage then fails on its own, naming what it misses
            with FileLock(self.root / f".{name}.lock"):
                if not self._record(name):
                    start = time.perf_counter()
                    with pytest.MonkeyPatch.context() as mp:
                        mp.setenv("MPLBACKEND", "Agg")  # figures must reach the report even so
                        mp.chdir(REPO_ROOT)  # the notebooks' working directory, as under dvc repro
                        try:
                            html = pipeline.run_stage(
                                name, self.params, REPO_ROOT / "notebooks", self.reports, progress=False)
                            (self.root / f".{name}.done").write_text(str(html))
                        except Exception as exc:  # recorded: fails this stage's tests only
                            (self.root / f".{name}.error").write_text("".join(traceback.format_exception(exc)))
                    self.seconds[name] = time.perf_counter() - start
                    self._record(name)
        if name in self.errors:
            pytest.fail(f"stage {name!r} could not be built:\n{self.errors[name]}", pytrace=False)
        return self.built[name]

    def build_all(self) -> Path:
        """Every stage not yet attempted (dvc.yaml order), then ``reports/index.html``."""
        if self.index is None:
            from filelock import FileLock

            from neurobench import pipeline

            for name in self.stages:
                try:
                    self.stage(name)
                except pytest.fail.Exception:
                    pass  # recorded in self.errors; reported by that stage's tests
            with FileLock(self.root / ".index.lock"), pytest.MonkeyPatch.context() as mp:
                mp.chdir(REPO_ROOT)  # build_stamp reads the git commit of the working directory
                self.index = pipeline.build_index(self.reports, REPO_ROOT / "notebooks", REPO_ROOT / "dvc.yaml")
        return self.index


REPORTS_GROUP = "built_reports"
"""Prefix of the pytest-xdist groups of the tests that read the small built reports: one group
per stage (``built_reports-<stage>``), so that a stage's tests run on the worker that builds it."""

REPORT_SECONDS = {"conversion": 150, "deploy": 100, "multicore": 70, "async": 35}
"""Rough small build times of the slowest stages that read no other stage's outputs (seconds, on
a busy 2-core machine): :class:`CostlyFirst` hands their groups out first, longest first. The
stages that read another's outputs (async_authors, endurance, interop) come after every other
stage, so that their worker does not wait for the upstream build."""


def _report_stage(item) -> str | None:
    """The stage whose small report ``item`` reads (for its xdist group), or None if unknown: the
    ``notebook``/``stage`` parameter, else the module's name (``test_<stage>_claims.py``)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "notebook" in params:
        return Path(params["notebook"]).stem
    if isinstance(params.get("stage"), str):
        return params["stage"]
    name = item.module.__name__.rpartition(".")[2].removeprefix("test_").removesuffix("_claims")
    return name if name in _STAGES else None


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    """``make test-slow`` runs its tier on two pytest-xdist workers (``-n 2 --dist loadgroup``): every
    test that reads the small built reports (the ``built_reports`` fixture, directly or through
    another fixture) joins the group of the stage it reads, so a stage's tests run on one worker
    after its build; the index test (every stage) comes last. Without xdist the marks do nothing.
    Such a test is also marked ``slow`` (it waits for a notebook build), so that ``make test``
    (``-m "not slow"``) leaves it out; ``make test-slow`` (``-m slow``) runs it.

    pytest-xdist 3.8 marks a grouped test by writing ``@<group>`` into ``item._nodeid``, which
    pytest 9.2 no longer reads (``Node.nodeid`` is ``str(item._id)``): on a worker of such a run
    the suffix is written here, or every test would be scheduled alone (and each worker would
    build the stages its tests happen to read)."""
    suffix = getattr(config.option, "loadgroup", False) and hasattr(items[0] if items else None, "_id")
    for item in items:
        if "built_reports" not in getattr(item, "fixturenames", ()):
            marker = item.get_closest_marker("xdist_group")  # a module's own group (e.g. one costly fixture)
            if marker is None:
                continue
            group = marker.args[0] if marker.args else marker.kwargs["name"]
        else:
            stage = _report_stage(item) if item.name != "test_index_renders_in_a_browser_and_every_link_resolves" else "index"
            group = f"{REPORTS_GROUP}-{stage or 'other'}"
            item.add_marker(pytest.mark.xdist_group(group))
            item.add_marker(pytest.mark.slow)  # it waits for a notebook build: in `make test-slow`, not `make test`
        if suffix and "@" not in item.nodeid:
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(f"{item.nodeid}@{group}")


GROUP_SECONDS = {"dvc_workflow": 160}
"""Rough seconds of the other costly groups (``pytest.mark.xdist_group`` in a test module): handed
out among the stages' builds by their cost (tests/test_dvc_workflow.py: one repository copy for
the module, and the dvc runs on it)."""


def _group_cost(scope: str) -> float:
    """Scheduling weight of an xdist work unit: a stage's build seconds (or a costly group's,
    ``GROUP_SECONDS``); then the stages that read other stages' outputs; then the other tests (0:
    they keep xdist's order); the index (which reads every stage) last."""
    if not scope.startswith(f"{REPORTS_GROUP}-"):
        return GROUP_SECONDS.get(scope, 0.0)
    stage = scope.removeprefix(f"{REPORTS_GROUP}-")
    if stage == "index":
        return -1.0
    return 0.5 if _UPSTREAM.get(stage) else REPORT_SECONDS.get(stage, 1.0)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` that hands out the costly stages' groups first, longest first (the
    built reports are the longest chains of the run), and the index test last."""
    if getattr(config.option, "dist", None) != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class CostlyFirst(LoadGroupScheduling):
        def _assign_work_unit(self, node):
            costliest = max(self.workqueue, key=_group_cost)  # the first of equals: xdist's order
            self.workqueue.move_to_end(costliest, last=False)
            super()._assign_work_unit(node)

    return CostlyFirst(config, log)


_DVC_STAGES = yaml.safe_load((REPO_ROOT / "dvc.yaml").read_text())["stages"]
_STAGES = [name for name, stage in _DVC_STAGES.items()  # notebook stages (a foreach template has no cmd)
           if stage.get("cmd") == f"python -m neurobench.pipeline run {name}"]


def _upstream_stages() -> dict[str, list[str]]:
    """Per stage, the notebook stages whose declared outputs it lists among its deps (dvc.yaml)."""
    made_by = {}
    for name in _STAGES:
        stage = _DVC_STAGES[name]
        for out in stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", []):
            made_by[out if isinstance(out, str) else next(iter(out))] = name
    return {name: sorted({made_by[d] for d in _DVC_STAGES[name].get("deps", []) if d in made_by} - {name})
            for name in _STAGES}


_UPSTREAM = _upstream_stages()


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory) -> BuiltReports:
    """The run's reports folder: see :class:`BuiltReports` (small params, one build per stage;
    shared by the pytest-xdist workers of one run)."""
    from filelock import FileLock
    from test_notebooks import small_params  # the small parameters live next to the notebook tests

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built_reports"  # the workers' common folder
    root.mkdir(exist_ok=True)
    with FileLock(root / ".params.lock"):
        params = root / "params.yaml"
        if not params.is_file():
            small_params(root)
    return BuiltReports(root, params, _STAGES, _UPSTREAM)
