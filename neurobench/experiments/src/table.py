"""The src report's NeuroBench-style rows (``neurobench.metrics.table``): each trained
``SRCNet`` or ``LIFNet`` counted from its weight tensors and one recorded forward pass on the
test frames (``table.sequence_metrics``)."""

from __future__ import annotations

import numpy as np
import torch

from ...metrics import table
from ...models.src import SRCNet

__all__ = ["SRC_NOTE", "model_row"]

SRC_NOTE = ("SRC cells' self-recurrence (per-neuron constants r, r_s) is no synapse, as NeuroBench excludes "
            "self-connections; their outputs ReLU(h) are real-valued, so the next layer's operations are MACs")
"""The note of an SRC network's row."""


def model_row(model, x: np.ndarray, accuracy: float, batch_size: int = 256) -> dict:
    """The row of a trained ``SRCNet`` (kind ``recurrent SNN``) or ``LIFNet`` (``clock SNN``) on
    test frames ``x`` (n, T, n_in) with its test ``accuracy`` (argmax of the readout logits):
    weights and biases of every projection and the readout (``ParameterCount``, ``Footprint``
    with the modules' buffers), the hidden layers' outputs (SRC: ``ReLU(h)``; LIF: spikes) as the
    activations and inputs of the next projection, the frames as the first one's."""
    src = isinstance(model, SRCNet)
    acts: list[list[np.ndarray]] = [[] for _ in model.weights[:-1]]
    with torch.no_grad():
        for a in range(0, len(x), batch_size):
            _, hs = model.forward(torch.from_numpy(np.asarray(x[a:a + batch_size], dtype=np.float32)), record=True)
            for k, h in enumerate(hs):
                acts[k].append((torch.relu(h) if src else h).numpy())
        weights = [w.detach().double().numpy() for w in model.weights]
        biases = [b.detach().numpy() for b in model.biases] + [model.out_bias.detach().numpy()]
    hidden = [np.concatenate(a) for a in acts]
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    static = table.tensor_metrics(weights, biases, buffer_bytes=int(buffers))
    return table.sequence_metrics("recurrent SNN" if src else "clock SNN", static, weights, [x, *hidden], hidden,
                                  accuracy, note=SRC_NOTE if src else "")
