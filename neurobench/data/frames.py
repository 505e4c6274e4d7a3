"""Frames from event streams with a configurable time window (tonic's ``ToFrame(time_window)``).

``frames_from_events`` bins events into binary frames of ``window`` ms: frame ``k`` holds the
events with ``k * window <= t < (k + 1) * window`` (t in microseconds / 1000), 1 where a pixel
had at least one event. ``merge_frames`` turns clock-step frames into coarser windows by a
logical OR over groups of ``factor`` consecutive steps.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_float, check_int
from .events import US_PER_MS, events_to_frames

__all__ = ["frames_from_events", "merge_frames"]


def frames_from_events(events, sensor_size, window: float, duration: float | None = None) -> np.ndarray:
    """Binary frames ``(n, n_frames, P, H, W)`` (uint8) of event streams, ``window`` ms each.

    Parameters
    ----------
    events : sequence of structured event arrays (``neurobench.data.events.EVENT_DTYPE`` fields)
    sensor_size : (W, H, P)
    window : float
        Frame length in ms, > 0.
    duration : float, optional
        Recording length in ms (> 0); default: up to the last event of all streams. The number of
        frames is ``ceil(duration / window)``; later events are dropped.
    """
    window = check_float("window", window, gt=0, unit="ms")
    streams = list(events)
    if duration is None:
        last = max((int(ev["t"].max()) for ev in streams if len(ev)), default=0)
        duration = (last + 1) / US_PER_MS
    duration = check_float("duration", duration, gt=0, unit="ms")
    n_frames = max(1, math.ceil(duration / window - 1e-9))
    return events_to_frames(streams, sensor_size, n_frames, window)


def merge_frames(frames, factor: int) -> np.ndarray:
    """Logical OR over groups of ``factor`` consecutive frames along axis 1 (the last group may
    be shorter): ``(n, T, ...) -> (n, ceil(T / factor), ...)``, uint8."""
    factor = check_int("factor", factor, minimum=1)
    x = np.asarray(frames)
    if x.ndim < 2:
        raise ValueError(f"frames must have shape (n, T, ...), got {x.shape}")
    n, t = x.shape[:2]
    groups = math.ceil(t / factor)
    pad = groups * factor - t
    if pad:
        x = np.concatenate([x, np.zeros((n, pad, *x.shape[2:]), dtype=x.dtype)], axis=1)
    return (x.reshape(n, groups, factor, *x.shape[2:]) > 0).any(axis=2).astype(np.uint8)
