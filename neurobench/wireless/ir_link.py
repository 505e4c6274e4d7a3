"""Impulse radio: one pulse per spike over the multipath channel, hard detection.

The encoder's output spikes ``s[b, t, c]`` (time step ``t``, output neuron ``c``) are sent in
time-major order, one channel use per neuron and step: channel use ``k = t * C + c`` carries a
pulse of energy 1 when ``s[b, t, c] = 1`` and nothing otherwise (on-off keying), so ``C``
channel uses per step and energy = pulses = spikes. The receiver thresholds the rake output at
``1/2`` (``neurobench.wireless.channel``) and hands the detected spikes ``s_hat`` back in the
same layout.

Training through the detector: the forward pass returns the hard decisions; the backward pass
is the straight-through estimator ``d s_hat / d s = 1`` (``s_hat = s + (hard - s).detach()``),
so the gradient of the decoder reaches the encoder as if the channel were transparent while the
decoder trains on the detected, erroneous spikes.
"""

from __future__ import annotations

import torch

from .channel import ChannelParams, draw_taps, transmit

__all__ = ["ir_link", "pulses"]


def ir_link(spikes: torch.Tensor, channel: ChannelParams, snr_db: float | None,
            generator: torch.Generator) -> torch.Tensor:
    """Detected spikes (batch, T, C) of ``spikes`` (batch, T, C) in {0, 1} sent by impulse radio
    at ``snr_db`` dB (module docstring), a fresh channel per sample from ``generator``; with
    straight-through gradient. ``snr_db=None`` is the noiseless, transparent link."""
    if snr_db is None:
        return spikes
    b, t, c = spikes.shape
    x = spikes.reshape(b, t * c)
    taps = draw_taps(channel, b, generator, x.dtype)
    hard = (transmit(x.detach(), taps, snr_db, generator) > 0.5).to(x.dtype)
    return (x + (hard - x).detach()).reshape(b, t, c)


def pulses(spikes: torch.Tensor) -> torch.Tensor:
    """Pulses sent per sample up to and including every step, (batch, T): the running count of
    output spikes (the link's energy in units of one pulse)."""
    return spikes.detach().sum(2).cumsum(1)
