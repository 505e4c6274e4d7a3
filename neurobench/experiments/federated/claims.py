"""FL-SNN's claims beside our measurements (``neurobench.claims.Claim`` rows) and the headline
numbers of ``metrics.json``.

The papers give no accuracy table that is available (spec §3.2, §5): the claims are qualitative
(federated training approaches centralised training and beats devices training alone on non-IID
data; accuracy falls as communication falls). The E-FL targets are ours (spec §5).
"""

from __future__ import annotations

import pandas as pd

from ...claims import Claim
from ..common import accuracy_summary, replicate_means

__all__ = ["FAR_ABOVE_PP", "NEAR_PP", "RISE_PP", "SOURCE", "federated_claims", "headline_metrics", "summary_table"]

SOURCE = "Skatchkovsky, Jang, Simeone 2020 (FL-SNN; NeuroComm Part III), qualitative"
NEAR_PP = 3.0
"""Our reading of "centralised >= federated": federated at most this many pp below centralised
is read as equal (the spread between seeds is of this size)."""
FAR_ABOVE_PP = 20.0
"""Our reading of "federated >> separate": at least this many pp above."""
RISE_PP = 5.0
"""Our reading of "falls monotonically within error bars": accuracy rises by at most this many pp
between consecutive points of less communication."""

NOTE = ("embedded 8x8 digits, Poisson-coded ({steps} steps), {train} training samples; the paper uses "
        "MNIST-DVS (26x26, 80 steps) and gives no accuracy that is available")


def _pp(results: pd.DataFrame, col: str) -> tuple[float, ...]:
    return tuple(100.0 * results[col].to_numpy())


def federated_claims(results: pd.DataFrame, n_steps: int, digits: list[int], ten_devices: int | None) -> list[Claim]:
    """Claims rows from ``run_replicates``' results (one row per replicate): E-FL-1 on two
    digits over two devices (centralised - federated, federated - separate, each accuracy), on
    ten digits over ``ten_devices`` devices when present, and E-FL-2 (the largest rise of
    accuracy as tau grows and as the uploaded share of slices falls)."""
    seeds = tuple(int(r) for r in results.replicate)
    note = NOTE.format(steps=n_steps, train=int(results.n_train.iloc[0]))
    pair = f"digits {digits[0]} vs {digits[1]}" if len(digits) == 2 else f"digits {digits}"
    rows = [
        Claim(key="fl1_central_minus_fed", statement=f"centralised >= federated ({pair}, one class per device)",
              source=SOURCE, unit="pp", measured=tuple(100.0 * (results.acc_centralised - results.acc_federated)),
              target=NEAR_PP, higher_is_better=False, seeds=seeds,
              note=f"'>=' read as federated within {NEAR_PP:g} pp of centralised (lower is better); {note}"),
        Claim(key="fl1_fed_minus_separate", statement=f"federated >> separate ({pair}, one class per device)",
              source=SOURCE, unit="pp", measured=tuple(100.0 * (results.acc_federated - results.acc_separate)),
              target=FAR_ABOVE_PP, seeds=seeds, note=f"'>>' read as >= {FAR_ABOVE_PP:g} pp; {note}"),
        Claim(key="fl1_federated", statement=f"FL-SNN test accuracy ({pair})", source="ours (spec E-FL-1)",
              unit="%", measured=_pp(results, "acc_federated"), seeds=seeds, note=note),
        Claim(key="fl1_separate", statement="separate devices at chance (spec: about 50 % on the two-class test)",
              source="spec E-FL-1", unit="%", measured=_pp(results, "acc_separate"), paper=50.0, seeds=seeds,
              note="each device's own model on the whole test set, averaged over devices; " + note),
        Claim(key="fl1_centralised", statement=f"centralised test accuracy ({pair})", source="ours (spec E-FL-1)",
              unit="%", measured=_pp(results, "acc_centralised"), seeds=seeds,
              note="one device with all data, the same total number of samples; " + note),
    ]
    if ten_devices is not None and "ten_acc_federated" in results:
        rows += [
            Claim(key="ten_fed_minus_separate", statement=f"ten digits over {ten_devices} devices: federated >> "
                  "separate", source=SOURCE, unit="pp",
                  measured=tuple(100.0 * (results.ten_acc_federated - results.ten_acc_separate)),
                  target=FAR_ABOVE_PP, seeds=seeds, note=f"'>>' read as >= {FAR_ABOVE_PP:g} pp; {note}"),
            Claim(key="ten_central_minus_fed", statement=f"ten digits over {ten_devices} devices: centralised - "
                  "federated", source=SOURCE, unit="pp",
                  measured=tuple(100.0 * (results.ten_acc_centralised - results.ten_acc_federated)), seeds=seeds,
                  note="informational (small budget per device); " + note),
        ]
    for kind, words in (("tau", "the aggregation period tau grows"), ("rate", "the uploaded share of slices falls")):
        rows.append(Claim(key=f"fl2_{kind}_max_rise", statement=f"accuracy falls monotonically as {words} (largest "
                          "rise between consecutive points)", source=SOURCE + "; spec E-FL-2", unit="pp",
                          measured=tuple(100.0 * results[f"{kind}_max_rise"]), target=RISE_PP,
                          higher_is_better=False, seeds=seeds,
                          note=f"'within error bars' read as no rise above {RISE_PP:g} pp; paper's tau/rate grid "
                               f"not available; {note}"))
        rows.append(Claim(key=f"fl2_{kind}_drop", statement=f"accuracy lost from most to least communication "
                          f"({kind} sweep)", source="ours (spec E-FL-2)", unit="pp",
                          measured=tuple(100.0 * results[f"{kind}_drop"]), seeds=seeds, note=note))
    return rows


def summary_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every accuracy column (%) as mean and sample std over replicates."""
    return accuracy_summary(results, ("acc_", "ten_acc_"))


def headline_metrics(results: pd.DataFrame) -> dict[str, float]:
    """The means over replicates of every numeric column but ``replicate`` (``metrics.json``)."""
    return replicate_means(results)
