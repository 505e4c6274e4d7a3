"""Writers of tiny files in the published on-disk formats, written independently of the readers.

Each writer follows the format's own description (not neurobench's or tonic's reading code), so
reading the files back through ``load_dataset`` checks the readers against the format.
"""

from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

import h5py
import numpy as np


def write_idx_bytes(path: Path, array: np.ndarray, compress: bool = False) -> None:
    """IDX of uint8: 0x0000, type byte 0x08, ndim byte, big-endian uint32 dims, then the bytes."""
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    if compress:
        payload = gzip.compress(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)


def write_idx_header_only(path: Path, dims: tuple[int, ...], payload: bytes = b"") -> None:
    """An IDX uint8 file whose header declares ``dims`` (big-endian uint32 each) followed by
    ``payload``, whatever the dims say: for headers that lie about their size."""
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(f">{len(dims)}I", *dims)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + payload)


def npy_bytes(descr: str, shape: tuple[int, ...], payload: bytes) -> bytes:
    """A version 1.0 ``.npy`` stream as numpy's format specification (NEP 1) describes it: magic
    ``\\x93NUMPY``, bytes 1 and 0, a little-endian uint16 header length, the header (a Python dict
    literal padded with spaces and ending in a newline so that the data starts on a multiple of
    64 bytes), then ``payload``, whatever the header declares."""
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': {shape!r}, }}"
    pad = -(10 + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode("latin1")
    return b"\x93NUMPY" + bytes([1, 0]) + struct.pack("<H", len(header)) + header + payload


def write_npz_members(path: Path, members: dict[str, bytes], compress: bool = False) -> None:
    """An ``.npz``: a zip archive of ``<name>.npy`` members (stored, or deflated as
    ``np.savez_compressed`` does)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)


def write_mnist_layout(root: Path, folder: str, prefix: str, images: np.ndarray, labels: np.ndarray,
                       compress: bool = False) -> None:
    """``root/<folder>/raw/<prefix>-{images-idx3,labels-idx1}-ubyte[.gz]`` (torchvision's)."""
    raw = root / folder / "raw"
    suffix = ".gz" if compress else ""
    write_idx_bytes(raw / f"{prefix}-images-idx3-ubyte{suffix}", images, compress=compress)
    write_idx_bytes(raw / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress=compress)


def nmnist_bytes(x, y, t, p) -> bytes:
    """N-MNIST's 40-bit events: x, y, then polarity in bit 39 and a 23-bit timestamp (us)."""
    out = bytearray()
    for xi, yi, ti, pi in zip(x, y, t, p, strict=True):
        assert 0 <= ti < 2**23
        out += bytes([xi, yi, (pi << 7) | (ti >> 16), (ti >> 8) & 0xFF, ti & 0xFF])
    return bytes(out)


def write_nmnist_sample(root: Path, folder: str, label: int, name: str, events: dict) -> Path:
    """``root/NMNIST/<Train|Test>/<label>/<name>.bin``, the layout of the extracted zip files."""
    path = root / "NMNIST" / folder / str(label) / f"{name}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(nmnist_bytes(events["x"], events["y"], events["t"], events["p"]))
    return path


def write_shd(path: Path, times: list[np.ndarray], units: list[np.ndarray], labels,
              extra: bool = True) -> None:
    """SHD's HDF5 layout: ragged spikes/times (s) and spikes/units, labels, optional extra/."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as fh:
        t = fh.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.float16))
        u = fh.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.uint16))
        for i, (ti, ui) in enumerate(zip(times, units, strict=True)):
            t[i] = np.asarray(ti, dtype=np.float16)
            u[i] = np.asarray(ui, dtype=np.uint16)
        fh.create_dataset("labels", data=np.asarray(labels, dtype=np.uint8))
        if extra:
            fh.create_dataset("extra/keys", data=np.array([f"word{i}".encode() for i in range(20)]))
            fh.create_dataset("extra/speaker", data=np.zeros(len(labels), dtype=np.uint8))


def write_dvs_gesture_sample(root: Path, folder: str, user: int, lighting: str, label: int,
                             xypt_ms: np.ndarray) -> Path:
    """tonic's DVS Gesture: ``<folder>/user<NN>_<lighting>/<label>.npy``; columns x, y, p, t/ms."""
    path = root / "DVSGesture" / folder / f"user{user:02d}_{lighting}" / f"{label}.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, xypt_ms)
    return path
