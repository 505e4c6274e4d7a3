"""Asynchronous execution: event-driven sparse path vs the dense batched path, and training speed.

    .venv/bin/python benchmarks/async.py           # full run (a few minutes)
    .venv/bin/python benchmarks/async.py --quick   # tiny sizes, checks the script works

Same network, inputs and seed for every path: ``neurobench.sim.asynchronous.simulate_async``
(gathers the CSR rows of the emitted spikes only) against ``neurobench.sim.async_torch`` under
``torch.no_grad`` in float64, (i) as used for training (dense layer pass only for layers with an
emitted spike; sorts only the pending entries) and (ii) with ``full_pass=True``, asynctorch's
cost structure (scheduling keys for all N neurons and a full sort per sample, and one full dense
pass of every layer per forward step on the mostly-zero vector of emitted spikes). Inference with random
scheduling, prioritised input, refractory within a frame, F = 8. Cases: (a) asynctorch's
N-MNIST FC architecture 2312-64-64-64-10, (b) a wider 1024-512-512-10 network; IF neurons with
reset to zero, random normal weights with a positive mean so that every layer fires, Bernoulli
input events. "syn. events" counts delivered synaptic events (one per emitted spike and
synapse); "identical" compares per-frame spike counts of every layer and forward steps.

Training: unlayered backprop (``neurobench.training.train_async``, F = 8, random scheduling) and
the layer-synchronized snnTorch baseline on the embedded digits through the saccade event
encoding (288 inputs, 10 frames of 3 ms), one epoch each, samples per second. torch runs on one
thread (the trainers' determinism setting). Timings on a shared machine vary: best of repeats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from harness import arg_parser, best_of, machine, mark_identical, memory_line, print_table, progress

from neurobench.data import load_dataset, saccade_sensor_size, saccades, train_test_split
from neurobench.data.frames import frames_from_events
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim.async_torch import AsyncTorchNet, run_async_torch
from neurobench.sim.asynchronous import AsyncConfig, AsyncGraph, simulate_async
from neurobench.training import TrainConfig, train_async, train_sync


@dataclass(frozen=True)
class Case:
    name: str
    sizes: tuple[int, ...]
    batch: int
    frames: int
    input_rate: float  # event probability per input neuron and frame
    weight_mean: float  # mean weight times fan-in (mV)
    weight_std: float  # std of weight times sqrt(fan-in) (mV)


FULL = [
    Case("a: FC 2312-64-64-64-10", (2312, 64, 64, 64, 10), batch=128, frames=10, input_rate=0.03, weight_mean=5.0, weight_std=2.0),
    Case("b: FC 1024-512-512-10", (1024, 512, 512, 10), batch=64, frames=10, input_rate=0.05, weight_mean=5.0, weight_std=2.0),
]
QUICK = [
    Case("a: FC 2312-64-64-64-10", (2312, 64, 64, 64, 10), batch=8, frames=3, input_rate=0.03, weight_mean=5.0, weight_std=2.0),
    Case("b: FC 1024-512-512-10", (1024, 512, 512, 10), batch=4, frames=3, input_rate=0.05, weight_mean=5.0, weight_std=2.0),
]


def build(case: Case, seed: int = 0) -> tuple[Network, np.ndarray]:
    rng = np.random.default_rng(seed)
    layers = [
        Dense(rng.normal(case.weight_mean / n_in, case.weight_std / np.sqrt(n_in), (n_out, n_in)))
        for n_in, n_out in zip(case.sizes[:-1], case.sizes[1:])
    ]
    net = Network((case.sizes[0],), tuple(layers), NeuronParams(model="if", v_th=1.0, reset="zero"))
    x = rng.random((case.batch, case.frames, case.sizes[0])) < case.input_rate
    return net, x


def identical(a, b) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(a.frame_counts, b.frame_counts)) and np.array_equal(
        a.forward_steps, b.forward_steps)


def inference_rows(cases, forward_group, repeats):
    rows = []
    cfg = AsyncConfig(forward_group=forward_group)
    for case in cases:
        net, x = build(case)
        graph = AsyncGraph.build(net, cfg.frame_dt)
        model = AsyncTorchNet.from_network(net, dtype=torch.float64)
        event = best_of(lambda: simulate_async(graph, x, cfg, "random", seed=0, record_frames=True), repeats)
        ev = event.result
        runs = {"event-driven (numpy, CSR rows)": (ev, event.seconds)}
        with torch.no_grad():
            for label, full in (("batched torch (skips idle layers)", False),
                                ("dense batched, asynctorch-style", True)):
                dense = best_of(lambda: run_async_torch(model, x, cfg, "random", seed=0, record_frames=True,
                                                        full_pass=full).record, 1)
                runs[label] = (dense.result, dense.seconds)
        events = int(ev.synops.sum())
        steps = int(ev.forward_steps.sum(axis=1).max())
        t_dense = runs["dense batched, asynctorch-style"][1]
        for label, (rec, t) in runs.items():
            rows.append({
                "case": case.name, "path": label, "F": forward_group, "batch": case.batch, "frames": case.frames,
                "forward steps": steps, "s": t, "syn. events": events, "events/s": events / t,
                "spikes/sample": " / ".join(f"{c.sum(axis=1).mean():.0f}" for c in rec.spike_count),
                "dense s / s": t_dense / t, "_output": rec,
            })
        progress(f"{case.name}: " + ", ".join(f"{k} {v[1]:.2f} s" for k, v in runs.items()))
    return mark_identical(rows, identical)


def training_rows(quick: bool):
    ds = load_dataset("digits", root="data/raw", kind="static")
    n = 128 if quick else len(ds.y)
    ev = saccades(ds.x[:n], n_steps=30, dt=1.0, amplitude=1.5, contrast_threshold=0.15, seed=2)
    fr = frames_from_events(ev, saccade_sensor_size(ds.x.shape, 1.5), window=3.0, duration=30.0)
    x = fr.reshape(n, fr.shape[1], -1)
    train, _ = train_test_split(ds.y[:n], 0.25, 0)
    neurons = NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=20.0)
    cfg = TrainConfig(hidden=(64,), epochs=1, batch_size=64, input_dropout=0.25, refractory_dropout=0.8)
    rows = []
    res = train_async(x[train], ds.y[:n][train], neurons, cfg, AsyncConfig(forward_group=8, frame_dt=3.0))
    rows.append({"trainer": "unlayered backprop (async, F=8, random)", "samples": len(train),
                 "samples/s": res.samples_per_s})
    res = train_async(x[train], ds.y[:n][train], neurons, TrainConfig(**{**cfg.__dict__, "truncate": True}),
                      AsyncConfig(forward_group=8, frame_dt=3.0))
    rows.append({"trainer": "unlayered backprop, truncated per frame", "samples": len(train),
                 "samples/s": res.samples_per_s})
    res = train_sync(x[train], ds.y[:n][train], neurons, cfg, frame_dt=3.0)
    rows.append({"trainer": "layer-synchronized snnTorch (BPTT)", "samples": len(train), "samples/s": res.samples_per_s})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = arg_parser(__doc__)
    parser.add_argument("--forward-group", type=int, default=8, help="F, spikes emitted per forward step")
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    torch.set_num_threads(1)
    print(f"# Asynchronous execution benchmark ({'quick' if args.quick else 'full'}): "
          f"{machine('numpy', 'torch', cpus_used='one used')}")
    rows = inference_rows(QUICK if args.quick else FULL, args.forward_group, repeats)
    print()
    print_table(rows, floatfmt=".3g")
    print()
    for case in dict.fromkeys(r["case"] for r in rows):
        by = {r["path"]: r for r in rows if r["case"] == case}
        ev = by["event-driven (numpy, CSR rows)"]
        torch_row = by["batched torch (skips idle layers)"]
        print(f"{case}: event path {ev['dense s / s']:.1f}x faster than the asynctorch-style dense path "
              f"(target >= 10x), {ev['dense s / s'] / torch_row['dense s / s']:.1f}x faster than our batched torch "
              f"path; {ev['events/s']:.3g} synaptic events/s (target >= 1e7); identical spikes: "
              f"{'yes' if all(r['identical'] != 'NO' for r in by.values()) else 'NO'}")
    print()
    print_table(training_rows(args.quick), floatfmt=".4g")
    print()
    print(memory_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
