"""Parameter checks shared by the data modules.

Every check raises ``ValueError`` (``TypeError`` for a wrong type) whose message names the
parameter, the value given and the allowed range, and runs before any computation.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} = {value} is not allowed: must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} = {value} is not allowed: must be <= {maximum}")
    return value


def check_float(
    name: str,
    value,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    unit: str = "",
) -> float:
    """Return ``value`` as a finite float within the given bounds (``unit`` is for messages)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    value = float(value)
    suffix = f" {unit}" if unit else ""
    if not math.isfinite(value):
        raise ValueError(f"{name} = {value} is not allowed: must be finite")
    for bound, ok, word in (
        (gt, lambda b: value > b, ">"),
        (ge, lambda b: value >= b, ">="),
        (lt, lambda b: value < b, "<"),
        (le, lambda b: value <= b, "<="),
    ):
        if bound is not None and not ok(bound):
            raise ValueError(
                f"{name} = {value:g}{suffix} is not allowed: must be {word} {bound:g}{suffix}"
            )
    return value


def check_seed(name: str, seed) -> int:
    """A seed for ``np.random.default_rng``: a non-negative integer."""
    return check_int(name, seed, minimum=0)


def check_unit_array(name: str, x, min_ndim: int = 1) -> np.ndarray:
    """``x`` as a float64 array with at least ``min_ndim`` axes and every value in [0, 1]."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} axes (samples first), got shape {arr.shape}"
        )
    if arr.size:
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values; it must lie in [0, 1]")
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name} must lie in [0, 1]; got values in [{lo:g}, {hi:g}]")
    return arr
