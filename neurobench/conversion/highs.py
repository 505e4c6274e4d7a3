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

An l1 weight penalty adds ``sum_j c_j |x_j|`` to the cost (``c = WeightModel.penalty_coefs``):
through ``u_j >= |x_j|`` for variables of both signs, directly (``+-c_j x_j``) for the others.

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
        """HiGHS returned a feasible point (optimal or stopped by a limit)."""
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
    """One (MI)LP in scipy's form: minimise ``c @ v`` subject to ``lo <= A v <= hi``,
    ``var_lb <= v <= var_ub``, ``v_j`` integer where ``integrality_j``; ``p``, ``nb``, ``o_y``
    and ``ng`` locate the weights, the bias and the fan-in indicators in ``v``. ``lazy`` marks
    the rows that row generation (:mod:`.rowgen`) may leave out and check afterwards: the
    silent samples' rows (hinge, hard) and the error band's rows."""

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
    lazy: np.ndarray | None = None


@dataclass(frozen=True)
class _Layout:
    """Columns ``[x (p) | beta_var (nb) | u (nu) | y (ng) | t (nt)]`` and the samples they serve.

    ``cost_act``/``cost_sil``: active/silent samples with error columns; ``split``: l1 without
    a dead zone, one equality row and two error columns ``e+``, ``e-`` per active sample.
    """

    objective: str
    S: int
    p: int
    nb: int
    nu: int
    ng: int
    nt: int
    act_idx: np.ndarray
    sil_idx: np.ndarray
    aux_idx: np.ndarray
    cost_act: np.ndarray
    cost_sil: np.ndarray
    dz: np.ndarray
    split: bool

    @property
    def ncol(self) -> int:
        """Number of columns."""
        return self.p + self.nb + self.nu + self.ng + self.nt

    @property
    def o_b(self) -> int:
        """Column of the bias variable."""
        return self.p

    @property
    def o_u(self) -> int:
        """First auxiliary column u."""
        return self.p + self.nb

    @property
    def o_y(self) -> int:
        """First fan-in indicator column y."""
        return self.p + self.nb + self.nu

    @property
    def o_t(self) -> int:
        """First error column t."""
        return self.p + self.nb + self.nu + self.ng

    def t_columns(self, rows: np.ndarray, first: int) -> sp.csr_array:
        """(len(rows), ncol) with -1 in the t column of each row (l1: own t; linf: shared)."""
        k = rows.size
        if self.objective == "l1":
            cols = self.o_t + first + np.arange(k)
        else:
            cols = np.full(k, self.o_t)
        return sp.csr_array((-np.ones(k), (np.arange(k), cols)), shape=(k, self.ncol))


class _Rows:
    """The constraint rows ``lo <= A v <= hi``, collected block by block; ``lazy`` blocks may
    be left out by row generation."""

    def __init__(self, ncol: int) -> None:
        self.ncol = ncol
        self.blocks: list[sp.csr_array] = []
        self.los: list[np.ndarray] = []
        self.his: list[np.ndarray] = []
        self.lazy: list[np.ndarray] = []

    def add(self, A, lo, hi, *, lazy: bool = False) -> None:
        """Append the rows ``lo <= A v <= hi``."""
        self.blocks.append(sp.csr_array(A))
        self.los.append(np.asarray(lo, dtype=np.float64))
        self.his.append(np.asarray(hi, dtype=np.float64))
        self.lazy.append(np.full(self.blocks[-1].shape[0], lazy))

    def stack(self) -> tuple[sp.csr_array, np.ndarray, np.ndarray, np.ndarray]:
        """``(A, lo, hi, lazy)`` of all rows, in the order they were added."""
        if self.blocks:
            return (sp.vstack(self.blocks, format="csr"), np.concatenate(self.los),
                    np.concatenate(self.his), np.concatenate(self.lazy))
        return sp.csr_array((0, self.ncol)), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)


def aux_columns(model: WeightModel) -> np.ndarray:
    """The variables with an auxiliary column ``u_j >= |x_j|``: both signs allowed and an
    ``|x_j|`` term (absolute-value budget or l1 weight penalty)."""
    mixed = (model.lb < 0) & (model.ub > 0)
    needs_abs = np.zeros(model.p, dtype=bool)
    if model.abs_limit is not None:
        needs_abs |= np.asarray(model.abs_coef, dtype=np.float64) != 0
    if model.penalty > 0:
        needs_abs |= model.penalty_coefs() != 0
    return np.flatnonzero(needs_abs & mixed)


def _layout(problem: NeuronProblem, model: WeightModel, objective: str,
            deadzone: np.ndarray | None, cost_active: bool) -> _Layout:
    """The column layout: which variables need an auxiliary ``u_j`` (absolute-value budget),
    fan-in indicators, and which samples carry an error column ``t``."""
    S, p = model.G.shape
    act_idx = np.flatnonzero(problem.active)
    sil_idx = np.flatnonzero(problem.silent)
    if model.penalty > 0 and model.penalty_norm != "l1":
        raise ValueError(f"penalty_norm = {model.penalty_norm!r} is not allowed with objective "
                         f"{objective!r}: an LP takes only the l1 weight penalty")
    aux_idx = aux_columns(model)
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
    return _Layout(objective=objective, S=S, p=p, nb=1 if model.bias else 0, nu=aux_idx.size,
                   ng=model.n_groups if model.fan_in is not None else 0, nt=nt, act_idx=act_idx,
                   sil_idx=sil_idx, aux_idx=aux_idx, cost_act=cost_act, cost_sil=cost_sil, dz=dz,
                   split=split)


def _current_rows(model: WeightModel, lay: _Layout) -> sp.csr_array:
    """(S, ncol): the current ``I_s = G_s x + c_b beta_var`` of every sample in the layout."""
    Gs = sp.csr_array(model.G)
    bcol = np.full((lay.S, 1), model.bias_coef) if lay.nb else np.zeros((lay.S, 0))
    return sp.hstack([Gs, sp.csr_array(bcol), sp.csr_array((lay.S, lay.nu + lay.ng + lay.nt))],
                     format="csr")


def _add_error_rows(rows: _Rows, lay: _Layout, base: sp.csr_array, problem: NeuronProblem) -> None:
    """The objective's rows: errors of the active samples and hinges of the silent ones."""
    z, cost_act, cost_sil, dz = problem.z, lay.cost_act, lay.cost_sil, lay.dz
    if lay.split:
        k = cost_act.size
        E = sp.csr_array((np.concatenate([-np.ones(k), np.ones(k)]),
                          (np.tile(np.arange(k), 2), lay.o_t + np.arange(2 * k))), shape=(k, lay.ncol))
        rows.add(base[cost_act] + E, z[cost_act], z[cost_act])
    elif cost_act.size:
        Ia = base[cost_act]
        T = lay.t_columns(cost_act, 0)
        rows.add(Ia + T, np.full(cost_act.size, -np.inf), z[cost_act] + dz[cost_act])
        rows.add(Ia - T, z[cost_act] - dz[cost_act], np.full(cost_act.size, np.inf))
    if cost_sil.size:
        T = lay.t_columns(cost_sil, (2 if lay.split else 1) * cost_act.size)
        rows.add(base[cost_sil] + T, np.full(cost_sil.size, -np.inf),
                 np.full(cost_sil.size, problem.i_th), lazy=True)


def _add_side_rows(rows: _Rows, lay: _Layout, base: sp.csr_array, problem: NeuronProblem) -> None:
    """Hard silent samples (``I_s <= i_th``) and the error band on active samples."""
    sil_idx, act_idx, z = lay.sil_idx, lay.act_idx, problem.z
    if problem.silent_mode == "hard" and sil_idx.size:
        rows.add(base[sil_idx], np.full(sil_idx.size, -np.inf), np.full(sil_idx.size, problem.i_th),
                 lazy=True)
    if problem.max_error is not None and act_idx.size:
        eps = problem.max_error[act_idx]
        rows.add(base[act_idx], z[act_idx] - eps, z[act_idx] + eps, lazy=True)


def _variable_bounds(model: WeightModel, lay: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of every column: weights and bias from the model, ``u, t >= 0``, ``y in [0, 1]``."""
    nb, nu, ng, nt = lay.nb, lay.nu, lay.ng, lay.nt
    var_lb = np.concatenate([model.lb, [model.bias_lb] * nb, np.zeros(nu), np.zeros(ng),
                             np.zeros(nt)])
    var_ub = np.concatenate([model.ub, [model.bias_ub] * nb, np.full(nu, np.inf),
                             np.ones(ng), np.full(nt, np.inf)])
    return var_lb, var_ub


def _add_abs_rows(rows: _Rows, lay: _Layout) -> None:
    """``u_j >= x_j`` and ``u_j >= -x_j`` for the variables with an auxiliary ``u_j``."""
    nu, ncol, o_u, aux_idx = lay.nu, lay.ncol, lay.o_u, lay.aux_idx
    if nu:
        k = np.arange(nu)
        idx = np.concatenate([k, k, nu + k, nu + k])
        cols = np.concatenate([aux_idx, o_u + k, aux_idx, o_u + k])
        vals = np.concatenate([np.ones(nu), -np.ones(nu), -np.ones(nu), -np.ones(nu)])
        rows.add(sp.csr_array((vals, (idx, cols)), shape=(2 * nu, ncol)),
                 np.full(2 * nu, -np.inf), np.zeros(2 * nu))


def _add_abs_budget(rows: _Rows, lay: _Layout, model: WeightModel) -> None:
    """``sum_j a_j |x_j| <= L``: through ``u_j`` (both signs), directly for one-sign variables."""
    p, nu, ncol, o_u, aux_idx = lay.p, lay.nu, lay.ncol, lay.o_u, lay.aux_idx
    a = np.asarray(model.abs_coef, dtype=np.float64)
    row = np.zeros(ncol)
    pos = (model.lb >= 0) & (a != 0)
    neg = (model.ub <= 0) & ~pos & (a != 0)
    row[:p][pos] = a[pos]
    row[:p][neg] = -a[neg]
    row[o_u:o_u + nu] = a[aux_idx]
    rows.add(row[None, :], [-np.inf], [model.abs_limit])


def abs_rows(model: WeightModel, n_rest: int) -> tuple[sp.csr_array, np.ndarray, np.ndarray]:
    """``(A, lo, hi)``: the absolute-value rows (``u_j >= +-x_j``, then the budget if any) in
    columns ``[x (p) | beta_var (0/1) | u (aux_columns) | n_rest more]`` (the layout's first
    blocks; :mod:`.warm` builds its model with them)."""
    aux = aux_columns(model)
    empty = np.zeros(0, dtype=int)
    lay = _Layout(objective="l1", S=0, p=model.p, nb=1 if model.bias else 0, nu=aux.size, ng=0,
                  nt=int(n_rest), act_idx=empty, sil_idx=empty, aux_idx=aux, cost_act=empty,
                  cost_sil=empty, dz=np.zeros(0), split=False)
    rows = _Rows(lay.ncol)
    _add_abs_rows(rows, lay)
    if model.abs_limit is not None:
        _add_abs_budget(rows, lay, model)
    A, lo, hi, _ = rows.stack()
    return A, lo, hi


def _add_fan_in(rows: _Rows, lay: _Layout, model: WeightModel, var_lb: np.ndarray,
                var_ub: np.ndarray) -> None:
    """Big-M indicators ``lb_j y_g(j) <= x_j <= ub_j y_g(j)``, ``sum_g y_g <= K``; the weights'
    own bounds widen to include 0 (set in ``var_lb``/``var_ub`` in place)."""
    p, ng, ncol, o_y = lay.p, lay.ng, lay.ncol, lay.o_y
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
    rows.add(A1, np.full(p, -np.inf), np.zeros(p))
    rows.add(A2, np.zeros(p), np.full(p, np.inf))
    row = np.zeros(ncol)
    row[o_y:o_y + ng] = 1.0
    rows.add(row[None, :], [-np.inf], [float(model.fan_in)])
    var_lb[:p] = np.minimum(model.lb, 0.0)
    var_ub[:p] = np.maximum(model.ub, 0.0)


def _cost_and_integrality(model: WeightModel, lay: _Layout) -> tuple[np.ndarray, np.ndarray]:
    """Objective ``sum t`` (plus the l1 weight penalty) and the integer columns (integer
    weights, bias, indicators)."""
    c = np.zeros(lay.ncol)
    c[lay.o_t:lay.o_t + lay.nt] = 1.0
    if model.penalty > 0:
        pen = model.penalty_coefs()
        c[lay.o_u:lay.o_u + lay.nu] = pen[lay.aux_idx]
        pos = model.lb >= 0
        neg = (model.ub <= 0) & ~pos
        c[:lay.p][pos] += pen[pos]
        c[:lay.p][neg] -= pen[neg]
    integrality = np.zeros(lay.ncol, dtype=np.uint8)
    integrality[:lay.p] = model.integer
    if lay.nb and model.bias_integer:
        integrality[lay.o_b] = 1
    integrality[lay.o_y:lay.o_y + lay.ng] = 1
    return c, integrality


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
    lay = _layout(problem, model, objective, deadzone, cost_active)
    base = _current_rows(model, lay)
    rows = _Rows(lay.ncol)
    _add_error_rows(rows, lay, base, problem)
    _add_side_rows(rows, lay, base, problem)
    var_lb, var_ub = _variable_bounds(model, lay)
    _add_abs_rows(rows, lay)
    if model.abs_limit is not None:
        _add_abs_budget(rows, lay, model)
    if model.fan_in is not None:
        _add_fan_in(rows, lay, model, var_lb, var_ub)
    A, lo, hi, lazy = rows.stack()
    c, integrality = _cost_and_integrality(model, lay)
    return Assembled(c, A, lo, hi, var_lb, var_ub, integrality, lay.p, lay.nb, lay.o_y, lay.ng, lazy)


def run_highs(asm: Assembled, *, time_limit: float, mip_rel_gap: float,
              presolve: bool = True, node_limit: int | None = None) -> tuple[int, str, np.ndarray | None, float | None,
                                              float | None, float, bool]:
    """One call of linprog(method="highs") (no integers) or milp. Returns
    ``(code, message, x, fun, mip_gap, seconds, is_mip)`` with scipy's status code.
    ``node_limit`` (MILPs only) stops branch and bound after that many nodes: unlike the time
    limit, the same problem then always stops at the same incumbent."""
    is_mip = bool(np.any(asm.integrality))
    if is_mip:
        t0 = time.perf_counter()
        res = milp(asm.c, integrality=asm.integrality, bounds=Bounds(asm.var_lb, asm.var_ub),
                   constraints=LinearConstraint(asm.A, asm.lo, asm.hi) if asm.A.shape[0] else
                   None, options={"time_limit": float(time_limit),
                                  "mip_rel_gap": float(mip_rel_gap), "presolve": presolve,
                                  **({} if node_limit is None else {"node_limit": int(node_limit)})})
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
                cost_active: bool = True, node_limit: int | None = None,
                lp_solver: str = "scipy", rows: str = "all") -> Outcome:
    """Assemble and solve; "infeasible or unbounded" from presolve is re-solved without it.

    ``lp_solver="highspy"``: pure LPs go to the warm-started dual simplex of :mod:`.warm`
    first; anything it does not prove optimal (or cannot take) takes the scipy path below.
    ``lp_solver="ipm"``: plain l1 LPs go to the dense interior point of :mod:`.ipm` first, with
    the same fallback. ``lp_solver="auto"``: ``"ipm"`` for models of at least
    ``ipm.AUTO_MIN_VARIABLES`` variables (wide layers), ``"scipy"`` below.
    ``rows="generate"``: other pure LPs with lazy rows are solved by row generation
    (:mod:`.rowgen`) first, with the same fallback.
    """
    # imported here: both build their models with this module's row builders
    from . import ipm, rowgen, warm

    if lp_solver == "auto":
        lp_solver = "ipm" if model.p >= ipm.AUTO_MIN_VARIABLES else "scipy"
    if lp_solver == "ipm" and ipm.applies(problem, model, objective, deadzone, cost_active):
        got = ipm.solve(problem, model)
        if got is not None:
            xi, bi, fi, dti, msg = got
            return Outcome("optimal", xi, bi, fi, None, dti, msg, False, None)
    if lp_solver == "highspy" and warm.applies(model, objective, deadzone, cost_active):
        got = warm.solve_warm(problem, model, objective, time_limit=time_limit)
        if got is not None:
            xw, bw, fw, dtw = got
            return Outcome("optimal", xw, bw, fw, None, dtw, "warm-started dual simplex (highspy)",
                           False, None)
    asm = assemble(problem, model, objective, deadzone=deadzone, cost_active=cost_active)
    if rows == "generate" and not np.any(asm.integrality) and asm.lazy.any():
        gen = rowgen.solve_generated(asm, time_limit=time_limit)
        if gen is not None:
            return Outcome("optimal", gen.v[:asm.p].copy(), float(gen.v[asm.p]) if asm.nb else 0.0,
                           gen.fun, None, gen.seconds,
                           f"row generation: {gen.rounds} rounds, {gen.rows} of {gen.total} rows",
                           False, None)
    code, msg, x, fun, gap, dt, is_mip = run_highs(asm, time_limit=time_limit,
                                                   mip_rel_gap=mip_rel_gap, node_limit=node_limit)
    status = _status(code, msg)
    if status == "infeasible_or_unbounded":
        code, msg, x, fun, gap, dt2, is_mip = run_highs(
            asm, time_limit=time_limit, mip_rel_gap=mip_rel_gap, presolve=False, node_limit=node_limit)
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
