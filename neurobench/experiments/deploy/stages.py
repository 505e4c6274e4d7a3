"""The ``deploy`` stage: every candidate over every replicate, one row per candidate, sweeps.

* :func:`run_replicates`: the flow (``neurobench.experiments.deploy.flow``) for every computed
  candidate and replicate; replicate 0 also runs the Brian2 check and writes the NIR files;
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
from ...hardware.programming import programming_cost
from ...mapping.espine import evaluate, rechip
from ...progress import track
from ...schema import replace
from .chips import RramDevice
from .flow import CandidateRun, cells_per_tile, deploy_candidate, device_lifetime, replicate, run_policy, train_network
from .params import DeploySection

__all__ = ["NUMBERS", "PROVENANCE", "Results", "candidate_rows", "headline_metrics", "pareto_front",
           "provenance_table", "run_replicates", "summary_table", "sweeps"]

NUMBERS = ("accuracy", "agreement", "latency_us", "energy_nj", "lifetime", "programming_ms", "programming_uj",
           "synops", "hidden")
"""The numbers of a candidate's row (units in the names: us, nJ, ms, uJ per inference or per programming)."""

PROVENANCE: dict[str, tuple[str, str]] = {
    "accuracy": ("Mern et al. 2018 layer-wise LP conversion (neurobench.conversion), clock simulator",
                 "n_steps: the rate-code window per inference"),
    "agreement": ("same as accuracy: share of test samples with the ANN's decision", "n_steps"),
    "latency_us": ("Chen et al. 2024 many-core model, our reconstruction (neurobench.hardware.multicore) on the "
                   "eSpine/SpiNeMap placement", "cost.syn_event_ns [inferred]"),
    "energy_nj": ("Chen et al. 2024 many-core model, our reconstruction (compute, spike packets, tokens, static)",
                  "cost.syn_event_pj [inferred]"),
    "lifetime": ("PCM: eSpine write endurance (power law, [inferred]); RRAM: Song, Titirsha & Das read "
                 "disturb (our form, [inferred])", "PCM: endurance.exponent; RRAM: chip temperature"),
    "programming_ms": ("ours: write-and-verify, one cell per crossbar at a time (neurobench.hardware.programming)",
                       "device.programming.pulses_per_cell [inferred]"),
    "programming_uj": ("ours: write-and-verify pulses times pulse + verify energy",
                       "device.programming.pulses_per_cell [inferred]"),
    "synops": ("NeuroBench Effective_ACs per inference (neurobench.metrics.activity.synaptic_operations)",
               "n_steps (spikes grow with the window)"),
}
"""Number -> (the model that produced it, the assumption that drives it)."""


@dataclass
class Results:
    """Every candidate's flow output per replicate (``runs[name][r]``), and the pending ones."""

    runs: dict[str, list[CandidateRun]] = field(default_factory=dict)
    ann_accuracy: list[float] = field(default_factory=list)
    pending: dict[str, str] = field(default_factory=dict)


def run_replicates(cfg: DeploySection, nir_dir: str | Path | None = None) -> Results:
    """Train the network of every replicate and deploy it on every computed candidate."""
    out = Results(pending=cfg.pending())
    for r in track(range(cfg.n_seeds), "deploy: replicates"):
        rep = replicate(cfg, r)
        trained = train_network(rep)
        out.ann_accuracy.append(trained.test_accuracy)
        for name, chip in cfg.computed().items():
            nir = Path(nir_dir) / f"{name}.nir" if (nir_dir is not None and r == 0) else None
            run = deploy_candidate(trained, name, chip, rep, brian=r == 0, nir_path=nir)
            out.runs.setdefault(name, []).append(run)
    return out


def row_of(run: CandidateRun) -> dict[str, float]:
    """One candidate's numbers from one replicate (see :data:`NUMBERS`)."""
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


def summary_table(rows: pd.DataFrame, cfg: DeploySection | None = None) -> pd.DataFrame:
    """Per candidate, ``mean ± std`` over replicates of every number (std with ddof 1; 0 for one
    replicate), plus the pending candidates with their reason."""
    cells = []
    for name, g in rows.groupby("candidate", sort=False):
        row: dict[str, Any] = {"candidate": name}
        for k in NUMBERS:
            v = g[k].to_numpy(dtype=float)
            sd = float(v.std(ddof=1)) if len(v) > 1 else 0.0
            row[k] = f"{v.mean():.4g} ± {sd:.2g}"
        cells.append(row)
    if cfg is not None:
        cells += [{"candidate": name, "accuracy": f"pending: {why}"} for name, why in cfg.pending().items()]
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


def sweeps(results: Results, cfg: DeploySection) -> pd.DataFrame:
    """Each number of every candidate (replicate 0) with its dominant assumption multiplied by each
    of ``sweep.factors`` (RRAM lifetime: at each of ``sweep.temperatures``), the trained network,
    the conversion and the placement fixed. Columns: candidate, number, assumption, factor (or
    temperature in K), value."""
    rows = []
    for name, runs in results.runs.items():
        run = runs[0]
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
    (``<candidate>_<number>`` and ``..._std``), and the ANN's mean test accuracy."""
    out: dict[str, float] = {"ann_accuracy": float(np.mean(results.ann_accuracy)),
                             "n_candidates": float(len(results.runs)), "n_pending": float(len(results.pending))}
    for name, g in rows.groupby("candidate", sort=False):
        for k in NUMBERS:
            v = g[k].to_numpy(dtype=float)
            out[f"{name}_{k}"] = float(v.mean())
            out[f"{name}_{k}_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return out


def brian_table(results: Results) -> pd.DataFrame:
    """The clock vs Brian2 spike-count check of every candidate's deployed SNN (replicate 0)."""
    return pd.DataFrame([{"candidate": name, **(runs[0].simulated.brian or {})} for name, runs in results.runs.items()])


def flow_notes(results: Results) -> list[str]:
    """What the flow did beyond the plan (extra pruning), per candidate and replicate."""
    return [f"{name}, replicate {r}: {note}" for name, runs in results.runs.items()
            for r, run in enumerate(runs) for note in run.notes]


def numbers_frame(rows: pd.DataFrame, numbers: Sequence[str] = NUMBERS) -> pd.DataFrame:
    """Long form of ``rows`` (candidate, replicate, number, value) for plots."""
    return rows.melt(id_vars=["candidate", "replicate"], value_vars=list(numbers), var_name="number")


def candidates_table(cfg: DeploySection) -> pd.DataFrame:
    """The candidates as a table: kind, constraint family, device, cores, crossbar, policy, status."""
    rows = []
    for name, chip in cfg.chips.items():
        if chip.kind != "spiking":
            rows.append({"candidate": name, "kind": chip.kind, "description": chip.description,
                         "status": f"pending: {chip.pending}"})
            continue
        rows.append({"candidate": name, "kind": chip.kind, "description": chip.description,
                     "family": chip.constraints.family, "neuron": f"{chip.neuron.model} ({chip.neuron.reset})",
                     "device": chip.device.kind, "cores": f"{chip.noc.rows}x{chip.noc.cols}",
                     "crossbar": f"{chip.crossbar.n}x{chip.crossbar.n}", "sync": chip.sync,
                     "status": f"pending: {chip.pending}" if chip.pending else "computed"})
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
