"""The in-memory data set every loader returns, and the errors raised while reading one.

A ``Dataset`` holds either static images or event recordings:

* ``kind == "static"``: ``x`` is a float64 array of shape ``(n, C, H, W)`` with values in
  [0, 1]; ``input_shape == (C, H, W)``; ``sensor_size is None``.
* ``kind == "events"``: ``x`` is an object array of ``n`` structured event arrays with
  ``neurobench.data.events.EVENT_DTYPE`` (``t`` in microseconds); ``sensor_size`` follows
  tonic's ``(W, H, P)`` convention (x extent, y extent, number of polarities) and
  ``input_shape == (P, H, W)`` is the shape of one frame made by
  ``neurobench.data.events.events_to_frames``.

``y`` is always an int64 array of shape ``(n,)`` with labels in ``[0, n_classes)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Kind = Literal["static", "events"]


class DataFormatError(ValueError):
    """A data file exists but is not in the expected format; the message names the file."""


class DownloadError(OSError):
    """A download was requested and failed (no network, timeout, bad checksum)."""


def as_object_array(items) -> np.ndarray:
    """A 1-D object array holding ``items`` unchanged (numpy would otherwise stack equal shapes)."""
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


@dataclass(frozen=True, eq=False)  # arrays have no single truth value: compare by identity
class Dataset:
    """Samples ``x`` with integer labels ``y`` and what is needed to interpret them.

    Parameters
    ----------
    x : ndarray
        Static images, float64 ``(n, C, H, W)`` in [0, 1], or an object array of ``n``
        structured event arrays (``kind == "events"``).
    y : ndarray
        int64 labels, shape ``(n,)``, in ``[0, n_classes)``.
    name : str
        Registry name of the data set.
    n_classes : int
        Number of classes.
    kind : "static" or "events"
    input_shape : tuple of int
        ``(C, H, W)`` of one image, or ``(P, H, W)`` of one event frame.
    sensor_size : tuple of int or None
        Event sensor size ``(W, H, P)`` in tonic's convention; None for static data.
    classes : tuple of str
        Class names, if known (else empty).
    """

    x: np.ndarray
    y: np.ndarray
    name: str
    n_classes: int
    kind: Kind
    input_shape: tuple[int, ...]
    sensor_size: tuple[int, int, int] | None = None
    classes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in ("static", "events"):
            raise ValueError(f"kind must be 'static' or 'events', got {self.kind!r}")
        y = np.asarray(self.y)
        if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"y must be a 1-D integer array, got dtype {y.dtype} shape {y.shape}")
        object.__setattr__(self, "y", y.astype(np.int64, copy=False))
        if len(self.x) != len(y):
            raise ValueError(f"x has {len(self.x)} samples but y has {len(y)} labels")
        if y.size and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(
                f"labels must lie in [0, {self.n_classes}) for n_classes = {self.n_classes}; "
                f"got [{y.min()}, {y.max()}]"
            )
        if self.kind == "static":
            if self.x.ndim != 4 or self.x.shape[1:] != tuple(self.input_shape):
                raise ValueError(
                    f"static x must have shape (n, *input_shape) = (n, {self.input_shape}), "
                    f"got {self.x.shape}"
                )
        elif self.sensor_size is None or len(self.sensor_size) != 3:
            raise ValueError(f"event data needs sensor_size = (W, H, P), got {self.sensor_size!r}")

    def __len__(self) -> int:
        return len(self.y)

    def subset(self, index) -> Dataset:
        """The samples selected by ``index`` (integer indices or a boolean mask), same metadata."""
        index = np.asarray(index)
        x = self.x[index]
        if self.kind == "events":
            x = as_object_array(x)
        return Dataset(
            x=x,
            y=self.y[index],
            name=self.name,
            n_classes=self.n_classes,
            kind=self.kind,
            input_shape=self.input_shape,
            sensor_size=self.sensor_size,
            classes=self.classes,
        )
