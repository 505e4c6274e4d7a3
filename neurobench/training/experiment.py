"""The layer-synchronization study (``notebooks/async.ipynb``): tasks, model grid, tables.

Everything the notebook computes lives here so that tests reach it:

* ``saccade_digit_frames`` / ``row_digit_frames``: the spatial task (digits through the saccade
  event encoding, binned into frames of ``window`` ms) and the temporal task (digits row by row);
* ``train_models``: the layer-synchronized snnTorch baseline and one unlayered-backprop model per
  training strategy, same architecture, seed and epochs;
* ``evaluate_grid``: every model under layer-synchronized execution and under every scheduling
  strategy and ``F`` (event-driven path), one row of per-sample means each, plus per-sample
  latencies for distributions;
* ``early_stopping``: accuracy against forward steps (budgets on the drained run, and the
  stopping modes ``first_output`` / ``after_output`` run for real);
* ``claims_table``: the paper's claims (up to 50 % fewer spikes, up to 2x earlier decisions, up to
  10 % higher accuracy for async-trained models) beside the best and the average measured effect.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..data.frames import frames_from_events
from ..data.saccade import saccade_sensor_size, saccades
from ..data.sequential import rows_over_time
from ..network import Network
from ..neurons import NeuronParams
from ..sim.asynchronous import (
    AsyncConfig,
    accuracy_vs_steps,
    decision_latency,
    decisions,
    simulate_async,
    spike_density,
)
from ..sim.layersync import simulate_layersync
from .common import TrainConfig, TrainResult
from .sync import train_sync
from .unlayered import train_async

__all__ = [
    "claims_table",
    "early_stopping",
    "evaluate_grid",
    "row_digit_frames",
    "saccade_digit_frames",
    "summarize",
    "train_models",
]

LAYER_SYNC = "layer-sync"
STOP_METRICS = ("accuracy", "forward_steps", "spikes_per_sample")


def saccade_digit_frames(images, n_steps: int, amplitude: float, threshold: float, seed: int,
                         window: float, dt: float = 1.0) -> np.ndarray:
    """Digits as N-MNIST-like events (``neurobench.data.saccade``, ``n_steps`` of ``dt`` ms),
    binned into frames of ``window`` ms: (n, n_frames, 2 * H' * W') uint8."""
    events = saccades(images, n_steps=n_steps, dt=dt, amplitude=amplitude, contrast_threshold=threshold, seed=seed)
    frames = frames_from_events(events, saccade_sensor_size(np.shape(images), amplitude), window, n_steps * dt)
    return frames.reshape(len(frames), frames.shape[1], -1)


def row_digit_frames(images, levels: int, repeats: int = 1) -> np.ndarray:
    """Digits row by row (``neurobench.data.sequential.rows_over_time``): (n, H * repeats, W * levels)."""
    return rows_over_time(images, levels=levels, repeats=repeats)


def train_models(x, y, neurons: NeuronParams, config: TrainConfig, frame_dt: float, train_forward_group: int,
                 strategies, prioritize_input: bool = True, n_classes: int = 10) -> dict[str, TrainResult]:
    """``{"sync": layer-synchronized snnTorch model, "async-<strategy>": unlayered backprop}``.

    The synchronous model trains without the asynchronous-only regulariser (refractory dropout);
    all models share architecture, seed, epochs and optimiser.
    """
    models = {"sync": train_sync(x, y, neurons, replace(config, refractory_dropout=0.0), frame_dt, n_classes)}
    for strategy in strategies:
        cfg = AsyncConfig(forward_group=train_forward_group, prioritize_input=prioritize_input, frame_dt=frame_dt)
        models[f"async-{strategy}"] = train_async(x, y, neurons, config, cfg, strategy, n_classes)
    return models


def summarize(record, labels) -> dict[str, float]:
    """Per-sample means of one run: accuracy, spikes, density, synops, steps, decision latencies."""
    labels = np.asarray(labels)
    lat = decision_latency(record, labels)
    decided = ~np.isnan(lat["steps_to_output"])
    correct = ~np.isnan(lat["steps_to_correct"])
    return {
        "accuracy": float(np.mean(decisions(record) == labels)),
        "spikes_per_sample": float(record.spikes_per_sample().mean()),
        "spike_density": float(spike_density(record).mean()),
        "synops_per_sample": float(record.synops.sum(axis=1).mean()),
        "forward_steps": float(record.forward_steps.sum(axis=1).mean()),
        "steps_to_output": float(np.nanmean(lat["steps_to_output"])) if decided.any() else np.nan,
        "spikes_to_output": float(np.nanmean(lat["spikes_to_output"])) if decided.any() else np.nan,
        "steps_to_correct": float(np.nanmean(lat["steps_to_correct"])) if correct.any() else np.nan,
        "spikes_to_correct": float(np.nanmean(lat["spikes_to_correct"])) if correct.any() else np.nan,
        "no_output_spike": float(np.mean(~decided)),
    }


def evaluate_grid(models: dict[str, Network], x, y, strategies, forward_groups, frame_dt: float,
                  prioritize_input: bool = True, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every model layer-synchronized and under every strategy x F (drained runs).

    Returns (summary rows: model, execution, F, metrics of ``summarize``; per-sample latencies:
    model, execution, F, sample, spikes_to_output, spikes_to_correct, steps_to_correct).
    """
    rows, per_sample = [], []
    y = np.asarray(y)

    def add(name, execution, F, rec):
        rows.append({"model": name, "execution": execution, "F": F, **summarize(rec, y)})
        lat = decision_latency(rec, y)
        per_sample.append(pd.DataFrame({"model": name, "execution": execution, "F": F, "sample": np.arange(len(y)),
                                        **{k: lat[k] for k in ("spikes_to_output", "spikes_to_correct", "steps_to_correct")}}))

    for name, net in models.items():
        add(name, LAYER_SYNC, 0, simulate_layersync(net, x, frame_dt))
        for strategy in strategies:
            for F in forward_groups:
                cfg = AsyncConfig(forward_group=int(F), prioritize_input=prioritize_input, frame_dt=frame_dt)
                add(name, strategy, int(F), simulate_async(net, x, cfg, strategy, seed=seed))
    return pd.DataFrame(rows), pd.concat(per_sample, ignore_index=True)


def early_stopping(models: dict[str, Network], x, y, strategy: str, forward_group: int, frame_dt: float,
                   budgets, ks=(0, 5, 20), prioritize_input: bool = True, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy against forward steps.

    Returns (curve: model, budget, accuracy, decoding only output spikes up to each global step
    budget of the drained run; stops: model, stop, k, accuracy, forward_steps, spikes_per_sample
    for the drained run and the stopping modes run for real).
    """
    y = np.asarray(y)
    curve, stops = [], []
    for name, net in models.items():
        base = AsyncConfig(forward_group=forward_group, prioritize_input=prioritize_input, frame_dt=frame_dt)
        rec = simulate_async(net, x, base, strategy, seed=seed)
        for b, acc in zip(budgets, accuracy_vs_steps(rec, y, budgets)):
            curve.append({"model": name, "budget": int(b), "accuracy": acc})
        s = summarize(rec, y)
        stops.append({"model": name, "stop": "drain", "k": -1, **{m: s[m] for m in STOP_METRICS}})
        for k in ks:
            mode = "first_output" if k == 0 else "after_output"
            r = simulate_async(net, x, replace(base, stop=mode, steps_after_output=int(k)), strategy, seed=seed)
            s = summarize(r, y)
            stops.append({"model": name, "stop": mode, "k": int(k), **{m: s[m] for m in STOP_METRICS}})
    return pd.DataFrame(curve), pd.DataFrame(stops)


def claims_table(grid: pd.DataFrame, task: str) -> pd.DataFrame:
    """Paper's claims vs measured, async-trained against sync-trained run the same way.

    For every asynchronous execution (strategy, F) and every async-trained model, compares with
    the sync-trained model under the same execution: spike reduction ``1 - s_async / s_sync``
    (spikes per sample), decision speed-up ``spikes_to_correct_sync / spikes_to_correct_async``,
    accuracy gain in percentage points. Reports the best case (the paper's "up to") and the mean.
    """
    sync = grid[grid.model == "sync"].set_index(["execution", "F"])
    pairs = []
    for _, row in grid[(grid.model != "sync") & (grid.execution != LAYER_SYNC)].iterrows():
        ref = sync.loc[(row.execution, row.F)]
        pairs.append({
            "reduction": 1.0 - row.spikes_per_sample / ref.spikes_per_sample,
            "speedup": ref.spikes_to_correct / row.spikes_to_correct,
            "gain": 100.0 * (row.accuracy - ref.accuracy),
        })
    p = pd.DataFrame(pairs)

    def fmt(values, template):
        values = values.dropna()
        return (template.format(values.max()), template.format(values.mean())) if len(values) else ("n/a", "n/a")

    rows = [("spike density", "up to 50 % fewer spikes", fmt(100 * p.reduction, "{:.1f} % fewer")),
            ("decision latency (spikes to first correct output spike)", "up to 2x earlier", fmt(p.speedup, "{:.2f}x")),
            ("accuracy", "up to ~10 % higher", fmt(p.gain, "{:+.1f} pp"))]
    return pd.DataFrame([{"task": task, "claim": claim, "paper": paper, "measured best": best, "measured mean": mean}
                         for claim, paper, (best, mean) in rows])
