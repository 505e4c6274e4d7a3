"""The package's layering is a checked contract: `[tool.importlinter]` in pyproject.toml.

Import Linter reads every import statement of `neurobench` (function-local ones included) and
checks each contract there; this test fails naming every broken contract and the import chains
that break it. Run `.venv/bin/lint-imports` for the same report by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest


def lint_imports_command() -> list[str]:
    script = Path(sys.executable).with_name("lint-imports")
    if script.is_file():
        return [str(script)]
    found = shutil.which("lint-imports")
    if found:
        return [found]
    pytest.fail("lint-imports is not installed: it is pinned in pyproject.toml; run `make setup`")


def test_pyproject_declares_the_contracts(repo_root):
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_package"] == "neurobench"
    types = {c["type"] for c in config["contracts"]}
    assert "layers" in types


def test_every_package_directory_has_an_init(repo_root):
    """Import Linter does not see namespace packages: their imports would go unchecked."""
    package = repo_root / "neurobench"
    missing = sorted(
        d.relative_to(repo_root).as_posix() for d in [package, *package.rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and any(d.glob("**/*.py"))
        and not (d / "__init__.py").is_file()
    )
    assert not missing, f"add an __init__.py to: {', '.join(missing)}"


def test_import_contracts_are_kept(repo_root):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [*lint_imports_command(), "--no-cache", "--no-logo", str(repo_root / "pyproject.toml")],
        cwd=repo_root, env=env, capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0:
        report = result.stdout + result.stderr
        broken = re.findall(r"^(.+?) BROKEN$", report, flags=re.M)
        headline = ("broken contracts: " + "; ".join(broken)) if broken else "lint-imports failed"
        pytest.fail(f"{headline}\n\n{report.strip()}", pytrace=False)
