"""Deterministic stratified train/test split.

For each class ``c`` with ``n_c`` samples the test part gets ``floor(f n_c)`` or ``ceil(f n_c)``
samples (``f`` = ``test_fraction``), and at least one sample stays on each side. The classes that
get the extra sample are those with the largest remainder ``f n_c - floor(f n_c)`` (ties: lower
label first) until the test total is ``round(f n)`` (half to even), as far as the per-class
bounds allow. So the counts depend only on the labels; the seed only decides which samples of
each class are held out.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_float, check_seed
from .dataset import Dataset


def _labels(dataset_or_y) -> np.ndarray:
    y = dataset_or_y.y if isinstance(dataset_or_y, Dataset) else np.asarray(dataset_or_y)
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.str_)):
        raise ValueError(
            f"labels must be a 1-D integer (or string) array, got dtype {y.dtype} shape {y.shape}"
        )
    return y


def stratified_test_counts(counts: np.ndarray, test_fraction: float) -> np.ndarray:
    """Test-set size per class for class sizes ``counts`` >= 2 (see the module docstring)."""
    counts = np.asarray(counts, dtype=np.int64)
    exact = np.round(test_fraction * counts, 9)  # 0.1 * 30 must count as 3, not 3.0000000000000004
    lo = np.maximum(np.floor(exact), 1).astype(np.int64)  # hi - lo is 0 or 1
    hi = np.minimum(np.ceil(exact), counts - 1).astype(np.int64)
    target = int(np.clip(round(test_fraction * int(counts.sum())), lo.sum(), hi.sum()))
    remainder = exact - np.floor(exact)
    order = np.lexsort((np.arange(len(counts)), -remainder))  # largest remainder, then label
    out = lo.copy()
    short = target - int(lo.sum())
    for c in order:
        if short == 0:
            break
        if out[c] < hi[c]:
            out[c] += 1
            short -= 1
    return out


def train_test_split(dataset_or_y, test_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of sample indices into train and test parts.

    Parameters
    ----------
    dataset_or_y : Dataset or array of labels, shape (n,)
        The labels to stratify on.
    test_fraction : float
        Share of each class held out for testing, 0 < test_fraction < 1.
    seed : int
        Seed of ``np.random.default_rng``, >= 0; the same seed gives the same split.

    Returns
    -------
    train_idx, test_idx : ndarray of int64
        Sorted, disjoint indices covering ``range(n)``.

    Raises
    ------
    ValueError
        ``test_fraction`` outside (0, 1), or a class with fewer than 2 samples (it cannot be in
        both parts).
    """
    test_fraction = check_float("test_fraction", test_fraction, gt=0, lt=1)
    seed = check_seed("seed", seed)
    y = _labels(dataset_or_y)
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    small = classes[counts < 2]
    if small.size:
        raise ValueError(
            f"every class needs at least 2 samples to appear in both parts; "
            f"classes {small.tolist()} have 1"
        )
    n_test = stratified_test_counts(counts, test_fraction)
    rng = np.random.default_rng(seed)
    test = []
    for c in range(len(classes)):
        members = np.flatnonzero(inverse == c)
        test.append(members[rng.permutation(len(members))[: n_test[c]]])
    test_idx = np.sort(np.concatenate(test)) if test else np.zeros(0, dtype=np.int64)
    mask = np.ones(len(y), dtype=bool)
    mask[test_idx] = False
    return np.flatnonzero(mask).astype(np.int64), test_idx.astype(np.int64)
