"""Explain an infeasible neuron problem: which constraint binds, and for which samples.

Each hard constraint family present in the problem is relaxed alone and the (MI)LP re-solved:

=====================  =======================================================================
``silent``             hard silent rows ``I_s <= i_th`` -> hinge penalty
``max_error``          error band ``|I_s - z_s| <= eps_s`` -> dropped
``total_conductance``  ``sum |w| <= G`` -> dropped
``fan_in``             ``||w||_0 <= K`` -> dropped
``integrality``        integer grid / multiplicities -> continuous relaxation
``weight_bounds``      variable bounds -> unbounded (1000x wider when a fan-in big-M needs them)
``bias_bounds``        bias bounds -> unbounded
``no_bias``            no bias -> a free bias
=====================  =======================================================================

A family whose relaxation alone restores feasibility is reported as binding. For the row
families (silent, band) an elastic LP -- minimise the total violation of those rows with every
other constraint kept -- names the samples that cannot meet them.
"""

from __future__ import annotations

import math

import numpy as np

from .highs import solve_model
from .model import WeightModel
from .problem import ConversionInfeasible, NeuronProblem

MAX_LISTED = 10
#: Seconds per diagnostic re-solve (at most the family's own time limit).
DIAGNOSIS_TIME_LIMIT = 2.0


def _default_descriptions(problem: NeuronProblem, model: WeightModel) -> dict[str, str]:
    lo = float(np.min(model.lb)) if model.p else 0.0
    hi = float(np.max(model.ub)) if model.p else 0.0
    return {
        "silent": f"the hard silent constraint R_s w + beta <= i_th (= {problem.i_th:g}) on "
                  f"{int(problem.silent.sum())} silent sample(s)",
        "max_error": "the error band |R_s w + beta - z_s| <= max_error on active samples",
        "total_conductance": f"the total-conductance limit sum_i |w_i| <= {model.abs_limit}",
        "fan_in": f"the fan-in limit (at most {model.fan_in} non-zero weights)",
        "integrality": "the integer weight grid (integer variables)",
        "weight_bounds": f"the weight bounds (variables in [{lo:g}, {hi:g}])",
        "bias_bounds": f"the bias bounds [{model.bias_lb * model.bias_coef:g}, "
                       f"{model.bias_ub * model.bias_coef:g}]",
        "no_bias": "the absence of a bias (bias=False)",
    }


def _relaxations(problem: NeuronProblem, model: WeightModel):
    """(name, problem', model') for every hard constraint family present."""
    out = []
    if problem.silent_mode == "hard" and problem.silent.any():
        out.append(("silent", problem.replace(silent_mode="hinge"), model))
    if problem.max_error is not None and problem.active.any():
        out.append(("max_error", problem.replace(max_error=None), model))
    if model.abs_limit is not None:
        out.append(("total_conductance", problem, model.replace(abs_limit=None, abs_coef=None)))
    if model.fan_in is not None:
        out.append(("fan_in", problem, model.replace(fan_in=None)))
    if model.has_integers:
        out.append(("integrality", problem, model.relaxed()))
    if np.any(np.isfinite(model.lb)) or np.any(np.isfinite(model.ub)):
        if model.fan_in is not None:
            big = 1e3 * max(1.0, float(np.max(np.abs(np.concatenate([model.lb, model.ub])))))
            wide = model.replace(lb=np.full(model.p, -big), ub=np.full(model.p, big))
        else:
            wide = model.replace(lb=np.full(model.p, -np.inf), ub=np.full(model.p, np.inf))
        out.append(("weight_bounds", problem, wide))
    if model.bias and (math.isfinite(model.bias_lb) or math.isfinite(model.bias_ub)):
        out.append(("bias_bounds", problem, model.replace(bias_lb=-np.inf, bias_ub=np.inf)))
    if not model.bias:
        out.append(("no_bias", problem.replace(bias=True, bias_bounds=(-np.inf, np.inf)),
                    model.replace(bias=True, bias_coef=1.0, bias_lb=-np.inf, bias_ub=np.inf,
                                  bias_integer=False)))
    return out


def _feasible(problem, model, time_limit, mip_rel_gap) -> bool | None:
    out = solve_model(problem, model, "l1", time_limit=time_limit, mip_rel_gap=mip_rel_gap)
    if out.has_solution:
        return True
    if out.status == "infeasible":
        return False
    return None  # unknown (time limit without a point, numerical trouble)


def _listed(idx: np.ndarray) -> str:
    head = ", ".join(str(int(i)) for i in idx[:MAX_LISTED])
    more = f", ... ({idx.size} in all)" if idx.size > MAX_LISTED else ""
    return f"[{head}{more}]"


def diagnose(problem: NeuronProblem, model: WeightModel, *, time_limit: float,
             mip_rel_gap: float, descriptions: dict[str, str] | None = None,
             context: str = "", layer: int | None = None,
             neuron: int | None = None) -> ConversionInfeasible:
    """Build the :class:`ConversionInfeasible` explaining why ``model`` has no solution.

    Parameters
    ----------
    descriptions : dict, optional
        Human-readable names of the constraint families (keys as in the module docstring),
        overriding the generic ones (e.g. naming the params.yaml fields).
    context : str
        Prefix naming the sub-problem (e.g. "digital (bits=4, method=milp)").

    Each re-solve runs under ``min(time_limit, DIAGNOSIS_TIME_LIMIT)``; relaxations it cannot
    decide in that time are listed as undecided.
    """
    time_limit = min(float(time_limit), DIAGNOSIS_TIME_LIMIT)
    desc = _default_descriptions(problem, model)
    desc.update(descriptions or {})
    binding, unknown = [], []
    for name, p2, m2 in _relaxations(problem, model):
        f = _feasible(p2, m2, time_limit, mip_rel_gap)
        if f:
            binding.append(name)
        elif f is None:
            unknown.append(name)

    samples: list[int] = []
    notes = []
    tolv = 1e-7 * max(1.0, float(np.max(np.abs(problem.z), initial=0.0)), abs(problem.i_th))
    if "silent" in binding:
        # elastic: minimise the silent violations, every other constraint kept
        out = solve_model(problem.replace(silent_mode="hinge"), model, "l1",
                          time_limit=time_limit, mip_rel_gap=mip_rel_gap, cost_active=False)
        if out.has_solution:
            I = model.G @ out.x + model.bias_value(out.beta_var)
            bad = np.flatnonzero(problem.silent & (I > problem.i_th + tolv))
            samples.extend(int(s) for s in bad)
            notes.append(f"at the least total violation, these silent samples stay above "
                         f"i_th: {_listed(bad)}")
    if "max_error" in binding:
        out = solve_model(problem.replace(max_error=None), model, "l1",
                          time_limit=time_limit, mip_rel_gap=mip_rel_gap,
                          deadzone=problem.max_error)
        if out.has_solution:
            I = model.G @ out.x + model.bias_value(out.beta_var)
            viol = np.abs(I - problem.z) - problem.max_error
            bad = np.flatnonzero(problem.active & (viol > tolv))
            samples.extend(int(s) for s in bad)
            notes.append(f"at the least total violation, these active samples lie outside "
                         f"the error band: {_listed(bad)}")

    head = f"{context}: " if context else ""
    if binding:
        names = "; ".join(desc[b] for b in binding)
        detail = (f"{head}infeasible; binding: {names} (relaxing "
                  f"{'it' if len(binding) == 1 else 'any one of them'} alone restores "
                  f"feasibility)")
    else:
        present = [desc[n] for n, _, _ in _relaxations(problem, model)]
        detail = (f"{head}infeasible; no single constraint relaxed alone restores feasibility: "
                  f"the combination of {'; '.join(present) or 'the constraints'} binds")
    if notes:
        detail += ". " + ". ".join(notes)
    if unknown:
        detail += f". Undecided within the time limit: {', '.join(unknown)}"
    return ConversionInfeasible(detail, binding=binding, samples=sorted(set(samples)),
                                layer=layer, neuron=neuron)
