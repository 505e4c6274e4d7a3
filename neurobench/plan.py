"""Which stages ``dvc repro`` would run, and why: a dry run that also works in a fresh clone.

``dvc repro --dry`` hashes the dependencies of every stage it would run, so in a fresh clone it
stops at the first stage that depends on another stage's output (the ``endurance`` stage maps
the networks the ``conversion`` and ``async`` stages build): "No such file or directory"
(DVC issues #9021, #9818). ``python -m neurobench.plan`` asks ``dvc status`` which stages are
out of date and adds every stage downstream of them, in ``dvc.yaml`` order::

    $ python -m neurobench.plan
    data        would run: changed deps (neurobench/report.py), outputs not in cache
    simulator   would run: changed deps (notebooks/simulator.ipynb, ...)
    endurance   would run: after conversion, async
    index       would run: after data, simulator, ...
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["downstream_plan", "main", "stage_graph", "status_reasons"]


def _resolved_stages(dvc_yaml: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each stage of ``dvc_yaml`` as DVC resolves it (``foreach`` instances such as
    ``deploy_candidate@pcm_analog``, ``${...}`` paths filled from ``params.yaml``), in file order:
    name -> (deps, outputs incl. metrics and plots), paths relative to the file's folder."""
    from dvc.repo import Repo

    root = dvc_yaml.resolve().parent
    with Repo(str(root)) as repo:
        stages = [s for s in repo.index.stages if Path(s.path).resolve() == dvc_yaml.resolve()]

        def rel(items) -> list[str]:
            return [Path(i.fs_path).relative_to(root).as_posix() for i in items]

        return {s.name: ([d for d in rel(s.deps) if not d.endswith("params.yaml")], rel(s.outs)) for s in stages}


def stage_graph(dvc_yaml: str | Path = "dvc.yaml") -> dict[str, list[str]]:
    """Each stage of ``dvc_yaml`` (in file order, ``foreach`` instances by their DVC names) with
    the stages whose outputs it depends on (a dependency equal to, inside, or holding another
    stage's output, metrics or plots file)."""
    stages = _resolved_stages(Path(dvc_yaml))

    def made_by(dep: str) -> list[str]:
        d = dep.rstrip("/")
        return [name for name, (_, outs) in stages.items()
                if any(d == out or d.startswith(out + "/") or out.startswith(d + "/") for out in outs)]

    order = list(stages)
    return {name: sorted({up for dep in deps for up in made_by(dep) if up != name}, key=order.index)
            for name, (deps, _) in stages.items()}


def status_reasons(status: dict[str, Any]) -> dict[str, str]:
    """One line per out-of-date stage from ``dvc status --json``: which deps and params changed,
    and whether its outputs are missing."""
    reasons = {}
    for name, entries in status.items():
        if ":" in name:  # "dvc.yaml:stage" when DVC names the file
            name = name.split(":", 1)[1]
        parts = []
        for entry in entries:
            if isinstance(entry, str):
                parts.append(entry)
                continue
            deps = entry.get("changed deps", {})
            if deps:
                names = list(deps)
                parts.append("changed deps (" + ", ".join(names[:3]) + (", ..." if len(names) > 3 else "") + ")")
            outs = entry.get("changed outs", {})
            if outs:
                kinds = sorted(set(outs.values()))
                parts.append("outputs " + ", ".join(kinds))
        reasons[name] = "; ".join(parts) or "changed"
    return reasons


def downstream_plan(graph: dict[str, list[str]], reasons: dict[str, str]) -> dict[str, str]:
    """The stages that would run, in ``graph`` order: those with a reason, and every stage that
    depends on one that runs ("after ...")."""
    plan: dict[str, str] = {}
    for name, ups in graph.items():
        after = [up for up in ups if up in plan]
        if name in reasons:
            plan[name] = reasons[name] + (f"; after {', '.join(after)}" if after else "")
        elif after:
            plan[name] = f"after {', '.join(after)}"
    return plan


def main(argv: list[str] | None = None) -> int:
    """Print the plan; exit 0 (also when everything is up to date), 1 when ``dvc status`` fails."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m neurobench.plan", description=__doc__.splitlines()[0])
    parser.add_argument("--dvc-yaml", default="dvc.yaml")
    args = parser.parse_args(argv)
    dvc = shutil.which("dvc") or str(Path(sys.executable).with_name("dvc"))
    result = subprocess.run([dvc, "status", "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"error: dvc status failed: {result.stderr.strip()}", file=sys.stderr)
        return 1
    status = json.loads(result.stdout or "{}")
    plan = downstream_plan(stage_graph(args.dvc_yaml), status_reasons(status))
    if not plan:
        print("every stage is up to date")
    width = max((len(n) for n in plan), default=0)
    for name, why in plan.items():
        print(f"{name:<{width}}  would run: {why}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
