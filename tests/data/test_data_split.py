"""Stratified, deterministic train/test split."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data import load_dataset, train_test_split
from neurobench.data.split import stratified_test_counts


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.5, 0.7, 0.95])
def test_each_class_is_split_proportionally(fraction):
    rng = np.random.default_rng(1)
    y = rng.permutation(np.repeat(np.arange(7), [2, 3, 10, 31, 57, 100, 4]))
    train, test = train_test_split(y, fraction, seed=3)
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    for c in range(7):
        n_c = np.sum(y == c)
        n_test = np.sum(y[test] == c)
        assert abs(n_test - fraction * n_c) <= 1, (c, n_test, fraction * n_c)
        assert 1 <= n_test <= n_c - 1


@pytest.mark.parametrize("fraction", [0.1, 0.25, 0.33, 0.5, 0.9])
def test_total_is_the_rounded_fraction_when_no_class_is_tiny(fraction):
    y = np.repeat(np.arange(4), [50, 61, 77, 103])
    _, test = train_test_split(y, fraction, seed=0)
    assert len(test) == round(fraction * len(y))


def test_exact_fractions_give_exact_counts():
    counts = np.array([4, 8, 40, 30])
    # the total 82 / 4 = 20.5 rounds half to even: 20
    assert stratified_test_counts(counts, 0.25).tolist() == [1, 2, 10, 7]
    assert stratified_test_counts(np.array([30, 30]), 0.1).tolist() == [3, 3]


def test_deterministic_and_seed_dependent():
    ds = load_dataset("digits")
    a = train_test_split(ds, 0.25, seed=0)
    b = train_test_split(ds.y, 0.25, seed=0)
    c = train_test_split(ds, 0.25, seed=1)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert a[0].dtype == np.int64 and a[1].dtype == np.int64
    assert not np.array_equal(a[1], c[1])
    assert len(a[1]) == len(c[1])  # counts depend on the labels only


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, float("nan")])
def test_invalid_fraction(fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(np.array([0, 0, 1, 1]), fraction, seed=0)


def test_singleton_class_and_bad_seed():
    with pytest.raises(ValueError, match=r"classes \[2\] have 1"):
        train_test_split(np.array([0, 0, 1, 1, 2]), 0.5, seed=0)
    with pytest.raises(ValueError, match="seed = -1"):
        train_test_split(np.array([0, 0, 1, 1]), 0.5, seed=-1)
    with pytest.raises(TypeError, match="seed must be an integer"):
        train_test_split(np.array([0, 0, 1, 1]), 0.5, seed=None)
