"""Cached .npz splits: atomic writes, exact round trip, clear errors for damaged files."""

from __future__ import annotations

import numpy as np
import pytest

from data_format_writers import npy_bytes, write_npz_members

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
    with pytest.raises(DataFormatError, match=r"t\.npz: not an \.npz archive \(a zip file starts with"):
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


# Files in the real .npz format (a zip of .npy members, written from the format's description in
# data_format_writers) whose headers declare far more data than they hold: numpy would allocate
# the declared array first (MemoryError for 10**13 float64 values, 72.8 TiB).

def test_member_claiming_ten_trillion_values_is_a_format_error_not_a_memory_error(tmp_path):
    path = tmp_path / "huge.npz"
    write_npz_members(path, {"x_train": npy_bytes("<f8", (10**13,), bytes(16)), "y_train": npy_bytes("<i8", (2,), bytes(16))})
    with pytest.raises(DataFormatError, match=r"huge\.npz: member x_train\.npy: \.npy data truncated: shape "
                                              r"\(10000000000000,\) needs 80000000000128 bytes with its header, "
                                              r"the array has 144"):
        load_npz_split(path)


@pytest.mark.parametrize("compress", [False, True])
def test_member_sizes_are_checked_for_stored_and_deflated_members(tmp_path, compress):
    path = tmp_path / "s.npz"
    # dims whose product overflows int64 (2**64 = 0 mod 2**64): caught with exact integers
    write_npz_members(path, {"a": npy_bytes("<i8", (2**32, 2**32), b"")}, compress=compress)
    with pytest.raises(DataFormatError, match=r"s\.npz: member a\.npy: \.npy data truncated: shape "
                                              r"\(4294967296, 4294967296\) needs 147573952589676413056 bytes"):
        load_npz_split(path)
    write_npz_members(path, {"a": npy_bytes("<i8", (2,), bytes(24))}, compress=compress)
    with pytest.raises(DataFormatError, match=r"s\.npz: member a\.npy: \.npy data has trailing bytes"):
        load_npz_split(path)
    write_npz_members(path, {"a": npy_bytes("<i8", (3,), bytes(24))}, compress=compress)
    np.testing.assert_array_equal(load_npz_split(path)["a"], [0, 0, 0])  # the same writer, honest


def test_zip_directory_claiming_more_than_deflate_can_produce_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    write_npz_members(path, {"a": npy_bytes("<f8", (4,), bytes(32))}, compress=True)
    data = bytearray(path.read_bytes())
    # the uncompressed size: offset 22 of the local header, 24 of the central directory entry
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        data[at : at + 4] = (4_000_000_000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"bomb\.npz: member a\.npy claims 4000000000 bytes from \d+ deflated bytes"):
        load_npz_split(path)


def test_empty_file_and_bare_npy_with_a_huge_header(tmp_path):
    empty = tmp_path / "e.npz"
    empty.write_bytes(b"")
    with pytest.raises(DataFormatError, match=r"e\.npz: empty file \(0 bytes\), not an \.npz archive"):
        load_npz_split(empty)
    bare = tmp_path / "b.npz"
    bare.write_bytes(npy_bytes("<f8", (10**13,), b""))  # np.load would allocate it
    with pytest.raises(DataFormatError, match=r"b\.npz: is a single \.npy array"):
        load_npz_split(bare)
