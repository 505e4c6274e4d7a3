"""What a simulation returns, the same structure for every backend."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LayerRecord:
    """Recordings of one layer's population over a batch.

    Attributes
    ----------
    spike_count : (batch, n) int64
        Spikes per neuron over the whole run.
    first_spike_step : (batch, n) int64
        Time step of each neuron's first spike, -1 if it never spiked (time = step * dt ms).
    synops : (batch,) int64
        Synaptic operations into this layer: every presynaptic spike counts once per synapse
        it reaches (NeuroBench's effective accumulate count for SNNs).
    spikes : (batch, n_steps, n) bool or None
        Full spike trains when recorded.
    v : (batch, n_steps, n) float64 or None
        Membrane potential in mV after each step (after reset) when recorded.
    """

    spike_count: np.ndarray
    first_spike_step: np.ndarray
    synops: np.ndarray
    spikes: np.ndarray | None = None
    v: np.ndarray | None = None

    @property
    def n_spikes(self) -> np.ndarray:
        """Total spikes of the layer for each sample, shape (batch,)."""
        return self.spike_count.sum(axis=1)


@dataclass
class SimRecord:
    """Recordings of a whole network run: one ``LayerRecord`` per layer (input excluded)."""

    layers: list[LayerRecord]
    input_spike_count: np.ndarray  # (batch, n_in)
    dt: float  # ms
    n_steps: int
    backend: str

    @property
    def output(self) -> LayerRecord:
        return self.layers[-1]

    def first_spike_time(self, layer: int = -1) -> np.ndarray:
        """First-spike times in ms of a layer, NaN where a neuron never spiked."""
        steps = self.layers[layer].first_spike_step
        return np.where(steps >= 0, steps * self.dt, np.nan)

    def spikes_per_layer(self) -> np.ndarray:
        """Total spikes of each layer for each sample, shape (batch, n_layers)."""
        return np.stack([layer.n_spikes for layer in self.layers], axis=1)

    def synops_per_layer(self) -> np.ndarray:
        """Synaptic operations into each layer for each sample, shape (batch, n_layers)."""
        return np.stack([layer.synops for layer in self.layers], axis=1)
