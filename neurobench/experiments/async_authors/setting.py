"""The authors' training setting applied to the asynchronous-execution study, and the claims of
the two settings side by side.

``authors_study`` builds the ``asynchronous`` section the authors' setting runs (our data,
tasks, evaluation grid and energy proxy; their training and threshold); ``compare_settings``
puts a claims table of our default (``reports/async/claims.json`` records) beside the claims of
the authors' setting, row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import json
from pathlib import Path

import pandas as pd

from ...claims import Claim, format_measure
from ...neurons import NeuronParams
from ...schema import replace
from ..asynchronous.params import AsyncSection
from .params import AsyncAuthorsSection

__all__ = ["authors_study", "compare_settings", "read_claims_records", "setting_differences"]


def authors_study(study: AsyncSection, authors: AsyncAuthorsSection) -> AsyncSection:
    """``study`` with the training, threshold and replicate count of ``authors``; the trained
    networks go nowhere (``models_dir`` is left for the ``async`` stage, whose models the
    endurance stage maps)."""
    neuron: NeuronParams = replace(study.neuron, v_th=authors.neuron.v_th)
    return replace(study, training=authors.training, neuron=neuron, n_seeds=authors.n_seeds)


def read_claims_records(path: str | Path) -> list[dict[str, Any]] | None:
    """The records of a stage's ``claims.json`` (``neurobench.report.save_claims``), or None when
    the file does not exist (that stage has not been run here)."""
    path = Path(path)
    if not path.is_file():
        return None
    records = json.loads(path.read_text())
    if not isinstance(records, list) or not all(isinstance(r, dict) and "key" in r for r in records):
        raise ValueError(f"{path}: not a claims.json (a list of claim records with a 'key')")
    return records


def setting_differences(default: AsyncSection, authors: AsyncSection) -> pd.DataFrame:
    """One row per training or neuron parameter that differs between the two settings:
    ``parameter``, ``ours (default)``, ``authors' setting``."""
    rows = []
    for group in ("training", "neuron"):
        ours, theirs = getattr(default, group).model_dump(), getattr(authors, group).model_dump()
        rows += [{"parameter": f"{group}.{k}", "ours (default)": str(ours[k]), "authors' setting": str(theirs[k])}
                 for k in ours if ours[k] != theirs[k]]
    return pd.DataFrame(rows, columns=["parameter", "ours (default)", "authors' setting"])


def _measure(mean: float | None, std: float | None, n: int, unit: str) -> str:
    """``"mean ± std unit (n=seeds)"``, or ``"n/a"`` without a measurement."""
    text = format_measure(float("nan") if mean is None else mean, std, unit)
    return f"{text} (n={n})" if text != "n/a" else text


def compare_settings(default_records: Sequence[dict[str, Any]], authors_claims: Sequence[Claim]) -> pd.DataFrame:
    """The claims of the two training settings side by side, one row per claim key present in
    either: ``claim``, ``statement``, ``paper``, ``ours (default)`` and ``authors' setting``
    (each "mean ± std unit (n=seeds)"), ``met (default)``, ``met (authors')``.

    ``default_records`` are the records of ``reports/async/claims.json``
    (``neurobench.claims.claims_records``), ``authors_claims`` the claims measured here.
    """
    theirs = {c.key: c for c in authors_claims}
    ours = {r["key"]: r for r in default_records}
    rows = []
    for key in list(ours) + [k for k in theirs if k not in ours]:
        r, c = ours.get(key), theirs.get(key)
        unit = (c.unit if c is not None else r["unit"])
        paper = c.paper if c is not None else r.get("paper")
        rows.append({
            "claim": key,
            "statement": c.statement if c is not None else r["statement"],
            "paper": "" if paper is None else f"{paper:g} {unit}",
            "ours (default)": _measure(r["mean"], r["std"], r["n"], unit) if r is not None else "n/a",
            "authors' setting": _measure(c.mean, c.std, c.n, unit) if c is not None else "n/a",
            "met (default)": r["met"] if r is not None else None,
            "met (authors')": c.met if c is not None else None,
        })
    return pd.DataFrame(rows)
