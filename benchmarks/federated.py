"""Federated GLM SNNs in-process: local training steps per second per device and one federated
round's wall time, for K = 2, 8, 32 devices.

    .venv/bin/python benchmarks/federated.py           # full run (about half a minute)
    .venv/bin/python benchmarks/federated.py --quick   # K = 2 only, checks the script works

Network of the ``federated`` stage's defaults (64 inputs, 8 hidden, 2 outputs, K_a = 8 filters of
10 steps), Poisson input frames of 20 steps, ``delta_s = 10``, ``tau = 1`` (one round = 10 local
steps of every device, then the server mean and broadcast), numpy on the threads it is given
(set ``OMP_NUM_THREADS``). The devices step in lockstep, vectorised over the device axis, so
steps/s per device grows with K until the arrays outgrow the cache. The Flower adapter is not
built yet, so its overhead per round is not measured.
"""

from __future__ import annotations

import sys
import time

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


def main() -> None:
    ks = [2] if "--quick" in sys.argv else [2, 8, 32]
    print(f"{'K':>4} {'steps/s/device':>15} {'round (ms)':>11} {'rounds':>7} {'total (s)':>10}")
    for k in ks:
        r = bench(k)
        print(f"{r['K']:>4} {r['local steps/s per device']:>15.0f} {r['round wall (ms)']:>11.2f} {r['rounds']:>7} "
              f"{r['total (s)']:>10.2f}")


if __name__ == "__main__":
    main()
