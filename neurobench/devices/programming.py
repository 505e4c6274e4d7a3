"""Writing target states onto gated synapses: open-loop pulse counts and program-and-verify
[inferred: a common write scheme of analog memories, not from the gated-synapse paper].

Every device starts reset (``w = 0``) and is written towards a target state with identical
pulses of ``amplitude v_set`` (set) or ``-amplitude v_reset`` (reset), ``width`` ns each. Device
variation: ``t_set`` and ``t_reset`` of each device scaled by a log-normal factor of
``sigma_d2d`` (``gated_synapse.vary``); cycle-to-cycle noise: the effective duration of every
pulse scaled by ``exp(N(0, sigma_c2c^2))``.

* **open loop**: the number of set pulses that brings the *nominal* device closest to the
  target (its non-linearity included), applied blind;
* **program-and-verify**: read (state plus Gaussian read noise ``read_noise``), stop when the
  read is within ``tolerance`` levels of the target, else one set pulse if below, one reset
  pulse if above; at most ``max_pulses`` pulses. Each read costs ``t_read`` ns.

A weight level ``k in [-K, K]`` maps to a differential pair: the device of ``sign(k)`` is written
to ``w = (|k| / K)^(1 / gamma_read)``, so that ``G - g_min`` is ``|k| / K`` of the range, and
the partner stays reset. The programmed level is ``K (G - g_min) / (g_max - g_min)`` of the
written device, with its sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from ..schema import Params
from .gated_synapse import GatedSynapseParams, conductance, device_arrays, step, vary

__all__ = ["ProgramParams", "ProgramResult", "level_states", "open_loop_pulses", "program", "program_levels"]


class ProgramParams(Params):
    """How weights are written (module docstring). Defaults are ours [inferred]."""

    width: float = Field(2.0, gt=0, description="pulse width in ns")
    amplitude: float = Field(1.0, gt=0, le=2, description="pulse amplitude as a fraction of v_set (v_reset)")
    tolerance: float = Field(0.15, gt=0, le=1, description="verify window half-width in weight levels")
    read_noise: float = Field(0.005, ge=0, le=1, description="std of a verify read, fraction of the state range")
    t_read: float = Field(10.0, ge=0, description="time of one verify read in ns")
    max_pulses: int = Field(300, ge=1, le=100_000, description="pulses at most per device")
    sigma_d2d: float = Field(0.1, ge=0, le=2, description="log-normal device-to-device spread of t_set, t_reset")
    sigma_c2c: float = Field(0.05, ge=0, le=2, description="log-normal cycle-to-cycle spread of each pulse")


@dataclass(frozen=True)
class ProgramResult:
    """Per device: final state, set plus reset pulses, reads, write time in ns."""

    w: np.ndarray
    pulses: np.ndarray
    reads: np.ndarray
    time_ns: np.ndarray


def level_states(levels, n_levels: int, gamma_read: float = 1.0) -> np.ndarray:
    """States ``(|k| / K)^(1 / gamma_read)`` whose conductance is ``|k| / K`` of the range."""
    return (np.abs(np.asarray(levels, dtype=np.float64)) / n_levels) ** (1.0 / gamma_read)


def open_loop_pulses(device: GatedSynapseParams, prog: ProgramParams, targets) -> np.ndarray:
    """Set pulses that bring the nominal device from 0 closest to each target state."""
    nominal = device_arrays(device, 1)
    curve = np.empty(prog.max_pulses + 1)
    w = np.zeros(1)
    curve[0] = 0.0
    for n in range(1, prog.max_pulses + 1):
        w = step(nominal, w, prog.amplitude * device.v_set, prog.width)
        curve[n] = w[0]
    t = np.asarray(targets, dtype=np.float64)
    return np.abs(curve[None, :] - t.reshape(-1, 1)).argmin(axis=1).reshape(t.shape)


def program(device: GatedSynapseParams, prog: ProgramParams, targets, verify: bool, n_levels: int,
            rng: np.random.Generator) -> ProgramResult:
    """Write every target state (one device each, drawn with variation from ``rng``) by open
    loop or program-and-verify (module docstring); vectorised over devices."""
    targets = np.asarray(targets, dtype=np.float64).ravel()
    n = targets.size
    dev = vary(device, n, prog.sigma_d2d, rng)
    w = np.zeros(n)
    pulses = np.zeros(n, dtype=np.int64)
    reads = np.zeros(n, dtype=np.int64)
    v_set, v_reset = prog.amplitude * device.v_set, -prog.amplitude * device.v_reset
    if not verify:
        count = open_loop_pulses(device, prog, targets)
        for i in range(int(count.max()) if n else 0):
            active = count > i
            width = prog.width * np.exp(prog.sigma_c2c * rng.standard_normal(n))
            w = np.where(active, step(dev, w, v_set, width), w)
        pulses = count.astype(np.int64)
    else:
        window = prog.tolerance / n_levels
        done = np.zeros(n, dtype=bool)
        for _ in range(prog.max_pulses):
            read = w + prog.read_noise * rng.standard_normal(n)
            reads += ~done
            done |= np.abs(read - targets) <= window
            if done.all():
                break
            v = np.where(read < targets, v_set, v_reset)
            width = prog.width * np.exp(prog.sigma_c2c * rng.standard_normal(n))
            w = np.where(done, w, step(dev, w, v, width))
            pulses += ~done
    return ProgramResult(w, pulses, reads, pulses * prog.width + reads * prog.t_read)


def program_levels(device: GatedSynapseParams, prog: ProgramParams, levels, n_levels: int, verify: bool,
                   rng: np.random.Generator) -> tuple[np.ndarray, ProgramResult]:
    """Signed integer weight levels (any shape) written onto differential pairs (module
    docstring). Returns (programmed levels as floats, same shape; the write of the |k| devices)."""
    levels = np.asarray(levels)
    targets = level_states(levels, n_levels, device.gamma_read)
    res = program(device, prog, targets, verify, n_levels, rng)
    g = conductance(device, res.w)
    written = n_levels * (g - device.g_min) / (device.g_max - device.g_min)
    return (np.sign(levels).ravel() * written).reshape(levels.shape), res
