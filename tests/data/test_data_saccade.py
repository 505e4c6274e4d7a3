"""Saccade (DVS) encoding of static images: analytic event counts and structural guarantees."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.data import (
    EVENT_DTYPE,
    events_to_frames,
    load_dataset,
    saccade_sensor_size,
    saccades,
)
from neurobench.data.saccade import saccade_offsets, saccade_vertices

EPS = 0.1


def _per_pixel(events, sensor, polarity=None):
    """Event counts per sensor pixel, shape (H, W)."""
    width, height, _ = sensor
    ev = events if polarity is None else events[events["p"] == polarity]
    counts = np.zeros((height, width), dtype=np.int64)
    np.add.at(counts, (ev["y"], ev["x"]), 1)
    return counts


def _padded(image, pad):
    return np.pad(image, pad)


def test_path_geometry():
    triangle = [[0, 0], [3.5, 7 * np.sqrt(3) / 2], [7, 0], [0, 0]]
    np.testing.assert_allclose(saccade_vertices(7.0, 3), triangle)
    assert saccade_vertices(1.0, 2).tolist() == [[0, 0], [0, 1], [0, 0]]  # down one pixel and back
    offsets = saccade_offsets(6, 1.0, 2)
    assert offsets[:, 0].tolist() == [0] * 7
    np.testing.assert_allclose(offsets[:, 1], [0, 1 / 3, 2 / 3, 1, 2 / 3, 1 / 3, 0])
    assert offsets[3, 1] == 1.0 and offsets[-1, 1] == 0.0  # vertices hit exactly
    assert saccade_sensor_size((28, 28), 7.0, 3) == (42, 42, 2)
    assert saccade_sensor_size((8, 8), 1.5, 3) == (12, 12, 2)
    assert saccade_sensor_size((8, 6), 1.0, 4) == (10, 12, 2)  # reach sqrt(2) -> pad 2


def test_subpixel_resampling_is_bilinear_like_scipy():
    from scipy import ndimage

    from neurobench.data.saccade import _resample

    rng = np.random.default_rng(1)
    images, pad, margin = rng.random((2, 7, 9)), 2, 4
    height, width = 7 + 2 * pad, 9 + 2 * pad
    big = np.zeros((2, height + 2 * margin, width + 2 * margin))
    big[:, margin + pad : margin + pad + 7, margin + pad : margin + pad + 9] = images
    offsets = np.array([[0.3, -1.7], [-2.0, 1.25]])  # (x, y) in pixels
    sampled = _resample(big, offsets, margin, height, width)
    for i in range(2):
        ref = ndimage.shift(np.pad(images[i], pad), (offsets[i, 1], offsets[i, 0]), order=1,
                            mode="constant", cval=0.0, prefilter=False)
        np.testing.assert_allclose(sampled[i], ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("image_kind", ["edge", "random"])
def test_one_pixel_move_counts_are_analytic(image_kind):
    """K = 2, amplitude 1: every pixel goes linearly from I[r] to I[r - 1] and back."""
    rng = np.random.default_rng(0)
    if image_kind == "edge":
        image = np.full((6, 5), 0.05)
        image[2, :] = 0.9  # a bright edge one pixel wide
    else:
        image = rng.random((6, 5))
    C, n_steps, dt = 0.12, 10, 1.0
    (events,) = saccades(image[None], n_steps, dt, amplitude=1.0, contrast_threshold=C,
                         n_saccades=2, eps=EPS)
    sensor = saccade_sensor_size(image.shape, 1.0, 2)
    assert sensor == (7, 8, 2)
    padded = _padded(image, 1)
    start = np.log(padded + EPS)
    shifted = np.vstack([np.zeros((1, padded.shape[1])), padded[:-1]])  # moved down one pixel
    end = np.log(shifted + EPS)
    expected = np.floor(np.abs(end - start) / C).astype(np.int64)
    half = n_steps // 2 * 1000  # the first move ends with step n_steps / 2 - 1
    first, second = events[events["t"] < half], events[events["t"] >= half]
    np.testing.assert_array_equal(_per_pixel(first, sensor), expected)
    np.testing.assert_array_equal(_per_pixel(second, sensor), expected)
    # polarity follows the sign of the change, and reverses on the way back
    np.testing.assert_array_equal(_per_pixel(first, sensor, 1), np.where(end > start, expected, 0))
    np.testing.assert_array_equal(_per_pixel(second, sensor, 1), np.where(end < start, expected, 0))
    if image_kind == "edge":
        hi_lo = int(np.floor(abs(np.log(0.9 + EPS) - np.log(0.05 + EPS)) / C))
        assert expected[3].tolist() == [0] + [hi_lo] * 5 + [0]  # the edge's row (sensor row 3)
        assert expected[4].tolist() == [0] + [hi_lo] * 5 + [0]  # the row it moves onto


@pytest.mark.parametrize("n_saccades, seed", [(3, None), (3, 5), (4, 6), (2, 7)])
def test_closed_path_gives_equal_on_and_off_counts_per_pixel(n_saccades, seed):
    images = load_dataset("digits", max_samples=4).x
    sensor = saccade_sensor_size(images.shape, 1.7, n_saccades)
    streams = saccades(images, 31, 0.5, 1.7, 0.1, n_saccades=n_saccades, seed=seed)
    for ev in streams:
        assert len(ev) > 0
        np.testing.assert_array_equal(_per_pixel(ev, sensor, 1), _per_pixel(ev, sensor, 0))


def test_uniform_image_emits_nothing():
    images = np.stack([np.zeros((5, 5)), np.full((5, 5), 0.4)])[:, None]
    # the zero image sits on a zero background: truly uniform; the grey one has edges
    streams = saccades(images, 12, 1.0, 1.3, 0.05, seed=3)
    assert len(streams[0]) == 0 and streams[0].dtype == EVENT_DTYPE
    assert len(streams[1]) > 0
    ones = saccades(np.ones((1, 4, 4)), 9, 1.0, 2.0, 0.05)  # edges against the black padding
    assert len(ones[0]) > 0


def test_smaller_threshold_gives_more_events():
    images = load_dataset("digits", max_samples=3).x
    counts = [sum(len(e) for e in saccades(images, 30, 1.0, 1.5, c, seed=2))
              for c in (0.4, 0.2, 0.1, 0.05)]
    assert counts == sorted(counts) and len(set(counts)) == 4


def test_events_are_ordered_typed_and_inside_the_sensor():
    images = load_dataset("digits", max_samples=5).x
    n_steps, dt = 30, 1.0
    sensor = saccade_sensor_size(images.shape, 1.5)
    streams = saccades(images, n_steps, dt, 1.5, 0.15, seed=2)
    assert len(streams) == 5
    for ev in streams:
        assert ev.dtype == EVENT_DTYPE
        assert np.all(np.diff(ev["t"]) >= 0)
        assert ev["t"].min() >= 0 and ev["t"].max() < n_steps * dt * 1000
        assert np.all(ev["t"] % 1000 == 0)
        assert ev["x"].max() < sensor[0] and ev["y"].max() < sensor[1]
        assert set(np.unique(ev["p"])) <= {0, 1}
    frames = events_to_frames(streams, sensor, n_steps, dt)
    assert frames.shape == (5, n_steps, 2, sensor[1], sensor[0]) and frames.dtype == np.uint8
    assert frames.max() == 1
    for i, ev in enumerate(streams):
        k = ev["t"] // 1000
        assert np.all(frames[i, k, ev["p"], ev["y"], ev["x"]] == 1)
        unique = {(a, b, c, d) for a, b, c, d in zip(k, ev["p"], ev["y"], ev["x"])}
        assert frames[i].sum() == len(unique)
    single = events_to_frames(streams[0], sensor, n_steps, dt)
    np.testing.assert_array_equal(single, frames[0])


def test_seed_determinism_and_jitter():
    images = load_dataset("digits", max_samples=3).x
    a = saccades(images, 24, 1.0, 2.0, 0.15, seed=9)
    b = saccades(images, 24, 1.0, 2.0, 0.15, seed=9)
    c = saccades(images, 24, 1.0, 2.0, 0.15, seed=10)
    d = saccades(images, 24, 1.0, 2.0, 0.15)
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a, b))
    assert any(x.tobytes() != y.tobytes() for x, y in zip(a, c))
    assert any(x.tobytes() != y.tobytes() for x, y in zip(a, d))
    assert [e.tobytes() for e in d] == [e.tobytes() for e in saccades(images, 24, 1.0, 2.0, 0.15)]


def test_refractory_period_spaces_events():
    images = load_dataset("digits", max_samples=2).x
    dt, refractory = 0.5, 2.0
    free = saccades(images, 40, dt, 2.0, 0.05, seed=1)
    streams = saccades(images, 40, dt, 2.0, 0.05, seed=1, refractory=refractory)
    for ev, ev_free in zip(streams, free):
        assert 0 < len(ev) < len(ev_free)
        for y, x in set(zip(ev["y"].tolist(), ev["x"].tolist())):
            t = ev["t"][(ev["y"] == y) & (ev["x"] == x)]
            assert np.all(np.diff(t) >= refractory * 1000)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(dt=0.0005), ValueError, "dt = 0.0005 ms is not allowed: event timestamps are whole"),
        (dict(dt=0.0), ValueError, "dt = 0 ms is not allowed: must be > 0 ms"),
        (dict(n_steps=2), ValueError, "n_steps = 2 is not allowed: must be >= 3"),
        (dict(n_saccades=1), ValueError, "n_saccades = 1 is not allowed: must be >= 2"),
        (dict(amplitude=0.0), ValueError, "amplitude = 0 px is not allowed: must be > 0 px"),
        (dict(contrast_threshold=-0.1), ValueError, "contrast_threshold = -0.1 is not allowed"),
        (dict(refractory=-1.0), ValueError, "refractory = -1 ms is not allowed"),
        (dict(seed=-3), ValueError, "seed = -3 is not allowed"),
        (dict(images=np.full((1, 4, 4), 1.5)), ValueError, r"images must lie in \[0, 1\]"),
        (dict(images=np.zeros((1, 3, 4, 4))), ValueError, r"shape \(n, H, W\) or \(n, 1, H, W\)"),
        (dict(images=np.zeros((4, 4))), ValueError, "at least 3 axes"),
        (dict(eps=0.0), ValueError, "eps = 0 is not allowed"),
    ],
)
def test_parameter_errors(kwargs, error, match):
    args = dict(images=np.zeros((1, 4, 4)), n_steps=6, dt=1.0, amplitude=1.0,
                contrast_threshold=0.1)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        saccades(**args)


def test_events_to_frames_checks_inputs():
    ev = np.zeros(1, dtype=EVENT_DTYPE)
    ev["x"] = 5
    with pytest.raises(ValueError, match="outside sensor_size"):
        events_to_frames([ev], (4, 4, 2), 3, 1.0)
    with pytest.raises(ValueError, match="must be a structured array with fields x, t, p"):
        events_to_frames([np.zeros(3)], (4, 4, 2), 3, 1.0)
    with pytest.raises(ValueError, match="n_steps = 0"):
        events_to_frames([ev], (8, 8, 2), 0, 1.0)
    late = np.zeros(2, dtype=EVENT_DTYPE)
    late["t"] = [2999, 3000]  # the second one is past 3 steps of 1 ms: dropped
    frames = events_to_frames([late], (1, 1, 2), 3, 1.0)
    assert frames[0, :, 0, 0, 0].tolist() == [0, 0, 1]
