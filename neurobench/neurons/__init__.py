"""Neuron models: parameters shared by the simulators and their analytic rate functions."""

from .params import NeuronModel, NeuronParams, ResetMode
from .rate import inverse_rate, max_rate, rate

__all__ = ["NeuronModel", "NeuronParams", "ResetMode", "inverse_rate", "max_rate", "rate"]
