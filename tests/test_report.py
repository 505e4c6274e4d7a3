"""neurobench.report's display helpers: every report shows its tables whole and its numbers readably."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neurobench import report

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("value, text", [
    (1797, "1797"), (np.int64(1797), "1797"), (1797.0, "1797"), (np.float64(449.0), "449"), (0.0, "0"),
    (0.123456, "0.1235"), (123.456, "123.5"), (1.5, "1.5"), (-0.00123456, "-0.001235"), (12345.6, "12346"),
    (2.5e-5, "2.5e-05"), (3.2e20, "3.2e+20"), (float("nan"), "n/a"), (None, "n/a"), (float("inf"), "inf"),
    (True, "True"), (np.bool_(False), "False"), ("optimal: 110", "optimal: 110"),
])
def test_format_value(value, text):
    assert report.format_value(value) == text


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)]


def test_table_html_shows_every_row_and_the_full_text():
    long_claim = "decision latency (spikes to first correct output spike), measured at F = 4 " * 3
    frame = pd.DataFrame({"claim": [long_claim] * 78, "n": np.arange(78), "x": np.linspace(0, 1, 78)})
    with pd.option_context("display.max_rows", 10, "display.max_colwidth", 20):  # the defaults must not matter
        html = report.table_html(frame)
    body = cells(html)
    assert len(body) == 78 * 3
    assert body.count(long_claim.strip()) == 78
    assert "…" not in html and "..." not in html
    assert body[3 * 77 + 1] == "77"  # integers as integers
    assert "overflow: auto" in html and "max-height: 600px" in html


def test_table_html_formats_a_metrics_series_and_escapes_text():
    series = pd.Series({"n_samples": 1797, "accuracy": 0.91666667, "name": "<b>digits</b>"}, name="value")
    html = report.table_html(series, max_height_px=None)
    assert cells(html) == ["1797", "0.9167", "&lt;b&gt;digits&lt;/b&gt;"]
    assert "max-height" not in html
    # a float column holding integers (pd.Series of a dict of ints and floats) prints them as integers
    assert cells(report.table_html(pd.Series({"n": 1797, "x": 0.5})))[0] == "1797"


def test_table_html_formats_index_labels_and_multiindex():
    frame = pd.DataFrame({"v": [1.0, 2.25]}, index=pd.MultiIndex.from_tuples([("a", 1.0), ("a", 2.0)], names=["k", "t"]))
    html = report.table_html(frame)
    assert ">1.0<" not in html and ">1<" in html and ">2.25<" in html


def test_show_table_displays_html(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    report.show_table(pd.DataFrame({"a": [1, 2]}))
    assert len(shown) == 1 and "<table" in shown[0].data


def test_setup_notebook_lifts_pandas_truncation():
    with pd.option_context("display.max_rows", 10, "display.max_columns", 5, "display.max_colwidth", 50):
        report.setup_notebook()
        assert pd.get_option("display.max_rows") is None
        assert pd.get_option("display.max_columns") is None
        assert pd.get_option("display.max_colwidth") is None


def test_existing_or_temporary(tmp_path):
    missing = tmp_path / "models" / "conversion"
    assert report.existing_or_temporary(missing, "/some/output") == str(missing)  # the pipeline: as configured
    temporary = report.existing_or_temporary(missing, "")  # by hand, nothing built: a fresh temporary folder
    assert temporary != str(missing) and Path(temporary).is_dir() and not missing.exists()
    missing.mkdir(parents=True)
    assert report.existing_or_temporary(missing, "") == str(missing)  # by hand, built by dvc repro: reused


def code_cells(notebook: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_notebook_names_the_same_kernel():
    for notebook in NOTEBOOKS:
        meta = json.loads(notebook.read_text())["metadata"]
        assert meta["kernelspec"] == {"name": "neurobench", "display_name": "Python (neurobench)",
                                      "language": "python"}, notebook.name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_sets_up_reads_its_sections_and_shows_tables_whole(notebook):
    code = code_cells(notebook)
    first = code[1]  # the cell after the parameters cell
    assert "report.setup_notebook()" in first
    text = "\n".join(code)
    assert "config.validate(" not in text and "config.notebook_section(" in text
    assert "sns.set_theme" not in text and "%matplotlib" not in text
    assert "option_context" not in text and ".to_frame()" not in text
    for cell in code[2:]:
        last = cell.strip().splitlines()[-1]
        assert not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9.]*(\(.*\))?(\.round\(\d\))?", last) or last.startswith(
            ("report.", "plt.", "g.", "fig.", "ax.", "display(Markdown(")) or "show_table" in last, \
            f"{notebook.name}: bare table {last!r}"


def test_remove_empty_axes_leaves_only_panels_with_data():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neurobench import plots

    fig, axes = plt.subplots(2, 3, squeeze=False)
    for ax in (axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]):
        ax.hist([1, 2, 2, 3])
    assert plots.remove_empty_axes(axes) == 2
    assert len(fig.axes) == 4
    plt.close(fig)
