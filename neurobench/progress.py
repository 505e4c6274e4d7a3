"""Progress of long loops inside a stage notebook, shown in the terminal that runs the stage.

A notebook executed by papermill runs in a kernel whose output lands in the report, so a
progress bar drawn there would be invisible while the stage runs and clutter the report after.
Package loops that take long (epochs, workloads, networks, seeds) iterate through
:func:`track` instead:

* inside ``python -m neurobench.pipeline run STAGE`` (and so ``dvc repro``) the runner sets
  ``NEUROBENCH_PROGRESS_FILE``; :func:`track` appends one JSON line per step to that file
  (``{"desc": ..., "n": ..., "total": ...}``) and :class:`ProgressRelay`, a thread in the runner,
  draws them as tqdm bars on the terminal's stderr. Nothing reaches the report.
* anywhere else (JupyterLab, a script, the tests) :func:`track` shows a tqdm bar only when asked
  (``show=True``), and otherwise just iterates.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

__all__ = ["ENV_VAR", "ProgressRelay", "track"]

ENV_VAR = "NEUROBENCH_PROGRESS_FILE"
T = TypeVar("T")


def track(iterable: Iterable[T], desc: str, total: int | None = None, show: bool = False) -> Iterator[T]:
    """Iterate over ``iterable`` and report each completed step as ``desc`` (of ``total``, by
    default ``len(iterable)`` when it has one) to the stage runner, or to a tqdm bar when
    ``show`` and no runner listens."""
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = None
    path = os.environ.get(ENV_VAR)
    if path:
        yield from _to_file(iterable, Path(path), desc, total)
    elif show:
        from tqdm.auto import tqdm

        yield from tqdm(iterable, desc=desc, total=total, leave=False)
    else:
        yield from iterable


def _to_file(iterable: Iterable[T], path: Path, desc: str, total: int | None) -> Iterator[T]:
    def write(n: int) -> None:
        try:
            with path.open("a") as f:
                f.write(json.dumps({"desc": desc, "n": n, "total": total}) + "\n")
        except OSError:  # the runner has gone; progress is never worth failing a stage for
            pass

    write(0)
    n = 0
    for item in iterable:
        yield item
        n += 1
        write(n)


class ProgressRelay:
    """Draws the progress lines a stage's kernel writes to ``path`` as tqdm bars (one per
    ``desc``, below the runner's own bar) until stopped; a context manager that also sets
    ``NEUROBENCH_PROGRESS_FILE`` for the kernel it launches and restores it afterwards."""

    def __init__(self, path: str | Path, interval_s: float = 0.2, enabled: bool = True):
        self.path, self.interval_s, self.enabled = Path(path), interval_s, enabled
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bars: dict[str, object] = {}
        self._offset = 0
        self._previous: str | None = None

    def __enter__(self) -> "ProgressRelay":
        if not self.enabled:
            return self
        self.path.touch()
        self._previous = os.environ.get(ENV_VAR)
        os.environ[ENV_VAR] = str(self.path)
        self._thread = threading.Thread(target=self._run, name="neurobench-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll()
        for bar in self._bars.values():
            bar.close()
        if self._previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = self._previous

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.poll()

    def poll(self) -> None:
        """Read the lines written since the last poll and move the bars."""
        from tqdm import tqdm

        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except OSError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        self._offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            bar = self._bars.get(event["desc"])
            if bar is None or event["n"] < bar.n:  # a new loop with the same name restarts its bar
                if bar is not None:
                    bar.close()
                bar = tqdm(desc=event["desc"], total=event["total"], position=len(self._bars) + 1, leave=False)
                self._bars[event["desc"]] = bar
            bar.total = event["total"]
            bar.update(event["n"] - bar.n)
            bar.refresh()  # draw every state the kernel reported, however fast it came
