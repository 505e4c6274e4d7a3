"""Per-neuron objectives, silent samples, infeasibility diagnosis and the layer driver."""

from __future__ import annotations

import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from neurobench.executor import ExecutorParams

from neurobench.conversion.constraints import Analog, Digital, Hybrid
from neurobench.conversion.problem import (ConversionInfeasible, NeuronProblem, evaluate,
                                           residual_stats)
from neurobench.conversion.layer import NeuronOptions, PoolOptions, solve_layer
from neurobench.conversion.solve import solve_neuron, solve_problem


def instance(seed: int, S: int = 200, n: int = 16, *, bias: float = 0.1, i_th: float = 0.0,
             noise: float = 0.0):
    """Non-negative rates, weights in [-1, 1], targets ReLU'd at the onset current i_th."""
    rng = np.random.default_rng(seed)
    R = rng.random((S, n))
    w = rng.uniform(-1, 1, n)
    a = R @ w + bias
    a = a - np.median(a) + i_th          # about half of the samples silent
    b = bias - np.median(R @ w + bias) + i_th
    silent = a <= i_th
    z = np.where(silent, 0.0, a) + noise * rng.standard_normal(S) * ~silent
    return R, w, b, z, silent


# ---------------------------------------------------------------------------------------------
# objectives


@pytest.mark.parametrize("objective", ["l1", "linf", "ls"])
@pytest.mark.parametrize("i_th", [0.0, 0.3])
def test_exact_recovery(objective, i_th):
    R, w, b, z, silent = instance(0, i_th=i_th)
    assert 50 < silent.sum() < 150
    sol = solve_neuron(R, z, silent, i_th, objective=objective,
                       constraints=Analog(w_min=-1.0, w_max=1.0))
    assert sol.status == "optimal"
    np.testing.assert_allclose(sol.weights, w, atol=1e-7)
    assert sol.bias == pytest.approx(b, abs=1e-7)
    assert sol.objective < 1e-6
    assert sol.residual["rmse_active"] < 1e-8 and sol.residual["n_silent_violated"] == 0
    assert 0 < sol.solve_seconds <= sol.total_seconds
    assert sol.objective_name == objective and sol.mip_gap is None


def test_objective_values_and_chebyshev_property():
    R, w, b, z, silent = instance(1, noise=0.05)
    sols = {o: solve_neuron(R, z, silent, objective=o) for o in ("l1", "linf", "ls")}
    P = NeuronProblem(R, z, silent)
    for o, s in sols.items():
        assert s.objective == pytest.approx(evaluate(P, o, s.weights, s.bias), rel=1e-12)
        # each objective's minimiser is best under its own measure
        for other in sols.values():
            assert s.objective <= evaluate(P, o, other.weights, other.bias) + 1e-7
    # linf: the objective is the largest error over active samples / silent hinge
    r = sols["linf"].residual
    assert sols["linf"].objective == pytest.approx(max(r["max_abs_active"],
                                                       r["max_silent_violation"]), rel=1e-9)
    # l1 of the active errors + hinge equals the objective
    r1 = sols["l1"].residual
    assert sols["l1"].objective >= r1["mean_abs_active"] * r1["n_active"] - 1e-9


def test_ls_matches_lstsq_and_kkt_with_bounds_and_hinge():
    R, w, b, z, silent = instance(2, noise=0.05)
    none = np.zeros_like(silent)
    sol = solve_neuron(R, z, none, objective="ls")     # plain least squares with a bias
    A = np.hstack([R, np.ones((R.shape[0], 1))])
    ref = np.linalg.lstsq(A, z, rcond=None)[0]
    np.testing.assert_allclose(sol.weights, ref[:-1], atol=1e-8)
    assert sol.bias == pytest.approx(ref[-1], abs=1e-8)

    # bounds + squared hinge: projected gradient vanishes (KKT of the convex objective)
    sol = solve_neuron(R, z, silent, objective="ls", constraints=Analog(w_min=-0.5, w_max=0.5))
    assert sol.status == "optimal"
    I = R @ sol.weights + sol.bias
    r = np.where(silent, np.maximum(I, 0.0), I - z)
    grad = 2 * R.T @ r
    at_lo, at_hi = sol.weights <= -0.5 + 1e-9, sol.weights >= 0.5 - 1e-9
    assert at_lo.any() or at_hi.any()
    assert np.all(np.abs(grad[~at_lo & ~at_hi]) < 1e-7)
    assert np.all(grad[at_lo] >= -1e-7) and np.all(grad[at_hi] <= 1e-7)
    assert abs(2 * r.sum()) < 1e-7                           # bias is free


# ---------------------------------------------------------------------------------------------
# silent samples


def test_silent_constraints_hinge_and_hard():
    R, w, b, z, silent = instance(3, i_th=0.2)
    # realisable: the hinge optimum meets every silent constraint
    sol = solve_neuron(R, z, silent, 0.2, constraints=Analog(w_min=-1, w_max=1))
    I = R @ sol.weights + sol.bias
    assert np.all(I[silent] <= 0.2 + 1e-7)
    # not realisable (narrow box): the hinge trades violations, hard mode forbids them
    c = Analog(w_min=-0.3, w_max=0.3)
    hinge = solve_neuron(R, z, silent, 0.2, constraints=c)
    hard = solve_neuron(R, z, silent, 0.2, constraints=c, silent_mode="hard")
    I_hard = R @ hard.weights + hard.bias
    assert np.all(I_hard[silent] <= 0.2 + 1e-7)
    assert hard.residual["n_silent_violated"] == 0
    assert hinge.residual["n_silent_violated"] > 0
    assert hard.objective >= hinge.objective - 1e-9
    for o in ("linf",):
        s = solve_neuron(R, z, silent, 0.2, objective=o, constraints=c, silent_mode="hard")
        assert np.max(R[silent] @ s.weights + s.bias) <= 0.2 + 1e-7


def test_error_band_constraint():
    R, w, b, z, silent = instance(4, noise=0.02)
    sol = solve_neuron(R, z, silent, max_error=0.06)
    assert sol.residual["max_abs_active"] <= 0.06 + 1e-7
    assert sol.residual["max_band_violation"] <= 1e-7


# ---------------------------------------------------------------------------------------------
# rejected combinations and bad inputs


@pytest.mark.parametrize("kwargs, named", [
    (dict(constraints=Analog(total_conductance=1.0)), "Analog.total_conductance"),
    (dict(constraints=Analog(fan_in=2)), "Analog.fan_in"),
    (dict(constraints=Digital(method="milp")), "Digital.method='milp'"),
    (dict(constraints=Hybrid()), "Hybrid family"),
    (dict(silent_mode="hard"), "silent_mode='hard'"),
    (dict(max_error=0.1), "max_error"),
])
def test_ls_rejects_constraints_needing_a_qp(kwargs, named):
    R, w, b, z, silent = instance(5, S=30, n=4)
    with pytest.raises(ValueError, match=r"objective='ls' cannot be combined with .*"
                       + named.replace("(", r"\(").replace(".", r"\.")):
        solve_neuron(R, z, silent, objective="ls", **kwargs)


def test_ls_digital_heuristics_work():
    R, w, b, z, silent = instance(5, S=60, n=6)
    for m in ("round", "iterative"):
        s = solve_neuron(R, z, silent, objective="ls", constraints=Digital(bits=4, method=m))
        np.testing.assert_array_equal(s.weights, s.scale * s.levels)
        assert np.all(np.abs(s.levels) <= 7) and s.status == "heuristic"


def test_input_validation():
    R, w, b, z, silent = instance(5, S=20, n=3)
    with pytest.raises(ValueError, match="objective = 'l2'"):
        solve_neuron(R, z, silent, objective="l2")
    with pytest.raises(ValueError, match="R contains non-finite"):
        solve_neuron(np.where(R > 0.5, np.nan, R), z, silent)
    with pytest.raises(ValueError, match=r"z must have shape \(20,\)"):
        solve_neuron(R, z[:5], silent)
    with pytest.raises(ValueError, match="silent must be a boolean"):
        solve_neuron(R, z, silent.astype(float) * 0.5)
    with pytest.raises(ValueError, match="bias_bounds"):
        solve_neuron(R, z, silent, bias_bounds=(1.0, 0.0))
    with pytest.raises(ValueError, match="z must be finite on active"):
        solve_neuron(R, np.where(silent, z, np.nan), silent)
    # silent targets may be anything (e.g. g^-1(0) = -inf)
    ok = solve_neuron(R, np.where(silent, -np.inf, z), silent)
    assert ok.status == "optimal"


# ---------------------------------------------------------------------------------------------
# infeasibility


def realisable_positive(seed: int, S: int = 40, n: int = 5):
    """All samples active, z = R w with w in [0.2, 1]: exact without a bias."""
    rng = np.random.default_rng(seed)
    R = rng.random((S, n))
    w = rng.uniform(0.2, 1.0, n)
    return R, w, R @ w, np.zeros(S, dtype=bool)


def test_infeasible_zero_weights_with_error_band_names_constraints_and_location():
    R, w, z, silent = realisable_positive(6)
    with pytest.raises(ConversionInfeasible) as exc:
        solve_neuron(R, z, silent, constraints=Analog(w_min=0.0, w_max=0.0), bias=False,
                     max_error=0.01, layer=2, neuron=5)
    e = exc.value
    assert isinstance(e, ValueError)
    assert str(e).startswith("layer 2, neuron 5: ")
    # widening the weights or dropping the band each restores feasibility; a bias alone cannot
    assert e.binding == ["max_error", "weight_bounds"]
    assert "Analog.w_min/w_max" in str(e) and "error band" in str(e)
    assert e.samples == list(range(40))           # w = 0: every sample is outside the band
    # pickles (process pools send it back)
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == str(e) and e2.binding == e.binding and e2.neuron == 5


def test_infeasible_hard_silent_with_positive_weights_and_bias():
    R, w, b, z, silent = instance(7, S=40, n=5)
    with pytest.raises(ConversionInfeasible, match="hard silent constraint") as exc:
        solve_neuron(R, z, silent, 0.0, constraints=Analog(w_min=0.0, w_max=1.0),
                     bias_bounds=(0.5, 1.0), silent_mode="hard")
    e = exc.value
    assert set(e.binding) == {"silent", "weight_bounds", "bias_bounds"}
    assert e.samples == np.flatnonzero(silent).tolist()   # I >= 0.5 > i_th everywhere
    assert "bias bounds [0.5, 1]" in str(e)


def test_infeasible_total_conductance_and_grid_bind():
    R, w, z, silent = realisable_positive(8)
    with pytest.raises(ConversionInfeasible) as exc:
        solve_neuron(R, z, silent, constraints=Analog(total_conductance=0.05), bias=False,
                     max_error=0.01, neuron=3)
    assert exc.value.binding == ["max_error", "total_conductance"]
    assert "Analog.total_conductance" in str(exc.value) and str(exc.value).startswith("neuron 3")
    # feasible once the limit admits the generating weights, and then binding-free
    ok = solve_neuron(R, z, silent, constraints=Analog(total_conductance=np.abs(w).sum() + 1e-6),
                      bias=False, max_error=0.01)
    assert ok.residual["max_abs_active"] <= 0.01 + 1e-7
    # digital: the integer grid itself binds under a tight band
    with pytest.raises(ConversionInfeasible) as exc:
        solve_neuron(R, z, silent, constraints=Digital(bits=2, scale=1.0), max_error=1e-3)
    assert "integrality" in exc.value.binding and "Digital.bits = 2" in str(exc.value)


# ---------------------------------------------------------------------------------------------
# layers and executors


def _layer(seed=9, S=120, n_in=10, n_out=6):
    rng = np.random.default_rng(seed)
    R = rng.random((S, n_in))
    W = rng.uniform(-1, 1, (n_out, n_in))
    A = R @ W.T
    A = A - np.median(A, axis=0)
    return R, W, np.maximum(A, 0.0), A <= 0


class _SubmitOnly:
    """Duck-typed executor (like a Dask client's executor): only submit()."""

    def __init__(self):
        self.n = 0

    def submit(self, fn, *args):
        self.n += 1

        class _F:
            def __init__(s):
                s.v = fn(*args)

            def result(s):
                return s.v
        return _F()


def test_solve_layer_identical_across_executors():
    R, W, Z, silent = _layer(S=40)  # 40 rows: every 3-bit MILP still optimal, analog l1 still exact
    c = Digital(bits=3, method="milp")
    serial = solve_layer(R, Z, silent, 0.0, "l1", c, executor=None, progress=False)
    assert serial.weights.shape == (6, 10) and serial.biases.shape == (6,)
    assert serial.statuses == ["optimal"] * 6
    W3, b3, sols3 = serial                                  # unpacks like a tuple
    assert W3 is serial.weights and b3 is serial.biases and len(sols3) == 6
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        par = solve_layer(R, Z, silent, 0.0, "l1", c, executor=pool, progress=False,
                          parallel=PoolOptions(chunk_size=2))
    duck = _SubmitOnly()
    dk = solve_layer(R, Z, silent, 0.0, "l1", c, executor=duck, progress=False, parallel=PoolOptions(chunk_size=4))
    assert duck.n == 2
    for other in (par, dk):
        np.testing.assert_array_equal(other.weights, serial.weights)
        np.testing.assert_array_equal(other.biases, serial.biases)
        assert other.statuses == serial.statuses
        assert [s.objective for s in other.solutions] == [s.objective for s in
                                                          serial.solutions]
    # analog l1 recovers the layer exactly; a process pool (neurobench.executor) agrees bit for bit
    a_serial = solve_layer(R, Z, silent, executor=None, progress=False)
    np.testing.assert_allclose(a_serial.weights, W, atol=1e-7)
    np.testing.assert_allclose(a_serial.biases, 0.0 - np.median(R @ W.T, axis=0), atol=1e-7)
    a_pool = solve_layer(R, Z, silent, executor=ExecutorParams(kind="process", workers=2), progress=False)
    np.testing.assert_array_equal(a_pool.weights, a_serial.weights)
    with pytest.raises(ValueError, match="executor = 'serial' is not allowed: None"):
        solve_layer(R, Z, silent, executor="serial", progress=False)
    s = a_pool.summary()
    assert s["status_counts"] == {"optimal": 6} and s["n_neurons"] == 6
    assert s["max_rmse_active"] < 1e-8


def test_solve_layer_infeasible_raise_and_record():
    R, W, Z, silent = _layer(n_out=3)
    c = Analog(w_min=0.0, w_max=0.0)
    with pytest.raises(ConversionInfeasible, match=r"^layer 4, neuron 0: ") as exc:
        solve_layer(R, Z, silent, 0.0, "l1", c, executor=None, options=NeuronOptions(bias=False),
                    max_error=0.01, layer=4, progress=False)
    assert exc.value.layer == 4 and exc.value.neuron == 0
    rec = solve_layer(R, Z, silent, 0.0, "l1", c, executor=None, max_error=0.01, layer=4, progress=False,
                      options=NeuronOptions(bias=False, on_infeasible="record"))
    assert rec.statuses == ["infeasible"] * 3
    assert np.all(np.isnan(rec.weights))
    assert "neuron 2" in rec.solutions[2].message


def test_residual_stats_by_hand():
    R = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    P = NeuronProblem(R, np.array([1.0, 2.0, 0.0]), np.array([False, False, True]), i_th=0.5)
    st = residual_stats(P, np.array([1.5, 2.0]), 0.0)
    assert st["rmse_active"] == pytest.approx(math.sqrt(0.125))
    assert st["max_abs_active"] == 0.5 and st["max_silent_violation"] == 3.0
    assert st["n_silent_violated"] == 1
    assert evaluate(P, "l1", np.array([1.5, 2.0]), 0.0) == pytest.approx(3.5)
    assert evaluate(P, "linf", np.array([1.5, 2.0]), 0.0) == pytest.approx(3.0)
    assert evaluate(P, "ls", np.array([1.5, 2.0]), 0.0) == pytest.approx(9.25)
    assert solve_problem(P, "l1").objective == pytest.approx(0.0, abs=1e-9)
