"""The multicore stage's computations (``neurobench.experiments.multicore.stages``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.multicore import stages as S
from neurobench.hardware.multicore import compare, core_load
from neurobench.hardware.workload import Workload
from neurobench.network import Dense, Network


def _workload(seed: int, sizes=(6, 8, 4)) -> Workload:
    rng = np.random.default_rng(seed)
    layers = tuple(Dense(rng.normal(size=(b, a))) for a, b in zip(sizes[:-1], sizes[1:]))
    net = Network((sizes[0],), layers)
    trains = [rng.random((2, 10, n)) < 0.4 for n in sizes]
    return Workload.from_network(net, trains, name=f"w{seed}")


@pytest.fixture(scope="module")
def stage():
    cfg = config.validate("multicore", {"n_cores": 4, "imbalance_sweep": [0.0, 2.0], "hop_ns_sweep": [0.0, 10.0],
                                        "static_mw_sweep": [0.0, 5.0]})
    workloads = {"conv": _workload(0), "mlp": _workload(1)}
    headline, results = S.run_partitions(workloads, cfg)
    return cfg, workloads, headline, results


def test_run_partitions_matches_direct_comparisons_and_delivers_identical_spikes(stage):
    cfg, workloads, headline, results = stage
    assert len(headline) == 8 and headline["identical delivered spikes"].all()
    assert list(headline.partition[:4]) == ["contiguous", "round robin", "random", "imbalanced (2)"]
    part = S.partitions((6, 8, 4), 4, cfg.partition_seed)["round robin"]
    np.testing.assert_array_equal(part.core_of, np.arange(18) % 4)
    direct = compare(core_load(workloads["mlp"], part, n_cores=4), cfg.cost, cfg.buffer_depth)
    row = headline[(headline.workload == "mlp") & (headline.partition == "round robin")].iloc[0]
    assert row.speedup == direct.speedup and row.energy_ratio == direct.energy_ratio
    assert (headline.speedup >= 1.0).all()


def test_workloads_table_counts_synapses_and_spikes(stage):
    _, workloads, _, _ = stage
    table = S.workloads_table(workloads).set_index("workload")
    assert table.loc["conv", "populations"] == "6 -> 8 -> 4"
    assert table.loc["conv", "synapses"] == 6 * 8 + 8 * 4 and table.loc["conv", "steps on chip"] == 20
    w = workloads["conv"]
    assert table.loc["conv", "spikes per step"] == pytest.approx(w.trains[:, :, 6:].sum() / 20)


def test_sweeps_findings_energy_and_summary(stage):
    cfg, workloads, headline, results = stage
    imbalance = S.imbalance_sweep(workloads, cfg)
    latency = S.latency_sweep(results, cfg)
    static = S.static_sweep(results, cfg)
    assert len(imbalance) == 4 and len(latency) == 2 * 2 * 2 and len(static) == 4
    # imbalance 0 is the contiguous partition
    zero = imbalance[(imbalance.workload == "conv") & (imbalance.imbalance == 0.0)].iloc[0]
    assert zero.speedup == results["conv", "contiguous"][1].speedup
    found = S.findings(results, latency, imbalance, static, cfg)
    assert found.loc["mlp", "speedup, default costs"] == results["mlp", "contiguous"][1].speedup
    assert found.loc["mlp", "speedup, imbalance 2"] == S.speedup_at(imbalance, workload="mlp", imbalance=2.0)
    energy = S.energy_breakdown(results)
    assert energy.shape == (16, 4)
    e = results["conv", "random"][1].sync.energy
    assert energy.loc["conv\nrandom\nsync"].sum() == pytest.approx(e.total_pj / 1e6)
    summary = S.summary(headline, results, cfg)
    assert summary["identical_delivered_spikes"] == 1 and summary["steps_on_chip"] == cfg.batch_size * cfg.n_steps
    assert summary["speedup_min"] <= summary["speedup_geomean"] <= summary["speedup_max"]


def test_speedup_at_and_claims_with_known_numbers():
    headline = pd.DataFrame({"speedup": [1.0, 4.0], "energy_ratio": [0.5, 2.0],
                             "identical delivered spikes": [True, True]})
    table = S.claims(headline).set_index("quantity")["measured"]
    assert table["speedup vs global barrier"] == "2.00x (range 1.00-4.00)"
    assert table["energy efficiency vs global barrier"] == "1.00x (range 0.50-2.00)"
    assert table["energy gain below speedup"] == "yes"
    assert table["spike results exact (time-accurate)"] == "identical delivered spikes in every run"
    df = pd.DataFrame({"workload": ["a", "a", "b"], "hop_ns": [0.0, 5.0, 0.0], "speedup": [1.5, 2.5, 3.5]})
    assert S.speedup_at(df, workload="a", hop_ns=5.0) == 2.5
    assert np.isnan(S.speedup_at(df, workload="c"))


def test_gantt_lists_every_core_and_step(stage):
    _, _, _, results = stage
    load, cmp = results["mlp", "contiguous"]
    g = S.gantt(cmp, 3)
    assert len(g) == 2 * load.n_cores * 3
    first = g[(g["mode"] == "async") & (g.core == 1) & (g.step == 2)].iloc[0]
    assert first.start_ns == cmp.asynchronous.start[2, 1] and first.finish_ns == cmp.asynchronous.finish[2, 1]
