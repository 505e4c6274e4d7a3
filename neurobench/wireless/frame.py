"""The frame-based digital baseline: n-bit quantised features sent by BPSK over the same channel.

A frame sensor captures the whole image, then sends its ``F`` features ``f in [0, 1]`` as
``n``-bit integers ``q = min(floor(f 2^n), 2^n - 1)``, most significant bit first, one BPSK
symbol (``+-1``, energy 1) per bit: ``F n`` channel uses and energy ``F n`` (every symbol costs
one pulse's energy, zeros too). The receiver detects each bit as ``sign(z)`` of the rake output
(``neurobench.wireless.channel``), reassembles ``q_hat`` and dequantises to the bin centre
``(q_hat + 1/2) / 2^n``. The decision needs the whole frame: it is taken after all ``F n``
channel uses.
"""

from __future__ import annotations

import numpy as np
import torch

from .channel import ChannelParams, draw_taps, transmit

__all__ = ["dequantize", "frame_channel_uses", "frame_link", "from_bits", "quantize", "to_bits"]


def quantize(features: np.ndarray, bits: int) -> np.ndarray:
    """``min(floor(f 2^bits), 2^bits - 1)`` of features in [0, 1], int64."""
    levels = 2**bits
    return np.minimum(np.floor(np.clip(features, 0.0, 1.0) * levels), levels - 1).astype(np.int64)


def dequantize(q: np.ndarray, bits: int) -> np.ndarray:
    """Bin centres ``(q + 1/2) / 2^bits`` of integers ``q``."""
    return (np.asarray(q, dtype=np.float64) + 0.5) / 2**bits


def to_bits(q: np.ndarray, bits: int) -> np.ndarray:
    """Integers ``q`` (n, F) as bits (n, F * bits), most significant bit first, uint8."""
    shifts = np.arange(bits - 1, -1, -1)
    return ((q[..., None] >> shifts) & 1).reshape(len(q), -1).astype(np.uint8)


def from_bits(b: np.ndarray, bits: int) -> np.ndarray:
    """The inverse of ``to_bits``: (n, F * bits) bits to (n, F) integers."""
    weights = 2 ** np.arange(bits - 1, -1, -1)
    return (np.asarray(b, dtype=np.int64).reshape(len(b), -1, bits) * weights).sum(-1)


def frame_channel_uses(n_features: int, bits: int) -> int:
    """Channel uses (and energy, in pulses) of one frame: ``F n``."""
    return int(n_features) * int(bits)


def frame_link(features: np.ndarray, bits: int, channel: ChannelParams, snr_db: float | None,
               generator: torch.Generator) -> np.ndarray:
    """Received features (n, F) of ``features`` (n, F) in [0, 1] sent as ``bits``-bit BPSK frames
    at ``snr_db`` dB (module docstring), a fresh channel per sample; ``snr_db=None`` is the
    error-free link (the quantised features)."""
    q = quantize(np.asarray(features, dtype=np.float64), bits)
    if snr_db is None:
        return dequantize(q, bits)
    b = to_bits(q, bits)
    x = torch.from_numpy(2.0 * b.astype(np.float64) - 1.0)
    taps = draw_taps(channel, len(x), generator)
    b_hat = (transmit(x, taps, snr_db, generator) > 0).numpy().astype(np.uint8)
    return dequantize(from_bits(b_hat, bits), bits)
