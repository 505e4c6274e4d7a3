"""Cell ordering inside a crossbar, PSO placement, lifetime bounds and the eSpine pipeline."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from neurobench.hardware.crossbar import CrossbarParams
from neurobench.hardware.mesh import MeshParams
from neurobench.schema import replace
from neurobench.mapping import cells
from neurobench.mapping import workloads as W
from neurobench.mapping.espine import MappingConfig, map_workload, prepare
from neurobench.mapping.lifetime import effective_lifetime, endurance_ratio
from neurobench.mapping.placement import Fitness, PsoParams, decode, keys_from_assignment, pso

N = 16
CONFIG = MappingConfig(crossbar=CrossbarParams(n=N, r_wl=5.0, r_bl=5.0),
                       pso=PsoParams(particles=8, iterations=15), refine_iters=10)


def _content(rng, n_rows=6, n_cols=5, n_syn=20):
    cells_ = rng.choice(n_rows * n_cols, n_syn, replace=False)
    row, col = cells_ // n_cols, cells_ % n_cols
    a = rng.integers(1, 50, n_syn).astype(float)
    return cells.CrossbarContent(row, col, a, np.arange(n_syn), np.arange(n_rows), np.arange(n_cols))


def test_sorted_matching_maximises_min_lifetime_against_brute_force():
    # free placement lemma (summary §7.1): the package's matching (most active synapse <->
    # strongest cell) reaches the brute-force optimum of min E / a
    rng = np.random.default_rng(0)
    for _ in range(5):
        a = rng.integers(1, 100, 5).astype(float)
        e = rng.uniform(1e6, 1e7, 6)
        best = max(min(e[list(p)] / a) for p in itertools.permutations(range(6), 5))
        slot = cells.sorted_matching(a, e)
        assert len(set(slot.tolist())) == 5  # injective
        assert (e[slot] / a).min() == pytest.approx(best, rel=1e-12)
    # and the crossbar ordering reaches the optimum over all row and column permutations when
    # endurance and activation are separable (E = r_i c_j, a = u_i v_j, every cell used): the
    # minimum factorises and each factor is a free-placement problem
    for _ in range(3):
        r_phys, c_phys = rng.uniform(1, 10, 4), rng.uniform(1, 10, 4)
        e = np.outer(r_phys, c_phys) * 1e6
        u, v = rng.uniform(1, 10, 3), rng.uniform(1, 10, 3)
        row, col = np.divmod(np.arange(9), 3)
        content = cells.CrossbarContent(row, col, u[row] * v[col], np.arange(9), np.arange(3), np.arange(3))
        best = max(cells.lifetime(content, e, np.array(pr), np.array(pc))
                   for pr in itertools.permutations(range(4), 3) for pc in itertools.permutations(range(4), 3))
        aware = cells.lifetime(content, e, *cells.aware_maps(content, e, refine_iters=0))
        assert aware == pytest.approx(best, rel=1e-12)
        assert cells.lifetime(content, e, *cells.index_maps(content)) < best  # index order is not optimal here


def test_thermal_placement_puts_critical_clusters_on_cool_tiles_optimally():
    from neurobench.mapping.placement import place_by_lifetime

    rng = np.random.default_rng(5)
    for _ in range(5):
        life = rng.uniform(1e3, 1e5, 4)
        life[rng.integers(4)] = np.inf  # a cluster with no active synapse
        factor = rng.uniform(0.1, 1.0, 6)
        best = max(min(life * factor[list(p)]) for p in itertools.permutations(range(6), 4))
        tile_of = place_by_lifetime(life, factor)
        assert (life * factor[tile_of]).min() == pytest.approx(best, rel=1e-12)
        assert tile_of[np.argmin(life)] == np.argmax(factor)  # the shortest-lived cluster on the coolest tile


def test_thermal_profile_scales_each_tile_and_only_a_non_uniform_one_moves_lifetimes():
    from neurobench.hardware.thermal import ThermalParams, arrhenius_factor, tile_temperatures
    from neurobench.mapping.espine import rechip

    w = W.heart_lsm(n_in=8, reservoir=30, seed=1)
    chip = prepare(w.graph, CONFIG)
    flat = rechip(chip, replace(CONFIG, thermal=ThermalParams(t_centre_k=300.0, t_edge_k=300.0)))
    np.testing.assert_allclose(flat.tiles, chip.tiles, rtol=1e-12)  # uniform at t_amb: factor 1
    hot_cfg = replace(CONFIG, thermal=ThermalParams(t_centre_k=340.0, t_edge_k=300.0))
    hot = rechip(chip, hot_cfg)
    f = arrhenius_factor(tile_temperatures(chip.mesh, hot_cfg.thermal), CONFIG.endurance.e_a, CONFIG.endurance.t_amb)
    np.testing.assert_allclose(hot.tiles / chip.tiles, np.broadcast_to(f[:, None, None], chip.tiles.shape), rtol=1e-12)
    assert f.min() < 1.0 == f.max()  # the corners stay at t_amb
    assert hot.kl is chip.kl and hot.graph is chip.graph  # the clustering is kept


def test_aware_ordering_never_worse_than_index_order_and_within_the_bound():
    rng = np.random.default_rng(1)
    from neurobench.hardware.endurance import PcmEndurance, endurance_map

    e = endurance_map(CrossbarParams(n=8, r_wl=10.0, r_bl=10.0), PcmEndurance())
    for _ in range(10):
        content = _content(rng)
        aware = cells.lifetime(content, e, *cells.aware_maps(content, e, 20))
        index = cells.lifetime(content, e, *cells.index_maps(content))
        assert aware >= index
        assert aware / index <= e.max() / e.min() * (1 + 1e-12)
    # sorting helps a lot in this case: the hot row lands on the strongest line
    assert aware > index


def test_refinement_only_increases_lifetime():
    rng = np.random.default_rng(2)
    e = rng.uniform(1e6, 1e7, (8, 8))
    content = _content(rng, 8, 8, 40)
    start = cells.index_maps(content)
    refined = cells.refine(content, e, *start, iters=30)
    assert cells.lifetime(content, e, *refined) >= cells.lifetime(content, e, *start)
    # the maps stay injective line assignments
    assert len(set(refined[0].tolist())) == content.n_rows and len(set(refined[1].tolist())) == content.n_cols


def test_lifetimes_on_tiles_match_cell_lifetime_for_index_order():
    rng = np.random.default_rng(3)
    tiles = rng.uniform(1e6, 1e7, (4, 8, 8))
    content = _content(rng, 8, 8, 30)
    table = cells.lifetimes_on_tiles(content, tiles, aware=False)
    expected = [cells.lifetime(content, t, *cells.index_maps(content)) for t in tiles]
    np.testing.assert_allclose(table, expected, rtol=1e-12)
    aware_table = cells.lifetimes_on_tiles(content, tiles, aware=True)
    refined = [cells.lifetime(content, t, *cells.aware_maps(content, t, 10)) for t in tiles]
    assert np.all(aware_table >= table) and np.all(np.asarray(refined) >= aware_table * (1 - 1e-12))


def test_random_keys_round_trip():
    tile_of = np.array([4, 0, 7])
    assert np.array_equal(decode(keys_from_assignment(tile_of, 9), 3), tile_of)


def test_pso_is_deterministic_under_a_seed_and_never_worse_than_its_planted_start():
    rng = np.random.default_rng(4)
    traffic = rng.integers(0, 20, (6, 6)).astype(float)
    noc = MeshParams(rows=3, cols=3)
    mesh = noc.mesh()
    params = PsoParams(particles=10, iterations=20, lambda_life=0.0)
    runs = [pso(Fitness(traffic, mesh, noc, 100.0, params), 6, 9, params, seed=7, init=[np.arange(6)]) for _ in range(2)]
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    start = Fitness(traffic, mesh, noc, 100.0, params)(np.arange(6)[None])[0]
    assert runs[0][1] <= start
    other = pso(Fitness(traffic, mesh, noc, 100.0, params), 6, 9, params, seed=8, init=[np.arange(6)])
    assert len(set(other[0].tolist())) == 6


@pytest.fixture(scope="module")
def mapped():
    out = {}
    for w in (W.digit_mlp(n_in=64, hidden=40), W.heart_lsm(n_in=8, reservoir=40, seed=1)):
        out[w.name] = map_workload(w.graph, CONFIG)
    return out


def test_espine_never_worse_than_the_same_clustering_without_endurance_awareness(mapped):
    for res in mapped.values():
        assert res["espine"].lifetime >= res["spinemap_cells"].lifetime >= res["spinemap"].lifetime
        assert res["espine"].lifetime > res["spinemap"].lifetime  # strictly better on these workloads
        assert np.array_equal(res["espine"].clustering.cluster_of, res["spinemap"].clustering.cluster_of)


def test_no_lifetime_ratio_exceeds_the_endurance_spread_of_the_cells_in_use(mapped):
    w = W.digit_mlp(n_in=64, hidden=40)
    chip = prepare(w.graph, CONFIG)
    res = map_workload(w.graph, CONFIG, chip=chip)
    a = chip.activation
    used = a > 0
    for m1, m2 in itertools.permutations(res.values(), 2):
        e_cells = np.concatenate([chip.tiles[m.cell[used, 0], m.cell[used, 1], m.cell[used, 2]] for m in (m1, m2)])
        assert m1.lifetime / m2.lifetime <= endurance_ratio(e_cells) * (1 + 1e-12)
        # and each mapping's lifetime is what its cells give
        e1 = chip.tiles[m1.cell[:, 0], m1.cell[:, 1], m1.cell[:, 2]]
        assert m1.lifetime == pytest.approx(effective_lifetime(e1, a), rel=1e-12)


def test_mapping_is_deterministic_under_its_seed(mapped):
    w = W.digit_mlp(n_in=64, hidden=40)
    again = map_workload(w.graph, CONFIG)
    for name, m in mapped["digit_mlp"].items():
        assert np.array_equal(m.tile_of, again[name].tile_of) and m.lifetime == again[name].lifetime


def test_spinemap_reduces_noc_energy_against_random_placement_of_the_same_clusters(mapped):
    for res in mapped.values():
        spin, rnd = res["spinemap"], res["random"]
        assert spin.energy <= rnd.energy and spin.latency <= rnd.latency


def test_stdp_activation_and_config_errors():
    cfg = replace(CONFIG, activation="stdp")
    res = map_workload(W.heart_lsm(n_in=8, reservoir=30).graph, cfg, methods=("spinemap", "espine"))
    assert res["espine"].lifetime >= res["spinemap"].lifetime
    with pytest.raises(ValueError, match="activation"):
        MappingConfig(activation="writes")
    with pytest.raises(ValueError, match="unknown mapping methods"):
        map_workload(W.heart_lsm().graph, CONFIG, methods=("metis",))


def test_rram_aware_mapping_extends_inference_lifetime():
    from neurobench.hardware.rram import RramReadParams
    from neurobench.mapping.lifetime import rram_lifetime
    from neurobench.mapping.partition import partition_kl
    from neurobench.mapping.graph import unroll

    xbar = CrossbarParams(n=N, r_wl=5.0, r_bl=5.0)
    g = unroll(W.digit_mlp(n_in=64, hidden=40).graph, N)
    kl = partition_kl(g, N, seed=0)
    rram = RramReadParams()
    for exact in (False, True):
        base = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, rram, 300.0, aware=False, exact=exact)
        aware = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, rram, 300.0, aware=True, exact=exact)
        if not exact:  # guaranteed: the aware ordering is the better of two refined starts
            assert np.all(aware["per_cluster"] >= base["per_cluster"] * (1 - 1e-12))
        assert aware["lifetime"] > base["lifetime"]
    # hotter chips disturb sooner (Arrhenius factor of the read-disturb law)
    hot = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, rram, 360.0, aware=True, exact=False)
    cool = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, rram, 300.0, aware=True, exact=False)
    assert hot["lifetime"] < cool["lifetime"]


def test_rram_lifetime_over_temperatures_equals_one_call_per_temperature():
    from neurobench.hardware.rram import RramReadParams
    from neurobench.mapping.graph import unroll
    from neurobench.mapping.lifetime import rram_lifetime
    from neurobench.mapping.partition import partition_kl

    xbar = CrossbarParams(n=N, r_wl=5.0, r_bl=5.0)
    g = unroll(W.heart_lsm(n_in=8, reservoir=30).graph, N)
    kl = partition_kl(g, N, seed=0)
    temps = [300.0, 350.0]
    many = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, RramReadParams(), temps, aware=True)
    for k, t in enumerate(temps):
        one = rram_lifetime(g, kl.cluster_of, kl.n_clusters, xbar, RramReadParams(), t, aware=True)
        assert many["lifetime"][k] == pytest.approx(one["lifetime"], rel=1e-12)
