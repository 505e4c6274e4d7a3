"""The multicore stage's computations (``neurobench.experiments.multicore``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.claims import claims_metrics
from neurobench.experiments.multicore import claims as C
from neurobench.experiments.multicore import stages as S
from neurobench.experiments.multicore import workloads as W
from neurobench.hardware.multicore import compare, core_load, spike_trains
from neurobench.hardware.workload import Workload
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.seeds import child_seed, spawn_seeds
from neurobench.sim import simulate


def _recorded(seed: int, sizes=(6, 8, 4)):
    rng = np.random.default_rng(seed)
    layers = tuple(Dense(rng.normal(0.4, 0.6, size=(b, a))) for a, b in zip(sizes[:-1], sizes[1:]))
    net = Network((sizes[0],), layers, NeuronParams(model="if"))
    x = rng.random((2, 10, sizes[0])) < 0.4
    rec = simulate(net, x, 1.0, record_spikes=True)
    return net, Workload.from_network(net, spike_trains(rec, x), name=f"w{seed}")


@pytest.fixture(scope="module")
def stage():
    cfg = config.validate("multicore", {"n_cores": 4, "imbalance_sweep": [0.0, 2.0], "hop_ns_sweep": [0.0, 10.0],
                                        "static_mw_sweep": [0.0, 5.0], "barrier_ns_sweep": [0.0, 100.0],
                                        "cost_factors": [2.0]})
    built = {"conv": _recorded(0), "mlp": _recorded(1)}
    nets = {k: v[0] for k, v in built.items()}
    workloads = {k: v[1] for k, v in built.items()}
    headline, runs = S.run_workloads(nets, workloads, cfg, cfg.partition_seed)
    headline.insert(0, "replicate", 0)
    rep = S.Replicate(W.replicate_seeds(cfg, 0), nets, workloads, {}, runs, headline)
    return cfg, rep


def test_run_workloads_matches_direct_comparisons_and_is_exact_under_every_policy(stage):
    cfg, rep = stage
    h = rep.headline
    assert len(h) == 8 and list(h.partition[:4]) == ["contiguous", "round robin", "random", "imbalanced (2)"]
    for p in ("barrier", "tick", "dependency"):
        assert h[f"identical_{p}"].all() and (h[f"overwrites_{p}"] == 0).all() and (h[f"late_{p}"] == 0).all()
    part = S.partitions((6, 8, 4), 4, cfg.partition_seed)["round robin"]
    load = core_load(rep.workloads["mlp"], part, n_cores=4)
    direct = compare(load, cfg.cost, cfg.buffer_depth, None)
    zero = compare(load, S.zero_costs(cfg.cost), cfg.buffer_depth, None)
    row = h[(h.workload == "mlp") & (h.partition == "round robin")].iloc[0]
    assert row.speedup == direct.speedup and row.energy_ratio == direct.energy_ratio
    assert row.speedup_tick == direct.speedup_tick and row.speedup_zero == zero.speedup
    assert (h.speedup >= 1.0).all() and (h.speedup_zero >= 1.0).all()
    table = S.exactness(h).set_index("policy")
    assert table.loc["dependency", "identical runs"] == 8 and table.loc["tick", "overwrites"] == 0


def test_negative_controls_lose_spikes(stage):
    cfg, rep = stage
    controls = S.negative_controls(rep, cfg, workload="conv").set_index("control")
    assert (controls.identical == 0).all() and (controls["mismatched spikes"] > 0).all()
    assert controls.iloc[0].overwrites > 0  # producers without back-pressure run ahead
    assert controls.iloc[1].late + controls.iloc[1].overwrites > 0  # a tick shorter than the worst step


def test_barrier_sweep_and_cost_sensitivity_reproduce_direct_comparisons(stage):
    cfg, rep = stage
    barrier = S.barrier_sweep(rep.runs, cfg)
    assert set(barrier.workload) == {"conv", "mlp", "all"} and len(barrier) == 2 * 3
    at_default = barrier[(barrier.workload == "all") & (barrier.barrier_ns == 100.0)].iloc[0]
    assert at_default.speedup == pytest.approx(np.exp(np.log(rep.headline.speedup).mean()))
    zero = barrier[(barrier.workload == "all") & (barrier.barrier_ns == 0.0)].iloc[0]
    assert zero.speedup < at_default.speedup  # the barrier cost is a source of the speedup
    assert zero.speedup_tick == at_default.speedup_tick  # the tick pays no barrier
    sens = S.cost_sensitivity(rep.runs, cfg)
    assert len(sens) == 8 * 2 and set(sens.factor) == {1.0, 2.0}
    base = sens[(sens.cost == "hop_pj") & (sens.factor == 1.0)].iloc[0]
    loads = [run.load for (n, p), run in rep.runs.items() if p == "contiguous"]
    assert base.speedup == pytest.approx(np.exp(np.mean([np.log(compare(ld, cfg.cost).speedup) for ld in loads])))
    pj = sens[(sens.cost == "hop_pj") & (sens.factor == 2.0)].iloc[0]
    assert pj.speedup == base.speedup  # an energy cost does not move the schedule
    costs = S.assumed_costs(cfg).set_index("parameter")
    assert costs.loc["cost.barrier_ns", "value"] == 100.0 and costs.loc["cost.hop_pj", "unit"] == "pJ"


def test_sweeps_gantt_energy_and_summary(stage):
    cfg, rep = stage
    imbalance = S.imbalance_sweep(rep.workloads, cfg)
    latency = S.latency_sweep(rep.runs, cfg)
    static = S.static_sweep(rep.runs, cfg)
    assert len(imbalance) == 4 and len(latency) == 2 * 2 * 2 and len(static) == 4
    zero = imbalance[(imbalance.workload == "conv") & (imbalance.imbalance == 0.0)].iloc[0]
    assert zero.speedup == rep.runs["conv", "contiguous"].comparison.speedup
    energy = S.energy_breakdown(rep.runs)
    assert energy.shape == (8 * 3, 4)
    e = rep.runs["conv", "random"].comparison.tick.energy
    assert energy.loc["conv\nrandom\ntick"].sum() == pytest.approx(e.total_pj / 1e6)
    g = S.gantt(rep.runs["mlp", "contiguous"].comparison, 3)
    assert len(g) == 3 * 4 * 3 and set(g.policy) == {"barrier", "tick", "dependency"}
    controls = S.negative_controls(rep, cfg, workload="conv")
    summary = S.summary(rep.headline, controls, cfg)
    assert summary["identical_spikes_dependency"] == 1 and summary["overwrites_dependency"] == 0
    assert summary["control_no_backpressure_overwrites"] > 0 and summary["control_no_backpressure_identical"] == 0
    assert summary["speedup_min"] <= summary["speedup_geomean"] <= summary["speedup_max"]
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in summary.values())


def test_claims_with_known_numbers():
    rows = []
    for r, (s, e) in enumerate([(1.0, 0.5), (4.0, 2.0), (2.0, 1.0)]):
        for w in range(2):
            rows.append({"replicate": r, "workload": f"w{w}", "speedup": s, "energy_ratio": e,
                         "speedup_zero": 1.0, "energy_ratio_zero": 0.9, "speedup_tick": 2 * s,
                         "energy_ratio_tick": e, "identical_barrier": 1, "identical_tick": 1,
                         "identical_dependency": 1 - (r == 2 and w == 0), "overwrites_barrier": 0,
                         "overwrites_tick": 0, "overwrites_dependency": 3 * (r == 2)})
    claims = {c.key: c for c in C.claims(pd.DataFrame(rows))}
    assert claims["speedup"].measured == (1.0, 4.0, 2.0) and claims["speedup"].mean == pytest.approx(7 / 3)
    assert claims["speedup"].met is True and claims["speedup"].paper == 1.86 and "abstract" in claims["speedup"].source
    assert claims["speedup_zero_costs"].met is False and claims["energy_gain_zero_costs"].mean == pytest.approx(0.9)
    assert claims["energy_gain"].mean == pytest.approx(3.5 / 3) and claims["energy_gain"].met is False
    assert claims["speedup_over_tick"].target is None and claims["speedup_over_tick"].mean == pytest.approx(14 / 3)
    assert claims["energy_over_speedup"].measured == (0.5, 0.5, 0.5) and claims["energy_over_speedup"].met is True
    assert claims["identical_spikes"].measured == pytest.approx((1.0, 1.0, 1 - 1 / 6))
    assert claims["overwrites"].measured == (0.0, 0.0, 6.0) and claims["overwrites"].met is False
    assert all(c.n == 3 for c in claims.values()) and all(c.note for c in claims.values())
    assert claims_metrics(claims.values())["claim_speedup_n"] == 3


def test_replicate_seeds_are_children_of_the_section_seeds():
    cfg = config.validate("multicore", {"input_seed": 7, "partition_seed": 5, "mlp_seed": 2})
    seeds = [W.replicate_seeds(cfg, r) for r in range(3)]
    assert seeds[1].partition == child_seed(5, 1) and seeds[2].training == child_seed(2, 2)
    assert [seeds[0].sample, seeds[0].encoder] == spawn_seeds(child_seed(7, 0), 2)
    assert len({s.partition for s in seeds}) == 3 and seeds[0] == W.replicate_seeds(cfg, 0)
    data = W.Digits(*[np.zeros((40, 1, 8, 8)), np.zeros(40, int), np.random.default_rng(0).random((40, 1, 8, 8)),
                      np.zeros(40, int)])
    small = config.validate("multicore", {"batch_size": 5, "n_steps": 4})
    a, spikes_a = W.input_batch(small, data, seeds[0])
    b, spikes_b = W.input_batch(small, data, seeds[1])
    assert a.shape == (5, 1, 8, 8) and spikes_a.shape == (5, 4, 1, 8, 8) and not np.array_equal(a, b)
    with pytest.raises(config.ConfigError, match="multicore.n_seeds = 0"):
        config.validate("multicore", {"n_seeds": 0})


def test_sparse_network_has_the_requested_density():
    net = W.sparse_network((1, 8, 8), [200, 100], 10, 0.1, NeuronParams(), seed=3)
    assert net.sizes == (64, 200, 100, 10)
    density = np.mean([(layer.weight != 0).mean() for layer in net.layers])
    assert density == pytest.approx(0.1, abs=0.02)
