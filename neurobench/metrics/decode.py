"""Decoding output spikes into class decisions, for clock-driven and asynchronous records.

Rate decoding: the decision of a sample is its output neuron with the most spikes; ties are
broken deterministically (``tie_break``), and a sample without output spikes is ``UNDECIDED``
(-1), which counts as wrong. ``convention="neurobench"`` decodes as NeuroBench's
``ChooseMaxCount`` post-processor: ``argmax`` of the output spike counts, so ties go to the
lowest index and a silent sample predicts class 0. ``predict`` accepts both record types: a ``SimRecord`` of the
clock-driven simulators (first spikes in time steps) and an ``AsyncRecord`` of asynchronous
execution (first spikes in global forward steps).
"""

from __future__ import annotations

import numpy as np

from ..sim.events import AsyncRecord
from ..sim.record import SimRecord
from .checks import UNDECIDED, TieBreak, check_tie_break, same_shape
from .harness import Convention, check_convention

__all__ = ["decide", "predict", "predict_from_counts"]


def decide(counts: np.ndarray, first: np.ndarray | None, tie_break: str) -> np.ndarray:
    """Decisions over the last axis of ``counts`` (any leading shape), int64: the neuron with the
    most spikes, ties resolved by ``tie_break`` with ``first`` the first spike steps (-1: never;
    needed by ``"first_spike"``), ``UNDECIDED`` when the top count is 0. See ``predict_from_counts``."""
    top = counts.max(axis=-1)
    tied = counts == top[..., None]
    if tie_break == "first_spike":
        # Every tied neuron has count >= 1 when top >= 1, so its first spike step is >= 0.
        key = np.where(tied, first, np.iinfo(np.int64).max)
        tied &= key == key.min(axis=-1, keepdims=True)
    decision = np.argmax(tied, axis=-1).astype(np.int64)  # first True: lowest index
    if tie_break == "undecided":
        decision[tied.sum(axis=-1) > 1] = UNDECIDED
    decision[top <= 0] = UNDECIDED
    return decision


def predict_from_counts(
    spike_count,
    first_spike_step=None,
    *,
    tie_break: TieBreak = "first_spike",
    convention: Convention = "workbench",
) -> np.ndarray:
    """Decision of each sample: the output neuron with the most spikes, shape (batch,) int64.

    Parameters
    ----------
    spike_count : (batch, n_classes) int
        Output spike counts (``record.output.spike_count``).
    first_spike_step : (batch, n_classes) int, optional
        First spike step of each output neuron, -1 for never (``record.output.first_spike_step``);
        needed by the default tie-break.
    tie_break (keyword only) : "first_spike", "lowest_index" or "undecided"
        How several neurons sharing the top count are resolved, deterministically:

        * ``"first_spike"`` (default): the tied neuron whose first spike came earliest
          (smallest ``first_spike_step``), then the lowest index among those still tied;
          needs ``first_spike_step``;
        * ``"lowest_index"``: the lowest index among the tied neurons (``np.argmax``);
        * ``"undecided"``: any tie gives -1.

    convention (keyword only) : "workbench" or "neurobench"
        ``"workbench"`` (default): the rule above. ``"neurobench"``: NeuroBench 2.3.0's
        ``ChooseMaxCount`` (``spikes.sum(1).argmax(1)``): the lowest index among the tied top
        counts, class 0 for a silent sample (never -1); ``tie_break`` and ``first_spike_step``
        are not used.

    Returns
    -------
    (batch,) int64: the winning class index, or -1 (``UNDECIDED``) for samples where no output
    neuron spiked (or a tie under ``"undecided"``); such samples count as wrong in
    ``classification_accuracy``.
    """
    check_tie_break(tie_break)
    check_convention(convention)
    counts = np.asarray(spike_count)
    if counts.ndim != 2 or counts.shape[1] < 1:
        raise ValueError(f"spike_count must have shape (batch, n_classes), got {counts.shape}")
    if convention == "neurobench":
        return np.argmax(counts, axis=1).astype(np.int64)
    first = None
    if tie_break == "first_spike":
        if first_spike_step is None:
            raise ValueError('tie_break="first_spike" needs first_spike_step')
        first = np.asarray(first_spike_step, dtype=np.int64)
        same_shape("spike_count", counts, "first_spike_step", first)
    return decide(counts, first, tie_break)


def predict(
    record: SimRecord | AsyncRecord,
    tie_break: TieBreak = "first_spike",
    *,
    convention: Convention = "workbench",
) -> np.ndarray:
    """``predict_from_counts`` on the record's output layer, shape (batch,) int64.

    For a ``SimRecord`` (clock-driven) the tie-break ``"first_spike"`` compares first-spike time
    steps (``record.output.first_spike_step``); for an ``AsyncRecord`` (asynchronous execution)
    it compares the global forward steps of the first output spikes
    (``record.first_output_step``). Ties left after that go to the lowest index.
    ``convention="neurobench"``: argmax of the output counts (see ``predict_from_counts``); on a
    ``zero_delay_record`` the counts are those of the equivalent snnTorch run.
    """
    if isinstance(record, AsyncRecord):
        return predict_from_counts(record.output_count, record.first_output_step,
                                   tie_break=tie_break, convention=convention)
    if isinstance(record, SimRecord):
        out = record.output
        return predict_from_counts(out.spike_count, out.first_spike_step,
                                   tie_break=tie_break, convention=convention)
    raise TypeError(f"predict needs a SimRecord or an AsyncRecord, got {type(record).__name__}")
