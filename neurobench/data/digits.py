"""scikit-learn's bundled 8x8 digits: the default data set, available offline.

``sklearn.datasets.load_digits`` ships 1797 grey-level images of 8x8 pixels with integer values
0..16 and labels 0..9; they become float64 ``(1797, 1, 8, 8)`` in [0, 1] (value / 16).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_int
from .dataset import Dataset

DIGITS_MAX_VALUE = 16.0


def load_digits(root=None, download: bool = False, *, max_samples: int | None = None) -> Dataset:
    """The sklearn digits as a static ``Dataset`` (``root`` and ``download`` are not used).

    Parameters
    ----------
    max_samples : int, optional
        Keep only the first ``max_samples`` samples.
    """
    if max_samples is not None:
        max_samples = check_int("max_samples", max_samples, minimum=1)
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    x = bunch.images[:max_samples, None, :, :].astype(np.float64) / DIGITS_MAX_VALUE
    y = bunch.target[:max_samples].astype(np.int64)
    return Dataset(x=x, y=y, name="digits", n_classes=10, kind="static",
                   input_shape=tuple(x.shape[1:]), classes=tuple(str(d) for d in range(10)))
