"""The warm-started highspy LP path (lp_solver="highspy") against the scipy reference."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from pydantic import ValidationError

from neurobench.conversion import warm
from neurobench.conversion.constraints import Analog, Digital
from neurobench.conversion.highs import solve_model
from neurobench.conversion.layer import PoolOptions, _chunks, solve_layer
from neurobench.conversion.model import WeightModel
from neurobench.conversion.problem import NeuronProblem
from random_layer import layer, objectives


ANALOG = [dict(w_min=-2.0, w_max=2.0), dict(w_min=-2.0, w_max=2.0, total_conductance=3.0),
          dict(w_min=-2.0, w_max=2.0, weight_penalty=0.05), dict(w_min=0.0, w_max=2.0, weight_penalty=0.05),
          dict(w_min=-1.0, w_max=1.0, differential=True, g_max=1.0, total_conductance=4.0)]


@pytest.mark.parametrize("objective", ["l1", "linf"])
@pytest.mark.parametrize("silent_mode,max_error", [("hinge", None), ("hard", None), ("hinge", 2.0),
                                                   ("hard", 2.0)])
@pytest.mark.parametrize("kw", ANALOG)
def test_analog_objective_matches_scipy(objective, silent_mode, max_error, kw):
    ref, _ = objectives(Analog(**kw, lp_solver="scipy"), objective, silent_mode, max_error)
    before = dict(warm.STATS)
    got, _ = objectives(Analog(**kw, lp_solver="highspy"), objective, silent_mode, max_error)
    assert warm.STATS["solves"] - before["solves"] == len(got)   # every neuron took the warm path
    assert warm.STATS["builds"] - before["builds"] == 1          # ... in one model
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("objective", ["l1", "linf"])
def test_relaxation_of_a_grid_model_matches_scipy(objective):
    """The digital and hybrid heuristics solve LPs in scaled variables (``w = M x``, a bias on
    the grid): same optimum as the reference. (Their rounded weights can differ when the
    relaxation is degenerate: another optimal vertex rounds elsewhere.)"""
    R, Z, silent = layer(3)
    step = 0.25
    for j in range(Z.shape[1]):
        prob = NeuronProblem(R=R, z=Z[:, j], silent=silent[:, j])
        model = WeightModel(G=R * step, M=step * np.eye(R.shape[1]), lb=np.full(R.shape[1], -7.0),
                            ub=np.full(R.shape[1], 7.0), integer=np.zeros(R.shape[1], bool), bias=True,
                            bias_coef=step, bias_lb=-7.0, bias_ub=7.0, penalty=0.01)
        ref, got = (solve_model(prob, model, objective, time_limit=10.0, mip_rel_gap=1e-4, lp_solver=lp)
                    for lp in ("scipy", "highspy"))
        assert got.message.startswith("warm")
        np.testing.assert_allclose(got.fun, ref.fun, rtol=1e-7, atol=1e-9)


def test_deterministic_and_independent_of_workers():
    c = Analog(w_min=-2.0, w_max=2.0, lp_solver="highspy", warm_chunk=4)
    R, Z, silent = layer(1, m=10)
    runs = [solve_layer(R, Z, silent, 0.0, "l1", c, ex, parallel=PoolOptions(max_workers=w, chunk_size=1),
                        progress=False).weights
            for ex, w in ((None, 1), (None, 1), (ThreadPoolExecutor(3), 3))]
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    assert [len(ch) for ch in _chunks(10, 1, 3, c.warm_chunk)] == [4, 4, 2]


def test_outside_a_chunk_nothing_is_kept():
    R, Z, silent = layer(2)
    from neurobench.conversion.solve import solve_neuron
    c = Analog(w_min=-2.0, w_max=2.0, lp_solver="highspy")
    a = solve_neuron(R, Z[:, 0], silent[:, 0], constraints=c)
    solve_neuron(R, Z[:, 1], silent[:, 1], constraints=c)
    b = solve_neuron(R, Z[:, 0], silent[:, 0], constraints=c)
    assert np.array_equal(a.weights, b.weights)


def test_lp_solver_is_validated():
    with pytest.raises(ValidationError, match="lp_solver"):
        Analog(lp_solver="gurobi")
    with pytest.raises(ValidationError, match="warm_chunk"):
        Digital(warm_chunk=0)


@pytest.mark.parametrize("objective", ["l1", "linf"])
def test_iterative_rounding_runs_its_rounds_in_one_warm_model(objective):
    """Digital(method="iterative") solves one neuron's rounds (bounds change only) as one warm
    sequence: one model build per neuron, every round through it; the first relaxation has the
    cold reference's optimum, and fixing levels can only raise the relaxation (monotone history)."""
    from neurobench.conversion.solve import solve_neuron
    R, Z, silent = layer(4, S=80, n=12)
    c = Digital(bits=4, method="iterative", iterative_fraction=0.25)
    for j in range(Z.shape[1]):
        before = dict(warm.STATS)
        sol = solve_neuron(R, Z[:, j], silent[:, j], objective=objective, constraints=c)
        rounds = sol.iterations
        assert warm.STATS["builds"] - before["builds"] == 1
        assert warm.STATS["solves"] - before["solves"] == rounds + 1   # the rounds and the bias re-fit
        assert sol.levels is not None and np.all(np.abs(sol.levels) <= c.levels)
        assert np.allclose(sol.weights, sol.scale * sol.levels)
        hist = np.asarray(sol.history)
        assert len(hist) == rounds and np.all(np.diff(hist) >= -1e-7 * np.maximum(1.0, np.abs(hist[1:])))
        cold = solve_neuron(R, Z[:, j], silent[:, j], objective=objective,
                            constraints=Digital(bits=4, method="round"))
        # the first round is the plain relaxation, whose optimum a cold solve confirms
        assert hist[0] <= cold.objective + cold.penalty + 1e-7


def test_a_chunk_inside_a_chunk_gives_the_outer_model_back():
    R, Z, silent = layer(5)
    c = Analog(w_min=-2.0, w_max=2.0, lp_solver="highspy")
    from neurobench.conversion.solve import solve_neuron
    with warm.chunk():
        solve_neuron(R, Z[:, 0], silent[:, 0], constraints=c)
        outer = warm._STATE.model
        with warm.chunk():
            assert warm._STATE.model is None
            solve_neuron(R, Z[:, 1], silent[:, 1], constraints=c)
            assert warm._STATE.model is not outer
        assert warm._STATE.model is outer and warm._STATE.chunk
    assert warm._STATE.model is None and not warm._STATE.chunk
