"""The ``deploy`` report: one row per candidate, Pareto fronts, provenance, sweeps, checks.

The numbers come from :mod:`.results` (``candidate_results``: each candidate's flow over every
replicate, computed by its own DVC stage or on demand):

* :func:`candidate_rows` / :func:`summary_table`: the numbers per (candidate, replicate) and
  their mean and std per candidate; :func:`pareto_front`: the candidates no other beats on two
  numbers;
* :data:`PROVENANCE` / :func:`provenance_table`: which paper's model produced each number and
  which assumption drives it; :func:`sweep_frame`: each number with its dominant assumption moved
  by ``sweep.factors`` (replicate 0, placement and network fixed; :mod:`.sweeps`);
* :func:`headline_metrics`: the flat numbers of ``metrics.json``.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from .chips import AnalogMacChip
from .params import DeploySection
from .results import NUMBERS, CandidateResult
from .sweeps import SWEEP_COLUMNS

__all__ = ["NUMBERS", "PROVENANCE", "brian_table", "candidate_rows", "candidates_table", "headline_metrics",
           "notes_markdown", "pareto_front", "pareto_markdown", "provenance_table", "summary_table", "sweep_frame"]

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


def candidate_rows(results: dict[str, CandidateResult]) -> pd.DataFrame:
    """One row per (candidate, replicate) with :data:`NUMBERS`."""
    rows = [{"candidate": name, "replicate": r, **row}
            for name, result in results.items() for r, row in enumerate(result.rows)]
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


def sweep_frame(results: dict[str, CandidateResult]) -> pd.DataFrame:
    """Every candidate's sweep rows (:func:`.sweeps.candidate_sweep`, replicate 0) as one table:
    candidate, number, assumption, factor (or temperature in K), value."""
    return pd.DataFrame([row for result in results.values() for row in result.sweep], columns=list(SWEEP_COLUMNS))


def headline_metrics(rows: pd.DataFrame, results: dict[str, CandidateResult]) -> dict[str, float]:
    """``metrics.json``: per candidate the mean and std over replicates of every number
    (``<candidate>_<number>`` and ``..._std``), and the ANN's mean test accuracy. An unbounded
    number (the SRAM lifetime of the analog MAC) is left out and flagged by
    ``<candidate>_<number>_unbounded = 1`` (JSON has no infinity)."""
    ann = next(iter(results.values())).ann_accuracy
    out: dict[str, float] = {"ann_accuracy": float(np.mean(ann)), "n_candidates": float(len(results))}
    for name, g in rows.groupby("candidate", sort=False):
        for k in NUMBERS:
            v = g[k].to_numpy(dtype=float)
            if not np.isfinite(v).all():
                out[f"{name}_{k}_unbounded"] = 1.0
                continue
            out[f"{name}_{k}"] = float(v.mean())
            out[f"{name}_{k}_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
    return out


def brian_table(results: dict[str, CandidateResult]) -> pd.DataFrame:
    """The clock vs Brian2 spike-count check of every spiking candidate's deployed SNN
    (replicate 0; the analog MAC runs no SNN)."""
    return pd.DataFrame([{"candidate": name, **(result.brian or {})} for name, result in results.items()
                         if result.spiking])


def flow_notes(results: dict[str, CandidateResult]) -> list[str]:
    """What the flow did beyond the plan (extra pruning), per candidate and replicate."""
    return [f"{name}, {note}" for name, result in results.items() for note in result.notes]


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


def notes_markdown(results: dict[str, CandidateResult]) -> str:
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
