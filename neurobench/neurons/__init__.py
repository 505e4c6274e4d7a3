"""Neuron models: parameters shared by the simulators and their analytic rate functions."""

from .params import NeuronModel, NeuronParams, ResetMode
from .rate import (
    discrete_inverse_rate,
    discrete_max_rate,
    discrete_rate,
    frozen_steps,
    inverse_rate,
    max_rate,
    rate,
    step_gains,
)

__all__ = [
    "NeuronModel", "NeuronParams", "ResetMode", "discrete_inverse_rate", "discrete_max_rate",
    "discrete_rate", "frozen_steps", "inverse_rate", "max_rate", "rate", "step_gains",
]
