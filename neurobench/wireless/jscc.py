"""NeuroJSCC: encoder SNN on the device -> impulse radio -> decoder SNN at the receiver.

Our reconstruction of the chain of Skatchkovsky, Jang and Simeone (arXiv:2009.01527) with
surrogate-gradient LIF networks in place of the paper's probabilistic GLM SNNs (trained there by
a local variational rule); both halves train jointly, end to end, by BPTT with the channel in
the loop:

* encoder (device): ``n_in -> encoder_hidden -> n_channels`` dense projections (with bias) into
  snnTorch ``Leaky`` neurons (``neurobench.models.lif.LIFParams``: ``v[t] = beta v[t-1] + W s[t]
  + b - theta s[t-1]``, ``s[t] = H(v[t] - theta)``, surrogate gradient); the ``n_channels``
  output neurons' spikes are the channel symbols;
* link: ``neurobench.wireless.ir_link``, one pulse per spike, a fresh multipath channel and noise
  per sample and forward pass, hard detection, straight-through gradient; in training at
  ``train_snr_db``;
* decoder (receiver): ``neurobench.models.lif.LIFNet`` (``n_channels -> decoder_hidden ->
  classes``, linear readout summed over time) on the detected spikes.

``forward(x)`` returns logits, so ``neurobench.training.bptt.train_bptt`` trains the chain;
``decode_over_time`` gives the decoder's running logits after every step (time to decision) and
the pulses sent so far (energy).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from pydantic import Field
from torch import nn

from ..models.lif import LIFNet, LIFParams, SpikeSurrogate
from ..models.src import init_uniform
from ..schema import Params
from .channel import ChannelParams
from .ir_link import ir_link, pulses

__all__ = ["NeuroJSCC", "NeuroJSCCParams", "decode_over_time"]


class NeuroJSCCParams(Params):
    """Sizes and neurons of the chain (spec §3.3: 32 channel symbols; the early code has 32 hidden, we use 64 per side)."""

    encoder_hidden: int = Field(64, ge=1, le=4096, description="hidden LIF neurons of the encoder (device)")
    n_channels: int = Field(32, ge=1, le=4096, description="encoder output neurons = channel uses per step")
    decoder_hidden: int = Field(64, ge=1, le=4096, description="hidden LIF neurons of the decoder (receiver)")
    neurons: LIFParams = Field(default_factory=LIFParams, description="LIF neurons of both SNNs")


class NeuroJSCC(nn.Module):
    """Encoder SNN, impulse-radio link at ``snr_db`` (None: noiseless), decoder SNN (module
    docstring). Weights from ``init``; channel draws from a generator seeded with ``link_seed``."""

    def __init__(self, n_in: int, n_classes: int, p: NeuroJSCCParams, channel: ChannelParams,
                 snr_db: float | None, init: torch.Generator, link_seed: int) -> None:
        import snntorch as snn

        super().__init__()
        self.channel, self.snr_db = channel, snr_db
        self.link = torch.Generator().manual_seed(int(link_seed))
        sizes = (int(n_in), p.encoder_hidden, p.n_channels)
        self.enc_weights = nn.ParameterList(
            [nn.Parameter(init_uniform((b, a), 1.0 / math.sqrt(a), init)) for a, b in zip(sizes[:-1], sizes[1:])])
        self.enc_biases = nn.ParameterList([nn.Parameter(torch.zeros(n)) for n in sizes[1:]])
        lif = p.neurons
        self.enc_lifs = nn.ModuleList([snn.Leaky(beta=lif.beta, threshold=lif.threshold,
                                                 spike_grad=SpikeSurrogate(lif.surrogate),
                                                 reset_mechanism="subtract") for _ in sizes[1:]])
        self.decoder = LIFNet(p.n_channels, (p.decoder_hidden,), n_classes, lif, readout="sum", generator=init)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's output spikes (batch, T, n_channels) of input frames ``x`` (batch, T, n_in)."""
        x = x.to(self.enc_biases[0].dtype)
        mems = [torch.zeros(x.shape[0], len(b), dtype=x.dtype) for b in self.enc_biases]
        out = []
        for t in range(x.shape[1]):
            s = x[:, t]
            for k, (w, b, lif) in enumerate(zip(self.enc_weights, self.enc_biases, self.enc_lifs)):
                s, mems[k] = lif(s @ w.T + b, mems[k])
                s = s.to(x.dtype)
            out.append(s)
        return torch.stack(out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (batch, classes): encode, send over the link at ``self.snr_db``, decode."""
        return self.decoder(ir_link(self.encode(x), self.channel, self.snr_db, self.link))

    def clamp_(self) -> None:
        """Nothing to project (the interface ``neurobench.training.bptt`` calls after a step)."""


@torch.no_grad()
def decode_over_time(model: NeuroJSCC, x: np.ndarray, snr_db: float | None, seed: int,
                     batch_size: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the chain on frames ``x`` (n, T, n_in) at ``snr_db`` (None: noiseless) with the link
    seeded by ``seed``. Returns the decoder's running logits after every step (n, T, classes;
    the last step equals ``forward``'s logits), the pulses sent up to every step (n, T) and the
    spike (detection) errors per sample (n,), as numpy arrays."""
    model.eval()
    gen = torch.Generator().manual_seed(int(seed))
    logits, sent, errors = [], [], []
    dec = model.decoder
    for a in range(0, len(x), batch_size):
        xb = torch.from_numpy(np.asarray(x[a : a + batch_size], dtype=np.float32))
        s = model.encode(xb)
        s_hat = ir_link(s, model.channel, snr_db, gen)
        _, hidden = dec(s_hat, record=True)
        currents = hidden[-1] @ dec.weights[-1].T
        logits.append((currents.cumsum(1) + dec.out_bias).double().numpy())
        sent.append(pulses(s).numpy())
        errors.append((s_hat != s).sum((1, 2)).numpy())
    return np.concatenate(logits), np.concatenate(sent), np.concatenate(errors)
