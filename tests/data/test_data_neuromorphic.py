"""N-MNIST, SHD and DVS Gesture files in their published layouts, read through tonic."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from data_format_writers import npy_bytes, write_dvs_gesture_sample, write_nmnist_sample, write_shd

from neurobench.data import (
    EVENT_DTYPE,
    DataFormatError,
    DownloadError,
    events_to_frames,
    load_dataset,
)


def _events(rng, n, width, height, t_max):
    return {
        "x": rng.integers(0, width, n).tolist(),
        "y": rng.integers(0, height, n).tolist(),
        "t": np.sort(rng.integers(0, t_max, n)).tolist(),
        "p": rng.integers(0, 2, n).tolist(),
    }


def _assert_events(actual, expected):
    assert actual.dtype == EVENT_DTYPE
    for field in ("x", "y", "t", "p"):
        np.testing.assert_array_equal(actual[field], expected[field], err_msg=field)


# --------------------------------------------------------------------------------------------
# N-MNIST


def test_nmnist_bin_files_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    written = {}
    for folder in ("Train", "Test"):
        for label, name in [(3, "00007"), (0, "00002"), (3, "00001"), (9, "00004")]:
            events = _events(rng, 6, 34, 34, 2**23)  # timestamps use all 23 bits
            write_nmnist_sample(tmp_path, folder, label, name, events)
            written[(folder, label, name)] = events
    # tonic walks digit folders and files in sorted order
    train = load_dataset("nmnist", root=tmp_path)
    order = [(3, "00001"), (0, "00002"), (3, "00007"), (9, "00004")]
    order = sorted(order, key=lambda k: (k[0], k[1]))
    assert train.y.tolist() == [label for label, _ in order]
    for events, (label, name) in zip(train.x, order, strict=True):
        _assert_events(events, written[("Train", label, name)])
    assert (train.kind, train.sensor_size, train.input_shape, train.n_classes) == (
        "events", (34, 34, 2), (2, 34, 34), 10)

    test = load_dataset("nmnist", root=tmp_path, split="test", max_samples=2)
    assert len(test) == 2
    _assert_events(test.x[0], written[("Test", 0, "00002")])

    frames = events_to_frames(train.x, train.sensor_size, n_steps=4, dt=2**23 / 4000)
    assert frames.shape == (4, 4, 2, 34, 34) and frames.max() == 1


def test_nmnist_missing_fails_fast_without_download(tmp_path, monkeypatch):
    def no_network(*args, **kw):
        raise AssertionError("must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    start = time.monotonic()
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("nmnist", root=tmp_path)
    assert time.monotonic() - start < 2.0
    assert str(tmp_path / "NMNIST" / "Train") in str(err.value)
    assert "download=True" in str(err.value)


def test_nmnist_garbage_bin_raises_naming_file(tmp_path):
    events = _events(np.random.default_rng(1), 3, 34, 34, 1000)
    path = write_nmnist_sample(tmp_path, "Train", 1, "00001", events)
    path.write_bytes(path.read_bytes() + b"\x01\x02")  # 17 bytes: not whole 5-byte events
    match = r"00001\.bin: 17 bytes is not a whole number of 40-bit"
    with pytest.raises(DataFormatError, match=match):
        load_dataset("nmnist", root=tmp_path)
    path.write_bytes(bytes([200, 7, 0, 0, 1]))  # x = 200 on a 34x34 sensor
    match = r"00001\.bin: event coordinates outside the 34x34 sensor"
    with pytest.raises(DataFormatError, match=match):
        load_dataset("nmnist", root=tmp_path)


def test_event_download_without_network_fails_fast(tmp_path, monkeypatch):
    timeouts = []

    def no_network(*args, **kw):
        timeouts.append(kw.get("timeout") or socket.getdefaulttimeout())
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    start = time.monotonic()
    for name in ("nmnist", "shd", "dvs_gesture"):
        with pytest.raises(DownloadError, match="download through tonic failed.*no network"):
            load_dataset(name, root=tmp_path, download=True)
    assert time.monotonic() - start < 5.0
    assert timeouts and all(t is not None and t <= 10 for t in timeouts)  # tonic passes none itself
    assert socket.getdefaulttimeout() is None  # restored


# --------------------------------------------------------------------------------------------
# SHD


def _shd_samples(rng, n):
    times, units = [], []
    for i in range(n):
        k = 3 + i
        times.append(np.sort(rng.integers(0, 64, k)) / 64.0)  # s; exact in float16 and in us
        units.append(rng.integers(0, 700, k))
    return times, units


@pytest.mark.parametrize("extra", [True, False])
def test_shd_h5_round_trip(tmp_path, extra):
    rng = np.random.default_rng(2)
    times, units = _shd_samples(rng, 4)
    labels = [19, 0, 7, 7]
    write_shd(tmp_path / "SHD" / "shd_train.h5", times, units, labels, extra=extra)
    ds = load_dataset("shd", root=tmp_path)
    assert ds.y.tolist() == labels
    assert (ds.sensor_size, ds.input_shape, ds.n_classes) == ((700, 1, 1), (1, 1, 700), 20)
    for events, t, u in zip(ds.x, times, units, strict=True):
        expected = {"x": u, "y": np.zeros(len(u)), "t": np.round(t * 1e6), "p": np.ones(len(u))}
        _assert_events(events, expected)
    assert ds.classes == (tuple(f"word{i}" for i in range(20)) if extra else ())
    frames = events_to_frames(ds.x, ds.sensor_size, n_steps=10, dt=100.0)
    assert frames.shape == (4, 10, 1, 1, 700)


def test_shd_corrupt_files(tmp_path):
    path = tmp_path / "SHD" / "shd_train.h5"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an hdf5 file at all")
    with pytest.raises(DataFormatError, match=r"shd_train\.h5: not a readable HDF5 file"):
        load_dataset("shd", root=tmp_path)
    import h5py

    with h5py.File(path, "w") as fh:
        fh.create_dataset("labels", data=np.zeros(2, dtype=np.uint8))
    match = r"shd_train\.h5: HDF5 file lacks spikes/times, spikes/units"
    with pytest.raises(DataFormatError, match=match):
        load_dataset("shd", root=tmp_path)
    with pytest.raises(FileNotFoundError, match=r"SHD/shd_test\.h5"):
        load_dataset("shd", root=tmp_path, split="test")


# --------------------------------------------------------------------------------------------
# DVS Gesture


def test_dvs_gesture_npy_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    written = {}
    for user, lighting, label in [(2, "fluorescent", 10), (2, "fluorescent", 3), (1, "led", 0)]:
        ev = _events(rng, 5, 128, 128, 6000)
        arr = np.stack([ev["x"], ev["y"], ev["p"], ev["t"]], axis=1).astype(np.int64)  # t in ms
        write_dvs_gesture_sample(tmp_path, "ibmGestureTrain", user, lighting, label, arr)
        written[(user, label)] = {**ev, "t": np.asarray(ev["t"]) * 1000}
    ds = load_dataset("dvs_gesture", root=tmp_path)
    # sorted by path: user01_led/0, user02_fluorescent/10, user02_fluorescent/3
    assert ds.y.tolist() == [0, 10, 3]
    for events, key in zip(ds.x, [(1, 0), (2, 10), (2, 3)], strict=True):
        _assert_events(events, written[key])
    assert (ds.sensor_size, ds.input_shape, ds.n_classes) == ((128, 128, 2), (2, 128, 128), 11)


def test_dvs_gesture_corrupt_npy(tmp_path):
    events = np.zeros((3, 4), np.int64)
    path = write_dvs_gesture_sample(tmp_path, "ibmGestureTrain", 1, "led", 4, events)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(DataFormatError, match=r"user01_led/4\.npy: cannot read events"):
        load_dataset("dvs_gesture", root=tmp_path)
    np.save(path, np.zeros(5))  # not (N, 4)
    with pytest.raises(DataFormatError, match=r"4\.npy: cannot read events"):
        load_dataset("dvs_gesture", root=tmp_path)


def test_dvs_gesture_npy_claiming_ten_trillion_events_is_a_format_error(tmp_path):
    """tonic reads each sample with ``np.load``, which allocates the (2.5 * 10**12, 4) int64
    array the header declares (MemoryError) before it finds the file short: checked first."""
    path = write_dvs_gesture_sample(tmp_path, "ibmGestureTrain", 1, "led", 4, np.zeros((3, 4), np.int64))
    path.write_bytes(npy_bytes("<i8", (2_500_000_000_000, 4), bytes(96)))
    match = (r"user01_led/4\.npy: cannot read events \(\.npy data truncated: shape \(2500000000000, 4\) "
             r"needs 80000000000128 bytes with its header, the array has 224\)")
    with pytest.raises(DataFormatError, match=match):
        load_dataset("dvs_gesture", root=tmp_path)
