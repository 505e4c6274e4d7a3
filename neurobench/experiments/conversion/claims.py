"""The paper's qualitative claims beside our quantitative targets (``docs/papers/conversion.md`` §11).

Each claim is checked on the steps sweep (``tables.steps_sweep``) at its longest simulation
length, on the pruning table and on the Brian2 check. A row of the targets table is
``{"paper's claim", "our target", "measured", "met"}`` with ``met`` "yes" or "NO". Scores are
accuracies or R^2; drops are in percentage points (pp) of the ANN's score.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import pandas as pd

from ...conversion.constraints import Constraints
from .params import ConversionPruningSection, ConversionSection

ANALOG_MAX_DROP_PP = 1.0
"""Analog LP conversions of the digits networks: largest score drop (pp)."""
ANALOG_MIN_AGREEMENT = 0.98
"""... and smallest agreement with the ANN's decisions (share of samples)."""
DIGITAL_MAX_DROP_PP = 3.0
"""Digital LP conversions of the digits networks: largest score drop (pp)."""
REGRESSION_MAX_R2_DROP = 0.05
"""Analog LP conversion of the regression network: largest drop of R^2."""
PRUNING_MAX_DROP_PP = 2.0
"""Group-LP pruning to about half the hidden layer: largest score drop (pp)."""
DIGITS_NETWORKS = ("mlp", "cnn")


def claim(paper: str, ours: str, measured: str, met: bool) -> dict[str, str]:
    """One row of the targets table."""
    return {"paper's claim": paper, "our target": ours, "measured": measured, "met": "yes" if met else "NO"}


def longest_runs(sweep: pd.DataFrame, n_steps: int) -> pd.DataFrame:
    """The sweep's rows at ``n_steps`` steps (its longest length), indexed by (network, family,
    method)."""
    return sweep[sweep.n_steps == n_steps].set_index(["network", "family", "method"])


def analog_claims(longest: pd.DataFrame, ann_scores: Mapping[str, float], n_steps: int) -> list[dict[str, str]]:
    """Digits networks under the family named ``analog``: within 1 pp of the ANN and >= 98 %
    agreement at ``n_steps`` steps."""
    rows = []
    for kind in DIGITS_NETWORKS:
        if (kind, "analog", "lp") in longest.index:
            r = longest.loc[(kind, "analog", "lp")]
            drop = 100 * (ann_scores[kind] - r.score)
            rows.append(claim("SNN keeps agreement and performance", f"{kind} analog: within 1 pp of the ANN, agreement >= 98 %",
                              f"drop {drop:.2f} pp, agreement {100 * r.agreement:.1f} % (T = {n_steps})",
                              drop <= ANALOG_MAX_DROP_PP and r.agreement >= ANALOG_MIN_AGREEMENT))
    return rows


def digital_claims(longest: pd.DataFrame, ann_scores: Mapping[str, float],
                   families: Mapping[str, Constraints]) -> list[dict[str, str]]:
    """Digits networks under every digital family: within 3 pp of the ANN, and the LP above the
    rounded baseline."""
    rows = []
    for name, spec in families.items():
        if spec.family != "digital":
            continue
        for kind in DIGITS_NETWORKS:
            if (kind, name, "lp") in longest.index:
                r, b = longest.loc[(kind, name, "lp")], longest.loc[(kind, name, "baseline")]
                drop = 100 * (ann_scores[kind] - r.score)
                rows.append(claim("targets digital chips", f"{kind} {spec.bits}-bit: within 3 pp of the ANN",
                                  f"drop {drop:.2f} pp", drop <= DIGITAL_MAX_DROP_PP))
                rows.append(claim("(ours) LP beats the usual conversion", f"{kind} {spec.bits}-bit: LP above the rounded baseline",
                                  f"LP {r.score:.3f} vs baseline {b.score:.3f}", r.score > b.score))
    return rows


def regression_claims(longest: pd.DataFrame, ann_scores: Mapping[str, float],
                      networks: Iterable[str]) -> list[dict[str, str]]:
    """The regression network under ``analog``: R^2 within 0.05 of the ANN's."""
    if "regression" not in networks or ("regression", "analog", "lp") not in longest.index:
        return []
    r = longest.loc[("regression", "analog", "lp")]
    return [claim("three networks convert", "regression analog: R² within 0.05 of the ANN",
                  f"SNN R² {r.score:.3f}, ANN R² {ann_scores['regression']:.3f}",
                  ann_scores["regression"] - r.score <= REGRESSION_MAX_R2_DROP)]


def pruning_claims(pruned: pd.DataFrame, ann_scores: Mapping[str, float], width: int,
                   pruning: ConversionPruningSection) -> list[dict[str, str]]:
    """Pruning of ``pruning.network``'s hidden layer of ``width`` neurons: group-LP pruning to the
    size nearest half costs <= 2 pp (best score at that size), and group-LP selection beats random
    selection (mean score over the sizes)."""
    p = pruning
    part = pruned[(pruned.network == p.network) & pruned.selection.isin(["group_lp", "random", "greedy"])]
    if not len(part):
        return []
    rows = []
    half = min(part.prune_size.unique(), key=lambda k: abs(k - width / 2))
    best = part[part.prune_size == half].groupby("selection").score.max()
    if "group_lp" in best:
        drop = 100 * (ann_scores[p.network] - best["group_lp"])
        rows.append(claim("little loss after pruning", f"{p.network}: group-LP pruning to about half ({half} of {width}) costs <= 2 pp",
                          f"drop {drop:.2f} pp", drop <= PRUNING_MAX_DROP_PP))
    if {"group_lp", "random"} <= set(best.index):
        means = part.groupby("selection").score.mean()
        rows.append(claim("optimal node pruning", f"{p.network}: group-LP selection beats random (mean over sizes)",
                          f"group LP {means['group_lp']:.3f}, greedy {means.get('greedy', float('nan')):.3f}, random {means['random']:.3f}",
                          means["group_lp"] > means["random"]))
    return rows


def brian_claims(brian: pd.DataFrame) -> list[dict[str, str]]:
    """Every converted network gives identical spike counts in Brian2 and the clock simulator."""
    return [claim("(ours) Brian2 agrees", "every converted network: identical spike counts in Brian2",
                  f"{int(brian.identical.sum())} / {len(brian)}", bool(brian.identical.all()))]


def targets_table(sweep: pd.DataFrame, pruned: pd.DataFrame, brian: pd.DataFrame, ann_scores: Mapping[str, float],
                  training: Mapping[str, Any], cfg: ConversionSection) -> pd.DataFrame:
    """All claims with their targets, measured values and whether each is met, in report order.

    ``sweep``: ``tables.steps_sweep``; ``pruned``: ``tables.pruning_table``; ``brian``:
    ``tables.brian_table``; ``training``: ``training.json``'s networks (layer sizes).
    """
    n_steps = max(cfg.evaluate.steps)
    longest = longest_runs(sweep, n_steps)
    rows = analog_claims(longest, ann_scores, n_steps)
    rows += digital_claims(longest, ann_scores, cfg.families)
    rows += regression_claims(longest, ann_scores, cfg.networks)
    if cfg.pruning.network in training:
        width = training[cfg.pruning.network]["sizes"][cfg.pruning.layer + 1]
        rows += pruning_claims(pruned, ann_scores, width, cfg.pruning)
    rows += brian_claims(brian)
    return pd.DataFrame(rows)
