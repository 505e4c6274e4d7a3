"""Clock simulator (float64, float32, numpy reference) vs plain torch loops, snnTorch and Brian2.

    .venv/bin/python benchmarks/simulator.py           # full run (a few minutes)
    .venv/bin/python benchmarks/simulator.py --quick   # tiny sizes, checks the script works

Cases: (a) Dense 64-256-256-10, (b) Dense 784-500-500-10, (c) Dense 1024-1024-1024-10 at 1 %
input rate (the low-activity case, without Brian2: its batch of wide synapse sets does not fit),
IF neurons with subtract reset and delta synapses, T = 200 steps of 1 ms, Bernoulli
(Poisson-like) input spikes. Weights are
random normal with a small positive mean, chosen so that every layer fires at a moderate rate.
Brian2 holds the whole batch in one network (batch x synapses of one sample), which bounds
case (b)'s batch. Every backend gets one untimed warm-up run on a 2-sample, 5-step slice of the
same network (it compiles the cython code objects: their time is reported separately), then
the best of ``--repeats`` timed runs is reported. "identical" compares per-neuron spike counts
and first-spike steps of every layer with the clock simulator's float64 default (the
reference row); "agreement" is the fraction of neurons (all layers and samples) whose spike count
equals the reference's. Peers:

* ``clock float64`` (default: compiled, event-driven), ``clock float32``, ``clock numpy`` (the
  numpy reference engine, whose synaptic step is a CSR product over every synapse: the dense cost);
* ``torch float64 loop`` / ``torch float32 loop``: the same dynamics as a plain torch loop, one
  BLAS product (``addmm_``) per layer and step, in-place updates;
* ``snntorch Leaky f32``: ``snntorch.Leaky(beta=1, threshold=1, reset_mechanism="subtract")``
  behind ``nn.Linear`` layers without bias, float32; snnTorch adds a layer's input and thresholds
  in the same step (a spike crosses every layer within one step, ours one layer per step) and
  spikes on ``v > v_th``, not ``>=``: its counts differ by design, its time is the comparison;
* ``brian2 numpy`` / ``brian2 cython``: the reference simulator (cases a and b).

Peak memory is what ``tracemalloc`` sees during one extra run of the peer (numpy and numba
buffers; torch's and Brian2's native allocations are invisible to it, so those cells are blank);
torch runs with ``OMP_NUM_THREADS`` threads (run the script with ``OMP_NUM_THREADS=1`` to compare
one core against one core, as ``docs/simulator.md`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from harness import (arg_parser, best_of, format_bytes, machine, mark_identical, memory_line, print_table, progress,
                     traced_peak)

from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian
from neurobench.sim.record import LayerRecord, SimRecord


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
LOW = Case("c: dense 1024-1024-1024-10, 1 % input", (1024, 1024, 1024, 10), batch=16, steps=200, input_rate=0.01,
           weight_mean=2.0)
QUICK = [
    Case("a: dense 64-256-256-10", (64, 256, 256, 10), batch=8, steps=40, input_rate=0.2, weight_mean=0.5),
    Case("b: dense 784-500-500-10", (784, 500, 500, 10), batch=2, steps=40, input_rate=0.1, weight_mean=0.5),
    Case("c: dense 1024-1024-1024-10, 1 % input", (1024, 1024, 1024, 10), batch=2, steps=40, input_rate=0.01,
         weight_mean=2.0),
]
FULL.append(LOW)
BRIAN_CASES = ("a", "b")
BACKENDS = ["clock float64", "clock float32", "clock numpy", "torch float64 loop", "torch float32 loop",
            "snntorch Leaky f32", "brian2 numpy", "brian2 cython"]


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


def agreement(a: SimRecord, b: SimRecord) -> float:
    """Fraction of neurons (every layer and sample) with the same spike count in ``a`` and ``b``."""
    same = np.concatenate([(la.spike_count == lb.spike_count).ravel() for la, lb in zip(a.layers, b.layers)])
    return float(same.mean())


def _torch_record(counts: list, first: list, x: np.ndarray, net: Network) -> SimRecord:
    input_counts = x.sum(axis=1).astype(np.int64)
    pre = [input_counts] + [c for c in counts[:-1]]
    layers = [LayerRecord(c, f, pre[i] @ net.fan_out(i)) for i, (c, f) in enumerate(zip(counts, first))]
    return SimRecord(layers, input_counts, 1.0, x.shape[1], "torch")


def torch_loop(net: Network, x: np.ndarray, dtype: torch.dtype) -> SimRecord:
    """The clock simulator's schedule for IF neurons with subtract reset and delta synapses as a
    plain torch loop: threshold every layer, then ``v += s_pre @ W.T`` (one BLAS product per
    layer and step), then subtract the threshold where a neuron spiked."""
    xs = torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2))).to(dtype)
    w = [torch.from_numpy(np.ascontiguousarray(layer.weight.T)).to(dtype) for layer in net.layers]
    v_th = [p.v_th for p in net.neurons]
    batch = x.shape[0]
    v = [torch.zeros(batch, wi.shape[1], dtype=dtype) for wi in w]
    counts = [torch.zeros(batch, wi.shape[1], dtype=torch.int64) for wi in w]
    first = [torch.full((batch, wi.shape[1]), -1, dtype=torch.int64) for wi in w]
    for t in range(x.shape[1]):
        spikes = [vi >= th for vi, th in zip(v, v_th)]
        for i, wi in enumerate(w):
            v[i].addmm_(xs[t] if i == 0 else spikes[i - 1].to(dtype), wi)
        for i, s in enumerate(spikes):
            v[i].sub_(s.to(dtype), alpha=v_th[i])
            counts[i].add_(s)
            first[i].masked_fill_(s & (first[i] < 0), t)
    return _torch_record([c.numpy() for c in counts], [f.numpy() for f in first], x, net)


def snntorch_net(net: Network, x: np.ndarray) -> SimRecord:
    """``nn.Linear`` (no bias) + ``snntorch.Leaky(beta=1, threshold=1, reset_mechanism="subtract")``
    per layer, float32, the usual snnTorch time loop."""
    import snntorch as snn

    linears, neurons = [], []
    for layer in net.layers:
        lin = torch.nn.Linear(layer.weight.shape[1], layer.weight.shape[0], bias=False)
        lin.weight.data = torch.from_numpy(layer.weight).float()
        linears.append(lin)
        neurons.append(snn.Leaky(beta=1.0, threshold=1.0, reset_mechanism="subtract"))
    xs = torch.from_numpy(np.ascontiguousarray(x.transpose(1, 0, 2))).float()
    batch = x.shape[0]
    with torch.no_grad():
        mems = [lif.init_leaky() for lif in neurons]
        counts = [torch.zeros(batch, layer.weight.shape[0], dtype=torch.int64) for layer in net.layers]
        first = [torch.full((batch, layer.weight.shape[0]), -1, dtype=torch.int64) for layer in net.layers]
        for t in range(x.shape[1]):
            s = xs[t]
            for i, (lin, lif) in enumerate(zip(linears, neurons)):
                s, mems[i] = lif(lin(s), mems[i])
                hit = s > 0
                counts[i].add_(hit)
                first[i].masked_fill_(hit & (first[i] < 0), t)
    return _torch_record([c.numpy() for c in counts], [f.numpy() for f in first], x, net)


def run_backend(backend: str, net: Network, x: np.ndarray, repeats: int) -> tuple[SimRecord, dict]:
    """Warm up on a small slice, then the best of ``repeats`` timed runs, then one traced run
    for the peak memory of numpy/numba buffers."""

    def run(inputs: np.ndarray) -> tuple[SimRecord, dict]:
        timings: dict = {}
        if backend.startswith("clock"):
            kind = backend.split()[1]
            options = {"engine": "numpy"} if kind == "numpy" else {"dtype": kind}
            return simulate(net, inputs, **options), timings
        if backend.startswith("torch"):
            return torch_loop(net, inputs, torch.float64 if "64" in backend else torch.float32), timings
        if backend.startswith("snntorch"):
            return snntorch_net(net, inputs), timings
        return simulate_brian(net, inputs, target=backend.split()[1], timings=timings), timings

    best = best_of(lambda: run(x), repeats, warmup=lambda: run(x[:2, :5]))
    rec, timings = best.result
    peak = traced_peak(lambda: run(x))[1] if backend.startswith("clock") else None
    return rec, {**timings, "total": best.seconds, "warmup": best.warmup, "peak": peak}


def main(argv: list[str] | None = None) -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--backends", nargs="+", default=BACKENDS, choices=BACKENDS)
    args = parser.parse_args(argv)
    cases = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    print(f"# Simulator benchmark ({'quick' if args.quick else 'full'}): "
          f"{machine('numpy', 'numba', 'torch', 'snntorch', 'brian2')}, torch threads {torch.get_num_threads()}")
    rows = []
    for case in cases:
        net, x = build(case)
        records, times = {}, {}
        for backend in args.backends:
            if backend.startswith("brian2") and case.name[0] not in BRIAN_CASES:
                continue
            records[backend], times[backend] = run_backend(backend, net, x, repeats)
            progress(f"{case.name}: {backend} done in {times[backend]['total']:.2f} s")
        ref_backend = "clock float64" if "clock float64" in records else next(iter(records))
        for backend, rec in records.items():
            t = times[backend]
            rows.append({
                "case": case.name,
                "backend": backend,
                "batch": case.batch,
                "total s": t["total"],
                "x clock f64": t["total"] / times[ref_backend]["total"],
                "warm-up s": t["warmup"],
                "peak (traced)": format_bytes(t["peak"]) if t["peak"] is not None else "",
                "syn. events/s": float(records[ref_backend].synops_per_layer().sum()) / t["total"],
                "spikes/sample": " / ".join(f"{s:.0f}" for s in rec.spikes_per_layer().mean(axis=0)),
                "agreement": agreement(records[ref_backend], rec),
                "_output": rec,
                "_ref": backend == ref_backend,
            })
    rows = mark_identical(rows, identical, reference=lambda row: row["_ref"])
    print()
    print_table(rows, floatfmt=".3g")
    print()
    print("total s: best of the timed runs (Brian2: build + run + reading the monitors back); x clock f64: "
          "total s / the clock float64 row's; warm-up: the untimed first run on a 2-sample, 5-step slice (numba "
          "and cython compile or load their caches); syn. events/s: the clock float64 run's synaptic events "
          "(presynaptic spikes times fan-out) per second of this peer; agreement: fraction of neurons with the "
          "reference's spike count")
    print(memory_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
