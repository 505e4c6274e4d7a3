"""Closed forms of the gated-synapse laws (spec B3) at the reference voltages, written apart from
the simulator so that tests and the ``devices`` report check it against them. Times in ns."""

from __future__ import annotations

import numpy as np

__all__ = ["decay_state", "set_state"]


def set_state(t, t_set: float, alpha_p: float, w0: float = 0.0) -> np.ndarray:
    """State at time ``t`` (ns) of potentiation at ``v_set`` from ``w0``:

    * ``alpha_p = 0``: ``w = w0 + t / t_set`` (full transition from 0 in exactly ``t_set``);
    * ``0 < alpha_p < 1``: ``(1 - w)^(1 - alpha_p) = (1 - w0)^(1 - alpha_p) - (1 - alpha_p) t / t_set``
      (full transition from 0 at ``t_set / (1 - alpha_p)``);
    * ``alpha_p = 1``: ``w = 1 - (1 - w0) exp(-t / t_set)`` (asymptotic);

    clipped to [0, 1]. Other exponents are not covered (ValueError).
    """
    t = np.asarray(t, dtype=np.float64)
    if alpha_p == 0:
        w = w0 + t / t_set
    elif 0 < alpha_p < 1:
        base = (1.0 - w0) ** (1.0 - alpha_p) - (1.0 - alpha_p) * t / t_set
        w = 1.0 - np.maximum(base, 0.0) ** (1.0 / (1.0 - alpha_p))
    elif alpha_p == 1:
        w = 1.0 - (1.0 - w0) * np.exp(-t / t_set)
    else:
        raise ValueError(f"alpha_p = {alpha_p} is not allowed: the closed form covers 0 <= alpha_p <= 1")
    return np.clip(w, 0.0, 1.0)


def decay_state(t, tau_decay: float, w0: float, w_inf: float = 0.0) -> np.ndarray:
    """Sub-threshold state at time ``t`` (ns): ``w_inf + (w0 - w_inf) exp(-t / tau_decay)``."""
    return w_inf + (w0 - w_inf) * np.exp(-np.asarray(t, dtype=np.float64) / tau_decay)
