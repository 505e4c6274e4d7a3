"""The ``deploy`` stage: every candidate over every replicate, one row per candidate, sweeps.

* :func:`run_replicates`: the flow (``neurobench.experiments.deploy.flow``) for every
  candidate and replicate, fanned out through ``neurobench.executor`` (one task per candidate
  and replicate); replicate 0 also runs the Brian2 check, and the NIR files of its spiking
  candidates are written here, after the fan-out;
* :func:`candidate_rows` / :func:`summary_table`: the numbers per (candidate, replicate) and
  their mean and std per candidate; :func:`pareto_front`: the candidates no other beats on two
  numbers;
* :data:`PROVENANCE` / :func:`provenance_table`: which paper's model produced each number and
  which assumption drives it; :func:`sweeps`: each number with its dominant assumption moved
  by ``sweep.factors`` (replicate 0, placement and network fixed);
* :func:`headline_metrics`: the flat numbers of ``metrics.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ...conversion.evaluation import evaluate_network
from ...executor import ExecutorParams, Session, map_tasks
from ...hardware.programming import programming_cost
from ...mapping.espine import evaluate, rechip
from ...progress import track
from ...schema import replace
from .chips import AnalogMacChip, GatedSynapseDevice, RramDevice
from .flow import (
    CandidateRun,
    CandidateTask,
    candidate_task,
    cells_per_tile,
    device_lifetime,
    export_nir,
    replicate,
    run_policy,
    train_network,
)
from .gated import gated_programming, retention_ns
from .mac import MacRun, mac_cost, mac_programming, run_on_mac
from .params import DeploySection

__all__ = ["NUMBERS", "PROVENANCE", "Results", "candidate_rows", "headline_metrics", "pareto_front",
           "provenance_table", "run_replicates", "summary_table", "sweeps"]

NUMBERS = ("accuracy", "agreement", "latency_us", "energy_nj", "lifetime", "programming_ms", "programming_uj",
           "synops", "hidden")
"""The numbers of a candidate's row (units in the names: us, nJ, ms, uJ per inference or per programming)."""

PROVENANCE: dict[str, tuple[str, str]] = {
    "accuracy": ("spiking: Mern et al. 2018 layer-wise LP conversion (neurobench.conversion), clock simulator; "
                 "analog MAC: the trained ANN on Weis et al. 2020's noisy MAC (neurobench.analog), a new chip "
                 "instance per replicate",
                 "spiking: n_steps, the rate-code window per inference; analog MAC: mac.sigma_trial [ours]"),
    "agreement": ("same as accuracy: share of test samples with the ANN's decision", "as accuracy"),
    "latency_us": ("spiking: Chen et al. 2024 many-core model, our reconstruction (neurobench.hardware.multicore) "
                   "on the eSpine/SpiNeMap placement; analog MAC: integration passes (sends) x pass time",
                   "spiking: cost.syn_event_ns [inferred]; analog MAC: cost.pass_ns [inferred]"),
    "energy_nj": ("spiking: Chen et al. 2024 many-core model, our reconstruction (compute, spike packets, tokens, "
                  "static); analog MAC: Stradmann et al. 2022's measured ASIC power (192 uJ / 276 us) x latency",
                  "spiking: cost.syn_event_pj [inferred]; analog MAC: cost.power_w"),
    "lifetime": ("PCM: eSpine write endurance (power law, [inferred]); RRAM: Song, Titirsha & Das read "
                 "disturb (our form, [inferred]); gated synapse: retention of Jones & Jha 2020's decay law "
                 "(neurobench.devices) over the latency; analog MAC: SRAM weights, no endurance limit (inf)",
                 "PCM: endurance.exponent; RRAM: chip temperature; gated: synapse.tau_decay [inferred]"),
    "programming_ms": ("PCM, RRAM: ours, write-and-verify, one cell per crossbar at a time "
                       "(neurobench.hardware.programming); gated: program-and-verify pulses of the device model "
                       "(neurobench.devices.programming); analog MAC: SRAM words over the upload bandwidth",
                       "PCM, RRAM: device.programming.pulses_per_cell [inferred]; gated: write.width; "
                       "analog MAC: cost.write_gbit_s [inferred]"),
    "programming_uj": ("PCM, RRAM: ours, pulses x (pulse + verify energy); gated: the device model's pulses and "
                       "reads x pulse_pj, read_pj; analog MAC: SRAM bits x write energy per bit",
                       "PCM, RRAM: pulses_per_cell [inferred]; gated: pulse_pj [inferred]; analog MAC: "
                       "cost.write_pj_per_bit [inferred]"),
    "synops": ("NeuroBench: Effective_ACs per inference of the SNN (neurobench.metrics.activity."
               "synaptic_operations); analog MAC: effective MACs of the ANN (non-zero inputs x outputs)",
               "spiking: n_steps (spikes grow with the window)"),
}
"""Number -> (the model that produced it, the assumption that drives it)."""


@dataclass
class Results:
    """Every candidate's flow output per replicate (``runs[name][r]``) and the ANN's accuracy."""

    runs: dict[str, list[CandidateRun | MacRun]] = field(default_factory=dict)
    ann_accuracy: list[float] = field(default_factory=list)


def run_replicates(cfg: DeploySection, nir_dir: str | Path | None = None,
                   executor: ExecutorParams | Session = ExecutorParams()) -> Results:
    """Train the network of every replicate, then deploy it on every candidate: one
    ``flow.candidate_task`` per (candidate, replicate), run where ``executor`` says (results in
    task order, identical for every executor kind). Replicate 0's spiking candidates are
    written to ``nir_dir/<name>.nir``."""
    out = Results()
    tasks = []
    for r in track(range(cfg.n_seeds), "deploy: networks"):
        rep = replicate(cfg, r)
        trained = train_network(rep)
        out.ann_accuracy.append(trained.test_accuracy)
        tasks += [CandidateTask(trained, name, chip, rep, r, brian=r == 0) for name, chip in cfg.chips.items()]
    for task, run in zip(tasks, map_tasks(candidate_task, tasks, executor, "deploy: candidates")):
        out.runs.setdefault(task.name, []).append(run)
        if nir_dir is not None and task.r == 0 and isinstance(run, CandidateRun):
            export_nir(run.worn, Path(nir_dir) / f"{task.name}.nir", cfg.dt)
    return out


def row_of(run: CandidateRun | MacRun) -> dict[str, float]:
    """One candidate's numbers from one replicate (see :data:`NUMBERS`)."""
    if isinstance(run, MacRun):
        return {"accuracy": run.accuracy, "agreement": run.agreement, "latency_us": run.latency_ns / 1e3,
                "energy_nj": run.energy_pj / 1e3, "lifetime": run.lifetime,
                "programming_ms": run.programming.time_ns / 1e6, "programming_uj": run.programming.energy_pj / 1e6,
                "synops": run.synops, "hidden": float(run.deployed.hidden)}
    sim, timed, worn = run.simulated, run.timed, run.worn
    return {
        "accuracy": sim.accuracy, "agreement": sim.agreement,
        "latency_us": timed.latency_ns / 1e3, "energy_nj": timed.energy_pj / 1e3,
        "lifetime": worn.lifetime, "programming_ms": worn.programming.time_ns / 1e6,
        "programming_uj": worn.programming.energy_pj / 1e6, "synops": sim.synops,
        "hidden": float(run.deployed.hidden),
    }


def candidate_rows(results: Results) -> pd.DataFrame:
    """One row per (candidate, replicate) with :data:`NUMBERS`."""
    rows = [{"candidate": name, "replicate": r, **row_of(run)}
            for name, runs in results.runs.items() for r, run in enumerate(runs)]
    return pd.DataFrame(rows)


def summary_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per candidate, ``mean ± std`` over replicates of every number (std with ddof 1; 0 for one
    replicate; an unbounded number shows as ``inf``)."""
    cells = []
    for name, g in rows.groupby("candidate", sort=False):
        row: dict[str, Any] = {"candidate": name}
        for k in NUMBERS:
            v = g[k].to_numpy(dtype=float)
            if np.isinf(v).any():
                row[k] = "inf"
                continue
            sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
            row[k] = f"{v.mean():.4g} ± {sd:.2g}"
        cells.append(row)
    return pd.DataFrame(cells).set_index("candidate")


def means(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean of every number per candidate."""
    return rows.groupby("candidate", sort=False)[list(NUMBERS)].mean()


def pareto_front(table: pd.DataFrame, better_high: str, better_low: str) -> list[str]:
    """Candidates (index of ``table``) that no other candidate beats on both ``better_high``
    (larger is better) and ``better_low`` (smaller is better)."""
    front = []
    for a, ra in table.iterrows():
        dominated = any((rb[better_high] >= ra[better_high]) and (rb[better_low] <= ra[better_low])
                        and ((rb[better_high] > ra[better_high]) or (rb[better_low] < ra[better_low]))
                        for b, rb in table.iterrows() if b != a)
        if not dominated:
            front.append(a)
    return front


def provenance_table() -> pd.DataFrame:
    """:data:`PROVENANCE` as a table: number, model, dominant assumption."""
    return pd.DataFrame([{"number": k, "model": m, "assumption": a} for k, (m, a) in PROVENANCE.items()])


def _mac_sweep(name: str, run: MacRun, f: float) -> list[tuple]:
    """The analog MAC candidate's numbers with each assumption times ``f`` (replicate 0's chip
    instance and noise; the mapping fixed)."""
    d, chip = run.deployed, run.deployed.chip
    t = d.previous
    mac = replace(run.mac, sigma_trial=run.mac.sigma_trial * f)
    scores, _ = run_on_mac(d, t.x_test, mac)
    c = chip.cost
    return [
        (name, "accuracy", "mac.sigma_trial", f, float((scores.argmax(axis=1) == t.y_test).mean())),
        (name, "latency_us", "cost.pass_ns", f, mac_cost(d, replace(c, pass_ns=c.pass_ns * f))[0] / 1e3),
        (name, "energy_nj", "cost.power_w", f, mac_cost(d, replace(c, power_w=c.power_w * f))[1] / 1e3),
        (name, "programming_ms", "cost.write_gbit_s", f,
         mac_programming(d, replace(c, write_gbit_s=c.write_gbit_s * f)).time_ns / 1e6),
        (name, "programming_uj", "cost.write_pj_per_bit", f,
         mac_programming(d, replace(c, write_pj_per_bit=c.write_pj_per_bit * f)).energy_pj / 1e6),
    ]


def _gated_sweep(name: str, run: CandidateRun, cfg: DeploySection, f: float) -> list[tuple]:
    """The gated synapse's lifetime (tau_decay x f) and programming energy (pulse_pj x f)."""
    dev = run.deployed.chip.device
    life = retention_ns(replace(dev, synapse=replace(dev.synapse, tau_decay=dev.synapse.tau_decay * f)))
    placed = run.placed
    g = placed.mapped.graph
    used = g.weight != 0
    pc = gated_programming(g.weight[used], placed.mapping.cell[used, 0], placed.mesh.rows * placed.mesh.cols,
                           replace(dev, pulse_pj=dev.pulse_pj * f), cfg.mapping_seed)
    return [(name, "lifetime", "synapse.tau_decay", f, life / run.timed.latency_ns),
            (name, "programming_uj", "pulse_pj", f, pc.energy_pj / 1e6)]


def sweeps(results: Results, cfg: DeploySection) -> pd.DataFrame:
    """Each number of every candidate (replicate 0) with its dominant assumption multiplied by each
    of ``sweep.factors`` (RRAM lifetime: at each of ``sweep.temperatures``), the trained network,
    the conversion (or MAC mapping) and the placement fixed; the assumptions are
    :data:`PROVENANCE`'s. Columns: candidate, number, assumption, factor (or temperature in K),
    value."""
    rows = []
    rep0 = replicate(cfg, 0)
    for name, runs in results.runs.items():
        run = runs[0]
        if isinstance(run, MacRun):
            for f in cfg.sweep.factors:
                rows += _mac_sweep(name, run, f)
            continue
        chip = run.deployed.chip
        sim, placed, timed = run.simulated, run.placed, run.timed
        n = sim.workload.n_samples
        t = sim.previous.previous
        for f in cfg.sweep.factors:
            steps = max(1, int(round(cfg.n_steps * f)))
            ev = evaluate_network(run.deployed.network, run.deployed.readout, t.ann, t.x_test, t.y_test,
                                  n_steps=steps, dt=cfg.dt, input_rate=cfg.input_rate, kinds=("count",))
            rows.append((name, "accuracy", "n_steps", f, ev["count"]["score"]))
            for number, key, scale in (("energy_nj", "syn_event_pj", 1e3), ("latency_us", "syn_event_ns", 1e3)):
                cost = replace(chip.cost, **{key: getattr(chip.cost, key) * f})
                s = run_policy(timed.load, chip, cost)
                value = s.energy.total_pj / n / scale if number == "energy_nj" else s.makespan_ns / n / scale
                rows.append((name, number, f"cost.{key}", f, value))
            if isinstance(chip.device, GatedSynapseDevice):
                rows += _gated_sweep(name, run, rep0, f)
                continue
            prog = replace(chip.device.programming, pulses_per_cell=chip.device.programming.pulses_per_cell * f)
            pc = programming_cost(cells_per_tile(placed), prog)
            rows.append((name, "programming_uj", "pulses_per_cell", f, pc.energy_pj / 1e6))
            if not isinstance(chip.device, RramDevice):
                law = replace(placed.config.endurance, exponent=placed.config.endurance.exponent * f)
                m = placed.mapping
                moved = rechip(placed.mapped, replace(placed.config, endurance=law))
                rows.append((name, "lifetime", "endurance.exponent", f,
                             evaluate(moved, m.method, m.clustering, m.tile_of, m.maps).lifetime))
        if isinstance(chip.device, RramDevice):
            temps = np.asarray(cfg.sweep.temperatures, dtype=float)
            lives = np.atleast_1d(device_lifetime(placed, chip.device, temps))
            rows += [(name, "lifetime", "temperature_K", float(T), float(v)) for T, v in zip(temps, lives)]
    return pd.DataFrame(rows, columns=["candidate", "number", "assumption", "factor", "value"])


def headline_metrics(rows: pd.DataFrame, results: Results) -> dict[str, float]:
    """``metrics.json``: per candidate the mean and std over replicates of every number
    (``<candidate>_<number>`` and ``..._std``), and the ANN's mean test accuracy. An unbounded
    number (the SRAM lifetime of the analog MAC) is left out and flagged by
    ``<candidate>_<number>_unbounded = 1`` (JSON has no infinity)."""
    out: dict[str, float] = {"ann_accuracy": float(np.mean(results.ann_accuracy)),
                             "n_candidates": float(len(results.runs))}
    for name, g in rows.groupby("candidate", sort=False):
        for k in NUMBERS:
            v = g[k].to_numpy(dtype=float)
            if not np.isfinite(v).all():
                out[f"{name}_{k}_unbounded"] = 1.0
                continue
            out[f"{name}_{k}"] = float(v.mean())
            out[f"{name}_{k}_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return out


def brian_table(results: Results) -> pd.DataFrame:
    """The clock vs Brian2 spike-count check of every candidate's deployed SNN (replicate 0)."""
    return pd.DataFrame([{"candidate": name, **(runs[0].simulated.brian or {})} for name, runs in results.runs.items()
                         if isinstance(runs[0], CandidateRun)])


def flow_notes(results: Results) -> list[str]:
    """What the flow did beyond the plan (extra pruning), per candidate and replicate."""
    return [f"{name}, replicate {r}: {note}" for name, runs in results.runs.items()
            for r, run in enumerate(runs) for note in run.notes]


def numbers_frame(rows: pd.DataFrame, numbers: Sequence[str] = NUMBERS) -> pd.DataFrame:
    """Long form of ``rows`` (candidate, replicate, number, value) for plots."""
    return rows.melt(id_vars=["candidate", "replicate"], value_vars=list(numbers), var_name="number")


def candidates_table(cfg: DeploySection) -> pd.DataFrame:
    """The candidates as a table: kind, constraint family, neuron, device, cores, crossbar, policy."""
    rows = []
    for name, chip in cfg.chips.items():
        if isinstance(chip, AnalogMacChip):
            m = chip.mac
            rows.append({"candidate": name, "kind": chip.kind, "description": chip.description,
                         "family": f"{m.weight_bits}-bit weights, {m.input_bits}-bit inputs (no conversion)",
                         "neuron": "ReLU (ANN)", "device": "SRAM synapses",
                         "cores": f"{chip.cols} columns", "crossbar": f"{m.chunk_rows} signed rows", "sync": "layer "
                         "by layer"})
            continue
        rows.append({"candidate": name, "kind": chip.kind, "description": chip.description,
                     "family": chip.constraints.family, "neuron": f"{chip.neuron.model} ({chip.neuron.reset})",
                     "device": chip.device.kind, "cores": f"{chip.noc.rows}x{chip.noc.cols}",
                     "crossbar": f"{chip.crossbar.n}x{chip.crossbar.n}", "sync": chip.sync})
    return pd.DataFrame(rows).set_index("candidate")


def notes_markdown(results: Results) -> str:
    """The flow's notes (extra pruning) as a Markdown list, or a sentence saying there were none."""
    notes = flow_notes(results)
    if not notes:
        return "Every candidate fitted its cores at the first pruning estimate."
    return "Extra pruning, where the partition needed more cores than the estimate:\n\n" + "\n".join(
        f"* {n}" for n in notes)


def pareto_markdown(rows: pd.DataFrame) -> str:
    """The Pareto fronts (on the means over replicates) as one Markdown sentence each."""
    m = means(rows)
    acc = ", ".join(pareto_front(m, "accuracy", "energy_nj"))
    life = ", ".join(pareto_front(m, "lifetime", "energy_nj"))
    return f"Pareto front, accuracy vs energy: **{acc}**. Lifetime vs energy: **{life}**."
