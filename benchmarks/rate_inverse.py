"""LIF-subtract discrete inverse rate: the compiled spike-map kernel against its numpy reference.

``neurobench.neurons.discrete_inverse_rate`` for an LIF neuron with reset by subtraction bisects
on the long-run rate of the spike map ``neurons.rate._lif_subtract_isi``; that map is a numba
kernel (``neurobench/neurons/rate_kernels.py``) whose numpy reference
(``_lif_subtract_isi_numpy``) is kept. Both paths run interleaved in one process (best of N) on
the converter's setting (tau_m = 20 ms, dt = 1 ms, no refractory period) for a few target
counts; "identical" compares the drives bit for bit.

Run: ``.venv/bin/python benchmarks/rate_inverse.py [--quick] [--repeats N]``.
"""

from __future__ import annotations

import importlib
import os

import numpy as np
from harness import arg_parser, machine, mark_identical, memory_line, print_table, timed

from neurobench.neurons import NeuronParams, discrete_inverse_rate

rate = importlib.import_module("neurobench.neurons.rate")
PATHS = {"numpy reference": rate._lif_subtract_isi_numpy, "compiled kernel (numba)": rate._lif_subtract_isi}


def inverse(targets: np.ndarray, params: NeuronParams, path) -> np.ndarray:
    """``discrete_inverse_rate`` with the spike map ``path``."""
    saved, rate._lif_subtract_isi = rate._lif_subtract_isi, path
    try:
        return discrete_inverse_rate(targets, params, 1.0)
    finally:
        rate._lif_subtract_isi = saved


def main(argv: list[str] | None = None) -> int:
    args = arg_parser(__doc__).parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    params = NeuronParams(model="lif", reset="subtract", tau_m=20.0)
    load = os.getloadavg()
    print(f"# LIF-subtract inverse rate ({'quick' if args.quick else 'full'}): {machine('numpy', 'numba')}")
    inverse(np.array([100.0]), params, rate._lif_subtract_isi)  # untimed: compiles or loads the kernel
    rows = []
    for n in ((1, 8) if args.quick else (1, 64, 512)):
        targets = np.random.default_rng(0).uniform(1.0, 499.0, n)
        best: dict[str, tuple[float, np.ndarray]] = {}
        for _ in range(repeats):
            for name, path in PATHS.items():
                out, seconds = timed(lambda: inverse(targets, params, path))
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, out)
        ref = best["numpy reference"][0]
        for name, (seconds, out) in best.items():
            rows.append({"case": f"{n} targets", "path": name, "s": seconds, "speed-up": ref / seconds,
                         "_output": out})
    rows = mark_identical(rows, lambda a, b: np.array_equal(a.view(np.int64), b.view(np.int64)))
    print(f"\nload average before / after: {' '.join(f'{v:.2f}' for v in load)} / "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}\n")
    print_table(rows, floatfmt=".3g")
    print()
    print(memory_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
