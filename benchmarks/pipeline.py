"""Time ``dvc repro`` from scratch, stage by stage against each stage's budget, and as a no-op.

    .venv/bin/python benchmarks/pipeline.py [--keep]
    .venv/bin/python benchmarks/pipeline.py --quick          # only the data stage: checks the script
    .venv/bin/python benchmarks/pipeline.py --from-reports reports   # no run: the last repro's notebooks
    .venv/bin/python benchmarks/pipeline.py --stages data,simulator,multicore,conversion,async,endurance \
        --params benchmarks/one_replicate.yaml   # the first papers' stages at another workload

Clones the committed HEAD into a temporary folder (so nothing here is touched), then runs every
stage once from scratch, in ``dvc.yaml`` order (``dvc repro --single-item STAGE``: the same work
as one ``dvc repro``, plus about a second of dvc start-up per stage), and ``dvc repro`` again
with nothing changed. Uses this environment's ``.venv`` (its ``dvc`` and Jupyter kernel). Prints
one row per stage with its budget (``STAGE_BUDGETS_S``), the total, the no-op, and the peak
memory of the largest process that ran (a notebook kernel, usually).

``--stages`` runs only the stages named (in ``dvc.yaml`` order; each one's upstream stages must
be among them) and ``--params FILE`` merges a YAML file of sections into the clone's
``params.yaml`` first (a mapping merges key by key, anything else replaces), so a workload other
than the defaults can be timed: ``benchmarks/one_replicate.yaml`` is the first four papers' stages
at one replicate, with the conversion study of before the three-seed claims.

``--from-reports DIR`` runs nothing: it reads each notebook stage's execution time from the
papermill metadata of ``DIR/<stage>/notebook.ipynb`` (what ``make reproduce`` left), so a budget
can be checked after any repro; stages without a notebook (the deploy candidates, the index) are
shown as not recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import arg_parser, memory_line, print_table, timed

REPO = Path(__file__).resolve().parents[1]

STAGE_BUDGETS_S = {
    "data": 35.0,
    "simulator": 95.0,  # a fresh machine compiles Brian2's cython code first (below)
    "multicore": 75.0,
    "conversion": 580.0,
    "async": 215.0,
    "async_authors": 495.0,
    "endurance": 135.0,
    "src": 160.0,
    "delays": 90.0,
    "devices": 65.0,
    "federated": 60.0,
    "wireless": 100.0,
    "analog": 75.0,
    "interop": 65.0,
    "deploy_candidate": 65.0,
    "deploy": 55.0,
    "index": 25.0,
}
"""Wall-clock budget of each stage of ``make reproduce`` on 2 cores (s): what it took from scratch
in a fresh clone of ``60cd082`` (this script; docs/performance.md) times 1.3, plus 15 s for
starting dvc and the notebook's kernel (the data stage's notebook runs in 6 s, the stage in 15 s),
rounded up to 5 s. The simulator's is from ``make reproduce`` on a fresh machine (``2306b09``):
there Brian2 compiled its cython code first, 35.2 s of the notebook's 50.1 s (about 58 s with dvc
and the kernel; a few seconds once ``~/.cython/brian_extensions`` holds the code). A fresh clone
also compiles the numba kernels (the async stage's first evaluation in each pool worker took
13.6-14.6 s there, 1.0 s with the kernels cached). A ``foreach`` stage's budget holds for each of its instances (``deploy_candidate@<chip>``). A new
stage gets its budget here when it lands (``tests/test_pipeline_budgets.py`` fails otherwise)."""

NO_OP_BUDGET_S = 15.0
"""``dvc repro`` with nothing changed (s): 10-15 s with 21 stages, most of it dvc parsing
``params.yaml`` once per stage that reads it (ruamel.yaml, pure Python; 20 parses)."""


def budget(stage: str) -> float | None:
    """The budget of ``stage`` (a ``foreach`` instance ``name@key`` has its stage's), or None."""
    return STAGE_BUDGETS_S.get(stage.partition("@")[0])


def notebook_seconds(reports: Path, stage: str) -> float | None:
    """Seconds papermill recorded for ``reports/<stage>/notebook.ipynb``, None if there is none."""
    path = reports / stage / "notebook.ipynb"
    if not path.is_file():
        return None
    return json.loads(path.read_text()).get("metadata", {}).get("papermill", {}).get("duration")


def merge_params(params: dict, changes: dict) -> dict:
    """``params`` with ``changes`` merged in: a mapping merges key by key (recursively), any
    other value replaces. Raises ``KeyError`` naming a key of ``changes`` that ``params`` lacks,
    so a misspelt knob cannot silently time the defaults."""
    out = dict(params)
    for key, value in changes.items():
        if key not in out:
            raise KeyError(f"--params: {key!r} is not a key of params.yaml here (known: {sorted(out)})")
        out[key] = merge_params(out[key], value) if isinstance(value, dict) and isinstance(out[key], dict) else value
    return out


def stage_rows(seconds: dict[str, float | None]) -> list[dict]:
    """One table row per stage, then the total of the stages measured."""
    rows = []
    for stage, s in seconds.items():
        b = budget(stage)
        met = "not recorded" if s is None else "no budget" if b is None else "yes" if s <= b else "NO"
        rows.append({"stage": stage, "wall time (s)": s, "budget (s)": b, "within": met})
    measured = {k: v for k, v in seconds.items() if v is not None}
    total_budget = sum(budget(k) or 0.0 for k in measured)
    rows.append({"stage": f"total ({len(measured)} stages)", "wall time (s)": sum(measured.values()),
                 "budget (s)": total_budget, "within": "yes" if sum(measured.values()) <= total_budget else "NO"})
    return rows


def main() -> int:
    parser = arg_parser(__doc__, repeats=False)
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    parser.add_argument("--from-reports", type=Path, metavar="DIR",
                        help="run nothing: read the stage times of the notebooks in DIR (e.g. reports)")
    parser.add_argument("--stages", metavar="A,B,...",
                        help="run only these stages (dvc.yaml order; their upstream stages must be listed)")
    parser.add_argument("--params", type=Path, metavar="FILE",
                        help="YAML sections merged into the clone's params.yaml before the run")
    args = parser.parse_args()
    import yaml

    from neurobench.plan import stage_graph

    if args.from_reports is not None:
        stages = list(stage_graph(REPO / "dvc.yaml"))
        print_table(stage_rows({s: notebook_seconds(args.from_reports, s) for s in stages}), floatfmt=".1f")
        print(f"(papermill's execution times in {args.from_reports}; kernel start-up and dvc not included)")
        return 0

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1",
           "PYTHONHASHSEED": "0"}  # as the Makefile's reproduce
    work = Path(tempfile.mkdtemp(prefix="neurobench-repro-"))
    dvc = str(bin_dir / "dvc")
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(work / "repo")], check=True)
        repo = work / "repo"
        stages = ["data"] if args.quick else list(stage_graph(repo / "dvc.yaml"))
        if args.stages:
            wanted = args.stages.split(",")
            unknown = sorted(set(wanted) - set(stages))
            if unknown:
                raise SystemExit(f"--stages: {unknown} are not stages of dvc.yaml (known: {stages})")
            stages = [s for s in stages if s in wanted]
        if args.params is not None:
            params_yaml = repo / "params.yaml"
            merged = merge_params(yaml.safe_load(params_yaml.read_text()), yaml.safe_load(args.params.read_text()))
            params_yaml.write_text(yaml.safe_dump(merged, sort_keys=False))
        seconds: dict[str, float | None] = {}
        for stage in stages:
            seconds[stage] = timed(lambda: subprocess.run([dvc, "repro", "--single-item", stage], cwd=repo, env=env,
                                                          check=True, stdout=subprocess.DEVNULL))[1]
            print(f"\n{stage}: {seconds[stage]:.1f} s", file=sys.stderr, flush=True)  # after dvc's bars
        targets = ["data"] if args.quick else stages if args.stages else []
        no_op = timed(lambda: subprocess.run([dvc, "repro", *targets], cwd=repo, env=env, check=True,
                                             stdout=subprocess.DEVNULL))[1]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table(stage_rows(seconds), floatfmt=".1f")
    print_table([{"dvc repro": "no-op", "wall time (s)": no_op, "budget (s)": NO_OP_BUDGET_S,
                  "within": "yes" if no_op <= NO_OP_BUDGET_S else "NO"}], floatfmt=".1f")
    print(f"({os.cpu_count()} cores)")
    print(memory_line(children=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
