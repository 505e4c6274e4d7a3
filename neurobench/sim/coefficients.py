"""Per-step coefficients of the neuron ODE, computed in one place for every engine.

``neurobench.neurons.params`` states the model: ``dv/dt = -v / tau_m + I + b`` (LIF; IF has no
leak term) and ``dI/dt = -I / tau_syn`` for current-based synapses. Over one step of ``dt`` ms
with constant ``b`` the exact solution is linear in ``(v, b, I)``; ``StepCoefficients`` holds its
coefficients. The clock-driven simulator (``neurobench.sim.clock``), its Brian2 reference
(``neurobench.sim.brian``, whose state updater applies them in the clock simulator's order, so
that both compute bit-identical membrane potentials), the asynchronous engines
(``neurobench.sim.asynchronous``, ``async_torch``, ``layersync``: their per-frame leak
``beta = exp(-frame_dt / tau_m)``) and the snnTorch trainer (``neurobench.training.sync``: the
``beta`` of ``snntorch.Leaky``) all take them from here, so every engine uses the same float.
The coefficients are checked against Brian2's own symbolic exact solution of the ODE (LIF) and
the closed form (IF) in ``tests/sim/test_coefficients.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..neurons import NeuronParams
from ..neurons.rate import step_gains

__all__ = ["StepCoefficients", "leak_factor"]


@dataclass(frozen=True)
class StepCoefficients:
    """Exact one-step solution of the linear neuron ODE over ``dt`` ms.

    ``v(t + dt) = a_v v(t) + c_b b + c_i I(t)`` and ``I(t + dt) = a_i I(t)``, with ``v`` in mV,
    ``b`` and ``I`` in mV/ms:

    * ``a_v = exp(-dt / tau_m)`` (LIF) or 1 (IF), dimensionless: the membrane leak factor;
    * ``c_b = tau_m (1 - a_v)`` (LIF) or ``dt`` (IF), in ms: the gain of a constant bias;
    * ``c_i``, in ms: the gain of the synaptic current (0 for delta synapses);
    * ``a_i = exp(-dt / tau_syn)`` (0 for delta synapses), dimensionless: the current's decay.
    """

    a_v: float
    c_b: float
    c_i: float
    a_i: float

    @classmethod
    def for_neuron(cls, p: NeuronParams, dt: float) -> "StepCoefficients":
        """Coefficients for neuron parameters ``p`` and a step of ``dt`` ms."""
        a_v, c_b = step_gains(p, dt)  # the membrane's leak and bias gain: one formula, in neurons.rate
        a_i = np.exp(-dt / p.tau_syn) if p.tau_syn > 0 else 0.0
        if p.tau_syn == 0:
            c_i = 0.0
        elif p.model == "if":
            c_i = p.tau_syn * (1.0 - a_i)
        else:
            c_i = p.tau_m * p.tau_syn / (p.tau_m - p.tau_syn) * (a_v - a_i)
        return cls(float(a_v), float(c_b), float(c_i), float(a_i))


def leak_factor(p: NeuronParams, dt: float) -> float:
    """Membrane leak factor over ``dt`` ms, ``exp(-dt / tau_m)`` for LIF and 1.0 for IF
    (dimensionless): ``StepCoefficients.for_neuron(p, dt).a_v``."""
    return StepCoefficients.for_neuron(p, dt).a_v
