"""The delay study's tasks on the embedded digits (spec §4.2, E-DEL-6).

* **delayed coincidence** (``coincidence_frames``): each sample shows one digit's pixels twice,
  each time as one frame of Bernoulli spikes (pixel value ``x`` in [0, 1] spikes with
  probability ``x p_max``): at a random onset ``t0`` in ``[0, jitter]`` and again ``lags[c]``
  steps later; the class is ``c``. Both presentations carry the same information, so only the
  time between them tells the classes apart: a neuron must see the first presentation delayed
  onto the second (a coincidence across a delay), which leaky neurons with a short membrane
  time constant cannot do alone. ``T = jitter + max(lags) + tail`` steps, 64 inputs.
* **row-by-row digits** (``neurobench.data.sequential.rows_over_time``): the temporal task of
  the asynchronous study, 8 steps of one image row each.
"""

from __future__ import annotations

import numpy as np

__all__ = ["coincidence_frames"]


def coincidence_frames(images, n_per_image: int, lags, p_max: float, jitter: int, tail: int,
                       seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Delayed-coincidence samples (module docstring) from ``images`` (n, 64) in [0, 1]:
    ``n_per_image`` samples per image, class drawn uniformly. Returns (frames (N, T, 64) uint8,
    labels (N,) int64, the source image of each sample (N,) int64), seeded by ``seed``."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    lags = np.asarray(lags, dtype=np.int64)
    if lags.ndim != 1 or len(lags) < 2 or (lags < 1).any() or len(set(lags.tolist())) != len(lags):
        raise ValueError(f"lags = {lags.tolist()} is not allowed: at least two distinct integers >= 1 (steps)")
    if n_per_image < 1 or jitter < 0 or tail < 0 or not 0 < p_max <= 1:
        raise ValueError(f"n_per_image = {n_per_image} (>= 1), jitter = {jitter}, tail = {tail} (>= 0), "
                         f"p_max = {p_max} (in (0, 1]) not allowed")
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(len(x)), n_per_image)
    n = len(src)
    y = rng.integers(0, len(lags), n)
    t0 = rng.integers(0, jitter + 1, n)
    n_steps = int(jitter + lags.max() + 1 + tail)
    frames = np.zeros((n, n_steps, x.shape[1]), dtype=np.uint8)
    p = x[src] * p_max
    rows = np.arange(n)
    frames[rows, t0] = rng.random(p.shape) < p
    frames[rows, t0 + lags[y]] = rng.random(p.shape) < p
    return frames, y.astype(np.int64), src.astype(np.int64)
