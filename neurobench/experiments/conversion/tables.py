"""The tables of the conversion report (``notebooks/conversion.ipynb``), from the built models.

:func:`load_study` gathers what every table needs, per replicate (trained ANNs, converted
networks, their ``conversion.json`` entries, calibration and evaluated test samples, the ANNs'
scores); each other function computes one table of the report, with a ``seed`` column naming
the replicate. Scores are accuracies (classification) or R^2 (regression); ``drop_pp`` is the
ANN's score minus the SNN's, in percentage points. ``score`` and ``agreement`` are under the
section's read-out (``evaluate.readout``), the same for LP and baseline networks;
``score_<kind>`` and ``agreement_<kind>`` under each read-out kind.

The two loops of independent simulations, :func:`steps_sweep` (one task per conversion) and
:func:`brian_table` (one task per network), run through ``neurobench.executor``: their tables are
the same for every executor kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...ann import Ann
from ...ann.table import ann_row
from ...ann.train import evaluate
from ...conversion.evaluation import READOUTS
from ...executor import ExecutorParams, Session, map_tasks
from ...metrics import table
from ...network import AvgPool2d, Network
from .evaluate import brian_agreement, evaluate_entry, layer_rate_errors, weight_levels
from .models import data_of, eval_split, load_anns, load_entry_network, replicate, training_summary
from .params import ConversionSection

MAIN_METHODS = ("lp", "baseline")
"""Methods of the unpruned conversions (pruned ones are ``prune_<selection>``)."""


@dataclass
class Replicate:
    """Everything of replicate ``r`` the report's tables are computed from.

    ``cfg``: the section with the replicate's seeds (``models.replicate``); ``entries``: its
    ``conversion.json`` entries by name; ``training``: its ``training.json`` networks;
    ``tests``: the evaluated ``(x, y)`` per network; ``calibration``: the calibration inputs per
    network; ``ann_scores``: each ANN's score on its test samples.
    """

    r: int
    cfg: ConversionSection
    entries: dict[str, dict[str, Any]]
    training: dict[str, dict[str, Any]]
    anns: dict[str, Ann]
    networks: dict[str, Network]
    tests: dict[str, tuple[np.ndarray, np.ndarray]]
    calibration: dict[str, np.ndarray]
    ann_scores: dict[str, float]


@dataclass
class Study:
    """The section and its replicates."""

    cfg: ConversionSection
    replicates: list[Replicate]


def load_replicate(cfg: ConversionSection, r: int, summary: dict[str, Any], training: dict[str, Any]) -> Replicate:
    """Replicate ``r`` of the built models; ``summary`` is ``conversion.json``, ``training``
    ``training.json``."""
    rep = replicate(cfg, r)
    entries = summary["replicates"][r]["entries"]
    anns = load_anns(cfg, r)
    tests = {kind: eval_split(kind, rep) for kind in cfg.networks}
    return Replicate(
        r=r, cfg=rep, entries=entries, training=training["replicates"][r]["networks"], anns=anns,
        networks={name: load_entry_network(cfg, r, name) for name in entries}, tests=tests,
        calibration={kind: data_of(kind, rep)[0][: cfg.calibration_samples] for kind in cfg.networks},
        ann_scores={kind: evaluate(anns[kind], *tests[kind]) for kind in cfg.networks},
    )


def load_study(cfg: ConversionSection, summary: dict[str, Any]) -> Study:
    """The study of the built models; ``summary`` is ``conversion.json`` (``ensure_models``)."""
    training = training_summary(cfg)
    return Study(cfg, [load_replicate(cfg, r, summary, training) for r in range(cfg.n_seeds)])


def ann_scores(study: Study) -> pd.DataFrame:
    """Each replicate's ANN test scores: columns seed, network, ann_score."""
    return pd.DataFrame([{"seed": rep.r, "network": k, "ann_score": v}
                         for rep in study.replicates for k, v in rep.ann_scores.items()])


def ann_table(study: Study) -> pd.DataFrame:
    """One row per trained ANN and replicate: data, task, layer sizes, train and test score."""
    return pd.DataFrame([
        {"seed": rep.r, "network": k, "data": v["data"], "task": v["task"], "layer sizes": "-".join(map(str, v["sizes"])),
         "train score": v["train_score"], "test score": rep.ann_scores[k]}
        for rep in study.replicates for k, v in rep.training.items()
    ])


def _flatten(result: dict[str, Any], readout: str) -> dict[str, Any]:
    """``evaluate_entry``'s nested result as flat columns: ``score``/``agreement`` under
    ``readout``, ``score_<kind>``/``agreement_<kind>`` under every kind, and the rest."""
    flat = {k: v for k, v in result.items() if k not in READOUTS}
    for kind in READOUTS:
        flat[f"score_{kind}"], flat[f"agreement_{kind}"] = result[kind]["score"], result[kind]["agreement"]
    flat["score"], flat["agreement"] = result[readout]["score"], result[readout]["agreement"]
    return flat


def _solver_method(study: Study, family: str) -> str:
    spec = study.cfg.families[family]
    return getattr(spec, "method", None) or getattr(spec, "m_step", None) or "lp"


def results_table(study: Study, neurobench: dict[str, list[dict]] | None = None) -> pd.DataFrame:
    """One row per converted network and replicate at ``cfg.n_steps``: ``evaluate_entry``'s
    numbers, the ANN's score, ``drop_pp``, the family's solver method, solver statuses, largest
    MIP gap and conversion time (s).

    ``neurobench``: a dict that receives, from the same runs, the NeuroBench-style rows
    (:func:`neurobench_snn_row`) of the unpruned LP and baseline networks, one per replicate
    under ``<network>/<family>/<method>``."""
    rows = []
    for rep in study.replicates:
        for name, entry in rep.entries.items():
            kind = entry["network"]
            x, y = rep.tests[kind]
            result = evaluate_entry(rep.networks[name], entry, rep.anns[kind], x, y, rep.cfg,
                                    keep_record=neurobench is not None)
            record = result.pop("record", None)
            if neurobench is not None and entry["method"] in MAIN_METHODS:
                neurobench.setdefault(f"{kind}/{entry['family']}/{entry['method']}", []).append(
                    neurobench_snn_row(record, rep.networks[name], y, rep.anns[kind], study.cfg))
            rows.append({
                "seed": rep.r, "name": name, "network": kind, "family": entry["family"], "method": entry["method"],
                "solver": _solver_method(study, entry["family"]) if entry["method"] != "baseline" else "normalisation",
                "prune_size": entry.get("prune_size"), "ann_score": rep.ann_scores[kind],
                **_flatten(result, study.cfg.evaluate.readout),
                "statuses": ", ".join(f"{k}: {v}" for k, v in entry.get("statuses", {}).items()) or "-",
                "max_mip_gap": entry.get("max_mip_gap"), "convert_seconds": entry["seconds"],
            })
    results = pd.DataFrame(rows)
    results["drop_pp"] = 100 * (results.ann_score - results.score)
    return results


def neurobench_snn_row(record, network: Network, y: np.ndarray, ann: Ann, cfg: ConversionSection) -> dict:
    """The ``clock SNN`` row of a converted network's evaluation run (``record``) on test labels
    ``y``: accuracy is the argmax of the output spike counts (NeuroBench's convention, not the
    report's score, which uses ``cfg.evaluate.readout`` and our tie rule); a regression network
    has none (NaN)."""
    if ann.task != "classification":
        return table.clock_metrics(record, None, network)
    note = table.ARGMAX_NOTE + ("" if cfg.evaluate.readout == "count" else
                                f"; the report's score uses the {cfg.evaluate.readout} read-out")
    return table.clock_metrics(record, y, network, note=note)


def neurobench_rows(study: Study, snn_rows: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Rows of the report's NeuroBench-style table: ``<network>/ann``, each trained ANN on its
    test samples (``neurobench.ann.table.ann_row``, one run of the ANN per replicate), then the
    converted networks' rows ``snn_rows`` that :func:`results_table` collected."""
    rows: dict[str, list[dict]] = {}
    for rep in study.replicates:
        for kind, ann in rep.anns.items():
            rows.setdefault(f"{kind}/ann", []).append(ann_row(ann, *rep.tests[kind]))
    return rows | dict(snn_rows)


def main_results(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of the unpruned LP and baseline conversions."""
    return results[results.method.isin(list(MAIN_METHODS))]


def mean_std(frame: pd.DataFrame, by: list[str], columns: list[str]) -> pd.DataFrame:
    """Mean and sample std (ddof 1; 0 for one seed) over seeds of ``columns`` grouped ``by``:
    columns ``<c>_mean``, ``<c>_std`` and ``seeds``."""
    g = frame.groupby(by, sort=False)
    out = g[columns].mean().add_suffix("_mean").join(g[columns].std(ddof=1).fillna(0.0).add_suffix("_std"))
    out["seeds"] = g.size()
    return out[[f"{c}_{s}" for c in columns for s in ("mean", "std")] + ["seeds"]].reset_index()


def milp_table(results: pd.DataFrame) -> pd.DataFrame:
    """The digital conversions of ``results`` (unpruned LP rows) by solver method: statuses,
    largest MIP gap, score and conversion time, so that the exact MILP path is shown beside
    the rounding heuristics."""
    part = results[(results.method == "lp") & results.solver.isin(["milp", "iterative", "round"])]
    return part[["seed", "network", "family", "solver", "statuses", "max_mip_gap", "score", "agreement", "convert_seconds"]]


def residuals_table(study: Study, main: pd.DataFrame, r: int = 0) -> pd.DataFrame:
    """Per-layer rate RMSE of every LP conversion of replicate ``r`` in ``main``, in % of
    ``max_rate``, on its calibration rows (what the solver fitted) and on its held-out test
    samples (``layer_rate_errors``), beside the layer's calibration objective."""
    rep = study.replicates[r]
    lp = main[(main.method == "lp") & (main.seed == r)]
    frames = []
    for row in lp.itertuples():
        args = (rep.networks[row.name], rep.entries[row.name], rep.anns[row.network])
        test = layer_rate_errors(*args, rep.tests[row.network][0], rep.cfg)
        cal = layer_rate_errors(*args, rep.calibration[row.network], rep.cfg)
        test = test.assign(network=row.network, family=row.family,
                           calibration_rmse_pct=100 * cal.relative_rmse.to_numpy(), test_rmse_pct=100 * test.relative_rmse)
        frames.append(test)
    if not frames:
        return pd.DataFrame(columns=["network", "family", "layer", "kind", "neurons", "rows", "objective",
                                     "calibration_rmse_pct", "test_rmse_pct"])
    return pd.concat(frames, ignore_index=True)[["network", "family", "layer", "kind", "neurons", "rows", "objective",
                                                 "calibration_rmse_pct", "test_rmse_pct"]]


def penalty_table(study: Study, results: pd.DataFrame) -> pd.DataFrame:
    """The weight-penalty sweep (replicate 0): per penalty, the mean over layers of the
    calibration and test rate RMSE (% of ``max_rate``), the score and the agreement."""
    rep = study.replicates[0]
    rows = []
    for row in results[(results.method == "penalty") & (results.seed == 0)].itertuples():
        args = (rep.networks[row.name], rep.entries[row.name], rep.anns[row.network])
        test = layer_rate_errors(*args, rep.tests[row.network][0], rep.cfg)
        cal = layer_rate_errors(*args, rep.calibration[row.network], rep.cfg)
        rows.append({"network": row.network, "family": row.family, "weight_penalty": rep.entries[row.name]["weight_penalty"],
                     "calibration_rmse_pct": 100 * float(cal.relative_rmse.mean()),
                     "test_rmse_pct": 100 * float(test.relative_rmse.mean()),
                     "score": row.score, "agreement": row.agreement})
    return pd.DataFrame(rows, columns=["network", "family", "weight_penalty", "calibration_rmse_pct", "test_rmse_pct",
                                       "score", "agreement"])


def steps_task(task: tuple[Network, dict[str, Any], Ann, np.ndarray, np.ndarray, ConversionSection, tuple[int, ...]]
               ) -> list[dict[str, Any]]:
    """Task of :func:`steps_sweep`: ``evaluate_entry`` of one conversion ``(network, entry, ann,
    x, y, cfg, steps)`` for each simulation length in ``steps`` (pure: parameters in, metrics out)."""
    network, entry, ann, x, y, cfg, steps = task
    return [evaluate_entry(network, entry, ann, x, y, cfg, n_steps=n_steps) for n_steps in steps]


def steps_sweep(study: Study, main: pd.DataFrame, executor: ExecutorParams | Session = ExecutorParams()) -> pd.DataFrame:
    """Score, agreement and near-tie share of every conversion in ``main`` for each simulation
    length (steps) of ``evaluate.steps`` under each read-out kind: columns seed, network, family,
    method, n_steps, readout, score, agreement, near_tie. One task per conversion
    (:func:`steps_task`) through ``executor``."""
    reps = {rep.r: rep for rep in study.replicates}
    steps = tuple(int(n) for n in study.cfg.evaluate.steps)
    rows = list(main.itertuples())
    tasks = []
    for r in rows:
        rep = reps[r.seed]
        x, y = rep.tests[r.network]
        tasks.append((rep.networks[r.name], rep.entries[r.name], rep.anns[r.network], x, y, rep.cfg, steps))
    sweep = []
    for r, runs in zip(rows, map_tasks(steps_task, tasks, executor, "conversion: steps sweep")):
        for n_steps, m in zip(steps, runs):
            for kind in READOUTS:
                sweep.append({"seed": r.seed, "network": r.network, "family": r.family, "method": r.method,
                              "n_steps": n_steps, "readout": kind, "score": m[kind]["score"],
                              "agreement": m[kind]["agreement"], "near_tie": m["near_tie"]})
    return pd.DataFrame(sweep)


def brian_task(task: tuple[Network, np.ndarray, ConversionSection]) -> dict[str, Any]:
    """Task of :func:`brian_table`: ``brian_agreement(network, x, cfg)`` of one network (pure:
    parameters in, spike-count comparison out)."""
    return brian_agreement(*task)


def brian_table(study: Study, executor: ExecutorParams | Session = ExecutorParams()) -> pd.DataFrame:
    """Brian2 against the clock simulator for every converted network of every replicate, on the
    first ``evaluate.brian_samples`` test samples (``brian_agreement``), one task per network
    (:func:`brian_task`) through ``executor``. With ``evaluate.brian_target = "cython"`` every
    worker compiles into Brian2's shared cache (its file lock serialises the writes)."""
    n = study.cfg.evaluate.brian_samples
    keys = [(rep, name, entry) for rep in study.replicates for name, entry in rep.entries.items()]
    tasks = [(rep.networks[name], rep.tests[entry["network"]][0][:n], rep.cfg) for rep, name, entry in keys]
    results = map_tasks(brian_task, tasks, executor, "conversion: Brian2 checks")
    return pd.DataFrame([{"seed": rep.r, "name": name, **res} for (rep, name, _), res in zip(keys, results)])


def weight_levels_table(study: Study, r: int = 0) -> pd.DataFrame:
    """Integer weight level of every synapse of every non-pooling layer of the unpruned digital
    conversions (LP and baseline) of replicate ``r``: columns network, method, layer, level,
    family, bits."""
    rep = study.replicates[r]
    levels = []
    for name, e in rep.entries.items():
        family = study.cfg.families[e["family"]]
        if e["method"] not in MAIN_METHODS or family.family != "digital":
            continue
        for i, layer in enumerate(rep.networks[name].layers):
            if isinstance(layer, AvgPool2d):
                continue
            k = weight_levels(rep.networks[name], i, e, family.bits)
            levels.append(pd.DataFrame({"network": e["network"], "method": e["method"], "layer": i, "level": k,
                                        "family": e["family"], "bits": family.bits}))
    if not levels:
        return pd.DataFrame(columns=["network", "method", "layer", "level", "family", "bits"])
    return pd.concat(levels, ignore_index=True)


def level_counts(levels: pd.DataFrame) -> pd.DataFrame:
    """Synapses per (family, network, method, layer, level) of ``weight_levels_table``."""
    return levels.groupby(["family", "network", "method", "layer", "level"]).size().reset_index(name="count")


def pruning_table(study: Study, results: pd.DataFrame) -> pd.DataFrame:
    """The pruned conversions of ``results`` with their selection method, size, selection status
    and time (s), pruned layer and its unpruned width (neurons)."""
    pruned = results[results.method.str.startswith("prune_")].copy()
    reps = {rep.r: rep for rep in study.replicates}
    pruned["selection"] = pruned.method.str.removeprefix("prune_")
    pruned["prune_size"] = pruned.prune_size.astype(int)
    info = [reps[s].entries[n] for s, n in zip(pruned.seed, pruned.name)]
    pruned["selection_status"] = [e["selection_status"] for e in info]
    pruned["selection_seconds"] = [e["selection_seconds"] for e in info]
    pruned["prune_layer"] = [e["prune_layer"] for e in info]
    pruned["layer_width"] = [reps[s].training[k]["sizes"][layer + 1]
                             for s, k, layer in zip(pruned.seed, pruned.network, pruned.prune_layer)]
    return pruned


def headline_metrics(study: Study, main: pd.DataFrame, pruned: pd.DataFrame, brian: pd.DataFrame) -> dict[str, Any]:
    """The report's ``metrics.json`` besides the claims: Brian2 agreement (all replicates), the
    ANN scores and every unpruned and pruned conversion's score (and agreement under both
    read-outs, and near-tie share) as means over the replicates; ``n_seeds``."""
    metrics: dict[str, Any] = {"n_seeds": study.cfg.n_seeds, "brian_identical_networks": int(brian.identical.sum()),
                               "networks_converted": len(brian)}
    scores = ann_scores(study).groupby("network", sort=False).ann_score.mean()
    for kind in study.cfg.networks:
        metrics[f"ann_{kind}_score"] = float(scores[kind])
    columns = ["score", "agreement"] + [f"{m}_{k}" for k in READOUTS for m in ("score", "agreement")] + ["near_tie"]
    for (network, family, method), g in main.groupby(["network", "family", "method"], sort=False):
        key = f"{network}_{family}_{method}"
        for c in columns:
            metrics[f"{key}_{c}"] = float(g[c].mean())
    for (network, selection, size), g in pruned.groupby(["network", "selection", "prune_size"], sort=False):
        metrics[f"prune_{network}_{selection}_{size}_score"] = float(g.score.mean())
    return metrics
