"""The L-tap multipath channel with AWGN, rake combining and hard detection (real baseband).

Symbols ``x[k]`` (one per channel use, ``k = 0 .. N-1``) of energy ``E = 1`` per pulse or per
BPSK symbol cross a block-fading channel with ``L`` taps, one realisation ``h`` per sample::

    y[k] = sum_{l=0}^{L-1} h_l x[k - l] + n[k],        n[k] ~ N(0, N0 / 2)

* tap powers follow an exponential power-delay profile ``p_l = exp(-l / decay) / sum_m
  exp(-m / decay)`` (``sum_l p_l = 1``: the channel neither adds nor removes energy on average);
* ``fading = "gaussian"``: ``h_l = sqrt(p_l) g_l`` with ``g_l ~ N(0, 1)`` i.i.d. per sample
  (real-valued Rayleigh-like fading, ``E[h_l^2] = p_l``); ``"none"``: ``h_l = sqrt(p_l)``;
* the SNR is ``E / N0`` in dB (energy per pulse or per BPSK bit over the noise spectral density),
  so the noise variance per real sample is ``N0 / 2 = 1 / (2 * 10^(snr_db / 10))``;
* the receiver knows ``h`` and combines the paths (rake, maximal-ratio)::

      z[k] = sum_l h_l y[k + l] / sum_l h_l^2

  an estimate of ``x[k]`` disturbed by inter-symbol interference from the neighbours and noise;
* hard detection: impulse radio (on-off pulses) ``x_hat = 1{z > 1/2}``; BPSK (``x = +-1``)
  ``x_hat = sign(z)``. On a flat channel (``L = 1``, no fading) BPSK's bit error rate is
  ``Q(sqrt(2 E / N0))`` (``bpsk_ber``).

Every random draw comes from a ``torch.Generator`` passed in; arrays are torch tensors (float64
in the tests, float32 inside the SNN chain).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from pydantic import Field

from ..schema import Params

__all__ = ["ChannelParams", "awgn", "bpsk_ber", "draw_taps", "multipath", "noise_variance", "rake_combine",
           "tap_powers", "transmit"]

Fading = Literal["gaussian", "none"]


class ChannelParams(Params):
    """The multipath channel (units: taps = channel uses; SNR is set per call, in dB)."""

    n_taps: int = Field(3, ge=1, le=64, description="L, taps of the multipath channel (1 = flat)")
    decay: float = Field(1.0, gt=0, le=1000, description="decay of the exponential power-delay profile, in taps")
    fading: Fading = Field("gaussian", description="gaussian (h_l = sqrt(p_l) g_l, g_l ~ N(0, 1) per sample) | "
                                                   "none (h_l = sqrt(p_l))")


def tap_powers(p: ChannelParams) -> np.ndarray:
    """``p_l = exp(-l / decay) / sum_m exp(-m / decay)``, ``l = 0 .. L-1`` (sums to 1)."""
    w = np.exp(-np.arange(p.n_taps) / p.decay)
    return w / w.sum()


def draw_taps(p: ChannelParams, n: int, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """One channel realisation per sample, ``(n, L)``: ``sqrt(p_l) g_l`` (fading ``gaussian``) or
    ``sqrt(p_l)`` (``none``)."""
    scale = torch.from_numpy(np.sqrt(tap_powers(p))).to(dtype)
    if p.fading == "none":
        return scale.expand(n, -1).clone()
    return scale * torch.randn((n, p.n_taps), generator=generator, dtype=torch.float64).to(dtype)


def noise_variance(snr_db: float) -> float:
    """``N0 / 2 = 1 / (2 * 10^(snr_db / 10))``: the noise variance per real sample at ``E / N0 =
    snr_db`` dB with symbol energy ``E = 1``."""
    return 0.5 / 10.0 ** (snr_db / 10.0)


def multipath(x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``y[b, k] = sum_l taps[b, l] x[b, k - l]`` (zero before ``k = 0``; the tail beyond ``N`` is
    cut) for symbols ``x`` (batch, N) and taps (batch, L)."""
    y = taps[:, :1] * x
    for lag in range(1, taps.shape[1]):
        y = y + taps[:, lag : lag + 1] * torch.nn.functional.pad(x[:, :-lag], (lag, 0))
    return y


def awgn(y: torch.Tensor, snr_db: float, generator: torch.Generator) -> torch.Tensor:
    """``y`` plus i.i.d. Gaussian noise of variance ``noise_variance(snr_db)``."""
    noise = torch.randn(y.shape, generator=generator, dtype=torch.float64).to(y.dtype)
    return y + math.sqrt(noise_variance(snr_db)) * noise


def rake_combine(y: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
    """``z[b, k] = sum_l taps[b, l] y[b, k + l] / sum_l taps[b, l]^2`` (zero past the end)."""
    z = taps[:, :1] * y
    for lag in range(1, taps.shape[1]):
        z = z + taps[:, lag : lag + 1] * torch.nn.functional.pad(y[:, lag:], (0, lag))
    return z / (taps * taps).sum(1, keepdim=True).clamp_min(1e-12)


def transmit(x: torch.Tensor, taps: torch.Tensor, snr_db: float, generator: torch.Generator) -> torch.Tensor:
    """The receiver's soft statistic ``z`` (rake output) for symbols ``x`` (batch, N) sent over
    ``taps`` at ``snr_db`` (module docstring); detection thresholds it."""
    return rake_combine(awgn(multipath(x, taps), snr_db, generator), taps)


def bpsk_ber(snr_db) -> np.ndarray:
    """``Q(sqrt(2 E / N0)) = erfc(sqrt(E / N0)) / 2``: BPSK's bit error rate on the flat AWGN
    channel at ``snr_db`` dB."""
    from scipy.special import erfc

    return 0.5 * erfc(np.sqrt(10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)))
