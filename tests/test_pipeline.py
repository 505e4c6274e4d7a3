"""The papermill/nbconvert stage runner: outputs appear whole or not at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest

from neurobench import config, pipeline


def make_notebook(path, body: str, parameters: str = 'output_dir = ""') -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A test stage"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


WRITE_METRICS = (
    "from neurobench.report import save_metrics\n"
    "save_metrics(output_dir, {'answer': 42, 'ratio': 0.25})\n"
    "print('visible output')"
)


@pytest.fixture
def stage_dirs(tmp_path):
    notebooks, reports = tmp_path / "notebooks", tmp_path / "reports"
    notebooks.mkdir()
    params = tmp_path / "params.yaml"
    params.write_text("data: {}\n")
    return notebooks, reports, params


def test_stage_kernel_runs_blas_and_torch_on_one_thread(stage_dirs, monkeypatch):
    """A result's bits must not depend on the machine's core count: the kernel gets one thread,
    whatever the caller's environment says, and the caller's environment is left as it was."""
    from neurobench.executor import WORKER_THREAD_VARIABLES

    notebooks, reports, params = stage_dirs
    for name in WORKER_THREAD_VARIABLES:
        monkeypatch.setenv(name, "7")
    make_notebook(notebooks / "threads.ipynb", (
        "import os, json, torch\n"
        "from threadpoolctl import threadpool_info\n"
        "from neurobench.report import save_metrics\n"
        f"names = {WORKER_THREAD_VARIABLES!r}\n"
        "blas = [lib['num_threads'] for lib in threadpool_info() if lib['user_api'] == 'blas']\n"
        "save_metrics(output_dir, {'torch': torch.get_num_threads(), 'blas': max(blas),\n"
        "                          **{n: int(os.environ[n]) for n in names}})"))
    pipeline.run_stage("threads", params, notebooks, reports, progress=False)
    seen = json.loads((reports / "threads" / "metrics.json").read_text())
    assert seen == {"torch": 1, "blas": 1, **{name: 1 for name in WORKER_THREAD_VARIABLES}}
    assert all(os.environ[name] == "7" for name in WORKER_THREAD_VARIABLES)


def test_stage_publishes_html_metrics_and_index(stage_dirs):
    notebooks, reports, params = stage_dirs
    make_notebook(notebooks / "good.ipynb", WRITE_METRICS)
    html = pipeline.run_stage("good", params, notebooks, reports, progress=False)
    assert html == reports / "good.html" and "visible output" in html.read_text()
    assert "save_metrics" not in html.read_text()  # code is hidden
    assert "<title>A test stage</title>" in html.read_text()
    assert json.loads((reports / "good" / "metrics.json").read_text()) == {"answer": 42, "ratio": 0.25}
    assert (reports / "good" / "notebook.ipynb").exists()
    assert sorted(p.name for p in reports.iterdir()) == ["good", "good.html"]
    index = pipeline.build_index(reports, notebooks).read_text()
    assert 'href="good.html"' in index and "A test stage" in index and "<td class='num'>42</td>" in index


def test_failing_notebook_keeps_previous_outputs(stage_dirs):
    notebooks, reports, params = stage_dirs
    (reports / "bad").mkdir(parents=True)
    (reports / "bad" / "metrics.json").write_text('{"old": 1}')
    (reports / "bad.html").write_text("old report")
    make_notebook(notebooks / "bad.ipynb", WRITE_METRICS + "\nraise RuntimeError('boom')")
    with pytest.raises(pipeline.StageError, match="RuntimeError: boom"):
        pipeline.run_stage("bad", params, notebooks, reports, progress=False)
    assert (reports / "bad" / "metrics.json").read_text() == '{"old": 1}'
    assert (reports / "bad.html").read_text() == "old report"
    assert sorted(p.name for p in reports.iterdir()) == ["bad", "bad.html"]


def test_notebook_without_metrics_is_an_error(stage_dirs):
    notebooks, reports, params = stage_dirs
    make_notebook(notebooks / "quiet.ipynb", "x = 1")
    with pytest.raises(pipeline.StageError, match="no metrics.json"):
        pipeline.run_stage("quiet", params, notebooks, reports, progress=False)
    assert list(reports.iterdir()) == []


def test_invalid_section_stops_before_running(stage_dirs):
    notebooks, reports, params = stage_dirs
    params.write_text("data: {test_fraction: 1.5}\n")
    make_notebook(notebooks / "d.ipynb", WRITE_METRICS, parameters='data = {}\noutput_dir = ""')
    with pytest.raises(config.ConfigError, match="data.test_fraction = 1.5") as caught:
        pipeline.run_stage("d", params, notebooks, reports, progress=False)
    assert str(caught.value).startswith(f"{params}: ")  # the file actually read, not "params.yaml"
    assert not reports.exists() or list(reports.iterdir()) == []


def test_command_line_exit_status_and_message(stage_dirs, repo_root):
    notebooks, reports, params = stage_dirs
    params.write_text("simulator: {dt: 1.0}\n")  # the data section is missing
    result = subprocess.run(
        [sys.executable, "-m", "neurobench.pipeline", "run", "data", "--params", str(params),
         "--reports", str(reports)],
        cwd=repo_root, capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {params}: section 'data' (read by data.ipynb) is missing; sections present: simulator"
    ]
    assert not reports.exists()


def test_index_lists_stages_in_pipeline_order_with_labels_units_and_build_stamp(tmp_path):
    from neurobench import index_page

    reports, notebooks = tmp_path / "reports", tmp_path / "notebooks"
    for stage, metrics in [("zeta", {"n_samples": 1797.0}), ("alpha", {"mean_rate_hz": 12.345678, "ok": True})]:
        (reports / stage).mkdir(parents=True)
        (reports / stage / "metrics.json").write_text(json.dumps(metrics))
    dvc_yaml = tmp_path / "dvc.yaml"
    dvc_yaml.write_text("stages:\n  zeta: {cmd: x}\n  alpha: {cmd: y}\n")
    page = index_page.build_index(reports, notebooks, dvc_yaml).read_text()
    assert page.index('href="zeta.html"') < page.index('href="alpha.html"')  # dvc.yaml order, not by name
    assert "<td>n samples</td><td class='num'>1797</td>" in page  # integral floats print as integers
    assert "<td>mean rate (Hz)</td><td class='num'>12.35</td>" in page
    assert "built " in page and " UTC" in page
    assert oct((reports / "index.html").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_published_files_are_world_readable_and_html_loads_nothing_from_the_network(stage_dirs):
    notebooks, reports, params = stage_dirs
    make_notebook(notebooks / "good.ipynb", WRITE_METRICS)
    html = pipeline.run_stage("good", params, notebooks, reports, progress=False).read_text()
    for path in [reports / "good.html", reports / "good" / "metrics.json", reports / "good" / "notebook.ipynb"]:
        assert path.stat().st_mode & 0o044 == 0o044 or _umask() & 0o044, path  # readable by group and others
    assert (reports / "good").stat().st_mode & 0o055 == 0o055 or _umask() & 0o055
    import re

    assert not re.findall(r"<script[^>]+src=", html), "a script is loaded from elsewhere (CDN)"
    assert not re.findall(r"<link[^>]+href=[\"']https?:", html)


def test_progress_inside_a_cell_reaches_the_terminal_not_the_report(stage_dirs, capfd):
    notebooks, reports, params = stage_dirs
    make_notebook(notebooks / "slow.ipynb", (
        "from neurobench.progress import track\n"
        "total = sum(track(range(7), 'epochs of work'))\n"
        "from neurobench.report import save_metrics\n"
        "save_metrics(output_dir, {'total': total})"))
    html = pipeline.run_stage("slow", params, notebooks, reports, progress=True)
    err = capfd.readouterr().err
    assert "epochs of work" in err and "7/7" in err  # the runner drew the kernel's loop
    assert "epochs of work" not in html.read_text()
    assert json.loads((reports / "slow" / "metrics.json").read_text()) == {"total": 21}
    assert sorted(p.name for p in reports.iterdir()) == ["slow", "slow.html"]  # no progress file left
    from neurobench.progress import ENV_VAR
    import os
    assert ENV_VAR not in os.environ


def test_track_without_a_runner_just_iterates(capfd, monkeypatch):
    from neurobench.progress import ENV_VAR, track
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert list(track(iter([1, 2]), "quiet")) == [1, 2]
    assert "quiet" not in capfd.readouterr().err
    assert list(track([1, 2], "shown", show=True)) == [1, 2]
    assert "shown" in capfd.readouterr().err


def test_a_reports_folder_deeper_than_a_unix_socket_path_still_runs(stage_dirs):
    """The kernel's IPC sockets live in a short temporary folder, not below ``reports`` (a Unix
    socket path has at most 107 bytes; pytest-xdist's per-worker folders are deeper than that)."""
    notebooks, reports, params = stage_dirs
    deep = reports / ("d" * 60) / ("e" * 60)
    assert len(str(deep)) > 120
    make_notebook(notebooks / "good.ipynb", WRITE_METRICS)
    html = pipeline.run_stage("good", params, notebooks, deep, progress=False)
    assert html == deep / "good.html" and "visible output" in html.read_text()
