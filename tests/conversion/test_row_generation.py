"""Row generation (``rows="generate"``) against the reference that builds every row."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from neurobench.conversion import rowgen
from neurobench.conversion.constraints import Analog, Digital, Hybrid
from neurobench.conversion.highs import assemble, run_highs, solve_model
from neurobench.conversion.model import WeightModel, plain_model
from neurobench.conversion.problem import NeuronProblem
import random_layer


def layer(seed: int = 0):
    """The shared random layer at this module's size (80 samples, 5 neurons)."""
    return random_layer.layer(seed, S=80, m=5)


def objectives(constraints, objective="l1", silent_mode="hinge", max_error=None, seed=0):
    """Per-neuron penalised objectives of :func:`layer`."""
    return random_layer.objectives(constraints, objective, silent_mode, max_error, seed, S=80, m=5)[0]


ANALOG = [dict(w_min=-2.0, w_max=2.0), dict(w_min=-2.0, w_max=2.0, total_conductance=3.0),
          dict(w_min=-2.0, w_max=2.0, weight_penalty=0.05), dict(w_min=0.0, w_max=2.0, weight_penalty=0.05)]


@pytest.mark.parametrize("objective", ["l1", "linf"])
@pytest.mark.parametrize("silent_mode,max_error", [("hinge", None), ("hard", None), ("hinge", 2.0)])
@pytest.mark.parametrize("kw", ANALOG)
def test_analog_objective_matches_all_rows(objective, silent_mode, max_error, kw):
    ref = objectives(Analog(**kw), objective, silent_mode, max_error)
    before = dict(rowgen.STATS)
    got = objectives(Analog(**kw, rows="generate"), objective, silent_mode, max_error)
    assert rowgen.STATS["solves"] - before["solves"] == len(got)   # every neuron was generated
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("family", [Digital(bits=3, method="round"), Digital(bits=3, method="iterative"),
                                    Hybrid(max_multiplicity=2, s_max=1.0, m_step="round", max_iter=3)])
def test_heuristic_families_take_the_generated_lps(family):
    """Their steps are LPs too; rounding a degenerate relaxation's other vertex may change the
    heuristic's result, so only "every step was generated and the result is usable" is asserted
    here, plus the relaxation's optimum in test_relaxation_of_a_grid_model."""
    before = rowgen.STATS["solves"]
    got = objectives(family.model_copy(update={"rows": "generate"}))
    assert rowgen.STATS["solves"] > before and np.all(np.isfinite(got))


@pytest.mark.parametrize("objective", ["l1", "linf"])
def test_relaxation_of_a_grid_model(objective):
    """Scaled variables (``w = M x``), a bias on the grid, an l1 penalty: the same optimum."""
    R, Z, silent = layer(3)
    step = 0.25
    for j in range(Z.shape[1]):
        prob = NeuronProblem(R=R, z=Z[:, j], silent=silent[:, j])
        model = WeightModel(G=R * step, M=step * np.eye(R.shape[1]), lb=np.full(R.shape[1], -7.0),
                            ub=np.full(R.shape[1], 7.0), integer=np.zeros(R.shape[1], bool), bias=True,
                            bias_coef=step, bias_lb=-7.0, bias_ub=7.0, penalty=0.01)
        ref, got = (solve_model(prob, model, objective, time_limit=10.0, mip_rel_gap=1e-4, rows=rows)
                    for rows in ("all", "generate"))
        # without silent samples there is nothing to leave out: the reference path
        assert got.message.startswith("row generation") == bool(silent[:, j].any())
        np.testing.assert_allclose(got.fun, ref.fun, rtol=1e-7, atol=1e-9)


def test_dead_zone_matches_all_rows():
    R, Z, silent = layer(4)
    probs = [NeuronProblem(R=R, z=Z[:, j], silent=silent[:, j]) for j in range(Z.shape[1])]
    for prob in probs + [hidden_violations()]:
        dz = np.full(prob.S, 0.05)
        model = plain_model(prob, -2.0, 2.0)
        ref, got = (solve_model(prob, model, "l1", time_limit=10.0, mip_rel_gap=1e-4, deadzone=dz, rows=rows)
                    for rows in ("all", "generate"))
        assert got.message.startswith("row generation") == bool(prob.silent.any())
        np.testing.assert_allclose(got.fun, ref.fun, rtol=1e-7, atol=1e-9)


def test_fan_in_milp_takes_every_row():
    """A MILP is never generated: the option leaves it (and its weights) unchanged."""
    ref = objectives(Analog(w_min=-2.0, w_max=2.0, fan_in=3))
    before = rowgen.STATS["rounds"]
    got = objectives(Analog(w_min=-2.0, w_max=2.0, fan_in=3, rows="generate"))
    # the fan-in polish step is an LP and is generated; the MILP's choice of inputs is unchanged
    assert rowgen.STATS["rounds"] > before
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-8)


def hidden_violations(n: int = 6, k: int = 40, m: int = 10, seed: int = 5) -> NeuronProblem:
    """A neuron whose fit on its ``k`` active samples alone violates ``m`` silent samples (inputs
    of active samples scaled up: the free fit pushes them above 0); ``k`` more silent samples
    have negated inputs minus 1, far below 0 at any good fit (their rows never join)."""
    rng = np.random.default_rng(seed)
    Ra = rng.random((k, n))
    za = Ra @ np.abs(rng.normal(size=n)) + 0.3
    R = np.vstack([Ra, Ra[:m] * 1.5, -Ra - 1.0])
    z = np.concatenate([za, np.zeros(m + k)])
    return NeuronProblem(R=R, z=z, silent=np.arange(2 * k + m) >= k)


@pytest.mark.parametrize("batch", [None, 3])
def test_rounds_add_the_violated_rows_until_none(batch):
    prob = hidden_violations()
    asm = assemble(prob, plain_model(prob, -4.0, 4.0), "l1")
    ref = run_highs(asm, time_limit=10.0, mip_rel_gap=1e-4)[3]
    gen = rowgen.solve_generated(asm, time_limit=10.0, batch=batch)
    assert gen.rounds > (3 if batch else 1)      # the first working set (none) missed rows
    assert gen.rows < gen.total                  # ... and some rows never joined
    np.testing.assert_allclose(gen.fun, ref, rtol=1e-7, atol=1e-9)
    viol = rowgen.violations(asm.A, asm.lo, asm.hi, gen.v)
    assert viol.max() <= 1e-6                    # feasible for every row, left out or not


def test_violations_closed_form():
    A = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    import scipy.sparse as sp
    got = rowgen.violations(sp.csr_array(A), np.array([-np.inf, 0.0, 1.0]), np.array([1.0, 1.0, np.inf]),
                            np.array([3.0, -1.0]))
    np.testing.assert_array_equal(got, [2.0, 1.0, 3.0])


def test_rows_option_is_validated():
    with pytest.raises(ValidationError, match="rows"):
        Analog(rows="some")
    with pytest.raises(ValidationError, match="rows"):
        Digital(rows="lazy")
