"""What a stage notebook calls to record its results in its output folder.

A stage's output folder (``reports/<stage>/``, written through a temporary folder by
``neurobench.pipeline``) holds ``metrics.json`` (DVC metrics: the headline numbers, bit for bit
reproducible, so no timings), ``plots/<name>.csv`` (DVC plots: the data behind the figures) and
``extra.json`` (anything that varies from run to run, such as wall-clock timings).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from .io import atomic_path, write_json_atomic


def output_folder(output_dir: str | Path) -> Path:
    """The stage's output folder; a fresh temporary one when ``output_dir`` is empty.

    Notebooks opened by hand in JupyterLab leave ``output_dir`` empty, so exploring never
    overwrites the DVC-tracked reports.
    """
    path = Path(output_dir) if output_dir else Path(tempfile.mkdtemp(prefix="neurobench-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def save_plot_data(output_dir: str | Path, name: str, frame: pd.DataFrame) -> Path:
    """Write the data behind one figure to ``plots/<name>.csv`` (declared as DVC plots)."""
    path = Path(output_dir) / "plots" / f"{name}.csv"
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")
    return path
