"""Latency to decision: when a run's decision becomes final (clock-driven records, in steps and
ms) and how many forward steps and spikes an asynchronous run needs before its first (correct)
output spike."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sim.events import AsyncRecord
from ..sim.record import SimRecord
from .checks import UNDECIDED, TieBreak, check_tie_break, class_indices
from .decode import decide, predict_from_counts

__all__ = ["DecisionLatency", "accuracy_vs_steps", "first_output_latency", "latency_to_decision"]

_CHUNK_ELEMENTS = 1 << 22  # cap on (samples x steps x neurons) held at once by latency_to_decision


@dataclass(frozen=True)
class DecisionLatency:
    """Per-sample decision latencies (see ``latency_to_decision``).

    Attributes
    ----------
    decision : (batch,) int64
        Final decision (after the last step), -1 if undecided.
    step : (batch,) int64
        First step from which the running decision equals the final decision and never changes
        again; -1 for undecided samples.
    time_ms : (batch,) float64
        ``step * dt`` ms; NaN for undecided samples.
    mean_step, mean_ms : float
        Means over the decided samples; NaN if no sample is decided.
    n_undecided : int
        Number of samples whose final decision is -1.
    first_correct_step : (batch,) int64 or None
        With labels: first step at which the running decision equals the label (it may change
        later), -1 if it never does; ``None`` without labels.
    first_correct_ms : (batch,) float64 or None
        ``first_correct_step * dt`` ms, NaN where -1.
    """

    decision: np.ndarray
    step: np.ndarray
    time_ms: np.ndarray
    mean_step: float
    mean_ms: float
    n_undecided: int
    first_correct_step: np.ndarray | None = None
    first_correct_ms: np.ndarray | None = None


def latency_to_decision(
    record: SimRecord, labels=None, tie_break: TieBreak = "first_spike"
) -> DecisionLatency:
    """Step (and ms) from which each sample's decision is final; needs ``record.output.spikes``.

    The running decision at step ``t`` is ``d_t = predict_from_counts(C_t, tie_break, F_t)`` with
    ``C_t[k] = sum_{s <= t} spikes[s, k]`` the cumulative output spike counts and ``F_t`` the first
    spike steps seen up to ``t``. The final decision is ``D = d_{T-1}``, which equals
    ``predict(record, tie_break)``. The decision latency is

        ``step = min{t : d_s == D for every s >= t}``,  ``time_ms = step * dt``,

    i.e. the step after the last change of mind. Undecided samples (``D == -1``) have no latency:
    ``step = -1`` and ``time_ms = NaN``, they are excluded from the means and counted in
    ``n_undecided``. With ``labels``, ``first_correct_step = min{t : d_t == label}`` (-1 if never)
    is also returned. Not a NeuroBench metric.
    """
    check_tie_break(tie_break)
    spikes = record.output.spikes
    if spikes is None:
        raise ValueError(
            "latency_to_decision needs output spike trains (simulate with record_spikes=True)"
        )
    spikes = np.asarray(spikes)
    batch, n_steps, n = spikes.shape
    lab = None
    if labels is not None:
        lab = class_indices("labels", labels)
        if lab.shape != (batch,):
            raise ValueError(f"labels must have shape ({batch},), got {lab.shape}")

    steps = np.arange(n_steps)
    decisions = np.empty((batch, n_steps), dtype=np.int64)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, n_steps * n))
    for lo in range(0, batch, chunk):
        s = spikes[lo : lo + chunk].astype(np.int64)
        counts = np.cumsum(s, axis=1)
        first = None
        if tie_break == "first_spike":
            ever = s.any(axis=1)
            first_step = np.where(ever, np.argmax(s, axis=1), -1)  # (chunk, n)
            seen = (first_step[:, None, :] >= 0) & (first_step[:, None, :] <= steps[None, :, None])
            first = np.where(seen, first_step[:, None, :], -1)
        decisions[lo : lo + chunk] = decide(counts, first, tie_break)

    final = decisions[:, -1]
    differs = decisions != final[:, None]
    any_diff = differs.any(axis=1)
    last_diff = n_steps - 1 - np.argmax(differs[:, ::-1], axis=1)
    step = np.where(any_diff, last_diff + 1, 0).astype(np.int64)
    undecided = final == UNDECIDED
    step[undecided] = -1
    time_ms = np.where(undecided, np.nan, step * record.dt)
    n_decided = int((~undecided).sum())
    mean_step = float(step[~undecided].mean()) if n_decided else float("nan")
    mean_ms = mean_step * record.dt if n_decided else float("nan")

    first_correct = first_correct_ms = None
    if lab is not None:
        hit = decisions == lab[:, None]
        first_correct = np.where(hit.any(axis=1), np.argmax(hit, axis=1), -1).astype(np.int64)
        first_correct_ms = np.where(first_correct >= 0, first_correct * record.dt, np.nan)
    return DecisionLatency(
        decision=final,
        step=step,
        time_ms=time_ms,
        mean_step=mean_step,
        mean_ms=mean_ms,
        n_undecided=int(undecided.sum()),
        first_correct_step=first_correct,
        first_correct_ms=first_correct_ms,
    )


def first_output_latency(record: AsyncRecord, labels) -> dict[str, np.ndarray]:
    """Forward steps and network spikes until the first output spike and the first correct one
    of each sample of an asynchronous run (steps are global forward steps, counted over frames).

    Returns float arrays (batch,) ``steps_to_output``, ``spikes_to_output``, ``steps_to_correct``,
    ``spikes_to_correct``; NaN where no (correct) output spike happened.
    """
    labels = np.asarray(labels, dtype=np.int64)
    first = record.first_output_step.astype(np.float64)
    spikes = record.spikes_at_first_output.astype(np.float64)
    first[first < 0] = np.nan
    spikes[record.spikes_at_first_output < 0] = np.nan
    with np.errstate(all="ignore"):
        i_any = np.where(np.isnan(first).all(axis=1), 0, np.nanargmin(np.where(np.isnan(first), np.inf, first), axis=1))
    rows = np.arange(labels.size)
    return {
        "steps_to_output": first[rows, i_any],
        "spikes_to_output": spikes[rows, i_any],
        "steps_to_correct": first[rows, labels],
        "spikes_to_correct": spikes[rows, labels],
    }


def accuracy_vs_steps(record: AsyncRecord, labels, budgets) -> np.ndarray:
    """Accuracy when decoding only the output spikes of the first ``s`` global forward steps.

    For each budget ``s`` the decision is made as by ``predict`` over the output spikes at
    steps ``<= s`` (most spikes; ties: earliest first spike, then lowest index; none: wrong).
    Returns (len(budgets),) float.
    """
    labels = np.asarray(labels, dtype=np.int64)
    sample, neuron, step = record.output_events
    n_out = record.output_count.shape[1]
    out = []
    for s in np.atleast_1d(budgets):
        keep = step <= s
        counts = np.zeros((labels.size, n_out), dtype=np.int64)
        np.add.at(counts, (sample[keep], neuron[keep]), 1)
        first = np.full((labels.size, n_out), np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, (sample[keep], neuron[keep]), step[keep])
        first[counts == 0] = -1
        pred = predict_from_counts(counts, first, tie_break="first_spike")
        out.append(float(np.mean(pred == labels)))
    return np.array(out)
