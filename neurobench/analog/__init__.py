"""Analog vector-matrix inference on BrainScaleS-2 (Weis et al. 2020, reconstructed).

* ``mac``: the simulated analog MAC (quantisation, 128-row chunks, gain, trial noise, fixed
  pattern per chip instance, soft saturation) as a torch autograd function with the
  straight-through backward of the linear model;
* ``layers``: ``AnalogLinear``, ``AnalogConv2d`` (unfold onto the same MAC), the ReLU
  re-quantisation and ``AnalogNet`` with the spec's initialisation;
* ``characterise``: the noise characterisation protocol on any MAC;
* ``training``: software pre-training and mismatch-aware fine-tuning.
"""

from .characterise import Characterisation, characterise
from .layers import AnalogConv2d, AnalogLinear, AnalogNet, NetParams, requantise
from .mac import MACParams, analog_mac, fixed_pattern, linear_mac
from .training import TrainParams, accuracy, predict, train

__all__ = ["AnalogConv2d", "AnalogLinear", "AnalogNet", "Characterisation", "MACParams", "NetParams",
           "TrainParams", "accuracy", "analog_mac", "characterise", "fixed_pattern", "linear_mac", "predict",
           "requantise", "train"]
