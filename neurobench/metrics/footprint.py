"""Static metrics of a network: connection sparsity, parameter count, memory footprint.

Each takes ``convention`` (``neurobench.metrics.harness``): ``"workbench"`` (default) or
``"neurobench"``, NeuroBench 2.3.0's value for the equivalent snnTorch model.
"""

from __future__ import annotations

import numpy as np

from ..network import Network
from .harness import (
    NEURON_BUFFER_BYTES,
    Convention,
    check_convention,
    has_bias,
    neuron_module,
    weighted_layers,
)

__all__ = ["BYTES_FLOAT32", "connection_sparsity", "footprint", "parameter_count"]

BYTES_FLOAT32 = 4
"""Bytes per parameter stored as float32 (the harness measures float32 PyTorch models)."""


def connection_sparsity(network: Network, convention: Convention = "workbench") -> float:
    """Fraction of synaptic weights that are exactly zero, over all weighted layers.

    ``sparsity = sum_l #{W_l == 0} / sum_l size(W_l)`` over ``Dense`` and ``Conv2d`` weight
    tensors (biases excluded), dimensionless in [0, 1]. ``AvgPool2d`` has no weights and is
    skipped, as the harness skips pooling modules.

    ``convention="workbench"`` returns the exact fraction; ``"neurobench"`` returns what the
    harness returns: the ratio computed in float32 (a torch int64 count divided by an int) and
    rounded to 4 decimals.

    Source: NeuroBench ``neurobench/metrics/static/connection_sparsity.py``
    (``ConnectionSparsity``: zeros in the weights of Linear/Conv/recurrent modules over their
    total number, ``round(ratio.item(), 4)``).
    """
    check_convention(convention)
    layers = weighted_layers(network)
    if not layers:
        return 0.0
    zeros = sum(int(np.count_nonzero(layer.weight == 0)) for layer in layers)
    total = sum(int(layer.weight.size) for layer in layers)
    if convention == "neurobench":
        return round(float(np.float32(zeros) / np.float32(total)), 4)
    return float(zeros / total)


def parameter_count(network: Network, convention: Convention = "workbench") -> int:
    """Number of parameters of the weighted layers (``Dense``, ``Conv2d``); ``AvgPool2d`` has none.

    * ``"workbench"`` (default): weights plus one bias vector per layer, also when the bias is
      all zeros (``torch.nn.Linear``/``Conv2d`` have one by default, and a zero bias is still a
      stored, trainable parameter of the model);
    * ``"neurobench"``: the parameters the equivalent torch model has: a bias vector only when
      the layer's bias is not all zeros (``harness.has_bias``; a layer without bias is exported
      with ``bias=False``). A 64-32-10 net without biases: 2368 here, 2410 for ``"workbench"``.

    Neuron constants (``v_th``, ``tau_m``, ... one scalar per layer) are buffers, not
    parameters, in both conventions.

    Source: NeuroBench ``neurobench/metrics/static/parameter_count.py`` (``ParameterCount``:
    ``sum(p.numel() for p in parameters())``).
    """
    check_convention(convention)
    layers = weighted_layers(network)
    if convention == "neurobench":
        return int(sum(layer.weight.size + (layer.bias.size if has_bias(layer) else 0) for layer in layers))
    return int(sum(layer.weight.size + layer.bias.size for layer in layers))


def footprint(
    network: Network, bytes_per_param: int = BYTES_FLOAT32, convention: Convention = "workbench"
) -> int:
    """Memory footprint of the model in bytes.

    * ``"workbench"`` (default): ``parameter_count(network) * bytes_per_param``: the synaptic
      memory only;
    * ``"neurobench"``: ``parameter_count(network, "neurobench") * bytes_per_param`` plus the
      buffers of every layer's snnTorch neuron module (``harness.NEURON_BUFFER_BYTES``: 20 bytes
      for ``Leaky``, 24 for ``Synaptic``: threshold, graded-spike factor, beta (alpha) and the
      reset mode), as NeuroBench measures a freshly built model (its state buffers are empty).
      A 64-32-10 IF net without biases: ``2368 * 4 + 2 * 20 = 9512`` bytes (``9640`` for
      ``"workbench"``).

    Stored at float32 (4 bytes) by default, as the harness measures a float32 PyTorch model
    (``numel * element_size`` of every parameter and buffer), even though the simulators here
    compute in float64. Zero weights are included (connection sparsity accounts for them).

    Source: NeuroBench ``neurobench/metrics/static/footprint.py`` (``Footprint``) and
    ``docs/metrics/static_metrics/model_footprint.rst``.
    """
    check_convention(convention)
    if bytes_per_param <= 0:
        raise ValueError(f"bytes_per_param must be > 0, got {bytes_per_param}")
    params = parameter_count(network, convention) * int(bytes_per_param)
    if convention == "neurobench":
        return params + sum(NEURON_BUFFER_BYTES[neuron_module(p)] for p in network.neurons)
    return params
