"""``compare_records``: per-layer agreement of two runs, from hand-made records."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurobench.sim.compare import compare_records
from neurobench.sim.record import LayerRecord, SimRecord


def record(trains: np.ndarray, backend: str, keep_trains: bool = True) -> SimRecord:
    """A one-layer record built from spike trains (batch, n_steps, n)."""
    trains = np.asarray(trains, dtype=bool)
    counts = trains.sum(axis=1).astype(np.int64)
    first = np.where(counts > 0, trains.argmax(axis=1), -1).astype(np.int64)
    layer = LayerRecord(counts, first, np.zeros(trains.shape[0], np.int64), trains if keep_trains else None)
    return SimRecord([layer], np.zeros((trains.shape[0], 1), np.int64), 1.0, trains.shape[1], backend)


def test_agreement_columns_count_every_difference():
    a = np.zeros((2, 6, 3), dtype=bool)
    a[0, [1, 4], 0] = a[0, 2, 1] = a[1, 5, 2] = True
    b = a.copy()
    b[0, 4, 0], b[0, 5, 0] = False, True  # same count and first spike, different train
    b[1, 5, 2], b[1, 3, 2] = False, True  # first spike two steps earlier
    b[1, 0, 1] = True  # one more spike, a neuron that was silent
    row = compare_records(record(a, "clock"), record(b, "brian2")).iloc[0]
    assert (row["layer"], row["neurons"], row["spikes_clock"], row["spikes_brian2"]) == (1, 3, 4, 5)
    assert row["identical_counts"] == pytest.approx(5 / 6)
    assert row["first_spike_max_diff"] == 2 and not row["first_spike_same_set"]
    assert row["identical_trains"] == pytest.approx(3 / 6)  # (0,1) equal, (0,2) and (1,0) silent in both
    same = compare_records(record(a, "clock"), record(a, "brian2")).iloc[0]
    assert same["identical_trains"] == 1.0 and same["identical_counts"] == 1.0 and same["first_spike_same_set"]


def test_identical_trains_is_nan_without_recorded_trains_and_grids_must_match():
    a = np.zeros((1, 4, 2), dtype=bool)
    row = compare_records(record(a, "clock"), record(a, "brian2", keep_trains=False)).iloc[0]
    assert math.isnan(row["identical_trains"]) and row["identical_counts"] == 1.0
    with pytest.raises(ValueError, match="different networks or time grids"):
        compare_records(record(a, "clock"), record(np.zeros((1, 5, 2), dtype=bool), "brian2"))
