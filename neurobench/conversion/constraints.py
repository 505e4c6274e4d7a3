"""Chip constraint families for the per-neuron synapse problems (spec §4, [inferred]).

Each family is a small frozen dataclass, validated on construction; its fields map one to one
to the keys of a ``constraints:`` section in ``params.yaml`` (``family`` selects the class, see
:func:`constraints_from_dict`). Every family carries the options shared by all of them:

``fan_in``
    At most ``fan_in`` non-zero input weights per neuron (``||w||_0 <= K``), exact through binary
    indicators ``y_i`` with ``lo_i y_i <= w_i <= hi_i y_i`` and ``sum_i y_i <= K`` (a MILP).
``time_limit``, ``mip_rel_gap``
    Passed to HiGHS for every (MI)LP the family solves. A solve stopped by the time limit is
    reported as ``"time_limit"``, never as ``"optimal"``.

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

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

DigitalMethod = Literal["milp", "round", "iterative"]
HybridAssignment = Literal["all", "grouped"]
HybridStep = Literal["milp", "round"]

MAX_BITS = 24


def _fail(cls: str, field: str, value: Any, why: str) -> None:
    raise ValueError(f"{cls}.{field} = {value!r} is not allowed: {why}")


def _check_real(cls: str, field: str, value: Any, *, allow_inf: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        _fail(cls, field, value, "must be a real number")
    v = float(value)
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        _fail(cls, field, value, "must be finite" if not allow_inf else "must not be NaN")
    return v


def _check_int(cls: str, field: str, value: Any, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        _fail(cls, field, value, "must be an integer")
    v = int(value)
    if v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        _fail(cls, field, value, f"must be an integer {rng}")
    return v


def _check_bool(cls: str, field: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        _fail(cls, field, value, "must be true or false")
    return bool(value)


def _check_common(obj: Any) -> None:
    name = type(obj).__name__
    if obj.fan_in is not None:
        _check_int(name, "fan_in", obj.fan_in, 0)
    tl = _check_real(name, "time_limit", obj.time_limit)
    if tl <= 0:
        _fail(name, "time_limit", obj.time_limit, "must be a finite number of seconds > 0")
    gap = _check_real(name, "mip_rel_gap", obj.mip_rel_gap)
    if gap < 0:
        _fail(name, "mip_rel_gap", obj.mip_rel_gap, "must be >= 0")


class _Family:
    """Shared ``from_dict``/``to_dict`` for the constraint families."""

    family: ClassVar[str]

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        """Build from a mapping with the same keys as the fields (``family`` is optional).

        Unknown keys are rejected with a message naming them.
        """
        d = dict(d)
        fam = d.pop("family", cls.family)
        if fam != cls.family:
            raise ValueError(f"{cls.__name__}.from_dict got family = {fam!r}, expected "
                             f"{cls.family!r}")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown key(s) {unknown}; allowed keys are "
                             f"{sorted(names | {'family'})}")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain mapping, with ``family`` first (round-trips via from_dict)."""
        out: dict[str, Any] = {"family": self.family}
        out.update(dataclasses.asdict(self))  # type: ignore[call-overload]
        return out


@dataclass(frozen=True)
class Analog(_Family):
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

    Parameters
    ----------
    w_min, w_max : float
        Weight range, ``w_min <= w_max`` (``-inf``/``inf`` allowed: unbounded).
    differential : bool
        Differential conductance pairs (requires ``g_max``).
    g_max : float or None
        Largest conductance of one device of a pair, > 0; only with ``differential``.
    total_conductance : float or None
        Per-neuron limit on ``sum_i |w_i|`` (= ``sum_i w_i^+ + w_i^-``), >= 0.
    fan_in : int or None
        At most this many non-zero weights (needs a finite weight range: big-M).
    time_limit : float
        Seconds per HiGHS call (fan-in MILP and LPs).
    mip_rel_gap : float
        Relative MIP gap at which HiGHS stops (fan-in MILP).
    """

    family: ClassVar[str] = "analog"

    w_min: float = -1.0
    w_max: float = 1.0
    differential: bool = False
    g_max: float | None = None
    total_conductance: float | None = None
    fan_in: int | None = None
    time_limit: float = 10.0
    mip_rel_gap: float = 1e-4

    def __post_init__(self) -> None:
        lo = _check_real("Analog", "w_min", self.w_min, allow_inf=True)
        hi = _check_real("Analog", "w_max", self.w_max, allow_inf=True)
        if lo == math.inf:
            _fail("Analog", "w_min", self.w_min, "must be < inf")
        if hi == -math.inf:
            _fail("Analog", "w_max", self.w_max, "must be > -inf")
        if hi < lo:
            _fail("Analog", "w_max", self.w_max, f"must be >= w_min ({self.w_min})")
        _check_bool("Analog", "differential", self.differential)
        if self.differential:
            if self.g_max is None:
                _fail("Analog", "g_max", None, "differential pairs need g_max > 0")
        if self.g_max is not None:
            if not self.differential:
                _fail("Analog", "g_max", self.g_max, "only used with differential: true")
            g = _check_real("Analog", "g_max", self.g_max)
            if g <= 0:
                _fail("Analog", "g_max", self.g_max, "must be a finite value > 0")
            if max(lo, -g) > min(hi, g):
                _fail("Analog", "g_max", self.g_max,
                      f"[-g_max, g_max] does not meet [w_min, w_max] = [{lo}, {hi}]")
        if self.total_conductance is not None:
            tc = _check_real("Analog", "total_conductance", self.total_conductance)
            if tc < 0:
                _fail("Analog", "total_conductance", self.total_conductance, "must be >= 0")
        _check_common(self)
        if self.fan_in is not None:
            b_lo, b_hi = self.bounds
            if not (math.isfinite(b_lo) and math.isfinite(b_hi)):
                _fail("Analog", "fan_in", self.fan_in,
                      "needs a finite weight range (w_min, w_max or g_max) for the big-M "
                      f"indicator constraints, got [{b_lo}, {b_hi}]")

    @property
    def bounds(self) -> tuple[float, float]:
        """Effective per-weight range ``(lo, hi)``, g_max included."""
        lo, hi = float(self.w_min), float(self.w_max)
        if self.differential and self.g_max is not None:
            lo, hi = max(lo, -float(self.g_max)), min(hi, float(self.g_max))
        return lo, hi


@dataclass(frozen=True)
class Digital(_Family):
    """Digital weights on a signed integer grid: ``w_i = scale * k_i``, ``|k_i| <= 2^(b-1) - 1``.

    Parameters
    ----------
    bits : int
        Signed weight resolution ``b`` in [2, 24]: ``K = 2^(b-1) - 1`` levels each side of zero.
    scale : float or None
        Grid step. None: ``max_i |w_i^c| / K`` from the continuous solution ``w^c`` of the same
        problem with unbounded weights (per neuron). Pass a per-layer value so that all neurons
        of a layer share one grid (see :func:`digital_scale`).
    method : "milp", "round" or "iterative"
        ``milp``: exact MILP in ``k`` (HiGHS branch and bound, with ``time_limit`` and
        ``mip_rel_gap``); ``round``: solve the continuous relaxation ``k in [-K, K]``, round to
        the nearest level (clipped), re-fit the bias; ``iterative``: iterative rounding, see
        ``iterative_fraction``.
    iterative_fraction : float
        In (0, 1]: fraction of the still-free weights fixed per round (those closest to an
        integer level, at least one), before the relaxation is re-solved for the rest.
    bias_on_grid : bool
        The bias is ``scale * k_b`` with integer ``|k_b| <= K`` too, instead of continuous.
    fan_in, time_limit, mip_rel_gap
        As for every family (module docstring).
    """

    family: ClassVar[str] = "digital"

    bits: int = 4
    scale: float | None = None
    method: DigitalMethod = "milp"
    iterative_fraction: float = 0.25
    bias_on_grid: bool = False
    fan_in: int | None = None
    time_limit: float = 10.0
    mip_rel_gap: float = 1e-4

    def __post_init__(self) -> None:
        _check_int("Digital", "bits", self.bits, 2, MAX_BITS)
        if self.scale is not None:
            s = _check_real("Digital", "scale", self.scale)
            if s <= 0:
                _fail("Digital", "scale", self.scale, "must be a finite value > 0 (or null)")
        if self.method not in ("milp", "round", "iterative"):
            _fail("Digital", "method", self.method, "must be 'milp', 'round' or 'iterative'")
        f = _check_real("Digital", "iterative_fraction", self.iterative_fraction)
        if not 0 < f <= 1:
            _fail("Digital", "iterative_fraction", self.iterative_fraction, "must be in (0, 1]")
        _check_bool("Digital", "bias_on_grid", self.bias_on_grid)
        _check_common(self)

    @property
    def levels(self) -> int:
        """``K = 2^(bits-1) - 1``: the largest integer level."""
        return 2 ** (int(self.bits) - 1) - 1


@dataclass(frozen=True)
class Hybrid(_Family):
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
    ``max_iter`` iterations.

    Parameters
    ----------
    max_multiplicity : int
        ``M >= 1``.
    n_types : int
        Number of synapse types (>= 1; even with ``excitatory_inhibitory``).
    s_max : float
        Largest type weight magnitude, > 0.
    excitatory_inhibitory : bool
        Split the types into excitatory (>= 0) and inhibitory (<= 0) halves.
    assignment : "all" or "grouped"
        Every input may use every type, or one type per input.
    m_step : "milp" or "round"
        How the multiplicities are solved with ``s`` fixed.
    max_iter : int
        Largest number of alternations (>= 1).
    tol : float
        Relative stall tolerance (>= 0).
    fan_in, time_limit, mip_rel_gap
        As for every family; ``fan_in`` counts inputs with any non-zero multiplicity and needs
        ``m_step="milp"``.
    """

    family: ClassVar[str] = "hybrid"

    max_multiplicity: int = 3
    n_types: int = 2
    s_max: float = 1.0
    excitatory_inhibitory: bool = True
    assignment: HybridAssignment = "all"
    m_step: HybridStep = "milp"
    max_iter: int = 20
    tol: float = 1e-6
    fan_in: int | None = None
    time_limit: float = 10.0
    mip_rel_gap: float = 1e-4

    def __post_init__(self) -> None:
        _check_int("Hybrid", "max_multiplicity", self.max_multiplicity, 1)
        _check_int("Hybrid", "n_types", self.n_types, 1)
        s = _check_real("Hybrid", "s_max", self.s_max)
        if s <= 0:
            _fail("Hybrid", "s_max", self.s_max, "must be a finite value > 0")
        _check_bool("Hybrid", "excitatory_inhibitory", self.excitatory_inhibitory)
        if self.excitatory_inhibitory and self.n_types % 2:
            _fail("Hybrid", "n_types", self.n_types,
                  "must be even with excitatory_inhibitory: true (half E, half I)")
        if self.assignment not in ("all", "grouped"):
            _fail("Hybrid", "assignment", self.assignment, "must be 'all' or 'grouped'")
        if self.m_step not in ("milp", "round"):
            _fail("Hybrid", "m_step", self.m_step, "must be 'milp' or 'round'")
        _check_int("Hybrid", "max_iter", self.max_iter, 1)
        t = _check_real("Hybrid", "tol", self.tol)
        if t < 0:
            _fail("Hybrid", "tol", self.tol, "must be >= 0")
        _check_common(self)
        if self.fan_in is not None and self.m_step != "milp":
            _fail("Hybrid", "fan_in", self.fan_in, "needs m_step: 'milp'")

    @property
    def type_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the ``n_types`` type weights."""
        T, s = int(self.n_types), float(self.s_max)
        lo, hi = np.full(T, -s), np.full(T, s)
        if self.excitatory_inhibitory:
            lo[: T // 2] = 0.0
            hi[T // 2:] = 0.0
        return lo, hi


Constraints = Analog | Digital | Hybrid

FAMILIES: dict[str, type] = {"analog": Analog, "digital": Digital, "hybrid": Hybrid}


def constraints_from_dict(d: dict[str, Any]) -> Constraints:
    """Build a constraint family from a ``params.yaml``-style mapping with a ``family`` key.

    Examples
    --------
    >>> constraints_from_dict({"family": "digital", "bits": 4, "method": "round"})
    Digital(bits=4, scale=None, method='round', iterative_fraction=0.25, bias_on_grid=False, \
fan_in=None, time_limit=10.0, mip_rel_gap=0.0001)
    """
    if "family" not in d:
        raise ValueError(f"constraints.family is missing; allowed: {sorted(FAMILIES)}")
    fam = d["family"]
    if fam not in FAMILIES:
        raise ValueError(f"constraints.family = {fam!r} is not allowed: must be one of "
                         f"{sorted(FAMILIES)}")
    return FAMILIES[fam].from_dict(d)


def digital_scale(weights: np.ndarray, bits: int) -> float:
    """Grid step ``max |w| / (2^(bits-1) - 1)`` for a (layer's) continuous weights.

    Returns 1.0 for all-zero weights (any grid represents them).
    """
    K = 2 ** (int(bits) - 1) - 1
    m = float(np.max(np.abs(weights))) if np.size(weights) else 0.0
    if not math.isfinite(m):
        raise ValueError(f"digital_scale: weights contain non-finite values (max |w| = {m})")
    return m / K if m > 0 else 1.0
