"""The data set registry, the Dataset container and the embedded digits."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data import DATASETS, Dataset, load_dataset
from neurobench.data.dataset import as_object_array
from neurobench.data.events import make_events


def test_registry_names_and_unknown_name_lists_them():
    assert list(DATASETS) == ["digits", "mnist", "fashion_mnist", "nmnist", "shd", "dvs_gesture"]
    match = "unknown dataset 'cifar'; known: digits, mnist, fashion_mnist, nmnist, shd"
    with pytest.raises(ValueError, match=match):
        load_dataset("cifar")


def test_registry_metadata_matches_kinds():
    kinds = {name: info.kind for name, info in DATASETS.items()}
    assert kinds == {"digits": "static", "mnist": "static", "fashion_mnist": "static",
                     "nmnist": "events", "shd": "events", "dvs_gesture": "events"}
    assert DATASETS["shd"].n_classes == 20 and DATASETS["dvs_gesture"].n_classes == 11


def test_digits_is_sklearn_scaled_to_unit_interval(tmp_path):
    from sklearn.datasets import load_digits

    ds = load_dataset("digits", root=tmp_path / "nothing-here")
    ref = load_digits()
    assert ds.x.shape == (1797, 1, 8, 8) and ds.x.dtype == np.float64
    assert ds.y.dtype == np.int64 and ds.y.shape == (1797,)
    np.testing.assert_array_equal(ds.x[:, 0] * 16, ref.images)
    np.testing.assert_array_equal(ds.y, ref.target)
    assert ds.x.min() == 0.0 and ds.x.max() == 1.0
    assert (ds.kind, ds.n_classes, ds.input_shape) == ("static", 10, (1, 8, 8))
    assert ds.sensor_size is None
    assert len(load_dataset("digits", max_samples=10)) == 10


def test_dataset_validates_labels_and_shapes():
    x = np.zeros((3, 1, 2, 2))
    meta = dict(name="t", n_classes=2, input_shape=(1, 2, 2))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        Dataset(x=x, y=np.array([0, 1, 2]), kind="static", **meta)
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        Dataset(x=x, y=np.array([0, 1]), kind="static", **meta)
    with pytest.raises(ValueError, match="kind must be"):
        Dataset(x=x, y=np.array([0, 1, 1]), kind="video", **meta)
    with pytest.raises(ValueError, match="sensor_size"):
        Dataset(x=as_object_array([]), y=np.zeros(0, int), name="t", n_classes=2, kind="events",
                input_shape=(2, 2, 2))


def test_event_dataset_subset_keeps_object_array():
    streams = [make_events([i], [0], [10 * i], [1]) for i in range(4)]
    ds = Dataset(x=as_object_array(streams), y=np.array([0, 1, 0, 1]), name="t", n_classes=2,
                 kind="events", input_shape=(2, 1, 4), sensor_size=(4, 1, 2))
    sub = ds.subset([3, 1])
    assert sub.x.dtype == object and len(sub) == 2
    assert sub.x[0]["x"][0] == 3 and sub.y.tolist() == [1, 1]


def test_asking_for_static_images_from_an_event_dataset_fails_before_loading(tmp_path):
    with pytest.raises(ValueError, match="'nmnist' holds events data, but static data is needed here; use one of: digits, mnist, fashion_mnist"):
        load_dataset("nmnist", root=tmp_path, kind="static")
    assert load_dataset("digits", kind="static").kind == "static"
