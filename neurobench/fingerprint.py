"""Fingerprints of what a stored result was built from: its parameters and the code that built it.

A stage that keeps results between runs (trained models, a candidate chip's numbers) stores the
fingerprint beside them and recomputes whenever the fingerprint it would write differs, so
neither a parameter change nor a code change can leave a stale result behind.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

__all__ = ["PACKAGE_ROOT", "code_fingerprint", "file_fingerprint", "fingerprint"]

PACKAGE_ROOT = Path(__file__).resolve().parent
"""The ``neurobench`` package folder, whose sources code fingerprints cover."""


def fingerprint(values: dict[str, Any]) -> str:
    """First 16 hex digits of the SHA-256 of the JSON form of ``values`` (keys sorted)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def code_fingerprint(paths: tuple[str, ...], root: Path = PACKAGE_ROOT) -> str:
    """First 16 hex digits of the SHA-256 of the relative path and bytes of every ``.py`` file
    of ``paths`` under ``root`` (files, or folders: every ``.py`` below, sorted; ``""`` is the
    whole package): changes with any edit of that code."""
    digest = hashlib.sha256()
    for rel in paths:
        path = root / rel
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


def file_fingerprint(path: str | Path) -> str:
    """First 16 hex digits of the SHA-256 of the bytes of the file at ``path`` (an input file a
    result is computed from, e.g. a NIR network): changes with any edit of the file, not with
    its name or place."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
