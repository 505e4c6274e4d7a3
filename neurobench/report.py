"""What a stage notebook calls to record its results in its output folder.

A stage's output folder (``reports/<stage>/``, written through a temporary folder by
``neurobench.pipeline``) holds ``metrics.json`` (DVC metrics: the headline numbers, bit for bit
reproducible, so no timings), ``plots/<name>.csv`` (DVC plots: the data behind the figures) and
``extra.json`` (anything that varies from run to run, such as wall-clock timings) and, for a
stage that reproduces a paper, ``claims.json`` (its claims table, :mod:`neurobench.claims`).

It also holds how a notebook shows its results: :func:`setup_notebook` (first code cell: inline
figures, the seaborn theme, pandas without truncation) and :func:`show_table` (a table whole,
integers as integers, floats to 4 significant digits, long tables in a scrollable box).
"""

from __future__ import annotations

import html
import math
import numbers
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import atomic_path, write_json_atomic


def setup_notebook() -> None:
    """The display settings every stage notebook starts with (call it in the first code cell).

    Figures inline, the seaborn theme of the reports, and pandas showing every row, every column
    and the full text of every cell (no ``...`` or ``…``): a report must show all it computed.
    """
    import seaborn as sns
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")
    sns.set_theme(context="notebook", style="whitegrid")
    pd.set_option("display.max_rows", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", None)


def format_value(value: Any, digits: int = 4) -> str:
    """One table cell as text: integers (and floats holding an integer below 1e15) in full,
    other floats to ``digits`` significant digits (without an exponent between 1e-3 and 1e6;
    those >= 10**digits are rounded to an integer), NaN/None as ``n/a``, anything else as
    ``str``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "n/a"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        if 10 ** digits <= abs(x) < 1e15:
            return f"{x:.0f}"
        if 1e-3 <= abs(x) < 10 ** digits:
            text = f"{x:.{digits}g}"
            return text if "e" not in text else f"{x:.{max(digits - 1 - int(math.floor(math.log10(abs(x)))), 0)}f}"
        return f"{x:.{digits}g}"
    return str(value)


WRAP_CHARS = 60
"""Table cells with more characters than this wrap (in a column at least ``WRAP_EM`` wide)."""
WRAP_EM = 24


def table_html(frame: pd.DataFrame | pd.Series, max_height_px: int | None = 600, digits: int = 4) -> str:
    """``frame`` as a complete HTML table (every row, column and character, numbers formatted by
    :func:`format_value`) in a ``div`` that scrolls when it is taller than ``max_height_px``
    (``None``: never) or wider than the page; the header row stays visible while scrolling.
    A list of strings in ``frame.attrs["notes"]`` (the NeuroBench-style table's footnotes,
    ``neurobench.metrics.neurobench_display``) is shown below the box as a numbered list."""
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    notes = list(frame.attrs.get("notes", ()))
    shown = frame.copy()
    shown = shown.map(lambda v: format_value(v, digits)) if len(shown.columns) else shown

    def labels(index: pd.Index) -> pd.Index:
        if isinstance(index, pd.MultiIndex):
            return pd.MultiIndex.from_arrays(
                [[format_value(v, digits) for v in index.get_level_values(i)] for i in range(index.nlevels)],
                names=index.names)
        return pd.Index([format_value(v, digits) for v in index], name=index.name)

    shown.index = labels(shown.index)
    shown.columns = labels(shown.columns)
    # short cells stay on one line (the box scrolls sideways if needed); long text wraps
    styler = shown.style.format(escape="html").format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    styler = styler.map(lambda text: f"white-space: pre-wrap; min-width: {WRAP_EM}em" if len(text) > WRAP_CHARS else "")
    with pd.option_context("styler.render.max_elements", max(shown.size, 1) * 2 + 1000,
                           "styler.render.max_rows", None, "styler.render.max_columns", None):
        table = styler.to_html(table_attributes='class="dataframe neurobench-table"')
    height = f"max-height: {int(max_height_px)}px; " if max_height_px else ""
    style = ("<style>.neurobench-scroll thead tr:first-child th { position: sticky; top: 0; "
             "background: var(--jp-layout-color0, white); z-index: 1; } "
             ".neurobench-scroll td, .neurobench-scroll tbody th { white-space: nowrap; }</style>")
    footnotes = ("" if not notes else '<ol class="neurobench-notes">'
                 + "".join(f"<li>{html.escape(str(n))}</li>" for n in notes) + "</ol>")
    return (f'{style}<div class="neurobench-scroll" style="{height}overflow: auto; max-width: 100%;">{table}</div>'
            f"{footnotes}")


def show_table(frame: pd.DataFrame | pd.Series, max_height_px: int | None = 600, digits: int = 4) -> None:
    """Display ``frame`` whole in the notebook (see :func:`table_html`): no truncation, integers as
    integers, floats to ``digits`` significant digits, long tables in a scrollable box."""
    from IPython.display import HTML, display

    display(HTML(table_html(frame, max_height_px, digits)))


def output_folder(output_dir: str | Path) -> Path:
    """The stage's output folder; a fresh temporary one when ``output_dir`` is empty.

    Notebooks opened by hand in JupyterLab leave ``output_dir`` empty, so exploring never
    overwrites the DVC-tracked reports.
    """
    path = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="neurobench-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def existing_or_temporary(folder: str | Path, output_dir: str | Path) -> str:
    """``folder`` when a stage runs in the pipeline (``output_dir`` given) or when it exists;
    else a fresh temporary folder.

    A notebook opened by hand (``output_dir`` empty) thus reuses the pipeline's model folders
    when ``dvc repro`` built them, and otherwise builds its own in a temporary folder instead of
    creating one beside the notebook.
    """
    if output_dir or Path(folder).is_dir():
        return str(folder)
    return tempfile.mkdtemp(prefix="neurobench-models-")


def save_metrics(output_dir: str | Path, metrics: dict[str, Any]) -> Path:
    """Write the stage's headline metrics (a flat dict of numbers or strings) to ``metrics.json``."""
    for key, value in metrics.items():
        if isinstance(value, (dict, list)):
            raise ValueError(f"metric {key!r} must be a number or a string, got {type(value).__name__}")
    path = Path(output_dir) / "metrics.json"
    write_json_atomic(path, metrics)
    return path


def save_extra(output_dir: str | Path, data: dict[str, Any]) -> Path:
    """Write values that are not reproducible bit for bit (timings) to ``extra.json``."""
    path = Path(output_dir) / "extra.json"
    write_json_atomic(path, data)
    return path


def save_claims(output_dir: str | Path, claims) -> Path:
    """Write the stage's claims table (a list of :class:`neurobench.claims.Claim`) to
    ``claims.json`` (the rows in full, for the index page and for readers), and return its path.
    Their numbers belong in ``metrics.json`` too: :func:`neurobench.claims.claims_metrics`."""
    from .claims import claims_records

    path = Path(output_dir) / "claims.json"
    write_json_atomic(path, claims_records(claims))
    return path


def save_plot_data(output_dir: str | Path, name: str, frame: pd.DataFrame) -> Path:
    """Write the data behind one figure to ``plots/<name>.csv`` (declared as DVC plots)."""
    path = Path(output_dir) / "plots" / f"{name}.csv"
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")
    return path
