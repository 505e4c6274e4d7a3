"""The paper's claims beside our measurements, and the headline numbers of ``metrics.json``.

Koopman et al. (2024) claim up to 50 % fewer spikes, up to 2x earlier decisions and up to 10 %
higher accuracy for async-trained models; ``claims_table`` reports the best and the average
measured effect of each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import metrics
from ...network import Network
from .stages import LAYER_SYNC
from .tasks import SHORT_NAMES

__all__ = ["claims_table", "headline_metrics", "model_footprints", "study_claims"]


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


def study_claims(grid: pd.DataFrame) -> pd.DataFrame:
    """``claims_table`` of every task of ``grid`` (in order of appearance), concatenated."""
    return pd.concat([claims_table(grid[grid.task == name], name) for name in grid.task.unique()], ignore_index=True)


def model_footprints(models: dict[str, dict[str, Network]]) -> pd.DataFrame:
    """NeuroBench static metrics of every trained model: one row per task and model with
    ``parameter_count``, ``footprint_bytes`` (float32) and ``connection_sparsity`` (fraction of
    zero weights)."""
    return pd.DataFrame([{"task": task, "model": name, "parameter_count": metrics.parameter_count(net),
                          "footprint_bytes": metrics.footprint(net),
                          "connection_sparsity": metrics.connection_sparsity(net)}
                         for task, nets in models.items() for name, net in nets.items()])


def _pick(grid: pd.DataFrame, task: str, model: str, execution: str, F: int, metric: str) -> float:
    row = grid[(grid.task == task) & (grid.model == model) & (grid.execution == execution) & (grid.F == F)]
    return float(row[metric].iloc[0])


def headline_metrics(grid: pd.DataFrame, claims: pd.DataFrame, footprints: pd.DataFrame, strategies,
                     forward_group: int, n_train: int, n_test: int) -> dict[str, float | int | str]:
    """The flat dict written to ``metrics.json``, per task (prefix ``saccade_`` / ``rows_``):

    * ``<task>_sync_layersync_accuracy``;
    * for every model and each of the first two ``strategies`` at F = ``forward_group``:
      ``<task>_<model>_<strategy>_F<F>_{accuracy, spikes_per_sample, spikes_to_correct}``;
    * ``<task>_claim_<claim>_{best, mean}`` from ``claims`` (strings);
    * ``<task>_<model>_{parameter_count, footprint_bytes, connection_sparsity}`` from ``footprints``;

    then ``n_train``, ``n_test``. NaN values (no correct output spike) are left out, since
    ``metrics.json`` holds no NaN. Model names have ``-`` replaced by ``_``.
    """
    summary: dict[str, float | int | str] = {}
    for name, tag in SHORT_NAMES.items():
        if name not in set(grid.task):
            continue
        summary[f"{tag}_sync_layersync_accuracy"] = _pick(grid, name, "sync", LAYER_SYNC, 0, "accuracy")
        for model in grid[grid.task == name].model.unique():
            for strategy in strategies[:2]:
                key = f"{tag}_{model}_{strategy}_F{forward_group}".replace("-", "_")
                for metric in ("accuracy", "spikes_per_sample", "spikes_to_correct"):
                    summary[f"{key}_{metric}"] = _pick(grid, name, model, strategy, forward_group, metric)
        for _, r in claims[claims.task == name].iterrows():
            claim = r["claim"].split(" ")[0]
            summary[f"{tag}_claim_{claim}_best"] = r["measured best"]
            summary[f"{tag}_claim_{claim}_mean"] = r["measured mean"]
        for _, r in footprints[footprints.task == name].iterrows():
            key = f"{tag}_{r['model']}".replace("-", "_")
            summary[f"{key}_parameter_count"] = int(r["parameter_count"])
            summary[f"{key}_footprint_bytes"] = int(r["footprint_bytes"])
            summary[f"{key}_connection_sparsity"] = float(r["connection_sparsity"])
    summary = {k: v for k, v in summary.items() if not (isinstance(v, float) and np.isnan(v))}
    summary["n_train"] = int(n_train)
    summary["n_test"] = int(n_test)
    return summary
