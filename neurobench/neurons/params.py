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
from dataclasses import dataclass
from typing import Literal

NeuronModel = Literal["if", "lif"]
ResetMode = Literal["zero", "subtract"]


@dataclass(frozen=True)
class NeuronParams:
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
        Membrane time constant in ms (LIF only), > 0.
    t_ref : float
        Absolute refractory period in ms, >= 0.
    tau_syn : float
        Synaptic current time constant in ms; 0 selects delta (instantaneous) synapses.
    """

    model: NeuronModel = "if"
    v_th: float = 1.0
    reset: ResetMode = "subtract"
    tau_m: float = 20.0
    t_ref: float = 0.0
    tau_syn: float = 0.0

    def __post_init__(self) -> None:
        if self.model not in ("if", "lif"):
            raise ValueError(f"neuron model must be 'if' or 'lif', got {self.model!r}")
        if self.reset not in ("zero", "subtract"):
            raise ValueError(f"neuron reset must be 'zero' or 'subtract', got {self.reset!r}")
        if not (self.v_th > 0 and math.isfinite(self.v_th)):
            raise ValueError(f"neuron v_th must be a finite value > 0 mV, got {self.v_th}")
        # tau_m is unused by IF (which may pass inf); an infinite LIF tau_m, t_ref or tau_syn
        # would give NaN step coefficients or an unbounded refractory period in the simulators.
        if not (self.tau_m > 0 and (self.model == "if" or math.isfinite(self.tau_m))):
            raise ValueError(f"neuron tau_m must be a finite value > 0 ms, got {self.tau_m}")
        if not (self.t_ref >= 0 and math.isfinite(self.t_ref)):
            raise ValueError(f"neuron t_ref must be a finite value >= 0 ms, got {self.t_ref}")
        if not (self.tau_syn >= 0 and math.isfinite(self.tau_syn)):
            raise ValueError(
                "neuron tau_syn must be a finite value >= 0 ms (0 = delta synapses), "
                f"got {self.tau_syn}"
            )
        if self.model == "lif" and self.tau_syn > 0 and math.isclose(self.tau_syn, self.tau_m):
            raise ValueError("neuron tau_syn must differ from tau_m (the exact solution is singular)")

    @property
    def leaky(self) -> bool:
        return self.model == "lif"

    def refractory_steps(self, dt: float) -> int:
        """Refractory period in whole time steps of ``dt`` ms, rounded to the nearest step.

        The Brian2 backend is given ``refractory_steps(dt) * dt`` so that both simulators agree.
        """
        return int(round(self.t_ref / dt))
