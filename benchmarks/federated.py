"""Federated GLM SNNs in-process: local training steps per second per device and one federated
round's wall time, for K = 2, 8, 32 devices; and the Flower deployment's overhead per round.

    .venv/bin/python benchmarks/federated.py           # full run (about a minute)
    .venv/bin/python benchmarks/federated.py --quick   # K = 2 in-process only, checks the script works

Network of the ``federated`` stage's defaults (64 inputs, 8 hidden, 2 outputs, K_a = 8 filters of
10 steps), Poisson input frames of 20 steps, ``delta_s = 10``, ``tau = 1`` (one round = 10 local
steps of every device, then the server mean and broadcast), numpy on the threads it is given
(set ``OMP_NUM_THREADS``). The devices step in lockstep, vectorised over the device axis, so
steps/s per device grows with K until the arrays outgrow the cache.

Flower: the ``federated`` stage's two-class study at its default network (``fl.tau = 1``,
``samples_per_device = 10``: 20 rounds) as a deployment on 127.0.0.1 (``python -m
neurobench.experiments.federated.deploy``: a server and two client processes, gRPC) against the
same study in-process. A Flower round's wall time is the server's, from sending the instructions
to the aggregate (both clients' local steps, serialisation, two gRPC round trips); the median
over rounds 2.. (round 1 also waits for the clients to start and load their data). Overhead per
round = Flower round - in-process round (the in-process devices step vectorised in one process,
the Flower clients in parallel, one process each).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from neurobench.federated.fl import FLParams, run_federated, split_devices
from neurobench.federated.glm_snn import GLMParams, RuleParams


def bench(k: int, samples: int = 10, steps: int = 20) -> dict:
    rng = np.random.default_rng(0)
    n = 40 * k
    x = (rng.random((n, steps, 64)) < 0.2).astype(np.uint8)
    y = np.arange(n) % 2
    idx = split_devices(y, k, "iid", 0)
    fl = FLParams(n_devices=k, split="iid", samples_per_device=samples, n_evals=1)
    t0 = time.perf_counter()
    res = run_federated(x, y, idx, x[:8], y[:8], 2, GLMParams(n_hidden=8), RuleParams(), fl, "federated", 1, 2, 3)
    wall = time.perf_counter() - t0
    local_steps = samples * steps
    return {"K": k, "local steps/s per device": local_steps / wall, "rounds": res.rounds,
            "round wall (ms)": 1e3 * wall / res.rounds, "total (s)": wall}


def flower_overhead(samples: int = 10) -> dict:
    """The two-class study (stage defaults, ``samples`` per device, tau = 1) in-process and as a
    Flower deployment on 127.0.0.1: round wall times (ms), overhead per round, and whether the
    two accuracy curves are identical."""
    from neurobench.experiments.federated.params import FederatedSection
    from neurobench.experiments.federated.stages import _run, load_digits_spikes, replicate_section

    cfg = replicate_section(FederatedSection(fl={"samples_per_device": samples, "n_evals": 2, "tau": 1},
                                             ten_class=False), 0)  # what the deploy server runs
    data = load_digits_spikes(cfg, cfg.classes)
    t0 = time.perf_counter()
    ref = _run(data, cfg, cfg.fl, "federated")
    inproc = (time.perf_counter() - t0) / ref.rounds
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
        s.close()
        params, out = Path(tmp) / "params.yaml", Path(tmp) / "result.json"
        params.write_text(f"federated:\n  fl: {{samples_per_device: {samples}, n_evals: 2, tau: 1}}\n"
                          "  ten_class: false\n")
        cmd = [sys.executable, "-m", "neurobench.experiments.federated.deploy"]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        procs = [subprocess.Popen(cmd + ["server", "--address", address, "--params", str(params), "--out", str(out)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        procs += [subprocess.Popen(cmd + ["client", "--server", address, "--device", str(d), "--connect-timeout", "60"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for d in (0, 1)]
        try:
            for p in procs:
                p.wait(timeout=300)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
        got = json.loads(out.read_text())
    walls = got["round_wall_s"][1:]
    flower = float(np.median(walls))
    return {"rounds": ref.rounds, "in-process round (ms)": 1e3 * inproc, "Flower round (ms)": 1e3 * flower,
            "overhead (ms)": 1e3 * (flower - inproc), "Flower round 1 (s)": got["round_wall_s"][0],
            "same curve": got["accuracy"] == ref.accuracy}


def main() -> None:
    quick = "--quick" in sys.argv
    ks = [2] if quick else [2, 8, 32]
    print(f"{'K':>4} {'steps/s/device':>15} {'round (ms)':>11} {'rounds':>7} {'total (s)':>10}")
    for k in ks:
        r = bench(k)
        print(f"{r['K']:>4} {r['local steps/s per device']:>15.0f} {r['round wall (ms)']:>11.2f} {r['rounds']:>7} "
              f"{r['total (s)']:>10.2f}")
    if not quick:
        f = flower_overhead()
        print("\nFlower deployment (K = 2, 127.0.0.1) vs in-process, per round:")
        print(f"{'rounds':>7} {'in-process (ms)':>16} {'Flower (ms)':>12} {'overhead (ms)':>14} {'round 1 (s)':>12} "
              f"{'same curve':>11}")
        print(f"{f['rounds']:>7} {f['in-process round (ms)']:>16.2f} {f['Flower round (ms)']:>12.2f} "
              f"{f['overhead (ms)']:>14.2f} {f['Flower round 1 (s)']:>12.2f} {str(f['same curve']):>11}")


if __name__ == "__main__":
    main()
