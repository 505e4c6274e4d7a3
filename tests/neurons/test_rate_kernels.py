"""The compiled LIF-subtract interval (``neurobench.neurons.rate_kernels``) against its numpy
reference, bit for bit, alone and through the discrete rate and its inverse."""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest

from neurobench.neurons import NeuronParams, discrete_inverse_rate, discrete_rate, step_gains

rate_module = importlib.import_module("neurobench.neurons.rate")


def _numpy_uses_the_c_library() -> bool:
    """numpy's float64 ``log`` and ``power`` equal the C library's (the kernel's) on a sample:
    true without AVX-512, where numpy has its own implementations."""
    xs = np.random.default_rng(0).uniform(1e-3, 10.0, 2000)
    ks = np.arange(1.0, 2001.0)
    return (all(np.log(xs) == [math.log(x) for x in xs])
            and all(np.power(0.95, ks) == [math.pow(0.95, k) for k in ks]))


pytestmark = pytest.mark.skipif(
    not _numpy_uses_the_c_library(),
    reason="numpy's float64 log/power are not the C library's here (AVX-512): not bitwise comparable")

# (tau_m ms, dt ms, v_th mV, t_ref ms): refractory from 0 to several steps, fine and coarse dt
CASES = [(20.0, 1.0, 1.0, 0.0), (10.0, 1.0, 2.0, 3.0), (20.0, 0.1, 1.0, 0.0), (5.0, 0.37, 1.5, 1.2),
         (100.0, 1.0, 1.0, 2.0)]
IDS = [f"tau{c[0]:g}-dt{c[1]:g}-vth{c[2]:g}-tref{c[3]:g}" for c in CASES]


def params(tau_m, v_th, t_ref) -> NeuronParams:
    return NeuronParams(model="lif", reset="subtract", tau_m=tau_m, v_th=v_th, t_ref=t_ref)


def bits(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_kernel_interval_is_the_numpy_interval_to_the_bit(case):
    tau_m, dt, v_th, t_ref = case
    p = params(tau_m, v_th, t_ref)
    a, _ = step_gains(p, dt)
    onset = v_th * (1.0 - a)
    q = np.concatenate([
        onset * (1.0 + np.geomspace(1e-12, 1e3, 120)),  # just above onset to far above threshold
        [np.nextafter(onset, np.inf), np.nextafter(v_th, 0.0), v_th, np.nextafter(v_th, np.inf)],
        np.random.default_rng(1).uniform(onset, 2.0 * v_th, 60),
    ])
    frozen = rate_module.frozen_steps(p, dt)
    burn_in = int(np.ceil(rate_module._LIF_SUBTRACT_BURN_IN_TAU * tau_m / dt))
    ref_x, got_x = np.empty_like(q), np.empty_like(q)
    ref = rate_module._lif_subtract_isi_numpy(q, a, v_th, frozen, burn_in, ref_x)
    got = rate_module._lif_subtract_isi(q, a, v_th, frozen, burn_in, got_x)
    np.testing.assert_array_equal(bits(got), bits(ref))
    np.testing.assert_array_equal(bits(got_x), bits(ref_x))  # the last residue too, to the bit
    assert np.all(got >= frozen + 1)  # at least one update per interval


@pytest.mark.parametrize("case", [CASES[1], CASES[3]], ids=[IDS[1], IDS[3]])  # short burn-ins
def test_rate_and_inverse_are_unchanged_by_the_kernel(case, monkeypatch):
    """Zero, negative and onset drives (no spike), the threshold charge and a target grid up to
    the maximum rate: the public functions give the same bits on either engine."""
    tau_m, dt, v_th, t_ref = case
    p = params(tau_m, v_th, t_ref)
    a, c_b = step_gains(p, dt)
    drives = np.concatenate([[-1.0, 0.0, v_th / tau_m, v_th * (1.0 - a) / c_b, v_th / c_b],
                             v_th / tau_m * np.geomspace(1.001, 30.0, 25)])
    targets = np.concatenate([[0.0], np.linspace(1.0, 0.999 * 1000.0 / (dt * (
        rate_module.frozen_steps(p, dt) + 1)), 5)])
    got = discrete_rate(drives, p, dt), discrete_inverse_rate(targets, p, dt)
    monkeypatch.setattr(rate_module, "_lif_subtract_isi", rate_module._lif_subtract_isi_numpy)
    ref = discrete_rate(drives, p, dt), discrete_inverse_rate(targets, p, dt)
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(bits(g), bits(r))
    assert np.all(got[0][:3] == 0.0)  # negative, zero and onset drives are silent
