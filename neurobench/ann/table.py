"""The NeuroBench-style table row of an ANN (``neurobench.metrics.table.ann_metrics``).

:func:`ann_row` runs an ``Ann`` once on the evaluated samples and counts its metrics as NeuroBench
counts the equivalent torch model (``Linear``/``Conv2d`` with a bias each, ``ReLU``,
``AvgPool2d``, ``Flatten``): MACs of the weighted layers on their real-valued inputs, pooling
never counted, activation sparsity of the ReLU outputs, parameters of the kernels and biases.
:func:`layers_row` does the same for any feed-forward stack of ``neurobench.network`` layers from
its layers' inputs recorded elsewhere (an ANN on an analog chip).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from ..metrics import table
from ..network import AvgPool2d, Layer, Network
from .model import Ann

__all__ = ["ann_row", "layers_row"]


def layers_row(input_shape, layers: Sequence[Layer], inputs: Sequence[np.ndarray], hidden: Sequence[np.ndarray],
               predictions, labels, note: str = "", count_biases: bool = True) -> dict:
    """The ``ANN`` row of the feed-forward stack ``layers`` on inputs of ``input_shape``:
    ``inputs[i]`` is layer ``i``'s input per sample, flattened (n, size), ``hidden`` the outputs
    of its ReLU modules, ``predictions`` / ``labels`` class indices (``labels=None``: no classes).

    Per sample: ``Effective_MACs`` of every dense or convolutional layer (a convolution as its
    unrolled matrix), ``Dense`` = the synapses of those layers within the input bounds (all of a
    dense layer's ``n_out * n_in``); ``ParameterCount`` and ``Footprint`` (float32 bytes) of the
    kernels and, with ``count_biases``, the biases; ``ConnectionSparsity`` over the kernels.
    """
    net = Network(input_shape, layers)
    weighted = [i for i, layer in enumerate(layers) if not isinstance(layer, AvgPool2d)]
    matrices = [net.weight_matrix(i).toarray() for i in weighted]
    dense = sum(dataclasses.replace(layers[i], weight=np.ones_like(layers[i].weight))
                .connectivity(net.shapes[i])[0].size for i in weighted)
    static = table.tensor_metrics([layers[i].weight for i in weighted],
                                  [layers[i].bias for i in weighted] if count_biases else ())
    return table.ann_metrics(matrices, [None] * len(matrices), [inputs[i] for i in weighted], hidden,
                             predictions, labels, note, static=static, dense=float(dense))


def ann_row(ann: Ann, x: np.ndarray, y=None, note: str = "") -> dict:
    """The ``ANN`` row of ``ann`` on inputs ``x`` (n, *input_shape) with class labels ``y``
    (``None`` for a regression ANN: accuracy NaN, said in the note), from one forward pass
    (:func:`layers_row`): activation sparsity over the outputs of the ``relu`` layers, accuracy
    of the argmax of the output (NeuroBench's convention)."""
    outs = ann.forward(x)
    flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    hidden = [outs[i] for i, act in enumerate(ann.activations) if act == "relu"]
    classification = ann.task == "classification"
    return layers_row(ann.input_shape, ann.layers, [flat, *outs[:-1]], hidden,
                      outs[-1].argmax(axis=1) if classification else None, y if classification else None, note)
