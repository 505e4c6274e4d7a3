"""Data sets, splits and spike encoders.

* ``registry``: ``DATASETS`` and ``load_dataset(name, root, download, **kw)`` (digits, MNIST,
  Fashion-MNIST, N-MNIST, SHD, DVS Gesture) returning a ``Dataset``.
* ``processed``: atomic ``save_npz_split`` / checked ``load_npz_split`` for cached arrays.
* ``split``: deterministic stratified ``train_test_split``.
* ``encoders``: ``poisson``, ``regular`` and ``latency`` spike codes of static inputs.
* ``saccade``: DVS events of static images moved along saccades (N-MNIST style).
* ``events``: the event dtype and ``events_to_frames``.

Tonic, h5py and scikit-learn are imported only when a loader needs them.
"""

from .dataset import DataFormatError, Dataset, DownloadError
from .encoders import latency, latency_steps, poisson, regular
from .events import EVENT_DTYPE, events_to_frames, make_events, to_event_dtype
from .processed import load_npz_split, save_npz_split
from .registry import DATASETS, DatasetInfo, dataset_unavailable, load_dataset
from .saccade import saccade_sensor_size, saccades
from .split import train_test_split

__all__ = [
    "DATASETS",
    "EVENT_DTYPE",
    "DataFormatError",
    "Dataset",
    "DatasetInfo",
    "dataset_unavailable",
    "DownloadError",
    "events_to_frames",
    "latency",
    "latency_steps",
    "load_dataset",
    "load_npz_split",
    "make_events",
    "poisson",
    "regular",
    "saccade_sensor_size",
    "saccades",
    "save_npz_split",
    "to_event_dtype",
    "train_test_split",
]
