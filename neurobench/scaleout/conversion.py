"""A conversion whose per-neuron solves fan out through ``neurobench.executor``.

``neurobench.conversion.Converter`` already splits every layer into independent neuron
problems: ``neurobench.conversion.layer.solve_layer`` submits one task per chunk of neurons
(``_solve_chunk(R, Z, silent, i_th, max_error, neuron_ids, task)``, a pure module-level
function: the layer's input matrix and the chunk's targets in, ``NeuronSolution`` objects out)
to any object with ``submit(fn, *args)`` and then collects every future's ``result()`` in
neuron order. :class:`SubmitAdapter` is such an object over an executor session: it collects
the submissions of a layer and, at the first ``result()``, maps them all through
:meth:`neurobench.executor.Session.map` (one map per layer). The conversion code is used
unchanged, and the converted weights do not depend on the executor kind.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ann import Ann
from ..conversion import Converter
from ..executor import ExecutorParams, Session, session_of

__all__ = ["SubmitAdapter", "convert"]


def _call(packed: tuple[Callable[..., Any], tuple]) -> Any:
    """Task function of a submitted call: ``fn(*args)`` (module level, so workers import it)."""
    fn, args = packed
    return fn(*args)


class _Deferred:
    """The future of a submission: its result is computed when any pending result is asked for."""

    _UNSET = object()

    def __init__(self, owner: "SubmitAdapter") -> None:
        self._owner = owner
        self._value: Any = self._UNSET

    def result(self) -> Any:
        if self._value is self._UNSET:
            self._owner.flush()
        return self._value


class SubmitAdapter:
    """A ``concurrent.futures``-style ``submit`` over a :class:`~neurobench.executor.Session`.

    Submissions are held until the first ``result()`` of any of them; then every pending
    submission is mapped through the session at once (progress as ``desc``) and each future gets
    its result. ``solve_layer`` submits a whole layer before it collects, so each layer is one
    map. A task that fails raises at that first ``result()``.
    """

    def __init__(self, session: Session, desc: str = "conversion: neuron chunks") -> None:
        self.session, self.desc = session, desc
        self._pending: list[tuple[Callable[..., Any], tuple, _Deferred]] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Deferred:
        future = _Deferred(self)
        self._pending.append((fn, args, future))
        return future

    def flush(self) -> None:
        """Run every pending submission through the session."""
        batch, self._pending = self._pending, []
        results = self.session.map(_call, [(fn, args) for fn, args, _ in batch], self.desc)
        for (_, _, future), value in zip(batch, results):
            future._value = value


def convert(ann: Ann, calibration_x: np.ndarray, executor: ExecutorParams | Session = ExecutorParams(),
            **converter_kwargs: Any) -> Converter:
    """Fit a ``Converter(**converter_kwargs)`` to ``ann`` on ``calibration_x`` with its neuron
    solves run as ``executor`` says (settings, or an open session shared with other fan-outs); returns the fitted converter (``network_``,
    ``layer_reports_``, ``solutions_``, read-out constants).

    The weights, biases, solver statuses and objectives are identical for every executor kind;
    only the timings of the reports differ.
    """
    with session_of(executor) as session:
        converter = Converter(executor=SubmitAdapter(session), **converter_kwargs)
        converter.fit(ann, calibration_x)
    return converter
