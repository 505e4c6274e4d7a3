"""Static metrics of a network: connection sparsity, parameter count, memory footprint."""

from __future__ import annotations

import numpy as np

from ..network import Conv2d, Dense, Network

__all__ = ["BYTES_FLOAT32", "connection_sparsity", "footprint", "parameter_count"]

BYTES_FLOAT32 = 4
"""Bytes per parameter stored as float32 (the harness measures float32 PyTorch models)."""


def _weighted_layers(network: Network) -> list[Dense | Conv2d]:
    return [layer for layer in network.layers if isinstance(layer, (Dense, Conv2d))]


def connection_sparsity(network: Network) -> float:
    """Fraction of synaptic weights that are exactly zero, over all weighted layers.

    ``sparsity = sum_l #{W_l == 0} / sum_l size(W_l)`` over ``Dense`` and ``Conv2d`` weight
    tensors (biases excluded), dimensionless in [0, 1]. ``AvgPool2d`` has no weights and is
    skipped, as the harness skips pooling modules. The harness rounds to 4 decimals; this
    returns the exact fraction.

    Source: NeuroBench ``neurobench/metrics/static/connection_sparsity.py``
    (``ConnectionSparsity``: zeros in the weights of Linear/Conv/recurrent modules over their
    total number).
    """
    layers = _weighted_layers(network)
    if not layers:
        return 0.0
    zeros = sum(int(np.count_nonzero(layer.weight == 0)) for layer in layers)
    total = sum(int(layer.weight.size) for layer in layers)
    return float(zeros / total)


def parameter_count(network: Network) -> int:
    """Number of parameters: weights and biases of every ``Dense`` and ``Conv2d`` layer.

    A ``Dense``/``Conv2d`` always has a bias vector (zeros when none was given), as
    ``torch.nn.Linear``/``Conv2d`` do by default; ``AvgPool2d`` has none. Neuron constants
    (``v_th``, ``tau_m``, ... one scalar per layer) are not counted.

    Source: NeuroBench ``neurobench/metrics/static/parameter_count.py`` (``ParameterCount``:
    ``sum(p.numel() for p in parameters())``).
    """
    return int(sum(layer.weight.size + layer.bias.size for layer in _weighted_layers(network)))


def footprint(network: Network, bytes_per_param: int = BYTES_FLOAT32) -> int:
    """Memory footprint of the model in bytes: ``parameter_count * bytes_per_param``.

    Stored at float32 (4 bytes) by default, as the harness measures a float32 PyTorch model
    (``numel * element_size`` of every parameter and buffer), even though the simulators here
    compute in float64. Zero weights are included (connection sparsity accounts for them).
    Choice: the per-layer neuron constants that snnTorch keeps as buffers (threshold, beta: a
    few bytes per layer) are not counted; there are no other buffers.

    Source: NeuroBench ``neurobench/metrics/static/footprint.py`` (``Footprint``) and
    ``docs/metrics/static_metrics/model_footprint.rst``.
    """
    if bytes_per_param <= 0:
        raise ValueError(f"bytes_per_param must be > 0, got {bytes_per_param}")
    return parameter_count(network) * int(bytes_per_param)
