"""The NeuroBench-style table of a paper report: one row per evaluated network.

Every paper report shows, for the networks it evaluates, NeuroBench's static metrics
(``Footprint`` in bytes, ``ConnectionSparsity``, ``ParameterCount``) and workload metrics
(``ActivationSparsity``, ``SynapticOperations`` as ``Effective_ACs`` / ``Effective_MACs`` /
``Dense`` per sample, ``ClassificationAccuracy``), always in NeuroBench 2.3.0's convention
(``convention="neurobench"``, :mod:`neurobench.metrics.harness`).

One row of metrics is a dict with the keys ``COLUMNS`` plus ``kind`` (which definition applies)
and ``note``. It is built by the function for the kind of network:

* :func:`clock_metrics`: a clock-simulated SNN (``SimRecord`` + ``Network``): every column as
  :func:`neurobench.metrics.summary` gives it with ``convention="neurobench"``;
* :func:`async_metrics`: an event-driven (asynchronous) run of a ``Network``: delivered synaptic
  events are the ``Effective_ACs``; without time steps ``ActivationSparsity`` and ``Dense`` have
  no meaning (NaN, said in the note);
* :func:`ann_metrics`: an ANN of dense layers (the trained ANN before conversion, an analog MAC):
  every synaptic operation is a multiply-accumulate on real-valued inputs (``Effective_MACs``,
  ``Effective_ACs = 0``), ``ActivationSparsity`` over the ReLU outputs;
* :func:`row`: any other network (recurrent, delay, ...) from numbers the stage computed,
  ``static_metrics`` of its weight tensors.

A metric without meaning for a network is NaN and the row's ``note`` says why (a row with a NaN
and no note is an error), never a silent 0. :func:`neurobench_table` collects the rows of every
network and replicate into a tidy frame (mean and sample std over replicates),
:func:`neurobench_display` formats it with the claims table's ``format_measure`` (the notes as
footnotes: a number per row, the notes listed below the table) and
:func:`neurobench_json` flattens it into ``metrics.json`` keys ``neurobench/<network>/<metric>``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..network import Network
from ..sim.events import AsyncRecord
from ..sim.record import SimRecord
from .accuracy import classification_accuracy
from .checks import class_indices
from .decode import predict
from .footprint import BYTES_FLOAT32, connection_sparsity, footprint, parameter_count
from .summary import summary

__all__ = [
    "ARGMAX_NOTE",
    "COLUMNS",
    "KINDS",
    "NOTES_ATTR",
    "NO_CLASSES",
    "ann_metrics",
    "async_metrics",
    "clock_metrics",
    "neurobench_display",
    "neurobench_json",
    "neurobench_table",
    "row",
    "sequence_metrics",
    "static_metrics",
    "tensor_metrics",
    "tensor_synops",
]

COLUMNS = ("Footprint", "ConnectionSparsity", "ParameterCount", "ActivationSparsity",
           "Effective_ACs", "Effective_MACs", "Dense", "ClassificationAccuracy")
"""NeuroBench's metric names, in the order of the table (``SynapticOperations`` split into its
three keys; units: bytes, fraction, count, fraction, operations per sample (x3), fraction)."""

KINDS = {
    "clock SNN": "clock-simulated SNN: spikes are binary, every synaptic operation an AC",
    "async SNN": "event-driven run: every delivered synaptic event is one AC",
    "ANN": "real-valued activations: every synaptic operation a MAC, activation sparsity of the ReLU outputs",
    "recurrent SNN": "recurrent SNN: recurrent synapses counted as connections and ACs",
    "delay SNN": "SNN with synaptic delays: delayed synapses counted as connections and ACs",
}
"""The kinds of network a row can describe, with the definition that applies to each."""


def static_metrics(network: Network) -> dict[str, float]:
    """``Footprint`` (bytes), ``ConnectionSparsity``, ``ParameterCount`` of ``network`` in
    NeuroBench's convention (``footprint``, ``connection_sparsity``, ``parameter_count`` with
    ``convention="neurobench"``: parameters and neuron buffers of the equivalent snnTorch
    model, sparsity rounded to 4 decimals)."""
    return {"Footprint": float(footprint(network, convention="neurobench")),
            "ConnectionSparsity": connection_sparsity(network, "neurobench"),
            "ParameterCount": float(parameter_count(network, "neurobench"))}


def tensor_metrics(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] = (),
                   buffer_bytes: int = 0, bytes_per_param: int = BYTES_FLOAT32) -> dict[str, float]:
    """The static metrics of a model given by its weight tensors (any shape: dense, recurrent,
    delay-indexed) and optional bias vectors, as NeuroBench counts a torch model:

    * ``ParameterCount = sum size(W) + sum size(b)`` (every bias passed counts, zero or not);
    * ``Footprint = ParameterCount * bytes_per_param + buffer_bytes`` (bytes; float32 default);
    * ``ConnectionSparsity = #{W == 0} / sum size(W)`` over the weights only, computed in float32
      and rounded to 4 decimals as the harness does (NaN without weights).
    """
    ws = [np.asarray(w) for w in weights]
    n_w = sum(int(w.size) for w in ws)
    n_b = sum(int(np.asarray(b).size) for b in biases if b is not None)
    zeros = sum(int(np.count_nonzero(w == 0)) for w in ws)
    sparsity = round(float(np.float32(zeros) / np.float32(n_w)), 4) if n_w else float("nan")
    count = n_w + n_b
    return {"Footprint": float(count * int(bytes_per_param) + int(buffer_bytes)),
            "ConnectionSparsity": sparsity, "ParameterCount": float(count)}


def tensor_synops(weight: np.ndarray, s: np.ndarray, taps: Sequence[int] | np.ndarray = (0,)) -> tuple[float, float]:
    """(effective, dense) synaptic operations per sample of one projection applied at every step:
    ``weight`` (n_out, n_in) or, with synaptic delays, (n_out, n_in, K) with tap delays ``taps``
    (K,) in steps, on inputs ``s`` (batch, T, n_in) (a dense or recurrent layer: ``taps=(0,)``).
    NeuroBench's count of a ``Linear`` layer run over T steps, extended to delayed synapses:

    * effective ``= (1/B) sum_b sum_k sum_j #{t <= T-1-d_k: s[b, t, j] != 0} * #{i: w[i, j, k] != 0}``;
    * dense ``= sum_k max(T - d_k, 0) * n_out * n_in`` (every synapse at every step it delivers).

    The caller decides whether they are ACs (binary ``s``) or MACs (real-valued ``s``).
    """
    s = np.asarray(s)
    weight = np.asarray(weight)
    weight = weight[:, :, None] if weight.ndim == 2 else weight
    n_steps = s.shape[1]
    fan = np.count_nonzero(weight, axis=0)  # (n_in, K)
    active = np.cumsum(s != 0, axis=1)  # (B, T, n_in): active inputs up to each step
    effective = dense = 0.0
    for k, d in enumerate(np.asarray(taps, dtype=np.int64)):
        last = n_steps - 1 - int(d)
        if last >= 0:
            effective += float((active[:, last, :] @ fan[:, k]).mean())
            dense += float((last + 1) * weight.shape[0] * weight.shape[1])
    return effective, dense


def row(kind: str, static: Mapping[str, float], activation_sparsity: float, effective_acs: float,
        effective_macs: float, dense: float, accuracy: float, note: str = "") -> dict:
    """One row of the table from numbers the stage computed (per sample, NeuroBench's units).

    ``kind`` is one of ``KINDS``; ``static`` holds ``Footprint``, ``ConnectionSparsity`` and
    ``ParameterCount`` (:func:`static_metrics`, :func:`tensor_metrics`). A NaN value must be
    explained in ``note`` (``ValueError`` otherwise): a metric without meaning is never 0.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    missing = [c for c in COLUMNS[:3] if c not in static]
    if missing:
        raise ValueError(f"static metrics lack {missing}")
    out = {c: float(static[c]) for c in COLUMNS[:3]}
    out |= {"ActivationSparsity": float(activation_sparsity), "Effective_ACs": float(effective_acs),
            "Effective_MACs": float(effective_macs), "Dense": float(dense),
            "ClassificationAccuracy": float(accuracy)}
    nan = [c for c in COLUMNS if math.isnan(out[c])]
    if nan and not note:
        raise ValueError(f"{nan} are NaN: give the reason in note")
    return {"kind": kind, **out, "note": note}


ARGMAX_NOTE = ("accuracy by NeuroBench's argmax of the output spike counts (a tie goes to the lowest index, a silent "
               "sample to class 0), where our decoder breaks ties by the first spike and counts a silent sample wrong")
"""The note of a clock SNN row whose report states accuracies by our decoder (``predict``'s default)."""

NO_CLASSES = "no class labels (regression task): ClassificationAccuracy undefined"
"""The note of a row whose network solves no classification task (``labels=None``)."""


def _with(reason: str, note: str) -> str:
    return "; ".join(t for t in (reason, note) if t)


def sequence_metrics(kind: str, static: Mapping[str, float], weights: Sequence[np.ndarray],
                     inputs: Sequence[np.ndarray], hidden: Sequence[np.ndarray], accuracy: float,
                     taps: Sequence | None = None, note: str = "") -> dict:
    """The row of a network run over T steps outside the clock simulator (a torch model: delay,
    recurrent-cell or LIF network) from one forward pass: ``weights[l]`` (n_out, n_in) or
    (n_out, n_in, K) is applied at every step to ``inputs[l]`` (batch, T, n_in) with tap delays
    ``taps[l]`` (default: none), ``hidden`` are the outputs of its neuron layers (batch, T, n)
    and ``accuracy`` is the argmax accuracy of its readout.

    ``ActivationSparsity`` = zero entries / all entries of ``hidden``; each projection's
    :func:`tensor_synops` are ``Effective_ACs`` when its input is binary (0/1), else
    ``Effective_MACs``; ``Dense`` their dense counts; ``static`` from :func:`tensor_metrics`.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"need one input per projection: {len(weights)} weights, {len(inputs)} inputs")
    taps = [(0,)] * len(weights) if taps is None else list(taps)
    acs = macs = dense = 0.0
    for w, s, d in zip(weights, inputs, taps):
        s = np.asarray(s)
        effective, n_dense = tensor_synops(w, s, d)
        if np.isin(np.unique(s), (0, 1)).all():
            acs += effective
        else:
            macs += effective
        dense += n_dense
    total = sum(np.asarray(h).size for h in hidden)
    zeros = sum(int(np.asarray(h).size - np.count_nonzero(h)) for h in hidden)
    sparsity = zeros / total if total else float("nan")
    reason = "" if total else "no hidden neuron layer: ActivationSparsity undefined"
    return row(kind, static, sparsity, acs, macs, dense, accuracy, _with(reason, note))


def clock_metrics(record: SimRecord, labels, network: Network, kind: str = "clock SNN",
                  note: str = "") -> dict:
    """The row of a clock-simulated run of ``network`` on samples with ``labels``: every column
    from ``summary(record, labels, network, convention="neurobench")`` (argmax accuracy,
    pooling synapses not counted, per sample over the record's steps). ``labels=None``: a
    network without classes (regression): ``ClassificationAccuracy`` NaN, the note says so."""
    if labels is None:
        labels = np.zeros(record.layers[0].spike_count.shape[0], dtype=int)
        s = summary(record, labels, network, convention="neurobench") | {"accuracy": float("nan")}
        note = _with(NO_CLASSES, note)
    else:
        s = summary(record, labels, network, convention="neurobench")
    return row(kind, static_metrics(network), s["activation_sparsity"], s["effective_acs"],
               s["effective_macs"], s["dense_synops"], s["accuracy"], note)


def async_metrics(record: AsyncRecord, labels, network: Network, note: str = "") -> dict:
    """The row of an event-driven run of ``network``: ``Effective_ACs`` = synaptic events
    delivered per sample (every layer, ``record.synops``), ``Effective_MACs`` = 0 (binary
    events), accuracy of the argmax of the output spike counts (``predict(...,
    convention="neurobench")``). ``ActivationSparsity`` and ``Dense`` count neuron-steps, which
    an event-driven run does not have: NaN, and the note says so."""
    lab = class_indices("labels", labels)
    pred = predict(record, convention="neurobench")
    reason = "event-driven run: no time steps, so ActivationSparsity and Dense are undefined"
    return row("async SNN", static_metrics(network), float("nan"),
               float(record.synops.sum(axis=1).mean()), 0.0, float("nan"),
               classification_accuracy(pred, lab), _with(reason, note))


def ann_metrics(weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None],
                inputs: Sequence[np.ndarray], hidden: Sequence[np.ndarray], predictions, labels,
                note: str = "", static: Mapping[str, float] | None = None,
                dense: float | None = None) -> dict:
    """The row of a feed-forward ANN of dense layers ``y = W x + b`` (``W``: (n_out, n_in)).

    ``inputs[l]``: the input of layer ``l`` per sample, shape (batch, n_in); ``hidden``: the
    outputs of its activation modules (ReLU), each (batch, n). As NeuroBench counts a model
    whose layer inputs are not binary:

    * ``Effective_MACs = (1/B) sum_l sum_i sum_j [x_l[i, j] != 0] * #{k: W_l[k, j] != 0}``,
      ``Effective_ACs = 0``, ``Dense = sum_l size(W_l)`` (one step per sample);
    * ``ActivationSparsity = #{zero entries of hidden} / #{entries of hidden}``;
    * static metrics from :func:`tensor_metrics` (the torch model has a bias per layer).

    ``labels=None``: a network without classes (regression): ``ClassificationAccuracy`` NaN, the
    note says so (``predictions`` ignored). A convolution enters as its unrolled (n_out, n_in)
    matrix (``Network.weight_matrix(i).toarray()``), which counts the same MACs; then pass
    ``static`` (:func:`tensor_metrics` of the kernels) and ``dense`` (the layers' synapses
    within the input bounds, per sample), which the unrolled matrices would get wrong.
    """
    if len(weights) != len(inputs):
        raise ValueError(f"need one input per layer: {len(weights)} weights, {len(inputs)} inputs")
    macs = 0.0
    for w, x in zip(weights, inputs):
        w, x = np.asarray(w), np.asarray(x)
        if x.ndim != 2 or x.shape[1] != w.shape[1]:
            raise ValueError(f"layer input must have shape (batch, {w.shape[1]}), got {x.shape}")
        fanout = np.count_nonzero(w, axis=0)
        macs += float(((x != 0) @ fanout).mean())
    acts = [np.asarray(h) for h in hidden]
    total = sum(a.size for a in acts)
    sparsity = sum(int(np.count_nonzero(a == 0)) for a in acts) / total if total else float("nan")
    if labels is None:
        accuracy, note = float("nan"), _with(NO_CLASSES, note)
    else:
        accuracy = classification_accuracy(class_indices("predictions", predictions), class_indices("labels", labels))
    if dense is None:
        dense = float(sum(np.asarray(w).size for w in weights))
    reason = "" if total else "no hidden activation module: ActivationSparsity undefined"
    return row("ANN", tensor_metrics(weights, biases) if static is None else static, sparsity, 0.0, macs,
               float(dense), accuracy, _with(reason, note))


def neurobench_table(rows: Mapping[str, Sequence[Mapping]]) -> pd.DataFrame:
    """The tidy table: ``rows`` maps each network's name to its rows, one per replicate.

    One line per network (index ``network``) with ``kind``, ``replicates`` (count), every column
    of ``COLUMNS`` (mean over replicates), ``<column>_std`` (sample std over replicates, NaN for
    a single one) and ``note`` (the distinct notes of its rows). A network's rows must share
    their kind.
    """
    lines = []
    for name, reps in rows.items():
        reps = list(reps)
        if not reps:
            raise ValueError(f"network {name!r} has no rows")
        kinds = {r["kind"] for r in reps}
        if len(kinds) != 1:
            raise ValueError(f"network {name!r} mixes kinds {sorted(kinds)}")
        values = pd.DataFrame([{c: r[c] for c in COLUMNS} for r in reps], dtype=float)
        line = {"network": name, "kind": kinds.pop(), "replicates": len(reps)}
        line |= {c: float(values[c].mean(skipna=False)) for c in COLUMNS}
        line |= {f"{c}_std": float(values[c].std(ddof=1)) if len(reps) > 1 else float("nan") for c in COLUMNS}
        line["note"] = "; ".join(dict.fromkeys(r["note"] for r in reps if r["note"]))
        lines.append(line)
    columns = ["network", "kind", "replicates", *COLUMNS, *(f"{c}_std" for c in COLUMNS), "note"]
    return pd.DataFrame(lines, columns=columns).set_index("network")


NOTES_ATTR = "notes"
"""Key of ``DataFrame.attrs`` under which :func:`neurobench_display` leaves the numbered notes
(``report.table_html`` shows them as a numbered list below the table)."""


def neurobench_display(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` as shown in a report: one cell per metric, ``"mean ± std"`` (claims'
    ``format_measure``) where the network has three or more replicates, else the mean as a
    number (``report.show_table`` formats it, NaN as ``n/a``; the note says why).

    The notes are not a column (long text makes rows tall and the table wider than the page):
    each distinct note gets a number, in order of first appearance; the column ``notes`` holds
    the row's number (empty without a note) and ``attrs[NOTES_ATTR]`` the list of notes, which
    ``report.show_table`` prints below the table as a numbered list.
    """
    from ..claims import format_measure

    shown = pd.DataFrame(index=table.index)
    shown["kind"] = table["kind"]
    shown["replicates"] = table["replicates"]
    for c in COLUMNS:
        shown[c] = [format_measure(m, s, digits=4) if n >= 3 and not math.isnan(m) else float(m)
                    for m, s, n in zip(table[c], table[f"{c}_std"], table["replicates"])]
    notes: list[str] = []
    for note in table["note"]:
        if note and note not in notes:
            notes.append(note)
    shown["notes"] = [str(notes.index(note) + 1) if note else "" for note in table["note"]]
    shown.attrs[NOTES_ATTR] = notes
    return shown


def neurobench_json(table: pd.DataFrame, prefix: str = "neurobench") -> dict[str, float]:
    """The table's numbers for ``metrics.json``: ``<prefix>/<network>/<metric>`` (the mean) and,
    with two or more replicates, ``<prefix>/<network>/<metric>_std``, for every metric of
    ``COLUMNS``; NaN values are left out (``metrics.json`` holds no NaN; the report says why)."""
    out: dict[str, float] = {}
    for name, line in table.iterrows():
        for c in COLUMNS:
            for key in (c, f"{c}_std"):
                value = float(line[key])
                if not math.isnan(value):
                    out[f"{prefix}/{name}/{key}"] = value
    return out
