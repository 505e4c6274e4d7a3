"""The two tasks of the layer-synchronization study: digits as saccade events (spatial) and
digits row by row (temporal), as binary input frames, with the stage's train/test split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...data import load_dataset, train_test_split
from ...data.frames import frames_from_events
from ...data.saccade import saccade_sensor_size, saccades
from ...data.sequential import rows_over_time
from .params import AsyncSection

__all__ = ["SHORT_NAMES", "StudyData", "load_study_data", "row_digit_frames", "saccade_digit_frames"]

SACCADE_TASK = "saccade digits (spatial)"
ROW_TASK = "row-by-row digits (temporal)"
SHORT_NAMES = {SACCADE_TASK: "saccade", ROW_TASK: "rows"}
"""Task name -> prefix of its keys in ``metrics.json``."""


def saccade_digit_frames(images, n_steps: int, amplitude: float, threshold: float, seed: int,
                         window: float, dt: float = 1.0) -> np.ndarray:
    """Digits as N-MNIST-like events (``neurobench.data.saccade``, ``n_steps`` of ``dt`` ms,
    saccade ``amplitude`` in pixels, DVS contrast ``threshold`` in log intensity), binned into
    frames of ``window`` ms: (n, n_frames, 2 * H' * W') uint8."""
    events = saccades(images, n_steps=n_steps, dt=dt, amplitude=amplitude, contrast_threshold=threshold, seed=seed)
    frames = frames_from_events(events, saccade_sensor_size(np.shape(images), amplitude), window, n_steps * dt)
    return frames.reshape(len(frames), frames.shape[1], -1)


def row_digit_frames(images, levels: int, repeats: int = 1) -> np.ndarray:
    """Digits row by row (``neurobench.data.sequential.rows_over_time``, a thermometer code of
    ``levels`` per pixel, each row for ``repeats`` frames): (n, H * repeats, W * levels)."""
    return rows_over_time(images, levels=levels, repeats=repeats)


@dataclass
class StudyData:
    """The study's inputs: labels, split and the frames of every task.

    Attributes
    ----------
    y : (n,) int64
        Digit labels.
    n_classes : int
    train_idx, test_idx : int arrays
        The stratified split, capped by ``max_train`` / ``max_test``.
    tasks : dict name -> (frames (n, n_frames, n_in) 0/1, frame length in ms)
    """

    y: np.ndarray
    n_classes: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    tasks: dict[str, tuple[np.ndarray, float]]

    def overview(self) -> list[dict]:
        """One row per task: frames, inputs, frame length (ms), mean input events per test
        sample, train and test sizes."""
        return [{"task": name, "frames": x.shape[1], "inputs": x.shape[2], "frame length (ms)": dt,
                 "input events / sample": x[self.test_idx].sum(axis=(1, 2)).mean(),
                 "train": len(self.train_idx), "test": len(self.test_idx)}
                for name, (x, dt) in self.tasks.items()]


def load_study_data(cfg: AsyncSection) -> StudyData:
    """Load the embedded digits, split them and build both tasks' frames as ``cfg`` says."""
    digits = load_dataset("digits", root=cfg.root, kind="static")
    train_idx, test_idx = train_test_split(digits.y, cfg.test_fraction, cfg.split_seed)
    if cfg.max_train:
        train_idx = train_idx[: cfg.max_train]
    if cfg.max_test:
        test_idx = test_idx[: cfg.max_test]
    tasks = {
        SACCADE_TASK: (saccade_digit_frames(digits.x, cfg.saccade_steps, cfg.saccade_amplitude,
                                            cfg.saccade_threshold, cfg.saccade_seed, cfg.frame_window),
                       cfg.frame_window),
        ROW_TASK: (row_digit_frames(digits.x, cfg.row_levels, cfg.row_repeats), cfg.row_frame_dt),
    }
    return StudyData(np.asarray(digits.y), int(digits.n_classes), train_idx, test_idx, tasks)
