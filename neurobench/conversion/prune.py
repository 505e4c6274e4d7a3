"""Node pruning: choose which neurons of a hidden layer to keep (Mern et al.'s "optimal node
pruning", our reconstruction, spec §5 [inferred]).

A hidden layer of ``n`` neurons feeds the next layer through ``I = R W^T + b``, with ``R``
(S, n) the hidden neurons' measured drive per unit weight on S calibration samples and ``Z``
(S, m) the next layer's target drives (mV/ms). Pruning keeps ``k`` of the ``n`` neurons; the
next layer's synapses are then solved again from the survivors only
(``Converter(prune={layer: k})``). Four selection methods:

``group_lp``
    Group-sparse linear program over all ``m`` next-layer neurons at once::

        min  1/(S m) sum_{s,j} e_sj  +  lam sum_i c_i t_i
        e_sj >= |R_s w_j + b_j - z_sj|            (active samples)
        e_sj >= R_s w_j + b_j - i_th, e_sj >= 0   (silent samples: stay below onset)
        -t_i <= w_ji <= t_i,  w_min <= w_ji <= w_max

    At most ``max_rows`` samples (a seeded subsample) enter the LP, which keeps it small.
    ``t_i`` bounds every outgoing weight of hidden neuron ``i`` (an L-infinity group norm, so
    the problem stays an LP); ``c_i`` is neuron ``i``'s mean drive, so the penalty prices what a
    neuron contributes, not its weights' units. ``lam`` is found by bisection until at most
    about ``k`` groups stay non-zero; the ``k`` groups with the largest ``c_i t_i`` are kept.
    The bisection's LPs are solved in one HiGHS model (highspy) by the interior-point method
    with crossover (an optimal vertex), faster on these LPs than the dual simplex.
``greedy``
    Backward elimination on the least-squares fit of ``Z`` (active samples): repeatedly drop the
    neuron whose removal raises the squared residual least, ``w_i^2 / (G^-1)_ii`` summed over
    the next layer (the optimal-brain-surgeon criterion of a linear layer), ``G = R^T R + eps``.
``random``
    ``k`` neurons drawn uniformly with ``seed``.
``milp``
    Exact selection: binary ``y_i`` with ``|w_ji| <= M y_i`` and ``sum_i y_i = k``, minimising
    the same L1 error (HiGHS branch and bound with a time limit; small layers only). A stop at
    the time limit is reported as status ``"time_limit"`` with the MIP gap, never as optimal.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from .problem import SolverFailure
from .warm import new_highs

METHODS = ("group_lp", "greedy", "random", "milp")


@dataclass(frozen=True)
class Selection:
    """The neurons kept by a pruning method.

    Attributes
    ----------
    keep : ndarray of int, sorted
        Indices of the kept neurons, exactly ``k`` of them.
    method : str
    status : str
        ``"optimal"`` (group_lp, greedy, random: the selection itself is exact), or the MILP's
        ``"optimal"`` / ``"time_limit"``.
    seconds : float
        Wall time of the selection.
    mip_gap : float or None
        Relative MIP gap (``milp`` only).
    """

    keep: np.ndarray
    method: str
    status: str = "optimal"
    seconds: float = 0.0
    mip_gap: float | None = None


def check_selection_args(n: int, k: int, method: str) -> None:
    """Raise ``ValueError`` naming the parameter when ``k`` or ``method`` is not allowed."""
    if method not in METHODS:
        raise ValueError(f"prune method = {method!r} is not allowed: must be one of {list(METHODS)}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ValueError(f"prune size k = {k!r} is not allowed: must be an integer in [1, {n}]")


def _l1_rows(R: np.ndarray, Z: np.ndarray, silent: np.ndarray, i_th: float, n_w: int):
    """Sparse rows of the per-sample L1 error constraints for every next-layer neuron.

    Variables: ``[W (m x n, row-major), b (m), e (S x m, sample-major per neuron)]`` followed
    by ``n_w - m*n - m - S*m`` more columns the caller owns. Returns ``(A_ub, b_ub)``.
    """
    S, n = R.shape
    m = Z.shape[1]
    blocks, rhs = [], []
    Rs = sp.csr_array(R)
    ones = sp.csr_array(np.ones((S, 1)))
    eye = sp.identity(S, format="csr")
    for j in range(m):
        active = ~silent[:, j]
        w_cols = sp.hstack([sp.csr_array((S, j * n)), Rs, sp.csr_array((S, (m - j - 1) * n))])
        b_cols = sp.hstack([sp.csr_array((S, j)), ones, sp.csr_array((S, m - j - 1))])
        e_cols = sp.hstack([sp.csr_array((S, j * S)), -eye, sp.csr_array((S, (m - j - 1) * S))])
        rest = sp.csr_array((S, n_w - m * n - m - m * S))
        upper = sp.hstack([w_cols, b_cols, e_cols, rest], format="csr")  # R w + b - e <= z
        blocks.append(upper)
        rhs.append(np.where(active, Z[:, j], i_th))
        lower = sp.hstack([-w_cols, -b_cols, e_cols, rest], format="csr")[active]  # -(R w + b) - e <= -z
        blocks.append(lower)
        rhs.append(-Z[active, j])
    return sp.vstack(blocks, format="csr"), np.concatenate(rhs)


def _group_rows(m: int, n: int, group_cols: int, scale: float = 1.0):
    """Rows ``w_ji - scale g_i <= 0`` and ``-w_ji - scale g_i <= 0`` with the group variables
    ``g`` at columns ``group_cols .. group_cols + n``."""
    n_vars = group_cols + n
    eye_w = sp.identity(m * n, format="csr")
    g = sp.csr_array(scale * np.tile(np.identity(n), (m, 1)))
    pad = sp.csr_array((m * n, group_cols - m * n))
    up = sp.hstack([eye_w, pad, -g], format="csr")
    dn = sp.hstack([-eye_w, pad, -g], format="csr")
    assert up.shape[1] == n_vars
    return sp.vstack([up, dn], format="csr"), np.zeros(2 * m * n)


def _bounds(m: int, n: int, S: int, w_min: float, w_max: float, extra_lo, extra_hi):
    lo = np.concatenate([np.full(m * n, w_min), np.full(m, -np.inf), np.zeros(m * S), extra_lo])
    hi = np.concatenate([np.full(m * n, w_max), np.full(m, np.inf), np.full(m * S, np.inf), extra_hi])
    return lo, hi


def _group_lp(R, Z, silent, i_th, k, w_min, w_max, time_limit):
    S, n = R.shape
    m = Z.shape[1]
    n_vars = m * n + m + m * S + n
    A1, b1 = _l1_rows(R, Z, silent, i_th, n_vars)
    A2, b2 = _group_rows(m, n, m * n + m + m * S)
    A, b = sp.vstack([A1, A2], format="csr"), np.concatenate([b1, b2])
    big = max(abs(w_min), abs(w_max)) if math.isfinite(w_min) and math.isfinite(w_max) else np.inf
    lo, hi = _bounds(m, n, S, w_min, w_max, np.zeros(n), np.full(n, big))
    contribution = R.mean(axis=0)
    useful = contribution > 0

    # One HiGHS model for the whole bisection (only the cost of the group variables changes),
    # solved by the interior-point method and crossover: a warm-started simplex does not pay,
    # the optimal bases of successive lam are thousands of pivots apart.
    error_cost = np.concatenate([np.zeros(m * n + m), np.full(m * S, 1.0 / (m * S))])
    highs = new_highs(A.tocsc(), lo, hi, np.full(b.size, -np.inf), b, np.zeros(n_vars))
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("solver", "ipm")  # then crossover to a vertex; 1.7-2.6x the dual simplex here
    columns = np.arange(n_vars, dtype=np.int32)

    def solve(lam: float) -> np.ndarray:
        highs.changeColsCost(n_vars, columns, np.concatenate([error_cost, lam * contribution]))
        highs.run()
        if highs.getInfo().primal_solution_status != 2:  # 2: a feasible point
            raise SolverFailure(f"group-sparse pruning LP failed at lam = {lam:g}: "
                                f"{highs.modelStatusToString(highs.getModelStatus())}")
        return contribution * np.asarray(highs.getSolution().col_value)[-n:]

    # Bisection on lam (log scale): large lam switches groups off, small lam keeps them all.
    lam_lo, lam_hi = 0.0, 1.0
    score = solve(lam_hi)
    while np.count_nonzero(score > 1e-9) > k and lam_hi < 1e6:
        lam_lo, lam_hi = lam_hi, lam_hi * 10.0
        score = solve(lam_hi)
    best = score if np.count_nonzero(score > 1e-9) >= k else None
    for _ in range(10):
        lam = math.sqrt(lam_lo * lam_hi) if lam_lo > 0 else lam_hi / 10.0
        s = solve(lam)
        alive = np.count_nonzero(s > 1e-9)
        if alive >= k:
            best, lam_lo = s, lam
            if alive <= k + max(1, k // 4):
                break
        else:
            lam_hi = lam
    if best is None:
        best = solve(0.0)
    # Rank: alive groups by their priced size; ties (dead groups) by mean drive.
    order = np.lexsort((-contribution, -np.where(useful, best, -1.0)))
    return np.sort(order[:k])


def _greedy(R, Z, silent, k):
    active_any = ~np.all(silent, axis=1)
    A = np.column_stack([R[active_any], np.ones(int(active_any.sum()))])
    Y = np.where(silent[active_any], 0.0, Z[active_any])
    alive = list(range(R.shape[1]))
    ridge = 1e-9 * max(1.0, float(np.trace(A.T @ A)) / A.shape[1])
    while len(alive) > k:
        cols = alive + [R.shape[1]]
        G = A[:, cols].T @ A[:, cols] + ridge * np.eye(len(cols))
        G_inv = np.linalg.inv(G)
        W = G_inv @ (A[:, cols].T @ Y)
        cost = np.sum(W[:-1] ** 2, axis=1) / np.diag(G_inv)[:-1]
        alive.pop(int(np.argmin(cost)))
    return np.array(sorted(alive))


def _milp(R, Z, silent, i_th, k, w_min, w_max, time_limit, mip_rel_gap):
    S, n = R.shape
    m = Z.shape[1]
    if not (math.isfinite(w_min) and math.isfinite(w_max)):
        raise ValueError("prune method 'milp' needs finite weight bounds (w_min, w_max) for its big-M")
    big = max(abs(w_min), abs(w_max))
    n_vars = m * n + m + m * S + n
    A1, b1 = _l1_rows(R, Z, silent, i_th, n_vars)
    A2, b2 = _group_rows(m, n, m * n + m + m * S, scale=big)  # |w_ji| <= M y_i
    count = sp.csr_array(np.concatenate([np.zeros(m * n + m + m * S), np.ones(n)])[None, :])
    A = sp.vstack([A1, A2, count], format="csr")
    lo_rows = np.concatenate([np.full(len(b1) + len(b2), -np.inf), [k]])
    hi_rows = np.concatenate([b1, b2, [k]])
    lo, hi = _bounds(m, n, S, w_min, w_max, np.zeros(n), np.ones(n))
    c = np.concatenate([np.zeros(m * n + m), np.full(m * S, 1.0 / (m * S)), np.zeros(n)])
    integrality = np.concatenate([np.zeros(n_vars - n), np.ones(n)])
    res = milp(c, integrality=integrality, bounds=Bounds(lo, hi),
               constraints=LinearConstraint(A, lo_rows, hi_rows),
               options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_rel_gap)})
    if res.x is None:
        raise SolverFailure(f"pruning MILP found no selection within {time_limit} s: {res.message}")
    y = res.x[-n:]
    keep = np.sort(np.argsort(-y, kind="stable")[:k])
    status = "optimal" if res.status == 0 else ("time_limit" if "time" in str(res.message).lower() else "error")
    return keep, status, None if res.mip_gap is None else float(res.mip_gap)


def select_neurons(
    R: np.ndarray,
    Z: np.ndarray,
    silent: np.ndarray,
    k: int,
    method: str = "group_lp",
    *,
    i_th: float = 0.0,
    w_min: float = -math.inf,
    w_max: float = math.inf,
    seed: int = 0,
    time_limit: float = 60.0,
    mip_rel_gap: float = 1e-4,
    max_rows: int = 200,
) -> Selection:
    """Choose ``k`` of the ``n`` hidden neurons whose drives ``R`` best fit the next layer's ``Z``.

    Parameters
    ----------
    R : ndarray (S, n)
        Drive per unit weight of each hidden neuron on S samples (its rate in spikes/ms).
    Z : ndarray (S, m)
        Target drives of the next layer's m neurons in mV/ms.
    silent : ndarray of bool (S, m)
        Samples where a next-layer neuron must stay below ``i_th`` (one-sided, as in conversion).
    k : int
        Neurons to keep, in [1, n].
    method : "group_lp", "greedy", "random" or "milp"
        See the module docstring.
    i_th : float
        Onset drive in mV/ms (0 for IF neurons).
    w_min, w_max : float
        Bounds on the next layer's weights (mV), as in the chip constraints.
    seed : int
        Seed of ``random`` and of the row subsample.
    max_rows : int
        Samples used by ``group_lp`` and ``milp`` (a seeded subsample when S is larger).
    time_limit, mip_rel_gap : float
        HiGHS limits (seconds per LP/MILP call).

    Returns
    -------
    Selection
        ``keep`` holds exactly ``k`` sorted indices.
    """
    R = np.asarray(R, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    silent = np.asarray(silent, dtype=bool)
    if R.ndim != 2 or Z.ndim != 2 or Z.shape[0] != R.shape[0] or silent.shape != Z.shape:
        raise ValueError(f"R (S, n), Z (S, m) and silent (S, m) must agree, got {R.shape}, {Z.shape}, {silent.shape}")
    check_selection_args(R.shape[1], k, method)
    start = time.perf_counter()
    status, gap = "optimal", None
    rows = np.arange(R.shape[0])
    if method in ("group_lp", "milp") and R.shape[0] > max_rows:
        rows = np.sort(np.random.default_rng(seed).choice(R.shape[0], size=max_rows, replace=False))
    if method == "random":
        keep = np.sort(np.random.default_rng(seed).choice(R.shape[1], size=k, replace=False))
    elif method == "greedy":
        keep = _greedy(R, Z, silent, k)
    elif method == "group_lp":
        keep = _group_lp(R[rows], Z[rows], silent[rows], i_th, k, w_min, w_max, time_limit)
    else:
        keep, status, gap = _milp(R[rows], Z[rows], silent[rows], i_th, k, w_min, w_max, time_limit, mip_rel_gap)
    keep = np.asarray(keep, dtype=np.int64)
    assert keep.shape == (k,) and len(np.unique(keep)) == k
    return Selection(keep=keep, method=method, status=status, seconds=time.perf_counter() - start, mip_gap=gap)
