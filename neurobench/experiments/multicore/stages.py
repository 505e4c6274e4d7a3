"""The ``multicore`` stage's computations: replicates of five workloads under four partitions and
three execution policies, exactness by re-simulation, sweeps over the assumed costs.

The notebook ``notebooks/multicore.ipynb`` calls these in order and only displays and plots
their results. Times are in ns, energies in pJ (as in ``neurobench.hardware.multicore``).
Policies (``neurobench.hardware.multicore.POLICIES``): ``barrier`` (global barrier, the paper's
baseline), ``tick`` (fixed global tick) and ``dependency`` (the paper's dependency-driven cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ...hardware import multicore_partition as mp
from ...hardware.multicore import (
    POLICIES,
    Comparison,
    CoreLoad,
    CostModel,
    compare,
    core_load,
    run_async,
    run_sync,
    run_tick,
    sweep_cost,
    tick_ns,
)
from ...hardware.multicore_replay import Replay, replay, replay_many
from ...executor import ExecutorParams, Session, map_tasks, session_of
from ...hardware.workload import Assignment, Workload
from ...metrics import table
from ...network import Network
from ...schema import replace as replace_params
from ...units import PJ_PER_UJ
from ..common import geometric_mean
from .params import MulticoreSection
from .workloads import (Digits, ReplicateSeeds, batch_indices, input_batch, networks, record_workloads,
                        replicate_seeds)

__all__ = [
    "Replicate", "Run", "assumed_costs", "barrier_sweep", "cost_sensitivity", "energy_breakdown", "exactness",
    "gantt", "headline_frame", "imbalance_sweep", "latency_sweep", "negative_controls", "neurobench_rows", "partitions",
    "prepare_task", "run_replicate", "run_replicates", "run_workloads", "speedup_at", "static_sweep", "summary",
    "workload_task", "zero_costs",
]


@dataclass(frozen=True, eq=False)
class Run:
    """One workload under one partition: its load, the three schedules at the assumed costs and
    with hop and barrier latency at zero, and each policy's re-simulation."""

    load: CoreLoad
    comparison: Comparison
    zero: Comparison
    replays: dict[str, Replay]


@dataclass(frozen=True, eq=False)
class Replicate:
    """Everything of replicate ``seeds.replicate``: networks, workloads, runs and their table,
    and the NeuroBench-style row of every network (``table.clock_metrics`` of the run that
    recorded its workload, on the batch's test labels)."""

    seeds: ReplicateSeeds
    networks: dict[str, Network]
    workloads: dict[str, Workload]
    accuracy: dict[str, float]
    runs: dict[tuple[str, str], Run]
    headline: pd.DataFrame
    neurobench: dict[str, dict] | None = None


UNTRAINED_NOTE = "random weights (a stand-in workload): its accuracy is chance"
"""The note of the rows of the untrained workloads (``conv``, ``sparse``)."""


def zero_costs(cost: CostModel) -> CostModel:
    """``cost`` with the latencies the speedup depends on most set to zero: ``hop_ns = barrier_ns = 0``."""
    return replace_params(cost, hop_ns=0.0, barrier_ns=0.0)


def partitions(sizes, n_cores: int, seed: int) -> dict[str, Assignment]:
    """The four partitions of the stage: contiguous, round robin, random (``seed``), imbalanced (2)."""
    return {
        "contiguous": mp.contiguous(sizes, n_cores),
        "round robin": mp.round_robin(sizes, n_cores),
        "random": mp.random(sizes, n_cores, seed),
        "imbalanced (2)": mp.imbalanced(sizes, n_cores, 2.0),
    }


def workload_task(task: tuple[str, Network, Workload, MulticoreSection, int]
                  ) -> tuple[list[dict], dict[str, Run]]:
    """One workload ``(name, net, workload, cfg, partition_seed)`` under every partition (the rows and
    runs of :func:`run_workloads` for it, runs keyed by partition): the executor's task
    function, pure (parameters in, schedules and re-simulations out)."""
    name, net, w, cfg, partition_seed = task
    built = {}
    for pname, part in partitions(np.bincount(w.graph.population), cfg.n_cores, partition_seed).items():
        load = core_load(w, part, n_cores=cfg.n_cores)
        built[pname] = (load, compare(load, cfg.cost, cfg.buffer_depth, cfg.tick_ns),
                        compare(load, zero_costs(cfg.cost), cfg.buffer_depth, cfg.tick_ns))
    items = [(pname, p, load, s) for pname, (load, cmp, _) in built.items() for p, s in cmp.schedules().items()]
    done = replay_many(net, [(load, s, cfg.buffer_depth) for _, _, load, s in items], cfg.dt)
    replays = {(pname, p): r for (pname, p, _, _), r in zip(items, done)}
    rows, runs = [], {}
    for pname, (load, cmp, zero) in built.items():
        mine = {p: replays[pname, p] for p in cmp.schedules()}
        runs[pname] = Run(load, cmp, zero, mine)
        row = {"workload": name, "partition": pname, **cmp.summary(),
               "speedup_zero": zero.speedup, "energy_ratio_zero": zero.energy_ratio,
               "speedup_tick_zero": zero.speedup_tick, "energy_ratio_tick_zero": zero.energy_ratio_tick,
               "dependency edges": int(load.dep.sum())}
        for p, r in mine.items():
            row.update({f"identical_{p}": int(r.identical), f"overwrites_{p}": r.overwrites,
                        f"late_{p}": r.late, f"mismatches_{p}": r.mismatches})
        rows.append(row)
    return rows, runs


def _collect(names, results) -> tuple[pd.DataFrame, dict[tuple[str, str], Run]]:
    """The headline rows and the runs keyed ``(workload, partition)`` from :func:`workload_task`
    results, in workload order."""
    rows, runs = [], {}
    for name, (wrows, wruns) in zip(names, results):
        rows += wrows
        runs |= {(name, pname): run for pname, run in wruns.items()}
    return pd.DataFrame(rows), runs


def run_workloads(nets: Mapping[str, Network], workloads: Mapping[str, Workload], cfg: MulticoreSection,
                  partition_seed: int, executor: ExecutorParams | Session = ExecutorParams()
                  ) -> tuple[pd.DataFrame, dict[tuple[str, str], Run]]:
    """Every workload under every partition: the three policies at the assumed costs and at
    zero hop and barrier latency, and every policy's re-simulation with ``cfg.buffer_depth``
    slots. One row per run: ``Comparison.summary()``, the ``_zero`` gains, and per policy
    ``identical_<policy>`` (0/1), ``overwrites_<policy>``, ``late_<policy>``, ``mismatches_<policy>``.
    One task per workload (:func:`workload_task`) through ``executor``."""
    tasks = [(name, nets[name], w, cfg, partition_seed) for name, w in workloads.items()]
    return _collect(list(workloads), map_tasks(workload_task, tasks, executor, "multicore: workloads"))


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A replicate before its runs: seeds, networks, recorded workloads, accuracies, table rows."""

    seeds: ReplicateSeeds
    networks: dict[str, Network]
    workloads: dict[str, Workload]
    accuracy: dict[str, float]
    neurobench: dict[str, dict]


def prepare_task(task: tuple[MulticoreSection, Digits, int]) -> _Prepared:
    """Replicate ``r`` of ``(cfg, data, r)`` up to its runs: draw the inputs, build (train and
    convert) and record the five workloads, their NeuroBench-style rows; the executor's task
    function (every seed derived from ``(cfg, r)``)."""
    cfg, data, r = task
    seeds = replicate_seeds(cfg, r)
    _, spikes = input_batch(cfg, data, seeds)
    nets, accuracy = networks(cfg, data, seeds)
    records: dict = {}
    workloads = record_workloads(nets, spikes, cfg.dt, records)
    labels = data.y_test[batch_indices(cfg, data, seeds)]
    nb = {name: table.clock_metrics(rec, labels, nets[name], note="" if name in accuracy else UNTRAINED_NOTE)
          for name, rec in records.items()}
    return _Prepared(seeds, nets, workloads, accuracy, nb)


def _replicate(p: _Prepared, r: int, headline: pd.DataFrame, runs) -> Replicate:
    headline.insert(0, "replicate", r)
    return Replicate(p.seeds, p.networks, p.workloads, p.accuracy, runs, headline, p.neurobench)


def run_replicate(cfg: MulticoreSection, data: Digits, r: int,
                  executor: ExecutorParams | Session = ExecutorParams()) -> Replicate:
    """Replicate ``r``: draw the inputs, build and record the five workloads, run them all (one
    task per workload through ``executor``)."""
    p = prepare_task((cfg, data, r))
    return _replicate(p, r, *run_workloads(p.networks, p.workloads, cfg, p.seeds.partition, executor))


def run_replicates(cfg: MulticoreSection, data: Digits,
                   executor: ExecutorParams | Session = ExecutorParams()) -> list[Replicate]:
    """Replicates ``0 .. n_seeds - 1`` on one executor session, in two maps: one task per
    replicate up to its workloads (:func:`prepare_task`), then one task per replicate and
    workload (:func:`workload_task`); no task opens a pool of its own. The results are identical
    for every executor."""
    with session_of(executor) as session:
        prepared = session.map(prepare_task, [(cfg, data, r) for r in range(cfg.n_seeds)], "multicore: replicates")
        tasks = [(name, p.networks[name], w, cfg, p.seeds.partition) for p in prepared for name, w in p.workloads.items()]
        results = iter(session.map(workload_task, tasks, "multicore: workloads"))
        return [_replicate(p, r, *_collect(list(p.workloads), [next(results) for _ in p.workloads]))
                for r, p in enumerate(prepared)]


def neurobench_rows(reps: list[Replicate]) -> dict[str, list[dict]]:
    """The NeuroBench-style table's rows: every workload's network, one row per replicate."""
    return {name: [rep.neurobench[name] for rep in reps] for name in reps[0].neurobench}


def headline_frame(reps: list[Replicate]) -> pd.DataFrame:
    """Every replicate's runs in one table (column ``replicate``)."""
    return pd.concat([rep.headline for rep in reps], ignore_index=True)


def exactness(headline: pd.DataFrame) -> pd.DataFrame:
    """Per policy, over all runs of ``headline``: runs, runs with identical spikes, and the total
    overwrites, late deliveries and mismatched (step, neuron) spikes of the re-simulation."""
    rows = []
    for p in POLICIES:
        if f"identical_{p}" not in headline:
            continue
        rows.append({"policy": p, "runs": len(headline), "identical runs": int(headline[f"identical_{p}"].sum()),
                     "overwrites": int(headline[f"overwrites_{p}"].sum()), "late": int(headline[f"late_{p}"].sum()),
                     "mismatched spikes": int(headline[f"mismatches_{p}"].sum())})
    return pd.DataFrame(rows)


def negative_controls(rep: Replicate, cfg: MulticoreSection, workload: str | None = None,
                      partition: str = "contiguous") -> pd.DataFrame:
    """Two lossy policies on one run, to show that the re-simulation catches lost spikes:
    dependency-driven *without* the buffer back-pressure (cores run ahead of their consumers;
    finite buffers of ``cfg.buffer_depth`` slots, 2 when unbounded) and a fixed tick of
    ``cfg.control_tick_fraction`` times the worst step."""
    name = workload or next(iter(rep.workloads))
    run = rep.runs[name, partition]
    net = rep.networks[name]
    depth = cfg.buffer_depth or 2
    controls = {
        "dependency, no back-pressure": (run_async(run.load, cfg.cost, None), depth),
        f"fixed tick at {cfg.control_tick_fraction:g} x worst step":
            (run_tick(run.load, cfg.cost, cfg.control_tick_fraction * tick_ns(run.load, cfg.cost)), cfg.buffer_depth),
    }
    rows = []
    for label, (schedule, slots) in controls.items():
        r = replay(net, run.load, schedule, cfg.dt, slots)
        rows.append({"control": label, "workload": name, "partition": partition,
                     "buffer slots": -1 if slots is None else int(slots), "deliveries": r.deliveries,
                     "overwrites": r.overwrites, "late": r.late, "mismatched spikes": r.mismatches,
                     "identical": int(r.identical)})
    return pd.DataFrame(rows)


def gantt(cmp: Comparison, n_show: int) -> pd.DataFrame:
    """Start and finish (ns) of every core's first ``n_show`` steps under every policy."""
    rows = []
    for policy, sched in cmp.schedules().items():
        for c in range(sched.start.shape[1]):
            for t in range(n_show):
                rows.append({"policy": policy, "core": c, "step": t,
                             "start_ns": sched.start[t, c], "finish_ns": sched.finish[t, c]})
    return pd.DataFrame(rows)


def _contiguous(runs: Mapping[tuple[str, str], Run]) -> dict[str, CoreLoad]:
    return {name: run.load for (name, pname), run in runs.items() if pname == "contiguous"}


def imbalance_sweep(workloads: Mapping[str, Workload], cfg: MulticoreSection) -> pd.DataFrame:
    """Gains of every workload under the imbalanced partition, per ``cfg.imbalance_sweep`` knob."""
    rows = []
    for name, w in workloads.items():
        sizes = np.bincount(w.graph.population)
        for a in cfg.imbalance_sweep:
            load = core_load(w, mp.imbalanced(sizes, cfg.n_cores, a), n_cores=cfg.n_cores)
            rows.append({"workload": name, "imbalance": a,
                         **compare(load, cfg.cost, cfg.buffer_depth, cfg.tick_ns).summary()})
    return pd.DataFrame(rows)


def latency_sweep(runs: Mapping[tuple[str, str], Run], cfg: MulticoreSection) -> pd.DataFrame:
    """Per-hop latency sweep (``cfg.hop_ns_sweep``, ns) on the contiguous partition, with the
    assumed barrier and with ``barrier_ns = 0``."""
    rows = []
    cost = cfg.cost
    for name, load in _contiguous(runs).items():
        for barrier, label in [(cost.barrier_ns, f"barrier {cost.barrier_ns:g} ns"), (0.0, "barrier 0 ns")]:
            for r in sweep_cost(load, cost, "hop_ns", cfg.hop_ns_sweep, cfg.buffer_depth, cfg.tick_ns,
                                barrier_ns=barrier):
                rows.append({"workload": name, "barrier": label, **r})
    return pd.DataFrame(rows)


def static_sweep(runs: Mapping[tuple[str, str], Run], cfg: MulticoreSection) -> pd.DataFrame:
    """Static power sweep (``cfg.static_mw_sweep``, mW per core) on the contiguous partition."""
    rows = []
    for name, load in _contiguous(runs).items():
        for r in sweep_cost(load, cfg.cost, "static_mw", cfg.static_mw_sweep, cfg.buffer_depth, cfg.tick_ns):
            rows.append({"workload": name, **r})
    return pd.DataFrame(rows)


def barrier_sweep(runs: Mapping[tuple[str, str], Run], cfg: MulticoreSection) -> pd.DataFrame:
    """Speedup and energy gain against the fixed barrier latency (``cfg.barrier_ns_sweep``, ns)
    over every run: one row per workload (geometric mean over its partitions) and one row
    ``"all"`` (geometric mean over every workload and partition, the headline), per value."""
    per_run = []
    for (name, pname), run in runs.items():
        cmp = run.comparison  # the dependency-driven and tick schedules do not depend on barrier_ns
        for value in cfg.barrier_ns_sweep:
            sync = run_sync(run.load, replace_params(cfg.cost, barrier_ns=float(value)))
            r = Comparison(sync, cmp.asynchronous, cmp.tick).summary()
            per_run.append({"workload": name, "partition": pname, "barrier_ns": float(value), **r})
    df = pd.DataFrame(per_run)
    cols = ["speedup", "energy_ratio", "speedup_tick", "energy_ratio_tick"]
    rows = []
    for barrier, group in df.groupby("barrier_ns", sort=True):
        for name, g in [*group.groupby("workload", sort=False), ("all", group)]:
            rows.append({"workload": name, "barrier_ns": float(barrier), **{c: geometric_mean(g[c]) for c in cols}})
    return pd.DataFrame(rows)


def cost_sensitivity(runs: Mapping[tuple[str, str], Run], cfg: MulticoreSection) -> pd.DataFrame:
    """How the gains move with every assumed cost: each ``CostModel`` field multiplied by each of
    ``cfg.cost_factors`` (one at a time; factor 1 = the assumed costs), geometric mean over the
    contiguous partition of every workload."""
    loads = _contiguous(runs)
    rows = []
    for field in CostModel.model_fields:
        for factor in sorted({1.0, *cfg.cost_factors}):
            cost = replace_params(cfg.cost, **{field: getattr(cfg.cost, field) * factor})
            cmps = [compare(load, cost, cfg.buffer_depth, cfg.tick_ns) for load in loads.values()]
            rows.append({"cost": field, "factor": factor, "value": getattr(cost, field),
                         "speedup": geometric_mean([c.speedup for c in cmps]),
                         "energy_ratio": geometric_mean([c.energy_ratio for c in cmps]),
                         "speedup_tick": geometric_mean([c.speedup_tick for c in cmps]),
                         "energy_ratio_tick": geometric_mean([c.energy_ratio_tick for c in cmps])})
    return pd.DataFrame(rows)


_COST_UNITS = {"ns": "ns", "pj": "pJ", "mw": "mW"}


def assumed_costs(cfg: MulticoreSection) -> pd.DataFrame:
    """Every assumed per-operation cost (``cfg.cost``) with its value, unit and meaning, plus the
    buffer depth and the tick of the fixed-tick baseline."""
    rows = []
    for field, info in CostModel.model_fields.items():
        unit = _COST_UNITS[field.rsplit("_", 1)[-1]]
        rows.append({"parameter": f"cost.{field}", "value": float(getattr(cfg.cost, field)), "unit": unit,
                     "meaning": info.description})
    rows.append({"parameter": "buffer_depth", "value": float("nan") if cfg.buffer_depth is None else cfg.buffer_depth,
                 "unit": "steps", "meaning": "input buffer slots per core (nan: unbounded)"})
    rows.append({"parameter": "tick_ns", "value": float("nan") if cfg.tick_ns is None else cfg.tick_ns, "unit": "ns",
                 "meaning": "fixed tick (nan: the worst step of each run)"})
    return pd.DataFrame(rows)


def speedup_at(df: pd.DataFrame, column: str = "speedup", **where) -> float:
    """``column`` of the first row of ``df`` matching every ``column=value`` (nan if none)."""
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return float(sel.iloc[0][column]) if len(sel) else float("nan")


def energy_breakdown(runs: Mapping[tuple[str, str], Run]) -> pd.DataFrame:
    """Energy by cause (compute, spike packets, control tokens, static) of every run and policy, in uJ."""
    parts = []
    for (name, pname), run in runs.items():
        for policy, sched in run.comparison.schedules().items():
            e = sched.energy
            parts.append({"run": f"{name}\n{pname}\n{policy}", "compute": e.compute_pj, "spike packets": e.spike_pj,
                          "control tokens": e.token_pj, "static": e.static_pj})
    return pd.DataFrame(parts).set_index("run") / PJ_PER_UJ


def summary(headline: pd.DataFrame, controls: pd.DataFrame, cfg: MulticoreSection) -> dict[str, float | int]:
    """The stage's headline metrics (``metrics.json``, numbers only): per-replicate geometric
    means averaged over replicates, ranges over every run, and per policy whether every run gave
    identical spikes (1/0) and its total overwrites and late deliveries; the negative controls'
    overwrites, late deliveries and identity."""
    per_rep = headline.groupby("replicate")
    out: dict[str, float | int] = {}
    for col, key in [("speedup", "speedup_geomean"), ("energy_ratio", "energy_ratio_geomean"),
                     ("speedup_zero", "speedup_zero_costs_geomean"), ("energy_ratio_zero", "energy_ratio_zero_costs_geomean"),
                     ("speedup_tick", "speedup_over_tick_geomean"), ("energy_ratio_tick", "energy_ratio_over_tick_geomean")]:
        out[key] = float(np.mean([geometric_mean(g[col]) for _, g in per_rep]))
        out[key.replace("_geomean", "_min")] = float(headline[col].min())
        out[key.replace("_geomean", "_max")] = float(headline[col].max())
    for name in dict.fromkeys(headline.workload):
        rows = headline[(headline.workload == name) & (headline.partition == "contiguous")]
        key = name.replace(" ", "_")
        out[f"speedup_{key}_contiguous"] = float(rows.speedup.mean())
        out[f"energy_ratio_{key}_contiguous"] = float(rows.energy_ratio.mean())
    for p in POLICIES:
        out[f"identical_spikes_{p}"] = int(headline[f"identical_{p}"].all())
        out[f"overwrites_{p}"] = int(headline[f"overwrites_{p}"].sum())
        out[f"late_{p}"] = int(headline[f"late_{p}"].sum())
    for i, row in enumerate(controls.itertuples()):
        key = ["control_no_backpressure", "control_short_tick"][i] if i < 2 else f"control_{i}"
        out[f"{key}_overwrites"] = int(row.overwrites)
        out[f"{key}_late"] = int(row.late)
        out[f"{key}_identical"] = int(row.identical)
    out.update({"n_cores": int(cfg.n_cores), "steps_on_chip": int(cfg.batch_size * cfg.n_steps),
                "n_workloads": int(headline.workload.nunique()), "n_runs_per_replicate": int(len(per_rep.get_group(headline.replicate.iloc[0]))),
                "n_seeds": int(headline.replicate.nunique())})
    return out
