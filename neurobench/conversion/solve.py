"""Per-neuron and per-layer synapse solvers of the layer-wise conversion (spec §3.5, §4).

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

:func:`solve_layer` runs all neurons of a layer through a ``concurrent.futures`` executor;
the neurons are independent, so the result does not depend on the executor.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from .constraints import Analog, Constraints, Digital, Hybrid
from .digital import solve_digital
from .engine import Engine
from .hybrid import solve_hybrid
from .model import plain_model
from .problem import (OBJECTIVES, ConversionInfeasible, NeuronProblem, NeuronSolution,
                      STATUSES)

__all__ = ["solve_neuron", "solve_problem", "solve_layer", "LayerSolution", "NeuronSolution",
           "NeuronProblem", "ConversionInfeasible", "STATUSES"]


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
                 context=f"{c.family} constraints, objective {objective}")
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


# --------------------------------------------------------------------------------------------
# layers


@dataclass
class LayerSolution:
    """All neurons of one layer.

    Attributes
    ----------
    weights : ndarray, shape (n_out, n_in)
        Row ``j`` is neuron ``j``'s input weights (NaN rows for recorded infeasible neurons).
    biases : ndarray, shape (n_out,)
    solutions : list of NeuronSolution
        Per neuron, in order.
    wall_seconds : float
        Wall time of :func:`solve_layer`.

    It also unpacks as ``weights, biases, solutions``.
    """

    weights: np.ndarray
    biases: np.ndarray
    solutions: list[NeuronSolution] = field(default_factory=list)
    wall_seconds: float = 0.0

    def __iter__(self):
        """Unpacks as ``weights, biases, solutions = solve_layer(...)``."""
        return iter((self.weights, self.biases, self.solutions))

    @property
    def statuses(self) -> list[str]:
        return [s.status for s in self.solutions]

    @property
    def objectives(self) -> np.ndarray:
        return np.array([s.objective for s in self.solutions])

    def summary(self) -> dict[str, Any]:
        """JSON-friendly totals: status counts, objective sum, solver and wall time."""
        counts: dict[str, int] = {}
        for s in self.statuses:
            counts[s] = counts.get(s, 0) + 1
        gaps = [s.mip_gap for s in self.solutions if s.mip_gap is not None]
        ok = [s for s in self.solutions if s.ok]
        return {
            "n_neurons": len(self.solutions), "status_counts": counts,
            "objective_sum": float(sum(s.objective for s in ok)),
            "solve_seconds": float(sum(s.solve_seconds for s in self.solutions)),
            "neuron_seconds": float(sum(s.total_seconds for s in self.solutions)),
            "wall_seconds": self.wall_seconds,
            "max_mip_gap": float(max(gaps)) if gaps else None,
            "max_rmse_active": float(max((s.residual.get("rmse_active", 0.0) for s in ok),
                                         default=0.0)),
        }


def _solve_chunk(R, Z, silent, i_th, max_error, neuron_ids, objective, constraints, options,
                 layer, on_infeasible) -> list[NeuronSolution]:
    """Worker: the neurons ``neuron_ids`` (columns of Z/silent) sharing the input matrix R."""
    out = []
    for col, j in enumerate(neuron_ids):
        me = None if max_error is None else (max_error if np.ndim(max_error) == 0
                                             else max_error[:, col])
        try:
            sol = solve_neuron(R, Z[:, col], silent[:, col], float(i_th[col]),
                               objective=objective, constraints=constraints,
                               max_error=me, layer=layer, neuron=int(j), **options)
        except ConversionInfeasible as e:
            if on_infeasible == "raise":
                raise
            sol = NeuronSolution(weights=np.full(R.shape[1], np.nan), bias=float("nan"),
                                 status="infeasible", objective=float("nan"),
                                 objective_name=objective, message=str(e))
        out.append(sol)
    return out


class _Serial:
    """In-process stand-in for an executor (results computed at submit time)."""

    class _Done:
        def __init__(self, fn, args):
            self._value, self._exc = None, None
            try:
                self._value = fn(*args)
            except BaseException as e:  # re-raised by result(), like a Future
                self._exc = e

        def result(self):
            if self._exc is not None:
                raise self._exc
            return self._value

    def submit(self, fn, *args):
        return self._Done(fn, args)


def default_workers() -> int:
    """Worker processes for the default pool: the usable CPU cores."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def solve_layer(R: np.ndarray, Z: np.ndarray, silent: np.ndarray, i_th=0.0,
                objective: str = "l1", constraints: Constraints | None = None,
                executor: Any = "process", *, bias: bool = True,
                bias_bounds: tuple[float, float] = (-math.inf, math.inf),
                silent_mode: str = "hinge", max_error=None, input_types=None,
                layer: int | None = None, max_workers: int | None = None,
                chunk_size: int | None = None, progress: bool = True,
                on_infeasible: str = "raise", start_method: str = "spawn") -> LayerSolution:
    """Solve every neuron of a layer (independent problems sharing ``R``).

    Parameters
    ----------
    R : ndarray, shape (S, n_in)
        Presynaptic drive per unit weight.
    Z : ndarray, shape (S, n_out)
        Target currents, one column per neuron.
    silent : ndarray of bool, shape (S, n_out)
        Silent samples per neuron.
    i_th : float or ndarray of shape (n_out,)
        Onset current(s).
    objective, constraints, bias, bias_bounds, silent_mode, input_types
        As for :func:`solve_neuron`, the same for every neuron (pass a per-layer
        ``Digital.scale`` so that the layer shares one grid).
    max_error : None, float, or ndarray of shape (S, n_out)
        Hard error band.
    executor : "process", "serial", None, or an executor
        ``"process"`` (default): a ``ProcessPoolExecutor`` with ``max_workers`` processes
        (default: the usable cores), started with ``start_method`` and shut down afterwards;
        ``"serial"`` or None: in this process; any object with
        ``submit(fn, *args)`` returning futures with ``result()`` (a
        ``concurrent.futures.Executor``, a Dask client's ``get_executor()``) is used as is.
    chunk_size : int, optional
        Neurons per task (R is sent once per task). Default: 1 in serial, else about four
        tasks per worker.
    progress : bool
        Show a tqdm progress bar.
    on_infeasible : "raise" or "record"
        Raise the first :class:`ConversionInfeasible` (naming layer and neuron), or record the
        neuron with status "infeasible" and NaN weights.
    start_method : "spawn", "forkserver" or "fork"
        Start method of the default process pool. "spawn" (default) is safe with the worker
        threads HiGHS starts in this process, and works in Jupyter; in a script it needs the
        ``if __name__ == "__main__":`` guard (as any spawn pool does).

    Returns
    -------
    LayerSolution
        ``weights`` (n_out, n_in), ``biases`` (n_out,), per-neuron ``solutions``.
    """
    t0 = time.perf_counter()
    R = np.ascontiguousarray(R, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    silent = np.asarray(silent, dtype=bool)
    if R.ndim != 2:
        raise ValueError(f"R must be 2-D (samples, inputs), got shape {R.shape}")
    S, n_in = R.shape
    if Z.ndim != 2 or Z.shape[0] != S:
        raise ValueError(f"Z must have shape ({S}, n_out), got {Z.shape}")
    n_out = Z.shape[1]
    if silent.shape != Z.shape:
        raise ValueError(f"silent must have the shape of Z {Z.shape}, got {silent.shape}")
    i_th_arr = np.broadcast_to(np.asarray(i_th, dtype=np.float64), (n_out,))
    if max_error is not None and np.ndim(max_error) != 0:
        max_error = np.asarray(max_error, dtype=np.float64)
        if max_error.shape != Z.shape:
            raise ValueError(f"max_error must be a scalar or have the shape of Z {Z.shape}, "
                             f"got {max_error.shape}")
    if on_infeasible not in ("raise", "record"):
        raise ValueError(f"on_infeasible = {on_infeasible!r}: must be 'raise' or 'record'")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective = {objective!r} is not allowed: must be one of "
                         f"{list(OBJECTIVES)}")
    options = dict(bias=bias, bias_bounds=tuple(bias_bounds), silent_mode=silent_mode,
                   input_types=input_types)

    owned = None
    if executor is None or executor == "serial":
        ex, workers = _Serial(), 1
    elif executor == "process":
        workers = max(1, min(max_workers or default_workers(), n_out))
        owned = ex = ProcessPoolExecutor(max_workers=workers,
                                         mp_context=multiprocessing.get_context(start_method))
    elif hasattr(executor, "submit"):
        ex, workers = executor, max(1, max_workers or default_workers())
    else:
        raise ValueError(f"executor = {executor!r}: must be 'process', 'serial', None or an "
                         "object with submit()")
    if chunk_size is None:
        chunk_size = 1 if workers == 1 else max(1, math.ceil(n_out / (4 * workers)))
    chunks = [np.arange(a, min(a + chunk_size, n_out)) for a in range(0, n_out, chunk_size)]

    solutions: list[NeuronSolution] = []
    try:
        futures = []
        for ids in chunks:
            me = max_error if (max_error is None or np.ndim(max_error) == 0) \
                else max_error[:, ids]
            futures.append(ex.submit(_solve_chunk, R, Z[:, ids], silent[:, ids], i_th_arr[ids],
                                     me, ids, objective, constraints, options, layer,
                                     on_infeasible))
        with tqdm(total=n_out, disable=not progress,
                  desc="solve" if layer is None else f"layer {layer}") as bar:
            for ids, fut in zip(chunks, futures):
                solutions.extend(fut.result())
                bar.update(len(ids))
    finally:
        if owned is not None:
            owned.shutdown(wait=True, cancel_futures=True)

    W = np.vstack([s.weights for s in solutions]) if solutions else np.zeros((0, n_in))
    b = np.array([s.bias for s in solutions], dtype=np.float64)
    return LayerSolution(weights=W, biases=b, solutions=solutions,
                         wall_seconds=time.perf_counter() - t0)
