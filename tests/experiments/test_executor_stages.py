"""The stages that fan out through ``neurobench.executor`` compute the same results serially and
on a process pool (the purity contract, checked on the real stage functions at tiny sizes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from neurobench import config
from neurobench.executor import ExecutorParams
from neurobench.experiments.asynchronous.stages import run_replicate, run_replicates

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


def _without_seconds(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in frame if "second" in c])


@pytest.mark.slow
def test_async_replicates_are_identical_serially_and_on_a_process_pool():
    """run_replicates' per-model and per-task executor tasks give what one replicate computed
    whole in one process (run_replicate) gives, serially and on a pool."""
    cfg = config.validate("asynchronous", TINY_ASYNC)
    serial = run_replicates(cfg)
    pooled = run_replicates(cfg, POOL)
    for (data_a, models_a), (data_b, models_b) in zip(serial[0], pooled[0]):
        np.testing.assert_array_equal(data_a.test_idx, data_b.test_idx)
        _same_networks(models_a, models_b)
    for a, b in zip(serial[1:4], pooled[1:4]):
        pd.testing.assert_frame_equal(_without_seconds(a), _without_seconds(b))
    assert serial[4].keys() == pooled[4].keys()  # timings: same keys, values are wall seconds
    for r in range(cfg.n_seeds):
        data, models, hist, grid, lat, times = run_replicate((cfg, r))
        _same_networks(models, pooled[0][r][1])
        for whole, split in ((hist, pooled[1]), (grid, pooled[2]), (lat, pooled[3])):
            part = split[split.replicate == r].drop(columns="replicate").reset_index(drop=True)
            pd.testing.assert_frame_equal(_without_seconds(whole), _without_seconds(part))
        assert {f"{k}[r{r}]" for k in times} <= pooled[4].keys()


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.slow
def test_multicore_workloads_are_identical_serially_and_on_a_process_pool():
    """One task per workload (``workload_task``): the headline rows and every run's schedules
    and re-simulations do not depend on the executor, and each row is its own workload's."""
    from neurobench.experiments.multicore import stages as S
    from neurobench.hardware.workload import Workload
    from neurobench.hardware.multicore import spike_trains
    from neurobench.network import Dense, Network
    from neurobench.neurons import NeuronParams
    from neurobench.sim import simulate

    cfg = config.validate("multicore", {"n_cores": 4})
    nets, workloads = {}, {}
    for seed, sizes in ((0, (6, 8, 4)), (1, (5, 9, 3)), (2, (7, 6, 4))):
        rng = np.random.default_rng(seed)
        layers = tuple(Dense(rng.normal(0.4, 0.6, size=(b, a))) for a, b in zip(sizes[:-1], sizes[1:]))
        nets[f"w{seed}"] = Network((sizes[0],), layers, NeuronParams(model="if"))
        x = rng.random((2, 10, sizes[0])) < 0.4
        rec = simulate(nets[f"w{seed}"], x, 1.0, record_spikes=True)
        workloads[f"w{seed}"] = Workload.from_network(nets[f"w{seed}"], spike_trains(rec, x), name=f"w{seed}")
    serial, runs_a = S.run_workloads(nets, workloads, cfg, cfg.partition_seed)
    pooled, runs_b = S.run_workloads(nets, workloads, cfg, cfg.partition_seed, POOL)
    _same_frame(serial, pooled)
    assert list(runs_a) == list(runs_b) == [(w, p) for w in workloads for p in S.partitions((1,), 4, 0)]
    for key in runs_a:
        for p, sched in runs_a[key].comparison.schedules().items():
            np.testing.assert_array_equal(sched.start, runs_b[key].comparison.schedules()[p].start)
    for name in workloads:  # in task order: each workload's rows and runs are its own
        rows, runs = S.workload_task((name, nets[name], workloads[name], cfg, cfg.partition_seed))
        _same_frame(serial[serial.workload == name].reset_index(drop=True), pd.DataFrame(rows))
        for pname, run in runs.items():
            for p, sched in run.comparison.schedules().items():
                np.testing.assert_array_equal(sched.start, runs_a[name, pname].comparison.schedules()[p].start)


ENDURANCE = {"crossbar": {"n": 16, "r_wl": 5.0, "r_bl": 5.0}, "pso": {"particles": 6, "iterations": 5},
             "refine_iters": 5, "rram": {"n_workloads": 1, "temperatures": [300.0]}, "n_seeds": 2,
             "workloads": {"image_side": 8, "hidden": 10, "lenet_dense": 10, "reservoir": 12,
                           "synthetic_sizes": [20, 20], "rf_sizes": [20, 20], "rf_fan_in": 5, "rf_group": 2,
                           "simulated": False}}


@pytest.mark.slow
def test_endurance_mappings_and_replicates_are_identical_serially_and_on_a_process_pool():
    """The replicates run as one task per replicate and workload (``map_task``) and one per
    replicate (``finish_task``): on a pool they equal the serial replicates, table by table."""
    from neurobench.experiments.endurance import stages as S
    from neurobench.experiments.endurance.workloads import SimulatedSet

    cfg = config.validate("endurance", ENDURANCE)
    sim = SimulatedSet()
    serial = [S.run_replicate(cfg, r, sim) for r in range(cfg.n_seeds)]
    pooled = S.run_replicates(cfg, sim, POOL)
    assert [rep.r for rep in pooled] == [0, 1]
    for a, b in zip(serial, pooled):
        assert list(a.chips) == list(b.chips) == [w.name for w in a.workloads]
        for name in ("res", "life", "gain", "cost", "rr", "rram_thermal", "pcm_thermal"):
            _same_frame(getattr(a, name), getattr(b, name))
    assert not serial[0].res.lifetime.equals(serial[1].res.lifetime)  # replicates differ: a swap would show


TINY_SRC = {"max_train": 40, "max_test": 16, "encoding": {"silent_steps": 2, "stimulus_steps": 4},
            "events": {"saccade_steps": 6}, "network": {"hidden": [8], "deep_hidden": [8, 8]},
            "training": {"epochs": 1, "batch_size": 20}, "n_seeds": 2}


@pytest.mark.slow
def test_src_models_on_a_process_pool_are_what_a_whole_replicate_computes():
    """run_replicates' one task per (replicate, model) gives each replicate's rows, histories and
    NeuroBench rows in run_replicate's order and values, the ablation in replicate 0 only."""
    from neurobench.experiments.src.stages import run_replicate, run_replicates as src_replicates

    cfg = config.validate("src", TINY_SRC)
    rows, hist, (data0, models0), timings, nb = src_replicates(cfg, POOL)
    whole = [run_replicate((cfg, r)) for r in range(cfg.n_seeds)]
    pd.testing.assert_frame_equal(rows, pd.DataFrame([row for w in whole for row in w[0]]))
    pd.testing.assert_frame_equal(hist, pd.DataFrame([h for w in whole for h in w[1]]))
    assert list(models0) == list(whole[0][2][1]) and "src_deep_no_bypass" in models0
    for name, model in models0.items():
        for a, b in zip(model.parameters(), whole[0][2][1][name].parameters()):
            assert torch.equal(a, b)
    assert nb == {name: [w[4][name] for w in whole] for name in whole[0][4]}
    assert timings.keys() == {k for w in whole for k in w[3]}
    assert set(rows.replicate) == {0, 1} and (rows.model == "src_deep_no_bypass").sum() == 1
