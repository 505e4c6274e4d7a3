"""The analog report's NeuroBench-style rows (``neurobench.metrics.table``): the trained
``AnalogNet`` as an ANN (``neurobench.ann.table.layers_row``), from one forward pass on the test
images whose layer inputs are recorded by forward hooks."""

from __future__ import annotations

import numpy as np
import torch

from ...analog import AnalogNet, MACParams
from ...analog.layers import AnalogConv2d
from ...ann.table import layers_row
from ...network import Conv2d, Dense

__all__ = ["NOTE", "analog_row"]

NOTE = ("inputs are 5-bit integers and each multiply-accumulate runs on the analog MAC; a layer sent k times "
        "(n_sends) costs the chip k times the MACs counted here; no biases")
"""The note of every row of the analog report's table."""


@torch.no_grad()
def analog_row(net: AnalogNet, x: np.ndarray, y: np.ndarray, mac: MACParams | None, note: str = "") -> dict:
    """The ``ANN`` row of ``net`` on test images ``x`` (n, side, side) with labels ``y``, run on
    the MAC ``mac`` (``None``: the linear software model) in one batch (the trial noise of batch
    0): ``Effective_MACs`` of every layer on its recorded input (the padded image, then the
    re-quantised ReLU outputs), activation sparsity of those ReLU outputs, accuracy of the argmax
    of the scores; weights in integer units, no biases."""
    inputs: list[np.ndarray] = []
    hooks = [layer.register_forward_hook(lambda m, args, out: inputs.append(args[0].flatten(1).double().numpy()))
             for layer in net.layers]
    try:
        scores = net(torch.as_tensor(x, dtype=torch.float32), mac, 0).numpy()
    finally:
        for h in hooks:
            h.remove()
    layers = [Conv2d(layer.weight.detach().double().numpy(), np.zeros(len(layer.weight)), stride=layer.stride)
              if isinstance(layer, AnalogConv2d) else Dense(layer.weight.detach().double().numpy())
              for layer in net.layers]
    side = int(np.asarray(x).shape[-1]) + 2 * net.net.pad
    shape = (1, side, side) if isinstance(net.layers[0], AnalogConv2d) else (side * side,)
    return layers_row(shape, layers, inputs, inputs[1:], scores.argmax(axis=1), y,
                      "; ".join(t for t in (NOTE, note) if t), count_biases=False)
