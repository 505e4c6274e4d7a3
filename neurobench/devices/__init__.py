"""Emerging-memory synapse devices: the compact gated-synapse model (Jones & Jha 2020,
reconstructed), its fitting to conductance-versus-pulse curves and the programming of weights
onto it.

* ``gated_synapse``: :class:`GatedSynapseParams` (V, ns, S), the vectorised pulse simulator
  :func:`simulate`, read-out (:func:`conductance`);
* ``closed_forms``: the laws' closed forms at the reference voltages;
* ``fit``: :func:`fit` (scipy least squares) on a pulse protocol (:class:`FitProtocol`);
* ``programming``: open-loop and program-and-verify writing of target states
  (:class:`ProgramParams`, :func:`program`).
"""

from .closed_forms import decay_state, set_state
from .fit import FITTED, FitProtocol, FitResult, fit, model_curves, synthetic_curves
from .gated_synapse import (
    DeviceArrays,
    GatedSynapseParams,
    conductance,
    device_arrays,
    drive_rates,
    full_set_time,
    pulse_train,
    read_current,
    simulate,
    step,
    vary,
)

__all__ = [
    "FITTED", "DeviceArrays", "FitProtocol", "FitResult", "GatedSynapseParams", "conductance", "decay_state",
    "device_arrays", "drive_rates", "fit", "full_set_time", "model_curves", "pulse_train", "read_current",
    "set_state", "simulate", "step", "synthetic_curves", "vary",
]
