"""Per-neuron synapse solver of the layer-wise conversion (spec §3.5, §4).

One postsynaptic neuron is one problem (see :mod:`.problem` for the math)::

    I_s = R_s w + beta
    l1   : min sum_A |I_s - z_s| + sum_Z max(0, I_s - i_th)             (LP, HiGHS)
    linf : min max(max_A |I_s - z_s|, max_Z max(0, I_s - i_th))         (LP, HiGHS)
    ls   : min sum_A (I_s - z_s)^2 + sum_Z max(0, I_s - i_th)^2          (lsq_linear, box only)

subject to the weight constraints of one family (:mod:`.constraints`): :class:`Analog` (LP, or
MILP with a fan-in limit), :class:`Digital` (MILP / rounding / iterative rounding, see
:mod:`.digital`) or :class:`Hybrid` (alternation, see :mod:`.hybrid`). The (MI)LPs are built as
scipy.sparse matrices in :mod:`.highs`. An infeasible problem raises
:class:`ConversionInfeasible` naming the binding constraint (:mod:`.diagnose`).

:func:`neurobench.conversion.layer.solve_layer` runs all neurons of a layer through an executor.
"""

from __future__ import annotations

import math

import numpy as np

from .constraints import Analog, Constraints, Digital, Hybrid
from .digital import solve_digital
from .engine import Engine
from .hybrid import solve_hybrid
from .model import plain_model
from .problem import OBJECTIVES, STATUSES, ConversionInfeasible, NeuronProblem, NeuronSolution

__all__ = ["check_penalty", "solve_neuron", "solve_problem", "NeuronSolution", "NeuronProblem",
           "ConversionInfeasible", "STATUSES"]


def check_penalty(objective: str, constraints: Constraints | None) -> None:
    """Reject a weight penalty the objective cannot take (before any compute).

    ``penalty_norm="l1"`` (``lambda sum |w|``, linear) goes with the LP objectives ``l1`` and
    ``linf``; ``"l2"`` (``lambda sum w^2``, a ridge term) only with ``ls``: an LP with a squared
    term is a QP, and ``lsq_linear`` cannot take an absolute value. Without a penalty
    (``weight_penalty = 0``) any norm is accepted.
    """
    if constraints is None or constraints.weight_penalty == 0:
        return
    norm = constraints.penalty_norm
    if norm == "l2" and objective != "ls":
        raise ValueError(
            f"penalty_norm = 'l2' is not allowed with objective = {objective!r}: a squared weight "
            "penalty makes the LP a QP. Use penalty_norm 'l1' with objectives l1/linf, or 'l2' with "
            "objective ls")
    if norm == "l1" and objective == "ls":
        raise ValueError(
            "penalty_norm = 'l1' is not allowed with objective = 'ls': least squares "
            "(scipy.optimize.lsq_linear) takes only the l2 (ridge) weight penalty. Use penalty_norm "
            "'l2' with objective ls, or 'l1' with objectives l1/linf")


def _check_ls(problem: NeuronProblem, c: Constraints) -> None:
    """Reject the combinations that ``ls`` (lsq_linear: box bounds only) cannot solve."""
    bad = []
    if problem.silent_mode == "hard":
        bad.append("silent_mode='hard'")
    if problem.max_error is not None:
        bad.append("max_error (a hard error band)")
    if isinstance(c, Analog):
        if c.total_conductance is not None:
            bad.append("Analog.total_conductance")
        if c.fan_in is not None:
            bad.append("Analog.fan_in")
    elif isinstance(c, Digital):
        if c.method == "milp":
            bad.append("Digital.method='milp' (a mixed-integer QP)")
        if c.fan_in is not None:
            bad.append("Digital.fan_in")
    elif isinstance(c, Hybrid):
        bad.append("the Hybrid family (mixed-integer QP steps)")
    if bad:
        raise ValueError(
            f"objective='ls' cannot be combined with {', '.join(bad)}: that needs a general "
            "(mixed-integer) QP solver, and ls is solved by scipy.optimize.lsq_linear, which "
            "handles box bounds only. Use objective='l1' or 'linf', or drop the constraint.")


def _solve_analog(eng: Engine, c: Analog) -> NeuronSolution:
    lo, hi = c.bounds
    eng.descriptions.setdefault(
        "weight_bounds", f"the weight range [{lo:g}, {hi:g}] (Analog.w_min/w_max"
                         f"{'/g_max' if c.differential else ''})")
    eng.descriptions.setdefault(
        "total_conductance", f"the total-conductance limit sum_i |w_i| <= "
                             f"{c.total_conductance} (Analog.total_conductance)")
    eng.descriptions.setdefault(
        "fan_in", f"the fan-in limit of {c.fan_in} non-zero weights (Analog.fan_in)")
    model = plain_model(eng.problem, lo, hi, total_conductance=c.total_conductance,
                        fan_in=c.fan_in)
    out = eng.solve(model, allow_no_solution=c.fan_in is not None)
    if c.fan_in is None:
        return eng.finish(out.x, model.bias_value(out.beta_var), "optimal",
                          "ls" if eng.objective == "ls" else "lp")
    # fan-in: polish the weights on the chosen support with an LP (exact zeros elsewhere)
    if out.has_solution:
        used, mip_gap = out.used, out.mip_gap
    else:
        eng.messages.append("fan-in MILP found no incumbent within the time limit; used the "
                            "top-k magnitudes of the LP without the limit")
        free = eng.solve(model.replace(fan_in=None))
        used = np.zeros(model.n_groups, dtype=bool)
        used[np.argsort(-np.abs(free.x), kind="stable")[:c.fan_in]] = True
        mip_gap = None
    polished = eng.solve(model.fix(~used, np.zeros(model.p)).replace(fan_in=None))
    return eng.finish(polished.x, model.bias_value(polished.beta_var), "optimal", "milp",
                      mip_gap=mip_gap)


def solve_problem(problem: NeuronProblem, objective: str = "l1",
                  constraints: Constraints | None = None, *, input_types=None,
                  layer: int | None = None, neuron: int | None = None) -> NeuronSolution:
    """Solve one neuron's problem.

    Parameters
    ----------
    problem : NeuronProblem
        Inputs, targets, silent samples, bias and hard-constraint options.
    objective : "l1", "linf" or "ls"
        See the module docstring.
    constraints : Analog, Digital or Hybrid, optional
        Default: unbounded analog weights ``Analog(w_min=-inf, w_max=inf)``.
    input_types : ndarray of int, shape (n,), optional
        Synapse type per input for ``Hybrid(assignment="grouped")``.
    layer, neuron : int, optional
        Named in error messages.

    Returns
    -------
    NeuronSolution

    Raises
    ------
    ConversionInfeasible
        No weights satisfy the hard constraints; the message names the binding one.
    ValueError
        An objective/constraint combination that needs a general QP solver (``ls`` with
        anything but box bounds), or invalid inputs.
    SolverFailure
        HiGHS returned no usable point for another reason.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective = {objective!r} is not allowed: must be one of "
                         f"{list(OBJECTIVES)}")
    c = Analog(w_min=-math.inf, w_max=math.inf) if constraints is None else constraints
    if not isinstance(c, (Analog, Digital, Hybrid)):
        raise ValueError(f"constraints must be Analog, Digital or Hybrid, got {type(c)!r}")
    check_penalty(objective, c)
    if objective == "ls":
        _check_ls(problem, c)
    if input_types is not None and not isinstance(c, Hybrid):
        raise ValueError("input_types is only used with the Hybrid family")
    desc = {}
    if problem.max_error is not None:
        desc["max_error"] = ("the error band |R_s w + beta - z_s| <= max_error on active "
                             "samples (max_error)")
    lo, hi = problem.bias_bounds
    desc["bias_bounds"] = f"the bias bounds [{lo:g}, {hi:g}] (bias_bounds)"
    eng = Engine(problem, objective, time_limit=c.time_limit, mip_rel_gap=c.mip_rel_gap,
                 layer=layer, neuron=neuron, descriptions=desc,
                 context=f"{c.family} constraints, objective {objective}",
                 penalty=c.weight_penalty, penalty_norm=c.penalty_norm, node_limit=c.node_limit,
                 lp_solver=c.lp_solver, rows=c.rows)
    if isinstance(c, Analog):
        return _solve_analog(eng, c)
    if isinstance(c, Digital):
        return solve_digital(eng, c)
    return solve_hybrid(eng, c, input_types)


def solve_neuron(R: np.ndarray, z: np.ndarray, silent: np.ndarray | None = None,
                 i_th: float = 0.0, *, objective: str = "l1",
                 constraints: Constraints | None = None, bias: bool = True,
                 bias_bounds: tuple[float, float] = (-math.inf, math.inf),
                 silent_mode: str = "hinge", max_error=None, input_types=None,
                 layer: int | None = None, neuron: int | None = None) -> NeuronSolution:
    """Solve one postsynaptic neuron: weights ``w`` (n,) and bias for ``I = R w + beta``.

    Parameters
    ----------
    R : ndarray, shape (S, n)
        Presynaptic drive per unit weight for S calibration samples.
    z : ndarray, shape (S,)
        Target input currents (used on active samples only).
    silent : ndarray of bool, shape (S,), optional
        Samples where the ANN activation is 0: ``R_s w + beta <= i_th`` is wanted there
        (hinge penalty, or a hard constraint with ``silent_mode="hard"``). Default: none.
    i_th : float
        Firing-onset current (0 for IF).
    objective : "l1", "linf" or "ls"
    constraints : Analog, Digital or Hybrid, optional
        Default: unbounded analog weights.
    bias : bool
        Free bias current ``beta`` (else ``beta = 0``).
    bias_bounds : (float, float)
        Bounds of ``beta``.
    silent_mode : "hinge" or "hard"
    max_error : float or ndarray of shape (S,), optional
        Hard band ``|R_s w + beta - z_s| <= max_error`` on active samples.
    input_types : ndarray of int, optional
        Hybrid "grouped" synapse type per input.
    layer, neuron : int, optional
        Named in error messages.

    Returns
    -------
    NeuronSolution
    """
    R = np.asarray(R, dtype=np.float64)
    if silent is None:
        silent = np.zeros(R.shape[0] if R.ndim == 2 else 0, dtype=bool)
    silent = np.asarray(silent)
    if silent.dtype != bool and silent.size and np.all((silent == 0) | (silent == 1)):
        silent = silent.astype(bool)  # 0/1 integers are fine too
    problem = NeuronProblem(R=R, z=z, silent=silent, i_th=i_th, bias=bias,
                            bias_bounds=tuple(bias_bounds), silent_mode=silent_mode,
                            max_error=max_error)
    return solve_problem(problem, objective, constraints, input_types=input_types,
                         layer=layer, neuron=neuron)
