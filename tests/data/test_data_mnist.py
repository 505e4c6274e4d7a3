"""MNIST / Fashion-MNIST: IDX parsing, torchvision's layout, missing/corrupt files, downloads."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import socket
import sys
import time
import types
import urllib.error
import urllib.request

import numpy as np
import pytest
from data_format_writers import write_idx_bytes, write_idx_header_only, write_mnist_layout

from neurobench.data import DataFormatError, DownloadError, load_dataset
from neurobench.data.idx import IMAGES_MAGIC, read_idx, write_idx


def _tiny(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    return images, rng.integers(0, 10, size=n, dtype=np.uint8)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_files_round_trip(tmp_path, name, folder, compress):
    images, labels = _tiny(5, 0)
    test_images, test_labels = _tiny(3, 1)
    write_mnist_layout(tmp_path, folder, "train", images, labels, compress=compress)
    write_mnist_layout(tmp_path, folder, "t10k", test_images, test_labels, compress=compress)

    ds = load_dataset(name, root=tmp_path)
    assert ds.x.shape == (5, 1, 28, 28) and ds.x.dtype == np.float64 and ds.y.dtype == np.int64
    np.testing.assert_array_equal(ds.x[:, 0], images / 255.0)
    np.testing.assert_array_equal(ds.y, labels)
    assert (ds.kind, ds.n_classes, ds.input_shape) == ("static", 10, (1, 28, 28))

    test = load_dataset(name, root=tmp_path, split="test")
    np.testing.assert_array_equal(test.y, test_labels)
    both = load_dataset(name, root=tmp_path, split="all", max_samples=7)
    np.testing.assert_array_equal(both.y, np.concatenate([labels, test_labels])[:7])


def test_read_idx_generic_types_and_writer_agree(tmp_path):
    arr = np.arange(-6, 6, dtype=np.int16).reshape(3, 4)
    write_idx(tmp_path / "a.idx", arr)
    assert (tmp_path / "a.idx").read_bytes()[:4] == bytes([0, 0, 0x0B, 2])
    out = read_idx(tmp_path / "a.idx")
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)
    write_idx(tmp_path / "b.idx.gz", arr.astype(np.float64))
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx.gz"), arr)


def test_missing_files_fail_fast_naming_paths(tmp_path):
    start = time.monotonic()
    with pytest.raises(FileNotFoundError) as err:
        load_dataset("mnist", root=tmp_path)
    assert time.monotonic() - start < 1.0
    msg = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert "train-images-idx3-ubyte[.gz]" in msg and "train-labels-idx1-ubyte[.gz]" in msg
    assert "download=True" in msg and "torchvision" in msg


def test_truncated_idx_raises_data_format_error(tmp_path):
    images, labels = _tiny(4, 2)
    write_mnist_layout(tmp_path, "MNIST", "train", images, labels)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataFormatError, match=r"train-images-idx3-ubyte: IDX data truncated"):
        load_dataset("mnist", root=tmp_path)
    path.write_bytes(path.read_bytes()[:9])
    with pytest.raises(DataFormatError, match="truncated IDX header"):
        load_dataset("mnist", root=tmp_path)


def test_idx_dims_overflowing_int64_are_a_format_error(tmp_path):
    """Sizes 2**22 x 2**21 x 2**21 multiply to 2**64, 0 in int64 arithmetic: the 16-byte header
    alone used to pass the size check. The sizes are multiplied exactly now."""
    images, labels = _tiny(4, 5)
    write_mnist_layout(tmp_path, "MNIST", "train", images, labels)
    path = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    write_idx_header_only(path, (2**22, 2**21, 2**21))
    match = (r"train-images-idx3-ubyte: IDX data truncated: shape \(4194304, 2097152, 2097152\) of uint8 "
             r"needs 18446744073709551632 bytes, file has 16")
    with pytest.raises(DataFormatError, match=match):
        load_dataset("mnist", root=tmp_path)
    # four sizes of 2**16: the 20-byte header is all that int64 arithmetic expects
    write_idx_header_only(tmp_path / "x.idx", (2**16,) * 4)
    with pytest.raises(DataFormatError, match=r"x\.idx: IDX data truncated: shape \(65536, 65536, 65536, 65536\)"):
        read_idx(tmp_path / "x.idx")


def test_wrong_magic_number_raises(tmp_path):
    images, labels = _tiny(4, 3)
    write_mnist_layout(tmp_path, "MNIST", "train", images, labels)
    # a label file where the image file should be: magic 2049 instead of 2051
    write_idx_bytes(tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte", labels)
    match = rf"wrong IDX magic number 2049 .*expected {IMAGES_MAGIC}"
    with pytest.raises(DataFormatError, match=match):
        load_dataset("mnist", root=tmp_path)


def test_corrupt_gzip_and_mismatched_counts(tmp_path):
    images, labels = _tiny(4, 4)
    write_mnist_layout(tmp_path, "FashionMNIST", "train", images, labels[:3], compress=True)
    with pytest.raises(DataFormatError, match="has 4 images but .* has 3 labels"):
        load_dataset("fashion_mnist", root=tmp_path)
    bad = tmp_path / "FashionMNIST" / "raw" / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x04abcd")[:-12])
    with pytest.raises(DataFormatError, match="train-labels-idx1-ubyte.gz: not a valid gzip file"):
        load_dataset("fashion_mnist", root=tmp_path)


def test_download_without_network_fails_fast_and_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def no_network(url, *args, timeout=None, **kw):
        calls.append((url, timeout))
        raise urllib.error.URLError("no network (test)")

    monkeypatch.setitem(sys.modules, "torchvision", None)  # force the urllib path
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    start = time.monotonic()
    with pytest.raises(DownloadError) as err:
        load_dataset("mnist", root=tmp_path, download=True)
    assert time.monotonic() - start < 2.0
    msg = str(err.value)
    assert "download failed" in msg and "no network (test)" in msg
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in msg
    assert str(tmp_path / "MNIST" / "raw") in msg
    assert calls and all(timeout is not None and timeout <= 10 for _, timeout in calls)
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []


def test_download_through_torchvision_wraps_its_errors(tmp_path, monkeypatch):
    seen = []

    class FakeMNIST:
        def __init__(self, root, train, download):
            seen.append((root, train, download, socket.getdefaulttimeout()))
            raise RuntimeError("Error downloading train-images-idx3-ubyte.gz (test)")

    tv = types.ModuleType("torchvision")
    tv.datasets = types.SimpleNamespace(MNIST=FakeMNIST)
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", tv.datasets)
    with pytest.raises(DownloadError, match="torchvision download failed: Error downloading"):
        load_dataset("mnist", root=tmp_path, download=True, split="all")
    assert seen == [(str(tmp_path), True, True, 10.0)]
    assert socket.getdefaulttimeout() is None


def test_download_checks_md5_and_installs_atomically(tmp_path, monkeypatch):
    from neurobench.data import mnist

    images, labels = _tiny(2, 5)
    payloads = {}
    for stem, arr in [("train-images-idx3-ubyte", images), ("train-labels-idx1-ubyte", labels)]:
        write_idx_bytes(tmp_path / "src" / stem, arr)
        payloads[stem + ".gz"] = gzip.compress((tmp_path / "src" / stem).read_bytes())

    class Response:
        def __init__(self, data):
            self.data = data

        def read(self):
            return self.data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setitem(sys.modules, "torchvision", None)
    def fake_urlopen(url, timeout=None):
        return Response(payloads[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(DownloadError, match="MD5"):
        load_dataset("mnist", root=tmp_path / "r1", download=True)

    md5 = {name: hashlib.md5(data).hexdigest() for name, data in payloads.items()}
    source = dataclasses.replace(mnist.MNIST, md5=md5)
    ds = mnist.load_idx_dataset(source, tmp_path / "r2", True)
    np.testing.assert_array_equal(ds.y, labels)
    assert sorted(p.name for p in (tmp_path / "r2" / "MNIST" / "raw").iterdir()) == sorted(payloads)


def test_gzip_idx_is_decompressed_only_as_far_as_its_header_declares(tmp_path):
    """A 4-label file followed by 64 MiB of zeros (64 KiB compressed): the header is checked and
    the trailing data detected after reading one byte past the declared size, never the whole
    stream into memory (it used to be decompressed in full first)."""
    import tracemalloc

    path = tmp_path / "bomb-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(b"\x00\x00\x08\x01\x00\x00\x00\x04abcd")
        zeros = bytes(1 << 20)
        for _ in range(64):
            fh.write(zeros)
    tracemalloc.start()
    try:
        with pytest.raises(DataFormatError, match=r"bomb-labels-idx1-ubyte\.gz: IDX data has trailing bytes"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * (1 << 20), f"peak {peak / (1 << 20):.1f} MiB"
