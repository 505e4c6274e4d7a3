"""Run a stage notebook with papermill and publish its HTML report, metrics and plot data.

``python -m neurobench.pipeline run STAGE`` executes ``notebooks/STAGE.ipynb``:

1. the notebook's ``parameters`` cell names the ``params.yaml`` sections it reads (each a dict)
   plus ``output_dir``; every section is validated by ``neurobench.config`` first, so bad
   parameters stop the stage before any compute, with exit status 2;
2. papermill runs the notebook on the ``neurobench`` Jupyter kernel (registered for this
   environment when missing), injecting the validated sections and a temporary ``output_dir``;
3. nbconvert renders the executed notebook to HTML with the code hidden;
4. only when everything succeeded, the folder ``reports/STAGE/`` (``metrics.json``,
   ``plots/*.csv``, ``notebook.ipynb``) and ``reports/STAGE.html`` replace the previous ones;
   a failure or an interruption leaves the previous outputs untouched and no temporary files.

``python -m neurobench.pipeline index`` writes ``reports/index.html`` linking every report with
its headline metrics.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import config
from .io import replace_dir, write_text_atomic

KERNEL_NAME = "neurobench"
OUTPUT_DIR_PARAMETER = "output_dir"
HEADLINE_METRICS = 8


class StageError(RuntimeError):
    """A stage notebook failed to run or did not produce its outputs."""


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this Python environment as Jupyter kernel ``name`` if it is not registered yet."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
    return name


def notebook_parameters(notebook: str | Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``, in order."""
    import papermill

    return list(papermill.inspect_notebook(str(notebook)))


def stage_parameters(notebook: str | Path, params_path: str | Path) -> dict[str, dict[str, Any]]:
    """The validated ``params.yaml`` sections a stage notebook reads, with defaults filled in."""
    names = [n for n in notebook_parameters(notebook) if n != OUTPUT_DIR_PARAMETER]
    params = config.load_params(params_path)
    sections = {}
    for name in names:
        if name not in params:
            raise config.ConfigError(
                f"{params_path}: section {name!r} (read by {Path(notebook).name}) is missing; "
                f"sections present: {', '.join(params) or 'none'}"
            )
        sections[name] = config.validate(name, params[name]).model_dump(mode="python")
    return sections


def notebook_title(notebook: str | Path) -> str:
    """The first Markdown heading of a notebook, or its file stem."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(notebook).stem


def render_html(executed: Path) -> str:
    """The executed notebook as standalone HTML with code cells hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return body


def run_stage(
    stage: str,
    params_path: str | Path = config.DEFAULT_PARAMS,
    notebooks_dir: str | Path = "notebooks",
    reports_dir: str | Path = "reports",
    overrides: dict[str, dict[str, Any]] | None = None,
    progress: bool = True,
) -> Path:
    """Execute ``notebooks/<stage>.ipynb`` and publish its report; return the HTML path.

    ``overrides`` replaces whole sections after validation of the file (used by the tests to
    run notebooks small); they are validated too.
    """
    import papermill

    notebook = Path(notebooks_dir) / f"{stage}.ipynb"
    if not notebook.is_file():
        raise StageError(f"no notebook for stage {stage!r}: {notebook} does not exist")
    sections = stage_parameters(notebook, params_path)
    for name, values in (overrides or {}).items():
        sections[name] = config.validate(name, values).model_dump(mode="python")
    kernel = ensure_kernel()

    reports_dir = Path(reports_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stage}.tmp.", dir=reports_dir))
    try:
        out_dir = tmp / stage
        out_dir.mkdir()
        executed = out_dir / "notebook.ipynb"
        try:
            papermill.execute_notebook(
                str(notebook),
                str(executed),
                parameters={**sections, OUTPUT_DIR_PARAMETER: str(out_dir.resolve())},
                kernel_name=kernel,
                cwd=str(Path.cwd()),
                progress_bar=progress,
            )
        except papermill.PapermillExecutionError as exc:
            raise StageError(
                f"stage {stage!r}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
            ) from None
        metrics = out_dir / "metrics.json"
        if not metrics.is_file():
            raise StageError(f"stage {stage!r}: the notebook wrote no metrics.json")
        (tmp / f"{stage}.html").write_text(render_html(executed))
        replace_dir(out_dir, reports_dir / stage)
        html_path = reports_dir / f"{stage}.html"
        (tmp / f"{stage}.html").replace(html_path)
        return html_path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape(str(value))


def build_index(reports_dir: str | Path = "reports", notebooks_dir: str | Path = "notebooks") -> Path:
    """Write ``reports/index.html``: one entry per published report with its headline metrics."""
    reports_dir = Path(reports_dir)
    entries = []
    for metrics_path in sorted(reports_dir.glob("*/metrics.json")):
        stage = metrics_path.parent.name
        metrics = json.loads(metrics_path.read_text())
        notebook = Path(notebooks_dir) / f"{stage}.ipynb"
        title = notebook_title(notebook) if notebook.is_file() else stage
        rows = "".join(
            f"<tr><td>{html.escape(k)}</td><td>{_format(v)}</td></tr>"
            for k, v in list(metrics.items())[:HEADLINE_METRICS]
        )
        entries.append(
            f'<section><h2><a href="{stage}.html">{html.escape(title)}</a></h2>'
            f"<p>stage <code>{stage}</code> &middot; "
            f'<a href="{stage}/metrics.json">all metrics</a></p>'
            f"<table>{rows}</table></section>"
        )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>neurobench reports</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td{border:1px solid #ccc;padding:2px 8px}</style></head>"
        "<body><h1>neurobench reports</h1>"
        "<p>Built by <code>dvc repro</code> from <code>params.yaml</code>; each report is a notebook "
        "in <code>notebooks/</code> executed by papermill.</p>"
        + ("".join(entries) or "<p>No reports yet: run <code>make reproduce</code>.</p>")
        + "</body></html>\n"
    )
    path = reports_dir / "index.html"
    write_text_atomic(path, page)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurobench.pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute one stage notebook and publish its report")
    run.add_argument("stage")
    run.add_argument("--params", default=str(config.DEFAULT_PARAMS))
    run.add_argument("--reports", default="reports", help="folder the report is published in")
    index = sub.add_parser("index", help="write reports/index.html")
    index.add_argument("--reports", default="reports")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            print(f"wrote {run_stage(args.stage, args.params, reports_dir=args.reports)}")
        else:
            print(f"wrote {build_index(args.reports)}")
    except config.ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except StageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
