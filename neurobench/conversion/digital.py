"""Digital weights ``w_i = scale * k_i``, integer ``k_i in [-K, K]``, ``K = 2^(b-1) - 1``.

Grid step: ``Digital.scale``, or per neuron ``max_i |w_i^c| / K`` from the continuous solution
``w^c`` of the same problem with unbounded weights (same objective, same bias and hard
constraints).

Methods (``Digital.method``), over the model ``I_s = scale * R_s k + beta``:

``milp``
    ``scipy.optimize.milp`` on the l1/linf MILP in ``k`` (and the on-grid bias), with
    ``time_limit`` and ``mip_rel_gap``. Stopped by the time limit: the incumbent, status
    "time_limit" and HiGHS's MIP gap; no incumbent at all: the ``round`` solution, status
    "time_limit", and a note in ``message``.
``round``
    Solve the continuous relaxation ``k in [-K, K]``, round every ``k_i`` to the nearest
    integer (clipped to the range), then re-fit the bias with ``k`` fixed.
``iterative``
    Iterative rounding: solve the relaxation over the still-free levels; fix the fraction
    ``iterative_fraction`` of them (at least one, and all already integral) whose values are
    closest to an integer, at that integer; repeat until all are fixed; re-fit the bias.
    The rounds differ only in bounds, so they are solved as one warm-started sequence
    (``Engine.warm_sequence``: the dual simplex from the previous round's basis).

With a fan-in limit, ``round`` and ``iterative`` first choose the support by the fan-in MILP on
the continuous relaxation (binary indicators only) and then work on that support.
"""

from __future__ import annotations

import math

import numpy as np

from .constraints import Digital, digital_scale
from .engine import Engine
from .model import WeightModel, digital_model, plain_model
from .problem import NeuronSolution


def grid_scale(eng: Engine, c: Digital) -> float:
    """``c.scale`` or the per-neuron default from the unbounded continuous solution."""
    if c.scale is not None:
        return float(c.scale)
    ref = eng.solve(plain_model(eng.problem, -math.inf, math.inf))
    return digital_scale(ref.x, c.bits)


def _support(eng: Engine, model: WeightModel) -> WeightModel:
    """Fan-in: fix the variables outside the relaxation's fan-in MILP support to 0."""
    if model.fan_in is None:
        return model
    rel = model.relaxed()
    out = eng.solve(rel, allow_no_solution=True)
    k = int(model.fan_in)
    if out.has_solution and out.used is not None:
        used = out.used
    else:  # no incumbent within the time limit: top-k of the relaxation without fan-in
        eng.messages.append("fan-in support MILP found no incumbent within the time limit; "
                            "used the top-k magnitudes of the relaxation")
        free = eng.solve(rel.replace(fan_in=None))
        used = np.zeros(model.n_groups, dtype=bool)
        used[np.argsort(-np.abs(free.x), kind="stable")[:k]] = True
    groups = np.arange(model.p) if model.groups is None else model.groups
    off = ~used[groups]
    return model.fix(off, np.zeros(model.p)).replace(fan_in=None)


def _round(eng: Engine, model: WeightModel) -> tuple[np.ndarray, float]:
    m = _support(eng, model)
    rel = eng.solve(m.relaxed())
    k = np.clip(np.round(rel.x), m.lb, m.ub)
    return k, eng.refit_bias(m, k)


def _iterative(eng: Engine, model: WeightModel,
               fraction: float) -> tuple[np.ndarray, float, int, list[float]]:
    m = _support(eng, model)
    with eng.warm_sequence():  # the rounds differ only in bounds: warm-started dual simplex
        return _iterative_rounds(eng, m, fraction)


def _iterative_rounds(eng: Engine, m: WeightModel,
                      fraction: float) -> tuple[np.ndarray, float, int, list[float]]:
    cur = m.relaxed()
    free = cur.lb < cur.ub
    history, rounds = [], 0
    while free.any():
        out = eng.solve(cur, infeasible_note="iterative rounding reached an infeasible "
                                             "relaxation after fixing some levels; the exact "
                                             "method (milp) may still find a solution")
        history.append(eng.value(cur, out.x, out.beta_var))
        x = out.x
        r = np.clip(np.round(x), m.lb, m.ub)
        d = np.abs(x - r)
        cand = np.flatnonzero(free)
        n_fix = max(1, math.ceil(fraction * cand.size))
        order = cand[np.argsort(d[cand], kind="stable")]
        chosen = np.zeros(cur.p, dtype=bool)
        chosen[order[:n_fix]] = True
        chosen[cand[d[cand] < 1e-9]] = True
        cur = cur.fix(chosen, r)
        free &= ~chosen
        rounds += 1
    k = cur.lb.copy()
    return k, eng.refit_bias(m, k), rounds, history


def solve_digital(eng: Engine, c: Digital) -> NeuronSolution:
    """Solve one neuron under :class:`Digital` constraints (module docstring)."""
    K = c.levels
    scale = grid_scale(eng, c)
    model = digital_model(eng.problem, scale, K, integer=True, bias_on_grid=c.bias_on_grid,
                          fan_in=c.fan_in)
    eng.descriptions.setdefault("integrality", f"the integer weight grid (Digital.bits = "
                                               f"{c.bits}, scale = {scale:g})")
    eng.descriptions.setdefault("weight_bounds", f"the level range |k| <= {K} (Digital.bits = "
                                                 f"{c.bits}, |w| <= {K * scale:g})")
    mip_gap, rounds, history = None, 1, []
    if c.method == "milp":
        out = eng.solve(model, allow_no_solution=True)
        if out.has_solution:
            k, beta_var, mip_gap = out.x, out.beta_var, out.mip_gap
            base = "optimal"
        else:
            eng.messages.append(f"MILP stopped ({out.status}) without an incumbent; returned "
                                "the rounded relaxation")
            k, beta_var = _round(eng, model)
            base = "heuristic"
    elif c.method == "round":
        k, beta_var = _round(eng, model)
        base = "heuristic"
    else:
        k, beta_var, rounds, history = _iterative(eng, model, c.iterative_fraction)
        base = "heuristic"
    k = np.round(k)
    bias_level = None
    if model.bias and model.bias_integer:
        beta_var = float(np.round(beta_var))
        bias_level = int(beta_var)
    return eng.finish(scale * k, model.bias_value(beta_var), base, c.method, mip_gap=mip_gap,
                      iterations=rounds, history=tuple(history), levels=k.astype(np.int64),
                      scale=scale, bias_level=bias_level)
