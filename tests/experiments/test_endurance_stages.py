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


def test_sensitivity_gain_never_exceeds_its_bound_and_rram_and_summary(mapped):
    cfg, workloads, chips, _, res = mapped
    sens = S.sensitivity(workloads, cfg)
    assert list(sens.sweep) == ["wire resistance (ohm)", "crossbar size", "bias scheme"]
    assert (sens["gain vs spinemap"] <= sens["bound"] * (1 + 1e-12)).all()
    small, rr = S.rram_table(workloads, chips, cfg.crossbar, cfg.rram)
    assert len(small) == 1 and list(rr["T (K)"]) == [300.0, 330.0]
    assert (rr["gain"] > 0).all()
    # a uniform temperature scales both placements alike: the gain does not depend on it
    assert rr["gain"].iloc[0] == pytest.approx(rr["gain"].iloc[1])
    life, gain = S.lifetime_gain(res, [w.name for w in workloads])
    cost = S.noc_cost_ratios(res, life.index)
    _, asym = S.asymmetry(S.program_current_models(cfg.crossbar), cfg.crossbar, cfg.pcm)
    summary = S.summary(workloads, life, gain, cost, asym, rr, cfg.crossbar)
    assert summary["n_workloads"] == 2 and summary["crossbar_n"] == 16
    assert summary["lifetime_gain_vs_spinemap_geomean"] == gain.loc["geometric mean", "spinemap"] >= 1.0
    claims = S.claims(gain, cost, rr, asym, W.table(workloads), len(small), cfg.rram)
    assert claims.shape == (6, 3) and claims["measured here"].iloc[-1] == "66 / 920"  # 36 + 20 + 10 neurons, 36 * 20 + 20 * 10 synapses
