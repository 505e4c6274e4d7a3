"""Warm-started dual simplex for the pure LPs of one layer (HiGHS through ``highspy``).

Every neuron of a layer has the same input matrix ``G`` (its calibration drives); only its
targets ``z``, its silent samples and its hard error band differ. :mod:`.highs` builds a new
LP per neuron whose rows depend on which samples are active; here the rows are the same for
every neuron and the neuron enters through row and column *bounds* only, so one
``highspy.Highs`` model per layer (per worker chunk) is built once and, for each neuron, its
bounds are changed and it is re-solved by the dual simplex from the previous neuron's optimal
basis (a basis stays dual feasible when only bounds change: the costs are the same).

Uniform layouts (``I_s = G_s x + c_b beta_var``, every sample ``s`` has its rows)::

    l1   columns [x | beta_var | u | e+ (S) | e- (S)], cost 1 on e+ and e- (+ penalty on x, u)
         rows    I_s - e+_s + e-_s  in [z_s, z_s]          active
                                    in (-inf, i_th]        silent (e-_s fixed at 0; hard: e+_s too)
    linf columns [x | beta_var | u | t], cost 1 on t
         rows    I_s - t <= z_s / i_th / +inf              active / silent hinge / silent hard
                 I_s + t >= z_s / -inf                      active / silent
    both, with a hard band or hard silent samples: rows I_s in [z_s - eps_s, z_s + eps_s]
         (active, band), (-inf, i_th] (silent, hard), free otherwise;
         and the rows of the absolute-value budget (``u_j >= +-x_j``, ``sum a_j |x_j| <= L``),
         built by :func:`.highs.abs_rows` as in :func:`.highs.assemble` (one layout).

The optimum equals the one of :func:`.highs.assemble` (the same LP, rows written differently);
with a degenerate LP the vertex (the weights) can differ. A warm start makes the vertex depend on
the neurons solved before in the same model: the model lives only inside :func:`chunk`, which
the layer solver opens for every chunk of a fixed size (``warm_chunk``), so the weights depend
only on the chunk size, never on the number of workers; outside a chunk every LP is solved cold.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .highs import abs_rows, aux_columns
from .model import WeightModel
from .problem import NeuronProblem

INF = np.inf


@dataclass
class _Cached:
    """The live model of this process and what identifies its rows."""

    highs: object
    key: tuple
    G: np.ndarray
    cost: np.ndarray


class _State(threading.local):
    """Per thread (a thread pool's workers must not share a model): the live model, if any, and
    whether a chunk is open."""

    model: _Cached | None = None
    chunk: bool = False


_STATE = _State()
#: Counters of this process (tests, benchmark): builds = models passed to HiGHS, solves = runs,
#: iterations = simplex iterations summed.
STATS = {"builds": 0, "solves": 0, "iterations": 0}


def reset() -> None:
    """Forget the live model: the next LP is built afresh and solved from a cold start."""
    _STATE.model = None


@contextmanager
def chunk():
    """Keep the model alive between the LPs solved inside (one chunk of a layer, or the LPs of
    one neuron's heuristic, in order).

    Outside a chunk every LP is solved cold and forgotten, so a direct call never depends on
    what was solved before it in the process. A chunk opened inside another starts cold and,
    when it closes, gives the outer chunk its live model back untouched."""
    outer = _STATE.model, _STATE.chunk
    _STATE.model, _STATE.chunk = None, True
    try:
        yield
    finally:
        _STATE.model, _STATE.chunk = outer


def applies(model: WeightModel, objective: str, deadzone, cost_active: bool) -> bool:
    """Whether the warm path takes this LP (no integers, no fan-in, no dead zone)."""
    return (objective in ("l1", "linf") and not model.is_mip and deadzone is None and cost_active
            and (model.penalty == 0 or model.penalty_norm == "l1"))


def _key(problem: NeuronProblem, model: WeightModel, objective: str) -> tuple:
    """Everything but ``G`` that fixes the rows and columns of the uniform layout."""
    plain = problem.max_error is not None or (objective == "linf" and problem.silent_mode == "hard")
    budget = None if model.abs_limit is None else np.asarray(model.abs_coef, np.float64).tobytes()
    return (objective, model.G.shape, bool(model.bias), float(model.bias_coef),
            aux_columns(model).tobytes(), plain, budget, None if model.M is None else model.M.shape)


def _build(problem: NeuronProblem, model: WeightModel, objective: str, key: tuple):
    """The constraint matrix (CSC) of the uniform layout and its column blocks."""
    S, p = model.G.shape
    nb = 1 if model.bias else 0
    aux = aux_columns(model)
    nu = aux.size
    ne = 2 * S if objective == "l1" else 1
    ncol = p + nb + nu + ne
    base = sp.hstack([sp.csr_array(model.G), sp.csr_array(np.full((S, nb), model.bias_coef)),
                      sp.csr_array((S, nu + ne))], format="csr")
    eye = sp.identity(S, format="csr")
    blocks = []
    if objective == "l1":
        E = sp.hstack([sp.csr_array((S, p + nb + nu)), -eye, eye], format="csr")
        blocks.append(base + E)
    else:
        T = sp.csr_array((np.ones(S), (np.arange(S), np.full(S, ncol - 1))), shape=(S, ncol))
        blocks += [base - T, base + T]
    if key[5]:
        blocks.append(base)
    if nu or model.abs_limit is not None:
        blocks.append(abs_rows(model, ne)[0])
    return sp.vstack(blocks, format="csc"), aux


def _bounds_and_cost(problem: NeuronProblem, model: WeightModel, objective: str, aux: np.ndarray,
                     plain: bool):
    """This neuron's column bounds, row bounds and costs in the uniform layout."""
    S, p = model.G.shape
    nb = 1 if model.bias else 0
    nu = aux.size
    act, sil = problem.active, problem.silent
    hard = problem.silent_mode == "hard"
    z, i_th = problem.z, problem.i_th
    if objective == "l1":
        e_ub = np.concatenate([np.where(sil & hard, 0.0, INF), np.where(sil, 0.0, INF)])
        lo = [np.where(act, z, -INF)]
        hi = [np.where(act, z, i_th)]
        ne = 2 * S
    else:
        e_ub = np.array([INF])
        lo = [np.full(S, -INF), np.where(act, z, -INF)]
        hi = [np.where(act, z, INF if hard else i_th), np.full(S, INF)]
        ne = 1
    if plain:
        eps = problem.max_error
        plo = np.full(S, -INF) if eps is None else np.where(act, z - eps, -INF)
        phi = np.full(S, INF) if eps is None else np.where(act, z + eps, INF)
        if hard:
            phi = np.where(sil, i_th, phi)
        lo.append(plo)
        hi.append(phi)
    if nu or model.abs_limit is not None:
        _, abs_lo, abs_hi = abs_rows(model, ne)
        lo.append(abs_lo)
        hi.append(abs_hi)
    col_lb = np.concatenate([model.lb, [model.bias_lb] * nb, np.zeros(nu), np.zeros(ne)])
    col_ub = np.concatenate([model.ub, [model.bias_ub] * nb, np.full(nu, INF), e_ub])
    cost = np.zeros(p + nb + nu + ne)
    cost[p + nb + nu:] = 1.0
    if model.penalty > 0:
        pen = model.penalty_coefs()
        cost[p + nb:p + nb + nu] = pen[aux]
        pos = model.lb >= 0
        neg = (model.ub <= 0) & ~pos
        cost[:p][pos] += pen[pos]
        cost[:p][neg] -= pen[neg]
    return col_lb, col_ub, np.concatenate(lo), np.concatenate(hi), cost


def new_highs(A: sp.csc_array, col_lb, col_ub, row_lo, row_hi, cost):
    """A quiet ``highspy.Highs`` holding the LP, set up for the dual simplex without presolve."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", 1)  # dual
    h.setOptionValue("presolve", "off")
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = A.shape[1], A.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lb, col_ub
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = A.shape[1], A.shape[0]
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    h.passModel(lp)
    return h


def solve_warm(problem: NeuronProblem, model: WeightModel, objective: str, *,
               time_limit: float) -> tuple[np.ndarray, float, float, float] | None:
    """Solve the LP of ``(problem, model, objective)`` in the live model (warm) or a new one.

    Returns ``(x, beta_var, fun, seconds)`` (``seconds``: wall time inside HiGHS, passing the
    model and solving) when HiGHS proves optimality, None otherwise (the live model is then dropped and the
    caller falls back to :func:`.highs.run_highs`, which diagnoses and reports the limit).
    """
    import highspy

    key = _key(problem, model, objective)
    cur = _STATE.model
    seconds = 0.0
    G = np.asarray(model.G, dtype=np.float64)
    aux = aux_columns(model)
    col_lb, col_ub, row_lo, row_hi, cost = _bounds_and_cost(problem, model, objective, aux, key[5])
    if cur is not None and cur.key == key and np.array_equal(cur.G, G):
        h = cur.highs
        n, m = col_lb.size, row_lo.size
        h.changeColsBounds(n, np.arange(n, dtype=np.int32), col_lb, col_ub)
        h.changeRowsBounds(m, np.arange(m, dtype=np.int32), row_lo, row_hi)
        if not np.array_equal(cur.cost, cost):
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            cur.cost = cost
    else:
        A, _ = _build(problem, model, objective, key)
        t0 = time.perf_counter()
        h = new_highs(A, col_lb, col_ub, row_lo, row_hi, cost)
        seconds += time.perf_counter() - t0
        _STATE.model = cur = _Cached(h, key, G.copy(), cost)
        STATS["builds"] += 1
    h.setOptionValue("time_limit", float(time_limit))
    t0 = time.perf_counter()
    h.run()
    seconds += time.perf_counter() - t0
    STATS["solves"] += 1
    STATS["iterations"] += int(h.getInfo().simplex_iteration_count)
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    if not optimal or not _STATE.chunk:
        reset()
    if not optimal:
        return None
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    p = model.p
    beta = float(x[p]) if model.bias else 0.0
    fun = float(h.getInfo().objective_function_value)
    return x[:p].copy(), beta, fun, seconds
