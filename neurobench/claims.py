"""A paper's claim beside our measurement over seeds: the one type behind every claims table.

Every stage that reproduces a paper builds a list of :class:`Claim` (one per row of its claims
table) from its per-seed measurements, and

* shows it with :func:`claims_frame` (paper's number and source beside ours as mean ± std over
  the seeds, our target and whether it is met, and how the comparison is not like-for-like);
* writes its numbers to ``metrics.json`` with :func:`claims_metrics` (``claim_<key>_mean``,
  ``_std``, ``_n``, ``_paper``, ``_target``, ``_met``: numbers only, so ``dvc metrics diff``
  compares them);
* writes the whole rows to ``claims.json`` with :func:`neurobench.report.save_claims`, which the
  index page shows beside each report.

"Met" is decided on the mean over seeds (``mean >= target``, or ``<=`` when lower is better);
the spread is always shown next to it. A claim without a target is informational: it is shown
and recorded, never decided.

Example::

    Claim(key="speedup", statement="1.86x speedup over the global barrier",
          source="Chen et al. 2024, abstract", unit="x", paper=1.86, target=1.0,
          measured=(1.21, 1.18, 1.25))
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["Claim", "claims_frame", "claims_metrics", "claims_records", "display_cells", "format_measure"]

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

DECISION_TOLERANCE = 1e-9
"""Relative slack of the met/missed decision: a mean that equals the target up to floating-point
rounding (a difference of accuracies averaging to -3.7e-15) meets it."""


def _number(name: str, value: Any, allow_none: bool) -> float | None:
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"Claim.{name} = None is not allowed: give a finite number")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"Claim.{name} = {value!r} must be a finite number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Claim.{name} = {value!r} must be finite")
    return value


@dataclass(frozen=True)
class Claim:
    """One row of a claims table: what a paper claims and what we measured, once per seed.

    ``key``: snake_case identifier, unique within a stage (metrics are ``claim_<key>_*``).
    ``statement``: the claim in words, as the paper makes it (or our own target, with
    ``source="ours"``). ``source``: where the paper says it (e.g. ``"Chen et al. 2024,
    abstract"``). ``unit``: unit of ``paper``, ``measured`` and ``target`` (``"x"``, ``"%"``,
    ``"pp"``, ``"fraction"``, ``"s"``, ...). ``measured``: one value per seed; NaN marks a seed
    where the quantity is undefined and is left out of the mean. ``paper``: the paper's number,
    None when the claim is qualitative. ``target``: our threshold for "met", None for an
    informational row. ``higher_is_better``: met when mean >= target (else mean <= target).
    ``note``: how the comparison is not like-for-like, empty when it is.
    """

    key: str
    statement: str
    source: str
    unit: str
    measured: tuple[float, ...]
    paper: float | None = None
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""
    seeds: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not _KEY.match(self.key):
            raise ValueError(f"Claim.key = {self.key!r} must be snake_case (lower-case letters, digits, _)")
        for name in ("statement", "source"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"Claim.{name} = {getattr(self, name)!r} must be a non-empty string")
        values = np.atleast_1d(np.asarray(self.measured, dtype=float))
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"Claim.measured = {self.measured!r} must hold one number per seed (at least one)")
        if np.isinf(values).any():
            raise ValueError(f"Claim.measured = {self.measured!r} must not hold infinities")
        object.__setattr__(self, "measured", tuple(float(v) for v in values))
        object.__setattr__(self, "paper", _number("paper", self.paper, allow_none=True))
        object.__setattr__(self, "target", _number("target", self.target, allow_none=True))
        seeds = tuple(int(s) for s in self.seeds)
        if seeds and len(seeds) != len(self.measured):
            raise ValueError(f"Claim.seeds has {len(seeds)} entries but measured has {len(self.measured)}")
        object.__setattr__(self, "seeds", seeds)

    @property
    def n(self) -> int:
        """Number of seeds with a defined (non-NaN) measurement."""
        return int(np.isfinite(np.asarray(self.measured)).sum())

    @property
    def mean(self) -> float:
        """Mean of the defined measurements (NaN when none is defined)."""
        values = np.asarray(self.measured)
        values = values[np.isfinite(values)]
        return float(values.mean()) if values.size else float("nan")

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof = 1) of the defined measurements; 0 for one seed,
        NaN for none."""
        values = np.asarray(self.measured)
        values = values[np.isfinite(values)]
        if values.size == 0:
            return float("nan")
        return float(values.std(ddof=1)) if values.size > 1 else 0.0

    @property
    def met(self) -> bool | None:
        """Whether the mean reaches the target (None: no target, or no defined measurement)."""
        if self.target is None or self.n == 0:
            return None
        slack = DECISION_TOLERANCE * max(1.0, abs(self.target))  # rounding noise never decides
        return self.mean >= self.target - slack if self.higher_is_better else self.mean <= self.target + slack


def format_measure(mean: float, std: float | None = None, unit: str = "", digits: int = 3) -> str:
    """``"1.23 ± 0.04 x"``: a mean and its spread to the same decimal places, ``digits``
    significant digits of the larger of the two (so a mean that is zero up to rounding noise,
    3.7e-15 ± 0.28, reads ``"0.000 ± 0.279"``), then the unit; ``"n/a"`` for NaN."""
    if mean is None or not math.isfinite(mean):
        return "n/a"
    spread = std if std is not None and math.isfinite(std) else None
    scale = max(abs(mean), spread or 0.0)
    magnitude = math.floor(math.log10(scale)) if scale > 0 else 0
    decimals = max(0, digits - 1 - magnitude)
    shown = round(mean, decimals) or 0.0  # no "-0.000"
    text = f"{shown:.{decimals}f}"
    if spread is not None:
        text += f" ± {spread:.{decimals}f}"
    return f"{text} {unit}".rstrip() if unit not in ("", "fraction") else text


def display_cells(record: Mapping[str, Any]) -> dict[str, str]:
    """The text of one claims row, from its ``claims.json`` record (:func:`claims_records`):
    ``paper`` (the paper's number), ``ours`` (mean ± std), ``target`` ("≥ 2.00 x") and ``met``
    ("yes", "NO" or "n/a"). The one place a claim is formatted: report tables
    (:func:`claims_frame`) and the index page (``neurobench.index_page``) both use it."""
    unit, mean = record["unit"], record["mean"]
    target = record["target"]
    return {
        "paper": "n/a" if record["paper"] is None else format_measure(record["paper"], None, unit),
        "ours": format_measure(float("nan") if mean is None else mean, record["std"], unit),
        "target": "n/a" if target is None else
        f"{'≥' if record['higher_is_better'] else '≤'} {format_measure(target, None, unit)}",
        "met": {True: "yes", False: "NO", None: "n/a"}[record["met"]],
    }


def claims_frame(claims: Iterable[Claim]) -> pd.DataFrame:
    """The claims table as shown in a report: one row per claim with the claim, its source, the
    paper's number, ours (mean ± std over ``seeds`` seeds), our target, ``met`` ("yes", "NO" or
    "n/a") and the note on how the comparison is not like-for-like (:func:`display_cells`)."""
    rows = []
    for r in claims_records(claims):
        cells = display_cells(r)
        rows.append({"claim": r["statement"], "source": r["source"], "paper": cells["paper"],
                     "ours (mean ± std)": cells["ours"], "seeds": r["n"], "target": cells["target"],
                     "met": cells["met"], "note": r["note"]})
    return pd.DataFrame(rows, columns=["claim", "source", "paper", "ours (mean ± std)", "seeds", "target", "met", "note"])


def _check_unique(claims: Sequence[Claim]) -> None:
    keys = [c.key for c in claims]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"claim keys must be unique within a stage; repeated: {duplicated}")


def claims_metrics(claims: Iterable[Claim], prefix: str = "claim_") -> dict[str, float | int]:
    """The numbers of every claim for ``metrics.json``: ``<prefix><key>_mean``, ``_std``, ``_n``,
    and where defined ``_paper``, ``_target`` and ``_met`` (1 or 0). NaN values are left out
    (``metrics.json`` holds no NaN)."""
    claims = list(claims)
    _check_unique(claims)
    out: dict[str, float | int] = {}
    for c in claims:
        stem = f"{prefix}{c.key}"
        values = {"mean": c.mean, "std": c.std, "n": c.n, "paper": c.paper, "target": c.target,
                  "met": None if c.met is None else int(c.met)}
        for name, value in values.items():
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            out[f"{stem}_{name}"] = value
    return out


def claims_records(claims: Iterable[Claim]) -> list[dict[str, Any]]:
    """Every claim as a JSON-ready dict (all fields, plus ``mean``, ``std``, ``n`` and ``met``;
    NaN written as None), the content of ``claims.json``."""
    claims = list(claims)
    _check_unique(claims)

    def clean(x):
        return None if isinstance(x, float) and math.isnan(x) else x

    return [{
        "key": c.key, "statement": c.statement, "source": c.source, "unit": c.unit,
        "paper": c.paper, "target": c.target, "higher_is_better": c.higher_is_better, "note": c.note,
        "measured": [clean(v) for v in c.measured], "seeds": list(c.seeds),
        "mean": clean(c.mean), "std": clean(c.std), "n": c.n, "met": c.met,
    } for c in claims]
