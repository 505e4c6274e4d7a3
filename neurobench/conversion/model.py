"""Decision variables of one neuron's problem and the weights they make.

A :class:`WeightModel` says how ``p`` decision variables ``x`` (plus an optional bias variable)
map to the neuron's weights and input current::

    w     = M x                       (n,)    M = identity for plain weights
    I_s   = G_s x + c_b * beta_var,   G = R M (S, p), beta = c_b * beta_var

with per-variable bounds ``lb <= x <= ub``, integrality flags, an optional weighted
absolute-value budget ``sum_j a_j |x_j| <= abs_limit`` (total conductance) and an optional
fan-in limit (at most ``fan_in`` of the ``n_groups`` inputs used; variable ``j`` belongs to input
``groups[j]``) and an optional weight penalty added to the objective, ``penalty * sum_j a_j
|x_j|`` with ``a_j = sum_i |M_ij|`` (``"l1"``: ``penalty * ||w||_1`` when every variable makes one
weight) or ``penalty * ||M x||^2`` (``"l2"``). The family solvers build one model per (sub)problem: plain analog weights,
digital levels ``k`` (``M = scale * I``), hybrid multiplicities (``M[i, (i, tau)] = s_tau``) or
hybrid type weights (``M[i, tau] = m_{i,tau}``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .problem import NeuronProblem


@dataclass(frozen=True)
class WeightModel:
    """Variables -> weights map with bounds and side constraints (module docstring).

    Parameters
    ----------
    G : ndarray, shape (S, p)
        Current per unit of each variable.
    M : ndarray of shape (n, p), or None
        Weights per unit of each variable; None = identity (p = n).
    lb, ub : ndarray, shape (p,)
        Variable bounds.
    integer : ndarray of bool, shape (p,)
        Integer variables.
    bias : bool
        Whether there is a bias variable.
    bias_coef : float
        ``beta = bias_coef * beta_var`` (the digital grid step for an on-grid bias, else 1).
    bias_lb, bias_ub : float
        Bounds of the bias variable.
    bias_integer : bool
        Integer bias variable.
    abs_coef : ndarray of shape (p,), or None
        Coefficients ``a_j`` of the absolute-value budget.
    abs_limit : float or None
        The budget (None: none).
    fan_in : int or None
        Most inputs with a non-zero variable.
    groups : ndarray of int, shape (p,), or None
        Input index of each variable (None: variable j is input j).
    n_groups : int
        Number of inputs.
    penalty : float
        Weight penalty coefficient ``lambda >= 0`` (0: none).
    penalty_norm : "l1" or "l2"
        ``lambda sum_j a_j |x_j|`` or ``lambda ||M x||^2`` (module docstring).
    """

    G: np.ndarray
    M: np.ndarray | None
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray
    bias: bool
    bias_coef: float = 1.0
    bias_lb: float = -math.inf
    bias_ub: float = math.inf
    bias_integer: bool = False
    abs_coef: np.ndarray | None = None
    abs_limit: float | None = None
    fan_in: int | None = None
    groups: np.ndarray | None = None
    n_groups: int = 0
    penalty: float = 0.0
    penalty_norm: str = "l1"

    @property
    def p(self) -> int:
        return self.G.shape[1]

    @property
    def has_integers(self) -> bool:
        return bool(np.any(self.integer)) or (self.bias and self.bias_integer)

    @property
    def is_mip(self) -> bool:
        return self.has_integers or self.fan_in is not None

    def weights(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, dtype=np.float64) if self.M is None else self.M @ x

    def bias_value(self, beta_var: float) -> float:
        return float(self.bias_coef * beta_var) if self.bias else 0.0

    def penalty_coefs(self) -> np.ndarray:
        """``lambda a_j`` per variable, ``a_j = sum_i |M_ij|`` (the l1 penalty's cost of ``|x_j|``)."""
        a = np.ones(self.p) if self.M is None else np.abs(np.asarray(self.M, dtype=np.float64)).sum(axis=0)
        return float(self.penalty) * a

    def penalty_value(self, x: np.ndarray) -> float:
        """The penalty of the point ``x`` (0 without a penalty)."""
        if self.penalty == 0:
            return 0.0
        x = np.asarray(x, dtype=np.float64)
        if self.penalty_norm == "l2":
            w = self.weights(x)
            return float(self.penalty * (w @ w))
        return float(self.penalty_coefs() @ np.abs(x))

    def replace(self, **kw) -> "WeightModel":
        return dataclasses.replace(self, **kw)

    def fix(self, mask: np.ndarray, values: np.ndarray) -> "WeightModel":
        """Fix variables ``mask`` to ``values`` (bounds lb = ub = value)."""
        lb, ub = self.lb.copy(), self.ub.copy()
        lb[mask] = values[mask]
        ub[mask] = values[mask]
        return self.replace(lb=lb, ub=ub)

    def relaxed(self) -> "WeightModel":
        """The continuous relaxation (integrality dropped; fan-in indicators stay binary)."""
        return self.replace(integer=np.zeros(self.p, dtype=bool), bias_integer=False)


def _bias_fields(problem: NeuronProblem) -> dict:
    lo, hi = problem.bias_bounds
    return dict(bias=problem.bias, bias_coef=1.0, bias_lb=lo, bias_ub=hi, bias_integer=False)


def plain_model(problem: NeuronProblem, lo: float, hi: float, *,
                total_conductance: float | None = None,
                fan_in: int | None = None) -> WeightModel:
    """Continuous weights ``lo <= w_i <= hi`` (``M`` = identity), optional budget / fan-in."""
    n = problem.n
    return WeightModel(
        G=problem.R, M=None, lb=np.full(n, float(lo)), ub=np.full(n, float(hi)),
        integer=np.zeros(n, dtype=bool), **_bias_fields(problem),
        abs_coef=None if total_conductance is None else np.ones(n),
        abs_limit=None if total_conductance is None else float(total_conductance),
        fan_in=fan_in, groups=None, n_groups=n)


def digital_model(problem: NeuronProblem, scale: float, K: int, *, integer: bool,
                  bias_on_grid: bool, fan_in: int | None = None) -> WeightModel:
    """Levels ``k_i in [-K, K]`` with ``w = scale * k``; the bias on the same grid optionally.

    An on-grid bias is ``beta = scale * k_b`` with integer ``k_b in [-K, K]`` intersected with
    the problem's bias bounds divided by ``scale``.
    """
    n = problem.n
    f = _bias_fields(problem)
    if bias_on_grid and problem.bias:
        lo, hi = problem.bias_bounds
        k_lo = -K if lo == -math.inf else max(-K, math.ceil(lo / scale - 1e-9))
        k_hi = K if hi == math.inf else min(K, math.floor(hi / scale + 1e-9))
        f.update(bias_coef=float(scale), bias_lb=float(k_lo), bias_ub=float(k_hi),
                 bias_integer=integer)
    return WeightModel(
        G=problem.R * float(scale), M=float(scale) * np.eye(n), lb=np.full(n, -float(K)),
        ub=np.full(n, float(K)), integer=np.full(n, bool(integer)), **f,
        fan_in=fan_in, groups=None, n_groups=n)


def hybrid_m_model(problem: NeuronProblem, s: np.ndarray, types: np.ndarray | None,
                   max_mult: int, *, integer: bool, fan_in: int | None) -> WeightModel:
    """Multiplicities with the type weights ``s`` fixed.

    ``types`` None ("all"): variables ``m_{i,tau}`` (index ``i * T + tau``),
    ``w_i = sum_tau s_tau m_{i,tau}``. Else ("grouped"): variables ``m_i``,
    ``w_i = s_{types[i]} m_i``.
    """
    n, T = problem.n, len(s)
    if types is None:
        M = np.kron(np.eye(n), np.asarray(s, dtype=np.float64)[None, :])   # (n, n*T)
        groups = np.repeat(np.arange(n), T)
    else:
        M = np.diag(np.asarray(s, dtype=np.float64)[types])
        groups = np.arange(n)
    p = M.shape[1]
    return WeightModel(
        G=problem.R @ M, M=M, lb=np.zeros(p), ub=np.full(p, float(max_mult)),
        integer=np.full(p, bool(integer)), **_bias_fields(problem), fan_in=fan_in,
        groups=groups, n_groups=n)


def hybrid_s_model(problem: NeuronProblem, m: np.ndarray, types: np.ndarray | None,
                   s_lo: np.ndarray, s_hi: np.ndarray) -> WeightModel:
    """Type weights ``s`` with the multiplicities ``m`` fixed: ``w = B s``.

    ``B = m`` (n, T) for "all"; for "grouped" ``B[i, types[i]] = m_i``.
    """
    n, T = problem.n, len(s_lo)
    if types is None:
        B = np.asarray(m, dtype=np.float64).reshape(n, T)
    else:
        B = np.zeros((n, T))
        B[np.arange(n), types] = np.asarray(m, dtype=np.float64).reshape(n)
    return WeightModel(
        G=problem.R @ B, M=B, lb=np.asarray(s_lo, dtype=np.float64).copy(),
        ub=np.asarray(s_hi, dtype=np.float64).copy(), integer=np.zeros(T, dtype=bool),
        **_bias_fields(problem), fan_in=None, groups=None, n_groups=n)
