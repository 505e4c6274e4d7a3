"""Weight precision of neuromorphic chips that implement synaptic delays (Patiño-Saucedo et al.
2024, spec §2.5): the quantisers applied to a trained delay network's weights.

* ``uniform`` [authors' code]: symmetric uniform quantisation of a layer to ``bits``: the grid
  has ``2^bits + 1`` levels ``-m + i * 2m / 2^bits`` (``m = max |w|`` of the layer, so 0 is a
  level), each weight rounded to the nearest level;
* ``loihi`` (Intel Loihi 1, as its ``brian2-loihi`` emulator computes it): the layer is scaled so
  that ``max |w|`` maps to 255 (the 8-bit weight mantissa); an integer-scale weight ``w`` becomes
  ``w_eff = floor(w / 2^(8 - bits + mixed)) 2^(8 - bits + mixed) 2^(6 + w_exp)``, clipped to
  ``+-(2^21 - 2^6)``, where ``mixed = 1`` when the layer has weights of both signs (the sign
  costs a bit); the result is scaled back, so it is a float multiple of ``2^(8 - bits + mixed)
  m / 255``. Loihi delays are integers in ``[0, LOIHI_MAX_DELAY]`` steps;
* ``bf16`` (SynSense-/imec Seneca-like bfloat16): round to nearest even in bfloat16 (8 exponent,
  7 mantissa bits), returned as float.

All functions take and return float64 numpy arrays and leave their input untouched.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..schema import Params

__all__ = ["LOIHI_MAX_DELAY", "QUANTIZERS", "QuantParams", "bf16_round", "check_loihi_delays", "loihi_effective",
           "loihi_quantize", "quantize", "uniform_quantize"]

LOIHI_MAX_DELAY = 62
"""Largest synaptic delay of Loihi 1 in steps (spec §2.5, from the ``brian2-loihi`` emulator)."""
QUANTIZERS = ("uniform", "loihi", "bf16")


class QuantParams(Params):
    """One quantisation leg (module docstring)."""

    kind: Literal["uniform", "loihi", "bf16"] = Field("uniform", description="uniform | loihi | bf16")
    bits: int = Field(8, ge=1, le=16, description="weight bits (uniform, loihi; loihi allows <= 8)")
    w_exp: int = Field(0, ge=-8, le=7, description="Loihi weight exponent (scales by 2^(6 + w_exp))")


def _bits(bits, maximum: int = 16) -> int:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= maximum:
        raise ValueError(f"bits = {bits!r} is not allowed: must be an integer in [1, {maximum}]")
    return int(bits)


def uniform_quantize(w, bits: int) -> np.ndarray:
    """``w`` rounded to the nearest of ``2^bits + 1`` symmetric levels over ``[-max|w|, max|w|]``."""
    bits = _bits(bits)
    w = np.asarray(w, dtype=np.float64)
    m = float(np.abs(w).max()) if w.size else 0.0
    if m == 0.0:
        return w.copy()
    step = 2.0 * m / 2**bits
    return np.clip(np.round(w / step), -(2 ** (bits - 1)), 2 ** (bits - 1)) * step


def loihi_effective(w_int, bits: int, mixed: bool, w_exp: int = 0) -> np.ndarray:
    """Loihi's effective weight of integer-scale weights ``w_int`` (module docstring formula)."""
    bits = _bits(bits, 8)
    step = 2.0 ** (8 - bits + int(bool(mixed)))
    eff = np.floor(np.asarray(w_int, dtype=np.float64) / step) * step * 2.0 ** (6 + w_exp)
    limit = 2.0**21 - 2.0**6
    return np.clip(eff, -limit, limit)


def loihi_quantize(w, bits: int = 8, w_exp: int = 0) -> np.ndarray:
    """``w`` through Loihi's weight formula at ``bits`` (module docstring), in ``w``'s units."""
    bits = _bits(bits, 8)
    w = np.asarray(w, dtype=np.float64)
    m = float(np.abs(w).max()) if w.size else 0.0
    if m == 0.0:
        return w.copy()
    mixed = bool((w > 0).any() and (w < 0).any())
    scale = 255.0 / m
    return loihi_effective(w * scale, bits, mixed, w_exp) / 2.0 ** (6 + w_exp) / scale


def bf16_round(w) -> np.ndarray:
    """``w`` rounded to bfloat16 (round to nearest, ties to even), as float64."""
    f = np.ascontiguousarray(np.asarray(w, dtype=np.float32))
    u = f.view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32).astype(np.float64)


def quantize(w, p: QuantParams | str, bits: int | None = None) -> np.ndarray:
    """``w`` quantised by the leg ``p`` (a ``QuantParams``, or a kind name with ``bits``)."""
    if isinstance(p, str):
        if p not in QUANTIZERS:
            raise ValueError(f"quantizer = {p!r} is not allowed: must be one of {QUANTIZERS}")
        p = QuantParams(kind=p, bits=_bits(8 if bits is None else bits))
    if p.kind == "uniform":
        return uniform_quantize(w, p.bits)
    if p.kind == "loihi":
        return loihi_quantize(w, p.bits, p.w_exp)
    return bf16_round(w)


def check_loihi_delays(delays, name: str = "delay") -> np.ndarray:
    """Integer delays in steps as int64 after checking ``0 <= d <= LOIHI_MAX_DELAY``."""
    d = np.asarray(delays)
    if d.size and (d.dtype.kind not in "iu" or d.min() < 0 or d.max() > LOIHI_MAX_DELAY):
        raise ValueError(f"{name} must be integers in [0, {LOIHI_MAX_DELAY}] steps for Loihi, got range "
                         f"[{d.min()}, {d.max()}] ({d.dtype})")
    return d.astype(np.int64)
