"""The gated-synapse device of a spiking candidate: programming and retention from the device model
(Jones & Jha 2020, reconstructed in ``neurobench.devices``).

Programming: every programmed synapse of the placement (non-zero weight of the unrolled graph)
becomes a signed level ``k = round(K w / max|w|)``, ``K = 2^bits_per_cell - 1``, written onto a
differential pair by ``neurobench.devices.programming.program_levels`` (program-and-verify or
open loop, device-to-device and cycle-to-cycle variation, seeded by the replicate's
``mapping_seed``); the partner device stays reset. Pulses and reads are the model's, per cell;
a crossbar writes one cell at a time, all crossbars in parallel, so the time is the largest
per-tile sum of the cells' write times. Energy ``pulses * pulse_pj + reads * read_pj``
(energies [inferred]: the device model has none).

Lifetime: the channel is read apart from the gate, so inference reads do not disturb the state
and no write happens between programmings; what ends a programming is retention. Below
threshold the state decays as ``w(t) = w_inf + (w0 - w_inf) exp(-t / tau_decay)``; the top level
``K`` (``w0 = 1``) is the first to lose half a level, at ``G(w(t)) - g_min = (K - 1/2) / K`` of the
range, i.e. ``w_t = (1 - 1/(2K))^(1 / gamma_read)`` and
``t_ret = tau_decay ln((1 - w_inf) / (w_t - w_inf))`` (inf when ``w_t <= w_inf`` or
``tau_decay = inf``). Lifetime in inferences: ``t_ret / latency``.
"""

from __future__ import annotations

import math

import numpy as np

from ...devices.programming import program_levels
from ...hardware.programming import ProgrammingCost
from .chips import GatedSynapseDevice

__all__ = ["gated_levels", "gated_programming", "retention_ns"]


def gated_levels(weights: np.ndarray, bits_per_cell: int) -> tuple[np.ndarray, int]:
    """Signed integer levels of ``weights`` and ``K`` (module docstring)."""
    k_max = 2 ** bits_per_cell - 1
    top = float(np.abs(weights).max()) if weights.size else 1.0
    return np.round(np.asarray(weights, dtype=np.float64) * k_max / max(top, 1e-300)).astype(np.int64), k_max


def gated_programming(weights: np.ndarray, tiles: np.ndarray, n_tiles: int, device: GatedSynapseDevice,
                      seed: int) -> ProgrammingCost:
    """Writing the programmed synapses ``weights`` (one per cell pair) held on ``tiles``
    (module docstring): pairs as cells x 2, pulses, time (ns), energy (pJ)."""
    levels, k_max = gated_levels(weights, device.bits_per_cell)
    _, res = program_levels(device.synapse, device.write, levels, k_max, device.verify, np.random.default_rng(seed))
    per_tile = np.bincount(np.asarray(tiles, dtype=np.int64), weights=res.time_ns, minlength=n_tiles)
    pulses, reads = float(res.pulses.sum()), float(res.reads.sum())
    return ProgrammingCost(cells=2 * int(levels.size), pulses=pulses,
                           time_ns=float(per_tile.max()) if per_tile.size else 0.0,
                           energy_pj=pulses * device.pulse_pj + reads * device.read_pj)


def retention_ns(device: GatedSynapseDevice) -> float:
    """Time in ns until the top level decays by half a level (module docstring)."""
    s = device.synapse
    k_max = 2 ** device.bits_per_cell - 1
    w_t = (1.0 - 0.5 / k_max) ** (1.0 / s.gamma_read)
    if math.isinf(s.tau_decay) or w_t <= s.w_inf:
        return math.inf
    return s.tau_decay * math.log((1.0 - s.w_inf) / (w_t - s.w_inf))
