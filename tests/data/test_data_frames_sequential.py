"""Frames from events with a time window, and the row-by-row sequential digits task."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data.events import make_events
from neurobench.data.frames import frames_from_events, merge_frames
from neurobench.data.sequential import rows_over_time


def test_frames_from_events_bins_by_window():
    ev = make_events(x=[0, 1, 1, 2], y=[0, 0, 1, 0], t=[0, 2999, 3000, 9500], p=[1, 0, 1, 1])
    fr = frames_from_events([ev], (3, 2, 2), window=3.0)
    assert fr.shape == (1, 4, 2, 2, 3)  # last event at 9.5 ms -> ceil(9.501 / 3) = 4 frames
    assert fr[0, 0, 1, 0, 0] == 1 and fr[0, 0, 0, 0, 1] == 1
    assert fr[0, 1, 1, 1, 1] == 1 and fr[0, 3, 1, 0, 2] == 1
    assert fr.sum() == 4
    short = frames_from_events([ev], (3, 2, 2), window=3.0, duration=6.0)
    assert short.shape[1] == 2 and short.sum() == 3


def test_merge_frames_is_a_logical_or_over_windows():
    x = np.zeros((1, 5, 2), dtype=np.uint8)
    x[0, 0, 0] = x[0, 1, 0] = x[0, 4, 1] = 1
    m = merge_frames(x, 2)
    assert m.shape == (1, 3, 2)
    assert m[0].tolist() == [[1, 0], [0, 0], [0, 1]]
    with pytest.raises(ValueError, match="factor"):
        merge_frames(x, 0)


def test_rows_over_time_shows_one_row_per_frame_as_a_thermometer_code():
    img = np.zeros((1, 2, 3))
    img[0, 0] = [0.0, 0.5, 1.0]
    img[0, 1] = [0.2, 0.8, 0.4]
    x = rows_over_time(img, levels=4, repeats=2)  # thresholds 0.2, 0.4, 0.6, 0.8
    assert x.shape == (1, 4, 12)
    assert x[0, 0].tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1]
    np.testing.assert_array_equal(x[0, 0], x[0, 1])
    assert x[0, 2].tolist() == [1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="levels"):
        rows_over_time(img, levels=0)
