"""One postsynaptic neuron's synapse problem: inputs, the solution record, evaluation.

Unit-agnostic (spec §3.4-3.5, [inferred]). For S calibration samples the neuron's input current
is linear in its weights ``w`` (n,) and bias ``beta``::

    I_s = R_s w + beta,      s = 1..S

with ``R`` (S, n) the presynaptic drive per unit weight (the SNN's measured upstream rates times
the synapse factor kappa; built by the caller). Active samples ``A`` (ANN activation > 0) have a
target current ``z_s``; silent samples ``Z`` only require ``I_s <= i_th`` (the firing-onset
current; 0 for IF). Errors::

    e_s = I_s - z_s          (s in A)
    h_s = max(0, I_s - i_th) (s in Z, hinge)

Objectives (parameter ``objective``)::

    l1   : sum_A |e_s| + sum_Z h_s
    linf : max(max_A |e_s|, max_Z h_s)
    ls   : sum_A e_s^2 + sum_Z h_s^2

Hard variants: ``silent_mode="hard"`` makes ``I_s <= i_th`` (s in Z) a constraint instead of a
hinge penalty; ``max_error`` adds the band ``|e_s| <= max_error_s`` (s in A) as a constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Objective = Literal["l1", "linf", "ls"]
SilentMode = Literal["hinge", "hard"]
OBJECTIVES = ("l1", "linf", "ls")

#: Status vocabulary of :class:`NeuronSolution` (keys) and what each promises (values).
STATUSES = {
    "optimal": "proven optimal for the stated problem (MILPs: within mip_rel_gap)",
    "heuristic": "feasible, from a heuristic (rounding, iterative rounding, alternation); "
                 "no optimality claim",
    "time_limit": "feasible solution returned, but a solver stopped at its time limit: "
                  "not proven optimal",
    "iteration_limit": "feasible solution returned, but an iteration limit stopped the "
                       "method: not proven optimal / not converged",
    "infeasible": "no solution exists under the constraints (weights are NaN)",
}


def location_prefix(layer: int | None, neuron: int | None) -> str:
    """``"layer 2, neuron 5: "`` for error messages (empty when neither is known)."""
    where = [f"{name} {value}" for name, value in (("layer", layer), ("neuron", neuron)) if value is not None]
    return (", ".join(where) + ": ") if where else ""


class ConversionInfeasible(ValueError):
    """A neuron's problem has no solution under the chosen constraints.

    Attributes
    ----------
    binding : list of str
        Constraint families found to make the problem infeasible: each one, relaxed alone,
        restores feasibility (empty when only a combination does).
    samples : list of int
        Calibration samples that cannot meet a hard constraint (when identified).
    layer, neuron : int or None
        Where the problem came from (set by the caller).
    detail : str
        The explanation without the location prefix.
    """

    def __init__(self, detail: str, *, binding: list[str] | None = None,
                 samples: list[int] | None = None, layer: int | None = None,
                 neuron: int | None = None) -> None:
        self.detail = detail
        self.binding = list(binding or [])
        self.samples = list(samples or [])
        self.layer = layer
        self.neuron = neuron
        super().__init__(self._message())

    def _message(self) -> str:
        return f"{location_prefix(self.layer, self.neuron)}{self.detail}"

    def __reduce__(self):  # picklable across processes despite keyword-only arguments
        return (_rebuild_infeasible,
                (self.detail, self.binding, self.samples, self.layer, self.neuron))


def _rebuild_infeasible(detail, binding, samples, layer, neuron) -> ConversionInfeasible:
    return ConversionInfeasible(detail, binding=binding, samples=samples, layer=layer,
                                neuron=neuron)


class SolverFailure(RuntimeError):
    """HiGHS (or lsq_linear) returned no usable solution for a reason other than infeasibility
    (e.g. a time limit before any feasible point, numerical trouble)."""


@dataclass(frozen=True)
class NeuronProblem:
    """Validated inputs of one neuron's problem (plain arrays: picklable).

    Parameters
    ----------
    R : ndarray, shape (S, n)
        Drive per unit weight, float64, finite.
    z : ndarray, shape (S,)
        Target currents; must be finite on active samples (ignored on silent ones).
    silent : ndarray of bool, shape (S,)
        Samples whose target is "stay at or below ``i_th``".
    i_th : float
        Onset current (0 for IF).
    bias : bool
        Whether the neuron has a free bias current ``beta``.
    bias_bounds : (float, float)
        ``beta_min <= beta <= beta_max`` (infinite allowed).
    silent_mode : "hinge" or "hard"
        Silent samples as a hinge penalty or as hard constraints.
    max_error : ndarray of shape (S,) or None
        Hard error band on active samples, ``|I_s - z_s| <= max_error_s`` (>= 0).
    """

    R: np.ndarray
    z: np.ndarray
    silent: np.ndarray
    i_th: float = 0.0
    bias: bool = True
    bias_bounds: tuple[float, float] = (-math.inf, math.inf)
    silent_mode: SilentMode = "hinge"
    max_error: np.ndarray | None = None

    def __post_init__(self) -> None:
        R = np.asarray(self.R, dtype=np.float64)
        if R.ndim != 2 or R.shape[0] < 1 or R.shape[1] < 1:
            raise ValueError(f"R must be a 2-D array (samples, inputs) with at least one row "
                             f"and one column, got shape {R.shape}")
        S = R.shape[0]
        if not np.all(np.isfinite(R)):
            raise ValueError("R contains non-finite values")
        z = np.asarray(self.z, dtype=np.float64).reshape(-1)
        if z.shape != (S,):
            raise ValueError(f"z must have shape ({S},) to match R, got {z.shape}")
        silent = np.asarray(self.silent)
        if silent.shape != (S,) or silent.dtype != bool:
            raise ValueError(f"silent must be a boolean array of shape ({S},), got "
                             f"{silent.dtype} {silent.shape}")
        if not np.all(np.isfinite(z[~silent])):
            raise ValueError("z must be finite on active (non-silent) samples")
        z = np.where(silent, 0.0, z)  # silent targets are irrelevant
        i_th = float(self.i_th)
        if not math.isfinite(i_th):
            raise ValueError(f"i_th = {self.i_th!r} is not allowed: must be finite")
        if not isinstance(self.bias, (bool, np.bool_)):
            raise ValueError(f"bias = {self.bias!r} is not allowed: must be true or false")
        lo, hi = (float(v) for v in self.bias_bounds)
        if math.isnan(lo) or math.isnan(hi) or lo > hi or lo == math.inf or hi == -math.inf:
            raise ValueError(f"bias_bounds = {self.bias_bounds!r} is not allowed: need "
                             "bias_min <= bias_max, not NaN")
        if self.silent_mode not in ("hinge", "hard"):
            raise ValueError(f"silent_mode = {self.silent_mode!r} is not allowed: must be "
                             "'hinge' or 'hard'")
        me = None
        if self.max_error is not None:
            me = np.broadcast_to(np.asarray(self.max_error, dtype=np.float64), (S,)).copy()
            if np.any(np.isnan(me)) or np.any(me < 0):
                raise ValueError("max_error must be >= 0 (scalar or one value per sample)")
        for name, val in (("R", R), ("z", z), ("silent", silent), ("i_th", i_th),
                          ("bias", bool(self.bias)), ("bias_bounds", (lo, hi)),
                          ("max_error", me)):
            object.__setattr__(self, name, val)

    @property
    def S(self) -> int:
        return self.R.shape[0]

    @property
    def n(self) -> int:
        return self.R.shape[1]

    @property
    def active(self) -> np.ndarray:
        return ~self.silent

    def replace(self, **kw: Any) -> "NeuronProblem":
        """A copy with some fields changed (re-validated)."""
        d = dict(R=self.R, z=self.z, silent=self.silent, i_th=self.i_th, bias=self.bias,
                 bias_bounds=self.bias_bounds, silent_mode=self.silent_mode,
                 max_error=self.max_error)
        d.update(kw)
        return NeuronProblem(**d)


def currents(problem: NeuronProblem, weights: np.ndarray, bias: float) -> np.ndarray:
    """``I_s = R_s w + beta`` for every sample."""
    return problem.R @ np.asarray(weights, dtype=np.float64) + float(bias)


def evaluate(problem: NeuronProblem, objective: Objective, weights: np.ndarray,
             bias: float) -> float:
    """The objective value of ``(weights, bias)`` (module docstring), computed exactly."""
    I = currents(problem, weights, bias)
    e = (I - problem.z)[problem.active]
    h = np.maximum(0.0, I[problem.silent] - problem.i_th)
    if objective == "l1":
        return float(np.sum(np.abs(e)) + np.sum(h))
    if objective == "linf":
        return float(max(np.max(np.abs(e), initial=0.0), np.max(h, initial=0.0)))
    if objective == "ls":
        return float(np.sum(e * e) + np.sum(h * h))
    raise ValueError(f"objective = {objective!r} is not allowed: must be one of {OBJECTIVES}")


def residual_stats(problem: NeuronProblem, weights: np.ndarray, bias: float,
                   tol: float = 1e-7) -> dict[str, float]:
    """Error statistics of ``(weights, bias)``.

    Returns
    -------
    dict
        ``n_active``, ``n_silent``; over active samples ``rmse_active``, ``mean_abs_active``,
        ``max_abs_active`` (0 when there are none); over silent samples
        ``max_silent_violation = max(0, max_Z I_s - i_th)`` and ``n_silent_violated`` (violation
        > ``tol``); and ``max_band_violation`` of the hard error band (0 without one).
    """
    I = currents(problem, weights, bias)
    act = problem.active
    e = (I - problem.z)[act]
    v = I[problem.silent] - problem.i_th
    out = {
        "n_active": float(act.sum()),
        "n_silent": float(problem.silent.sum()),
        "rmse_active": float(np.sqrt(np.mean(e * e))) if e.size else 0.0,
        "mean_abs_active": float(np.mean(np.abs(e))) if e.size else 0.0,
        "max_abs_active": float(np.max(np.abs(e), initial=0.0)),
        "max_silent_violation": float(max(0.0, np.max(v, initial=0.0))),
        "n_silent_violated": float(np.sum(v > tol)),
        "max_band_violation": 0.0,
    }
    if problem.max_error is not None and e.size:
        out["max_band_violation"] = float(max(0.0, np.max(np.abs(e) - problem.max_error[act])))
    return out


@dataclass
class NeuronSolution:
    """The result of one neuron's problem.

    Attributes
    ----------
    weights : ndarray, shape (n,)
        Synaptic weights (NaN when infeasible).
    bias : float
        Bias current ``beta`` (0.0 without a bias).
    status : str
        One of :data:`STATUSES`: "optimal", "heuristic", "time_limit", "iteration_limit",
        "infeasible".
    objective : float
        The objective evaluated exactly on ``(weights, bias)`` (see :func:`evaluate`), without
        the weight penalty.
    penalty : float
        The family's weight penalty of ``weights`` (``weight_penalty * ||w||_1`` or
        ``* ||w||^2``; 0 without one); the solver minimised ``objective + penalty``.
    mip_gap : float or None
        HiGHS's relative MIP gap of the (last) MILP; None for pure LP / least squares.
    solve_seconds : float
        Wall time inside the numerical solvers (HiGHS / lsq_linear), all calls summed.
    total_seconds : float
        Wall time of the whole neuron solve (model building, diagnosis included).
    residual : dict
        :func:`residual_stats` of the solution.
    objective_name : str
        "l1", "linf" or "ls".
    method : str
        "lp", "milp", "ls", "round", "iterative" or "alternation".
    n_solves : int
        Number of solver calls.
    iterations : int
        Rounds of iterative rounding, alternations of the hybrid method, active-set passes of
        ``ls``; 1 otherwise.
    history : tuple of float
        Objective per iteration (iterative rounding: of each relaxation; hybrid: after each
        alternation).
    levels : ndarray or None
        Integer solution: grid levels ``k`` (digital, shape (n,)) or multiplicities (hybrid,
        shape (n, n_types)).
    scale : float, ndarray or None
        Digital grid step, or the hybrid type weights (n_types,).
    bias_level : int or None
        Integer bias level when the bias is on the digital grid.
    message : str
        Human-readable notes (solver messages, fallbacks).
    """

    weights: np.ndarray
    bias: float
    status: str
    objective: float
    mip_gap: float | None = None
    solve_seconds: float = 0.0
    total_seconds: float = 0.0
    penalty: float = 0.0
    residual: dict[str, float] = field(default_factory=dict)
    objective_name: str = "l1"
    method: str = "lp"
    n_solves: int = 0
    iterations: int = 1
    history: tuple[float, ...] = ()
    levels: np.ndarray | None = None
    scale: float | np.ndarray | None = None
    bias_level: int | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """A usable solution (every status but "infeasible")."""
        return self.status != "infeasible"

    @property
    def w_plus(self) -> np.ndarray:
        """Excitatory device of a differential pair, ``max(w, 0)`` (minimal conductance)."""
        return np.maximum(self.weights, 0.0)

    @property
    def w_minus(self) -> np.ndarray:
        """Inhibitory device of a differential pair, ``max(-w, 0)``."""
        return np.maximum(-self.weights, 0.0)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly scalars (no arrays)."""
        return {
            "status": self.status, "objective": self.objective, "penalty": self.penalty,
            "mip_gap": self.mip_gap,
            "solve_seconds": self.solve_seconds, "total_seconds": self.total_seconds,
            "method": self.method, "objective_name": self.objective_name,
            "n_solves": self.n_solves, "iterations": self.iterations, **self.residual,
        }
