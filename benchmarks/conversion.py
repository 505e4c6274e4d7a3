"""Conversion solve times: per layer, in total, and the share spent outside HiGHS.

    .venv/bin/python benchmarks/conversion.py [--quick] [--workers N]

Cases: (a) the digits MLP 64-100-10 (trained here, deterministic), converted with all training
images as calibration; (b) a 784-300-100-10 MLP with random He weights on MNIST-shaped random
inputs in [0, 1] (no download needed), 1000 calibration samples. Analog constraints, ``l1``
objective (case b: the l1 time of a few 784-input neurons, extrapolated; the whole network with
``ls`` only with --full). Targets on 2 cores: (a) under 30 s, (b) under 3 minutes, time outside HiGHS under 10 %.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from harness import arg_parser, machine, memory_line, print_table, timed

from neurobench.ann import Ann
from neurobench.ann.train import load_data, train_ann
from neurobench.conversion import Analog, Converter
from neurobench.network import Dense


def random_mlp(sizes, seed: int) -> Ann:
    rng = np.random.default_rng(seed)
    layers = [Dense(rng.normal(0, np.sqrt(2 / a), (b, a)), rng.normal(0, 0.01, b)) for a, b in zip(sizes, sizes[1:])]
    return Ann((sizes[0],), layers, ("relu",) * (len(layers) - 1) + ("linear",))


def run(name: str, ann: Ann, x: np.ndarray, workers: int, objective: str = "l1") -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        conv = Converter(objective=objective, constraints=Analog(w_min=-8.0, w_max=8.0), n_steps=100, executor=pool)
        _, total = timed(lambda: conv.fit(ann, x))
    print(f"\n{name}, objective {objective}: {len(x)} calibration samples, {workers} worker processes")
    print_table([{"layer": r.index, "kind": r.kind, "neurons": r.n_neurons, "rows": r.n_rows,
                  "wall s": r.total_seconds, "HiGHS s (summed over workers)": r.solve_seconds,
                  "statuses": r.statuses} for r in conv.layer_reports_], floatfmt=".2f")
    solver = sum(r.solve_seconds for r in conv.layer_reports_) / workers
    print(f"total {total:.1f} s; HiGHS {solver:.1f} s of wall time (summed / workers); "
          f"outside HiGHS about {100 * max(total - solver, 0) / total:.0f} %")


def main() -> int:
    parser = arg_parser(__doc__, repeats=False)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--full", action="store_true", help="also convert the whole 784-300-100-10 MLP with ls (slow)")
    args = parser.parse_args()
    print(f"# Conversion benchmark ({'quick' if args.quick else 'full'}): {machine('numpy', 'scipy')}")
    x_train, y_train, _, _ = load_data("digits")
    mlp = train_ann("mlp", x_train, y_train)
    run("(a) digits MLP 64-100-10", mlp, x_train[:200] if args.quick else x_train, args.workers)
    sizes, n = ((784, 30, 10, 10), 100) if args.quick else ((784, 300, 100, 10), 1000)
    x = np.random.default_rng(1).random((n, sizes[0]))
    l1_wide_layer(random_mlp(sizes, 0), x, neurons=4 if args.quick else 6)
    if args.quick or args.full:
        run(f"(b) random MLP {'-'.join(map(str, sizes))}", random_mlp(sizes, 0), x, args.workers, objective="ls")
    print()
    print(memory_line(children=True))
    return 0


def l1_wide_layer(ann: Ann, x: np.ndarray, neurons: int) -> None:
    """The l1 LP on the 784-input layer: a few neurons timed, the layer extrapolated."""
    from neurobench.conversion.targets import onset_drive, rate_targets
    from neurobench.conversion import solve_layer

    conv = Converter(n_steps=100, executor="serial")
    rates = conv.encode(x).mean(axis=1).reshape(len(x), -1)
    t = rate_targets(ann.forward(x)[0], conv.neuron, conv.max_rate)
    c = Analog(w_min=-8.0, w_max=8.0, time_limit=600.0)
    layer, seconds = timed(lambda: solve_layer(rates, t.z[:, :neurons], t.silent[:, :neurons], onset_drive(conv.neuron),
                                               "l1", c, executor="serial", progress=False))
    per_neuron = seconds / neurons
    n_out = t.z.shape[1]
    print(f"\n(b') l1 on layer 0 ({x.shape[1]} inputs, {len(x)} rows): {per_neuron:.1f} s per neuron "
          f"(statuses {sorted(set(layer.statuses))}); the {n_out}-neuron layer would take about "
          f"{per_neuron * n_out / 60:.0f} min on one core")


if __name__ == "__main__":
    sys.exit(main())
