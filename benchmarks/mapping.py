"""Crossbar nodal solve and eSpine partition + placement at the issue's target sizes.

    .venv/bin/python benchmarks/mapping.py           # full run (about a minute or two)
    .venv/bin/python benchmarks/mapping.py --quick   # tiny sizes, checks the script works
    .venv/bin/python benchmarks/mapping.py --cases a # only the nodal solve (old and new)

Cases: (a) nodal solve of an N x N crossbar (N = 128, r = 2.5 ohm, R = 10 kohm): the
programming currents of every cell under V/2 (target 0.2 s, issue 15) and one read-mode solve,
by the structured solver of ``hardware.crossbar`` (Schur complement onto the bitline nodes,
block-tridiagonal sweeps) beside the sparse SuperLU solve it replaced
(``hardware.nodal_reference``: one factorisation, N + N + 1 solves); the two run interleaved,
best of ``--repeats`` each, ``identical`` is their maximum relative difference, ``peak MiB``
the growth of a fresh process's peak resident memory during one call (SuperLU's factor is C
memory that tracemalloc would not see). (b) partition + placement of a synthetic workload of
10^4 neurons and 10^6 synapses (5 layers of 2,000 neurons; each neuron has 125 random inputs
shared by runs of 100 neighbours), crossbar 128: unrolling, KL partitioning (with merge), the
sequential baseline, then SpiNeMap-like PSO and eSpine (PSO + cell ordering); target under
60 s on 2 cores. KL runs ``--kl-max-iter`` passes per bisection (default 3 here, 10 in
params.yaml for the small workloads of the notebook): networkx's KL is pure Python and
dominates the time at this size. One run for (b).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
from harness import arg_parser, interleaved, machine, memory_line, print_table, timed

from neurobench.hardware.crossbar import CrossbarParams, program_currents, read_voltages
from neurobench.hardware.nodal_reference import program_currents_sparse, read_voltages_sparse
from neurobench.mapping import workloads as W
from neurobench.mapping.espine import MappingConfig, map_workload, prepare


_MEMORY_PROBE = """
import sys
from neurobench.hardware import crossbar, nodal_reference
def kib(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
params = crossbar.CrossbarParams(n=int(sys.argv[2]))
fn = getattr(crossbar, sys.argv[1], None) or getattr(nodal_reference, sys.argv[1])
base = kib("VmRSS")
fn(params)
print((kib("VmHWM") - base) / 1024)
"""


def peak_growth_mib(function: str, n: int) -> float:
    """Growth of the peak resident memory (MiB, Linux ``VmHWM``) of a fresh Python process
    during one call of the solver ``function`` (a name in ``hardware.crossbar`` or
    ``hardware.nodal_reference``) on an ``n x n`` crossbar; NaN where it cannot be read."""
    try:
        out = subprocess.run([sys.executable, "-c", _MEMORY_PROBE, function, str(n)], check=True,
                             capture_output=True, text=True, timeout=600)
        return float(out.stdout.split()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return math.nan


def nodal_rows(params: CrossbarParams, repeats: int) -> list[dict]:
    """Case (a): the sparse reference (old) and the structured solver (new), side by side."""
    n = params.n
    rows = []
    for case, target, solvers in [
        (f"a: program currents {n}x{n} (V/2)", 0.2, {"sparse LU (old)": program_currents_sparse,
                                                      "structured (new)": program_currents}),
        (f"a: read voltages {n}x{n}", None, {"sparse LU (old)": read_voltages_sparse,
                                             "structured (new)": read_voltages}),
    ]:
        best = interleaved({name: (lambda f=f: f(params)) for name, f in solvers.items()}, repeats, keep="best")
        t_ref, ref, _ = best["sparse LU (old)"]
        for name, (seconds, out, _) in best.items():
            diff = float(np.max(np.abs(out - ref) / np.abs(ref)))
            rows.append({"case": case, "solver": name, "seconds": seconds, "x faster": t_ref / seconds,
                         "peak MiB": peak_growth_mib(solvers[name].__name__, n), "target s": target,
                         "identical": "ref" if name == "sparse LU (old)" else f"max rel diff {diff:.1e}"})
    return rows


def main(argv=None) -> int:
    parser = arg_parser(__doc__, repeats=3)
    parser.add_argument("--kl-max-iter", type=int, default=10, help="KL passes per bisection (params.yaml: 10)")
    parser.add_argument("--partitioner", choices=["kl", "metis"], default="metis")
    parser.add_argument("--cases", choices=["ab", "a", "b"], default="ab", help="which cases to run")
    args = parser.parse_args(argv)
    n = 32 if args.quick else 128
    layers, fan_in, group = ((200,) * 3, 20, 10) if args.quick else ((2000,) * 5, 125, 100)
    params = CrossbarParams(n=n)
    print(f"# Mapping benchmark ({'quick' if args.quick else 'full'}): {machine('numpy', 'scipy', 'networkx', 'pymetis')} "
          f"(shared machine: timings are noisy; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())})")
    rows = nodal_rows(params, args.repeats) if "a" in args.cases else []
    if "b" in args.cases:
        w = W.synthetic(layers, fan_in=fan_in, group=group, name="bench")
        config = MappingConfig(crossbar=params, kl_max_iter=args.kl_max_iter, partitioner=args.partitioner)
        chip, t_part = timed(lambda: prepare(w.graph, config))
        res, t_place = timed(lambda: map_workload(w.graph, config, methods=("spinemap", "espine"), chip=chip))
        label = f"b: {w.graph.n_neurons} neurons, {w.graph.n_synapses} synapses"
        rows.append({"case": f"{label}: unroll + {args.partitioner} + sequential", "seconds": t_part, "target s": None})
        rows.append({"case": f"{label}: PSO placements + cells", "seconds": t_place, "target s": None})
        rows.append({"case": f"{label}: partition + placement", "seconds": t_part + t_place, "target s": 60.0})
        print(f"partitioner {args.partitioner} (KL passes {args.kl_max_iter}); cut spikes {res['espine'].cut:.0f}")
        print(f"clusters: {args.partitioner} {chip.kl.n_clusters}, sequential {chip.sequential.n_clusters}, mesh {chip.mesh.rows}x{chip.mesh.cols}")
        print(f"lifetime espine / spinemap: {res['espine'].lifetime / res['spinemap'].lifetime:.2f}")
    print_table(rows, floatfmt=".3f")
    print(memory_line())
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
