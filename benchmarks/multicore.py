"""Wall time of the many-core chip model itself (``neurobench.hardware.multicore``).

    .venv/bin/python benchmarks/multicore.py           # full run (about a minute)
    .venv/bin/python benchmarks/multicore.py --quick   # tiny sizes, checks the script works

Workload: a Dense network 1000-3000-3000-3000 (1e4 neurons, each weight non-zero with
probability 0.1: about 2.1e6 synapses), synthetic Bernoulli spike trains (5 % per neuron and
step; the chip model replays recorded spikes, so the SNN simulation is not part of what is
timed), default ``CostModel``, double-buffered asynchronous cores. Partitions: contiguous blocks
per layer (few dependencies) and random (nearly all-to-all dependencies). Phases timed:
``core_load`` (per-core, per-step counts from the spikes and the connectivity),
``run_sync``, ``run_async`` (the per-step recurrence over cores) and ``deliveries`` (replay of
every spike packet). Best of ``--repeats`` runs. "events/s" = synaptic events modelled per
second of build + both schedules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from harness import arg_parser, best_of, machine, memory_line, print_table, progress

from neurobench.hardware import multicore_partition as mp
from neurobench.hardware.multicore import (
    CostModel,
    core_load,
    deliveries,
    run_async,
    run_sync,
)
from neurobench.hardware.workload import Workload
from neurobench.network import Dense, Network


@dataclass(frozen=True)
class Case:
    name: str
    sizes: tuple[int, ...]
    n_cores: int
    steps: int
    density: float = 0.1  # share of non-zero weights
    rate: float = 0.05  # spike probability per neuron and step


FULL = [
    Case("1e4 neurons, 100 cores, 200 steps", (1000, 3000, 3000, 3000), 100, 200),
    Case("1e4 neurons, 400 cores, 1000 steps", (1000, 3000, 3000, 3000), 400, 1000),
]
QUICK = [Case("1e3 neurons, 16 cores, 50 steps", (100, 300, 300, 300), 16, 50)]


def build(case: Case, seed: int = 0) -> tuple[Network, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    layers = []
    for n_in, n_out in zip(case.sizes[:-1], case.sizes[1:]):
        w = np.where(rng.random((n_out, n_in)) < case.density, rng.normal(size=(n_out, n_in)), 0.0)
        layers.append(Dense(w))
    net = Network((case.sizes[0],), layers)
    spikes = [rng.random((1, case.steps, n)) < case.rate for n in case.sizes]
    return net, spikes


def timed(fn, repeats: int):
    """(result, seconds) of the best of ``repeats`` runs."""
    best = best_of(fn, repeats)
    return best.result, best.seconds


def main(argv: list[str] | None = None) -> int:
    parser = arg_parser(__doc__)
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"# Many-core chip model benchmark ({'quick' if args.quick else 'full'}): "
          f"{machine('numpy', 'scipy')}")
    cost = CostModel()
    rows = []
    for case in cases:
        net, spikes = build(case)
        synapses = sum(len(net.connectivity(i)[0]) for i in range(len(net.layers)))
        for pname, part in [("contiguous", mp.contiguous(net.sizes, case.n_cores)),
                            ("random", mp.random(net.sizes, case.n_cores, seed=1))]:
            workload = Workload.from_network(net, spikes)
            wl, t_build = timed(lambda: core_load(workload, part, n_cores=case.n_cores), repeats)
            sync, t_sync = timed(lambda: run_sync(wl, cost), repeats)
            asy, t_async = timed(lambda: run_async(wl, cost, buffer_depth=2), repeats)
            got, t_deliv = timed(lambda: deliveries(wl, asy, keep_packets=False), 1)
            events = int(wl.events.sum())
            rows.append({
                "case": case.name, "partition": pname, "synapses": synapses,
                "dep. edges": int(wl.dep.sum()), "syn. events": events,
                "build s": t_build, "sync s": t_sync, "async s": t_async, "deliveries s": t_deliv,
                "events/s": events / (t_build + t_sync + t_async),
                "speedup": sync.makespan_ns / asy.makespan_ns,
                "energy ratio": sync.energy.total_pj / asy.energy.total_pj,
                "late packets": got.late,
            })
            progress(f"{case.name}, {pname}: done")
    print()
    print_table(rows, floatfmt=".3g")
    print()
    print("times are wall-clock seconds, best of the repeats (deliveries: one run); the machine may be shared")
    print(memory_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
