"""Event-camera (DVS) recordings of static images moved along saccades, as N-MNIST was made.

N-MNIST (Orchard et al. 2015) was recorded by a DVS camera looking at MNIST digits on a monitor
while the camera made three straight saccades forming a triangle. ``saccades`` simulates that:

Path
    The image is translated along a closed polygon of ``n_saccades`` (``K``) straight moves of
    ``amplitude`` pixels each, at constant speed, each move lasting ``n_steps / K`` steps. Move
    ``k`` points in the direction ``pi / K + angle - 2 pi k / K`` (radians, x to the right, y
    down), so the moves turn by ``2 pi / K`` and close the polygon: ``K = 3`` gives an
    equilateral triangle with vertices ``(0, 0) -> (a/2, a sqrt(3)/2) -> (a, 0) -> (0, 0)``, the
    shape of N-MNIST's saccades; ``K = 2`` moves ``a`` pixels down and back. The path starts and
    ends at the rest position (the image as given), so the first frame samples the image
    exactly. ``angle = 0`` without a ``seed``; with a ``seed`` every image gets its own uniform
    random ``angle`` (path jitter). Vertex coordinates within 1e-9 px of an integer are snapped
    to it, so integer paths sample pixels exactly.
Sensor
    The image sits centred in a sensor padded by ``P = ceil(amplitude * sin(pi floor(K/2) / K)
    / sin(pi / K))`` pixels on every side, the largest distance of a vertex from the start (for
    every rotation), so the image never leaves the sensor: sensor size (tonic's ``(W, H, P)``)
    ``(W + 2P, H + 2P, 2)``. For ``K = 2`` and ``K = 3``, ``P = ceil(amplitude)``. Pixels outside
    the image see intensity 0.
Sampling
    At the end of every step the translated image is resampled on the sensor grid by bilinear
    interpolation (sub-pixel shifts); outside the padded image the intensity is 0.
Pixels
    Each pixel compares its log intensity ``L = ln(I + eps)`` with a reference
    ``L_ref = L(0) + m C`` (``C`` = ``contrast_threshold``, ``m`` an integer, initially 0). When
    ``L - L_ref >= C`` it emits ON events (``p = 1``), one per threshold crossed, and the
    reference moves up by exactly ``C`` per event; symmetrically OFF events (``p = 0``) for
    ``L - L_ref <= -C``. Several events of one pixel in one step share its timestamp. With
    ``refractory > 0`` ms a pixel emits at most one event per step and then none until
    ``refractory`` ms have passed (its reference lags and catches up later).
Timing
    Events found at the end of step ``k`` (0-based) get the timestamp ``t = k * dt`` ms, in
    microseconds, so ``events_to_frames(events, sensor, n_steps, dt)`` puts them in frame ``k``.
    Within a step, events are ordered by row, then column.

Exact properties, for ``refractory = 0``: a pixel whose intensity changes monotonically during a
move that starts where its reference was last set (e.g. the first move) emits exactly
``floor(|L_end - L_start| / C)`` events in it; over the closed path every pixel emits exactly as
many ON as OFF events (it ends at its starting intensity with ``|L - L_ref| < C``, hence
``m = 0``); a uniform image emits nothing.
"""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_float, check_int, check_seed, check_unit_array
from .events import EVENT_DTYPE, US_PER_MS, events_to_frames, make_events

__all__ = ["events_to_frames", "saccade_offsets", "saccade_padding", "saccade_sensor_size",
           "saccade_vertices", "saccades"]

SNAP_PX = 1e-9
CHUNK = 256  # images simulated together


def saccade_padding(amplitude: float, n_saccades: int) -> int:
    """Pixels of padding on each side: ``ceil`` of the largest vertex distance from the start."""
    amplitude = check_float("amplitude", amplitude, gt=0, unit="px")
    k = check_int("n_saccades", n_saccades, minimum=2)
    reach = amplitude * math.sin(math.pi * (k // 2) / k) / math.sin(math.pi / k)
    return math.ceil(reach - SNAP_PX)


def saccade_sensor_size(image_shape, amplitude: float, n_saccades: int = 3) -> tuple[int, int, int]:
    """Sensor size ``(W, H, 2)`` (tonic's convention) for images of shape ``(H, W)``."""
    height, width = image_shape[-2:]
    pad = saccade_padding(amplitude, n_saccades)
    return (int(width) + 2 * pad, int(height) + 2 * pad, 2)


def saccade_vertices(amplitude: float, n_saccades: int, angle: float = 0.0) -> np.ndarray:
    """Vertices ``(x, y)`` in px of the closed path, ``(n_saccades + 1, 2)``; first = last = 0."""
    amplitude = check_float("amplitude", amplitude, gt=0, unit="px")
    k = check_int("n_saccades", n_saccades, minimum=2)
    angle = check_float("angle", angle)
    direction = math.pi / k + angle - 2.0 * math.pi * np.arange(k) / k
    moves = amplitude * np.stack([np.cos(direction), np.sin(direction)], axis=1)
    vertices = np.zeros((k + 1, 2))
    vertices[1:k] = np.cumsum(moves, axis=0)[: k - 1]
    nearest = np.rint(vertices)
    snap = np.abs(vertices - nearest) < SNAP_PX
    vertices[snap] = nearest[snap]
    vertices[k] = 0.0
    return vertices + 0.0  # no negative zeros


def saccade_offsets(n_steps: int, amplitude: float, n_saccades: int,
                    angle: float = 0.0) -> np.ndarray:
    """Image offset ``(x, y)`` in pixels at the end of every step, shape ``(n_steps + 1, 2)``.

    Row ``s`` is the position after ``s`` steps (row 0: the start). Move ``k`` spans the steps
    ``s`` with ``k <= s K / n_steps <= k + 1``; positions are ``(1 - f) v_k + f v_(k+1)`` with
    ``f = s K / n_steps - k`` computed exactly in integers, so vertices are hit exactly when
    ``n_steps`` is a multiple of ``K``.
    """
    n_steps = check_int("n_steps", n_steps, minimum=1)
    vertices = saccade_vertices(amplitude, n_saccades, angle)
    k_total = len(vertices) - 1
    num = np.arange(n_steps + 1) * k_total
    move = np.minimum(num // n_steps, k_total - 1)
    frac = (num - move * n_steps) / n_steps
    return (1.0 - frac)[:, None] * vertices[move] + frac[:, None] * vertices[move + 1]


def _resample(big: np.ndarray, offsets: np.ndarray, margin: int, height: int,
              width: int) -> np.ndarray:
    """Bilinear samples ``I(r - oy, c - ox)`` on the ``height x width`` sensor for each image.

    ``big`` holds the padded images with ``margin`` zero pixels around the sensor area.
    """
    m = big.shape[0]
    rows = np.arange(m)[:, None]
    src_y, src_x = -offsets[:, 1], -offsets[:, 0]
    y0, x0 = np.floor(src_y), np.floor(src_x)
    fy, fx = (src_y - y0)[:, None, None], (src_x - x0)[:, None, None]
    ry = margin + np.arange(height)[None, :] + y0.astype(np.int64)[:, None]
    cx = margin + np.arange(width)[None, :] + x0.astype(np.int64)[:, None]
    along_y = (1.0 - fy) * big[rows, ry] + fy * big[rows, ry + 1]  # (m, height, big width)
    cx = np.broadcast_to(cx[:, None, :], (m, height, width))
    left = np.take_along_axis(along_y, cx, axis=2)
    right = np.take_along_axis(along_y, cx + 1, axis=2)
    return (1.0 - fx) * left + fx * right


def _check_dt_us(dt: float) -> int:
    dt = check_float("dt", dt, gt=0, unit="ms")
    step_us = dt * US_PER_MS
    if step_us < 1 or abs(step_us - round(step_us)) > 1e-9 * step_us:
        raise ValueError(
            f"dt = {dt:g} ms is not allowed: event timestamps are whole microseconds, so dt "
            f"must be a positive multiple of 0.001 ms"
        )
    return int(round(step_us))


def saccades(images, n_steps: int, dt: float, amplitude: float, contrast_threshold: float,
             n_saccades: int = 3, seed: int | None = None, refractory: float = 0.0, *,
             eps: float = 0.1) -> list[np.ndarray]:
    """DVS events of static images moved along a closed saccade path (see the module docstring).

    Parameters
    ----------
    images : array_like, shape (n, H, W) or (n, 1, H, W)
        Intensities in [0, 1].
    n_steps : int
        Number of time steps of the recording, >= n_saccades.
    dt : float
        Step length in ms, a whole number of microseconds (> 0).
    amplitude : float
        Length of each saccade in pixels, > 0.
    contrast_threshold : float
        DVS threshold ``C`` on the change of ``ln(I + eps)``, > 0.
    n_saccades : int
        Number of straight moves of the closed path, >= 2 (N-MNIST: 3).
    seed : int, optional
        Seed (>= 0) of ``np.random.default_rng`` drawing one random path orientation per image;
        None keeps the fixed orientation (``angle = 0``).
    refractory : float
        Refractory period of a pixel in ms, >= 0.
    eps : float
        Offset of the log intensity ``ln(I + eps)``, > 0 (keeps black pixels finite; larger values
        make dark regions less sensitive, like a DVS's dark current).

    Returns
    -------
    list of ndarray
        One ``EVENT_DTYPE`` array per image (t in microseconds, x, y in sensor pixels of
        ``saccade_sensor_size(images.shape, amplitude, n_saccades)``, p = 1 ON / 0 OFF), in time
        order.
    """
    n_saccades = check_int("n_saccades", n_saccades, minimum=2)
    n_steps = check_int("n_steps", n_steps, minimum=n_saccades)
    step_us = _check_dt_us(dt)
    dt = step_us / US_PER_MS
    amplitude = check_float("amplitude", amplitude, gt=0, unit="px")
    threshold = check_float("contrast_threshold", contrast_threshold, gt=0)
    refractory = check_float("refractory", refractory, ge=0, unit="ms")
    eps = check_float("eps", eps, gt=0)
    if seed is not None:
        seed = check_seed("seed", seed)
    images = check_unit_array("images", images, min_ndim=3)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or (n, 1, H, W), got {images.shape}")

    n = images.shape[0]
    if seed is None:
        angles = np.zeros(n)
    else:
        angles = np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, n)
    gap_steps = math.ceil(refractory / dt - 1e-9) if refractory > 0 else 0
    out: list[np.ndarray] = []
    for start in range(0, n, CHUNK):
        chunk = slice(start, min(start + CHUNK, n))
        out.extend(_simulate(images[chunk], angles[chunk], n_steps, step_us, amplitude, threshold,
                             n_saccades, gap_steps, eps))
    return out


def _simulate(images, angles, n_steps, step_us, amplitude, threshold, n_saccades, gap_steps, eps):
    """Events of one chunk of images (the arguments are validated by ``saccades``)."""
    m, height, width = images.shape
    pad = saccade_padding(amplitude, n_saccades)
    sensor_h, sensor_w = height + 2 * pad, width + 2 * pad
    margin = pad + 2
    big = np.zeros((m, sensor_h + 2 * margin, sensor_w + 2 * margin))
    big[:, margin + pad : margin + pad + height, margin + pad : margin + pad + width] = images
    paths = np.stack([saccade_offsets(n_steps, amplitude, n_saccades, a) for a in angles], axis=1)

    log0 = np.log(_resample(big, paths[0], margin, sensor_h, sensor_w) + eps)
    level = np.zeros((m, sensor_h, sensor_w), dtype=np.int64)  # reference = log0 + level * C
    last = np.full(level.shape, -(10**9), dtype=np.int64)  # step of the last event
    parts = []
    for s in range(1, n_steps + 1):
        step = s - 1
        d = (np.log(_resample(big, paths[s], margin, sensor_h, sensor_w) + eps) - log0) / threshold
        up, down = d >= level + 1, d <= level - 1
        if gap_steps == 0:
            new = np.where(up, np.floor(d), np.where(down, np.ceil(d), level)).astype(np.int64)
        else:
            ready = step - last >= gap_steps
            new = level + (up & ready) - (down & ready)
            last[new != level] = step
        count = new - level
        level = new
        img, y, x = np.nonzero(count)
        if img.size:
            c = count[img, y, x]
            reps = np.abs(c)
            parts.append((np.repeat(img, reps), np.repeat(y, reps), np.repeat(x, reps),
                          np.full(int(reps.sum()), step * step_us, dtype=np.int64),
                          np.repeat((c > 0).astype(np.int8), reps)))
    if not parts:
        return [np.zeros(0, dtype=EVENT_DTYPE) for _ in range(m)]
    img, y, x, t, p = (np.concatenate(col) for col in zip(*parts))
    order = np.argsort(img, kind="stable")  # per image, keeps time then row-major order
    img, events = img[order], make_events(x[order], y[order], t[order], p[order])
    bounds = np.searchsorted(img, np.arange(m + 1))
    return [events[bounds[i] : bounds[i + 1]].copy() for i in range(m)]
