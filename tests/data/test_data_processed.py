"""Cached .npz splits: atomic writes, exact round trip, clear errors for damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data import DataFormatError, load_npz_split, save_npz_split


def _split():
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 2, (6, 5, 1, 4, 4), dtype=np.uint8),
        "y_train": np.arange(6, dtype=np.int64),
        "x_test": rng.random((2, 1, 4, 4)),
        "y_test": np.array([1, 0]),
    }


def test_round_trip_is_exact_and_leaves_no_temporaries(tmp_path):
    path = save_npz_split(tmp_path / "processed" / "digits.npz", _split())
    loaded = load_npz_split(path, required=("x_train", "y_test"))
    assert list(loaded) == list(_split())
    for name, arr in _split().items():
        assert loaded[name].dtype == arr.dtype
        np.testing.assert_array_equal(loaded[name], arr)
    assert [p.name for p in path.parent.iterdir()] == ["digits.npz"]


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = save_npz_split(tmp_path / "s.npz", {"a": np.arange(3)})

    def broken(*args, **kw):
        raise OSError("disk full (test)")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        save_npz_split(path, {"a": np.arange(5)})
    np.testing.assert_array_equal(load_npz_split(path)["a"], np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]


def test_object_arrays_and_bad_keys_are_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match=r"split\['events'\] has object dtype"):
        ragged = np.array([np.zeros(2), np.zeros(3)], dtype=object)
        save_npz_split(tmp_path / "s.npz", {"events": ragged})
    with pytest.raises(ValueError, match="valid identifier"):
        save_npz_split(tmp_path / "s.npz", {"x train": np.zeros(2)})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.02])
def test_truncated_npz_raises_naming_path(tmp_path, keep):
    path = save_npz_split(tmp_path / "s.npz", _split())
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(DataFormatError, match=r"s\.npz: corrupt or truncated \.npz"):
        load_npz_split(path)


def test_corrupt_payload_and_wrong_kinds_of_file(tmp_path):
    path = save_npz_split(tmp_path / "s.npz", {"a": np.arange(1000)})
    data = bytearray(path.read_bytes())
    data[60] ^= 0xFF  # inside the compressed member: CRC/zlib error on read
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"s\.npz"):
        load_npz_split(path)
    text = tmp_path / "t.npz"
    text.write_text("hello")
    with pytest.raises(DataFormatError, match=r"t\.npz: corrupt or truncated"):
        load_npz_split(text)
    npy = tmp_path / "u.npz"
    with open(npy, "wb") as fh:
        np.save(fh, np.arange(3))
    with pytest.raises(DataFormatError, match=r"u\.npz: is a single \.npy array"):
        load_npz_split(npy)
    with pytest.raises(DataFormatError, match=r"missing arrays b"):
        load_npz_split(save_npz_split(tmp_path / "v.npz", {"a": np.arange(2)}), required=["a", "b"])
    with pytest.raises(FileNotFoundError, match="no cached split"):
        load_npz_split(tmp_path / "absent.npz")
