"""The ``ls`` objective: bounded least squares with a squared hinge on silent samples.

For a :class:`~.model.WeightModel` with box bounds only (no integers, budget or fan-in) and a
problem with hinge silent samples and no error band::

    min_{lb <= x <= ub, beta}  sum_{s in A} (I_s - z_s)^2 + sum_{s in Z} max(0, I_s - i_th)^2

Active-set (semismooth Newton) loop over the silent samples: with ``W`` the silent samples
currently violated, solve the bounded least-squares problem over rows ``A`` (toward ``z``) and
``W`` (toward ``i_th``) with ``scipy.optimize.lsq_linear(method="bvls")``; set ``W`` to the
samples violated at the new point; stop when every silent row agrees with ``W`` (in ``W`` and
``I_s >= i_th - tol``, or outside ``W`` and ``I_s <= i_th + tol``), which are the optimality
conditions of the convex objective, or after ``max_iter`` passes (best point kept).
Fixed variables (``lb == ub``, e.g. from iterative rounding) are moved to the right-hand side.
An l2 weight penalty ``lambda ||w||^2 = lambda ||M x||^2`` enters as the ridge rows
``sqrt(lambda) M x -> 0``, always in the fit.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import lsq_linear

from .highs import Outcome
from .model import WeightModel
from .problem import NeuronProblem


def solve_ls(problem: NeuronProblem, model: WeightModel, *,
             max_iter: int = 50) -> tuple[Outcome, int]:
    """Solve the ``ls`` problem (module docstring). Returns the outcome and the pass count."""
    if model.has_integers or model.abs_limit is not None or model.fan_in is not None:
        raise ValueError("ls objective: only box bounds are supported (no integer variables, "
                         "total-conductance budget or fan-in limit); these need a general "
                         "(MI)QP solver")
    if problem.silent_mode != "hinge" or problem.max_error is not None:
        raise ValueError("ls objective: hard silent constraints and an error band need a "
                         "general QP solver; use silent_mode='hinge' and max_error=None")
    if model.penalty > 0 and model.penalty_norm != "l2":
        raise ValueError(f"ls objective: penalty_norm = {model.penalty_norm!r} is not allowed: "
                         "least squares takes only the l2 (ridge) weight penalty")
    G = model.G
    S, p = G.shape
    free = model.lb < model.ub
    fixed_vals = np.where(free, 0.0, model.lb)
    offset = G @ fixed_vals
    ridge = None  # (rows over the free variables and the bias, right-hand side)
    if model.penalty > 0:
        Mfull = np.eye(p) if model.M is None else np.asarray(model.M, dtype=np.float64)
        root = np.sqrt(float(model.penalty))
        ridge = (root * Mfull[:, free], -root * (Mfull @ fixed_vals))
    cols = [G[:, free]]
    lb, ub = [model.lb[free]], [model.ub[free]]
    bias_free = model.bias and model.bias_lb < model.bias_ub
    if model.bias and not bias_free:
        offset = offset + model.bias_coef * model.bias_lb
    if bias_free:
        cols.append(np.full((S, 1), model.bias_coef))
        lb.append([model.bias_lb])
        ub.append([model.bias_ub])
    A = np.hstack(cols)
    lb, ub = np.concatenate(lb).astype(float), np.concatenate(ub).astype(float)
    q = A.shape[1]
    if ridge is not None:
        ridge = (np.hstack([ridge[0], np.zeros((ridge[0].shape[0], q - ridge[0].shape[1]))]), ridge[1])

    act = np.flatnonzero(problem.active)
    sil = np.flatnonzero(problem.silent)
    z, i_th = problem.z, problem.i_th
    scale = max(1.0, float(np.max(np.abs(z[act]), initial=0.0)), abs(i_th))
    tol = 1e-9 * scale

    def unpack(v: np.ndarray) -> tuple[np.ndarray, float]:
        x = fixed_vals.copy()
        x[free] = v[:int(free.sum())]
        if bias_free:
            return x, float(v[-1])
        return x, float(model.bias_lb) if model.bias else 0.0

    def objective(I: np.ndarray, v: np.ndarray) -> float:
        e = I[act] - z[act]
        h = np.maximum(0.0, I[sil] - i_th)
        f = float(e @ e + h @ h)
        if ridge is not None:
            r = ridge[0] @ v - ridge[1]
            f += float(r @ r)
        return f

    seconds, passes = 0.0, 0
    W = np.zeros(0, dtype=int)
    best = None
    status = "iteration_limit"
    for passes in range(1, max_iter + 1):
        rows = np.concatenate([act, W])
        rhs = np.concatenate([z[act], np.full(W.size, i_th)]) - offset[rows]
        lhs = A[rows]
        if ridge is not None:
            lhs, rhs = np.vstack([lhs, ridge[0]]), np.concatenate([rhs, ridge[1]])
        if q == 0:
            v = np.zeros(0)
        elif lhs.shape[0] == 0:
            v = np.clip(np.zeros(q), lb, ub)
        else:
            t0 = time.perf_counter()
            res = lsq_linear(lhs, rhs, bounds=(lb, ub), method="bvls", tol=1e-12)
            seconds += time.perf_counter() - t0
            v = res.x
        I = A @ v + offset
        f = objective(I, v)
        if best is None or f < best[0]:
            best = (f, v)
        Is = I[sil]
        inW = np.isin(sil, W)
        ok = np.where(inW, Is >= i_th - tol, Is <= i_th + tol)
        if np.all(ok):
            status = "optimal"
            best = (f, v)
            break
        W = sil[Is > i_th]
    f, v = best
    x, beta = unpack(v)
    beta_var = beta
    out = Outcome(status=status, x=x, beta_var=beta_var, fun=f, mip_gap=None, seconds=seconds,
                  message=f"ls active set: {passes} pass(es), {status}", is_mip=False)
    return out, passes
