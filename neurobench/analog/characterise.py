"""The noise characterisation protocol of spec A3, on any MAC (simulated now, measured later).

A MAC is any callable ``mac(x, w, repetition) -> y`` taking inputs (batch, n_in), weights
(n_out, n_in) in integer units and the repetition index, returning outputs (batch, n_out) in LSB.
The protocol:

1. weights ``w_level`` (21 = 63 / 3) on the whole tile; one random binary input pattern of
   magnitude ``x_level``, its density reduced geometrically (x ``density_step``) until the median
   output is at most ``target`` LSB;
2. the same input ``repeats`` times;
3. gain ``g = mean(y + 1/2) / (x·W)`` over neurons and repetitions (``+ 1/2`` undoes the floor's
   mean bias when the noise spans at least one LSB);
4. trial-to-trial noise: the standard deviation over repetitions, averaged over neurons, with
   Sheppard's correction for the 1-LSB quantisation: ``sqrt(max(s² - 1/12, 0))``;
5. fixed-pattern deviation: the standard deviation over neurons of the per-neuron mean output, as
   a fraction of the mean output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

__all__ = ["Characterisation", "characterise"]

MAC = Callable[[torch.Tensor, torch.Tensor, int], torch.Tensor]


@dataclass(frozen=True)
class Characterisation:
    """What the protocol estimates: ``gain`` (LSB per unit x·w, per send as the MAC applies it),
    ``sigma_trial`` (LSB), ``fixed_pattern`` (fraction of the mean output), and the operating
    point: ``density`` of active inputs and the ``mean_output`` (LSB)."""

    gain: float
    sigma_trial: float
    fixed_pattern: float
    density: float
    mean_output: float


def characterise(mac: MAC, n_in: int = 128, n_out: int = 256, *, w_level: float = 21.0, x_level: float = 15.0,
                 repeats: int = 100, target: float = 63.5, density_step: float = 0.85, seed: int = 0,
                 ) -> Characterisation:
    """Runs the protocol (module docstring) on ``mac`` with a tile of ``n_in`` rows and ``n_out``
    columns; ``seed`` draws the binary input pattern."""
    if repeats < 2 or n_in < 1 or n_out < 1 or not 0 < density_step < 1:
        raise ValueError(f"repeats = {repeats} (>= 2), n_in = {n_in}, n_out = {n_out} (>= 1), density_step = "
                         f"{density_step} (in (0, 1)) not allowed")
    w = torch.full((n_out, n_in), float(w_level))
    u = torch.as_tensor(np.random.default_rng(seed).random(n_in), dtype=torch.float32)
    density = 1.0
    while True:
        x = (u < density).float() * x_level
        if x.sum() == 0:
            raise ValueError("characterise: no density puts the median output below target")
        probe = mac(x[None], w, 0)
        if float(probe.median()) <= target:
            break
        density *= density_step
    y = torch.cat([mac(x[None], w, r) for r in range(repeats)]).double()  # (repeats, n_out)
    signal = float((x.double() @ w[0].double()))
    per_neuron = y.mean(dim=0) + 0.5
    var = float(y.var(dim=0, unbiased=True).mean())
    return Characterisation(gain=float(per_neuron.mean()) / signal,
                            sigma_trial=float(np.sqrt(max(var - 1.0 / 12.0, 0.0))),
                            fixed_pattern=float(per_neuron.std(unbiased=True) / per_neuron.mean()),
                            density=density, mean_output=float(per_neuron.mean()))
