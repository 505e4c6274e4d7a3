"""Argument checks shared by the metric modules (class-index arrays, shapes, tie-break names)."""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["TIE_BREAKS", "TieBreak", "UNDECIDED", "check_tie_break", "class_indices", "same_shape"]

UNDECIDED = -1
"""Decision of a sample without a winning output neuron (never equals a label)."""

TieBreak = Literal["first_spike", "lowest_index", "undecided"]
TIE_BREAKS = ("first_spike", "lowest_index", "undecided")


def class_indices(name: str, values) -> np.ndarray:
    """``values`` as a non-empty 1-D integer array of class indices; ``ValueError`` naming
    ``name`` otherwise (integral floats are accepted and converted to int64)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class indices, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold integer class indices")
        arr = arr.astype(np.int64)
    return arr


def same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """``ValueError`` naming both arrays unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a!r} and {name_b!r} must have the same shape, got {a.shape} and {b.shape}"
        )


def check_tie_break(tie_break) -> None:
    """``ValueError`` unless ``tie_break`` is one of ``TIE_BREAKS``."""
    if not (isinstance(tie_break, str) and tie_break in TIE_BREAKS):
        raise ValueError(f"tie_break must be one of {TIE_BREAKS}, got {tie_break!r}")
