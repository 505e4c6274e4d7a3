"""The NeuroBench harness's view of a network: conventions, snnTorch neuron types, their costs.

Our metrics carry NeuroBench's names. Most of them also have NeuroBench's values; where our
definition differs (and is kept because it says more about a network simulated here), the
metric takes ``convention``:

* ``"workbench"`` (the default everywhere): our definitions, documented in each function;
* ``"neurobench"``: exactly what NeuroBench 2.3.0 (``NEUROBENCH_VERSION``) computes for the
  snnTorch model equivalent to the network, on the same spike trains (``docs/metrics.md``;
  checked by ``benchmarks/neurobench_crosscheck.py``).

The snnTorch model equivalent to a ``Network`` has, for every layer, its connection module
(``nn.Linear`` for ``Dense``, ``nn.Conv2d`` for ``Conv2d``, ``nn.AvgPool2d`` for ``AvgPool2d``,
with ``bias=False`` when the layer's bias is all zeros) followed by one snnTorch neuron module:
``snn.Leaky`` for delta synapses (IF: ``beta=1``; LIF: ``beta = exp(-dt/tau_m)``) and
``snn.Synaptic`` for current-based synapses (``tau_syn > 0``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from ..network import Conv2d, Dense, Network
from ..neurons import NeuronParams

__all__ = [
    "CONVENTIONS",
    "Convention",
    "NEUROBENCH_VERSION",
    "NEURON_BUFFER_BYTES",
    "NEURON_OPS_PER_UPDATE",
    "check_convention",
    "has_bias",
    "neuron_module",
    "weighted_layers",
]

NEUROBENCH_VERSION = "2.3.0"
"""The NeuroBench release whose definitions ``convention="neurobench"`` reproduces."""

Convention = Literal["workbench", "neurobench"]
CONVENTIONS = ("workbench", "neurobench")

NEURON_BUFFER_BYTES = {"Leaky": 20, "Synaptic": 24}
"""Bytes of the buffers an snnTorch 1.0 neuron module registers, as a freshly built model
holds them (NeuroBench's ``Footprint`` counts buffers): ``threshold``, ``graded_spikes_factor``,
``beta`` (and ``alpha`` for ``Synaptic``) as float32 scalars (4 bytes each) and
``reset_mechanism_val`` as an int64 scalar (8 bytes). The state buffers (``mem``, ``syn``) are
empty (0 bytes) until the model runs."""

NEURON_OPS_PER_UPDATE = {
    "Leaky": {"subtract": 4, "zero": 4},
    "Synaptic": {"subtract": 6, "zero": 8},
}
"""Operations per membrane update by snnTorch neuron type and reset mode, NeuroBench's
``neuron_ops_reset_operations`` (``metrics/workload/neuron_operations.py``, PR #266)."""


def check_convention(convention) -> None:
    """``ValueError`` naming the value unless ``convention`` is one of ``CONVENTIONS``."""
    if not (isinstance(convention, str) and convention in CONVENTIONS):
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def neuron_module(params: NeuronParams) -> str:
    """The snnTorch module a population of ``params`` neurons becomes: ``"Synaptic"`` for
    current-based synapses (``tau_syn > 0``), ``"Leaky"`` otherwise (IF is ``Leaky`` with
    ``beta = 1``)."""
    return "Synaptic" if params.tau_syn > 0 else "Leaky"


def has_bias(layer) -> bool:
    """Whether the torch module of ``layer`` has a bias parameter: a ``Dense``/``Conv2d`` whose
    bias is not all zeros (a ``Network`` stores zeros for a missing bias, and exports such a layer
    without one); never for ``AvgPool2d``."""
    return isinstance(layer, (Dense, Conv2d)) and bool(np.any(layer.bias != 0))


def weighted_layers(network: Network) -> list[Dense | Conv2d]:
    """The layers with a weight tensor (NeuroBench's ``STATELESS_LAYERS``: Linear and Conv)."""
    return [layer for layer in network.layers if isinstance(layer, (Dense, Conv2d))]
