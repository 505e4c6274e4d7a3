"""Clock simulator vs Brian2 (numpy and cython targets) on the same networks and inputs.

    .venv/bin/python benchmarks/simulator.py           # full run (a few minutes)
    .venv/bin/python benchmarks/simulator.py --quick   # tiny sizes, checks the script works

Cases: (a) Dense 64-256-256-10, (b) Dense 784-500-500-10, IF neurons with subtract reset and
delta synapses, T = 200 steps of 1 ms, Bernoulli (Poisson-like) input spikes. Weights are
random normal with a small positive mean, chosen so that every layer fires at a moderate rate.
Brian2 holds the whole batch in one network (batch x synapses of one sample), which bounds
case (b)'s batch. Every backend gets one untimed warm-up run on a 2-sample, 5-step slice of the
same network (it compiles the cython code objects: their time is reported separately), then
the best of ``--repeats`` timed runs is reported. "identical" compares per-neuron spike counts
and first-spike steps of every layer with the clock simulator's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from harness import arg_parser, best_of, machine, mark_identical, memory_line, print_table, progress

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian
from neurobench.sim.record import SimRecord


@dataclass(frozen=True)
class Case:
    name: str
    sizes: tuple[int, ...]
    batch: int
    steps: int
    input_rate: float  # spike probability per input neuron and step
    weight_mean: float  # mean weight times fan-in (mV)


FULL = [
    Case("a: dense 64-256-256-10", (64, 256, 256, 10), batch=256, steps=200, input_rate=0.2, weight_mean=0.5),
    Case("b: dense 784-500-500-10", (784, 500, 500, 10), batch=32, steps=200, input_rate=0.1, weight_mean=0.5),
]
QUICK = [
    Case("a: dense 64-256-256-10", (64, 256, 256, 10), batch=8, steps=40, input_rate=0.2, weight_mean=0.5),
    Case("b: dense 784-500-500-10", (784, 500, 500, 10), batch=2, steps=40, input_rate=0.1, weight_mean=0.5),
]


def build(case: Case, seed: int = 0) -> tuple[Network, np.ndarray]:
    rng = np.random.default_rng(seed)
    layers = [
        Dense(rng.normal(case.weight_mean / n_in, 1.0 / np.sqrt(n_in), (n_out, n_in)))
        for n_in, n_out in zip(case.sizes[:-1], case.sizes[1:])
    ]
    net = Network((case.sizes[0],), layers, NeuronParams(model="if", v_th=1.0, reset="subtract"))
    x = rng.random((case.batch, case.steps, case.sizes[0])) < case.input_rate
    return net, x


def identical(a: SimRecord, b: SimRecord) -> bool:
    return all(
        np.array_equal(la.spike_count, lb.spike_count) and np.array_equal(la.first_spike_step, lb.first_spike_step)
        for la, lb in zip(a.layers, b.layers)
    )


def run_backend(backend: str, net: Network, x: np.ndarray, repeats: int) -> tuple[SimRecord, dict]:
    """Warm up on a small slice, then the best of ``repeats`` timed runs."""

    def run(inputs: np.ndarray) -> tuple[SimRecord, dict]:
        timings: dict = {}
        if backend == "clock":
            return simulate(net, inputs), timings
        return simulate_brian(net, inputs, target=backend.split()[1], timings=timings), timings

    best = best_of(lambda: run(x), repeats, warmup=lambda: run(x[:2, :5]))
    rec, timings = best.result
    return rec, {**timings, "total": best.seconds, "warmup": best.warmup}


def main(argv: list[str] | None = None) -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--backends", nargs="+", default=["clock", "brian2 numpy", "brian2 cython"],
                        choices=["clock", "brian2 numpy", "brian2 cython"])
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"# Simulator benchmark ({'quick' if args.quick else 'full'}): {machine('numpy', 'brian2')}")
    rows, speedups = [], []
    for case in cases:
        net, x = build(case)
        records, times = {}, {}
        for backend in args.backends:
            records[backend], times[backend] = run_backend(backend, net, x, repeats)
            progress(f"{case.name}: {backend} done in {times[backend]['total']:.2f} s")
        for backend, rec in records.items():
            t = times[backend]
            events = int(rec.synops_per_layer().sum())
            rows.append({
                "case": case.name,
                "backend": backend,
                "batch": case.batch,
                "steps": case.steps,
                "build s": t.get("build", np.nan),
                "run s": t.get("run", np.nan),
                "total s": t["total"],
                "warm-up s": t["warmup"],
                "syn. events": events,
                "events/s": events / t["total"],
                "spikes/sample": " / ".join(f"{s:.0f}" for s in rec.spikes_per_layer().mean(axis=0)),
                "_output": rec,
            })
        brians = [b for b in times if b != "clock"]
        if "clock" in times and brians:
            fastest = min(brians, key=lambda b: times[b]["total"])
            speedups.append((case.name, fastest, times[fastest]["total"] / times["clock"]["total"],
                             times[fastest]["run"] / times["clock"]["total"]))
    rows = mark_identical(rows, identical, reference=lambda row: row["backend"] == "clock")
    print()
    print_table(rows, floatfmt=".3g")
    print()
    print("total s = build + run + reading the monitors back (Brian2); warm-up = the untimed first run on a "
          "2-sample, 5-step slice (cython: code generation and compilation, cached on disk afterwards)")
    print(memory_line())
    for name, fastest, total, run in speedups:
        print(f"speedup {name}: clock is {total:.1f}x faster than the fastest Brian2 target ({fastest}); "
              f"{run:.1f}x against its run phase alone")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
