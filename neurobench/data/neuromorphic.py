"""N-MNIST, SHD and DVS Gesture through tonic 1.7.0's dataset classes, never downloading silently.

On-disk layouts (``root`` is the ``save_to`` folder given to tonic; tonic appends the class name):

* N-MNIST: ``root/NMNIST/Train/<digit>/<id>.bin`` and ``root/NMNIST/Test/<digit>/<id>.bin``, the
  folders inside the published ``train.zip`` / ``test.zip``. Each ``.bin`` is a sequence of
  40-bit events: byte 0 = x, byte 1 = y, byte 2 bit 7 = polarity, bits 22..0 of bytes 2-4 =
  timestamp in microseconds (big-endian); the label is the digit folder's name.
* SHD: ``root/SHD/shd_train.h5`` and ``root/SHD/shd_test.h5``, HDF5 files with the ragged
  datasets ``spikes/times`` (seconds) and ``spikes/units`` (0..699) and ``labels`` (0..19);
  ``extra/keys`` and ``extra/speaker`` are read when present.
* DVS Gesture (tonic's preprocessed release): ``root/DVSGesture/ibmGestureTrain/user<NN>_<lighting>/
  <label>.npy`` and ``.../ibmGestureTest/...``; each ``.npy`` is an ``(N, 4)`` array of
  columns x, y, p, t with t in milliseconds; the file name is the label (0..10).

Why subclasses: tonic's ``_check_exists`` wants the downloaded archive next to the extracted
files (and at least 10000 ``.bin`` files for N-MNIST, 100 ``.npy`` for DVS Gesture), and
otherwise calls ``download()`` straight from ``__init__`` with no timeout. The subclasses below
only look for the extracted files, and their ``download`` raises ``FileNotFoundError`` (naming
the expected paths) unless ``download=True`` was asked for, in which case tonic's own download
runs under a socket timeout. Reading (``__getitem__``) is tonic's, unchanged. Events are then
converted to ``EVENT_DTYPE`` (t in microseconds) with the values tonic returns.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._checks import check_int, npy_file_problem
from .download_timeout import TIMEOUT_S, socket_timeout
from .dataset import DataFormatError, Dataset, DownloadError, as_object_array
from .events import to_event_dtype

SPLITS = ("train", "test")
NMNIST_EVENT_BYTES = 5


@dataclass(frozen=True)
class EventSource:
    """Static facts about one event data set."""

    name: str
    tonic_class: str
    sensor_size: tuple[int, int, int]
    n_classes: int
    layout: dict[str, str]  # split -> expected path relative to root, for messages
    how_to_get: str


NMNIST = EventSource(
    name="nmnist",
    tonic_class="NMNIST",
    sensor_size=(34, 34, 2),
    n_classes=10,
    layout={"train": "NMNIST/Train/<digit>/*.bin", "test": "NMNIST/Test/<digit>/*.bin"},
    how_to_get="extract train.zip / test.zip from https://www.garrickorchard.com/datasets/n-mnist",
)
SHD = EventSource(
    name="shd",
    tonic_class="SHD",
    sensor_size=(700, 1, 1),
    n_classes=20,
    layout={"train": "SHD/shd_train.h5", "test": "SHD/shd_test.h5"},
    how_to_get="unzip shd_train.h5.zip / shd_test.h5.zip from https://zenkelab.org/datasets/",
)
DVS_GESTURE = EventSource(
    name="dvs_gesture",
    tonic_class="DVSGesture",
    sensor_size=(128, 128, 2),
    n_classes=11,
    layout={"train": "DVSGesture/ibmGestureTrain/user<NN>_<lighting>/<label>.npy",
            "test": "DVSGesture/ibmGestureTest/user<NN>_<lighting>/<label>.npy"},
    how_to_get="extract tonic's ibmGestureTrain.tar.gz / ibmGestureTest.tar.gz (figshare)",
)


def _missing_message(source: EventSource, root, split: str) -> str:
    return (
        f"{source.name}: {split} files not found: expected {Path(root) / source.layout[split]}. "
        f"Get them with load_dataset({source.name!r}, root={str(root)!r}, download=True) on a "
        f"machine with network access, or {source.how_to_get}."
    )


def _has_file(folder: Path, suffix: str) -> bool:
    """True if ``folder`` holds at least one file ending in ``suffix`` (searched recursively)."""
    if not folder.is_dir():
        return False
    return any(name.endswith(suffix) for _, _, files in os.walk(folder) for name in files)


def missing_message(source: EventSource, root) -> str | None:
    """Why ``source`` cannot be loaded offline from ``root`` (the files expected), or None.

    Checks what the offline loader checks: the SHD HDF5 files, or at least one extracted
    sample file per split for N-MNIST (``.bin``) and DVS Gesture (``.npy``).
    """
    for split, pattern in source.layout.items():
        first = Path(root) / pattern.split("<")[0].split("*")[0]
        present = first.is_file() if source.tonic_class == "SHD" else _has_file(
            first, ".bin" if source.tonic_class == "NMNIST" else ".npy")
        if not present:
            return _missing_message(source, root, split)
    return None


@functools.cache
def _offline_class(tonic_class: str):
    """A subclass of ``tonic.datasets.<tonic_class>`` that checks extracted files only and
    downloads only when allowed (see the module docstring)."""
    import tonic.datasets

    base = getattr(tonic.datasets, tonic_class)

    class Offline(base):
        def __init__(self, save_to, *, allow_download: bool, missing_message: str, **kw):
            self._allow_download = allow_download
            self._missing_message = missing_message
            super().__init__(save_to, **kw)

        def _check_exists(self) -> bool:
            location = Path(self.location_on_system)
            if tonic_class == "SHD":
                return (location / self.data_filename).is_file()
            suffix = ".bin" if tonic_class == "NMNIST" else ".npy"
            return _has_file(location / self.folder_name, suffix)

        def download(self) -> None:
            if not self._allow_download:
                raise FileNotFoundError(self._missing_message)
            try:
                with socket_timeout(TIMEOUT_S):
                    super().download()
            except Exception as err:  # urllib, tarfile, zipfile, checksum errors alike
                raise DownloadError(
                    f"download through tonic failed: {err}. {self._missing_message}"
                ) from err

    # tonic stores files under save_to/<class name>: keep the base class's name.
    Offline.__name__ = Offline.__qualname__ = base.__name__
    return Offline


def _open(source: EventSource, root, split: str, download: bool):
    """The tonic dataset object for ``split`` (files checked; no download unless asked)."""
    if split not in SPLITS:
        raise ValueError(f"split = {split!r} is not allowed: must be one of {', '.join(SPLITS)}")
    cls = _offline_class(source.tonic_class)
    message = _missing_message(source, root, split)
    kw = dict(train=split == "train", allow_download=download, missing_message=message)
    if source is SHD:
        path = Path(root) / source.layout[split]
        if path.is_file():
            _check_shd_file(path)  # before tonic opens it: clear errors for corrupt files
        ds = cls.__new__(cls)
        try:
            ds.__init__(str(root), **kw)
        except KeyError:
            # tonic's SHD.__init__ ends by reading the optional extra/keys and extra/speaker
            # metadata; everything __getitem__ needs (spikes/, labels) is set up before that.
            ds.classes = []
        _check_shd_file(path)  # again, in case tonic has just downloaded it
        return ds
    try:
        return cls(str(root), **kw)
    except (FileNotFoundError, DownloadError):
        raise
    except (ValueError, IndexError) as err:  # folder names that do not give a label
        where = Path(root) / source.layout[split]
        raise DataFormatError(f"{where}: unexpected folder layout ({err})") from err


def _check_shd_file(path: Path) -> None:
    """Raise ``DataFormatError`` unless ``path`` is HDF5 with spikes/times, spikes/units, labels."""
    import h5py

    try:
        fh = h5py.File(path, "r")
    except OSError as err:
        raise DataFormatError(f"{path}: not a readable HDF5 file ({err})") from err
    with fh:
        missing = [key for key in ("spikes/times", "spikes/units", "labels") if key not in fh]
        if missing:
            raise DataFormatError(f"{path}: HDF5 file lacks {', '.join(missing)} (SHD layout)")
        lengths = {key: len(fh[key]) for key in ("spikes/times", "spikes/units", "labels")}
        if len(set(lengths.values())) != 1:
            raise DataFormatError(
                f"{path}: spikes/times, spikes/units and labels differ in length: {lengths}"
            )


def _sample_name(source: EventSource, ds, index: int) -> str:
    if source is SHD:
        return f"{Path(ds.location_on_system) / ds.data_filename} sample {index}"
    return str(ds.data[index])


def _check_nmnist_file(path: str) -> None:
    size = os.path.getsize(path)
    if size % NMNIST_EVENT_BYTES:
        raise DataFormatError(
            f"{path}: {size} bytes is not a whole number of 40-bit (5-byte) N-MNIST events"
        )


def _check_dvs_gesture_file(path: str) -> None:
    """Raise ``DataFormatError`` unless ``path`` is a ``.npy`` file holding exactly the array its
    header declares: tonic's ``np.load`` would allocate a declared 10^13 values (``MemoryError``)
    before finding out that the file is short."""
    problem = npy_file_problem(path)
    if problem is not None:
        raise DataFormatError(f"{path}: cannot read events ({problem})")


def _read_sample(source: EventSource, ds, index: int) -> tuple[np.ndarray, int]:
    name = _sample_name(source, ds, index)
    if source is NMNIST:
        _check_nmnist_file(ds.data[index])
    elif source is DVS_GESTURE:
        _check_dvs_gesture_file(ds.data[index])
    try:
        events, target = ds[index]
        events = to_event_dtype(np.asarray(events), source=name)
    except DataFormatError:
        raise
    except (ValueError, TypeError, KeyError, OSError, EOFError, IndexError) as err:
        raise DataFormatError(f"{name}: cannot read events ({type(err).__name__}: {err})") from err
    width, height, _ = source.sensor_size
    if events.size and (events["x"].max() >= width or events["y"].max() >= height):
        raise DataFormatError(
            f"{name}: event coordinates outside the {width}x{height} sensor "
            f"(x max {events['x'].max()}, y max {events['y'].max()})"
        )
    target = int(np.asarray(target))
    if not 0 <= target < source.n_classes:
        raise DataFormatError(f"{name}: label {target} outside [0, {source.n_classes})")
    return events, target


def _order(ds) -> list[int]:
    """Sample order: tonic's, but DVS Gesture sorted by path (tonic leaves its files unsorted)."""
    if type(ds).__name__ == "DVSGesture":
        return sorted(range(len(ds.data)), key=lambda i: ds.data[i])
    return list(range(len(ds)))


def load_event_dataset(
    source: EventSource, root="data/raw", download: bool = False, *, split: str = "train",
    max_samples: int | None = None,
) -> Dataset:
    """Read an event data set split into an ``events`` ``Dataset`` of ``EVENT_DTYPE`` arrays.

    Parameters
    ----------
    source : EventSource
        ``NMNIST``, ``SHD`` or ``DVS_GESTURE``.
    root : str or Path
        The folder given to tonic as ``save_to``.
    download : bool
        Let tonic download missing files (socket timeout ``TIMEOUT_S`` s); otherwise missing
        files raise ``FileNotFoundError`` at once.
    split : "train" or "test"
    max_samples : int, optional
        Read only the first ``max_samples`` samples.

    Raises
    ------
    FileNotFoundError
        Files missing and ``download`` is False (the message names the expected paths).
    DataFormatError
        A file is corrupt or not in the layout above (the message names it).
    """
    if max_samples is not None:
        max_samples = check_int("max_samples", max_samples, minimum=1)
    ds = _open(source, root, split, download)
    order = _order(ds)[:max_samples]
    samples = [_read_sample(source, ds, i) for i in order]
    x = as_object_array(events for events, _ in samples)
    y = np.array([target for _, target in samples], dtype=np.int64)
    width, height, n_pol = source.sensor_size
    names = getattr(ds, "classes", [])
    classes = tuple(c.decode() if isinstance(c, bytes) else str(c) for c in names)
    return Dataset(x=x, y=y, name=source.name, n_classes=source.n_classes, kind="events",
                   input_shape=(n_pol, height, width), sensor_size=source.sensor_size,
                   classes=classes if len(classes) == source.n_classes else ())


__all__ = ["DVS_GESTURE", "NMNIST", "SHD", "EventSource", "load_event_dataset"]
