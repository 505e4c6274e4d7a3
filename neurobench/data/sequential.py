"""A temporal task on real embedded data: images presented row by row over time.

``rows_over_time`` turns images ``(n, H, W)`` with intensities in [0, 1] into binary frames
``(n, H * repeats, W * levels)``: frame ``r * repeats + j`` shows row ``r``; each pixel is a
thermometer code over ``levels`` input neurons, neuron ``c * levels + k`` spiking when the
pixel intensity ``x >= (k + 1) / (levels + 1)``. Only one row is visible at a time, so a
classifier must integrate information over frames (the sequential-digits task, like row-wise
sequential MNIST, on the embedded 8 x 8 digits by default).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_int, check_unit_array

__all__ = ["rows_over_time"]


def rows_over_time(images, levels: int = 4, repeats: int = 1) -> np.ndarray:
    """Row-by-row binary frames of ``images`` (n, H, W) or (n, 1, H, W), see the module docstring.

    Returns uint8 ``(n, H * repeats, W * levels)``.
    """
    levels = check_int("levels", levels, minimum=1)
    repeats = check_int("repeats", repeats, minimum=1)
    x = check_unit_array("images", images, min_ndim=3)
    if x.ndim == 4 and x.shape[1] == 1:
        x = x[:, 0]
    if x.ndim != 3:
        raise ValueError(f"images must have shape (n, H, W) or (n, 1, H, W), got {x.shape}")
    n, h, w = x.shape
    thresholds = (np.arange(levels) + 1) / (levels + 1)
    code = (x[..., None] >= thresholds).astype(np.uint8).reshape(n, h, w * levels)
    return np.repeat(code, repeats, axis=1)
