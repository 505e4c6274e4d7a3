"""dvc.yaml and dvc.lock agree with the code: every stage depends on what it imports, and the
committed lock hashes the files as they are.

When either test fails after a code change: ``python -m neurobench.deps write`` (deps lists),
then ``dvc repro`` or ``dvc commit`` (the lock).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from neurobench import deps


def test_dvc_yaml_deps_are_the_import_closure(repo_root):
    problems = deps.differences(repo_root / "dvc.yaml")
    assert not problems, (
        "dvc.yaml deps differ from what each stage imports "
        "(fix: python -m neurobench.deps write):\n" + "\n".join(problems))


def test_every_neurobench_stage_is_analysed(repo_root):
    analysed, errors = deps.analyse(repo_root / "dvc.yaml")
    assert not errors, errors
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    running_neurobench = [name for name, body in stages.items()  # foreach stages: their `do` template
                          if "neurobench." in str(body.get("cmd") or body.get("do", {}).get("cmd"))]
    assert sorted(analysed) == sorted(running_neurobench)


def _dvc() -> str:
    dvc = Path(sys.executable).with_name("dvc")
    if not dvc.is_file():
        pytest.skip(f"dvc cannot run: no {dvc} (install the pinned dvc: make setup)")
    return str(dvc)


def _outputs(repo_root: Path) -> set[str]:
    """Every output path of every stage, relative to the root, as DVC resolves them (``foreach``
    instances and ``${...}`` paths included)."""
    from dvc.repo import Repo

    with Repo(str(repo_root)) as repo:
        return {Path(out.fs_path).relative_to(repo_root).as_posix()
                for stage in repo.index.stages for out in stage.outs}


def _produced(path: str, outputs: set[str]) -> bool:
    """``path`` is an output, or a folder holding outputs (a dep on several stages' outputs)."""
    return path in outputs or any(out.startswith(path.rstrip("/") + "/") for out in outputs)


def test_dvc_lock_matches_the_code_and_params(repo_root):
    """The committed dvc.lock hashes today's deps and params.

    Outputs are not in git, so a fresh clone lacks them: a dependency that is another stage's
    output (models/..., reports/.../metrics.json) and every changed output are not checked.
    """
    env = {**os.environ, "DVC_NO_ANALYTICS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([_dvc(), "status", "--json"], cwd=repo_root, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"dvc status failed:\n{result.stdout}\n{result.stderr}"
    status = json.loads(result.stdout or "{}")
    produced = _outputs(repo_root)
    stale = []
    for stage, changes in status.items():
        for change in changes:
            if isinstance(change, str):  # e.g. "changed command", "always changed"
                if change != "always changed":
                    stale.append(f"{stage}: {change}")
                continue
            for kind, what in change.items():
                if kind == "changed deps":
                    stale += [f"{stage}: dep {path} {how}" for path, how in what.items()
                              if not _produced(path, produced)]
                elif kind == "changed params":
                    stale += [f"{stage}: params {f} {how}" for f, how in what.items()]
                elif kind != "changed outs":
                    stale.append(f"{stage}: {kind} {what}")
    assert not stale, ("dvc.lock does not match the code (fix: dvc repro, or dvc commit when "
                       "the change does not alter results):\n" + "\n".join(stale))


# --- neurobench.deps on a small package of its own ------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_closure_follows_relative_local_and_string_imports(tmp_path):
    _write(tmp_path, {
        "neurobench/__init__.py": "",
        "neurobench/low.py": "",
        "neurobench/unused.py": "",
        "neurobench/mid/__init__.py": "from .a import thing\n",
        "neurobench/mid/a.py": "from ..low import x\n",
        "neurobench/mid/b.py": "def f():\n    from . import c\n",
        "neurobench/mid/c.py": "import importlib\nM = importlib.import_module('neurobench.extra')\n",
        "neurobench/extra.py": "",
        "neurobench/config.py": "",
        "neurobench/experiments/one/params.py": "",
        "neurobench/experiments/two/params.py": "",
        "neurobench/experiments/two/stages.py": "",
        "neurobench/run.py": "import neurobench.config\nfrom neurobench.mid import b\n",
        "notebooks/nb.ipynb": json.dumps({"cells": [
            {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["one = {}\n"]},
            {"cell_type": "code", "metadata": {},
             "source": ["%matplotlib inline\n", "from neurobench import low\n"]},
        ]}),
    })
    package = deps.Package(tmp_path)
    closure = package.closure({"neurobench.run"})
    assert "neurobench.unused" not in closure and "neurobench.experiments.one.params" not in closure
    assert {"neurobench.mid.c", "neurobench.extra", "neurobench.low", "neurobench.mid.a"} <= closure
    stage = deps.Stage("s", ["python -m neurobench.pipeline run nb"], ["notebooks/nb.ipynb"], set())
    _write(tmp_path, {"neurobench/pipeline.py": "from . import config\n"})
    package = deps.Package(tmp_path)
    assert deps.stage_deps(stage, package) == [
        "notebooks/nb.ipynb", "neurobench/__init__.py", "neurobench/config.py",
        "neurobench/experiments/one/params.py", "neurobench/low.py", "neurobench/pipeline.py"]
    run = deps.Stage("t", ["python -m neurobench.run"], [], {"two"})
    files = deps.stage_deps(run, package)
    assert "neurobench/mid/b.py" in files and "neurobench/experiments/two/params.py" in files
    # whole packages become directories only when DVC ignores the bytecode Python writes there
    (tmp_path / ".dvcignore").write_text("# comment\n__pycache__/\n")
    whole = deps.stage_deps(run, deps.Package(tmp_path))
    assert whole == sorted(["neurobench/mid", *(f for f in files if not f.startswith("neurobench/mid/"))])


def test_rewrite_changes_only_deps_lists():
    text = textwrap.dedent("""\
        # header comment
        stages:
          a:
            cmd: python -m neurobench.x   # trailing
            deps:
              - notebooks/a.ipynb
              # about b
              - neurobench/b.py  # keep me
              - neurobench/old.py
            params:
              - a
            outs:
              - out/a

          b:
            cmd: python -m neurobench.y
            outs:
              - out/b
        """)
    new = deps.rewrite(text, {"a": ["notebooks/a.ipynb", "neurobench/b.py", "neurobench/c.py"],
                              "b": ["neurobench/y.py"]})
    assert new == textwrap.dedent("""\
        # header comment
        stages:
          a:
            cmd: python -m neurobench.x   # trailing
            deps:
              - notebooks/a.ipynb
              # about b
              - neurobench/b.py  # keep me
              - neurobench/c.py
            params:
              - a
            outs:
              - out/a

          b:
            cmd: python -m neurobench.y
            deps:
              - neurobench/y.py
            outs:
              - out/b
        """)


def test_foreach_stage_is_analysed_and_rewritten_through_its_do_block(tmp_path):
    _write(tmp_path, {"neurobench/__init__.py": "", "neurobench/config.py": "",
                      "neurobench/run.py": "from . import low\n", "neurobench/low.py": "",
                      "neurobench/experiments/chips/params.py": ""})
    text = textwrap.dedent("""\
        stages:
          per_chip:
            foreach: ${chips}
            do:
              cmd: python -m neurobench.run ${key}
              params:
                - chips.${key}
              outs:
                - out/${key}
        """)
    (tmp_path / "dvc.yaml").write_text(text)
    stage = deps.load_stages(tmp_path / "dvc.yaml")["per_chip"]
    assert stage.cmd == ["python -m neurobench.run ${key}"] and stage.params == {"chips"}
    deps.write(tmp_path / "dvc.yaml")
    assert (tmp_path / "dvc.yaml").read_text() == textwrap.dedent("""\
        stages:
          per_chip:
            foreach: ${chips}
            do:
              cmd: python -m neurobench.run ${key}
              deps:
                - neurobench/__init__.py
                - neurobench/experiments/chips/params.py
                - neurobench/low.py
                - neurobench/run.py
              params:
                - chips.${key}
              outs:
                - out/${key}
        """)
    assert deps.differences(tmp_path / "dvc.yaml") == []


def test_a_file_named_by_an_input_file_key_becomes_a_dep_of_the_stages_that_read_it(tmp_path):
    """``INPUT_FILES`` in a section's schema: the file its key names in params.yaml is a dep of
    every stage declaring that key (or a parent of it), not of a stage reading other keys, and
    not while the key names no file."""
    _write(tmp_path, {"neurobench/__init__.py": "", "neurobench/run.py": "",
                      "neurobench/experiments/chips/params.py": 'INPUT_FILES = ("net.source",)\n',
                      "nets/a.nir": "weights",
                      "params.yaml": "chips:\n  net: {source: nets/a.nir, hidden: 4}\n  seed: 0\n"})
    text = textwrap.dedent("""\
        stages:
          reads_the_net:
            cmd: python -m neurobench.run
            params:
              - chips.net
          reads_the_seed:
            cmd: python -m neurobench.run
            params:
              - chips.seed
        """)
    (tmp_path / "dvc.yaml").write_text(text)
    assert deps.differences(tmp_path / "dvc.yaml") == [
        "reads_the_net: missing nets/a.nir", "reads_the_net: missing neurobench/__init__.py",
        "reads_the_net: missing neurobench/experiments/chips/params.py", "reads_the_net: missing neurobench/run.py",
        "reads_the_seed: missing neurobench/__init__.py",
        "reads_the_seed: missing neurobench/experiments/chips/params.py", "reads_the_seed: missing neurobench/run.py"]
    deps.write(tmp_path / "dvc.yaml")
    spec = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]
    assert spec["reads_the_net"]["deps"][0] == "nets/a.nir"
    assert "nets/a.nir" not in spec["reads_the_seed"]["deps"]
    assert deps.differences(tmp_path / "dvc.yaml") == []
    (tmp_path / "params.yaml").write_text("chips:\n  net: {source: train, hidden: 4}\n  seed: 0\n")
    package = deps.Package(tmp_path)
    stage = deps.load_stages(tmp_path / "dvc.yaml")["reads_the_net"]
    assert deps.input_files(stage, package, set()) == []  # 'train' names no file
    assert deps.differences(tmp_path / "dvc.yaml") == []  # a written entry is kept as written
