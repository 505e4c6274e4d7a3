"""Compiled (numba) long-run interval of the clock LIF neuron with reset by subtraction.

:func:`lif_subtract_isi` computes what the numpy reference ``neurobench.neurons.rate.
_lif_subtract_isi_numpy`` computes (read its docstring for the event map and the period search),
float for float and in the same order, so the two are bit-identical (tested on a grid of charges,
leaks, thresholds and refractory periods):

* per spike, ``v1 = a x + q``, ``k = ceil(log((u - v_th) / (u - x)) / log_a)`` (``log_a`` is
  passed in, computed by numpy), ``v = u - (u - x) a**k``, one more step ``a v + q`` when
  ``v < v_th``, ``x = v - v_th``: one product or sum at a time (numba contracts nothing into a
  fused multiply-add unless asked to, and this kernel does not ask); ``log``, ``ceil`` and ``**``
  call the C library, as numpy's float64 loops do on machines without AVX-512 (with AVX-512 numpy
  has its own ``log`` and ``power``, which may differ in the last bit). ``a**k`` takes whole
  ``k`` and ``a`` is the same for every charge of a call, so each power is computed once (by the
  same ``pow``) and looked up afterwards;
* the means over the window and over one period are sums of integers (exact in float64) divided
  once by the count, as numpy's ``mean`` does.

The numpy version advances all charges in lockstep; this kernel runs one charge at a time
through all its spikes, on a window of intervals that stays in cache. Compiled functions are cached
on disk (numba ``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["lif_subtract_isi"]

# error_model="numpy": a division by zero gives inf/NaN as in numpy, not ZeroDivisionError
_JIT = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}


@njit(**_JIT)
def _period_mean(isis):
    """Mean interval (steps) over the smallest period ``P <= len / 2`` of the sequence ``isis``
    (int64), or over the whole sequence when it has none."""
    n = isis.shape[0]
    for period in range(1, n // 2 + 1):
        same = True
        for i in range(period, n):
            if isis[i] != isis[i - period]:
                same = False
                break
        if same:
            total = 0.0
            for i in range(n - period, n):
                total += isis[i]
            return total / period
    total = 0.0
    for i in range(n):
        total += isis[i]
    return total / n


#: Whole exponents ``k < _POWERS`` whose ``a**k`` is computed once per call and then looked up.
_POWERS = 4096


@njit(**_JIT)
def _power(a, k, powers):
    """``a**k`` (C library ``pow``), looked up in ``powers`` for whole ``k`` in [1, _POWERS): the
    same float, since ``pow`` is a function of its arguments and ``a`` is fixed within a call."""
    if 1.0 <= k < _POWERS:  # False for NaN
        i = np.int64(k)
        p = powers[i]
        if p != p:
            p = a**k
            powers[i] = p
        return p
    return a**k


@njit(**_JIT)
def lif_subtract_isi(q, a, log_a, v_th, frozen, burn_in, window, out, residue):
    """Write into ``out`` the long-run mean inter-spike interval (steps) of ``v <- a v + q`` with
    reset ``v -= v_th``, for each per-step charge ``q`` (mV): ``burn_in`` spikes from rest, then
    the period of the last ``window`` intervals (``frozen`` steps added to each); and into
    ``residue`` the residue ``x`` (mV) left after the last spike.
    ``log_a = np.log(a)``. All charges advance in lockstep, one spike at a time: their updates are
    independent, so the processor overlaps them (one charge alone waits on each ``log``)."""
    m = q.shape[0]
    isis = np.empty((m, window), dtype=np.int64)
    powers = np.full(_POWERS, np.nan)  # powers[k] = a**k, filled on first use
    u = q / (1.0 - a)
    x = np.zeros(m)
    for spike in range(burn_in + window):
        for j in range(m):
            qj = q[j]
            uj = u[j]
            xj = x[j]
            v1 = a * xj + qj
            if v1 >= v_th:
                k = 1.0
            else:
                k = np.ceil(np.log((uj - v_th) / (uj - xj)) / log_a)
                if k < 1.0:  # np.maximum(k, 1.0): a NaN stays NaN
                    k = 1.0
            v = uj - (uj - xj) * _power(a, k, powers)
            if v < v_th:  # rounding at the threshold: one more step
                v = a * v + qj
                k = k + 1.0
            x[j] = v - v_th
            if spike >= burn_in:
                isis[j, spike - burn_in] = np.int64(k) + frozen
    for j in range(m):
        out[j] = _period_mean(isis[j])
        residue[j] = x[j]
    return out
