"""The wireless report's NeuroBench-style row (``neurobench.metrics.table``): the trained
NeuroJSCC chain (encoder SNN on the device, decoder SNN at the receiver) over a noiseless link,
from one forward pass on the test frames whose LIF spikes are recorded by forward hooks."""

from __future__ import annotations

import numpy as np
import torch

from ...metrics import table
from ...wireless.jscc import NeuroJSCC

__all__ = ["NOTE", "chain_row"]

NOTE = ("encoder and decoder SNNs together over a noiseless link (the decoder's inputs are the encoder's output "
        "spikes, the pulses sent); the non-spiking readout sums its currents over the steps")
"""The note of the chain's row."""


@torch.no_grad()
def chain_row(model: NeuroJSCC, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> dict:
    """The ``clock SNN`` row of ``model`` on test frames ``x`` (n, T, n_in) with labels ``y``:
    weights and biases of the encoder's two layers, the decoder's hidden layer and its readout
    (``Footprint`` with the snnTorch neurons' buffers); the spikes of the encoder's hidden and
    output layers and of the decoder's hidden layer as activations, each the input of the next
    projection (``table.sequence_metrics``); accuracy of the argmax of the noiseless logits."""
    lifs = [*model.enc_lifs, *model.decoder.lifs]
    steps: list[list[torch.Tensor]] = [[] for _ in lifs]
    hooks = [lif.register_forward_hook(lambda m, args, out, k=k: steps[k].append(out[0].detach()))
             for k, lif in enumerate(lifs)]
    spikes: list[list[np.ndarray]] = [[] for _ in lifs]
    correct = 0
    model.eval()
    try:
        for a in range(0, len(x), batch_size):
            for s in steps:
                s.clear()
            logits = model.decoder(model.encode(torch.from_numpy(np.asarray(x[a:a + batch_size], dtype=np.float32))))
            correct += int((logits.argmax(1).numpy() == np.asarray(y[a:a + batch_size])).sum())
            for k, s in enumerate(steps):
                spikes[k].append(torch.stack(s, 1).numpy())
    finally:
        for h in hooks:
            h.remove()
    hidden = [np.concatenate(s) for s in spikes]
    weights = [w.detach().double().numpy() for w in [*model.enc_weights, *model.decoder.weights]]
    biases = [b.detach().numpy() for b in [*model.enc_biases, *model.decoder.biases, model.decoder.out_bias]]
    buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    static = table.tensor_metrics(weights, biases, buffer_bytes=int(buffers))
    return table.sequence_metrics("clock SNN", static, weights, [x, *hidden], hidden, correct / len(x), note=NOTE)
