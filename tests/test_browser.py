"""The reports as a reader sees them: ``index.html`` and every ``<stage>.html`` in headless Chromium.

The pages are the ones the notebook tests check (``built_reports`` in conftest.py: every stage
built small, once per session, into one reports folder, then the index). For each page the test

* renders an instrumented copy (``<tmp>/<page>.check.html``: ``<base href>`` pointing at the
  reports folder, so that relative URLs resolve as for the original, and the recorder script
  ``RECORDER`` as the first thing in ``<head>``, so that it also sees errors from the page's own
  scripts) with ``--dump-dom``, and reads back the JSON the recorder wrote into the DOM;
* when a check fails, takes ``--screenshot`` of the original page (``<tmp>/<page>.png``,
  1280x2000) for debugging, named in the failure (not otherwise: a browser run costs seconds).

Checks, per page:

* **no errors**: nothing reached ``window`` ``error`` events (uncaught exceptions, and resources
  that failed to load: images, scripts, stylesheets), ``unhandledrejection`` or ``console.error``;
* **images**: every ``document.images`` entry is ``complete`` with ``naturalWidth > 0`` and
  ``naturalHeight > 0`` (it decoded); each stage report has at least one (every notebook draws);
* **no Python error text**, with a rule precise enough that a metric called "rate error" passes:
  the visible text (``document.body.innerText``) must not contain ``Traceback (most recent call
  last)`` nor a line that starts like an exception summary (``ValueError: ...``,
  ``pkg.SomeException: ...``, ``Error: ...``: ``EXCEPTION_LINE``), and no nbconvert stderr/error
  output (``data-mime-type="application/vnd.jupyter.stderr"``, which is how nbconvert renders both
  stderr streams and cell errors) may contain an exception name followed by a colon
  (``EXCEPTION_NAME``) anywhere. Warnings on stderr (``UserWarning: ...``) are not failures; they
  are printed (``pytest -rP`` shows them);
* **index links**: every ``href`` of ``index.html`` is a relative link to a file that exists
  (resolved by the browser against the index; ``#id`` links must name an element of the page),
  and every stage report built in the session is linked.

Chromium comes from the distribution (``apt-get install chromium``; ``.ci/run`` installs it when
missing). Without any of ``BROWSERS`` on PATH the tests skip with a loud reason, except when the
environment variable ``CI`` is set: CI must run them, so there they fail.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
STAGES = [name for name, stage in yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"].items()
          if stage.get("cmd") == f"python -m neurobench.pipeline run {name}"]  # notebook stages, dvc.yaml order

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 60  # per browser run
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000")
RESULT_ID = "__neurobench_browser_check__"

TRACEBACK = "Traceback (most recent call last)"
EXCEPTION_NAME = re.compile(r"\b(?:[A-Za-z_][\w.]*\.)?(?:[A-Z]\w*)?(?:Error|Exception)\b:")
EXCEPTION_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.]*\.)?(?:[A-Z]\w*)?(?:Error|Exception):", re.MULTILINE)

RECORDER = """<script>/* neurobench browser check (tests/test_browser.py) */
(function () {
  var errors = [];
  function text(x) { try { return x && x.stack ? String(x.stack) : String(x); } catch (e) { return '?'; } }
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && t.tagName) {
      errors.push('failed to load <' + t.tagName.toLowerCase() + '> ' + String(t.src || t.href || '').slice(0, 200));
    } else {
      errors.push('uncaught ' + (e.message || '') + ' at ' + (e.filename || '') + ':' + (e.lineno || '') +
                  (e.error ? '\\n' + text(e.error) : ''));
    }
  }, true);
  window.addEventListener('unhandledrejection', function (e) { errors.push('unhandled rejection: ' + text(e.reason)); });
  var consoleError = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.map.call(arguments, text).join(' '));
    return consoleError.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    setTimeout(function () {  // after the page's own load handlers
      var all = function (selector, f) { return Array.prototype.map.call(document.querySelectorAll(selector), f); };
      var result = {
        title: document.title,
        errors: errors,
        images: Array.prototype.map.call(document.images, function (img) {
          return {src: String(img.currentSrc || img.src).slice(0, 60), complete: img.complete,
                  width: img.naturalWidth, height: img.naturalHeight};
        }),
        text: document.body.innerText,
        stderr: all('[data-mime-type="application/vnd.jupyter.stderr"]', function (el) { return el.textContent; }),
        links: all('[href]:not(base)', function (el) {
          var href = el.getAttribute('href');
          return {tag: el.tagName.toLowerCase(), href: href, url: el.href,
                  anchor: href.charAt(0) === '#' ? !!document.getElementById(decodeURIComponent(href.slice(1))) : null};
        })
      };
      var out = document.createElement('pre');
      out.id = '%s';
      out.style.display = 'none';
      out.textContent = JSON.stringify(result);
      document.body.appendChild(out);
    }, 0);
  });
})();
</script>""" % RESULT_ID


def find_browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="module")
def browser() -> str:
    path = find_browser()
    if path is None:
        reason = (f"!!! NO HEADLESS BROWSER: none of {', '.join(BROWSERS)} is on PATH, so the HTML reports were "
                  "NOT checked in a browser. Install Chromium from the distribution (Debian/Ubuntu: "
                  "`apt-get install chromium`; .ci/run does it when missing).")
        if os.environ.get("CI"):
            pytest.fail(reason + " CI is set: CI must run the browser checks, so this fails instead of skipping.",
                        pytrace=False)
        pytest.skip(reason)
    return path


def run_browser(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """One headless run with a fresh profile; killed with its whole process group after TIMEOUT_S."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=tmp_path))
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{browser} did not finish within {TIMEOUT_S} s: {' '.join(cmd)}", pytrace=False)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def instrumented_copy(page: Path, tmp_path: Path) -> Path:
    """``page`` with ``<base href>`` (its folder) and RECORDER first in ``<head>``, written to tmp_path."""
    source = page.read_text(encoding="utf-8")
    inject = f'<base href="{page.parent.resolve().as_uri()}/">{RECORDER}'
    head = re.search(r"<head\b[^>]*>", source, re.IGNORECASE)
    if head:
        source = source[:head.end()] + inject + source[head.end():]
    else:
        source = f"<head>{inject}</head>" + source
    copy = tmp_path / f"{page.stem}.check.html"
    copy.write_text(source, encoding="utf-8")
    return copy


def screenshot(browser: str, page: Path, tmp_path: Path) -> str:
    """Writes ``tmp_path/<page>.png`` (the original page, 1280x2000); its path, for a failure message."""
    shot = tmp_path / f"{page.stem}.png"
    run_browser(browser, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", page.resolve().as_uri())
    return str(shot) + ("" if shot.is_file() else " (NOT WRITTEN)")


def render(browser: str, page: Path, tmp_path: Path) -> dict:
    """The recorder's result for ``page``."""
    copy = instrumented_copy(page, tmp_path)
    done = run_browser(browser, tmp_path, "--dump-dom", copy.as_uri())
    found = re.search(rf'<pre id="{RESULT_ID}"[^>]*>(.*?)</pre>', done.stdout, re.DOTALL)
    if not found:
        pytest.fail(f"{page.name}: the page did not finish loading in the browser (no result in the dumped DOM; "
                    f"exit status {done.returncode}); browser stderr:\n{done.stderr[-3000:]}", pytrace=False)
    return json.loads(html.unescape(found.group(1)))


def python_error_text(result: dict) -> list[str]:
    """What in the page reads like a Python error (the rule of the module docstring)."""
    problems = []
    if TRACEBACK in result["text"]:
        problems.append(f"visible text contains {TRACEBACK!r}")
    problems += [f"visible line reads like an exception: {m.group(0).strip()!r}..."
                 for m in EXCEPTION_LINE.finditer(result["text"])]
    for block in result["stderr"]:
        if EXCEPTION_NAME.search(block):
            problems.append(f"stderr/error output of a cell: {block.strip()[:1500]!r}")
        else:
            print(f"stderr output (not an error): {block.strip()[:500]}")
    return problems


def page_problems(result: dict) -> list[str]:
    """Every failed check of one page: browser errors, undecoded images, Python error text."""
    problems = ["errors in the browser:\n" + "\n".join(result["errors"])] if result["errors"] else []
    broken = [img for img in result["images"] if not (img["complete"] and img["width"] > 0 and img["height"] > 0)]
    if broken:
        problems.append(f"{len(broken)} of {len(result['images'])} images did not decode: {broken}")
    errors = python_error_text(result)
    if errors:
        problems.append("Python error text in the page:\n" + "\n".join(errors))
    return problems


def check_page(result: dict, page: Path, browser: str, tmp_path: Path) -> None:
    """Fails naming every problem of the page and a screenshot of it (taken only then)."""
    problems = page_problems(result)
    assert not problems, f"{page.name} (screenshot: {screenshot(browser, page, tmp_path)}): " + "\n".join(problems)


@pytest.mark.parametrize("stage", STAGES)
def test_report_renders_in_a_browser(stage, browser, built_reports, tmp_path):
    try:
        page = built_reports.stage(stage)
    except pytest.fail.Exception:
        pytest.skip(f"stage {stage!r} could not be built; test_notebooks.py::"
                    f"test_notebook_runs_and_writes_declared_outputs[{stage}] reports why")
    result = render(browser, page, tmp_path)
    check_page(result, page, browser, tmp_path)
    assert result["images"], f"{page.name}: no image in the report (every notebook draws figures)"


def test_index_renders_in_a_browser_and_every_link_resolves(browser, built_reports, tmp_path):
    index = built_reports.build_all()
    result = render(browser, index, tmp_path)
    check_page(result, index, browser, tmp_path)
    assert result["links"], "the index links to nothing"
    unresolved = []
    for link in result["links"]:
        if link["href"].startswith("#"):
            if not link["anchor"]:
                unresolved.append(f"{link['href']!r}: no element with that id")
            continue
        url = urlparse(link["url"])
        if url.scheme != "file" or urlparse(link["href"]).scheme:
            unresolved.append(f"{link['href']!r}: not a relative link to a file (the reports must open offline)")
        elif not Path(unquote(url.path)).is_file():
            unresolved.append(f"{link['href']!r}: {unquote(url.path)} does not exist")
    assert not unresolved, "index.html links that do not resolve:\n" + "\n".join(unresolved)
    linked = {Path(unquote(urlparse(link["url"]).path)).resolve() for link in result["links"]}
    missing = [name for name in built_reports.built if built_reports.built[name].resolve() not in linked]
    assert not missing, f"index.html does not link the reports of {missing}"
