"""Cached train/test arrays (``data/processed/*.npz``): atomic writes, checked reads.

A split is a mapping from names (e.g. ``x_train``, ``y_train``, ``x_test``, ``y_test``) to
numeric or boolean arrays. It is written with ``np.savez_compressed`` to a temporary file in the
destination folder, flushed to disk and moved into place with ``os.replace``, so an interrupted
write never leaves a half-written ``.npz`` under the final name. Object arrays are refused
(reading them back would need pickle, which is never enabled). Reading checks the archive's
directory and every member's ``.npy`` header first (``_checks.npz_problem``): numpy allocates
the array a header declares before reading it, so a member claiming 10^13 values must be a
format error, not a ``MemoryError``.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from ._checks import npz_problem
from .dataset import DataFormatError


def save_npz_split(path, split: Mapping[str, np.ndarray]) -> Path:
    """Write the arrays of ``split`` to ``path`` (an ``.npz``) atomically; return the path.

    Raises ``ValueError`` before writing if a name is not a Python identifier or an array has
    object dtype.
    """
    path = Path(path)
    arrays = {}
    for name, value in split.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"split key {name!r} must be a string that is a valid identifier")
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise ValueError(
                f"split[{name!r}] has object dtype; only numeric/bool arrays can be cached"
            )
        arrays[name] = arr
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_npz_split(path, required: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """Read every array of the ``.npz`` at ``path`` into a dict (fully decompressed and checked).

    Parameters
    ----------
    path : str or Path
        The file written by ``save_npz_split``.
    required : iterable of str
        Names that must be present.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    DataFormatError
        The file is empty, truncated, corrupt, not an ``.npz`` archive, declares arrays larger
        than it holds (checked from the headers, before any array is allocated), or lacks a
        required name; the message names ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no cached split at {path}")
    problem = npz_problem(path)
    if problem is not None:
        raise DataFormatError(f"{path}: {problem}")
    try:
        npz = np.load(path, allow_pickle=False)
        with npz:
            out = {name: npz[name] for name in npz.files}  # decompresses and CRC-checks each
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, KeyError) as err:
        what = f"{type(err).__name__}: {err}"
        raise DataFormatError(f"{path}: corrupt or truncated .npz ({what})") from err
    missing = [name for name in required if name not in out]
    if missing:
        raise DataFormatError(
            f"{path}: missing arrays {', '.join(missing)}; present: {', '.join(out)}"
        )
    return out
