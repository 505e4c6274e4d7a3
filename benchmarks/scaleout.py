"""Scale-out: serial vs a 2-process pool vs a Dask LocalCluster of 2 workers (neurobench.executor).

    PYTHONPATH=. OMP_NUM_THREADS=1 .venv/bin/python benchmarks/scaleout.py [--quick] [--workers N] [--seeds N]

Cases: (a) the conversion of the digits CNN (``neurobench.ann.train`` defaults: conv 1->8 3x3,
avg-pool 2, dense 128 -> 128 -> 10, trained 60 epochs, data seed 0) with the conversion stage's
default settings (300 calibration images, 100 steps, 8 conv positions per image, analog weights
in [-8, 8] mV, l1), its per-neuron solves fanned out through the executor
(``neurobench.scaleout.convert``); (b) a seed sweep, ``--seeds`` training runs of the digits MLP
(64-100-10, 60 epochs) with replicate seeds ``child_seed(0, r)`` (``neurobench.scaleout.seed_sweep``).

For each executor: the start-up (pool or cluster, its workers started by a trivial map), the work, the
total, the speedup of the total over serial, and whether the result is bit-identical to serial.
"""

from __future__ import annotations

import time

import numpy as np
from harness import arg_parser, machine, print_table, progress

from neurobench.ann.train import load_data, train_ann
from neurobench.executor import ExecutorParams, Session
from neurobench.network import AvgPool2d
from neurobench.scaleout import convert, seed_sweep, seed_tasks


def conversion_result(conv) -> list:
    return [(lay.weight, lay.bias, [s.status for s in sols])
            for lay, sols in zip([x for x in conv.network_.layers if not isinstance(x, AvgPool2d)], conv.solutions_)]


def same_conversion(a, b) -> bool:
    return all(np.array_equal(wa, wb) and np.array_equal(ba, bb) and sa == sb for (wa, ba, sa), (wb, bb, sb) in zip(a, b))


def same_sweep(a, b) -> bool:
    return all(ra.test_score == rb.test_score and all(
        np.array_equal(la.weight, lb.weight) and np.array_equal(la.bias, lb.bias)
        for la, lb in zip(ra.ann.layers, rb.ann.layers)) for ra, rb in zip(a, b))


def main() -> int:
    parser = arg_parser(__doc__, repeats=False)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    print(f"# Scale-out benchmark ({'quick' if args.quick else 'full'}): {machine('numpy', 'torch', 'dask', 'distributed')}")
    x_tr, y_tr, _, _ = load_data("digits")
    epochs = 2 if args.quick else None
    progress("training the digits CNN")
    cnn = train_ann("cnn", x_tr, y_tr, epochs=epochs)
    x_cal = x_tr[: 60 if args.quick else 300]
    settings = dict(n_steps=100, conv_positions=8)
    tasks = seed_tasks("mlp", args.seeds, epochs=2 if args.quick else 60)

    kinds = [ExecutorParams(kind="local"), ExecutorParams(kind="process", workers=args.workers),
             ExecutorParams(kind="dask", workers=args.workers)]
    rows, reference = [], {}
    for params in kinds:
        label = params.kind if params.kind == "local" else f"{params.kind} ({params.workers} workers)"
        progress(f"{label}: start")
        t0 = time.perf_counter()
        session = Session(params)
        try:
            session.map(abs, range(-params.workers, 0), "warm-up")  # start the pool's processes too
            start = time.perf_counter() - t0
            for case, run, same in (
                ("(a) conversion, digits CNN", lambda: conversion_result(convert(cnn, x_cal, session, **settings)), same_conversion),
                (f"(b) seed sweep, {args.seeds} x digits MLP", lambda: seed_sweep(tasks, session), same_sweep),
            ):
                progress(f"{label}: {case}")
                t1 = time.perf_counter()
                result = run()
                work = time.perf_counter() - t1
                reference.setdefault(case, (result, work + start))
                ref, serial = reference[case]
                rows.append({"case": case, "executor": label, "start-up s": start, "work s": work,
                             "total s": work + start, "speedup": serial / (work + start),
                             "identical": same(result, ref)})
                start = 0.0  # the start-up is paid once per session: counted with the first case
        finally:
            session.close()
    rows.sort(key=lambda r: r["case"])
    print_table(rows, floatfmt=".2f")
    print("start-up (pool or cluster, workers' imports) is counted once, with case (a); "
          "speedup = serial total / total")
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
