"""MNIST and Fashion-MNIST from their IDX files, in torchvision's on-disk layout.

Files are looked up as ``root/<folder>/raw/<stem>`` or ``root/<folder>/raw/<stem>.gz`` with
``folder`` ``MNIST`` or ``FashionMNIST`` (what ``torchvision.datasets.MNIST(root, download=True)``
writes) and the stems ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``. Images become float64 ``(n, 1, 28, 28)``
in [0, 1] (uint8 / 255).

Nothing is ever downloaded unless ``download=True``; then torchvision is used when it is
importable, otherwise ``urllib`` fetches the ``.gz`` files from the canonical mirrors with a
socket timeout of ``TIMEOUT_S`` seconds, checks their MD5 and moves them into place atomically.
Any network failure raises ``DownloadError`` at once.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._checks import check_int
from .download_timeout import TIMEOUT_S, socket_timeout
from .dataset import DataFormatError, Dataset, DownloadError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx

SPLITS = ("train", "test", "all")


@dataclass(frozen=True)
class IdxSource:
    """Where one IDX data set lives on disk and online."""

    name: str
    folder: str
    mirrors: tuple[str, ...]
    md5: dict[str, str]  # file name (.gz) -> MD5 of the compressed file
    classes: tuple[str, ...]
    torchvision_class: str


MNIST = IdxSource(
    name="mnist",
    folder="MNIST",
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
    md5={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    classes=tuple(str(d) for d in range(10)),
    torchvision_class="MNIST",
)

FASHION_MNIST = IdxSource(
    name="fashion_mnist",
    folder="FashionMNIST",
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    md5={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
             "Bag", "Ankle boot"),
    torchvision_class="FashionMNIST",
)


def raw_dir(source: IdxSource, root) -> Path:
    """``root/<folder>/raw``, torchvision's folder for the IDX files."""
    return Path(root) / source.folder / "raw"


def split_stems(split: str) -> list[tuple[str, str]]:
    """(images, labels) file stems of ``split`` ("train", "test" or "all")."""
    if split not in SPLITS:
        raise ValueError(f"split = {split!r} is not allowed: must be one of {', '.join(SPLITS)}")
    prefixes = {"train": ["train"], "test": ["t10k"], "all": ["train", "t10k"]}[split]
    return [(f"{p}-images-idx3-ubyte", f"{p}-labels-idx1-ubyte") for p in prefixes]


def find_file(folder: Path, stem: str) -> Path | None:
    """The uncompressed file if present, else the ``.gz`` one, else None."""
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def missing_files(source: IdxSource, root, split: str) -> list[str]:
    """Stems of ``split`` that have neither a plain nor a ``.gz`` file under ``raw_dir``."""
    folder = raw_dir(source, root)
    return [stem for pair in split_stems(split) for stem in pair if find_file(folder, stem) is None]


def _missing_message(source: IdxSource, root, missing: list[str]) -> str:
    folder = raw_dir(source, root)
    files = ", ".join(f"{s}[.gz]" for s in missing)
    return (
        f"{source.name}: IDX files not found: expected {files} in {folder}. Get them with "
        f"load_dataset({source.name!r}, root={str(root)!r}, download=True) on a machine with "
        f"network access, or torchvision.datasets.{source.torchvision_class}({str(root)!r}, "
        f"download=True), or copy the files from {source.mirrors[0]} into that folder."
    )


def missing_message(source: IdxSource, root) -> str | None:
    """Why ``source`` cannot be loaded offline from ``root`` (the files expected), or None."""
    missing = missing_files(source, root, "all")
    return _missing_message(source, root, missing) if missing else None


def _download_with_torchvision(source: IdxSource, root, split: str) -> bool:
    """Download through torchvision if it is importable; False if it is not."""
    try:
        import torchvision.datasets as tvd
    except ImportError:
        return False
    cls = getattr(tvd, source.torchvision_class)
    try:
        with socket_timeout(TIMEOUT_S):
            for train in {"train": [True], "test": [False], "all": [True, False]}[split]:
                cls(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises RuntimeError, URLError, OSError, ...
        missing = missing_files(source, root, split)
        raise DownloadError(f"{source.name}: torchvision download failed: {err}. "
                            + _missing_message(source, root, missing)) from err
    return True


def _fetch(url: str, dest: Path, md5: str) -> None:
    """Download ``url`` to ``dest`` via a temporary file in the same folder; check the MD5."""
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        payload = response.read()
    digest = hashlib.md5(payload).hexdigest()
    if digest != md5:
        raise DownloadError(f"{url}: MD5 {digest} does not match the expected {md5}")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _download_with_urllib(source: IdxSource, root, split: str) -> None:
    folder = raw_dir(source, root)
    folder.mkdir(parents=True, exist_ok=True)
    for stem in missing_files(source, root, split):
        name = f"{stem}.gz"
        errors = []
        for mirror in source.mirrors:
            try:
                _fetch(mirror + name, folder / name, source.md5[name])
                break
            except (OSError, ValueError, http.client.HTTPException) as err:  # URLError: OSError
                errors.append(f"{mirror + name}: {err}")
        else:
            raise DownloadError(
                f"{source.name}: download failed (timeout {TIMEOUT_S:g} s per request): "
                + "; ".join(errors) + ". " + _missing_message(source, root, [stem])
            )


def download(source: IdxSource, root, split: str = "all") -> None:
    """Fetch the missing IDX files of ``split`` (torchvision if importable, else urllib)."""
    if not missing_files(source, root, split):
        return
    if not _download_with_torchvision(source, root, split):
        _download_with_urllib(source, root, split)


def load_idx_dataset(
    source: IdxSource, root="data/raw", download_missing: bool = False, *, split: str = "train",
    max_samples: int | None = None,
) -> Dataset:
    """Read one IDX data set into a static ``Dataset`` of float64 ``(n, 1, 28, 28)`` in [0, 1].

    Parameters
    ----------
    source : IdxSource
        ``MNIST`` or ``FASHION_MNIST``.
    root : str or Path
        Folder holding ``<folder>/raw`` (torchvision's layout).
    download_missing : bool
        Download missing files; otherwise raise ``FileNotFoundError`` before reading anything.
    split : "train", "test" or "all"
        The official 60000-sample training set, the 10000-sample test set, or both (train first).
    max_samples : int, optional
        Keep only the first ``max_samples`` samples.
    """
    split_stems(split)  # validates split
    if max_samples is not None:
        max_samples = check_int("max_samples", max_samples, minimum=1)
    missing = missing_files(source, root, split)
    if missing and not download_missing:
        raise FileNotFoundError(_missing_message(source, root, missing))
    if missing:
        download(source, root, split)
    folder = raw_dir(source, root)
    xs, ys = [], []
    for image_stem, label_stem in split_stems(split):
        image_path, label_path = find_file(folder, image_stem), find_file(folder, label_stem)
        images = read_idx(image_path, IMAGES_MAGIC)
        labels = read_idx(label_path, LABELS_MAGIC)
        _check_pair(images, labels, image_path, label_path, len(source.classes))
        xs.append(images)
        ys.append(labels)
    images = np.concatenate(xs)[:max_samples]
    x = images[:, None, :, :].astype(np.float64) / 255.0
    y = np.concatenate(ys)[:max_samples].astype(np.int64)
    return Dataset(x=x, y=y, name=source.name, n_classes=len(source.classes), kind="static",
                   input_shape=tuple(x.shape[1:]), classes=source.classes)


def _check_pair(images, labels, image_path, label_path, n_classes: int) -> None:
    """Raise ``DataFormatError`` unless images and labels are uint8, 3-D and 1-D, and match."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise DataFormatError(
            f"{image_path}: expected uint8 images of 3 dims, got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataFormatError(
            f"{label_path}: expected uint8 labels of 1 dim, got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataFormatError(
            f"{image_path} has {len(images)} images but {label_path} has {len(labels)} labels"
        )
    if labels.size and labels.max() >= n_classes:
        raise DataFormatError(f"{label_path}: label {labels.max()} outside [0, {n_classes})")
