"""The tables of the conversion report (``notebooks/conversion.ipynb``), from the built models.

:func:`load_study` gathers what every table needs (trained ANNs, converted networks, their
``conversion.json`` entries, the evaluated test samples and the ANNs' scores); each other
function computes one table of the report. Scores are accuracies (classification) or R^2
(regression); ``drop_pp`` is the ANN's score minus the SNN's, in percentage points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...ann import Ann
from ...ann.train import evaluate
from ...network import AvgPool2d, Network
from .evaluate import brian_agreement, evaluate_entry, layer_rate_errors, weight_levels
from .models import eval_split, load_anns, load_entry_network, training_summary
from .params import ConversionSection

MAIN_METHODS = ("lp", "baseline")
"""Methods of the unpruned conversions (pruned ones are ``prune_<selection>``)."""


@dataclass
class Study:
    """Everything the report's tables are computed from.

    ``entries``: ``conversion.json`` entries by name; ``training``: ``training.json`` per
    network; ``tests``: the evaluated ``(x, y)`` per network; ``ann_scores``: each ANN's score
    on them.
    """

    cfg: ConversionSection
    entries: dict[str, dict[str, Any]]
    training: dict[str, dict[str, Any]]
    anns: dict[str, Ann]
    networks: dict[str, Network]
    tests: dict[str, tuple[np.ndarray, np.ndarray]]
    ann_scores: dict[str, float]


def load_study(cfg: ConversionSection, summary: dict[str, Any]) -> Study:
    """The study of the built models; ``summary`` is ``conversion.json`` (``ensure_models``)."""
    entries = summary["entries"]
    anns = load_anns(cfg)
    tests = {kind: eval_split(kind, cfg) for kind in cfg.networks}
    return Study(
        cfg=cfg, entries=entries, training=training_summary(cfg)["networks"], anns=anns,
        networks={name: load_entry_network(cfg, name) for name in entries}, tests=tests,
        ann_scores={kind: evaluate(anns[kind], *tests[kind]) for kind in cfg.networks},
    )


def ann_table(study: Study) -> pd.DataFrame:
    """One row per trained ANN: data, task, layer sizes, train score and evaluated test score."""
    return pd.DataFrame([
        {"network": k, "data": v["data"], "task": v["task"], "layer sizes": "-".join(map(str, v["sizes"])),
         "train score": v["train_score"], "test score": study.ann_scores[k]}
        for k, v in study.training.items()
    ]).set_index("network")


def results_table(study: Study) -> pd.DataFrame:
    """One row per converted network at ``cfg.n_steps``: ``evaluate_entry``'s numbers, the ANN's
    score, ``drop_pp``, solver statuses, largest MIP gap and conversion time (s)."""
    rows = []
    for name, entry in study.entries.items():
        kind = entry["network"]
        x, y = study.tests[kind]
        rows.append({
            "name": name, "network": kind, "family": entry["family"], "method": entry["method"],
            "prune_size": entry.get("prune_size"), "ann_score": study.ann_scores[kind],
            **evaluate_entry(study.networks[name], entry, study.anns[kind], x, y, study.cfg),
            "statuses": ", ".join(f"{k}: {v}" for k, v in entry.get("statuses", {}).items()) or "-",
            "max_mip_gap": entry.get("max_mip_gap"), "convert_seconds": entry["seconds"],
        })
    results = pd.DataFrame(rows)
    results["drop_pp"] = 100 * (results.ann_score - results.score)
    return results


def main_results(results: pd.DataFrame) -> pd.DataFrame:
    """The rows of the unpruned LP and baseline conversions."""
    return results[results.method.isin(list(MAIN_METHODS))]


def residuals_table(study: Study, main: pd.DataFrame) -> pd.DataFrame:
    """Per-layer rate RMSE (Hz, and relative to ``max_rate``) of every LP conversion in ``main``
    on its test samples (``layer_rate_errors``), with its network and family."""
    lp = main[main.method == "lp"]
    return pd.concat(
        [layer_rate_errors(study.networks[r.name], study.entries[r.name], study.anns[r.network],
                           study.tests[r.network][0], study.cfg).assign(network=r.network, family=r.family)
         for r in lp.itertuples()], ignore_index=True)


def steps_sweep(study: Study, main: pd.DataFrame) -> pd.DataFrame:
    """Score and agreement of every conversion in ``main`` for each simulation length (steps) of
    ``evaluate.steps``."""
    sweep = []
    for r in main.itertuples():
        for n_steps in study.cfg.evaluate.steps:
            x, y = study.tests[r.network]
            m = evaluate_entry(study.networks[r.name], study.entries[r.name], study.anns[r.network], x, y,
                               study.cfg, n_steps=n_steps)
            sweep.append({"network": r.network, "family": r.family, "method": r.method, "n_steps": n_steps,
                          "score": m["score"], "agreement": m["agreement"]})
    return pd.DataFrame(sweep)


def brian_table(study: Study) -> pd.DataFrame:
    """Brian2 against the clock simulator for every converted network, on the first
    ``evaluate.brian_samples`` test samples (``brian_agreement``)."""
    n = study.cfg.evaluate.brian_samples
    return pd.DataFrame([
        {"name": name, **brian_agreement(study.networks[name], study.tests[entry["network"]][0][:n], study.cfg)}
        for name, entry in study.entries.items()
    ])


def weight_levels_table(study: Study) -> pd.DataFrame:
    """Integer weight level of every synapse of every non-pooling layer of the unpruned digital
    conversions (LP and baseline): columns network, method, layer, level, family, bits."""
    levels = []
    for name, e in study.entries.items():
        family = study.cfg.families[e["family"]]
        if e["method"] not in MAIN_METHODS or family.family != "digital":
            continue
        for i, layer in enumerate(study.networks[name].layers):
            if isinstance(layer, AvgPool2d):
                continue
            k = weight_levels(study.networks[name], i, e, family.bits)
            levels.append(pd.DataFrame({"network": e["network"], "method": e["method"], "layer": i, "level": k,
                                        "family": e["family"], "bits": family.bits}))
    if not levels:
        return pd.DataFrame(columns=["network", "method", "layer", "level", "family", "bits"])
    return pd.concat(levels, ignore_index=True)


def level_counts(levels: pd.DataFrame) -> pd.DataFrame:
    """Synapses per (network, method, layer, level) of ``weight_levels_table``."""
    return levels.groupby(["network", "method", "layer", "level"]).size().reset_index(name="count")


def pruning_table(study: Study, results: pd.DataFrame) -> pd.DataFrame:
    """The pruned conversions of ``results`` with their selection method, size, selection status
    and time (s), pruned layer and its unpruned width (neurons)."""
    pruned = results[results.method.str.startswith("prune_")].copy()
    pruned["selection"] = pruned.method.str.removeprefix("prune_")
    pruned["prune_size"] = pruned.prune_size.astype(int)
    pruned["selection_status"] = [study.entries[n]["selection_status"] for n in pruned.name]
    pruned["selection_seconds"] = [study.entries[n]["selection_seconds"] for n in pruned.name]
    pruned["prune_layer"] = [study.entries[n]["prune_layer"] for n in pruned.name]
    pruned["layer_width"] = [study.training[k]["sizes"][layer + 1] for k, layer in zip(pruned.network, pruned.prune_layer)]
    return pruned


def headline_metrics(study: Study, main: pd.DataFrame, pruned: pd.DataFrame, brian: pd.DataFrame,
                     targets: pd.DataFrame) -> dict[str, Any]:
    """The report's ``metrics.json``: Brian2 agreement, ANN scores, every unpruned and pruned
    conversion's score (and agreement), and how many claims' targets are met."""
    metrics = {"brian_identical_networks": int(brian.identical.sum()), "networks_converted": len(study.entries)}
    for kind in study.cfg.networks:
        metrics[f"ann_{kind}_score"] = study.ann_scores[kind]
    for r in main.itertuples():
        key = f"{r.network}_{r.family}_{r.method}"
        metrics[f"{key}_score"] = r.score
        metrics[f"{key}_agreement"] = r.agreement
    for r in pruned.itertuples():
        metrics[f"prune_{r.network}_{r.selection}_{r.prune_size}_score"] = r.score
    metrics["targets_met"] = int((targets.met == "yes").sum())
    metrics["targets_total"] = len(targets)
    return metrics
