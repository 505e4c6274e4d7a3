"""The l1 / linf (MI)LPs of one neuron, as scipy.sparse matrices, solved by HiGHS.

Columns: ``[x (p) | beta_var (0/1) | u (aux for |x_j|) | y (fan-in indicators) | t]``.
With ``I_s = G_s x + c_b beta_var`` (see :mod:`.model`), ``A`` the active and ``Z`` the silent
samples and ``d_s >= 0`` an optional dead zone (0 by default)::

    l1   : min sum_s t_s
           I_s - t_s <= z_s + d_s,  I_s + t_s >= z_s - d_s         s in A  (|e_s| <= d_s + t_s)
           I_s - t_s <= i_th, t_s >= 0                              s in Z  (hinge)
    linf : the same with one shared t.

Side constraints, all linear::

    hard silent     : I_s <= i_th                                  s in Z  (silent_mode="hard")
    error band      : z_s - eps_s <= I_s <= z_s + eps_s            s in A  (max_error)
    abs budget      : u_j >= x_j, u_j >= -x_j, sum_j a_j u_j <= L  (x_j >= 0 enters directly)
    fan-in          : lb_j y_g(j) <= x_j <= ub_j y_g(j), sum_g y_g <= K, y binary

Pure LPs go to ``scipy.optimize.linprog(method="highs")``, models with integer variables or a
fan-in limit to ``scipy.optimize.milp``; both with a time limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .model import WeightModel
from .problem import NeuronProblem


@dataclass
class Outcome:
    """Raw result of one HiGHS call, in model variables.

    ``status``: "optimal", "time_limit", "iteration_limit", "infeasible", "unbounded", "error".
    ``x`` is None when HiGHS returned no point.
    """

    status: str
    x: np.ndarray | None
    beta_var: float
    fun: float | None
    mip_gap: float | None
    seconds: float
    message: str
    is_mip: bool
    used: np.ndarray | None = None  # fan-in indicators y (bool per input), if any

    @property
    def has_solution(self) -> bool:
        return self.x is not None and self.status in ("optimal", "time_limit",
                                                      "iteration_limit")


def _status(code: int, message: str) -> str:
    if code == 0:
        return "optimal"
    if code == 1:
        return "time_limit" if "time limit" in message.lower() else "iteration_limit"
    if code == 2:
        return "infeasible"
    if code == 3:
        return "unbounded"
    if code == 4 and "infeasible" in message.lower():
        return "infeasible_or_unbounded"
    return "error"


@dataclass
class Assembled:
    c: np.ndarray
    A: sp.csr_array
    lo: np.ndarray
    hi: np.ndarray
    var_lb: np.ndarray
    var_ub: np.ndarray
    integrality: np.ndarray
    p: int
    nb: int
    o_y: int
    ng: int


def assemble(problem: NeuronProblem, model: WeightModel, objective: str, *,
             deadzone: np.ndarray | None = None, cost_active: bool = True) -> Assembled:
    """Build the (MI)LP of the module docstring.

    Parameters
    ----------
    objective : "l1" or "linf"
    deadzone : ndarray of shape (S,), optional
        Errors up to ``d_s`` on active samples cost nothing (used for diagnosis).
    cost_active : bool
        If False, active samples are not penalised (only the side constraints act on them).
    """
    if objective not in ("l1", "linf"):
        raise ValueError(f"assemble: objective must be 'l1' or 'linf', got {objective!r}")
    S, p = model.G.shape
    act_idx = np.flatnonzero(problem.active)
    sil_idx = np.flatnonzero(problem.silent)
    nb = 1 if model.bias else 0

    # absolute-value budget: which variables need an auxiliary u_j
    aux_idx = np.zeros(0, dtype=int)
    if model.abs_limit is not None:
        a = np.asarray(model.abs_coef, dtype=np.float64)
        aux_idx = np.flatnonzero((a != 0) & (model.lb < 0) & (model.ub > 0))
    nu = aux_idx.size
    ng = model.n_groups if model.fan_in is not None else 0

    # which samples carry a t column
    cost_act = act_idx if cost_active else np.zeros(0, dtype=int)
    cost_sil = sil_idx if problem.silent_mode == "hinge" else np.zeros(0, dtype=int)
    dz = np.zeros(S) if deadzone is None else np.asarray(deadzone, dtype=np.float64)
    # l1 without a dead zone: one equality row per active sample, I_s - e+_s + e-_s = z_s, with
    # two non-negative error columns; it has half the rows (and half the copies of the dense
    # G block) of the two-inequality form |I_s - z_s| <= t_s, and HiGHS solves it ~3x faster.
    split = objective == "l1" and cost_act.size > 0 and not np.any(dz[cost_act])
    if objective == "l1":
        nt = (2 if split else 1) * cost_act.size + cost_sil.size
    else:
        nt = 1 if (cost_act.size + cost_sil.size) else 0
    ncol = p + nb + nu + ng + nt
    o_b, o_u, o_y, o_t = p, p + nb, p + nb + nu, p + nb + nu + ng

    G = model.G
    Gs = sp.csr_array(G)
    bcol = np.full((S, 1), model.bias_coef) if nb else np.zeros((S, 0))
    base = sp.hstack([Gs, sp.csr_array(bcol), sp.csr_array((S, nu + ng + nt))],
                     format="csr")  # (S, ncol): the current I_s in every column layout

    blocks, los, his = [], [], []

    def add(A, lo, hi):
        blocks.append(sp.csr_array(A))
        los.append(np.asarray(lo, dtype=np.float64))
        his.append(np.asarray(hi, dtype=np.float64))

    def tcols(rows: np.ndarray, first: int) -> sp.csr_array:
        """(len(rows), ncol) with -1 in the t column of each row (l1: own t; linf: shared)."""
        k = rows.size
        if objective == "l1":
            cols = o_t + first + np.arange(k)
        else:
            cols = np.full(k, o_t)
        return sp.csr_array((-np.ones(k), (np.arange(k), cols)), shape=(k, ncol))

    z = problem.z
    if split:
        k = cost_act.size
        E = sp.csr_array((np.concatenate([-np.ones(k), np.ones(k)]),
                          (np.tile(np.arange(k), 2), o_t + np.arange(2 * k))), shape=(k, ncol))
        add(base[cost_act] + E, z[cost_act], z[cost_act])
    elif cost_act.size:
        Ia = base[cost_act]
        T = tcols(cost_act, 0)
        add(Ia + T, np.full(cost_act.size, -np.inf), z[cost_act] + dz[cost_act])
        add(Ia - T, z[cost_act] - dz[cost_act], np.full(cost_act.size, np.inf))
    if cost_sil.size:
        T = tcols(cost_sil, (2 if split else 1) * cost_act.size)
        add(base[cost_sil] + T, np.full(cost_sil.size, -np.inf),
            np.full(cost_sil.size, problem.i_th))
    if problem.silent_mode == "hard" and sil_idx.size:
        add(base[sil_idx], np.full(sil_idx.size, -np.inf), np.full(sil_idx.size, problem.i_th))
    if problem.max_error is not None and act_idx.size:
        eps = problem.max_error[act_idx]
        add(base[act_idx], z[act_idx] - eps, z[act_idx] + eps)

    var_lb = np.concatenate([model.lb, [model.bias_lb] * nb, np.zeros(nu), np.zeros(ng),
                             np.zeros(nt)])
    var_ub = np.concatenate([model.ub, [model.bias_ub] * nb, np.full(nu, np.inf),
                             np.ones(ng), np.full(nt, np.inf)])

    if model.abs_limit is not None:
        a = np.asarray(model.abs_coef, dtype=np.float64)
        if nu:
            k = np.arange(nu)
            rows = np.concatenate([k, k, nu + k, nu + k])
            cols = np.concatenate([aux_idx, o_u + k, aux_idx, o_u + k])
            vals = np.concatenate([np.ones(nu), -np.ones(nu), -np.ones(nu), -np.ones(nu)])
            add(sp.csr_array((vals, (rows, cols)), shape=(2 * nu, ncol)),
                np.full(2 * nu, -np.inf), np.zeros(2 * nu))
        row = np.zeros(ncol)
        pos = (model.lb >= 0) & (a != 0)
        neg = (model.ub <= 0) & ~pos & (a != 0)
        row[:p][pos] = a[pos]
        row[:p][neg] = -a[neg]
        row[o_u:o_u + nu] = a[aux_idx]
        add(row[None, :], [-np.inf], [model.abs_limit])

    if model.fan_in is not None:
        if not (np.all(np.isfinite(model.lb)) and np.all(np.isfinite(model.ub))):
            raise ValueError("fan-in limit needs finite weight bounds (big-M)")
        groups = np.arange(p) if model.groups is None else np.asarray(model.groups)
        j = np.arange(p)
        # x_j - ub_j y_g <= 0  and  x_j - lb_j y_g >= 0
        A1 = sp.csr_array((np.concatenate([np.ones(p), -model.ub]),
                           (np.concatenate([j, j]), np.concatenate([j, o_y + groups]))),
                          shape=(p, ncol))
        A2 = sp.csr_array((np.concatenate([np.ones(p), -model.lb]),
                           (np.concatenate([j, j]), np.concatenate([j, o_y + groups]))),
                          shape=(p, ncol))
        add(A1, np.full(p, -np.inf), np.zeros(p))
        add(A2, np.zeros(p), np.full(p, np.inf))
        row = np.zeros(ncol)
        row[o_y:o_y + ng] = 1.0
        add(row[None, :], [-np.inf], [float(model.fan_in)])
        var_lb[:p] = np.minimum(model.lb, 0.0)
        var_ub[:p] = np.maximum(model.ub, 0.0)

    if blocks:
        A = sp.vstack(blocks, format="csr")
        lo, hi = np.concatenate(los), np.concatenate(his)
    else:
        A, lo, hi = sp.csr_array((0, ncol)), np.zeros(0), np.zeros(0)

    c = np.zeros(ncol)
    c[o_t:o_t + nt] = 1.0
    integrality = np.zeros(ncol, dtype=np.uint8)
    integrality[:p] = model.integer
    if nb and model.bias_integer:
        integrality[o_b] = 1
    integrality[o_y:o_y + ng] = 1
    return Assembled(c, A, lo, hi, var_lb, var_ub, integrality, p, nb, o_y, ng)


def run_highs(asm: Assembled, *, time_limit: float, mip_rel_gap: float,
              presolve: bool = True) -> tuple[int, str, np.ndarray | None, float | None,
                                              float | None, float, bool]:
    """One call of linprog(method="highs") (no integers) or milp. Returns
    ``(code, message, x, fun, mip_gap, seconds, is_mip)`` with scipy's status code."""
    is_mip = bool(np.any(asm.integrality))
    if is_mip:
        t0 = time.perf_counter()
        res = milp(asm.c, integrality=asm.integrality, bounds=Bounds(asm.var_lb, asm.var_ub),
                   constraints=LinearConstraint(asm.A, asm.lo, asm.hi) if asm.A.shape[0] else
                   None, options={"time_limit": float(time_limit),
                                  "mip_rel_gap": float(mip_rel_gap), "presolve": presolve})
        dt = time.perf_counter() - t0
        gap = None if res.mip_gap is None else float(res.mip_gap)
        return int(res.status), str(res.message), res.x, res.fun, gap, dt, True
    eq = asm.lo == asm.hi
    up = np.isfinite(asm.hi) & ~eq
    dn = np.isfinite(asm.lo) & ~eq
    A_ub = sp.vstack([asm.A[up], -asm.A[dn]], format="csr")
    b_ub = np.concatenate([asm.hi[up], -asm.lo[dn]])
    kw = {}
    if A_ub.shape[0]:
        kw.update(A_ub=A_ub, b_ub=b_ub)
    if np.any(eq):
        kw.update(A_eq=asm.A[eq], b_eq=asm.lo[eq])
    t0 = time.perf_counter()
    res = linprog(asm.c, bounds=np.column_stack([asm.var_lb, asm.var_ub]), method="highs",
                  options={"time_limit": float(time_limit), "presolve": presolve}, **kw)
    dt = time.perf_counter() - t0
    return int(res.status), str(res.message), res.x, res.fun, None, dt, False


def solve_model(problem: NeuronProblem, model: WeightModel, objective: str, *,
                time_limit: float, mip_rel_gap: float, deadzone: np.ndarray | None = None,
                cost_active: bool = True) -> Outcome:
    """Assemble and solve; "infeasible or unbounded" from presolve is re-solved without it."""
    asm = assemble(problem, model, objective, deadzone=deadzone, cost_active=cost_active)
    code, msg, x, fun, gap, dt, is_mip = run_highs(asm, time_limit=time_limit,
                                                   mip_rel_gap=mip_rel_gap)
    status = _status(code, msg)
    if status == "infeasible_or_unbounded":
        code, msg, x, fun, gap, dt2, is_mip = run_highs(
            asm, time_limit=time_limit, mip_rel_gap=mip_rel_gap, presolve=False)
        dt += dt2
        status = _status(code, msg)
        if status == "infeasible_or_unbounded":
            status = "infeasible"  # bounded below (t >= 0): cannot be unbounded
    xv, bv, used = None, 0.0, None
    if x is not None and status in ("optimal", "time_limit", "iteration_limit"):
        x = np.asarray(x, dtype=np.float64)
        xv = x[:asm.p].copy()
        if model.integer.any():
            xv[model.integer] = np.round(xv[model.integer])
        bv = float(x[asm.p]) if asm.nb else 0.0
        if asm.nb and model.bias_integer:
            bv = float(np.round(bv))
        if asm.ng:
            used = x[asm.o_y:asm.o_y + asm.ng] > 0.5
    if fun is not None and not math.isfinite(fun):
        fun = None
    return Outcome(status, xv, bv, fun, gap, dt, msg, is_mip, used)
