"""Parameter checks shared by the data modules, and size checks of ``.npy``/``.npz`` files.

Every parameter check raises ``ValueError`` (``TypeError`` for a wrong type) whose message names
the parameter, the value given and the allowed range, and runs before any computation.

The file checks (``npy_file_problem``, ``npz_problem``) read only headers and return what is
wrong with a file, or None; each loader raises its own error type with the file's path. They
exist because numpy allocates the array a ``.npy`` header declares before reading its data: a
few bytes claiming 10^13 float64 values raise ``MemoryError`` (or exhaust memory) instead of a
format error. They are also used by ``neurobench.serialize``.
"""

from __future__ import annotations

import ast
import math
import numbers
import zipfile
import zlib
from pathlib import Path

import numpy as np

NPY_MAGIC = b"\x93NUMPY"
NPY_MAX_HEADER = 10000
"""Longest ``.npy`` header accepted, in bytes (numpy's own default ``max_header_size``)."""
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member's local header; an empty archive
DEFLATE_MAX_RATIO = 1032
"""Deflate expands at most 1032-fold: a member claiming more is not a real deflate stream."""


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an int after checking it is an integer in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} = {value} is not allowed: must be >= {minimum}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} = {value} is not allowed: must be <= {maximum}")
    return value


def check_float(
    name: str,
    value,
    *,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    unit: str = "",
) -> float:
    """Return ``value`` as a finite float within the given bounds (``unit`` is for messages)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = type(value).__name__
        raise TypeError(f"{name} must be a real number, got {value!r} of type {kind}")
    value = float(value)
    suffix = f" {unit}" if unit else ""
    if not math.isfinite(value):
        raise ValueError(f"{name} = {value} is not allowed: must be finite")
    for bound, ok, word in (
        (gt, lambda b: value > b, ">"),
        (ge, lambda b: value >= b, ">="),
        (lt, lambda b: value < b, "<"),
        (le, lambda b: value <= b, "<="),
    ):
        if bound is not None and not ok(bound):
            raise ValueError(
                f"{name} = {value:g}{suffix} is not allowed: must be {word} {bound:g}{suffix}"
            )
    return value


def check_seed(name: str, seed) -> int:
    """A seed for ``np.random.default_rng``: a non-negative integer."""
    return check_int(name, seed, minimum=0)


def check_unit_array(name: str, x, min_ndim: int = 1) -> np.ndarray:
    """``x`` as a float64 array with at least ``min_ndim`` axes and every value in [0, 1]."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} axes (samples first), got shape {arr.shape}"
        )
    if arr.size:
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values; it must lie in [0, 1]")
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name} must lie in [0, 1]; got values in [{lo:g}, {hi:g}]")
    return arr


class _NpyProblem(Exception):
    """What is wrong with a ``.npy`` stream (internal to the file checks)."""


def _npy_layout(fp) -> tuple[int, int | None, tuple[int, ...]]:
    """Read the header of the ``.npy`` stream ``fp`` (positioned at its start) as the format
    specification (numpy NEP 1) describes it: 6 magic bytes, version, header length (2 bytes
    little-endian in version 1.0, 4 in 2.0 and 3.0), a Python dict literal with ``descr``,
    ``fortran_order`` and ``shape``.

    Returns (bytes before the data, bytes of data the header declares or None for object arrays,
    shape); raises ``_NpyProblem`` for anything else."""
    lead = fp.read(8)
    if len(lead) < 8 or lead[:6] != NPY_MAGIC:
        raise _NpyProblem(f"not a .npy array (starts with {lead[:8]!r}, expected {NPY_MAGIC!r})")
    version = (lead[6], lead[7])
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise _NpyProblem(f"unsupported .npy format version {version[0]}.{version[1]}")
    width = 2 if version == (1, 0) else 4
    raw = fp.read(width)
    if len(raw) < width:
        raise _NpyProblem("truncated .npy header")
    length = int.from_bytes(raw, "little")
    if length > NPY_MAX_HEADER:
        raise _NpyProblem(f".npy header of {length} bytes is longer than {NPY_MAX_HEADER}")
    text = fp.read(length)
    if len(text) < length:
        raise _NpyProblem(f"truncated .npy header ({len(text)} of {length} bytes)")
    try:
        header = ast.literal_eval(text.decode("utf8" if version == (3, 0) else "latin1"))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as err:
        raise _NpyProblem(f".npy header is not a Python dict literal ({type(err).__name__})") from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise _NpyProblem(f".npy header {text.strip()[:80]!r} needs exactly descr, fortran_order, shape")
    shape = header["shape"]
    if not isinstance(shape, tuple) or not all(type(n) is int and n >= 0 for n in shape):
        raise _NpyProblem(f".npy shape {shape!r} is not a tuple of non-negative integers")
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except (TypeError, ValueError) as err:
        raise _NpyProblem(f".npy dtype {header['descr']!r} is not valid ({err})") from None
    offset = 8 + width + length
    if dtype.hasobject:  # its size is unknown; np.load refuses it without pickle anyway
        return offset, None, shape
    return offset, math.prod(shape) * dtype.itemsize, shape  # Python ints: no overflow


def _size_problem(offset: int, nbytes: int | None, shape: tuple[int, ...], size: int) -> str | None:
    if nbytes is not None and offset + nbytes != size:
        what = "truncated" if offset + nbytes > size else "has trailing bytes"
        return (f".npy data {what}: shape {shape} needs {offset + nbytes} bytes with its header, "
                f"the array has {size}")
    return None


def npy_file_problem(path) -> str | None:
    """What is wrong with the ``.npy`` file at ``path`` before numpy allocates its array: a bad
    header, or a data size (bytes) other than the header's shape and dtype declare; None if it
    can be read. Raises ``OSError`` if the file cannot be opened."""
    path = Path(path)
    with open(path, "rb") as fh:
        try:
            layout = _npy_layout(fh)
        except _NpyProblem as problem:
            return str(problem)
    return _size_problem(*layout, path.stat().st_size)


def npz_problem(path) -> str | None:
    """What is wrong with the ``.npz`` file at ``path`` before numpy allocates any of its arrays,
    or None: it must be a zip archive (not empty, not a bare ``.npy``) whose members are stored
    or deflated, whose sizes are consistent with the archive's size (a deflated member at most
    ``DEFLATE_MAX_RATIO`` times its compressed size), and whose ``.npy`` headers declare exactly
    the bytes each member holds. Reads the zip directory and each member's header only. Raises
    ``OSError`` if the file cannot be opened."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as fh:
        lead = fh.read(8)
    if not lead:
        return "empty file (0 bytes), not an .npz archive"
    if lead.startswith(NPY_MAGIC):
        return "is a single .npy array, not an .npz archive of arrays"
    if not lead.startswith(ZIP_MAGICS):
        return f"not an .npz archive (a zip file starts with {ZIP_MAGICS[0]!r}, this one with {lead[:4]!r})"
    try:
        with zipfile.ZipFile(path) as archive:
            compressed = 0
            for info in archive.infolist():
                name = info.filename
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    return f"member {name}: compression method {info.compress_type} (.npz uses stored or deflate)"
                stored = info.compress_type == zipfile.ZIP_STORED
                if (stored and info.file_size != info.compress_size) or (
                        info.file_size > DEFLATE_MAX_RATIO * info.compress_size + DEFLATE_MAX_RATIO):
                    return (f"member {name} claims {info.file_size} bytes from {info.compress_size} "
                            f"{'stored' if stored else 'deflated'} bytes")
                compressed += info.compress_size
                if compressed > size:
                    return f"member {name}: the members' compressed sizes exceed the file's {size} bytes"
                if name.endswith(".npy"):
                    with archive.open(info) as member:
                        try:
                            problem = _size_problem(*_npy_layout(member), info.file_size)
                        except _NpyProblem as err:
                            problem = str(err)
                    if problem:
                        return f"member {name}: {problem}"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, ValueError,
            NotImplementedError, RuntimeError, OSError) as err:
        return f"corrupt or truncated .npz ({type(err).__name__}: {err})"
    return None
