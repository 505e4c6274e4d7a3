"""The ``multicore`` stage's computations: workloads, partitions, schedules, sweeps and claims.

The notebook ``notebooks/multicore.ipynb`` calls these in order and only displays and plots
their results. Times are in ns, energies in pJ (as in ``neurobench.hardware.multicore``).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ...hardware import multicore_partition as mp
from ...hardware.multicore import (
    Comparison,
    CoreLoad,
    compare,
    core_load,
    deliveries,
    spike_trains,
    sweep_cost,
)
from ...hardware.workload import Assignment, Workload
from ...network import Network
from ...sim import simulate
from ...units import PJ_PER_UJ
from ..common import geometric_mean, random_test_network
from .params import MulticoreSection

__all__ = [
    "PAPER_ENERGY", "PAPER_SPEEDUP", "claims", "energy_breakdown", "findings", "gantt", "identical_delivery",
    "imbalance_sweep", "latency_sweep", "networks", "partitions", "record_workloads", "run_partitions",
    "speedup_at", "static_sweep", "summary", "workloads_table",
]

PAPER_SPEEDUP = 1.86
"""Speedup over the global barrier claimed by Chen et al. 2024 (abstract; five workloads)."""
PAPER_ENERGY = 1.55
"""Energy-efficiency gain over the global barrier claimed by Chen et al. 2024 (abstract)."""

Results = dict[tuple[str, str], tuple[CoreLoad, Comparison]]


def networks(cfg: MulticoreSection, input_shape, mlp: Network) -> dict[str, Network]:
    """The two networks of the stage: the random conv network (``cfg.network``, ``cfg.neuron``) and ``mlp``."""
    return {"conv": random_test_network(input_shape, cfg.neuron, cfg.network), "mlp": mlp}


def record_workloads(nets: Mapping[str, Network], input_spikes, dt: float) -> dict[str, Workload]:
    """Simulate every network on ``input_spikes`` (batch, n_steps, ...) with a time step of ``dt`` ms
    and keep its spike trains as a :class:`Workload`."""
    out = {}
    for name, net in nets.items():
        rec = simulate(net, input_spikes, dt, record_spikes=True)
        out[name] = Workload.from_network(net, spike_trains(rec, input_spikes), name=name)
    return out


def workloads_table(workloads: Mapping[str, Workload]) -> pd.DataFrame:
    """Populations, synapses, non-input spikes per step and steps on the chip of every workload."""
    rows = []
    for name, w in workloads.items():
        sizes = np.bincount(w.graph.population)
        steps = w.n_samples * w.steps_per_sample
        rows.append({"workload": name, "populations": " -> ".join(map(str, sizes)), "synapses": w.graph.n_synapses,
                     "spikes per step": float(w.trains[:, :, w.graph.population > 0].sum() / steps),
                     "steps on chip": steps})
    return pd.DataFrame(rows)


def partitions(sizes, n_cores: int, seed: int) -> dict[str, Assignment]:
    """The four partitions of the stage: contiguous, round robin, random (``seed``), imbalanced (2)."""
    return {
        "contiguous": mp.contiguous(sizes, n_cores),
        "round robin": mp.round_robin(sizes, n_cores),
        "random": mp.random(sizes, n_cores, seed),
        "imbalanced (2)": mp.imbalanced(sizes, n_cores, 2.0),
    }


def identical_delivery(load: CoreLoad, cmp: Comparison) -> bool:
    """True when both schedules deliver every spike in time, the same packets, and exactly the
    events the load counts (the spike results of both designs are identical)."""
    ds, da = deliveries(load, cmp.sync), deliveries(load, cmp.asynchronous)
    return bool(ds.late == 0 and da.late == 0 and np.array_equal(ds.packets, da.packets)
                and np.array_equal(da.events, load.events))


def run_partitions(workloads: Mapping[str, Workload], cfg: MulticoreSection) -> tuple[pd.DataFrame, Results]:
    """Both schedules of every workload under every partition: one ``Comparison.summary()`` row
    each (plus dependency edges and the identical-delivery check), and the loads and comparisons."""
    rows, results = [], {}
    for name, w in workloads.items():
        for pname, part in partitions(np.bincount(w.graph.population), cfg.n_cores, cfg.partition_seed).items():
            load = core_load(w, part, n_cores=cfg.n_cores)
            cmp = compare(load, cfg.cost, cfg.buffer_depth)
            same = identical_delivery(load, cmp)
            results[name, pname] = (load, cmp)
            rows.append({"workload": name, "partition": pname, **cmp.summary(),
                         "dependency edges": int(load.dep.sum()), "identical delivered spikes": same})
    return pd.DataFrame(rows), results


def gantt(cmp: Comparison, n_show: int) -> pd.DataFrame:
    """Start and finish (ns) of every core's first ``n_show`` steps in both schedules."""
    rows = []
    for sched in (cmp.sync, cmp.asynchronous):
        for c in range(sched.start.shape[1]):
            for t in range(n_show):
                rows.append({"mode": sched.mode, "core": c, "step": t,
                             "start_ns": sched.start[t, c], "finish_ns": sched.finish[t, c]})
    return pd.DataFrame(rows)


def imbalance_sweep(workloads: Mapping[str, Workload], cfg: MulticoreSection) -> pd.DataFrame:
    """Speedup and energy ratio of every workload under the imbalanced partition, per ``cfg.imbalance_sweep`` knob."""
    rows = []
    for name, w in workloads.items():
        sizes = np.bincount(w.graph.population)
        for a in cfg.imbalance_sweep:
            load = core_load(w, mp.imbalanced(sizes, cfg.n_cores, a), n_cores=cfg.n_cores)
            rows.append({"workload": name, "imbalance": a, **compare(load, cfg.cost, cfg.buffer_depth).summary()})
    return pd.DataFrame(rows)


def latency_sweep(results: Results, cfg: MulticoreSection) -> pd.DataFrame:
    """Per-hop latency sweep (``cfg.hop_ns_sweep``, ns) on the contiguous partition, with the
    default barrier and with ``barrier_ns = 0``."""
    rows = []
    cost = cfg.cost
    for name in dict.fromkeys(n for n, _ in results):
        load = results[name, "contiguous"][0]
        for barrier, label in [(cost.barrier_ns, f"barrier {cost.barrier_ns:g} ns"), (0.0, "barrier 0 ns")]:
            for r in sweep_cost(load, cost, "hop_ns", cfg.hop_ns_sweep, cfg.buffer_depth, barrier_ns=barrier):
                rows.append({"workload": name, "barrier": label, **r})
    return pd.DataFrame(rows)


def static_sweep(results: Results, cfg: MulticoreSection) -> pd.DataFrame:
    """Static power sweep (``cfg.static_mw_sweep``, mW per core) on the contiguous partition."""
    rows = []
    for name in dict.fromkeys(n for n, _ in results):
        load = results[name, "contiguous"][0]
        for r in sweep_cost(load, cfg.cost, "static_mw", cfg.static_mw_sweep, cfg.buffer_depth):
            rows.append({"workload": name, **r})
    return pd.DataFrame(rows)


def speedup_at(df: pd.DataFrame, **where) -> float:
    """The ``speedup`` of the first row of ``df`` matching every ``column=value`` (nan if none)."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return float(sel.iloc[0]["speedup"]) if len(sel) else float("nan")


def claims(headline: pd.DataFrame) -> pd.DataFrame:
    """The paper's claims against the measured geometric means (over workloads and partitions)."""
    identical = bool(headline["identical delivered spikes"].all())
    return pd.DataFrame([
        {"quantity": "speedup vs global barrier", "paper": f"{PAPER_SPEEDUP}x (5 workloads)",
         "measured": f"{geometric_mean(headline.speedup):.2f}x (range {headline.speedup.min():.2f}-{headline.speedup.max():.2f})"},
        {"quantity": "energy efficiency vs global barrier", "paper": f"{PAPER_ENERGY}x (5 workloads)",
         "measured": f"{geometric_mean(headline.energy_ratio):.2f}x (range {headline.energy_ratio.min():.2f}-{headline.energy_ratio.max():.2f})"},
        {"quantity": "energy gain below speedup", "paper": "yes (1.55 < 1.86)",
         "measured": "yes" if (headline.energy_ratio < headline.speedup).all() else "no"},
        {"quantity": "spike results exact (time-accurate)", "paper": "yes",
         "measured": "identical delivered spikes in every run" if identical else "MISMATCH"},
    ])


def findings(results: Results, latency: pd.DataFrame, imbalance: pd.DataFrame, static: pd.DataFrame,
             cfg: MulticoreSection) -> pd.DataFrame:
    """Per workload: speedup at default costs, with hop and barrier costs 0, at the largest
    imbalance, energy ratio at the largest static power, and the async token share of energy."""
    rows = []
    for name in dict.fromkeys(n for n, _ in results):
        rr = results[name, "round robin"][1].asynchronous.energy
        rows.append({
            "workload": name,
            "speedup, default costs": float(results[name, "contiguous"][1].speedup),
            "speedup, hop 0 ns, barrier 0 ns (time imbalance only)":
                speedup_at(latency, workload=name, hop_ns=0.0, barrier="barrier 0 ns"),
            f"speedup, imbalance {max(cfg.imbalance_sweep):g}":
                speedup_at(imbalance, workload=name, imbalance=max(cfg.imbalance_sweep)),
            f"energy ratio, static {max(cfg.static_mw_sweep):g} mW":
                float(static[static.workload == name].sort_values("static_mw").energy_ratio.iloc[-1]),
            "async token / total energy, round robin": rr.token_pj / rr.total_pj,
        })
    return pd.DataFrame(rows).set_index("workload")


def energy_breakdown(results: Results) -> pd.DataFrame:
    """Energy by cause (compute, spike packets, control tokens, static) of every run, in uJ."""
    parts = []
    for (name, pname), (_, cmp) in results.items():
        for sched in (cmp.sync, cmp.asynchronous):
            e = sched.energy
            parts.append({"run": f"{name}\n{pname}\n{sched.mode}", "compute": e.compute_pj, "spike packets": e.spike_pj,
                          "control tokens": e.token_pj, "static": e.static_pj})
    return pd.DataFrame(parts).set_index("run") / PJ_PER_UJ


def summary(headline: pd.DataFrame, results: Results, cfg: MulticoreSection) -> dict[str, float | int]:
    """The stage's headline metrics (``metrics.json``)."""
    return {
        "speedup_geomean": geometric_mean(headline.speedup),
        "energy_ratio_geomean": geometric_mean(headline.energy_ratio),
        "speedup_min": float(headline.speedup.min()),
        "speedup_max": float(headline.speedup.max()),
        "energy_ratio_min": float(headline.energy_ratio.min()),
        "energy_ratio_max": float(headline.energy_ratio.max()),
        "speedup_conv_contiguous": float(results["conv", "contiguous"][1].speedup),
        "speedup_mlp_contiguous": float(results["mlp", "contiguous"][1].speedup),
        "energy_ratio_conv_contiguous": float(results["conv", "contiguous"][1].energy_ratio),
        "energy_ratio_mlp_contiguous": float(results["mlp", "contiguous"][1].energy_ratio),
        "identical_delivered_spikes": int(headline["identical delivered spikes"].all()),
        "paper_speedup": PAPER_SPEEDUP,
        "paper_energy_ratio": PAPER_ENERGY,
        "n_cores": int(cfg.n_cores),
        "steps_on_chip": int(cfg.batch_size * cfg.n_steps),
    }
