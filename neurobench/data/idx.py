"""Reader for the IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    then        d uint32 sizes, then prod(sizes) elements in C order

The magic number is bytes 0-3 read as one big-endian int: 2051 (0x00000803) for MNIST image
files (uint8, 3 dims) and 2049 (0x00000801) for label files (uint8, 1 dim).
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from .dataset import DataFormatError

IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801


CHUNK_BYTES = 1 << 20
"""Bytes read at a time: the data is read only up to the size its header declares."""


def _read_at_most(fh, n_bytes: int) -> bytes:
    """Up to ``n_bytes`` bytes of ``fh`` (fewer at its end), read in chunks, so a header that
    declares 10**19 bytes costs no more memory than the file actually holds."""
    chunks, left = [], n_bytes
    while left > 0:
        chunk = fh.read(min(left, CHUNK_BYTES))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _parse(fh, path: Path, expected_magic: int | None) -> np.ndarray:
    """The IDX array of the open binary stream ``fh`` (header first: nothing past the size the
    header declares is read, except one byte to detect trailing data)."""
    head = _read_at_most(fh, 4)
    if len(head) < 4:
        raise DataFormatError(f"{path}: {len(head)} bytes is too short for an IDX header (4 bytes)")
    magic = int.from_bytes(head, "big")
    if expected_magic is not None and magic != expected_magic:
        raise DataFormatError(
            f"{path}: wrong IDX magic number {magic} (0x{magic:08X}); expected {expected_magic} "
            f"(0x{expected_magic:08X})"
        )
    if head[0] != 0 or head[1] != 0:
        raise DataFormatError(
            f"{path}: not an IDX file: magic number 0x{magic:08X} must start with 0x0000"
        )
    type_code, ndim = head[2], head[3]
    if type_code not in IDX_TYPES:
        raise DataFormatError(f"{path}: unknown IDX element type 0x{type_code:02X}")
    header = 4 + 4 * ndim
    dims = _read_at_most(fh, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise DataFormatError(
            f"{path}: truncated IDX header: {ndim} dims need {header} bytes, file has {4 + len(dims)}"
        )
    shape = tuple(int.from_bytes(dims[4 * i : 4 + 4 * i], "big") for i in range(ndim))
    dtype = IDX_TYPES[type_code]
    # Python ints: an int64 product of the uint32 sizes can wrap around (2**16 four times is
    # 2**64 = 0 mod 2**64) and let a header that declares 10**19 values pass as a 20-byte file
    expected = header + math.prod(shape) * dtype.itemsize
    payload = _read_at_most(fh, expected - header)
    if len(payload) < expected - header:
        raise DataFormatError(
            f"{path}: IDX data truncated: shape {shape} of {dtype.name} needs {expected} bytes, "
            f"file has {header + len(payload)}"
        )
    if fh.read(1):
        raise DataFormatError(
            f"{path}: IDX data has trailing bytes: shape {shape} of {dtype.name} needs {expected} bytes, "
            f"the file has more"
        )
    data = np.frombuffer(payload, dtype=dtype).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def read_idx(path, expected_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (``.gz`` decompressed on the fly) into a numpy array.

    The header is read and checked first; the data is then read (and decompressed) only up to
    the size the header declares, so a corrupt header or a gzip bomb fails without filling
    memory.

    Parameters
    ----------
    path : str or Path
        The file.
    expected_magic : int, optional
        Required magic number (e.g. ``IMAGES_MAGIC``); checked before the data is parsed.

    Returns
    -------
    ndarray
        Shape given by the header, native-endian dtype.

    Raises
    ------
    DataFormatError
        Naming the file: bad magic, unknown element type, truncated header or data, trailing
        bytes, or (``.gz``) a corrupt gzip stream.
    """
    path = Path(path)
    if path.suffix != ".gz":
        with open(path, "rb") as fh:
            return _parse(fh, path, expected_magic)
    try:
        with gzip.open(path, "rb") as fh:
            return _parse(fh, path, expected_magic)
    except (OSError, EOFError, zlib.error) as err:
        raise DataFormatError(f"{path}: not a valid gzip file ({err})") from err


def write_idx(path, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzip-compressed if ``path`` ends in ``.gz``)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {v.name: k for k, v in IDX_TYPES.items()}
    if array.dtype.name not in codes:
        names = ", ".join(codes)
        raise ValueError(f"dtype {array.dtype} cannot be stored in IDX; allowed: {names}")
    code = codes[array.dtype.name]
    big = array.astype(IDX_TYPES[code])
    dims = b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    header = bytes([0, 0, code, array.ndim]) + dims
    payload = header + big.tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
