"""Unlayered (asynchronous) training speed: this checkout against a reference revision, same weights.

    .venv/bin/python benchmarks/async_training.py                  # 3 interleaved repetitions (~4 min)
    .venv/bin/python benchmarks/async_training.py --quick          # tiny sizes, checks the script works
    .venv/bin/python benchmarks/async_training.py --reference REV  # "before" = git revision REV

The ``async_authors`` stage spends almost all its time training (issue 15): per replicate and
task one layer-synchronized snnTorch model (``train_sync``) and two unlayered-backprop models
(``train_async``, random and momentum scheduling). This script trains the three on the saccade
digits task of replicate 0 exactly as that stage does (its data, threshold, network
288-64-64-64-10, batch 256, F = 8, input dropout 0.25, refractory dropout 0.8, atan surrogate,
Adam lr 1e-3), on the first ``--samples`` training samples for ``--epochs`` epochs.

Peers: "before" is the package at ``--reference`` (default: the commit before the speed-ups of
``neurobench.sim.async_torch``), extracted with ``git archive`` into a temporary folder; "after"
is this checkout. Every (peer, model) run is a fresh process with ``OMP_NUM_THREADS=1``; the
repetitions are interleaved (before, after, before, after, ...); each worker first trains one
untimed epoch on 16 samples (lazy imports, loading compiled code: paid once per process by the
stage too). The table shows the median samples/s of the repetitions (the trainers' own
``samples_per_s``: the timed training loop, not data loading or imports), the ratio
after/before, the same per second of the worker's CPU time (``time.process_time`` around the
training call: less sensitive than wall time to other processes on a shared machine), the peak
memory of the worker process and ``identical``: whether the final weights (sha256 of their
float32 bytes) equal the reference's.
The load average is printed with the table.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from harness import arg_parser, format_bytes, machine, mark_identical, print_table, progress

REFERENCE = "00b0db0"  # the last commit before the speed-ups of neurobench.sim.async_torch
MODELS = ("sync", "async-random", "async-momentum")
ROOT = Path(__file__).resolve().parent.parent


def worker(model: str, samples: int, epochs: int) -> dict:
    """Train ``model`` on the saccade task of the ``async_authors`` setting (replicate 0) and
    return samples/s, the sha256 of the final weights (float32 bytes) and peak memory."""
    from dataclasses import replace

    import numpy as np
    from harness import peak_rss_bytes

    import neurobench
    from neurobench.config import load_section
    from neurobench.experiments.async_authors.setting import authors_study
    from neurobench.experiments.asynchronous.stages import replicate_section
    from neurobench.experiments.asynchronous.tasks import SACCADE_TASK, load_study_data
    from neurobench.sim.events import AsyncConfig
    from neurobench.training import train_async, train_sync

    params = ROOT / "params.yaml"
    study = authors_study(load_section("asynchronous", params), load_section("async_authors", params))
    cfg = replicate_section(replace_root(study), 0)
    data = load_study_data(cfg)
    x, dt = data.tasks[SACCADE_TASK]
    idx = data.train_idx[:samples]
    tc = replace(cfg.training.train_config(), epochs=epochs)

    def train(samples, config):
        if model == "sync":
            return train_sync(x[samples], data.y[samples], cfg.neuron, replace(config, refractory_dropout=0.0), dt,
                              data.n_classes)
        acfg = AsyncConfig(forward_group=cfg.training.forward_group, prioritize_input=cfg.prioritize_input, frame_dt=dt)
        return train_async(x[samples], data.y[samples], cfg.neuron, config, acfg, model.removeprefix("async-"),
                           data.n_classes)

    train(idx[:16], replace(tc, epochs=1))  # warm-up, untimed: lazy imports, the numba cache (a stage pays it once)
    cpu = time.process_time()
    res = train(idx, tc)
    cpu = time.process_time() - cpu
    digest = hashlib.sha256()
    for layer in res.network.layers:
        digest.update(np.ascontiguousarray(layer.weight, dtype=np.float32).tobytes())
    return {"samples_per_s": res.samples_per_s, "samples_per_cpu_s": len(idx) * epochs / cpu, "sha256": digest.hexdigest(), "peak_rss": peak_rss_bytes(),
            "package": str(Path(neurobench.__file__).parent)}


def replace_root(study):
    """``study`` with its data root made absolute (the workers run from another folder)."""
    from neurobench.schema import replace

    return replace(study, root=str(ROOT / study.root))


def extract(reference: str, folder: Path) -> Path:
    """The ``neurobench`` package at git revision ``reference`` under ``folder``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", reference, "neurobench"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def run_worker(package_root: Path, model: str, samples: int, epochs: int) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(package_root)}
    out = subprocess.run([sys.executable, __file__, "--worker", model, "--samples", str(samples),
                          "--epochs", str(epochs)], env=env, cwd=package_root, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = arg_parser(__doc__, repeats=None)
    parser.add_argument("--reference", default=REFERENCE, help="git revision of the 'before' peer")
    parser.add_argument("--samples", type=int, default=None, help="training samples (default 512; quick 64)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs (default 2; quick 1)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)  # internal: one timed run
    args = parser.parse_args()
    samples = args.samples or (64 if args.quick else 512)
    epochs = args.epochs or (1 if args.quick else 2)
    if args.worker:
        print(json.dumps(worker(args.worker, samples, epochs)))
        return
    repeats = args.repeats or (1 if args.quick else 3)
    models = [m for m in args.models.split(",") if m]
    with tempfile.TemporaryDirectory() as tmp:
        peers = {"before": extract(args.reference, Path(tmp)), "after": ROOT}
        runs: dict[tuple[str, str], list[dict]] = {}
        for rep in range(repeats):
            for model in models:
                for peer, root in peers.items():
                    progress(f"repetition {rep + 1}/{repeats}: {model}, {peer}")
                    runs.setdefault((model, peer), []).append(run_worker(root, model, samples, epochs))
    load = os.getloadavg()
    rows = []
    for (model, peer), results in runs.items():
        rates = [r["samples_per_s"] for r in results]
        digests = {r["sha256"] for r in results}
        rows.append({"model": model, "peer": f"{peer} ({args.reference})" if peer == "before" else peer,
                     "samples/s (median)": statistics.median(rates), "min": min(rates), "max": max(rates),
                     "samples/CPU-s (median)": statistics.median(r["samples_per_cpu_s"] for r in results),
                     "peak memory": format_bytes(max(r["peak_rss"] for r in results)),
                     "_output": digests.pop() if len(digests) == 1 else "not reproducible"})
    rows = mark_identical(rows, lambda a, b: a == b and a != "not reproducible", group="model")
    for model in models:
        peer_rows = [r for r in rows if r["model"] == model]
        for r in peer_rows:
            r["speed-up"] = r["samples/s (median)"] / peer_rows[0]["samples/s (median)"]
            r["CPU speed-up"] = r["samples/CPU-s (median)"] / peer_rows[0]["samples/CPU-s (median)"]
    print(f"\n{machine('torch', 'numpy', 'snntorch', cpus_used='OMP_NUM_THREADS=1, one process at a time')}")
    print(f"saccade digits task of async_authors (replicate 0), {samples} training samples, {epochs} epoch(s), "
          f"{repeats} interleaved repetition(s); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n")
    print_table(rows, floatfmt=".4g", columns=["model", "peer", "samples/s (median)", "min", "max", "speed-up",
                                                   "samples/CPU-s (median)", "CPU speed-up", "peak memory", "identical"])


if __name__ == "__main__":
    main()
