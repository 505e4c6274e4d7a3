"""The deploy flow's input network read from a NIR file (``deploy.network.source``).

A NIR graph holds a spiking network; the flow converts an ANN. :func:`ann_of_snn` reads the
file's network (``neurobench.interop.nir.read_nir``) as the rate-equivalent ReLU ANN of its
layers: an IF neuron with delta synapses, threshold ``v_th`` (mV), bias ``b`` (mV/ms) and
inputs of rate ``x * input_rate`` Hz fires at ``(W x input_rate / 1000 + b) / v_th`` spikes per
ms, so in units of the input value its activation is ``relu((W x + 1000 b / input_rate) / v_th)``;
the ANN has weights ``W / v_th`` and biases ``1000 b / (input_rate v_th)``. The last layer is
linear (the class scores). That equivalence holds for IF neurons only: a LIF neuron's rate is not
the ReLU of its input, and a synaptic delay has no rate equivalent, so :func:`nir_mlp_shape`
rejects both (naming the layer) instead of approximating them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...ann import Ann
from ...interop.nir import read_nir
from ...network import Dense, Network

__all__ = ["ann_of_snn", "nir_mlp_shape", "read_source"]


def read_source(path: str | Path) -> Network:
    """The network of the NIR file ``path`` (its own ``dt``)."""
    return read_nir(path)


def nir_mlp_shape(network: Network) -> tuple[int, int, int]:
    """``(n_in, hidden, n_out)`` of a two-layer dense network of IF neurons without delays;
    ValueError naming the layer for any other."""
    if len(network.layers) != 2 or not all(isinstance(layer, Dense) for layer in network.layers):
        kinds = [type(layer).__name__ for layer in network.layers]
        raise ValueError(f"the flow deploys an MLP n_in -> hidden -> n_out of two Dense layers, the file has {kinds}")
    for i, (layer, neuron) in enumerate(zip(network.layers, network.neurons)):
        if neuron.model != "if":
            raise ValueError(f"layer {i} has {neuron.model!r} neurons: the flow reads IF networks only "
                             "(a leaky neuron's rate is not the ReLU of its input)")
        if layer.delay is not None and np.any(layer.delay):
            raise ValueError(f"layer {i} has synaptic delays, which have no rate-equivalent ANN")
    w0, w1 = network.layers[0].weight, network.layers[1].weight
    return int(w0.shape[1]), int(w0.shape[0]), int(w1.shape[0])


def ann_of_snn(network: Network, input_rate: float, input_shape: tuple[int, ...]) -> Ann:
    """The rate-equivalent ReLU ANN of ``network`` (module docstring) on inputs of ``input_shape``
    (values in [0, 1]; ``input_rate`` Hz for a value of 1)."""
    layers = []
    for layer, neuron in zip(network.layers, network.neurons):
        v_th = float(neuron.v_th)
        layers.append(Dense(np.asarray(layer.weight) / v_th, 1000.0 * np.asarray(layer.bias) / (input_rate * v_th)))
    acts = ("relu",) * (len(layers) - 1) + ("linear",)
    return Ann(tuple(input_shape), tuple(layers), acts, name="nir")
