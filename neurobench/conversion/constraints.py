"""Chip constraint families for the per-neuron synapse problems (spec §4, [inferred]).

Each family is a frozen :class:`neurobench.schema.Params` model, validated on construction; its
fields, with their ranges and units, map one to one to the keys of an entry of
``conversion.families`` in ``params.yaml``, where the ``family`` tag selects the class
(:data:`ChipConstraints`, a discriminated union). Every family carries the options shared by all
of them (:class:`FamilyOptions`):

``fan_in``
    At most ``fan_in`` non-zero input weights per neuron (``||w||_0 <= K``), exact through binary
    indicators ``y_i`` with ``lo_i y_i <= w_i <= hi_i y_i`` and ``sum_i y_i <= K`` (a MILP).
``time_limit``, ``mip_rel_gap``
    Passed to HiGHS for every (MI)LP the family solves. A solve stopped by the time limit is
    reported as ``"time_limit"``, never as ``"optimal"``.
``lp_solver``, ``warm_chunk``
    How the pure LPs (no integer variables, no fan-in) are solved: ``"auto"`` (default) is
    ``"ipm"`` for layers of at least 256 inputs (``conversion.ipm.AUTO_MIN_VARIABLES``) and
    ``"scipy"`` below; ``"scipy"`` (the reference) builds and solves every LP afresh with
    ``scipy.optimize.linprog``; ``"highspy"``
    keeps one HiGHS model per chunk of ``warm_chunk`` neurons of a layer and re-solves it for
    each neuron by the dual simplex from the previous neuron's optimal basis
    (:mod:`neurobench.conversion.warm`). It was measured no faster on the conversion's layers
    (the neurons' targets differ too much for a basis to carry over; docs/papers/conversion.md),
    so it is not the default. Same optimum; a degenerate LP can return another
    optimal vertex. ``"ipm"`` solves the plain ``l1`` LPs (weight bounds only: no budget,
    penalty, band or hard silent samples) by a dense interior-point method on their dual
    (:mod:`neurobench.conversion.ipm`): on a 784-input layer with 1000 samples 0.3 s per
    neuron against scipy's 7.6 s, the whole 784-300-100-10 network in 141 s on 2 workers
    (benchmarks/conversion.py; docs/performance.md). Its point is kept when its duality gap is
    below 1e-8 relative and it lies within the bounds, otherwise the LP goes to scipy. Where
    the optimum is not unique the weights are another optimal point (interior, not a vertex).
    MILPs always go through ``scipy.optimize.milp``.
``rows``
    Which rows the pure LPs are solved with (the lp_solver ``"scipy"`` path): ``"all"``
    (default, the reference) builds every row; ``"generate"`` solves them by row generation
    (:mod:`neurobench.conversion.rowgen`): the silent samples' rows and the error band's rows
    join the LP only when the solution violates them, re-solved by the dual simplex from the
    previous basis. The same optimum (to HiGHS's tolerance); a degenerate LP can return another
    optimal vertex. MILPs always take every row.
``weight_penalty``, ``penalty_norm``
    A weight penalty added to every neuron's objective (regularisation against over-fitting the
    calibration rows): ``lambda sum_i |w_i|`` (``"l1"``, ``lambda`` per mV of weight; with the
    LP objectives ``l1``/``linf``) or ``lambda sum_i w_i^2`` (``"l2"``, per mV^2; only with the
    least-squares objective ``ls``, where it is a ridge term). For hybrid weights the l1
    penalty is on the synaptic total ``sum_{i,tau} |s_tau| m_{i,tau}`` (>= ``sum_i |w_i|``, equal
    without opposite-sign types on one input). 0 (default) leaves the objective unchanged.

:func:`hybrid_violations` counts the weights of a network that a :class:`Hybrid` chip cannot
represent.

Families
--------
:class:`Analog`
    Continuous weights ``w_min <= w_i <= w_max``; optionally differential pairs
    ``w_i = w_i^+ - w_i^-`` with ``w_i^+, w_i^- in [0, g_max]`` and a per-neuron total-conductance
    limit ``sum_i (w_i^+ + w_i^-) <= total_conductance``.
:class:`Digital`
    ``w_i = scale * k_i`` with integer ``k_i in [-(2^(b-1)-1), 2^(b-1)-1]``.
:class:`Hybrid`
    Integer connection multiplicities times shared per-neuron, per-type weights,
    ``w_i = sum_tau s_tau m_{i,tau}`` with ``m_{i,tau} in {0..M}``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..network import AvgPool2d
from ..schema import Params

DigitalMethod = Literal["milp", "round", "iterative"]
PenaltyNorm = Literal["l1", "l2"]
HybridAssignment = Literal["all", "grouped"]
HybridStep = Literal["milp", "round"]
LpSolver = Literal["auto", "highspy", "ipm", "scipy"]
LpRows = Literal["all", "generate"]

MAX_BITS = 24


def _fail(cls: type, field: str, value: Any, why: str) -> None:
    """Raise a validation error located at ``field`` (for rules that span several fields)."""
    raise ValidationError.from_exception_data(cls.__name__, [{
        "type": PydanticCustomError("value_error", "{why}", {"why": why}), "loc": (field,), "input": value}])


class FamilyOptions(Params):
    """Options shared by every constraint family (module docstring)."""

    fan_in: int | None = Field(None, ge=0, description="at most this many non-zero input weights per neuron "
                                                       "(exact MILP with binary indicators; null: no limit)")
    time_limit: float = Field(10.0, gt=0, description="seconds per HiGHS call of the (MI)LPs")
    mip_rel_gap: float = Field(1e-4, ge=0, description="relative MIP gap at which HiGHS stops")
    node_limit: int | None = Field(None, ge=1, description="branch-and-bound nodes per MILP: a deterministic stop, "
                                                           "unlike time_limit (null: no limit)")
    weight_penalty: float = Field(0.0, ge=0, description="coefficient of the weight penalty added to each "
                                                         "neuron's objective, per mV (l1) or mV^2 (l2) of weight")
    penalty_norm: PenaltyNorm = Field("l1", description="weight penalty norm: l1 (objectives l1, linf) | "
                                                        "l2 (objective ls only)")
    lp_solver: LpSolver = Field("auto", description="pure LPs: auto (ipm for layers of at least 256 inputs, "
                                                      "scipy below) | highspy (one HiGHS model per chunk of a layer, "
                                                      "dual simplex warm-started from the previous neuron's basis) "
                                                      "| ipm (dense interior point for plain l1 LPs, HiGHS otherwise) "
                                                      "| scipy (linprog per neuron, the reference)")
    rows: LpRows = Field("all", description="pure LPs: all (every row built and solved at once, the reference) | "
                                            "generate (row generation: silent-sample and error-band rows added "
                                            "only when violated; same optimum)")
    warm_chunk: int = Field(25, ge=1, description="neurons per warm-started chunk of a layer (lp_solver highspy): "
                                                  "the weights depend on it, never on the number of workers")


class Analog(FamilyOptions):
    """Continuous (analog) synaptic weights.

    Weight set, per input ``i``::

        lo <= w_i <= hi,   lo = max(w_min, -g_max), hi = min(w_max, g_max)  (g_max if differential)
        sum_i |w_i| <= total_conductance                                     (if given)

    With ``differential=True`` a weight is a pair of conductances ``w_i = w_i^+ - w_i^-`` with
    ``w_i^+, w_i^- in [0, g_max]``. Every ``w_i in [-g_max, g_max]`` is realisable, and the split
    ``w^+ = max(w, 0)``, ``w^- = max(-w, 0)`` minimises ``w_i^+ + w_i^-`` (= ``|w_i|``), so the
    total-conductance limit ``sum_i (w_i^+ + w_i^-) <= G`` is written linearly with auxiliary
    variables ``u_i >= |w_i|`` (``u_i >= w_i``, ``u_i >= -w_i``, ``sum_i u_i <= G``); the solution
    reports that split (:attr:`NeuronSolution.w_plus`, :attr:`NeuronSolution.w_minus`).

    A fan-in limit needs a finite weight range (big-M indicator constraints).
    """

    family: Literal["analog"] = "analog"
    w_min: float = Field(-1.0, allow_inf_nan=True, description="lowest weight in mV (-inf: unbounded)")
    w_max: float = Field(1.0, allow_inf_nan=True, description="highest weight in mV, >= w_min (inf: unbounded)")
    differential: bool = Field(False, description="weights are differential conductance pairs (needs g_max)")
    g_max: float | None = Field(None, gt=0, description="largest conductance of one device of a pair in mV; "
                                                        "only with differential")
    total_conductance: float | None = Field(None, ge=0, description="per-neuron limit on sum_i |w_i| in mV")

    @field_validator("w_min", "w_max")
    @classmethod
    def _not_nan(cls, value: float) -> float:
        if math.isnan(value):
            raise ValueError("must not be NaN")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Analog":
        lo, hi = self.w_min, self.w_max
        if lo == math.inf:
            _fail(Analog, "w_min", lo, "must be < inf")
        if hi == -math.inf:
            _fail(Analog, "w_max", hi, "must be > -inf")
        if hi < lo:
            _fail(Analog, "w_max", hi, f"must be >= w_min ({lo})")
        if self.differential and self.g_max is None:
            _fail(Analog, "g_max", None, "differential pairs need g_max > 0")
        if self.g_max is not None:
            if not self.differential:
                _fail(Analog, "g_max", self.g_max, "only used with differential: true")
            if max(lo, -self.g_max) > min(hi, self.g_max):
                _fail(Analog, "g_max", self.g_max, f"[-g_max, g_max] does not meet [w_min, w_max] = [{lo}, {hi}]")
        if self.fan_in is not None:
            b_lo, b_hi = self.bounds
            if not (math.isfinite(b_lo) and math.isfinite(b_hi)):
                _fail(Analog, "fan_in", self.fan_in,
                      "needs a finite weight range (w_min, w_max or g_max) for the big-M "
                      f"indicator constraints, got [{b_lo}, {b_hi}]")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """Effective per-weight range ``(lo, hi)`` in mV, g_max included."""
        lo, hi = float(self.w_min), float(self.w_max)
        if self.differential and self.g_max is not None:
            lo, hi = max(lo, -float(self.g_max)), min(hi, float(self.g_max))
        return lo, hi


class Digital(FamilyOptions):
    """Digital weights on a signed integer grid: ``w_i = scale * k_i``, ``|k_i| <= 2^(b-1) - 1``.

    ``scale`` None: ``max_i |w_i^c| / K`` from the continuous solution ``w^c`` of the same problem
    with unbounded weights (per neuron); pass a per-layer value so that all neurons of a layer
    share one grid (see :func:`digital_scale`). ``method``: ``milp`` is the exact MILP in ``k``
    (HiGHS branch and bound, with ``time_limit`` and ``mip_rel_gap``); ``round`` solves the
    continuous relaxation ``k in [-K, K]``, rounds to the nearest level (clipped) and re-fits the
    bias; ``iterative`` rounds iteratively, fixing ``iterative_fraction`` of the still-free
    weights (those closest to an integer level, at least one) before re-solving the rest.
    """

    family: Literal["digital"] = "digital"
    bits: int = Field(4, ge=2, le=MAX_BITS, description="signed weight resolution b: K = 2^(b-1) - 1 levels each side of 0")
    scale: float | None = Field(None, gt=0, description="grid step in mV (null: from the continuous solution)")
    method: DigitalMethod = Field("milp", description="exact MILP, rounding or iterative rounding")
    iterative_fraction: float = Field(0.25, gt=0, le=1, description="share of the free weights fixed per round")
    bias_on_grid: bool = Field(False, description="the bias is scale * k_b with integer |k_b| <= K too")

    @property
    def levels(self) -> int:
        """``K = 2^(bits-1) - 1``: the largest integer level."""
        return 2 ** (int(self.bits) - 1) - 1


class Hybrid(FamilyOptions):
    """Integer connection multiplicity times a shared per-neuron, per-type weight.

    ``w_i = sum_tau s_tau m_{i,tau}``, ``m_{i,tau} in {0, .., max_multiplicity}`` (DYNAP-SE
    style: analog type weights, integer synapse counts; TrueNorth style: ``max_multiplicity=1``
    crossbar with one type per input axon).

    With ``assignment="all"`` every input may connect through every type (``n_types``
    multiplicities per input); with ``"grouped"`` input ``i`` uses only its type ``tau(i)``
    (``w_i = s_tau(i) m_i``), given by the caller as ``input_types``; for two
    excitatory/inhibitory types the default grouping is the sign of the continuous solution.

    Type weight bounds: with ``excitatory_inhibitory`` the first ``n_types // 2`` types are
    excitatory, ``s in [0, s_max]``, the others inhibitory, ``s in [-s_max, 0]``; otherwise
    every ``s in [-s_max, s_max]``.

    Solved by alternation: fix ``s`` -> MILP (or LP relaxation + rounding, ``m_step``) in ``m``;
    fix ``m`` -> LP in ``s``; a step is kept only if it does not increase the objective; stop
    when the decrease of one full iteration is ``<= tol * max(1, objective)`` or after
    ``max_iter`` iterations. ``fan_in`` counts inputs with any non-zero multiplicity and needs
    ``m_step="milp"``.
    """

    family: Literal["hybrid"] = "hybrid"
    max_multiplicity: int = Field(3, ge=1, description="largest number M of synapses of one input and type")
    n_types: int = Field(2, ge=1, description="synapse types per neuron (even with excitatory_inhibitory)")
    s_max: float = Field(1.0, gt=0, description="largest type weight magnitude in mV")
    excitatory_inhibitory: bool = Field(True, description="split the types into excitatory (>= 0) and inhibitory (<= 0) halves")
    assignment: HybridAssignment = Field("all", description="every input may use every type, or one type per input")
    m_step: HybridStep = Field("milp", description="how the multiplicities are solved with the type weights fixed")
    max_iter: int = Field(20, ge=1, description="largest number of alternations")
    tol: float = Field(1e-6, ge=0, description="relative stall tolerance of the alternation")

    @model_validator(mode="after")
    def _consistent(self) -> "Hybrid":
        if self.excitatory_inhibitory and self.n_types % 2:
            _fail(Hybrid, "n_types", self.n_types, "must be even with excitatory_inhibitory: true (half E, half I)")
        if self.fan_in is not None and self.m_step != "milp":
            _fail(Hybrid, "fan_in", self.fan_in, "needs m_step: 'milp'")
        return self

    @property
    def type_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds in mV of the ``n_types`` type weights."""
        T, s = int(self.n_types), float(self.s_max)
        lo, hi = np.full(T, -s), np.full(T, s)
        if self.excitatory_inhibitory:
            lo[: T // 2] = 0.0
            hi[T // 2:] = 0.0
        return lo, hi


Constraints = Union[Analog, Digital, Hybrid]
"""Any one constraint family (an instance of one of the three classes)."""

FAMILIES: dict[str, type[FamilyOptions]] = {"analog": Analog, "digital": Digital, "hybrid": Hybrid}


ChipConstraints = Annotated[Union[Analog, Digital, Hybrid], Field(discriminator="family")]
"""Field type of one ``params.yaml`` constraint family: the ``family`` key selects the class."""


def digital_scale(weights: np.ndarray, bits: int) -> float:
    """Grid step ``max |w| / (2^(bits-1) - 1)`` (in the unit of ``weights``, mV) for a
    (layer's) continuous weights.

    Returns 1.0 for all-zero weights (any grid represents them).
    """
    K = 2 ** (int(bits) - 1) - 1
    m = float(np.max(np.abs(weights))) if np.size(weights) else 0.0
    if not math.isfinite(m):
        raise ValueError(f"digital_scale: weights contain non-finite values (max |w| = {m})")
    return m / K if m > 0 else 1.0


#: Largest number of multiplicity combinations ``(M + 1)^n_types`` enumerated by
#: :func:`hybrid_levels`.
MAX_HYBRID_COMBINATIONS = 100_000


def hybrid_levels(spec: Hybrid, type_weights: np.ndarray) -> np.ndarray:
    """Every weight in mV that one input can have on a :class:`Hybrid` chip with these type
    weights (n_types,): ``sum_tau s_tau m_tau`` over ``m in {0..M}^n_types`` ("all"), or
    ``s_tau m`` for one type ("grouped"); sorted, unique."""
    s = np.asarray(type_weights, dtype=np.float64).reshape(-1)
    M = int(spec.max_multiplicity)
    m = np.arange(M + 1, dtype=np.float64)
    if spec.assignment == "grouped":
        return np.unique(np.outer(s, m).ravel())
    if (M + 1) ** s.size > MAX_HYBRID_COMBINATIONS:
        raise ValueError(f"hybrid_levels: (max_multiplicity + 1)^n_types = {(M + 1) ** s.size} "
                         f"combinations, more than {MAX_HYBRID_COMBINATIONS}")
    grids = np.meshgrid(*([m] * s.size), indexing="ij")
    return np.unique(sum(g.ravel() * w for g, w in zip(grids, s)))


def _one_sign_fit(values: np.ndarray, M: int, s_top: float, tol: float) -> tuple[float, int]:
    """``(s, misses)``: the type weight ``s <= s_top`` for which the most of ``values`` (> 0) are
    ``m s`` with ``m in 1..M``; candidates ``v / m`` for every value and ``m``."""
    if values.size == 0:
        return 0.0, 0
    cand = np.unique((values[:, None] / np.arange(1, M + 1)[None, :]).ravel())
    cand = cand[cand <= s_top * (1 + 1e-12)]
    if cand.size == 0:
        return 0.0, int(values.size)
    ratio = values[None, :] / cand[:, None]
    m = np.rint(ratio)
    ok = (np.abs(ratio - m) * cand[:, None] <= tol) & (m >= 1) & (m <= M)
    best = int(np.argmax(ok.sum(axis=1)))
    return float(cand[best]), int(values.size - ok[best].sum())


def infer_type_weights(spec: Hybrid, weights: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Type weights (n_types,) in mV that explain one neuron's ``weights`` (mV) best.

    Needs one type per sign: ``excitatory_inhibitory`` with ``n_types = 2`` (or one type
    without it). Per sign, ``s`` is the candidate ``|w_i| / m`` (``m in 1..M``, ``s <= s_max``)
    that makes the most weights of that sign ``m s``; the type of a sign without weights gets 0.
    """
    lo, hi = spec.type_bounds
    T, M = int(spec.n_types), int(spec.max_multiplicity)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if T == 1 and not spec.excitatory_inhibitory:
        s_pos, miss_pos = _one_sign_fit(w[w > 0], M, float(spec.s_max), tol)
        s_neg, miss_neg = _one_sign_fit(-w[w < 0], M, float(spec.s_max), tol)
        # one type serves one sign: the other sign's weights are all misses
        return np.array([s_pos if miss_pos + np.sum(w < 0) <= miss_neg + np.sum(w > 0) else -s_neg])
    if not (spec.excitatory_inhibitory and T == 2):
        raise ValueError("infer_type_weights needs one type per sign (excitatory_inhibitory with "
                         f"n_types = 2, or n_types = 1), got n_types = {T}; pass the type weights")
    s = np.zeros(T)
    s[0] = _one_sign_fit(w[w > 0], M, float(hi[0]), tol)[0]
    s[1] = -_one_sign_fit(-w[w < 0], M, float(-lo[1]), tol)[0]
    return s


def hybrid_violations(network, spec: Hybrid, type_weights=None, tol: float = 1e-9) -> int:
    """Number of synaptic weights of ``network`` that a :class:`Hybrid` chip cannot represent.

    A weight ``w_i`` of neuron ``j`` is representable when it is one of
    :func:`hybrid_levels` of the neuron's type weights ``s_j`` (within ``tol`` mV), and the type
    weights lie within :attr:`Hybrid.type_bounds` (otherwise all the neuron's non-zero weights
    count). Zero weights are always representable (no synapse); pooling layers and biases (a
    continuous current) are not checked. A fan-in limit adds, per neuron, the non-zero weights
    beyond ``fan_in``.

    Parameters
    ----------
    network : neurobench.network.Network
    spec : Hybrid
    type_weights : list of arrays (n_out, n_types), one per Dense/Conv2d layer in order, optional
        The type weights of each neuron (e.g. ``NeuronSolution.scale`` of the converter's
        solutions). Without them they are inferred per neuron (:func:`infer_type_weights`,
        one type per sign only): exact for networks whose inputs each use one type, such as
        ``neurobench.conversion.normalize.hybrid_baseline``; for a weight made of both types it
        may over-count.
    """
    lo, hi = spec.type_bounds
    count, k = 0, 0
    for layer in network.layers:
        if isinstance(layer, AvgPool2d):
            continue
        W = np.asarray(layer.weight, dtype=np.float64).reshape(layer.weight.shape[0], -1)
        S = None if type_weights is None else np.asarray(type_weights[k], dtype=np.float64)
        k += 1
        for j, w in enumerate(W):
            s = infer_type_weights(spec, w, tol) if S is None else S[j]
            nonzero = np.abs(w) > tol
            if np.any(s < lo - tol) or np.any(s > hi + tol):
                count += int(nonzero.sum())
                continue
            levels = hybrid_levels(spec, s)
            pos = np.clip(np.searchsorted(levels, w), 1, len(levels) - 1) if len(levels) > 1 else 0
            near = np.minimum(np.abs(w - levels[pos - 1]), np.abs(w - levels[pos])) if len(levels) > 1 \
                else np.abs(w - levels[0])
            count += int(np.sum((near > tol) & nonzero))
            if spec.fan_in is not None:
                count += max(0, int(nonzero.sum()) - int(spec.fan_in))
    return count
