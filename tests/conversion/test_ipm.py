"""The dense interior-point l1 path (lp_solver="ipm") against the scipy reference."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from neurobench.conversion import ipm
from neurobench.conversion.constraints import Analog
from neurobench.conversion.highs import solve_model
from neurobench.conversion.model import WeightModel
from neurobench.conversion.problem import NeuronProblem
from random_layer import layer, objectives


def _model(R, lo=-np.inf, hi=np.inf, **kw):
    n = R.shape[1]
    return WeightModel(G=R, M=None, lb=np.full(n, lo), ub=np.full(n, hi), integer=np.zeros(n, bool),
                       bias=True, **kw)


@pytest.mark.parametrize("S,n", [(60, 10), (30, 45), (200, 120)])  # over- and underdetermined
@pytest.mark.parametrize("i_th", [0.0, 0.3])
def test_objective_matches_scipy_and_gap_is_certified(S, n, i_th):
    """Same optimum as HiGHS to 1e-8 relative, the reported gap bounds the difference, and the
    objective is the l1 + hinge value of the returned point (recomputed here)."""
    R, Z, silent = layer(S + n, S=S, n=n, m=4)
    for j in range(Z.shape[1]):
        prob = NeuronProblem(R=R, z=Z[:, j], silent=silent[:, j], i_th=i_th)
        ref = solve_model(prob, _model(R), "l1", time_limit=30.0, mip_rel_gap=1e-4)
        got = solve_model(prob, _model(R), "l1", time_limit=30.0, mip_rel_gap=1e-4, lp_solver="ipm")
        assert got.message.startswith("dense interior point"), got.message
        current = R @ got.x + got.beta_var
        a = ~silent[:, j]
        value = np.abs(current[a] - Z[a, j]).sum() + np.maximum(current[~a] - i_th, 0).sum()
        assert got.fun == pytest.approx(value, rel=1e-12, abs=1e-12)
        gap = float(got.message.rpartition(" ")[2])
        assert 0 <= gap <= 1e-8 * (1 + ref.fun)
        assert got.fun - ref.fun <= gap + 1e-9 * (1 + ref.fun)
        assert got.fun == pytest.approx(ref.fun, rel=1e-8, abs=1e-9)


def test_exact_fit_when_underdetermined():
    """More weights than samples and no silent sample: the optimum 0 is reached (an exact fit)."""
    rng = np.random.default_rng(3)
    R = rng.random((20, 50))
    z = rng.normal(size=20)
    got = ipm.dual_l1(np.hstack([R, np.ones((20, 1))]), z, np.zeros(20, bool), 0.0)
    assert got is not None and got.objective <= 1e-8  # gap_tol (1 + 0): the summed error
    np.testing.assert_allclose(R @ got.v[:50] + got.v[50], z, atol=1e-8)


def test_binding_bounds_fall_back_to_highs():
    """The interior point ignores the weight bounds: when its point violates them the LP goes to
    scipy (same result as lp_solver="scipy")."""
    R, Z, silent = layer(1)
    prob = NeuronProblem(R=R, z=Z[:, 0], silent=silent[:, 0])
    free = ipm.solve(prob, _model(R))
    assert free is not None and np.abs(free[0]).max() > 0.05
    tight = _model(R, -0.05, 0.05)
    assert ipm.solve(prob, tight) is None
    ref = solve_model(prob, tight, "l1", time_limit=10.0, mip_rel_gap=1e-4)
    got = solve_model(prob, tight, "l1", time_limit=10.0, mip_rel_gap=1e-4, lp_solver="ipm")
    assert not got.message.startswith("dense interior point")
    np.testing.assert_array_equal(got.x, ref.x)


@pytest.mark.parametrize("case", ["linf", "penalty", "budget", "hard", "band", "deadzone", "integer"])
def test_applies_only_to_plain_l1(case):
    R, Z, silent = layer(0)
    prob = NeuronProblem(R=R, z=Z[:, 0], silent=silent[:, 0],
                         silent_mode="hard" if case == "hard" else "hinge",
                         max_error=np.full(len(R), 2.0) if case == "band" else None)
    model = _model(R, -2.0, 2.0)
    model = {"penalty": model.replace(penalty=0.1), "budget": model.replace(abs_coef=np.ones(R.shape[1]), abs_limit=3.0),
             "integer": model.replace(integer=np.ones(R.shape[1], bool))}.get(case, model)
    assert ipm.applies(NeuronProblem(R=R, z=Z[:, 0], silent=silent[:, 0]), _model(R, -2.0, 2.0), "l1", None, True)
    assert not ipm.applies(prob, model, "linf" if case == "linf" else "l1",
                           np.ones(len(R)) if case == "deadzone" else None, True)


def test_layer_objectives_match_scipy():
    """Through the family option: every neuron of a layer, same objectives as the reference."""
    ref, _ = objectives(Analog(w_min=-2.0, w_max=2.0, lp_solver="scipy"))
    got, sol = objectives(Analog(w_min=-2.0, w_max=2.0, lp_solver="ipm"))
    assert all(s.status == "optimal" for s in sol.solutions)
    np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-9)


def test_unknown_solver_is_named():
    with pytest.raises(ValidationError, match="lp_solver"):
        Analog(lp_solver="ipx")


@pytest.mark.parametrize("n,path", [(ipm.AUTO_MIN_VARIABLES - 1, "scipy"), (ipm.AUTO_MIN_VARIABLES, "ipm")])
def test_auto_takes_the_interior_point_for_wide_layers_only(n, path):
    """The families' default ``lp_solver="auto"``: the interior point from AUTO_MIN_VARIABLES
    inputs on, scipy's simplex (the reports' reference) below."""
    assert Analog().lp_solver == "auto"
    rng = np.random.default_rng(n)
    R = rng.random((120, n))
    z = R @ rng.normal(0, 0.05, n)
    prob = NeuronProblem(R=R, z=z, silent=z < 0)
    got = solve_model(prob, _model(R, -8.0, 8.0), "l1", time_limit=30.0, mip_rel_gap=1e-4, lp_solver="auto")
    assert got.message.startswith("dense interior point") == (path == "ipm"), got.message
