"""Gated-synapse simulator throughput: device-pulse updates per second (target: 10^6 in < 1 s).

Run: ``python benchmarks/devices.py``. Prints a table of (devices, pulses, updates, seconds,
updates per second) for the vectorised ``neurobench.devices.simulate`` on one thread.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from neurobench.devices import GatedSynapseParams, pulse_train, simulate, vary

SHAPES = [(100, 10_000), (1_000, 1_000), (10_000, 100), (100_000, 10)]


def run(shapes=SHAPES, repeats: int = 3) -> pd.DataFrame:
    """Best of ``repeats`` wall times of ``pulses`` set/reset pulses on ``devices`` devices."""
    rows = []
    for n_dev, n_pulses in shapes:
        dev = vary(GatedSynapseParams(tau_decay=1e4), n_dev, 0.1, np.random.default_rng(0))
        v, d = pulse_train(n_pulses // 2, 1.0, 2.0)
        v = np.concatenate([v, -v])
        d = np.concatenate([d, d])
        best = min(_time(dev, v, d) for _ in range(repeats))
        updates = n_dev * len(d)
        rows.append({"devices": n_dev, "pulses": len(d), "updates": updates, "seconds": best,
                     "updates/s": updates / best, "10^6 in < 1 s": best * 1e6 / updates < 1.0})
    return pd.DataFrame(rows)


def _time(dev, v, d) -> float:
    t0 = time.perf_counter()
    simulate(dev, 0.0, v, d, record=False)
    return time.perf_counter() - t0


if __name__ == "__main__":
    print(run().to_string(index=False))
