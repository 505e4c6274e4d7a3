"""Book-keeping shared by the family solvers: one solver call, timings, status, the result.

An :class:`Engine` belongs to one neuron solve. It routes a :class:`~.model.WeightModel` to
HiGHS (``l1``/``linf``) or to the least-squares active set (``ls``), sums solver time and call
counts, remembers whether any call stopped at a limit (so a heuristic or a time-limited
incumbent is never reported as "optimal"), turns infeasibility into a diagnosed
:class:`~.problem.ConversionInfeasible`, and assembles the :class:`~.problem.NeuronSolution`.
It also puts the family's weight penalty (``weight_penalty``, ``penalty_norm``) on every model
it solves, so that every step of a heuristic minimises (and :meth:`Engine.value` compares) the
same penalised objective.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from . import warm
from .diagnose import diagnose
from .highs import Outcome, solve_model
from .lsq import solve_ls
from .model import WeightModel
from .problem import (
    ConversionInfeasible,
    NeuronProblem,
    NeuronSolution,
    SolverFailure,
    evaluate,
    location_prefix,
    residual_stats,
)


class Engine:
    """Solver calls and accounting for one neuron (module docstring)."""

    def __init__(self, problem: NeuronProblem, objective: str, *, time_limit: float,
                 mip_rel_gap: float, layer: int | None = None, neuron: int | None = None,
                 descriptions: dict[str, str] | None = None, context: str = "",
                 penalty: float = 0.0, penalty_norm: str = "l1", node_limit: int | None = None,
                 lp_solver: str = "scipy", rows: str = "all") -> None:
        self.problem = problem
        self.penalty = float(penalty)
        self.penalty_norm = penalty_norm
        self.objective = objective
        self.time_limit = float(time_limit)
        self.mip_rel_gap = float(mip_rel_gap)
        self.node_limit = node_limit
        self.lp_solver = lp_solver
        self.rows = rows
        self.layer, self.neuron = layer, neuron
        self.descriptions = descriptions or {}
        self.context = context
        self.t_start = time.perf_counter()
        self.seconds = 0.0
        self.n_solves = 0
        self.limits: set[str] = set()
        self.ls_passes = 0
        self.messages: list[str] = []

    # -- one call ---------------------------------------------------------------------------
    def solve(self, model: WeightModel, *, allow_no_solution: bool = False,
              infeasible_note: str | None = None) -> Outcome:
        """Solve ``model`` under the engine's objective.

        Parameters
        ----------
        allow_no_solution : bool
            Return an outcome without a point (time limit before any incumbent) instead of
            raising :class:`SolverFailure`.
        infeasible_note : str, optional
            If given, infeasibility raises ConversionInfeasible with this explanation (used by
            heuristics whose intermediate problems can be infeasible although the problem is
            not); otherwise the infeasibility is diagnosed (:func:`.diagnose.diagnose`).
        """
        if self.penalty > 0:
            model = model.replace(penalty=self.penalty, penalty_norm=self.penalty_norm)
        if self.objective == "ls":
            out, passes = solve_ls(self.problem, model)
            self.ls_passes += passes
        else:
            out = solve_model(self.problem, model, self.objective, time_limit=self.time_limit,
                              mip_rel_gap=self.mip_rel_gap, node_limit=self.node_limit,
                              lp_solver=self.lp_solver, rows=self.rows)
        self.seconds += out.seconds
        self.n_solves += 1
        if out.status in ("time_limit", "iteration_limit"):
            self.limits.add(out.status)
        if out.status == "infeasible":
            if infeasible_note is not None:
                raise ConversionInfeasible(
                    f"{self.context}: {infeasible_note}" if self.context else infeasible_note,
                    layer=self.layer, neuron=self.neuron)
            raise diagnose(self.problem, model, time_limit=self.time_limit,
                           mip_rel_gap=self.mip_rel_gap, descriptions=self.descriptions,
                           context=self.context, layer=self.layer, neuron=self.neuron)
        if not out.has_solution and not allow_no_solution:
            prefix = location_prefix(self.layer, self.neuron)
            raise SolverFailure(f"{prefix}{self.context or 'solve'}: no solution "
                                f"({out.status}): {out.message}")
        return out

    @contextmanager
    def warm_sequence(self) -> Iterator[None]:
        """Solve the pure l1/linf LPs inside as one sequence in one live HiGHS model, each
        re-solved by the dual simplex from the previous optimal basis (:mod:`.warm`).

        For heuristics whose LPs differ only in variable bounds (iterative rounding fixes a
        share of the weights per round): a basis stays dual feasible when bounds change, so a
        round takes a few simplex iterations instead of a solve from scratch. Each LP still
        reaches its optimum (anything not proved optimal is re-solved cold by scipy); in a
        degenerate LP the optimal vertex may differ from a cold solve's. The sequence belongs to
        this neuron alone, so its weights never depend on the layer's chunking or workers.
        """
        saved = self.lp_solver
        self.lp_solver = "highspy"
        try:
            with warm.chunk():
                yield
        finally:
            self.lp_solver = saved

    def refit_bias(self, model: WeightModel, x: np.ndarray) -> float:
        """With every variable fixed to ``x``, the best bias variable (rounded if integer)."""
        if not model.bias:
            return 0.0
        fixed = model.fix(np.ones(model.p, dtype=bool), np.asarray(x, dtype=np.float64))
        fixed = fixed.replace(integer=np.zeros(model.p, dtype=bool))  # fixed anyway
        if self.objective == "ls" and fixed.bias_integer:
            out = self.solve(fixed.replace(bias_integer=False),
                             infeasible_note="the bias re-fit after rounding is infeasible")
            return float(np.clip(np.round(out.beta_var), fixed.bias_lb, fixed.bias_ub))
        out = self.solve(fixed, infeasible_note="the bias re-fit after rounding the weights is "
                                                "infeasible under the hard constraints; the "
                                                "exact method (milp) may still find a solution")
        return out.beta_var

    # -- result -----------------------------------------------------------------------------
    def status(self, base: str) -> str:
        """``base`` unless a call stopped at a limit (time limit first)."""
        if "time_limit" in self.limits:
            return "time_limit"
        if "iteration_limit" in self.limits:
            return "iteration_limit"
        return base

    def finish(self, weights: np.ndarray, bias: float, base_status: str, method: str, *,
               mip_gap: float | None = None, iterations: int | None = None,
               history: tuple[float, ...] = (), levels: np.ndarray | None = None,
               scale=None, bias_level: int | None = None) -> NeuronSolution:
        w = np.asarray(weights, dtype=np.float64) + 0.0   # + 0.0: no negative zeros
        b = float(bias) + 0.0 if self.problem.bias else 0.0
        if iterations is None:
            iterations = self.ls_passes if self.objective == "ls" else 1
        if self.penalty_norm == "l2":
            pen = self.penalty * float(w @ w)
        else:
            pen = self.penalty * float(np.sum(np.abs(w)))
        return NeuronSolution(
            weights=w, bias=b, status=self.status(base_status), penalty=pen,
            objective=evaluate(self.problem, self.objective, w, b), mip_gap=mip_gap,
            solve_seconds=self.seconds, total_seconds=time.perf_counter() - self.t_start,
            residual=residual_stats(self.problem, w, b), objective_name=self.objective,
            method=method, n_solves=self.n_solves, iterations=int(iterations),
            history=tuple(float(h) for h in history), levels=levels, scale=scale,
            bias_level=bias_level, message="; ".join(self.messages))

    def value(self, model: WeightModel, x: np.ndarray, beta_var: float) -> float:
        """Objective of a model point, evaluated exactly, plus the weight penalty."""
        penalised = model.replace(penalty=self.penalty, penalty_norm=self.penalty_norm)
        return evaluate(self.problem, self.objective, model.weights(x),
                        model.bias_value(beta_var)) + penalised.penalty_value(x)
