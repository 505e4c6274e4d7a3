"""Parameters of the integrate-and-fire neuron family shared by every simulator.

Units: membrane potential in mV (rest and reset potential 0 mV), times in ms, constant bias
currents and synaptic currents expressed as the voltage slope they cause, in mV/ms (current
divided by membrane capacitance).

Model, for one neuron with membrane potential ``v`` and synaptic current ``I``::

    IF :  dv/dt = I + b                      (tau_m = inf)
    LIF:  dv/dt = -v / tau_m + I + b
    current-based synapses (tau_syn > 0):  dI/dt = -I / tau_syn,  a spike of weight w: I += w
    delta synapses (tau_syn == 0):          a spike of weight w: v += w      (w in mV)

A neuron spikes when ``v >= v_th``; it then resets to 0 mV ("zero") or by subtraction
(v -= v_th, "subtract"), and during the refractory period ``t_ref`` its potential is clamped and
delta-synapse input is ignored. ``neurobench.sim.clock`` documents the exact time-step order.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ..schema import Params

NeuronModel = Literal["if", "lif"]
ResetMode = Literal["zero", "subtract"]


class NeuronParams(Params):
    """One population's neuron parameters (validated on construction).

    Parameters
    ----------
    model : "if" or "lif"
        Integrate-and-fire without leak, or leaky integrate-and-fire.
    v_th : float
        Firing threshold in mV, > 0.
    reset : "zero" or "subtract"
        Reset to 0 mV, or subtract ``v_th`` (keeps the overshoot; the usual choice for conversion).
    tau_m : float
        Membrane time constant in ms, > 0; finite for LIF (IF ignores it and may pass inf).
    t_ref : float
        Absolute refractory period in ms, >= 0.
    tau_syn : float
        Synaptic current time constant in ms; 0 selects delta (instantaneous) synapses. For LIF
        it must differ from tau_m (the exact solution is singular there).
    """

    model: NeuronModel = Field("if", description="neuron model: if | lif")
    v_th: float = Field(1.0, gt=0, description="firing threshold in mV")
    reset: ResetMode = Field("subtract", description="reset mode: zero | subtract")
    tau_m: float = Field(20.0, gt=0, allow_inf_nan=True, description="membrane time constant in ms (LIF)")
    t_ref: float = Field(0.0, ge=0, description="refractory period in ms")
    tau_syn: float = Field(0.0, ge=0, description="synaptic time constant in ms (0 = delta synapses)")

    @model_validator(mode="after")
    def _finite_leak_and_distinct_time_constants(self) -> "NeuronParams":
        # an infinite LIF tau_m would give NaN step coefficients in the simulators
        if self.model == "lif" and not math.isfinite(self.tau_m):
            raise ValueError(f"tau_m must be a finite value > 0 ms for a LIF neuron, got {self.tau_m}")
        if self.model == "lif" and self.tau_syn > 0 and math.isclose(self.tau_syn, self.tau_m):
            raise ValueError(f"tau_syn = {self.tau_syn} must differ from tau_m = {self.tau_m} "
                             "(the exact solution is singular there)")
        return self

    @property
    def leaky(self) -> bool:
        return self.model == "lif"

    def refractory_steps(self, dt: float) -> int:
        """Refractory period in whole time steps of ``dt`` ms, rounded to the nearest step.

        The Brian2 backend is given ``refractory_steps(dt) * dt`` so that both simulators agree.
        """
        return int(round(self.t_ref / dt))
