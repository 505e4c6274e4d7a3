"""Analytic steady-state firing rates of IF and LIF neurons under a constant drive, and inverses.

The drive ``I`` is a constant input in mV/ms (``dv/dt = I`` for IF, ``dv/dt = -v/tau_m + I``
for LIF). Rates are in Hz. These are the continuous-time closed forms: with reset to zero the
neuron restarts from 0 mV; with reset by subtraction and an exact threshold crossing the
continuous-time trajectory is the same, so both share one formula. A clock-driven simulation
with step ``dt`` approaches them as ``dt -> 0``; the conversion solver maps ANN activations to
drives through the inverses.

    IF :  r(I) = 1 / (t_ref + v_th / I)                          for I > 0, else 0
    LIF:  r(I) = 1 / (t_ref + tau_m * ln(I tau_m / (I tau_m - v_th)))   for I tau_m > v_th, else 0
"""

from __future__ import annotations

import numpy as np

from ..units import MS_PER_S
from .params import NeuronParams
from .rate_kernels import lif_subtract_isi


def max_rate(params: NeuronParams) -> float:
    """Supremum of the rate in Hz (1 / t_ref; infinite without a refractory period)."""
    return np.inf if params.t_ref == 0 else MS_PER_S / params.t_ref


def rate(drive: np.ndarray, params: NeuronParams) -> np.ndarray:
    """Steady-state firing rate in Hz for a constant drive ``I`` in mV/ms (element-wise)."""
    drive = np.asarray(drive, dtype=np.float64)
    out = np.zeros_like(drive)
    if params.model == "if":
        on = drive > 0
        isi = params.t_ref + params.v_th / drive[on]
    else:
        on = drive * params.tau_m > params.v_th
        x = drive[on] * params.tau_m
        # ln(x / (x - v_th)) written as log1p: exact to rounding also for strong drives x >> v_th
        isi = params.t_ref + params.tau_m * np.log1p(params.v_th / (x - params.v_th))
    out[on] = MS_PER_S / isi
    return out


def inverse_rate(target_rate: np.ndarray, params: NeuronParams) -> np.ndarray:
    """Constant drive in mV/ms that gives ``target_rate`` Hz (0 Hz maps to the firing onset).

    Raises ``ValueError`` for rates < 0, NaN, or >= the maximum rate ``1 / t_ref``.
    """
    r = np.asarray(target_rate, dtype=np.float64)
    if not np.all((r >= 0) & (r < max_rate(params))):  # also rejects NaN
        raise ValueError(
            f"target_rate must lie in [0, {max_rate(params)}) Hz for t_ref = {params.t_ref} ms"
        )
    out = np.empty_like(r)
    zero = r == 0
    isi = MS_PER_S / r[~zero] - params.t_ref  # ms available for integration
    if params.model == "if":
        out[~zero] = params.v_th / isi
        out[zero] = 0.0
    else:
        # 1 - exp(-isi / tau_m) written as -expm1: no cancellation when isi << tau_m
        out[~zero] = params.v_th / (params.tau_m * -np.expm1(-isi / params.tau_m))
        out[zero] = params.v_th / params.tau_m
    return out


# ------------------------------------------------------------------ discrete time (clock steps)
#
# The clock simulator (``neurobench.sim.clock``) advances a neuron with a constant bias drive
# ``b`` (mV/ms) by ``v <- a v + q`` per step of ``dt`` ms, with ``a = exp(-dt / tau_m)`` (LIF) or
# 1 (IF) and the per-step charge ``q = c_b b``, ``c_b = tau_m (1 - a)`` (LIF) or ``dt`` (IF) ms
# (``neurobench.sim.coefficients.StepCoefficients``: ``a_v``, ``c_b``); it spikes when
# ``v >= v_th``, resets, and then skips the update for ``F = max(R - 1, 0)`` steps, where
# ``R = round(t_ref / dt)`` (``NeuronParams.refractory_steps``). An inter-spike interval is
# therefore ``F + k`` steps, ``k >= 1`` the updates needed to reach threshold again.

#: Leak time constants (tau_m) of the event-driven LIF-with-subtraction orbit discarded before
#: its period is read: the orbit contracts by at least ``exp(-30)`` (about 1e-13) meanwhile.
_LIF_SUBTRACT_BURN_IN_TAU = 30.0
#: Spikes over which the period of that orbit is looked for (and averaged if none is found).
_LIF_SUBTRACT_WINDOW = 128


def step_gains(params: NeuronParams, dt: float) -> tuple[float, float]:
    """``(a, c_b)`` of the clock update ``v <- a v + c_b b`` over ``dt`` ms.

    ``a`` (dimensionless) is the leak factor, ``c_b`` (ms) the gain of a constant drive ``b`` in
    mV/ms. The one place these are computed: ``neurobench.sim.coefficients.StepCoefficients``
    takes its ``a_v`` and ``c_b`` from here, so rate functions and simulators use the same float.
    """
    if params.model == "if":
        return 1.0, float(dt)
    a_v = np.exp(-dt / params.tau_m)
    return float(a_v), float(params.tau_m * (1.0 - a_v))


def frozen_steps(params: NeuronParams, dt: float) -> int:
    """Steps after a spike in which the clock simulator skips the update: ``max(R - 1, 0)``.

    A neuron that spiked at step ``n`` is refractory while ``n' - n < R = round(t_ref / dt)``;
    step ``n`` itself is the spike step, so ``R - 1`` later steps are lost (none for ``R <= 1``).
    """
    return max(params.refractory_steps(dt) - 1, 0)


def discrete_max_rate(params: NeuronParams, dt: float) -> float:
    """Largest firing rate in Hz the clock simulator reaches with step ``dt`` ms.

    One spike every ``F + 1`` steps (``F``: :func:`frozen_steps`), reached at a finite drive
    (``c_b b >= v_th``): ``1000 / (dt (F + 1))``.
    """
    return MS_PER_S / (dt * (frozen_steps(params, dt) + 1))


def _lif_subtract_isi(q: np.ndarray, a: float, v_th: float, frozen: int, burn_in: int,
                      residue: np.ndarray | None = None) -> np.ndarray:
    """Long-run mean inter-spike interval in steps of ``v <- a v + q`` with reset ``v -= v_th``,
    for per-step charges ``q > v_th (1 - a)`` mV: the compiled kernel
    (``neurobench.neurons.rate_kernels.lif_subtract_isi``), bit-identical to the numpy reference
    :func:`_lif_subtract_isi_numpy` (read it for the method; ``residue`` as there)."""
    q = np.ascontiguousarray(q, dtype=np.float64).ravel()
    out = np.empty(q.shape, dtype=np.float64)
    x = np.empty(q.shape, dtype=np.float64) if residue is None else residue
    lif_subtract_isi(q, a, np.log(a), v_th, frozen, burn_in, _LIF_SUBTRACT_WINDOW, out, x)
    return out


def _lif_subtract_isi_numpy(q: np.ndarray, a: float, v_th: float, frozen: int, burn_in: int,
                            residue: np.ndarray | None = None) -> np.ndarray:
    """Long-run mean inter-spike interval in steps of ``v <- a v + q`` with reset ``v -= v_th``
    (the numpy reference of :func:`_lif_subtract_isi`, all charges in lockstep); the residue
    ``x`` (mV) left after the last spike is written into ``residue`` when given (a test hook:
    it shows a change of the floats that leaves the integer intervals alone).

    Event-driven: from the residue ``x`` left after a spike, the next spike needs the smallest
    ``k >= 1`` with ``u - (u - x) a^k >= v_th`` (``u = q / (1 - a)``), and leaves
    ``x' = u - (u - x) a^k - v_th``. The map contracts (by ``a^k`` per spike), so the orbit from
    rest settles on a periodic cycle; after ``burn_in`` spikes (at least
    :data:`_LIF_SUBTRACT_BURN_IN_TAU` membrane time constants) the smallest period ``P`` of the
    interval sequence over the last :data:`_LIF_SUBTRACT_WINDOW` spikes is
    found and the mean over one period returned (the window mean if no period <= half the
    window exists: then the error is at most about one interval per window).
    """
    q = np.asarray(q, dtype=np.float64)
    u = q / (1.0 - a)
    x = np.zeros_like(q)
    n = burn_in + _LIF_SUBTRACT_WINDOW
    isis = np.empty((_LIF_SUBTRACT_WINDOW, q.size), dtype=np.int64)
    log_a = np.log(a)
    for spike in range(n):
        v1 = a * x + q
        with np.errstate(divide="ignore", invalid="ignore"):
            k = np.ceil(np.log((u - v_th) / (u - x)) / log_a)
        k = np.where(v1 >= v_th, 1.0, np.maximum(k, 1.0))
        v = u - (u - x) * a**k
        short = v < v_th  # rounding at the threshold: one more step
        v = np.where(short, a * v + q, v)
        k = k + short
        x = v - v_th
        if spike >= burn_in:
            isis[spike - burn_in] = k.astype(np.int64)
    if residue is not None:
        residue[...] = x
    isis += frozen
    mean = isis.mean(axis=0)
    todo = np.arange(q.size)
    for period in range(1, _LIF_SUBTRACT_WINDOW // 2 + 1):
        if not todo.size:
            break
        seq = isis[:, todo]
        same = np.all(seq[period:] == seq[:-period], axis=0)
        mean[todo[same]] = seq[-period:, same].mean(axis=0)
        todo = todo[~same]
    return mean


def _relaxed_updates(q: np.ndarray, params: NeuronParams, dt: float) -> np.ndarray:
    """Real-valued number of updates from 0 mV to ``v_th`` at per-step charge ``q > onset``:
    ``v_th / q`` (IF) or ``log(1 - v_th (1 - a) / q) / log(a)`` (LIF); ``ceil`` of it is the
    integer count of the clock simulator."""
    a, _ = step_gains(params, dt)
    if params.model == "if":
        return params.v_th / q
    return np.log1p(-params.v_th * (1.0 - a) / q) / np.log(a)


def discrete_rate(drive: np.ndarray, params: NeuronParams, dt: float) -> np.ndarray:
    """Exact long-run firing rate in Hz of the clock simulator for a constant drive (element-wise).

    ``drive`` ``b`` in mV/ms (the constant input of ``dv/dt = [-v / tau_m] + b``), step ``dt``
    in ms. With per-step charge ``q = c_b b``, leak ``a`` (:func:`step_gains`) and ``F`` frozen
    steps after each spike (:func:`frozen_steps`), the inter-spike interval in steps is

        reset to zero, IF :  F + ceil(v_th / q)
        reset to zero, LIF:  F + ceil(log(1 - v_th (1 - a) / q) / log(a))   (q > v_th (1 - a))
        subtract, IF      :  F + max(1, v_th / q)                   (long-run mean; the residue
                                                                    left above threshold carries)
        subtract, LIF     :  long-run mean of the event map (:func:`_lif_subtract_isi`)

    and the rate is ``1000 / (dt * ISI)`` Hz; 0 at or below the onset (``q <= 0`` for IF,
    ``q <= v_th (1 - a)``, i.e. ``b <= v_th / tau_m``, for LIF). Exact up to floating-point
    ties at the threshold (a drive whose ``k``-th update lands on ``v_th`` to the last bit).
    """
    a, c_b = step_gains(params, dt)
    return _charge_rate(c_b * np.asarray(drive, dtype=np.float64), params, dt)


def _charge_rate(q: np.ndarray, params: NeuronParams, dt: float) -> np.ndarray:
    """:func:`discrete_rate` as a function of the per-step charge ``q = c_b b`` in mV."""
    a, _ = step_gains(params, dt)
    onset = 0.0 if params.model == "if" else params.v_th * (1.0 - a)
    on = q > onset
    isi = np.full(q.shape, np.inf)
    frozen = frozen_steps(params, dt)
    if params.reset == "zero":
        isi[on] = frozen + np.maximum(np.ceil(_relaxed_updates(q[on], params, dt)), 1.0)
    elif params.model == "if":
        isi[on] = frozen + np.maximum(1.0, params.v_th / q[on])
    else:
        burn_in = int(np.ceil(_LIF_SUBTRACT_BURN_IN_TAU * params.tau_m / dt))
        isi[on] = _lif_subtract_isi(q[on], a, params.v_th, frozen, burn_in)
    return MS_PER_S / (dt * isi)


def _check_reachable(r: np.ndarray, params: NeuronParams, dt: float) -> None:
    top = discrete_max_rate(params, dt)
    bad = ~((r >= 0) & (r <= top))  # also catches NaN
    if np.any(bad):
        worst = r[bad].flat[0]
        raise ValueError(
            f"target_rate {worst:g} Hz is not reachable at dt = {dt:g} ms: a {params.model.upper()} "
            f"neuron with t_ref = {params.t_ref:g} ms fires at most {top:g} Hz (one spike every "
            f"{frozen_steps(params, dt) + 1} steps); lower the target (max_rate), or lower t_ref "
            "or dt")


def discrete_inverse_rate(target_rate: np.ndarray, params: NeuronParams, dt: float) -> np.ndarray:
    """Constant drive in mV/ms at which the clock simulator fires at ``target_rate`` Hz.

    The inverse of :func:`discrete_rate` (step ``dt`` in ms). A target of 0 Hz maps to the
    onset drive (0 for IF, ``v_th / tau_m`` for LIF). With ``n = 1000 / (rate dt)`` steps per
    spike and ``F`` frozen steps (:func:`frozen_steps`):

    - subtract, IF: ``q = v_th / (n - F)``: exact, ``discrete_rate`` returns the target;
    - subtract, LIF: the long-run rate is a staircase of mode-locked plateaus; bisection finds
      the plateau of the smallest drive whose rate is at least the target, and the drive in
      the middle of that plateau is returned (its rate is the target or the next one above);
    - reset to zero: the rate is a staircase (integer intervals). The drive returned is the one
      whose real-valued update count (``v_th / q``, IF; ``log(1 - v_th (1 - a) / q) / log(a)``,
      LIF) is ``n - F - 1/2``: it fires at the interval nearest to ``n`` steps, from the middle
      of that interval's band of drives (robust to small drive errors), and is continuous and
      increasing in the target.

    The drive is ``b = q / c_b`` (:func:`step_gains`).

    Raises ``ValueError`` naming the target and the reachable maximum
    (:func:`discrete_max_rate`) for rates < 0, NaN or above it.
    """
    r = np.asarray(target_rate, dtype=np.float64)
    _check_reachable(r, params, dt)
    a, c_b = step_gains(params, dt)
    frozen = frozen_steps(params, dt)
    onset = 0.0 if params.model == "if" else params.v_th * (1.0 - a)
    q = np.full(r.shape, onset)
    on = r > 0
    steps = MS_PER_S / (r[on] * dt) - frozen  # updates per spike wanted, >= 1
    if params.reset == "zero":
        k = steps - 0.5
        if params.model == "if":
            q[on] = params.v_th / k
        else:
            q[on] = params.v_th * -np.expm1(np.log(a)) / -np.expm1(k * np.log(a))
    elif params.model == "if":
        q[on] = params.v_th / steps
    else:
        q[on] = _bisect_lif_subtract(r[on], params, dt, onset)
    return q / c_b


def _bisect(lo: np.ndarray, hi: np.ndarray, above, rel: float = 1e-10) -> np.ndarray:
    """Smallest ``q`` in ``(lo, hi]`` with ``above(q)`` true (``above`` non-decreasing in ``q``),
    to ``rel`` relative."""
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        yes = above(mid)
        hi = np.where(yes, mid, hi)
        lo = np.where(yes, lo, mid)
        if np.all(hi - lo <= rel * hi):
            break
    return hi


def _bisect_lif_subtract(r: np.ndarray, params: NeuronParams, dt: float, onset: float) -> np.ndarray:
    """Per-step charges in (onset, 2 v_th] at which the LIF-subtract long-run rate reaches ``r``.

    The rate is a staircase of mode-locked plateaus: the first bisection finds the smallest
    charge whose rate is at least ``r``, the second the end of that plateau; the middle of the
    two is returned, away from the plateau's edges (where the orbit is as sensitive to rounding
    as a threshold tie).
    """
    top = np.full(r.shape, 2.0 * params.v_th)  # q >= v_th fires every F + 1 steps: the maximum
    start = _bisect(np.full(r.shape, onset), top, lambda q: _charge_rate(q, params, dt) >= r)
    plateau = _charge_rate(start, params, dt)
    end = _bisect(start.copy(), top, lambda q: _charge_rate(q, params, dt) > plateau * (1 + 1e-12))
    return 0.5 * (start + end)
