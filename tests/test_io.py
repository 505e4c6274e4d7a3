"""Atomic outputs: nothing half-written survives a failure."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurobench.io import atomic_path, replace_dir, write_json_atomic


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_json_is_plain_and_ordered(tmp_path):
    write_json_atomic(tmp_path / "m.json", {"b": np.float64(0.5), "a": np.int64(3), "c": np.arange(2)})
    text = (tmp_path / "m.json").read_text()
    assert json.loads(text) == {"b": 0.5, "a": 3, "c": [0, 1]}
    assert text.index('"b"') < text.index('"a"')


def test_json_rejects_nan(tmp_path):
    with pytest.raises(ValueError, match="not finite"):
        write_json_atomic(tmp_path / "m.json", {"x": float("nan")})
    assert not (tmp_path / "m.json").exists()


def test_replace_dir_swaps_whole_folders(tmp_path):
    dest = tmp_path / "report"
    dest.mkdir()
    (dest / "stale.csv").write_text("old")
    new = tmp_path / "new"
    new.mkdir()
    (new / "metrics.json").write_text("{}")
    replace_dir(new, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["metrics.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
