"""Run a stage notebook with papermill and publish its HTML report, metrics and plot data.

``python -m neurobench.pipeline run STAGE`` executes ``notebooks/STAGE.ipynb``:

1. the notebook's ``parameters`` cell names the ``params.yaml`` sections it reads (each a dict)
   plus ``output_dir``; every section is validated by ``neurobench.config`` first, so bad
   parameters stop the stage before any compute, with exit status 2;
2. papermill runs the notebook on the ``neurobench`` Jupyter kernel (registered for this
   environment when missing), injecting the validated sections and a temporary ``output_dir``;
   the kernel runs numpy's BLAS and torch on one thread (``executor.one_thread_environment``),
   so that no result depends on the machine's core count;
   papermill's bar counts cells, and the package's long loops report inside a cell through
   ``neurobench.progress.track`` as further bars on the terminal (never in the report);
3. nbconvert renders the executed notebook to HTML with the code hidden;
4. only when everything succeeded, the folder ``reports/STAGE/`` (``metrics.json``,
   ``plots/*.csv``, ``notebook.ipynb``) and ``reports/STAGE.html`` replace the previous ones;
   a failure or an interruption leaves the previous outputs untouched and no temporary files.

``python -m neurobench.pipeline index`` writes ``reports/index.html`` linking every report with
its headline metrics.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import config
from .index_page import build_index, notebook_title
from .executor import one_thread_environment
from .io import replace_dir
from .progress import ProgressRelay

KERNEL_NAME = "neurobench"
OUTPUT_DIR_PARAMETER = "output_dir"


class StageError(RuntimeError):
    """A stage notebook failed to run or did not produce its outputs."""


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register this Python environment as Jupyter kernel ``name`` if it is not registered yet."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name not in KernelSpecManager().find_kernel_specs():
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=f"Python ({name})", prefix=sys.prefix)
    return name


def ipc_kernel_config(folder: Path):
    """Kernel settings for papermill: talk to the kernel over IPC sockets in ``folder``.

    Local kernels on TCP without encryption make ipykernel print a security warning in every
    stage's output; IPC sockets are files readable only by this user, so the warning does not
    arise (and no port is opened). A socket path may have at most 107 bytes (Unix), so
    ``folder`` should be short: :func:`run_stage` uses a fresh folder in the system's temporary
    directory, never one below the (arbitrarily deep) reports folder.
    """
    from traitlets.config import Config

    return Config({"KernelManager": {"transport": "ipc", "ip": str(Path(folder).resolve() / "kernel")}})


def notebook_parameters(notebook: str | Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``, in order."""
    import papermill

    return list(papermill.inspect_notebook(str(notebook)))


def stage_parameters(notebook: str | Path, params_path: str | Path) -> dict[str, dict[str, Any]]:
    """The validated ``params.yaml`` sections a stage notebook reads, with defaults filled in."""
    names = [n for n in notebook_parameters(notebook) if n != OUTPUT_DIR_PARAMETER]
    params = config.load_params(params_path)
    config.check_unknown_sections(params, params_path)
    return {name: config.section_of(params, name, params_path, reader=Path(notebook).name).model_dump(mode="python")
            for name in names}


OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
"""nbconvert's lab template without the scripts it loads from a CDN (require.js, MathJax,
mermaid): the reports are static pages (figures embedded as PNG) and must open offline."""


def render_html(executed: Path) -> str:
    """The executed notebook as standalone HTML with code cells hidden; it loads nothing from
    the network (figures are embedded, no CDN scripts)."""
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_file="neurobench_offline.html.j2",
        extra_loaders=[jinja2.DictLoader({"neurobench_offline.html.j2": OFFLINE_TEMPLATE})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
    )
    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = notebook_title(executed, Path(executed).stem)
    body, _ = exporter.from_notebook_node(notebook)
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
    sockets = Path(tempfile.mkdtemp(prefix="nbk-"))
    try:
        out_dir = tmp / stage
        out_dir.mkdir()
        executed = out_dir / "notebook.ipynb"
        try:
            # the kernel on one thread: a reduction's bits must not depend on the machine's core
            # count (BLAS splits large ones by thread), and its pool workers share the cores
            with ProgressRelay(tmp / "progress.jsonl", enabled=progress), one_thread_environment():
                papermill.execute_notebook(
                    str(notebook),
                    str(executed),
                    parameters={**sections, OUTPUT_DIR_PARAMETER: str(out_dir.resolve())},
                    kernel_name=kernel,
                    cwd=str(Path.cwd()),
                    progress_bar=progress,
                    config=ipc_kernel_config(sockets),
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
        shutil.rmtree(sockets, ignore_errors=True)


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
