"""Conversion solve times: per layer, in total, and the share spent outside HiGHS.

    .venv/bin/python benchmarks/conversion.py [--quick] [--workers N] [--paths scipy,generate,highspy,ipm] [--wide none|few|whole]

Cases: (a) the digits MLP 64-100-10 (trained here, deterministic), converted with all training
images as calibration; (b) a 784-300-100-10 MLP with random He weights on MNIST-shaped random
inputs in [0, 1] (no download needed), 1000 calibration samples. Analog constraints, ``l1``
objective, each LP path side by side (``--paths``, the reference first): scipy ``linprog`` per
neuron with every row (``scipy``, ``rows="all"``), row generation (``generate``,
``rows="generate"``, :mod:`neurobench.conversion.rowgen`) and the warm-started dual simplex of
:mod:`neurobench.conversion.warm` (``highspy``) and the dense interior point of
:mod:`neurobench.conversion.ipm` (``ipm``). Case (b): the first 4 neurons of layer 0 per path by
default; ``--wide whole`` converts the whole network per path (the HiGHS paths take about 17 min of
layer 0 per core; ``--wide whole --paths ipm`` alone runs the interior point's whole network).
Case (c): iterative rounding of the digits MLP under
``Digital(bits=4)`` in one process, each neuron's rounds warm-started (default) vs solved cold.
Targets (issue 15) on 2 cores: (a) under 5 s, (b) under 3 minutes, time outside HiGHS under 10 %.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from harness import arg_parser, machine, mark_identical, memory_line, print_table, timed

from neurobench.ann import Ann
from neurobench.ann.train import load_data, train_ann
from neurobench.conversion import Analog, Converter
from neurobench.network import Dense


def random_mlp(sizes, seed: int) -> Ann:
    rng = np.random.default_rng(seed)
    layers = [Dense(rng.normal(0, np.sqrt(2 / a), (b, a)), rng.normal(0, 0.01, b)) for a, b in zip(sizes, sizes[1:])]
    return Ann((sizes[0],), layers, ("relu",) * (len(layers) - 1) + ("linear",))


#: The LP paths: the family options each sets.
PATHS = {"scipy": dict(lp_solver="scipy", rows="all"), "generate": dict(lp_solver="scipy", rows="generate"),
         "highspy": dict(lp_solver="highspy", rows="all"), "ipm": dict(lp_solver="ipm", rows="all")}


def family(path: str) -> Analog:
    """The benchmark's analog family ([-8, 8] mV) with the options of one LP path."""
    if path not in PATHS:
        raise ValueError(f"--paths: {path!r} is not allowed: must be among {sorted(PATHS)}")
    return Analog(w_min=-8.0, w_max=8.0, time_limit=600.0, **PATHS[path])


def convert(ann: Ann, x: np.ndarray, workers: int, path: str, objective: str = "l1"):
    """Convert ``ann`` with one LP path; returns ``(converter, wall seconds)``."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers) as pool:
        conv = Converter(objective=objective, n_steps=100, executor=pool,
                         constraints=family(path))
        _, total = timed(lambda: conv.fit(ann, x))
    return conv, total


def compare(name: str, ann: Ann, x: np.ndarray, workers: int, paths: tuple[str, ...]) -> None:
    """Convert with every LP path in ``paths`` (scipy first: the reference) and print per layer:
    wall time, HiGHS time, share outside HiGHS, identical weights and the layer's summed objective
    (like for like on the first layer only: later layers see the rates of the earlier weights)."""
    done = {lp: convert(ann, x, workers, lp) for lp in paths}
    ref = done[paths[0]][0]
    rows = []
    for lp, (conv, total) in done.items():
        for r, rl, layer, rlayer in zip(conv.layer_reports_, ref.layer_reports_, conv.network_.layers,
                                        ref.network_.layers):
            rel = abs(r.objective - rl.objective) / max(1.0, abs(rl.objective))
            rows.append({"layer": r.index, "path": lp, "neurons": r.n_neurons, "rows": r.n_rows,
                         "wall s": r.total_seconds, "ratio": rl.total_seconds / r.total_seconds,
                         "outside HiGHS %": 100 * max(r.total_seconds - r.solve_seconds / workers, 0) / r.total_seconds,
                         "max |dw|": float(np.max(np.abs(layer.weight - rlayer.weight))),
                         "objective sum": r.objective, "rel diff": rel, "_output": layer.weight})
        solver = sum(r.solve_seconds for r in conv.layer_reports_) / workers
        rows.append({"layer": "total", "path": lp, "wall s": total, "ratio": done[paths[0]][1] / total,
                     "outside HiGHS %": 100 * max(total - solver, 0) / total,
                     "_output": [layer.weight for layer in conv.network_.layers]})
    rows = mark_identical(rows, lambda a, b: all(np.array_equal(u, v) for u, v in zip(a, b))
                          if isinstance(a, list) else np.array_equal(a, b), group="layer")
    print(f"\n{name}, objective l1, analog [-8, 8] mV: {len(x)} calibration samples, {workers} workers")
    print_table(rows, floatfmt=".3g")


def main() -> int:
    parser = arg_parser(__doc__, repeats=False)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--paths", default="scipy,generate,highspy,ipm", help="LP paths, the reference first")
    parser.add_argument("--wide", choices=("none", "few", "whole"), default="few",
                        help="case (b): skip, a few neurons of layer 0 per path, or the whole network")
    args = parser.parse_args()
    paths = tuple(args.paths.split(","))
    for path in paths:
        family(path)  # a bad name fails here, before any compute
    print(f"# Conversion benchmark ({'quick' if args.quick else 'full'}): {machine('numpy', 'scipy', 'highspy')}")
    print(f"load average {os.getloadavg()}")
    x_train, y_train, _, _ = load_data("digits")
    mlp = train_ann("mlp", x_train, y_train)
    compare("(a) digits MLP 64-100-10", mlp, x_train[:200] if args.quick else x_train, args.workers, paths)
    iterative_rounding(mlp, x_train[:150] if args.quick else x_train[:300])
    sizes, n = ((784, 30, 10, 10), 100) if args.quick else ((784, 300, 100, 10), 1000)
    x = np.random.default_rng(1).random((n, sizes[0]))
    if args.wide == "few":
        for lp in paths:
            l1_wide_layer(random_mlp(sizes, 0), x, neurons=4, path=lp)
    elif args.wide == "whole":
        compare(f"(b) random MLP {'-'.join(map(str, sizes))}", random_mlp(sizes, 0), x, args.workers, paths)
    print(f"load average {os.getloadavg()}")
    print(memory_line(children=True))
    return 0


def iterative_rounding(ann: Ann, x: np.ndarray) -> None:
    """(c) Iterative rounding (``Digital(bits=4, method="iterative")``) of the digits MLP in one
    process: each neuron's rounds as one warm-started sequence (the default,
    ``Engine.warm_sequence``) against every round solved cold by scipy (the old path), with LP
    counts, the summed objective per layer and whether the weights are identical (they need not
    be: a degenerate relaxation can round elsewhere)."""
    import contextlib
    from concurrent.futures import ThreadPoolExecutor

    from neurobench.conversion import Digital
    from neurobench.conversion.engine import Engine

    def run(warm: bool):
        saved = Engine.warm_sequence
        if not warm:
            Engine.warm_sequence = lambda self: contextlib.nullcontext()
        try:
            with ThreadPoolExecutor(1) as inline:
                conv = Converter(n_steps=100, executor=inline, constraints=Digital(bits=4, method="iterative"))
                _, seconds = timed(lambda: conv.fit(ann, x))
        finally:
            Engine.warm_sequence = saved
        return conv, seconds

    done = {"cold rounds (scipy)": run(False), "warm sequence (default)": run(True)}
    rows = []
    ref_seconds = next(iter(done.values()))[1]
    for path, (conv, seconds) in done.items():
        lps = sum(s.n_solves for layer in conv.solutions_ for s in layer)
        rows.append({"case": "digits MLP digital4", "path": path, "wall s": seconds, "ratio": ref_seconds / seconds,
                     "LPs": lps, "objective sum": sum(r.objective for r in conv.layer_reports_),
                     "_output": [layer.weight for layer in conv.network_.layers]})
    rows = mark_identical(rows, lambda a, b: all(np.array_equal(u, v) for u, v in zip(a, b)))
    print(f"\n(c) iterative rounding, digits MLP 64-100-10, {len(x)} calibration samples, one process")
    print_table(rows, floatfmt=".4g")


def l1_wide_layer(ann: Ann, x: np.ndarray, neurons: int, path: str) -> None:
    """The l1 LP on the 784-input layer: the first few neurons in one process, timed."""
    from neurobench.conversion.targets import onset_drive, rate_targets
    from neurobench.conversion import solve_layer

    conv = Converter(n_steps=100, executor=None)
    rates = conv.encode(x).mean(axis=1).reshape(len(x), -1)
    t = rate_targets(ann.forward(x)[0], conv.neuron, conv.max_rate)
    c = family(path)
    layer, seconds = timed(lambda: solve_layer(rates, t.z[:, :neurons], t.silent[:, :neurons], onset_drive(conv.neuron),
                                               "l1", c, executor=None, progress=False))
    print(f"\n(b') {path}: l1 on layer 0 ({x.shape[1]} inputs, {len(x)} rows): {seconds / neurons:.1f} s per "
          f"neuron, HiGHS {sum(s.solve_seconds for s in layer.solutions) / neurons:.1f} s "
          f"(statuses {sorted(set(layer.statuses))}, objectives {np.round(layer.objectives, 6).tolist()})")


if __name__ == "__main__":
    sys.exit(main())
