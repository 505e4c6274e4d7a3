"""The paper's qualitative claims beside our quantitative targets (``docs/papers/conversion.md`` §11),
as :class:`neurobench.claims.Claim` rows measured once per replicate.

Every claim is measured on the steps sweep (``tables.steps_sweep``) at its longest simulation
length under the section's read-out (``evaluate.readout``, the same for LP and baseline
networks), on the pruning table and on the Brian2 check. The abstract gives no numbers, so
``paper`` is None throughout and every target is ours. Scores are accuracies or R^2; drops and
margins are in percentage points (pp) of accuracy.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from ...claims import Claim
from ...conversion.constraints import Constraints
from .params import ConversionPruningSection, ConversionSection

SOURCE = "Mern et al. 2018, abstract"
ANALOG_MAX_DROP_PP = 1.0
"""Analog LP conversions of the digits networks: largest score drop (pp)."""
ANALOG_MIN_AGREEMENT_PCT = 98.0
"""... and smallest agreement with the ANN's decisions (% of samples)."""
DIGITAL_MAX_DROP_PP = 3.0
"""Digital LP conversions of the digits networks: largest score drop (pp)."""
LP_MIN_MARGIN_PP = 0.5
"""Digital LP conversion above the rounded baseline by at least this (pp; about two test samples
of the digits test split), so that a tie is not counted as a win."""
REGRESSION_MAX_R2_DROP = 0.05
"""Analog LP conversion of the regression network: largest drop of R^2."""
PRUNING_MAX_DROP_PP = 2.0
"""Group-LP pruning to about half the hidden layer: largest score drop (pp)."""
PRUNING_MIN_MARGIN_PP = 0.0
"""Group-LP selection against random selection: smallest margin of the mean score (pp)."""
DIGITS_NETWORKS = ("mlp", "cnn")
STAND_IN = "stand-in network (the paper's networks are unknown); our threshold, the abstract gives no number"


def longest_runs(sweep: pd.DataFrame, n_steps: int, readout: str) -> pd.DataFrame:
    """The sweep's rows at ``n_steps`` steps under ``readout``, indexed by (network, family,
    method, seed)."""
    part = sweep[(sweep.n_steps == n_steps) & (sweep.readout == readout)]
    return part.set_index(["network", "family", "method", "seed"]).sort_index()


def _series(longest: pd.DataFrame, key: tuple[str, str, str], column: str) -> pd.Series | None:
    """``column`` of ``longest`` at (network, family, method), by seed; None when absent."""
    if key not in longest.index.droplevel("seed"):
        return None
    return longest.xs(key, level=("network", "family", "method"))[column]


def _ann(ann_scores: pd.DataFrame, kind: str) -> pd.Series:
    """ANN scores of network ``kind`` by seed (``tables.ann_scores``)."""
    return ann_scores[ann_scores.network == kind].set_index("seed").ann_score


def _claim(measured: pd.Series, **kwargs) -> Claim:
    return Claim(measured=tuple(float(v) for v in measured.to_numpy()),
                 seeds=tuple(int(s) for s in measured.index), **kwargs)


def analog_claims(longest: pd.DataFrame, ann_scores: pd.DataFrame, n_steps: int, readout: str) -> list[Claim]:
    """Digits networks under the family named ``analog``: drop <= 1 pp, agreement >= 98 %, and
    the near-tie share beside the agreement (informational)."""
    rows = []
    for kind in DIGITS_NETWORKS:
        score = _series(longest, (kind, "analog", "lp"), "score")
        if score is None:
            continue
        agreement = _series(longest, (kind, "analog", "lp"), "agreement")
        near_tie = _series(longest, (kind, "analog", "lp"), "near_tie")
        setup = f"{kind}, analog chip, T = {n_steps} steps, {readout} read-out"
        rows += [
            _claim(100 * (_ann(ann_scores, kind) - score).dropna(), key=f"{kind}_analog_drop_pp", unit="pp",
                   statement=f"converted SNN performs excellently: accuracy drop vs the ANN ({setup})", source=SOURCE,
                   target=ANALOG_MAX_DROP_PP, higher_is_better=False, note=STAND_IN),
            _claim(100 * agreement, key=f"{kind}_analog_agreement_pct", unit="%",
                   statement=f"converted SNN maintains agreement with the ANN ({setup})", source=SOURCE,
                   target=ANALOG_MIN_AGREEMENT_PCT, note=STAND_IN + "; agreement = share of test samples with the "
                   "ANN's decision (our definition)"),
            _claim(100 * near_tie, key=f"{kind}_analog_near_tie_pct", unit="%",
                   statement=f"near ties beside the agreement: top-two ANN logits closer than one output spike ({setup})",
                   source="ours", note="informational: disagreement on these samples is quantisation by the run length"),
        ]
    return rows


def digital_claims(longest: pd.DataFrame, ann_scores: pd.DataFrame, families: Mapping[str, Constraints],
                   n_steps: int, readout: str) -> list[Claim]:
    """Digits networks under every digital family: drop <= 3 pp, and the LP above the rounded
    baseline by at least ``LP_MIN_MARGIN_PP``."""
    rows = []
    for name, spec in families.items():
        if spec.family != "digital":
            continue
        for kind in DIGITS_NETWORKS:
            lp = _series(longest, (kind, name, "lp"), "score")
            if lp is None:
                continue
            setup = f"{kind}, {spec.bits}-bit digital chip ({name}, {spec.method}), T = {n_steps} steps, {readout} read-out"
            rows.append(_claim(100 * (_ann(ann_scores, kind) - lp).dropna(), key=f"{kind}_{name}_drop_pp", unit="pp",
                               statement=f"SNN for a digital chip performs close to the ANN: drop ({setup})",
                               source=SOURCE, target=DIGITAL_MAX_DROP_PP, higher_is_better=False, note=STAND_IN))
            base = _series(longest, (kind, name, "baseline"), "score")
            if base is not None:
                rows.append(_claim(100 * (lp - base).dropna(), key=f"{kind}_{name}_lp_minus_baseline_pp", unit="pp",
                                   statement=f"LP conversion beats the usual conversion (data normalisation, weights "
                                             f"rounded to the grid): score margin ({setup})",
                                   source="ours", target=LP_MIN_MARGIN_PP,
                                   note="our claim; both networks read out alike, same T, same encoder"))
    return rows


def regression_claims(longest: pd.DataFrame, ann_scores: pd.DataFrame, networks: Iterable[str],
                      n_steps: int, readout: str) -> list[Claim]:
    """The regression network under ``analog``: R^2 drop <= 0.05."""
    score = _series(longest, ("regression", "analog", "lp"), "score") if "regression" in networks else None
    if score is None:
        return []
    return [_claim((_ann(ann_scores, "regression") - score).dropna(), key="regression_analog_r2_drop", unit="R²",
                   statement=f"all three networks convert: R² drop of the regression network (analog chip, "
                             f"T = {n_steps} steps, {readout} read-out)", source=SOURCE,
                   target=REGRESSION_MAX_R2_DROP, higher_is_better=False,
                   note="stand-in regression network (diabetes); our threshold")]


def pruning_claims(pruned: pd.DataFrame, ann_scores: pd.DataFrame, width: int,
                   pruning: ConversionPruningSection) -> list[Claim]:
    """Pruning of ``pruning.network``'s hidden layer of ``width`` neurons: group-LP pruning to the
    size nearest half costs <= 2 pp, and group-LP selection beats random selection (mean score
    over the sizes), each per seed."""
    p = pruning
    part = pruned[(pruned.network == p.network) & pruned.selection.isin(["group_lp", "random", "greedy"])]
    if not len(part):
        return []
    rows = []
    half = min(part.prune_size.unique(), key=lambda k: abs(k - width / 2))
    at_half = part[part.prune_size == half].groupby(["selection", "seed"]).score.max()
    if "group_lp" in at_half.index.get_level_values("selection"):
        drop = 100 * (_ann(ann_scores, p.network) - at_half["group_lp"]).dropna()
        rows.append(_claim(drop, key="pruning_half_drop_pp", unit="pp",
                           statement=f"little loss after optimal node pruning: drop at {half} of {width} hidden "
                                     f"neurons ({p.network}, group LP)", source=SOURCE, target=PRUNING_MAX_DROP_PP,
                           higher_is_better=False, note=STAND_IN + "; our pruning criterion (the paper's is unknown)"))
    means = part.groupby(["selection", "seed"]).score.mean()
    selections = set(means.index.get_level_values("selection"))
    if {"group_lp", "random"} <= selections:
        rows.append(_claim(100 * (means["group_lp"] - means["random"]).dropna(), key="pruning_group_lp_minus_random_pp",
                           unit="pp", statement=f"optimal node pruning: group-LP selection above random selection "
                                                f"(mean score over the sizes, {p.network})",
                           source=SOURCE, target=PRUNING_MIN_MARGIN_PP, note="our criterion and baseline"))
    return rows


def brian_claims(brian: pd.DataFrame) -> list[Claim]:
    """Every converted network gives identical spike counts in Brian2 and the clock simulator
    (share of networks, per seed)."""
    share = brian.groupby("seed").identical.mean()
    return [_claim(share, key="brian_identical_share", unit="fraction", source="ours", target=1.0,
                   statement="every converted network gives identical spike counts in Brian2 and our simulator",
                   note="first evaluate.brian_samples test samples of each network")]


def conversion_claims(sweep: pd.DataFrame, pruned: pd.DataFrame, brian: pd.DataFrame, ann_scores: pd.DataFrame,
                      widths: Mapping[str, list[int]], cfg: ConversionSection) -> list[Claim]:
    """All claims of the report, in report order.

    ``sweep``: ``tables.steps_sweep``; ``pruned``: ``tables.pruning_table``; ``brian``:
    ``tables.brian_table``; ``ann_scores``: ``tables.ann_scores``; ``widths``: layer sizes of
    each network (``training.json``).
    """
    n_steps, readout = max(cfg.evaluate.steps), cfg.evaluate.readout
    longest = longest_runs(sweep, n_steps, readout)
    rows = analog_claims(longest, ann_scores, n_steps, readout)
    rows += digital_claims(longest, ann_scores, cfg.families, n_steps, readout)
    rows += regression_claims(longest, ann_scores, cfg.networks, n_steps, readout)
    if cfg.pruning.network in widths:
        rows += pruning_claims(pruned, ann_scores, widths[cfg.pruning.network][cfg.pruning.layer + 1], cfg.pruning)
    rows += brian_claims(brian)
    return rows

