"""Layer-by-layer agreement between two simulations of the same network and inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .record import SimRecord


def compare_records(a: SimRecord, b: SimRecord) -> pd.DataFrame:
    """One row per layer: spike totals of both runs and how exactly they agree.

    Columns: ``layer``, ``neurons`` (per sample), ``spikes_<a>``, ``spikes_<b>`` (over the
    batch), ``identical_counts`` (fraction of neuron-sample pairs with the same spike count),
    ``first_spike_max_diff`` (largest first-spike difference in steps where both spiked),
    ``first_spike_same_set`` (both runs agree on which neurons spiked at all),
    ``identical_trains`` (fraction of neuron-sample pairs whose spike trains agree at every
    step; NaN unless both runs recorded their spike trains: ``record_spikes=True``).
    """
    if len(a.layers) != len(b.layers) or a.n_steps != b.n_steps or a.dt != b.dt:
        raise ValueError("records come from different networks or time grids")
    rows = []
    for i, (la, lb) in enumerate(zip(a.layers, b.layers)):
        if la.spike_count.shape != lb.spike_count.shape:
            raise ValueError(f"layer {i}: shapes differ, {la.spike_count.shape} vs {lb.spike_count.shape}")
        fired_a, fired_b = la.first_spike_step >= 0, lb.first_spike_step >= 0
        both = fired_a & fired_b
        diff = np.abs(la.first_spike_step - lb.first_spike_step)[both]
        trains = np.nan
        if la.spikes is not None and lb.spikes is not None:
            trains = float(np.mean(np.all(la.spikes == lb.spikes, axis=1)))  # over steps
        rows.append(
            {
                "layer": i + 1,
                "neurons": la.spike_count.shape[1],
                f"spikes_{a.backend}": int(la.spike_count.sum()),
                f"spikes_{b.backend}": int(lb.spike_count.sum()),
                "identical_counts": float(np.mean(la.spike_count == lb.spike_count)),
                "first_spike_max_diff": int(diff.max()) if diff.size else 0,
                "first_spike_same_set": bool(np.array_equal(fired_a, fired_b)),
                "identical_trains": trains,
            }
        )
    return pd.DataFrame(rows)
