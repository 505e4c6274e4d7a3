"""The stages that fan out through ``neurobench.executor`` compute the same results serially and
on a process pool (the purity contract, checked on the real stage functions at tiny sizes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.executor import ExecutorParams
from neurobench.experiments.asynchronous.stages import run_replicates

POOL = ExecutorParams(kind="process", workers=2)

TINY_ASYNC = {"max_train": 32, "max_test": 12, "saccade_steps": 8, "forward_groups": [2],
              "strategies": ["random"], "steps_after_output": [0], "latency_forward_group": 2,
              "training": {"hidden": [8], "epochs": 1, "batch_size": 16}, "n_seeds": 2,
              "crosscheck_samples": 2}


def _same_networks(a, b) -> None:
    assert a.keys() == b.keys()
    for task in a:
        assert a[task].keys() == b[task].keys()
        for model in a[task]:
            wa = [np.asarray(w) for layer in a[task][model].layers for w in vars(layer).values()
                  if isinstance(w, np.ndarray)]
            wb = [np.asarray(w) for layer in b[task][model].layers for w in vars(layer).values()
                  if isinstance(w, np.ndarray)]
            assert len(wa) == len(wb) > 0
            for x, y in zip(wa, wb):
                np.testing.assert_array_equal(x, y)


@pytest.mark.slow
def test_async_replicates_are_identical_serially_and_on_a_process_pool():
    cfg = config.validate("asynchronous", TINY_ASYNC)
    serial = run_replicates(cfg)
    pooled = run_replicates(cfg, POOL)
    for (data_a, models_a), (data_b, models_b) in zip(serial[0], pooled[0]):
        np.testing.assert_array_equal(data_a.test_idx, data_b.test_idx)
        _same_networks(models_a, models_b)
    for a, b in zip(serial[1:4], pooled[1:4]):
        pd.testing.assert_frame_equal(a.drop(columns=[c for c in a if "second" in c]),
                                      b.drop(columns=[c for c in b if "second" in c]))
    assert serial[4].keys() == pooled[4].keys()  # timings: same keys, values are wall seconds
