"""Time ``dvc repro`` from scratch and as a no-op, in a fresh clone of this repository.

    .venv/bin/python benchmarks/pipeline.py [--keep]

Clones the committed HEAD into a temporary folder (so nothing here is touched), then times:
``dvc repro`` with no outputs present (every stage runs: targets under 5 minutes on 2 cores),
and ``dvc repro`` again with nothing changed (target under 5 seconds). Uses this environment's
``.venv`` (its ``dvc`` and Jupyter kernel). Prints a table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGETS_S = {"from scratch": 300.0, "no-op": 5.0}


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary clone")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DVC_NO_ANALYTICS": "1"}
    work = Path(tempfile.mkdtemp(prefix="neurobench-repro-"))
    try:
        subprocess.run(["git", "clone", "-q", str(REPO), str(work / "repo")], check=True)
        repo = work / "repo"
        results = {
            "from scratch": timed([str(bin_dir / "dvc"), "repro"], repo, env),
            "no-op": timed([str(bin_dir / "dvc"), "repro"], repo, env),
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"| dvc repro | wall time (s) | target (s) | met |\n|---|---:|---:|---|")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.1f} | {TARGETS_S[name]:.0f} | {'yes' if seconds < TARGETS_S[name] else 'no'} |")
    print(f"({os.cpu_count()} cores; stages: {', '.join(sorted(p.stem for p in (REPO / 'notebooks').glob('*.ipynb')))}, index)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
