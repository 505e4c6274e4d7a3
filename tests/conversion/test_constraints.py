"""Constraint families: validation, YAML mapping, and what each family guarantees when solved."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from neurobench.conversion.constraints import (
    Analog,
    ChipConstraints,
    Digital,
    Hybrid,
    digital_scale,
)
from neurobench.conversion.problem import SolverFailure
from neurobench.conversion.solve import solve_neuron
from neurobench.schema import replace


def relu_instance(seed: int, S: int, n: int, *, w_lo=-1.0, w_hi=1.0, bias=0.0, centre=True):
    """Non-negative rates R, weights w in [w_lo, w_hi], ReLU targets (centred: half silent)."""
    rng = np.random.default_rng(seed)
    R = rng.random((S, n))
    w = rng.uniform(w_lo, w_hi, n)
    a = R @ w + bias
    if centre:
        a = a - np.median(a)
    return R, w, np.maximum(a, 0.0), a <= 0


# ---------------------------------------------------------------------------------------------
# validation and the params.yaml mapping


def invalid_field(cls, strict: bool = False, **kwargs) -> tuple[str, str]:
    """``(field, message)`` of the one validation error of ``cls(**kwargs)``."""
    with pytest.raises(ValidationError) as info:
        cls.model_validate(kwargs, strict=strict)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return ".".join(map(str, errors[0]["loc"])), errors[0]["msg"]


@pytest.mark.parametrize("kwargs, field, allowed", [
    (dict(w_min=1.0, w_max=0.0), "w_max", r"must be >= w_min \(1.0\)"),
    (dict(w_min=float("nan")), "w_min", "NaN"),
    (dict(w_min=math.inf, w_max=math.inf), "w_min", "< inf"),
    (dict(differential=True), "g_max", "need g_max > 0"),
    (dict(g_max=0.5), "g_max", "only used with differential"),
    (dict(differential=True, g_max=-1.0), "g_max", "greater than 0"),
    (dict(differential=True, g_max=0.5, w_min=1.0, w_max=2.0), "g_max", "does not meet"),
    (dict(total_conductance=-1.0), "total_conductance", "greater than or equal to 0"),
    (dict(fan_in=-1), "fan_in", "greater than or equal to 0"),
    (dict(fan_in=3, w_min=-math.inf), "fan_in", "finite weight range"),
    (dict(time_limit=0.0), "time_limit", "greater than 0"),
    (dict(time_limit=math.inf), "time_limit", "finite"),
    (dict(mip_rel_gap=-0.1), "mip_rel_gap", "greater than or equal to 0"),
    (dict(w_max=2.0, wmax=3.0), "wmax", "Extra inputs"),
])
def test_analog_validation_names_the_field(kwargs, field, allowed):
    where, message = invalid_field(Analog, **kwargs)
    assert where == field
    assert re.search(allowed, message), message


@pytest.mark.parametrize("cls, kwargs, field, allowed", [
    (Digital, dict(bits=1), "bits", "greater than or equal to 2"),
    (Digital, dict(bits=25), "bits", "less than or equal to 24"),
    (Digital, dict(bits=4.5), "bits", "integer"),
    (Digital, dict(scale=0.0), "scale", "greater than 0"),
    (Digital, dict(method="exact"), "method", "'milp', 'round' or 'iterative'"),
    (Digital, dict(iterative_fraction=0.0), "iterative_fraction", "greater than 0"),
    (Digital, dict(iterative_fraction=1.5), "iterative_fraction", "less than or equal to 1"),
    (Hybrid, dict(max_multiplicity=0), "max_multiplicity", "greater than or equal to 1"),
    (Hybrid, dict(n_types=3), "n_types", "even"),
    (Hybrid, dict(s_max=0.0), "s_max", "greater than 0"),
    (Hybrid, dict(assignment="some"), "assignment", "'all' or 'grouped'"),
    (Hybrid, dict(m_step="round", fan_in=2), "fan_in", "m_step: 'milp'"),
    (Hybrid, dict(tol=-1e-3), "tol", "greater than or equal to 0"),
])
def test_digital_and_hybrid_validation(cls, kwargs, field, allowed):
    where, message = invalid_field(cls, **kwargs)
    assert where == field
    assert re.search(allowed, message), message


def test_strict_mode_rejects_what_lax_mode_converts():
    """In the package (lax) 4.0 bits is 4; from params.yaml (strict) it is an error."""
    assert Digital(bits=4.0).bits == 4 and Digital(bits=np.int64(5)).bits == 5
    assert invalid_field(Digital, strict=True, bits=4.0)[0] == "bits"
    assert invalid_field(Analog, strict=True, differential="yes", g_max=1.0)[0] == "differential"


def test_families_are_frozen_and_replaced_with_validation():
    c = Digital(bits=3)
    with pytest.raises(ValidationError):
        c.bits = 5
    assert replace(c, scale=0.25) == Digital(bits=3, scale=0.25)
    with pytest.raises(ValidationError, match="scale"):
        replace(c, scale=-1.0)


def test_chip_constraints_dispatch_on_the_family_tag_and_round_trip():
    adapter = TypeAdapter(ChipConstraints)
    for c in (Analog(w_min=0.0, w_max=2.0, fan_in=3),
              Analog(differential=True, g_max=0.5, total_conductance=4.0),
              Digital(bits=5, scale=0.01, method="iterative", bias_on_grid=True),
              Hybrid(max_multiplicity=2, n_types=4, assignment="grouped")):
        d = c.model_dump()
        assert d["family"] == c.family
        assert adapter.validate_python(d, strict=True) == c
        assert type(c).model_validate(d) == c
    assert adapter.validate_python({"family": "digital", "bits": 3}).levels == 3
    assert adapter.validate_python({"family": "analog", "w_min": -math.inf}).bounds == (-math.inf, 1.0)
    with pytest.raises(ValidationError) as info:
        adapter.validate_python({"family": "digital", "bitz": 3})
    # pydantic puts the family tag in the location; neurobench.config drops it from the key path
    assert info.value.errors()[0]["loc"] == ("digital", "bitz")
    with pytest.raises(ValidationError, match="quantum"):
        adapter.validate_python({"family": "quantum"})
    with pytest.raises(ValidationError, match="family"):
        adapter.validate_python({"bits": 3})


def test_effective_bounds_and_levels():
    assert Analog(w_min=-1.0, w_max=2.0, differential=True, g_max=0.5).bounds == (-0.5, 0.5)
    assert [Digital(bits=b).levels for b in (2, 4, 8)] == [1, 7, 127]
    lo, hi = Hybrid(n_types=4).type_bounds
    assert lo.tolist() == [0, 0, -1, -1] and hi.tolist() == [1, 1, 0, 0]
    assert digital_scale(np.array([0.5, -1.4, 0.7]), 4) == pytest.approx(0.2)
    assert digital_scale(np.zeros(3), 4) == 1.0


# ---------------------------------------------------------------------------------------------
# analog


def test_analog_bounds_respected_and_binding():
    R, w, z, sil = relu_instance(1, 150, 10, w_lo=-2.0, w_hi=2.0)
    sol = solve_neuron(R, z, sil, constraints=Analog(w_min=-0.6, w_max=0.8))
    assert sol.status == "optimal"
    assert sol.weights.min() >= -0.6 - 1e-9 and sol.weights.max() <= 0.8 + 1e-9
    assert np.isclose(sol.weights.min(), -0.6) or np.isclose(sol.weights.max(), 0.8)
    assert sol.objective > 1e-3   # the generating weights are outside the box


def test_differential_pairs_and_total_conductance():
    R, w, z, sil = relu_instance(2, 150, 10)
    free = solve_neuron(R, z, sil, constraints=Analog(differential=True, g_max=1.0))
    assert free.status == "optimal"
    np.testing.assert_allclose(free.weights, w, atol=1e-7)           # g_max = 1 is not binding
    assert np.all((free.w_plus >= 0) & (free.w_plus <= 1.0))
    assert np.all((free.w_minus >= 0) & (free.w_minus <= 1.0))
    np.testing.assert_array_equal(free.w_plus - free.w_minus, free.weights)

    narrow = solve_neuron(R, z, sil, constraints=Analog(differential=True, g_max=0.4))
    assert narrow.w_plus.max() <= 0.4 + 1e-9 and narrow.w_minus.max() <= 0.4 + 1e-9

    G = 0.5 * np.abs(w).sum()   # tight: half the conductance the exact weights need
    tc = solve_neuron(R, z, sil, constraints=Analog(differential=True, g_max=1.0,
                                                    total_conductance=G))
    assert tc.status == "optimal"
    assert (tc.w_plus + tc.w_minus).sum() == pytest.approx(G, rel=1e-7)  # binding
    assert tc.objective > free.objective + 1e-3
    loose = solve_neuron(R, z, sil, constraints=Analog(total_conductance=10 * np.abs(w).sum()))
    np.testing.assert_allclose(loose.weights, w, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# digital


@pytest.mark.parametrize("method", ["milp", "round", "iterative"])
def test_digital_weights_on_grid_and_in_range(method):
    R, w, z, sil = relu_instance(3, 80, 12, centre=True)
    c = Digital(bits=3, method=method, time_limit=5.0)
    sol = solve_neuron(R, z, sil, constraints=c)
    K = c.levels
    assert sol.levels.dtype == np.int64
    assert np.all(np.abs(sol.levels) <= K)
    np.testing.assert_array_equal(sol.weights, sol.scale * sol.levels)
    assert sol.scale == pytest.approx(np.abs(
        solve_neuron(R, z, sil, constraints=Analog(w_min=-math.inf, w_max=math.inf)).weights).max() / K)
    assert sol.status == ("optimal" if method == "milp" else "heuristic")
    assert (sol.mip_gap is not None) == (method == "milp")

    # a caller-given per-layer scale and an on-grid bias
    sol2 = solve_neuron(R, z, sil, constraints=Digital(bits=3, method=method, scale=0.05,
                                                       bias_on_grid=True))
    np.testing.assert_array_equal(sol2.weights, 0.05 * sol2.levels)
    assert sol2.bias == 0.05 * sol2.bias_level and abs(sol2.bias_level) <= K


def test_digital_objective_ordering():
    """The exact MILP is never worse than the heuristics; on this instance iterative rounding
    also beats plain rounding (seed chosen so that both gaps are visible)."""
    R, w, z, sil = relu_instance(2, 80, 12, centre=True)
    obj = {m: solve_neuron(R, z, sil, constraints=Digital(bits=3, method=m)).objective
           for m in ("milp", "iterative", "round")}
    assert obj["milp"] == pytest.approx(2.4624, abs=1e-3)
    assert obj["milp"] < obj["iterative"] - 1e-3 < obj["round"] - 2e-3
    for seed in (0, 1, 3):
        R, w, z, sil = relu_instance(seed, 80, 12, centre=True)
        o = {m: solve_neuron(R, z, sil, constraints=Digital(bits=3, method=m)).objective
             for m in ("milp", "iterative", "round")}
        assert o["milp"] <= min(o["iterative"], o["round"]) + 1e-7


def test_digital_time_limit_is_reported_not_optimal():
    R, w, z, sil = relu_instance(1, 1000, 64)
    try:
        sol = solve_neuron(R, z, sil, constraints=Digital(bits=4, method="milp", time_limit=0.3))
    except SolverFailure as failure:  # a loaded machine may stop before the first incumbent
        assert "time_limit" in str(failure)
        return
    assert sol.status == "time_limit"
    assert sol.mip_gap is None or sol.mip_gap > 1e-4
    K = 7
    assert np.all(np.abs(sol.levels) <= K)
    np.testing.assert_array_equal(sol.weights, sol.scale * sol.levels)


# ---------------------------------------------------------------------------------------------
# hybrid


@pytest.mark.parametrize("kw", [dict(), dict(m_step="round"),
                                dict(n_types=4, max_multiplicity=2),
                                dict(excitatory_inhibitory=False, n_types=3)])
def test_hybrid_integer_multiplicities_and_monotone_alternation(kw):
    R, w, z, sil = relu_instance(4, 40, 6)
    c = Hybrid(**{"max_multiplicity": 3, "max_iter": 8, **kw})
    sol = solve_neuron(R, z, sil, constraints=c)
    M, T = c.max_multiplicity, c.n_types
    assert sol.levels.shape == (6, T) and sol.levels.dtype == np.int64
    assert sol.levels.min() >= 0 and sol.levels.max() <= M
    lo, hi = c.type_bounds
    assert np.all(sol.scale >= lo - 1e-12) and np.all(sol.scale <= hi + 1e-12)
    np.testing.assert_allclose(sol.weights, sol.levels @ sol.scale, rtol=0, atol=1e-12)
    h = np.array(sol.history)
    assert len(h) == sol.iterations >= 1
    assert np.all(np.diff(h) <= 1e-12)            # non-increasing over alternations
    assert sol.objective == pytest.approx(h[-1], rel=1e-9, abs=1e-12)
    assert sol.status == "heuristic"                # stalled before max_iter
    assert sol.objective < 0.7 * np.abs(z[~sil]).sum()  # far better than w = 0


def test_hybrid_grouped_types():
    R, w, z, sil = relu_instance(5, 80, 10)
    types = (w < 0).astype(int)           # TrueNorth-style: one type per input axon
    c = Hybrid(max_multiplicity=1, assignment="grouped")
    sol = solve_neuron(R, z, sil, constraints=c, input_types=types)
    # each input uses only its own type column
    assert np.all(sol.levels[np.arange(10), 1 - types] == 0)
    assert set(np.unique(sol.levels)) <= {0, 1}
    assert sol.scale[0] >= 0 >= sol.scale[1]
    with pytest.raises(ValueError, match="input_types"):
        solve_neuron(R, z, sil, constraints=Hybrid(n_types=4, assignment="grouped"))


# ---------------------------------------------------------------------------------------------
# fan-in


def test_fan_in_exact_recovery_and_limit():
    rng = np.random.default_rng(6)
    S, n = 120, 10
    R = rng.random((S, n))
    w = np.zeros(n)
    w[[1, 4, 7]] = [0.8, -0.5, 0.6]
    a = R @ w + 0.05
    z, sil = np.maximum(a, 0), a <= 0
    for k in (3, 5):
        sol = solve_neuron(R, z, sil, constraints=Analog(fan_in=k))
        assert sol.status == "optimal"
        np.testing.assert_allclose(sol.weights, w, atol=1e-7)
        assert sol.bias == pytest.approx(0.05, abs=1e-7)
    sol = solve_neuron(R, z, sil, constraints=Analog(fan_in=2))
    assert np.count_nonzero(sol.weights) <= 2 and sol.objective > 1e-3
    dig = solve_neuron(R, z, sil, constraints=Digital(bits=4, fan_in=2))
    assert np.count_nonzero(dig.levels) <= 2
    for method in ("round", "iterative"):
        d = solve_neuron(R, z, sil, constraints=Digital(bits=4, fan_in=2, method=method))
        assert np.count_nonzero(d.levels) <= 2
    hyb = solve_neuron(R, z, sil, constraints=Hybrid(fan_in=2, max_iter=4))
    assert np.count_nonzero(hyb.levels.sum(axis=1)) <= 2
