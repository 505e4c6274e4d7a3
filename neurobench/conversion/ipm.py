"""A dense interior-point method for one neuron's l1 problem, for wide layers (``lp_solver="ipm"``,
and ``"auto"`` from ``AUTO_MIN_VARIABLES`` inputs on).

The l1 problem of :mod:`.problem` (active samples ``A``, silent samples ``Z``, hinge penalty)::

    P(v) = sum_A |K_a v - z_a| + sum_Z max(0, K_s v - i_th),     K = [G | c_b 1]  (S, m)

over ``v = (x, beta_var)`` is solved through its dual, a box-constrained LP with ``m`` equality
rows and ``S`` variables::

    max  D(u) = -sum_A z_a u_a - i_th sum_Z u_s    s.t.  K^T u = 0,  u_a in [-1, 1],  u_s in [0, 1]

by Mehrotra's predictor-corrector (the Frisch-Newton method of Portnoy and Koenker, 1997, for
l1 regression). Each iteration forms and Cholesky-factors the dense ``m x m`` matrix
``K^T diag(q) K`` (``S m^2`` flops): on a 784-input layer with 1000 calibration samples about
50 ms on one core, and 5-17 iterations, where HiGHS's simplex spends 3-12 s on the same LP
(1,300-2,300 iterations of a dense basis). The weights are the multipliers of the equality rows.

The result is an optimum of the problem *without* the variable bounds; it is returned only when
it lies inside them (then it is also optimal with them: a relaxation's optimum that is feasible
is optimal), and only when ``u`` is feasible to ``feas_tol`` (relative) and the gap
``P(v) - L(v, u)``, with ``L(v, u) = sum_s u_s e_s`` the Lagrangian at the residuals ``e``
(``K v - z`` active, ``K v - i_th`` silent), is below ``gap_tol (1 + P(v))``. Every term
``|e_a| - u_a e_a`` and ``max(0, e_s) - u_s e_s`` is >= 0 for ``u`` in its box, and
``P(v) - P(v*)`` exceeds this gap only by the second-order ``|(K^T u) . (v* - v)|``.
Otherwise :func:`solve` returns None and the caller solves the LP with HiGHS. Unlike the
simplex, an interior point method returns a point in the relative interior of the optimal face
when the optimum is not unique (the weights then differ from HiGHS's vertex; the objective
agrees within the gap).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sl
from threadpoolctl import threadpool_limits

from .model import WeightModel
from .problem import NeuronProblem


AUTO_MIN_VARIABLES = 256
"""``lp_solver="auto"`` takes this path for models of at least this many variables (a layer's
inputs, plain weights): there each simplex iteration on the dense block of drives costs
milliseconds (784 inputs: scipy 7.6 s per neuron, this method 0.3 s). Narrower layers keep
scipy's vertex solutions, on which the reports were built (this method is faster there too: 5.8x
on the digits MLP's 64 inputs, with other weights where the optimum is not unique)."""


@dataclass(frozen=True)
class IpmResult:
    """A converged interior-point solve: ``v`` (m,) the variables (then the bias variable),
    ``objective`` ``P(v)``, ``gap`` ``P(v) - L(v, u)`` (same units: current summed over samples),
    ``iterations`` and wall ``seconds``."""

    v: np.ndarray
    objective: float
    gap: float
    iterations: int
    seconds: float


def applies(problem: NeuronProblem, model: WeightModel, objective: str, deadzone, cost_active: bool) -> bool:
    """Whether :func:`solve` takes this LP: the l1 objective over plain bounded variables (no
    integers, fan-in, absolute-value budget, weight penalty, dead zone, error band or hard
    silent samples) and at least one sample."""
    return (objective == "l1" and not model.is_mip and model.abs_limit is None and model.penalty == 0
            and deadzone is None and cost_active and problem.max_error is None
            and problem.silent_mode == "hinge" and model.G.shape[0] > 0)


def dual_l1(K: np.ndarray, z: np.ndarray, silent: np.ndarray, i_th: float, *, gap_tol: float = 1e-8,
            feas_tol: float = 1e-8, max_iter: int = 60) -> IpmResult | None:
    """Minimise ``P(v)`` (module docstring) over unbounded ``v``; None if the method did not reach
    the tolerances within ``max_iter`` iterations or the normal matrix could not be factored."""
    t0 = time.perf_counter()
    S, m = K.shape
    active = ~silent
    # standard form: min c.x  s.t.  K^T x = b,  0 <= x <= h,   x = u - lower
    lower = np.where(active, -1.0, 0.0)
    h = np.where(active, 2.0, 1.0)
    c = np.where(active, z, float(i_th))  # the residuals are e = K v - c
    b = -(K.T @ lower)
    x = 0.5 * h
    s = h - x
    y = _least_squares(K, c)
    r = c - K @ y  # = z_dual - w_dual, both kept positive
    zd = np.maximum(r, 0.0) + 1e-2 * (1.0 + np.abs(r).max())
    wd = zd - r
    b_scale = 1.0 + np.abs(b).max()
    for it in range(max_iter):
        e = K @ y - c
        rp = b - K.T @ x
        rd = -e - zd + wd
        primal = float(np.abs(e[active]).sum() + np.maximum(e[silent], 0.0).sum())  # P(v)
        gap = primal - (x + lower) @ e  # P(v) - L(v, u) >= 0 (module docstring)
        if np.abs(rp).max() <= feas_tol * b_scale and abs(gap) <= gap_tol * (1.0 + primal):
            return IpmResult(y, primal, float(gap), it, time.perf_counter() - t0)
        mu = (x @ zd + s @ wd) / (2 * S)
        q = 1.0 / (zd / x + wd / s)
        normal = sl.blas.dsyrk(1.0, K * np.sqrt(q)[:, None], trans=1, lower=0)  # upper triangle of K^T Q K
        normal[np.diag_indices_from(normal)] += 1e-12 * max(normal.diagonal().max(), 1e-300)
        try:
            factor = sl.cho_factor(normal, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            return None

        def direction(target_xz, target_sw):
            t = target_xz / x - target_sw / s - rd
            dy = sl.cho_solve(factor, rp - K.T @ (q * t), check_finite=False)
            dx = q * (K @ dy + t)
            return dx, dy, (target_xz - zd * dx) / x, (target_sw + wd * dx) / s

        dx, dy, dz, dw = direction(-x * zd, -s * wd)  # predictor (affine scaling)
        ap = min(_step(x, dx), _step(s, -dx))
        ad = min(_step(zd, dz), _step(wd, dw))
        mu_aff = ((x + ap * dx) @ (zd + ad * dz) + (s - ap * dx) @ (wd + ad * dw)) / (2 * S)
        sigma_mu = (mu_aff / mu) ** 3 * mu
        dx, dy, dz, dw = direction(sigma_mu - x * zd - dx * dz, sigma_mu - s * wd + dx * dw)  # corrector
        ap = min(1.0, 0.9995 * min(_step(x, dx), _step(s, -dx)))
        ad = min(1.0, 0.9995 * min(_step(zd, dz), _step(wd, dw)))
        x += ap * dx
        s -= ap * dx
        y += ad * dy
        zd += ad * dz
        wd += ad * dw
        if not (np.all(np.isfinite(y)) and np.all(x > 0) and np.all(s > 0)):
            return None
    return None


def _least_squares(K: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``argmin_y ||K y - c||`` by the (slightly regularised) normal equations: the starting point
    only, so their conditioning does not matter; 10x cheaper than an SVD-based solve here."""
    normal = sl.blas.dsyrk(1.0, K, trans=1, lower=0)
    normal[np.diag_indices_from(normal)] += 1e-10 * max(normal.diagonal().max(), 1e-300)
    try:
        return sl.cho_solve(sl.cho_factor(normal, check_finite=False), K.T @ c, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        return np.zeros(K.shape[1])


def _step(v: np.ndarray, dv: np.ndarray) -> float:
    """Largest ``alpha <= 1`` keeping ``v + alpha dv >= 0``."""
    neg = dv < 0
    return float(min(1.0, np.min(-v[neg] / dv[neg]))) if neg.any() else 1.0


def solve(problem: NeuronProblem, model: WeightModel) -> tuple[np.ndarray, float, float, float, str] | None:
    """``(x, beta_var, objective, seconds, message)`` of the l1 LP by :func:`dual_l1` when it
    converges and its point lies within the model's bounds; None otherwise (the caller falls
    back to HiGHS). Only for models that :func:`applies` accepts."""
    t0 = time.perf_counter()
    G = np.asarray(model.G, dtype=np.float64)
    K = np.hstack([G, np.full((G.shape[0], 1), model.bias_coef)]) if model.bias else G
    z = np.asarray(problem.z, dtype=np.float64)
    silent = np.asarray(problem.silent, dtype=bool)
    with threadpool_limits(1, user_api="blas"):  # same bits on any machine; no oversubscribed pools
        got = dual_l1(K, z, silent, float(problem.i_th))
    if got is None:
        return None
    x = got.v[:model.p]
    beta_var = float(got.v[model.p]) if model.bias else 0.0
    if np.any(x < model.lb) or np.any(x > model.ub) or (model.bias and not model.bias_lb <= beta_var <= model.bias_ub):
        return None
    return (x.copy(), beta_var, got.objective, time.perf_counter() - t0,
            f"dense interior point: {got.iterations} iterations, duality gap {got.gap:.3g}")
