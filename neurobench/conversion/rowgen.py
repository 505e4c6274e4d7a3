"""Row (constraint) generation for the pure LPs of :mod:`.highs` (``rows="generate"``).

Most of a neuron's silent samples are well below the onset at the optimum: their hinge rows
``I_s - t_s <= i_th`` (or hard rows ``I_s <= i_th``) are slack, and so are most rows of a hard
error band. The LP is solved on the other rows plus a working set of these *lazy* rows
(:attr:`.highs.Assembled.lazy`), starting from none; every lazy row left out is then checked at
the solution ``v`` (its error column ``t_s`` is 0 there: it has a positive cost and no row), the
violated ones (violation ``> tol``, the HiGHS primal feasibility tolerance, absolute) join the
model, the ``batch`` most violated first, and the model is re-solved by the dual simplex from its
previous optimal basis (adding rows keeps a basis dual feasible) until no row left out is
violated. The relaxation's optimum is a lower bound of the full LP's and its point is feasible
for every row, so it is optimal for the full LP: the same objective (to HiGHS's tolerance); the
weights differ only where the LP is degenerate (another optimal vertex).

Integer models never come here (a MILP would restart branch and bound at every round).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .warm import new_highs

#: Counters of this process (tests, benchmark): solves = LPs solved by row generation, rounds =
#: HiGHS runs, rows_added = lazy rows that joined a model.
STATS = {"solves": 0, "rounds": 0, "rows_added": 0}

#: Absolute violation above which a row left out joins the model (HiGHS's primal feasibility
#: tolerance, so the point returned is as feasible as a solve of the full LP).
TOL = 1e-7


@dataclass
class Generated:
    """The result of :func:`solve_generated`.

    ``v``: the optimal point (all columns); ``fun``: its objective; ``rounds``: LPs solved;
    ``rows``: rows in the final model (of ``total`` rows); ``iterations``: simplex iterations
    summed; ``seconds``: wall time inside HiGHS (passing the model, adding rows, solving).
    """

    v: np.ndarray
    fun: float
    rounds: int
    rows: int
    total: int
    iterations: int
    seconds: float


def violations(A: sp.csr_array, lo: np.ndarray, hi: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``max(lo - A v, A v - hi, 0)`` per row: how far ``v`` is outside each row's range."""
    Av = A @ v
    return np.maximum(np.maximum(lo - Av, Av - hi), 0.0)


def solve_generated(asm, *, time_limit: float, batch: int | None = None) -> Generated | None:
    """Solve the pure LP ``asm`` (:class:`.highs.Assembled`) by row generation (module docstring).

    ``batch``: most rows added per round (the most violated first); None adds every violated
    row. Returns None when a round is not proven optimal (time limit over all rounds, infeasible
    relaxation, numerical trouble): the caller then solves the full LP, which reports it.
    """
    import highspy

    lazy = np.asarray(asm.lazy, dtype=bool)
    in_model = ~lazy
    A = asm.A
    t0 = time.perf_counter()
    h = new_highs(sp.csc_array(A[in_model]), asm.var_lb, asm.var_ub, asm.lo[in_model],
                  asm.hi[in_model], asm.c)
    seconds = time.perf_counter() - t0
    lazy_idx = np.flatnonzero(lazy)
    A_lazy, lo_lazy, hi_lazy = A[lazy_idx], asm.lo[lazy_idx], asm.hi[lazy_idx]
    out = np.ones(lazy_idx.size, dtype=bool)     # lazy rows not (yet) in the model
    rounds = iterations = 0
    deadline = time.perf_counter() + float(time_limit)
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        h.setOptionValue("time_limit", float(left))
        t0 = time.perf_counter()
        h.run()
        seconds += time.perf_counter() - t0
        rounds += 1
        STATS["rounds"] += 1
        iterations += int(h.getInfo().simplex_iteration_count)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        v = np.asarray(h.getSolution().col_value, dtype=np.float64)
        cand = np.flatnonzero(out)
        viol = violations(A_lazy[cand], lo_lazy[cand], hi_lazy[cand], v)
        bad = viol > TOL
        if not np.any(bad):
            STATS["solves"] += 1
            return Generated(v, float(asm.c @ v), rounds, int(in_model.sum()), A.shape[0],
                             iterations, seconds)
        order = np.argsort(-viol[bad], kind="stable")
        pick = cand[bad][order if batch is None else order[:batch]]
        pick.sort()
        out[pick] = False
        STATS["rows_added"] += int(pick.size)
        in_model[lazy_idx[pick]] = True
        B = A_lazy[pick]
        t0 = time.perf_counter()
        h.addRows(pick.size, lo_lazy[pick], hi_lazy[pick], B.nnz, B.indptr[:-1].astype(np.int32),
                  B.indices.astype(np.int32), B.data)
        seconds += time.perf_counter() - t0
