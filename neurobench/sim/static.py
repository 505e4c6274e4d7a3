"""Static inputs: rate-code a batch of still inputs (images, feature vectors) and simulate a network.

A static input ``x`` in [0, 1] is presented for ``n_steps`` steps of ``dt`` ms as a rate code
(``neurobench.data.encoders``): a value ``x`` fires at ``x * max_rate`` Hz, i.e.
``x * max_rate * dt / 1000`` spikes per step (at most one, so ``max_rate <= 1000 / dt``).
``"regular"`` spreads those spikes evenly and is deterministic; ``"poisson"`` draws them
independently per step from ``seed``.
"""

from __future__ import annotations

import numpy as np

from ..data import encoders
from ..network import Network
from ..seeds import child_seed
from .clock import simulate
from .record import LayerRecord, SimRecord

__all__ = ["encode", "run"]


def encode(x, n_steps: int, dt: float, max_rate: float, encoder: str = "regular",
           seed: int = 0) -> np.ndarray:
    """Input spike trains of ``x`` (batch, *shape) in [0, 1]: (batch, n_steps, *shape), 0/1 per
    step of ``dt`` ms, a value of 1 firing at ``max_rate`` Hz (``encoder`` "regular" or "poisson",
    the latter seeded by ``seed``)."""
    if encoder == "regular":
        return encoders.regular(x, n_steps, dt, max_rate)
    if encoder == "poisson":
        return encoders.poisson(x, n_steps, dt, max_rate, seed)
    raise ValueError(f"encoder must be 'regular' or 'poisson', got {encoder!r}")


def run(network: Network, x, *, n_steps: int, dt: float, max_rate: float,
        encoder: str = "regular", seed: int = 0, batch_size: int = 256) -> SimRecord:
    """Rate-code ``x`` (see :func:`encode`) and simulate ``network`` for ``n_steps`` steps of
    ``dt`` ms with the clock-driven simulator, ``batch_size`` inputs at a time.

    Returns one ``SimRecord`` over the whole batch: spike counts, first-spike steps and synaptic
    events per neuron (no spike trains). Batch ``k`` (inputs ``start = k * batch_size`` on) draws
    its Poisson spikes from ``child_seed(seed, k)``, so the result is reproducible but depends on
    ``batch_size`` for the Poisson code (not for the regular one).
    """
    x = np.asarray(x, dtype=np.float64)
    parts = []
    for start in range(0, len(x), batch_size):
        # a distinct, reproducible Poisson stream per batch
        spikes = encode(x[start:start + batch_size], n_steps, dt, max_rate, encoder,
                        child_seed(seed, start // batch_size))
        parts.append(simulate(network, spikes, dt))
    if len(parts) == 1:
        return parts[0]
    layers = [
        LayerRecord(
            spike_count=np.concatenate([p.layers[i].spike_count for p in parts]),
            first_spike_step=np.concatenate([p.layers[i].first_spike_step for p in parts]),
            synops=np.concatenate([p.layers[i].synops for p in parts]),
        )
        for i in range(len(network.layers))
    ]
    inputs = np.concatenate([p.input_spike_count for p in parts])
    return SimRecord(layers, inputs, float(dt), int(n_steps), parts[0].backend)
