"""The conversion study's model folders: where the trained ANNs and converted SNNs live, which
parameters built them (fingerprints), the seeds of each replicate, and loading them back.

Layout, for replicates ``r = 0 .. n_seeds - 1``:

* ``<models_dir>/ann/seed<r>/<network>.npz``: the trained ANNs of replicate ``r``;
  ``<models_dir>/ann/training.json``: per replicate its seeds and per network task, data,
  layer sizes and scores;
* ``<models_dir>/snn/seed<r>/<entry>.npz``: the converted networks of replicate ``r``;
  ``<models_dir>/snn/conversion.json``: per replicate its entries (read-out constants, solver
  reports, selections).

Each JSON file carries the fingerprint of the parameters and the code its folder was built from.
Replicate
``r`` is the section with ``data_seed``, ``train_seed`` and ``seed`` replaced by
``neurobench.seeds.child_seed(<field>, r)`` (:func:`replicate`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ...ann import Ann
from ...ann.train import DATA_OF_KIND, load_data
from ...fingerprint import code_fingerprint, fingerprint
from ...network import Network
from ...schema import replace
from ...seeds import child_seed
from ...serialize import load_ann, load_network
from .params import ConversionSection

TRAIN_KEYS = ("networks", "data_seed", "train_seed", "epochs", "n_seeds")
"""Keys of the ``conversion`` section that the trained ANNs depend on."""
UNUSED_BY_CONVERT = ("evaluate", "models_dir")
"""Keys of the ``conversion`` section that the converted SNNs do not depend on."""


TRAIN_CODE = ("ann", "data", "neurons", "network.py", "serialize.py", "schema.py", "seeds.py", "units.py",
              "io.py", "experiments/conversion/train.py", "experiments/conversion/models.py",
              "experiments/conversion/params.py")
"""Package sources (files, or folders: every ``.py`` below) the trained ANNs are computed by: a
superset of the training step's import closure, leaving out what cannot change a model (reports,
progress bars)."""
CONVERT_CODE = TRAIN_CODE + ("conversion", "sim", "metrics", "experiments/conversion/convert.py",
                             "experiments/conversion/entries.py")
"""... and the converted SNNs (conversion, simulation for calibration, read-out constants)."""


def train_fingerprint(cfg: ConversionSection) -> str:
    """Fingerprint of what ``<models_dir>/ann`` is built from: the parameters ``TRAIN_KEYS`` and
    the code ``TRAIN_CODE``. A folder whose fingerprint differs is rebuilt, so neither a
    parameter change nor a code change (the stage re-runs under ``dvc repro`` when either
    changes) can leave stale models behind."""
    params = {k: v for k, v in cfg.model_dump().items() if k in TRAIN_KEYS}
    return fingerprint({**params, "code": code_fingerprint(TRAIN_CODE)})


def convert_fingerprint(cfg: ConversionSection) -> str:
    """Fingerprint of what ``<models_dir>/snn`` is built from: every parameter but
    ``UNUSED_BY_CONVERT`` and the code ``CONVERT_CODE``."""
    params = {k: v for k, v in cfg.model_dump().items() if k not in UNUSED_BY_CONVERT}
    return fingerprint({**params, "code": code_fingerprint(CONVERT_CODE)})


SEEDED_KEYS = ("data_seed", "train_seed", "seed")
"""Seed fields of the section that every replicate derives its own seeds from."""


def replicate(cfg: ConversionSection, r: int) -> ConversionSection:
    """The section as replicate ``r`` runs it: each of ``SEEDED_KEYS`` replaced by
    ``child_seed(value, r)`` (data split, training, position sampling and random pruning)."""
    if not 0 <= r < cfg.n_seeds:
        raise ValueError(f"replicate r = {r} is not allowed: must be in [0, n_seeds = {cfg.n_seeds})")
    return replace(cfg, **{k: child_seed(getattr(cfg, k), r) for k in SEEDED_KEYS})


def replicate_seeds(cfg: ConversionSection, r: int) -> dict[str, int]:
    """The seeds of replicate ``r`` by field name."""
    rep = replicate(cfg, r)
    return {k: getattr(rep, k) for k in SEEDED_KEYS}


def seed_folder(r: int) -> str:
    """Name of replicate ``r``'s sub-folder in ``ann`` and ``snn``."""
    return f"seed{int(r)}"


def ann_dir(cfg: ConversionSection) -> Path:
    """Folder of the trained ANNs (all replicates)."""
    return Path(cfg.models_dir) / "ann"


def snn_dir(cfg: ConversionSection) -> Path:
    """Folder of the converted SNNs (all replicates)."""
    return Path(cfg.models_dir) / "snn"


def data_of(kind: str, cfg: ConversionSection) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of network ``kind`` (split seeded by ``data_seed``;
    pass a :func:`replicate`)."""
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


def load_anns(cfg: ConversionSection, r: int) -> dict[str, Ann]:
    """The trained ANNs of replicate ``r`` by network name."""
    return {kind: load_ann(ann_dir(cfg) / seed_folder(r) / f"{kind}.npz") for kind in cfg.networks}


def training_summary(cfg: ConversionSection) -> dict[str, Any]:
    """``training.json`` of the trained ANNs (``replicates``: per replicate its ``seeds`` and
    ``networks``, per network task, data, sizes, scores)."""
    return json.loads((ann_dir(cfg) / "training.json").read_text())


def load_entry_network(cfg: ConversionSection, r: int, name: str) -> Network:
    """The converted network of entry ``name`` of replicate ``r``."""
    return load_network(snn_dir(cfg) / seed_folder(r) / f"{name}.npz")
