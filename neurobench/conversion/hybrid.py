"""Hybrid weights: integer multiplicities times shared per-type weights, by alternation.

``w_i = sum_tau s_tau m_{i,tau}`` ("all": every input may connect through every type) or
``w_i = s_{tau(i)} m_i`` ("grouped": one type per input), ``m in {0..M}``, ``s_tau`` within the
type bounds of :class:`~.constraints.Hybrid`; the bias is continuous.

Alternation (block-coordinate descent on the l1/linf objective ``f``)::

    s^0  from the unbounded continuous solution w^c:   |s_tau| = max |w^c| / M (per sign,
         halved for each further type of the same sign; grouped: per group)
    repeat for it = 1..max_iter:
        m-step: fix s, solve the MILP in (m, beta)      (m_step="milp"; or LP relaxation,
                round m, re-fit beta: m_step="round")
        s-step: fix m, solve the LP in (s, beta)
        each step is kept only if f does not increase, so f(it) is non-increasing
        stop when f(it-1) - f(it) <= tol * max(1, f(it-1))

The result is a local solution: status "heuristic" when the alternation stalled,
"iteration_limit" when ``max_iter`` ran out first, "time_limit" when any MILP was stopped by
its time limit.
"""

from __future__ import annotations

import math

import numpy as np

from .constraints import Hybrid
from .engine import Engine
from .model import hybrid_m_model, hybrid_s_model, plain_model
from .problem import NeuronSolution

__all__ = ["initial_type_weights", "solve_hybrid"]


def _types(eng: Engine, c: Hybrid, input_types, w_ref: np.ndarray) -> np.ndarray | None:
    n, T = eng.problem.n, int(c.n_types)
    if c.assignment == "all":
        if input_types is not None:
            raise ValueError("input_types is only used with Hybrid.assignment = 'grouped'")
        return None
    if input_types is None:
        if T == 2 and c.excitatory_inhibitory:
            return (w_ref < 0).astype(np.int64)   # type 0 excitatory, type 1 inhibitory
        raise ValueError("Hybrid.assignment = 'grouped' needs input_types (one type index per "
                         "input), except with two excitatory/inhibitory types")
    t = np.asarray(input_types)
    if t.shape != (n,) or not np.issubdtype(t.dtype, np.integer) or t.min() < 0 or t.max() >= T:
        raise ValueError(f"input_types must be {n} integers in [0, {T - 1}], got "
                         f"{t.dtype} {t.shape}")
    return t.astype(np.int64)


def initial_type_weights(c: Hybrid, w_ref: np.ndarray, types: np.ndarray | None = None) -> np.ndarray:
    """Type weights ``s`` (n_types,) in mV fitted to one neuron's weights ``w_ref`` (mV).

    Per sign, the largest weight magnitude divided by ``max_multiplicity`` (so that it is ``M``
    synapses of the first type of that sign), halved for each further type of the same sign
    ("all"; per group with ``types``), clipped to :attr:`Hybrid.type_bounds`. The alternation
    starts from it, and the hybrid baseline (``neurobench.conversion.normalize.hybrid_baseline``)
    rounds onto it.
    """
    T, M = int(c.n_types), int(c.max_multiplicity)
    lo, hi = c.type_bounds
    s = np.zeros(T)
    fallback = 0.5 * float(c.s_max)
    if types is not None:
        for tau in range(T):
            w = w_ref[types == tau]
            mag = float(np.max(np.abs(w), initial=0.0)) / M or fallback
            if hi[tau] <= 0:
                sign = -1.0
            elif lo[tau] >= 0:
                sign = 1.0
            else:
                sign = -1.0 if np.sum(w) < 0 else 1.0
            s[tau] = sign * mag
    else:
        pos = float(np.max(w_ref, initial=0.0)) / M or fallback
        neg = float(np.max(-w_ref, initial=0.0)) / M or fallback
        n_pos = n_neg = 0
        for tau in range(T):
            positive = lo[tau] >= 0 if (lo[tau] >= 0 or hi[tau] <= 0) else tau % 2 == 0
            if positive:
                s[tau] = pos / 2.0 ** n_pos
                n_pos += 1
            else:
                s[tau] = -neg / 2.0 ** n_neg
                n_neg += 1
    return np.clip(s, lo, hi)


def solve_hybrid(eng: Engine, c: Hybrid, input_types=None) -> NeuronSolution:
    """Solve one neuron under :class:`Hybrid` constraints (module docstring)."""
    problem = eng.problem
    n, T, M = problem.n, int(c.n_types), int(c.max_multiplicity)
    s_lo, s_hi = c.type_bounds
    ref = eng.solve(plain_model(problem, -math.inf, math.inf))
    types = _types(eng, c, input_types, ref.x)
    s = initial_type_weights(c, ref.x, types)
    eng.descriptions.setdefault("integrality", f"the integer multiplicities m in {{0..{M}}} "
                                               "(Hybrid.max_multiplicity)")
    eng.descriptions.setdefault("weight_bounds", f"the multiplicity range [0, {M}] with the "
                                                 "current type weights")
    milp_step = c.m_step == "milp"

    cur = None  # (objective, m, s, beta)
    history: list[float] = []
    mip_gap = None
    stalled = False
    it = 0
    for it in range(1, int(c.max_iter) + 1):
        # m-step
        mm = hybrid_m_model(problem, s, types, M, integer=milp_step, fan_in=c.fan_in)
        note = (None if cur is None else
                "hybrid m-step infeasible although the current point is feasible")
        cand = None
        if milp_step:
            out = eng.solve(mm, allow_no_solution=True, infeasible_note=note)
            if out.has_solution:
                cand = (eng.value(mm, out.x, out.beta_var), out.x, out.beta_var)
                mip_gap = out.mip_gap
            elif cur is None:
                eng.messages.append("m-step MILP found no incumbent in the time limit; rounded "
                                    "its relaxation")
        if cand is None and (not milp_step or cur is None):
            rel = eng.solve(mm.relaxed(), infeasible_note=note)
            m_r = np.clip(np.round(rel.x), mm.lb, mm.ub)
            b_r = eng.refit_bias(mm, m_r)
            cand = (eng.value(mm, m_r, b_r), m_r, b_r)
        if cand is not None and (cur is None or cand[0] <= cur[0]):
            cur = (cand[0], np.round(cand[1]), s.copy(), cand[2])
        # s-step
        sm = hybrid_s_model(problem, cur[1], types, s_lo, s_hi)
        out = eng.solve(sm, infeasible_note="hybrid s-step infeasible although the current "
                                             "point is feasible")
        f_s = eng.value(sm, out.x, out.beta_var)
        if f_s <= cur[0]:
            cur = (f_s, cur[1], out.x.copy(), out.beta_var)
        s = cur[2]
        history.append(cur[0])
        if len(history) >= 2 and history[-2] - history[-1] <= c.tol * max(1.0, history[-2]):
            stalled = True
            break

    f, m, s, beta = cur
    sm = hybrid_s_model(problem, m, types, s_lo, s_hi)
    if types is None:
        levels = m.reshape(n, T).astype(np.int64)
    else:
        levels = np.zeros((n, T), dtype=np.int64)
        levels[np.arange(n), types] = m.astype(np.int64)
    return eng.finish(sm.weights(s), beta, "heuristic" if stalled else "iteration_limit",
                      "alternation", mip_gap=mip_gap, iterations=it, history=tuple(history),
                      levels=levels, scale=np.asarray(s, dtype=np.float64))
