"""Memory cost of synaptic delays on neuromorphic hardware (Patiño-Saucedo et al. 2024, spec §2.5).

An inferred cost model of the three structures the paper names, in bits, for one projection of
``n_pre`` presynaptic and ``n_post`` postsynaptic neurons keeping ``k`` taps per synapse (or per
axon) with delays below ``d_max`` steps:

* **weight + delay fields** (the synapse table): weights ``n_pre n_post k b_w``; delay fields
  ``n_pre n_post k ceil(log2 d_max)`` per synapse or ``n_pre k ceil(log2 d_max)`` per axon;
* **ring buffer** (Loihi): each postsynaptic neuron accumulates its future input in
  ``d_max + 1`` slots of ``b_acc`` bits (a spike delayed by ``d`` adds ``w`` into slot
  ``(t + d) mod (d_max + 1)``): ``n_post (d_max + 1) b_acc``, whatever the activity;
* **shared circular delay queue** (SCDQ, Seneca): the queue holds every spike still in flight,
  one entry ``(source, delay)`` of ``ceil(log2 n_pre) + ceil(log2 d_max)`` bits each; sized for
  bursts, ``ceil(alpha_hat n_pre d_max)`` entries where ``alpha_hat`` is a high percentile of the
  per-step firing probability of the presynaptic population: grows with activity.

``ceil(log2 x)`` is taken as at least 1 bit (``field_bits``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["activity_percentile", "field_bits", "memory_over_activity", "memory_over_k", "ring_buffer_bits",
           "scdq_bits", "weight_delay_bits"]


def _count(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} = {value!r} is not allowed: must be an integer >= {minimum}")
    return int(value)


def field_bits(n: int) -> int:
    """Bits of a field that indexes ``n`` values: ``max(1, ceil(log2 n))``."""
    n = _count("n", n)
    return max(1, math.ceil(math.log2(n)))


def weight_delay_bits(n_pre: int, n_post: int, k: int, d_max: int, b_w: int = 8,
                      axonal: bool = False) -> dict[str, int]:
    """``weights``, ``delays`` and ``total`` bits of the synapse table (module docstring)."""
    n_pre, n_post, k, b_w = (_count(n, v) for n, v in (("n_pre", n_pre), ("n_post", n_post), ("k", k), ("b_w", b_w)))
    weights = n_pre * n_post * k * b_w
    delays = (n_pre if axonal else n_pre * n_post) * k * field_bits(d_max)
    return {"weights": weights, "delays": delays, "total": weights + delays}


def ring_buffer_bits(n_post: int, d_max: int, b_acc: int = 16) -> int:
    """Loihi-style ring buffer: ``n_post (d_max + 1) b_acc`` bits, independent of activity."""
    return _count("n_post", n_post) * (_count("d_max", d_max, 0) + 1) * _count("b_acc", b_acc)


def scdq_bits(alpha_hat: float, n_pre: int, d_max: int) -> int:
    """SCDQ: ``ceil(alpha_hat n_pre d_max)`` entries of ``field_bits(n_pre) + field_bits(d_max)``
    bits; ``alpha_hat`` in [0, 1] is the per-step firing probability it is sized for."""
    if not 0.0 <= float(alpha_hat) <= 1.0:
        raise ValueError(f"alpha_hat = {alpha_hat!r} is not allowed: must be a probability in [0, 1]")
    n_pre, d_max = _count("n_pre", n_pre), _count("d_max", d_max)
    entries = math.ceil(float(alpha_hat) * n_pre * d_max - 1e-9)
    return entries * (field_bits(n_pre) + field_bits(d_max))


def activity_percentile(spikes, q: float = 99.0) -> float:
    """``alpha_hat``: the ``q``-th percentile over samples and steps of the fraction of neurons
    spiking in a step, from ``spikes`` (batch, T, n) of 0/1."""
    s = np.asarray(spikes)
    if s.ndim != 3 or s.shape[2] < 1:
        raise ValueError(f"spikes must be (batch, T, n) with n >= 1, got shape {s.shape}")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q = {q!r} is not allowed: must be a percentile in [0, 100]")
    return float(np.percentile(s.mean(axis=2), q))


def memory_over_k(n_pre: int, n_post: int, d_max: int, ks, alpha_hat: float, b_w: int = 8,
                  b_acc: int = 16) -> pd.DataFrame:
    """One row per ``k`` of ``ks``: synapse table bits (per synapse and per axon), ring buffer,
    SCDQ (at ``alpha_hat``) and the totals ``ring buffer + synaptic table`` and ``SCDQ + axonal
    table`` (kbit = 1000 bits)."""
    rows = []
    rb, q = ring_buffer_bits(n_post, d_max, b_acc), scdq_bits(alpha_hat, n_pre, d_max)
    for k in ks:
        syn = weight_delay_bits(n_pre, n_post, int(k), d_max, b_w)
        axo = weight_delay_bits(n_pre, n_post, int(k), d_max, b_w, axonal=True)
        rows.append({"k": int(k), "table per synapse (kbit)": syn["total"] / 1e3,
                     "table per axon (kbit)": axo["total"] / 1e3, "ring buffer (kbit)": rb / 1e3,
                     "SCDQ (kbit)": q / 1e3, "Loihi-like total (kbit)": (rb + syn["total"]) / 1e3,
                     "Seneca-like total (kbit)": (q + axo["total"]) / 1e3})
    return pd.DataFrame(rows)


def memory_over_activity(n_pre: int, n_post: int, d_max: int, alphas, b_acc: int = 16) -> pd.DataFrame:
    """Ring buffer and SCDQ bits for every firing probability of ``alphas``."""
    return pd.DataFrame([{"alpha_hat": float(a), "ring buffer (bit)": ring_buffer_bits(n_post, d_max, b_acc),
                          "SCDQ (bit)": scdq_bits(float(a), n_pre, d_max)} for a in alphas])
