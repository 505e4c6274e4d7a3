"""PCM endurance law, RRAM read-disturb law and the mesh cost model against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurobench.hardware.crossbar import CrossbarParams, program_currents
from neurobench.hardware.endurance import K_B_EV, PcmEndurance, endurance_map, pcm_endurance
from neurobench.hardware.mesh import Mesh, MeshParams, noc_cost, tile_endurance
from neurobench.hardware.rram import (
    RramReadParams,
    inference_lifetime,
    read_endurance,
    weight_resistance,
)


def test_power_law_endurance_closed_form():
    law = PcmEndurance(law="power", e_ref=1e7, exponent=2.0)
    e = pcm_endurance(np.array([1e-4, 5e-5, 2e-4]), law, i_ref=1e-4)
    np.testing.assert_allclose(e, [1e7, 4e7, 2.5e6], rtol=1e-12)


def test_arrhenius_law_is_e_ref_at_i_ref_and_falls_with_current():
    law = PcmEndurance(law="arrhenius", e_ref=1e7, r_th=3e6, e_a=0.3, t_amb=300.0)
    e = pcm_endurance(np.array([1e-4, 2e-4]), law, i_ref=1e-4, r_cell=1e4)
    assert e[0] == pytest.approx(1e7, rel=1e-12)
    t1, t2 = 300 + 3e6 * 1e-8 * 1e4, 300 + 3e6 * 4e-8 * 1e4
    assert e[1] == pytest.approx(1e7 * math.exp(0.3 / K_B_EV * (1 / t2 - 1 / t1)), rel=1e-12)


def test_endurance_map_weakest_cell_is_next_to_the_drivers():
    p = CrossbarParams(n=12, r_wl=5.0, r_bl=5.0)
    law = PcmEndurance()
    e = endurance_map(p, law)
    assert np.unravel_index(np.argmin(e), e.shape) == (11, 0)
    # power law: the endurance ratio is the inverse current ratio squared
    i = program_currents(p)
    assert e.max() / e.min() == pytest.approx((i.max() / i.min()) ** 2, rel=1e-12)


def test_read_endurance_closed_form_and_directions():
    p = RramReadParams()
    assert read_endurance(0.2, 10e3, 300.0, p) == pytest.approx(1e5, rel=1e-12)
    assert read_endurance(0.25, 10e3, 300.0, p) == pytest.approx(1e5 * math.exp(-1.0), rel=1e-12)
    hot = read_endurance(0.2, 10e3, 360.0, p)
    assert hot == pytest.approx(1e5 * math.exp(0.4 / K_B_EV * (1 / 360 - 1 / 300)), rel=1e-12)
    assert read_endurance(0.2, 50e3, 300.0, p) == pytest.approx(5e5, rel=1e-12)  # high R disturbs less


def test_weight_resistance_maps_extremes_to_r_on_and_r_off():
    p = RramReadParams(r_on=1e4, r_off=1e5)
    r = weight_resistance(np.array([0.0, -2.0, 1.0]), p)
    np.testing.assert_allclose(r, [1e5, 1e4, 1 / (1e-5 + 0.5 * (1e-4 - 1e-5))], rtol=1e-12)


def test_inference_lifetime_ignores_unread_cells():
    assert inference_lifetime(np.array([100.0, 10.0, 50.0]), np.array([2.0, 0.0, 5.0])) == 10.0
    assert inference_lifetime(np.array([1.0]), np.array([0.0])) == math.inf


def test_noc_cost_counts_xy_hops():
    noc = MeshParams(rows=2, cols=3, e_spike=10.0, hop_pj=1.0, hop_ns=2.0, t_inject=1.0)
    mesh = noc.mesh()
    assert mesh.hops()[0, 5] == 3 and mesh.hops()[1, 3] == 2
    traffic = np.array([[0.0, 4.0], [1.0, 0.0]])
    energy, latency = noc_cost(traffic, np.array([0, 5]), mesh, noc, total_spikes=20.0)
    assert energy == pytest.approx(10.0 * 20 + 1.0 * 5 * 3)
    assert latency == pytest.approx(1.0 + 2.0 * 15 / 5)


def test_mesh_grows_to_fit_and_tile_variation_is_seeded():
    assert MeshParams().mesh(30).size == 36 and MeshParams().mesh(10).size == 25
    nominal = np.full((4, 4), 1e7)
    mesh = Mesh(rows=2, cols=2)
    a = tile_endurance(nominal, mesh, MeshParams(), seed=3)
    b = tile_endurance(nominal, mesh, MeshParams(), seed=3)
    assert np.array_equal(a, b) and a.shape == (4, 4, 4)
    flat = tile_endurance(nominal, mesh, MeshParams(sigma_tile=0.0, sigma_cell=0.0), seed=3)
    assert np.all(flat == 1e7)


def test_parameter_errors_name_the_parameter():
    with pytest.raises(ValueError, match="e_ref"):
        PcmEndurance(e_ref=0.0)
    with pytest.raises(ValueError, match="r_on"):
        RramReadParams(r_on=2e5)
    with pytest.raises(ValueError, match="rows"):
        MeshParams(rows=0)


def test_former_params_yaml_names_of_the_hop_costs_are_accepted():
    assert MeshParams(e_hop=1.5, t_hop=0.5) == MeshParams(hop_pj=1.5, hop_ns=0.5)


@pytest.mark.parametrize("n, shape", [(1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (10, (3, 4)), (16, (4, 4)), (17, (4, 5))])
def test_square_mesh_is_the_most_square_shape_holding_n(n, shape):
    mesh = Mesh.square(n)
    assert (mesh.rows, mesh.cols) == shape and mesh.size >= n


@pytest.mark.parametrize("rows, cols, n, shape", [(5, 5, 10, (5, 5)), (5, 5, 25, (5, 5)), (5, 5, 26, (6, 6)),
                                                  (5, 5, 30, (6, 6)), (2, 3, 7, (3, 3)), (1, 1, 0, (1, 1))])
def test_fitting_mesh_keeps_the_minimum_or_grows_to_a_square(rows, cols, n, shape):
    mesh = Mesh.fitting(rows, cols, n)
    assert (mesh.rows, mesh.cols) == shape and mesh.size >= n


def test_mesh_hops_root_and_coordinates():
    mesh = Mesh(rows=2, cols=3)
    np.testing.assert_array_equal(mesh.coordinates()[4], [1, 1])
    assert mesh.root == 4 and mesh.hops()[0, 5] == 3
    np.testing.assert_array_equal(mesh.hops(2), [[0, 1], [1, 0]])
    picked = np.array([5, 0, 4, 4])  # any order, repeats allowed
    np.testing.assert_array_equal(mesh.hops_between(picked), mesh.hops()[np.ix_(picked, picked)])
    with pytest.raises(ValueError):
        Mesh(rows=0, cols=1)


def test_thermal_profile_and_arrhenius_factor_closed_forms():
    from neurobench.hardware.thermal import ThermalParams, arrhenius_factor, tile_temperatures

    profile = ThermalParams(t_centre_k=340.0, t_edge_k=300.0)
    t = tile_temperatures(Mesh(rows=3, cols=3), profile).reshape(3, 3)
    assert t[1, 1] == pytest.approx(340.0) and t[0, 0] == t[2, 2] == pytest.approx(300.0)
    # an edge midpoint sits at distance 1 of the corner distance sqrt(2)
    assert t[0, 1] == pytest.approx(300.0 + 40.0 * (1 - 1 / math.sqrt(2)))
    assert np.all(tile_temperatures(Mesh(rows=4, cols=4), ThermalParams(t_centre_k=310.0, t_edge_k=310.0)) == 310.0)
    assert arrhenius_factor(300.0, 0.4, 300.0) == 1.0
    assert arrhenius_factor(330.0, 0.4, 300.0) == pytest.approx(math.exp(0.4 / K_B_EV * (1 / 330 - 1 / 300)))
    # the read-disturb law carries the same factor
    p = RramReadParams()
    assert read_endurance(0.2, 1e4, 330.0, p) / read_endurance(0.2, 1e4, 300.0, p) == pytest.approx(
        arrhenius_factor(330.0, p.e_a, p.t_ref))
