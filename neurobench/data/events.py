"""Event arrays: the common structured dtype, conversion to it, and binning into frames.

An event stream is a structured numpy array with the fields tonic uses: ``x`` and ``y``
(pixel column and row, int16), ``t`` (timestamp in microseconds, int64) and ``p`` (polarity,
int8: 1 = ON, 0 = OFF). Sensor sizes follow tonic's ``(W, H, P)`` convention: x extent,
y extent, number of polarity channels.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_float, check_int

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", np.int8)])
US_PER_MS = 1000


def make_events(x, y, t, p) -> np.ndarray:
    """A structured ``EVENT_DTYPE`` array from the column arrays ``x, y, t`` (us) and ``p``."""
    x = np.asarray(x)
    out = np.empty(x.shape[0], dtype=EVENT_DTYPE)
    out["x"], out["y"], out["t"], out["p"] = x, y, t, p
    return out


def to_event_dtype(events: np.ndarray, source: str = "events") -> np.ndarray:
    """Convert a structured event array (e.g. from tonic) to ``EVENT_DTYPE``, values unchanged.

    ``y`` is 0 when the input has none (1-D sensors such as SHD's cochlea channels); ``p`` may be
    bool or integer. Raises ``ValueError`` naming ``source`` if a field is missing or a value does
    not fit the target type (x, y outside int16, p outside {0, 1}).
    """
    names = events.dtype.names or ()
    for field in ("x", "t", "p"):
        if field not in names:
            raise ValueError(f"{source}: event array has no field {field!r} (fields: {names})")
    y = events["y"] if "y" in names else np.zeros(len(events), dtype=np.int16)
    for field, values in (("x", events["x"]), ("y", y)):
        if values.size and (values.min() < 0 or values.max() > np.iinfo(np.int16).max):
            raise ValueError(
                f"{source}: {field} values outside [0, 32767]: [{values.min()}, {values.max()}]"
            )
    p = events["p"].astype(np.int64)
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{source}: polarity values outside {{0, 1}}: [{p.min()}, {p.max()}]")
    return make_events(events["x"], y, events["t"], p)


def _time_bins(t: np.ndarray, dt: float) -> np.ndarray:
    """Index ``floor(t / (dt * 1000))`` of the step of length ``dt`` ms holding time ``t`` us."""
    step_us = dt * US_PER_MS
    if float(step_us).is_integer():
        return np.floor_divide(t.astype(np.int64), int(step_us))
    return np.floor(t / step_us).astype(np.int64)


def events_to_frames(events, sensor_size, n_steps: int, dt: float) -> np.ndarray:
    """Bin event streams into binary frames: 1 where a pixel had at least one event in a step.

    Step ``k`` covers times ``[k * dt, (k + 1) * dt)`` ms, i.e. event time ``t`` (us) goes to step
    ``floor(t / (1000 * dt))``; events before 0 or at/after ``n_steps * dt`` ms are dropped.
    With ``P == 1`` polarity channel every event goes to channel 0, otherwise to channel ``p``.

    Parameters
    ----------
    events : structured ndarray or sequence of them
        One stream (fields ``x``, ``t``, ``p`` and optionally ``y``) or ``n`` streams.
    sensor_size : (W, H, P)
        Sensor width, height and number of polarity channels (tonic's convention).
    n_steps : int
        Number of time steps, >= 1.
    dt : float
        Step length in ms, > 0.

    Returns
    -------
    ndarray of uint8
        ``(n, n_steps, P, H, W)`` for a sequence of streams, ``(n_steps, P, H, W)`` for one.
    """
    if len(sensor_size) != 3:
        raise ValueError(f"sensor_size must be (W, H, P), got {sensor_size!r}")
    width, height, n_pol = (
        check_int(f"sensor_size[{i}]", v, minimum=1) for i, v in enumerate(sensor_size)
    )
    n_steps = check_int("n_steps", n_steps, minimum=1)
    dt = check_float("dt", dt, gt=0, unit="ms")
    single = isinstance(events, np.ndarray) and events.dtype.names is not None
    streams = [events] if single else list(events)
    for i, ev in enumerate(streams):
        names = getattr(getattr(ev, "dtype", None), "names", None) or ()
        if not {"x", "t", "p"} <= set(names):
            raise ValueError(
                f"events[{i}] must be a structured array with fields x, t, p; got {names}"
            )
    out = np.zeros((len(streams), n_steps, n_pol, height, width), dtype=np.uint8)
    for i, ev in enumerate(streams):
        x = ev["x"].astype(np.int64)
        y = ev["y"].astype(np.int64) if "y" in ev.dtype.names else np.zeros_like(x)
        p = np.zeros_like(x) if n_pol == 1 else ev["p"].astype(np.int64)
        if x.size and (x.min() < 0 or x.max() >= width or y.min() < 0 or y.max() >= height):
            raise ValueError(
                f"events[{i}] has coordinates outside sensor_size {tuple(sensor_size)}: "
                f"x in [{x.min()}, {x.max()}], y in [{y.min()}, {y.max()}]"
            )
        if p.size and (p.min() < 0 or p.max() >= n_pol):
            raise ValueError(
                f"events[{i}] has polarities outside [0, {n_pol}): [{p.min()}, {p.max()}]"
            )
        k = _time_bins(ev["t"], dt)
        keep = (k >= 0) & (k < n_steps)
        out[i, k[keep], p[keep], y[keep], x[keep]] = 1
    return out[0] if single else out
