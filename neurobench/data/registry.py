"""Data sets by name: ``DATASETS`` and ``load_dataset``.

========== ======== ======= =================================================================
name       kind     classes source
========== ======== ======= =================================================================
digits     static   10      scikit-learn's bundled 8x8 digits (offline; the default)
mnist      static   10      IDX files in ``root/MNIST/raw`` (torchvision's layout)
fashion_   static   10      IDX files in ``root/FashionMNIST/raw``
mnist
nmnist     events   10      ``root/NMNIST/{Train,Test}/<digit>/*.bin`` via tonic
shd        events   20      ``root/SHD/shd_{train,test}.h5`` via tonic
dvs_       events   11      ``root/DVSGesture/ibmGesture{Train,Test}/...`` via tonic
gesture
========== ======== ======= =================================================================

Keyword arguments of ``load_dataset`` go to the loader: ``max_samples`` for every data set and
``split`` ("train", "test"; "all" too for the IDX sets) for those with an official split.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import mnist, neuromorphic
from .dataset import Dataset, Kind
from .digits import load_digits


@dataclass(frozen=True)
class DatasetInfo:
    """One registered data set: its kind, class count, a description and its loader."""

    name: str
    kind: Kind
    n_classes: int
    description: str
    loader: Callable[..., Dataset]
    missing: Callable[[Path], str | None] = lambda root: None
    """Why the data set cannot be loaded offline from a root folder, or None when it can."""


def _idx_loader(source: mnist.IdxSource) -> Callable[..., Dataset]:
    def load(root, download, **kw):
        return mnist.load_idx_dataset(source, root, download, **kw)

    return load


def _event_loader(source: neuromorphic.EventSource) -> Callable[..., Dataset]:
    def load(root, download, **kw):
        return neuromorphic.load_event_dataset(source, root, download, **kw)

    return load


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo("digits", "static", 10, "scikit-learn 8x8 digits, 1797 samples, offline",
                    load_digits),
        DatasetInfo("mnist", "static", 10, "MNIST 28x28, IDX files", _idx_loader(mnist.MNIST),
                    functools.partial(mnist.missing_message, mnist.MNIST)),
        DatasetInfo("fashion_mnist", "static", 10, "Fashion-MNIST 28x28, IDX files",
                    _idx_loader(mnist.FASHION_MNIST), functools.partial(mnist.missing_message, mnist.FASHION_MNIST)),
        DatasetInfo("nmnist", "events", 10, "N-MNIST 34x34 DVS saccades, tonic",
                    _event_loader(neuromorphic.NMNIST), functools.partial(neuromorphic.missing_message, neuromorphic.NMNIST)),
        DatasetInfo("shd", "events", 20, "Spiking Heidelberg Digits, 700 channels, tonic",
                    _event_loader(neuromorphic.SHD), functools.partial(neuromorphic.missing_message, neuromorphic.SHD)),
        DatasetInfo("dvs_gesture", "events", 11, "IBM DVS Gesture 128x128, tonic",
                    _event_loader(neuromorphic.DVS_GESTURE), functools.partial(neuromorphic.missing_message, neuromorphic.DVS_GESTURE)),
    ]
}


def dataset_unavailable(name: str, root="data/raw") -> str | None:
    """Why data set ``name`` cannot be loaded offline from ``root`` (naming the files it
    expects and how to get them), or None when its files are there (always, for digits)."""
    return DATASETS[name].missing(Path(root))


def load_dataset(name: str, root="data/raw", download: bool = False, kind: Kind | None = None, **kw) -> Dataset:
    """Load the registered data set ``name`` from ``root``.

    Parameters
    ----------
    name : str
        A key of ``DATASETS``.
    root : str or Path
        Folder of raw downloaded data (not used by ``digits``).
    download : bool
        Allow downloading missing files (with a short network timeout). Without it, missing
        files raise ``FileNotFoundError`` at once, naming the expected paths.
    kind : "static", "events" or None
        The kind of data the caller can use; another kind raises ``ValueError`` before loading.
    **kw
        Passed to the loader: ``max_samples``; ``split`` where the data set has one.

    Raises
    ------
    ValueError
        Unknown ``name`` (the message lists the known names).
    FileNotFoundError, DataFormatError, DownloadError
        Missing files, corrupt files, failed download.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    if kind is not None and DATASETS[name].kind != kind:
        fitting = [n for n, info in DATASETS.items() if info.kind == kind]
        raise ValueError(
            f"dataset {name!r} holds {DATASETS[name].kind} data, but {kind} data is needed here; "
            f"use one of: {', '.join(fitting)}"
        )
    if not isinstance(download, bool):
        raise TypeError(f"download must be True or False, got {download!r}")
    return DATASETS[name].loader(Path(root), download, **kw)
