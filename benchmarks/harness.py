"""What every benchmark shares: timing, peak memory, the machine line and result tables.

The scripts run as ``.venv/bin/python benchmarks/NAME.py``, so this sibling module imports as
``harness`` and ``neurobench`` comes from the environment (installed editable by ``make setup``).

* :func:`best_of` -- optional untimed warm-up, then the best of N timed runs, in seconds;
* :func:`peak_rss_bytes` (whole process, ``ru_maxrss``) and :func:`traced_peak` (allocations
  traced by ``tracemalloc`` during one call: Python objects and numpy arrays, not torch tensors);
* :func:`machine` -- one line naming the machine and the versions that matter;
* :func:`mark_identical` and :func:`print_table` -- peers (backends, paths) of the same case on
  adjacent rows, with an ``identical`` column saying whether each agrees with the reference.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import math
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO


# --- timing ---------------------------------------------------------------------------------


@dataclass
class Timing:
    """The outcome of :func:`best_of`."""

    seconds: float
    """Wall-clock seconds of the fastest timed run."""
    result: Any
    """What the fastest run returned."""
    runs: list[float] = field(default_factory=list)
    """Seconds of every timed run, in order."""
    warmup: float | None = None
    """Seconds of the untimed warm-up (None: there was none)."""


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """``(fn(), wall-clock seconds)``."""
    tic = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - tic


def interleaved(fns: dict[str, Callable[[], Any]], repeats: int, *,
                keep: str = "median") -> dict[str, tuple[float, Any, float]]:
    """Run the named callables in turn, ``repeats`` rounds (peers see the same machine load);
    ``{name: (wall-clock s, last result, CPU s of this process)}``, each time the median over the
    rounds (``keep="median"``) or that of the fastest round (``keep="best"``)."""
    if keep not in ("median", "best"):
        raise ValueError(f"keep = {keep!r} is not allowed: must be 'median' or 'best'")
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in fns}
    out: dict[str, Any] = {}
    for _ in range(repeats):
        for k, fn in fns.items():
            cpu = time.process_time()
            out[k], t = timed(fn)
            runs[k].append((t, time.process_time() - cpu))
    if keep == "best":
        return {k: (min(v)[0], out[k], min(v)[1]) for k, v in runs.items()}
    return {k: (statistics.median(r[0] for r in v), out[k], statistics.median(r[1] for r in v))
            for k, v in runs.items()}


def best_of(fn: Callable[[], Any], repeats: int = 3, *,
            warmup: int | Callable[[], Any] = 0) -> Timing:
    """Run ``fn`` ``repeats`` times and keep the fastest run.

    ``warmup`` runs first, untimed for the best: a number of calls of ``fn``, or a callable of its
    own (e.g. the same work on a small slice, to compile or fill caches); its duration is kept.
    On a shared machine the minimum is the least noisy estimate of the cost of ``fn``.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    warm_s = None
    if callable(warmup):
        _, warm_s = timed(warmup)
    elif warmup:
        _, warm_s = timed(lambda: [fn() for _ in range(warmup)])
    best = Timing(math.inf, None, [], warm_s)
    for _ in range(repeats):
        out, seconds = timed(fn)
        best.runs.append(seconds)
        if seconds < best.seconds:
            best.seconds, best.result = seconds, out
    return best


# --- memory ---------------------------------------------------------------------------------


def peak_rss_bytes(children: bool = False) -> int:
    """Peak resident memory of this process so far (or of its largest finished child process)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
    return usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024


def traced_peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``(fn(), peak bytes allocated during the call)`` as seen by ``tracemalloc``.

    Counts Python objects and numpy buffers above what was allocated before the call; native
    libraries that bypass Python's allocator (torch, Brian2's compiled code) are not seen. Tracing
    slows the call down: measure memory and time in separate runs.
    """
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()
    return out, max(peak, 0)


def format_bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def memory_line(children: bool = False) -> str:
    line = f"peak memory of this process: {format_bytes(peak_rss_bytes())}"
    if children:
        line += f"; of its largest child process: {format_bytes(peak_rss_bytes(children=True))}"
    return line


# --- the machine ----------------------------------------------------------------------------


def machine(*packages: str, cpus_used: str = "") -> str:
    """``processor, N CPUs, python X, pkg Y, ...`` for the header of a benchmark's output."""
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    cpus = f"{os.cpu_count()} CPUs" + (f" ({cpus_used})" if cpus_used else "")
    return ", ".join([platform.processor() or platform.machine(), cpus,
                      f"python {platform.python_version()}", *versions])


def arg_parser(doc: str | None, *, quick: bool = True,
               repeats: int | None | bool = None) -> argparse.ArgumentParser:
    """A parser described by the first line of ``doc``, with ``--quick`` and ``--repeats``.

    ``repeats``: the default of ``--repeats`` (None: the script picks by mode); False: no option.
    """
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0] if doc else None)
    if quick:
        parser.add_argument("--quick", action="store_true",
                            help="tiny sizes: checks that the script runs")
    if repeats is not False:
        parser.add_argument("--repeats", type=int, default=repeats,
                            help="timed runs (each script says whether it keeps the best or the median)")
    return parser


def progress(message: str) -> None:
    """A progress line on stderr (the tables go to stdout)."""
    print(f"  {message}", file=sys.stderr, flush=True)


# --- tables ---------------------------------------------------------------------------------


def mark_identical(
    rows: list[dict],
    same: Callable[[Any, Any], bool],
    *,
    group: str = "case",
    reference: Callable[[dict], bool] | None = None,
    output: str = "_output",
    column: str = "identical",
) -> list[dict]:
    """Add ``column`` to peer rows: does each row's output agree with its group's reference?

    Rows sharing ``row[group]`` are peers; the reference is the first peer for which
    ``reference(row)`` is true (default: the group's first row) and reads ``ref``; the others read
    ``yes`` or ``NO`` by ``same(reference output, row output)``, or ``-`` when the group has no
    reference. Outputs live under the private key ``output`` (not printed). Peers are moved next
    to each other, groups in order of first appearance.
    """
    groups: dict[Any, list[dict]] = {}
    for row in rows:
        groups.setdefault(row[group], []).append(row)
    ordered = []
    for peers in groups.values():
        ref = next((r for r in peers if reference is None or reference(r)), None)
        for row in peers:
            if ref is None:
                row[column] = "-"
            elif row is ref:
                row[column] = "ref"
            else:
                row[column] = "yes" if same(ref[output], row[output]) else "NO"
        ordered += peers
    return ordered


def _cell(value: Any, floatfmt: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) or getattr(getattr(value, "dtype", None), "kind", "") == "f":
        return "" if math.isnan(value) else format(float(value), floatfmt)
    return str(value)


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, float)) or hasattr(value, "dtype")


def table(rows: Sequence[dict], *, floatfmt: str = ".3g",
          columns: Iterable[str] | None = None) -> str:
    """``rows`` (dicts) as a Markdown table; keys starting with ``_`` are not shown.

    Numbers are right-aligned, floats formatted with ``floatfmt``, None and NaN left blank;
    an ``identical`` column comes last.
    """
    if columns is None:  # in order of appearance, the verdict of mark_identical last
        columns = list(dict.fromkeys(k for row in rows for k in row if not k.startswith("_")))
        columns.sort(key=lambda c: c == "identical")
    columns = list(columns)
    cells = [[_cell(row.get(c), floatfmt) for c in columns] for row in rows]
    numeric = [all(_numeric(row.get(c)) for row in rows if row.get(c) is not None) for c in columns]
    widths = [max([len(c), 3, *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.rjust(w) if num else v.ljust(w)
                                 for v, w, num in zip(values, widths, numeric)) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if num else ("-" * (w + 2))
                          for w, num in zip(widths, numeric)) + "|"
    return "\n".join([line(columns), rule, *(line(r) for r in cells)])


def print_table(rows: Sequence[dict], *, floatfmt: str = ".3g",
                columns: Iterable[str] | None = None, file: TextIO | None = None) -> None:
    print(table(rows, floatfmt=floatfmt, columns=columns), file=file)
