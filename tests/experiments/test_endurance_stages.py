"""The endurance stage's computations (``neurobench.experiments.endurance.stages``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neurobench import config
from neurobench.experiments.endurance import stages as S
from neurobench.hardware.crossbar import CrossbarParams
from neurobench.hardware.endurance import PcmEndurance
from neurobench.hardware.mesh import Mesh
from neurobench.mapping import workloads as W
from neurobench.schema import replace

SECTION = {"crossbar": {"n": 16, "r_wl": 5.0, "r_bl": 5.0}, "pso": {"particles": 6, "iterations": 5},
           "refine_iters": 5, "rram": {"n_workloads": 1, "temperatures": [300.0, 330.0]},
           "sensitivity": {"workload": "digit_mlp", "wire_resistances": [1.0], "crossbar_sizes": [16],
                           "biases": ["V/3"]}}


@pytest.fixture(scope="module")
def mapped():
    cfg = config.validate("endurance", SECTION)
    workloads = [W.digit_mlp(n_in=36, hidden=20), W.heart_lsm(n_in=8, reservoir=24, seed=1)]
    chips, results, res = S.map_all(workloads, cfg.mapping_config())
    return cfg, workloads, chips, results, res


def test_series_model_asymmetry_has_the_closed_form():
    xbar = CrossbarParams(n=4, r_wl=5.0, r_bl=5.0, r_cell=1000.0)
    models = S.program_current_models(xbar)
    _, table = S.asymmetry(models, xbar, PcmEndurance(exponent=2.0))
    row = table.set_index("model").loc["series"]
    # far cell (0, 3): 1000 + 5 * 4 + 5 * 4 ohm; near cell (3, 0): 1000 + 5 + 5 ohm
    assert row["far/near current"] == pytest.approx(1010 / 1040)
    assert row["near cell / ideal current"] == pytest.approx(1000 / 1010)
    assert row["E_max/E_min"] == pytest.approx((1040 / 1010) ** 2)
    nodal = table.set_index("model")["far/near current"]
    assert nodal["nodal V/2"] < 1 and nodal["nodal V/3"] < 1


def test_gain_and_cost_tables_with_known_numbers():
    rows = []
    for w, lives in {"a": [1.0, 2.0, 4.0, 8.0, 16.0], "b": [4.0, 4.0, 4.0, 4.0, 16.0]}.items():
        for method, life in zip(["sequential", "random", "spinemap", "spinemap_cells", "espine"], lives):
            rows.append({"workload": w, "method": method, "lifetime": life, "energy_uJ": 2.0 if method == "espine" else 1.0,
                         "latency_ns": 1.0 if method != "sequential" else 4.0})
    res = pd.DataFrame(rows)
    life, gain = S.lifetime_gain(res, ["b", "a"])
    assert list(life.index) == ["b", "a"]
    assert gain.loc["a", "sequential"] == 16.0 and gain.loc["b", "sequential"] == 4.0
    assert gain.loc["geometric mean", "sequential"] == pytest.approx(8.0)
    assert gain.loc["geometric mean", "spinemap"] == pytest.approx(np.sqrt(4.0 * 4.0))
    cost = S.noc_cost_ratios(res, ["a", "b"])
    assert cost.loc["geometric mean", "energy vs spinemap"] == pytest.approx(2.0)
    assert cost.loc["geometric mean", "latency vs sequential"] == pytest.approx(0.25)
    assert cost.loc["geometric mean", "spinemap vs sequential latency"] == pytest.approx(0.25)


def test_critical_cell_and_cluster_lifetimes_give_the_mapping_lifetime(mapped):
    _, workloads, chips, results, _ = mapped
    for w in workloads:
        chip = chips[w.name]
        for m in results[w.name].values():
            on, life = S.crossbar_lifetime(chip, m, S.critical_tile(chip, m))
            assert on.any() and life == pytest.approx(m.lifetime, rel=1e-12)
            assert S.cluster_lifetimes(chip, m).min() == pytest.approx(m.lifetime, rel=1e-12)


def test_placement_grid_and_heavy_links(mapped):
    grid = S.placement_grid(Mesh(rows=2, cols=2), np.array([3, 0]), np.array([100.0, np.inf]))
    assert grid[1, 1] == pytest.approx(2.0) and np.isnan(grid[0, 0]) and np.isnan(grid[0, 1])
    _, workloads, chips, results, _ = mapped
    chip, m = chips["heart_lsm"], results["heart_lsm"]["espine"]
    links = S.heavy_links(chip, m)
    assert links.ndim == 2 and links.shape[1] == 2 and links.max(initial=0) < m.clustering.n_clusters


def test_sensitivity_gain_never_exceeds_its_bound_and_rram_tables(mapped):
    cfg, workloads, chips, _, res = mapped
    sens = S.sensitivity(workloads, cfg)
    assert list(sens.sweep) == ["wire resistance (ohm)", "crossbar size", "bias scheme"]
    assert (sens["gain vs spinemap"] <= sens["bound"] * (1 + 1e-12)).all()
    small, rr, per_cluster = S.rram_table(workloads, chips, cfg.crossbar, cfg.rram)
    assert len(small) == 1 and list(rr["T (K)"]) == [300.0, 330.0]
    assert (rr["gain"] > 0).all()
    # a uniform temperature scales both placements alike: the gain does not depend on it
    assert rr["gain"].iloc[0] == pytest.approx(rr["gain"].iloc[1])
    # per-cluster lifetimes at t_ref give the chip lifetime at 300 K = t_ref
    assert per_cluster[small[0].name].min() == pytest.approx(rr["L_inf aware"].iloc[0], rel=1e-12)
    th = S.rram_thermal(per_cluster, cfg.mesh, cfg.thermal, cfg.rram)
    row = th.iloc[0]
    assert row["T max (K)"] <= cfg.thermal.t_centre_k and row["T min (K)"] >= cfg.thermal.t_edge_k
    # the aware placement is optimal, so never below index order; both below the cool uniform chip
    assert row["L_inf profile, aware"] >= row["L_inf profile, unaware"]
    assert row["L_inf profile, aware"] <= row["L_inf uniform (edge T)"] * (1 + 1e-12)


def _networks(folder, n_in=64):
    from neurobench.network import Dense, Network
    from neurobench.serialize import save_network

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    net = Network((n_in,), (Dense(rng.normal(0.3, 0.3, (12, n_in))), Dense(rng.normal(0.3, 0.3, (10, 12)))))
    for name in ("mlp__analog", "mlp__analog__baseline", "prune__mlp__greedy__10"):
        save_network(folder / f"{name}.npz", net)
    small = Network((10,), (Dense(rng.normal(0, 1, (3, 10))),))
    save_network(folder / "regression__analog.npz", small)
    return net


def test_saved_networks_are_simulated_and_missing_folders_give_notes(tmp_path):
    from neurobench.experiments.endurance.params import EnduranceWorkloadSection

    _networks(tmp_path / "snn")
    (tmp_path / "async" / "task").mkdir(parents=True)
    from neurobench.serialize import load_network, save_network

    save_network(tmp_path / "async" / "task" / "net.npz", load_network(tmp_path / "snn" / "mlp__analog.npz"))
    wc = EnduranceWorkloadSection(conversion_dir=str(tmp_path / "snn"), async_dir=str(tmp_path / "async"),
                                  samples=4, n_steps=20, image_side=8, hidden=10, lenet_dense=10, reservoir=10,
                                  synthetic_sizes=[20, 20], rf_sizes=[20, 20], rf_fan_in=5, rf_group=2)
    sim = S.simulated_set(wc)
    names = [w.name for w in sim.workloads]
    assert names == ["lp_mlp__analog", "async_task__net"]  # LP files only from the conversion folder
    assert any("regression__analog" in n and "does not take 8 x 8 digits" in n for n in sim.notes)
    w = sim.workloads[0]
    assert w.source == "simulated" and w.graph.n_neurons == 64 + 12 + 10
    # activity is what neurobench.sim records for the same inputs
    from neurobench.experiments.endurance.workloads import digits_images
    from neurobench.sim import static

    record = static.run(load_network(tmp_path / "snn" / "mlp__analog.npz"), digits_images(4).reshape(4, 64),
                        n_steps=20, dt=1.0, max_rate=500.0)
    np.testing.assert_allclose(w.graph.spikes[64:76], record.layers[0].spike_count.mean(axis=0))
    assert w.graph.spikes[64:].sum() > 0
    # the generated digit_mlp (synthetic) is replaced by the simulated MLP; the table labels both kinds
    workloads = S.build_workloads(wc, sim)
    table = W.table(workloads).set_index("workload")
    assert "digit_mlp" not in table.index and "lenet" in table.index
    assert table.loc["lenet", "synthetic"] and not table.loc["lp_mlp__analog", "synthetic"]
    assert not table.loc["snn_random_cnn", "synthetic"]
    # missing folders: no crash, one visible note each
    gone = S.simulated_set(EnduranceWorkloadSection(conversion_dir=str(tmp_path / "nope"), async_dir=str(tmp_path / "no")))
    assert gone.workloads == [] and len(gone.notes) == 2 and all("folder not found" in n for n in gone.notes)
    assert "digit_mlp" in [w.name for w in S.build_workloads(replace(wc, simulated=False), gone)]
    assert S.notes_markdown(gone.notes).count("\n- ") == 2


def test_drivers_closed_forms_without_variation(mapped):
    cfg, workloads, chips, results, _ = mapped
    cfg = replace(cfg, drivers=replace(cfg.drivers, workloads=["heart_lsm"], exponents=[0.0, 2.0],
                                       sigma_tiles=[0.0], sigma_cells=[0.0]))
    drv = S.drivers(chips, cfg).set_index(["sweep", "value"])
    # identical tiles: the PSO cannot change the lifetime; the parts multiply to the total
    assert drv.loc[("no variation", 0.0), "pso"] == 1.0
    np.testing.assert_allclose(drv["total"], drv["cell_ordering"] * drv["pso"], rtol=1e-12)
    # no exponent and no variation: every cell alike, no gain at all
    flat = replace(cfg, pcm=replace(cfg.pcm, exponent=0.0), mesh=replace(cfg.mesh, sigma_tile=0.0, sigma_cell=0.0),
                   drivers=replace(cfg.drivers, exponents=[0.0]))
    assert S.drivers(chips, flat).set_index(["sweep", "value"]).loc[("exponent", 0.0), "total"] == 1.0
    # the default point of the sweeps reproduces the main mapping's gain
    parts = S.gain_parts(results["heart_lsm"])
    assert parts["total"] == pytest.approx(results["heart_lsm"]["espine"].lifetime / results["heart_lsm"]["spinemap"].lifetime)
    with pytest.raises(ValueError, match="drivers.workloads"):
        S.drivers(chips, replace(cfg, drivers=replace(cfg.drivers, workloads=["alexnet"])))


def test_pcm_thermal_profile_changes_lifetimes_and_aware_mapping_sees_it(mapped):
    cfg, _, chips, results, _ = mapped
    cfg = replace(cfg, drivers=replace(cfg.drivers, workloads=["heart_lsm"]))
    th = S.pcm_thermal(chips, results, cfg).iloc[0]
    assert th["L profile, unaware"] < th["L uniform"]  # hotter tiles wear sooner
    assert th["L profile, aware"] >= th["L profile, unaware"]
    uniform = replace(cfg, thermal=replace(cfg.thermal, t_centre_k=cfg.pcm.t_amb, t_edge_k=cfg.pcm.t_amb))
    same = S.pcm_thermal(chips, results, uniform).iloc[0]
    assert same["L profile, unaware"] == pytest.approx(same["L uniform"], rel=1e-12)


@pytest.mark.slow  # two replicates of the whole experiment: ~40 s on 2 busy cores
def test_replicates_claims_and_summary():
    from neurobench.experiments.endurance import claims as CL
    from neurobench.experiments.endurance.workloads import SimulatedSet

    cfg = config.validate("endurance", SECTION | {
        "n_seeds": 2, "partitioner": "metis", "crossbar": {"n": 32, "r_wl": 5.0, "r_bl": 5.0}, "workloads": {"image_side": 8, "hidden": 10, "lenet_dense": 10, "reservoir": 12,
                                    "synthetic_sizes": [20, 20], "rf_sizes": [20, 20], "rf_fan_in": 5, "rf_group": 2,
                                    "simulated": False},
        "drivers": {"workloads": ["heart_lsm"], "exponents": [2.0], "sigma_tiles": [0.2], "sigma_cells": [0.1]}})
    from neurobench.seeds import child_seed

    assert cfg.replicate(1).seed == child_seed(cfg.seed, 1) != cfg.replicate(0).seed
    assert cfg.replicate(1).workloads.seed == child_seed(cfg.workloads.seed, 1)
    with pytest.raises(ValueError, match="n_seeds"):
        cfg.replicate(2)
    sim = SimulatedSet()
    reps = [S.run_replicate(cfg, r, sim) for r in range(2)]
    assert reps[0].workloads[0].graph.n_synapses == reps[1].workloads[0].graph.n_synapses
    assert not np.array_equal(reps[0].workloads[0].graph.spikes, reps[1].workloads[0].graph.spikes)  # own counts
    _, asym = S.asymmetry(S.program_current_models(cfg.crossbar), cfg.crossbar, cfg.pcm)
    claims = CL.claims(reps, asym)
    assert all(c.n == 2 for c in claims)
    by_key = {c.key: c for c in claims}
    g = by_key["t2_gain_vs_spinemap"]
    assert g.measured == tuple(float(r.gain.loc["geometric mean", "spinemap"]) for r in reps)
    assert g.met and by_key["t2_min_gain_vs_spinemap"].met  # >= 1 by construction
    assert by_key["t4_spinemap_energy"].paper == 0.55
    assert "t8" not in " ".join(by_key)  # the by-construction workload-size row is gone
    drv = S.drivers(reps[0].chips, reps[0].cfg)
    summary = CL.summary(reps, asym, drv, 0, cfg.crossbar.n)
    assert summary["n_seeds"] == 2 and summary["n_simulated_workloads"] == 0
    assert summary["n_synthetic_workloads"] == len(reps[0].workloads)
    assert all(isinstance(v, (int, float)) for v in summary.values())
