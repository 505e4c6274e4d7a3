"""Time ``dvc repro`` from scratch and as a no-op, in a fresh clone of this repository.

    .venv/bin/python benchmarks/pipeline.py [--keep]
    .venv/bin/python benchmarks/pipeline.py --quick   # only the data stage, checks the script works

Clones the committed HEAD into a temporary folder (so nothing here is touched), then times:
``dvc repro`` with no outputs present (every stage runs: targets under 5 minutes on 2 cores),
and ``dvc repro`` again with nothing changed (target under 5 seconds). Uses this environment's
``.venv`` (its ``dvc`` and Jupyter kernel). Prints a table, and the peak memory of the largest
process that ran (a notebook kernel, usually).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import arg_parser, memory_line, print_table, timed

REPO = Path(__file__).resolve().parents[1]
TARGETS_S = {"from scratch": 300.0, "no-op": 5.0}


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall-clock seconds of one run of ``cmd`` (a rerun would not start from scratch)."""
    return timed(lambda: subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL))[1]


def main() -> int:
    parser = arg_parser(__doc__, repeats=False)
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    targets = ["data"] if args.quick else []
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    work = Path(tempfile.mkdtemp(prefix="neurobench-repro-"))
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(work / "repo")], check=True)
        repo = work / "repo"
        results = {
            "from scratch": run([str(bin_dir / "dvc"), "repro", *targets], repo, env),
            "no-op": run([str(bin_dir / "dvc"), "repro", *targets], repo, env),
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print_table([{"dvc repro": name, "wall time (s)": seconds, "target (s)": TARGETS_S[name],
                  "met": "yes" if seconds < TARGETS_S[name] else "no"} for name, seconds in results.items()],
                floatfmt=".1f")
    stages = "data" if args.quick else f"{', '.join(sorted(p.stem for p in (REPO / 'notebooks').glob('*.ipynb')))}, index"
    print(f"({os.cpu_count()} cores; stages: {stages})")
    print(memory_line(children=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
