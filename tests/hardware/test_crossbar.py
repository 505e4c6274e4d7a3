"""Nodal crossbar solver: hand-solved circuits and ladders, Ohm's law without wires, the series
limit, and agreement with the sparse SuperLU reference (``hardware.nodal_reference``)."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.hardware.crossbar import (
    CrossbarParams,
    bias_voltages,
    program_currents,
    read_voltages,
    series_currents,
)
from neurobench.hardware.nodal_reference import program_currents_sparse, read_voltages_sparse


def test_one_by_two_crossbar_matches_hand_solved_kcl():
    # all resistances 1 ohm, v_prog 1 V. Selecting cell (0, 0) under V/2, KCL gives
    # w0 = 7/11, b0 = 7/22, so I = 7/22 A; selecting (0, 1) gives I = 5/22 A. Under V/3 the
    # unselected BL sits at 2/3 V and (0, 0) carries 1/3 A.
    g = np.ones((1, 2))
    v2 = program_currents(CrossbarParams(r_wl=1.0, r_bl=1.0, r_cell=1.0, bias="V/2"), g)
    np.testing.assert_allclose(v2, [[7 / 22, 5 / 22]], rtol=1e-12)
    v3 = program_currents(CrossbarParams(r_wl=1.0, r_bl=1.0, r_cell=1.0, bias="V/3"), g)
    np.testing.assert_allclose(v3[0, 0], 1 / 3, rtol=1e-12)


def test_single_cell_is_a_series_circuit():
    p = CrossbarParams(n=1, r_wl=3.0, r_bl=7.0, r_cell=90.0, v_prog=2.0)
    np.testing.assert_allclose(program_currents(p), [[2.0 / 100.0]], rtol=1e-12)


@pytest.mark.parametrize("bias", ["V/2", "V/3"])
def test_zero_wire_resistance_gives_ohms_law(bias):
    rng = np.random.default_rng(0)
    g = 1.0 / rng.uniform(5e3, 50e3, (6, 6))
    p = CrossbarParams(n=6, r_wl=0.0, r_bl=0.0, v_prog=1.3, bias=bias)
    np.testing.assert_allclose(program_currents(p, g), 1.3 * g, rtol=1e-13)
    np.testing.assert_allclose(read_voltages(p, g), np.full((6, 6), p.v_read), rtol=1e-13)


@pytest.mark.parametrize("r_wl, r_bl", [(0.0, 2.5), (2.5, 0.0)])
def test_one_ideal_line_family_matches_the_series_limit(r_wl, r_bl):
    # with one family of ideal wires and all other cells open, the nodal current is the series one
    n = 5
    p = CrossbarParams(n=n, r_wl=r_wl, r_bl=r_bl, r_cell=1e3)
    for i, j in [(0, 0), (2, 3), (4, 4)]:
        g = np.zeros((n, n))
        g[i, j] = 1e-3
        np.testing.assert_allclose(program_currents(p, g)[i, j], series_currents(p, g)[i, j], rtol=1e-12)


def test_nodal_equals_series_formula_when_other_cells_are_open():
    n = 8
    p = CrossbarParams(n=n, r_wl=2.5, r_bl=4.0, r_cell=10e3)
    for i, j in [(0, 0), (0, 7), (7, 0), (3, 5)]:
        g = np.zeros((n, n))
        g[i, j] = 1e-4
        expected = 1.0 / (1e4 + 2.5 * (j + 1) + 4.0 * (n - i))
        np.testing.assert_allclose(program_currents(p, g)[i, j], expected, rtol=1e-12)


def test_current_falls_with_distance_from_the_drivers():
    p = CrossbarParams(n=16, r_wl=10.0, r_bl=10.0)
    i = program_currents(p)
    # weakest cell (highest current) is next to both drivers: bottom row, first column
    assert np.unravel_index(np.argmax(i), i.shape) == (15, 0)
    assert np.unravel_index(np.argmin(i), i.shape) == (0, 15)
    assert np.all(np.diff(i[-1, :]) < 0) and np.all(np.diff(i[:, 0]) > 0)
    # the ideal cell current bounds every nodal current
    assert i.max() < p.v_prog / p.r_cell


def test_far_near_ratio_matches_the_summary_table():
    # summary §3 (our own computation there): N=128, r=2.5 ohm, R=10 kohm -> 0.26 (V/2), 0.28 (V/3), 0.94 series
    i2 = program_currents(CrossbarParams())
    i3 = program_currents(CrossbarParams(bias="V/3"))
    s = series_currents(CrossbarParams())
    assert i2[0, -1] / i2[-1, 0] == pytest.approx(0.26, abs=0.005)
    assert i3[0, -1] / i3[-1, 0] == pytest.approx(0.28, abs=0.005)
    assert s[0, -1] / s[-1, 0] == pytest.approx(0.94, abs=0.005)


def test_read_voltages_conserve_current_at_the_bitline_drivers():
    p = CrossbarParams(n=6, r_wl=5.0, r_bl=5.0, r_cell=1e3)
    g = p.conductance()
    v = read_voltages(p, g)
    assert np.all(v > 0) and np.all(v < p.v_read)
    # inactive rows carry (almost) no cell current compared with active ones
    active = np.array([True, False, True, False, False, False])
    v_part = read_voltages(p, g, active)
    assert np.abs(v_part[~active]).max() < 0.05 * np.abs(v_part[active]).max()


def test_bias_voltages_and_parameter_checks():
    assert bias_voltages("V/3", 3.0) == (3.0, 1.0, 0.0, 2.0)
    with pytest.raises(ValueError, match="r_wl"):
        CrossbarParams(r_wl=-1.0)
    with pytest.raises(ValueError, match="bias"):
        CrossbarParams(bias="V/4")
    with pytest.raises(ValueError, match="g must be .* >= 0 S"):
        program_currents(CrossbarParams(), np.array([[1e-4, -1e-4]]))
    with pytest.raises(ValueError, match="g must be"):
        read_voltages(CrossbarParams(), np.array([[np.nan]]))


# --- the structured solver against closed forms and the sparse reference --------------------


def _ladder_currents(n, r_line, shunt, v):
    """Single driven line of ``n`` nodes, segments ``r_line`` ohm, each node shunted by
    ``shunt`` S to its cross line's driver (V/2 scheme: all at v/2 except the selected one at 0).
    Selected node j carries ``shunt * (v/2) [1 + C_j / C - shunt S_j C_j / (c sinh t C)]`` with
    ``cosh t = 1 + shunt r_line / 2``, ``C_j = cosh(t (n - 1/2 - j))``, ``C = cosh(t (n + 1/2))``,
    ``S_j = sinh(t (j + 1))``, ``c = 1 / r_line`` (the line's Green's function, by hand)."""
    t = np.arccosh(1 + shunt * r_line / 2)
    j = np.arange(n)
    cj, c_end, sj = np.cosh(t * (n - 0.5 - j)), np.cosh(t * (n + 0.5)), np.sinh(t * (j + 1))
    return shunt * v / 2 * (1 + cj / c_end - shunt * sj * cj * r_line / (np.sinh(t) * c_end))


@pytest.mark.parametrize("r_bl", [0.0, 40.0])
def test_single_row_is_the_hand_solved_resistor_ladder(r_bl):
    # one wordline of 9 cells: each bitline is the cell in series with its driver segment
    n, r_wl, r_cell, v = 9, 3.0, 500.0, 1.7
    p = CrossbarParams(r_wl=r_wl, r_bl=r_bl, r_cell=r_cell, v_prog=v, bias="V/2")
    got = program_currents(p, np.full((1, n), 1 / r_cell))
    np.testing.assert_allclose(got[0], _ladder_currents(n, r_wl, 1 / (r_cell + r_bl), v), rtol=1e-12)


@pytest.mark.parametrize("r_wl", [0.0, 40.0])
def test_single_column_is_the_same_ladder_counted_from_the_bottom(r_wl):
    m, r_bl, r_cell, v = 7, 2.0, 300.0, 1.1
    p = CrossbarParams(r_wl=r_wl, r_bl=r_bl, r_cell=r_cell, v_prog=v, bias="V/2")
    got = program_currents(p, np.full((m, 1), 1 / r_cell))
    np.testing.assert_allclose(got[::-1, 0], _ladder_currents(m, r_bl, 1 / (r_cell + r_wl), v), rtol=1e-12)


def test_single_row_read_is_the_grounded_ladder():
    # read: row at v_read, every bitline driver at 0 V: w_j = v cosh(t (n - 1/2 - j)) / cosh(t (n + 1/2))
    n, r_wl, r_bl, r_cell = 12, 4.0, 10.0, 200.0
    p = CrossbarParams(r_wl=r_wl, r_bl=r_bl, r_cell=r_cell)
    shunt = 1 / (r_cell + r_bl)
    t = np.arccosh(1 + shunt * r_wl / 2)
    w = p.v_read * np.cosh(t * (n - 0.5 - np.arange(n))) / np.cosh(t * (n + 0.5))
    np.testing.assert_allclose(read_voltages(p, np.full((1, n), 1 / r_cell))[0], w * r_cell / (r_cell + r_bl), rtol=1e-12)


def test_vanishing_wire_resistance_approaches_ohms_law_linearly():
    # I = (V / R) (1 - k r + O(r^2)): the deficit over r is the same at r = 1e-6 and 1e-9 ohm
    deficits = []
    for r in (1e-6, 1e-9):
        p = CrossbarParams(n=16, r_wl=r, r_bl=r)
        deficits.append((1 - program_currents(p) * p.r_cell / p.v_prog) / r)
    assert deficits[0].min() > 0
    np.testing.assert_allclose(deficits[1], deficits[0], rtol=1e-3)


CASES = [((1, 1), 2.5, 2.5), ((3, 5), 2.5, 2.5), ((6, 4), 1.0, 7.0), ((9, 9), 0.0, 3.0), ((9, 9), 3.0, 0.0),
         ((5, 7), 0.0, 0.0), ((24, 24), 2.5, 2.5)]


@pytest.mark.parametrize("shape, r_wl, r_bl", CASES)
@pytest.mark.parametrize("bias", ["V/2", "V/3"])
def test_structured_solver_matches_the_sparse_reference(shape, r_wl, r_bl, bias):
    rng = np.random.default_rng(sum(shape))
    g = 1 / rng.uniform(5e3, 50e3, shape)
    g[rng.random(shape) < 0.2] = 0.0  # some open cells
    p = CrossbarParams(r_wl=r_wl, r_bl=r_bl, bias=bias)
    got, ref = program_currents(p, g), program_currents_sparse(p, g)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())
    active = rng.random(shape[0]) < 0.5
    np.testing.assert_allclose(read_voltages(p, g, active), read_voltages_sparse(p, g, active),
                               rtol=1e-10, atol=1e-10 * p.v_read)


@pytest.mark.slow
def test_structured_solver_matches_the_sparse_reference_at_128():
    rng = np.random.default_rng(128)
    g = 1 / rng.uniform(5e3, 50e3, (128, 128))
    p = CrossbarParams()
    np.testing.assert_allclose(program_currents(p, g), program_currents_sparse(p, g), rtol=1e-10)
    np.testing.assert_allclose(read_voltages(p, g), read_voltages_sparse(p, g), rtol=1e-10)


def test_nodal_solve_bits_do_not_depend_on_the_blas_thread_count():
    """A multi-threaded BLAS sums the dense block products in another order (1.7e-13 apart on a
    128 x 128 crossbar); the solver runs them on one thread whatever the caller allows."""
    from threadpoolctl import threadpool_limits

    params = CrossbarParams(n=128, r_wl=2.5, r_bl=2.5)
    g = np.random.default_rng(3).uniform(0.5, 2.0, (128, 128)) / params.r_cell
    results = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            results.append((program_currents(params, g), read_voltages(params, g)))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
