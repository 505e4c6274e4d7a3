"""``reports/index.html``: every published report, in pipeline order, with the paper's claims
beside our numbers and its headline numbers.

Metric keys are snake_case with a unit suffix (``rate_hz``, ``time_s``, ``energy_pj``, ...); the
page shows them as labels with units ("rate (Hz)"), integers as integers, and says when and from
which git commit it was built.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from .io import write_text_atomic

HEADLINE_METRICS = 8

UNIT_SUFFIXES = {
    "hz": "Hz", "ms": "ms", "s": "s", "ns": "ns", "us": "µs", "pj": "pJ", "nj": "nJ", "mw": "mW",
    "mv": "mV", "pct": "%", "percent": "%", "bytes": "bytes", "k": "K", "ohm": "Ω",
}
"""Key suffix -> unit shown in the label (``spike_rate_hz`` -> "spike rate (Hz)")."""


def metric_label(key: str) -> str:
    """A human label for metric ``key``: words instead of underscores, the unit suffix in
    parentheses (``'mean_rate_hz'`` -> ``'mean rate (Hz)'``)."""
    words = key.split("_")
    if len(words) > 1 and words[-1].lower() in UNIT_SUFFIXES:
        unit = UNIT_SUFFIXES[words[-1].lower()]
        return f"{' '.join(words[:-1])} ({unit})"
    return " ".join(words)


def format_value(value: Any) -> str:
    """A metric value as text: integers (and integral floats) in full, other floats to 4
    significant digits, booleans as yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    return html.escape(str(value))


def pipeline_order(dvc_yaml: str | Path = "dvc.yaml") -> list[str]:
    """Stage names in the order ``dvc.yaml`` lists them (data, simulator, then the papers)."""
    path = Path(dvc_yaml)
    if not path.is_file():
        return []
    return list((yaml.safe_load(path.read_text()) or {}).get("stages", {}))


def build_stamp(repo: str | Path = ".") -> str:
    """'built 2026-11-30 10:00 UTC from commit abc1234' (with '+ local changes' when the work
    tree differs from the commit, ``dvc.lock`` aside; without the commit outside a git checkout)."""
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, capture_output=True,
                                text=True, check=True).stdout.strip()
        # dvc.lock is rewritten by the very `dvc repro` that builds this page: not a local change
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!dvc.lock"],
                               cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"built {when}"
    return f"built {when} from commit {commit}{' + local changes' if dirty else ''}"


def notebook_title(notebook: Path, default: str) -> str:
    """The first Markdown heading of a notebook, or ``default``."""
    if not notebook.is_file():
        return default
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return default


def claims_table_html(records: list[dict[str, Any]]) -> str:
    """The claims of one stage (``claims.json`` records, :mod:`neurobench.claims`) as an HTML
    table: the claim and its source, the paper's number beside ours (mean ± std over n seeds),
    our target and whether the mean meets it."""
    from .claims import display_cells

    rows = []
    for r in records:
        cells = {k: html.escape(v) for k, v in display_cells(r).items()}
        rows.append(f"<tr><td>{html.escape(r['statement'])}<br><small>{html.escape(r['source'])}</small></td>"
                    f"<td class='num'>{cells['paper']}</td><td class='num'>{cells['ours']} (n = {r['n']})</td>"
                    f"<td class='num'>{cells['target']}</td><td>{cells['met']}</td></tr>")
    return ("<table><tr><th>claim</th><th>paper</th><th>ours (mean ± std)</th><th>target</th><th>met</th></tr>"
            + "".join(rows) + "</table>")


def _entry(stage: str, metrics: dict[str, Any], title: str, claims: list[dict[str, Any]] | None = None) -> str:
    headline = {k: v for k, v in metrics.items() if not k.startswith("claim_")}
    rows = "".join(
        f"<tr><td>{html.escape(metric_label(k))}</td><td class='num'>{format_value(v)}</td></tr>"
        for k, v in list(headline.items())[:HEADLINE_METRICS]
    )
    more = len(metrics) - min(HEADLINE_METRICS, len(headline))
    also = f" ({more} more)" if more > 0 else ""
    claims_part = ""
    if claims:
        claims_part = (f"<h3>The paper's claims beside ours</h3>{claims_table_html(claims)}"
                       f"<p><a href=\"{stage}/claims.json\">claims.json</a></p>")
    return (f'<section><h2><a href="{stage}.html">{html.escape(title)}</a></h2>'
            f"<p>stage <code>{stage}</code> &middot; <a href=\"{stage}/metrics.json\">all metrics{also}</a></p>"
            f"{claims_part}<table><tr><th>metric</th><th>value</th></tr>{rows}</table></section>")


def _claims(reports_dir: Path, stage: str) -> list[dict[str, Any]] | None:
    path = reports_dir / stage / "claims.json"
    return json.loads(path.read_text()) if path.is_file() else None


def build_index(reports_dir: str | Path = "reports", notebooks_dir: str | Path = "notebooks",
                dvc_yaml: str | Path = "dvc.yaml") -> Path:
    """Write ``reports/index.html``: one entry per published report (stages in ``dvc.yaml``
    order, any others after them by name) with its claims table (paper beside ours, from
    ``<stage>/claims.json`` when the stage writes one) and its first headline metrics; return
    its path."""
    reports_dir = Path(reports_dir)
    published = {p.parent.name: p for p in reports_dir.glob("*/metrics.json")}
    order = [s for s in pipeline_order(dvc_yaml) if s in published]
    order += sorted(s for s in published if s not in order)
    entries = [
        _entry(stage, json.loads(published[stage].read_text()), notebook_title(Path(notebooks_dir) / f"{stage}.ipynb", stage),
               _claims(reports_dir, stage))
        for stage in order
    ]
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>neurobench reports</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}footer{color:#666;margin-top:2em}</style>"
        "</head><body><h1>neurobench reports</h1>"
        "<p>Built by <code>dvc repro</code> from <code>params.yaml</code>; each report is a notebook "
        "in <code>notebooks/</code> executed by papermill. Stages in pipeline order.</p>"
        + ("".join(entries) or "<p>No reports yet: run <code>make reproduce</code>.</p>")
        + f"<footer>{html.escape(build_stamp())}</footer></body></html>\n"
    )
    path = reports_dir / "index.html"
    write_text_atomic(path, page)
    return path
