"""The repository's shape: the right `neurobench` is imported, pins agree, CI runs the README's command."""

from __future__ import annotations

import importlib.metadata as md
import re
import tomllib
from pathlib import Path

import pytest
import yaml

import neurobench


def test_import_resolves_to_this_repository(repo_root):
    # PyPI's `neurobench` (the NeuroBench harness) installs the same import name.
    assert Path(neurobench.__file__).resolve() == repo_root / "neurobench" / "__init__.py"
    assert md.distribution("neurobench-workbench").version == neurobench.__version__
    with pytest.raises(md.PackageNotFoundError):
        md.distribution("neurobench")


def _pins(requirements) -> dict[str, str]:
    pins = {}
    for req in requirements:
        name, _, version = req.partition("==")
        assert version, f"{req!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def test_environment_yml_pins_match_pyproject(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((repo_root / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert _pins(pip_section) == _pins(project["dependencies"])
    assert python == "python=3.11" and project["requires-python"].startswith(">=3.11")


def test_installed_versions_are_the_pinned_ones(repo_root):
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    for name, version in _pins(project["dependencies"]).items():
        installed = md.version(name)
        assert installed.split("+")[0] == version, f"{name}: installed {installed}, pinned {version}"


def readme_commands(repo_root) -> list[str]:
    text = (repo_root / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, flags=re.S)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]


def test_ci_runs_the_slow_tier_then_the_readme_test_command_exactly(repo_root):
    commands = readme_commands(repo_root)
    assert "make test" in commands and "make reproduce" in commands
    ci = [line.strip() for line in (repo_root / ".ci" / "run").read_text().splitlines()]
    ci = [line for line in ci if line and not line.startswith("#")]
    assert ci[-2:] == ["make test-slow", "make test"]


def test_the_two_tiers_split_the_suite(repo_root):
    """``make test`` runs what is not marked slow, ``make test-slow`` what is: together, all of it."""
    make = (repo_root / "Makefile").read_text()
    recipe = {name: re.search(rf"^{name}: setup\n\t(.*)$", make, flags=re.M).group(1)
              for name in ("test", "test-slow", "test-all")}
    assert recipe["test"] == '$(PYTEST) -m "not slow"'
    assert recipe["test-slow"] == "$(PYTEST) -m slow"
    assert recipe["test-all"] == "$(PYTEST)"


def test_top_level_layout(repo_root):
    for name in ["notebooks", "neurobench", "dvc.yaml", "params.yaml", "environment.yml", "data",
                 "reports", "tests", "benchmarks", "pyproject.toml", "README.md", "Makefile", ".dvc"]:
        assert (repo_root / name).exists(), name
