"""Shared fixtures: the repository root, and seeds reset for every test."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True)
def _reset_global_seeds():
    """Tests must not depend on global random state left by other tests."""
    random.seed(0)
    np.random.seed(0)
    yield
