"""The conversion study's model folders: where the trained ANNs and converted SNNs live, which
parameters built them (fingerprints), and loading them back.

``<models_dir>/ann`` holds one ``<network>.npz`` per trained ANN and ``training.json``;
``<models_dir>/snn`` holds one ``<entry>.npz`` per converted network and ``conversion.json``
(read-out constants, solver reports, selections). Each JSON file carries the fingerprint of the
parameters its folder was built from.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from ...ann import Ann
from ...ann.train import DATA_OF_KIND, load_data
from ...network import Network
from ...serialize import load_ann, load_network
from .params import ConversionSection

TRAIN_KEYS = ("networks", "data_seed", "train_seed", "epochs")
"""Keys of the ``conversion`` section that the trained ANNs depend on."""
UNUSED_BY_CONVERT = ("evaluate", "models_dir")
"""Keys of the ``conversion`` section that the converted SNNs do not depend on."""


def fingerprint(values: dict[str, Any]) -> str:
    """First 16 hex digits of the SHA-256 of the JSON form of ``values`` (keys sorted)."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def train_fingerprint(cfg: ConversionSection) -> str:
    """Fingerprint of the parameters that ``<models_dir>/ann`` is built from (``TRAIN_KEYS``)."""
    return fingerprint({k: v for k, v in cfg.model_dump().items() if k in TRAIN_KEYS})


def convert_fingerprint(cfg: ConversionSection) -> str:
    """Fingerprint of the parameters that ``<models_dir>/snn`` is built from (all but
    ``UNUSED_BY_CONVERT``)."""
    return fingerprint({k: v for k, v in cfg.model_dump().items() if k not in UNUSED_BY_CONVERT})


def ann_dir(cfg: ConversionSection) -> Path:
    """Folder of the trained ANNs."""
    return Path(cfg.models_dir) / "ann"


def snn_dir(cfg: ConversionSection) -> Path:
    """Folder of the converted SNNs."""
    return Path(cfg.models_dir) / "snn"


def data_of(kind: str, cfg: ConversionSection) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of network ``kind`` (split seeded by ``data_seed``)."""
    return load_data(DATA_OF_KIND[kind], seed=cfg.data_seed)


def eval_split(kind: str, cfg: ConversionSection) -> tuple[np.ndarray, np.ndarray]:
    """The evaluated test samples of network ``kind``: the first ``evaluate.test_samples`` of its
    test split (all of them for 0)."""
    _, _, x, y = data_of(kind, cfg)
    n = cfg.evaluate.test_samples or len(y)
    return x[:n], y[:n]


def read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in ``path``, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def load_anns(cfg: ConversionSection) -> dict[str, Ann]:
    """The trained ANNs by network name."""
    return {kind: load_ann(ann_dir(cfg) / f"{kind}.npz") for kind in cfg.networks}


def training_summary(cfg: ConversionSection) -> dict[str, Any]:
    """``training.json`` of the trained ANNs (per network: task, data, sizes, scores)."""
    return json.loads((ann_dir(cfg) / "training.json").read_text())


def load_entry_network(cfg: ConversionSection, name: str) -> Network:
    """The converted network of entry ``name`` of ``conversion.json``."""
    return load_network(snn_dir(cfg) / f"{name}.npz")
