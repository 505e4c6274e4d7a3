"""A conversion whose per-neuron solves fan out through ``neurobench.executor``.

``neurobench.conversion.Converter`` already splits every layer into independent neuron
problems: ``neurobench.conversion.layer.solve_layer`` submits one task per chunk of neurons
(``_solve_chunk(R, Z, silent, i_th, max_error, neuron_ids, task)``, a pure module-level
function: the layer's input matrix and the chunk's targets in, ``NeuronSolution`` objects out)
to any object with ``submit(fn, *args)`` and then collects every future's ``result()`` in
neuron order. :class:`~neurobench.executor.SubmitAdapter` is such an object over an executor session: it collects
the submissions of a layer and, at the first ``result()``, maps them all through
:meth:`neurobench.executor.Session.map` (one map per layer). The conversion code is used
unchanged, and the converted weights do not depend on the executor kind.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ann import Ann
from ..conversion import Converter
from ..executor import ExecutorParams, Session, SubmitAdapter, session_of

__all__ = ["SubmitAdapter", "convert"]


def convert(ann: Ann, calibration_x: np.ndarray, executor: ExecutorParams | Session = ExecutorParams(),
            **converter_kwargs: Any) -> Converter:
    """Fit a ``Converter(**converter_kwargs)`` to ``ann`` on ``calibration_x`` with its neuron
    solves run as ``executor`` says (settings, or an open session shared with other fan-outs); returns the fitted converter (``network_``,
    ``layer_reports_``, ``solutions_``, read-out constants).

    The weights, biases, solver statuses and objectives are identical for every executor kind;
    only the timings of the reports differ.
    """
    with session_of(executor) as session:
        converter = Converter(executor=session, **converter_kwargs)
        converter.fit(ann, calibration_x)
    return converter
