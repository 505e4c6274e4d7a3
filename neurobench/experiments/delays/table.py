"""The delays report's NeuroBench-style rows (``neurobench.metrics.table``): a ``DelayNet``
counted from its delayed weight tensors and its spikes on the test frames.

NeuroBench's hooks do not see a delay projection (a functional ``conv1d`` in time), so the
definitions are NeuroBench's applied to every delayed synapse (``KINDS["delay SNN"]``): a
synapse is one (post, pre, tap) entry of a projection's weight (n_out, n_in, K); an input value
``s[t, j] != 0`` costs one operation per non-zero ``w[:, j, k]`` whose delay ``d_k`` still lands
inside the T steps of the run, an AC if the layer's input is binary, else a MAC.
"""

from __future__ import annotations

import numpy as np
import torch

from ...metrics import table
from ...models.delays import DelayNet

__all__ = ["delay_row"]


def delay_row(net: DelayNet, x: np.ndarray, accuracy: float, kind: str = "delay SNN", note: str = "") -> dict:
    """The row of ``net`` on test frames ``x`` (batch, T, n_in) with test ``accuracy`` (the
    argmax of the readout, NeuroBench's convention), from one forward pass:

    * static: ``tensor_metrics`` of the projections' effective weights (pooling zeros count as
      absent connections), no biases, the modules' buffers (pooling masks, tap tables) in
      ``Footprint`` as NeuroBench counts buffers;
    * ``ActivationSparsity``: zero spikes / all over the hidden LIF layers (the readout is a
      leaky integrator without spikes);
    * ``Effective_ACs`` / ``Effective_MACs`` / ``Dense``: ``table.sequence_metrics`` (``tensor_synops``) summed over
      the projections; the input projection's are ACs when the frames are binary, else MACs.
    """
    with torch.no_grad():
        weights = [p.effective_weight().detach().double().numpy() for p in net.projections]
    hidden = net.hidden_spikes(torch.from_numpy(np.asarray(x, dtype=np.float32)))
    buffers = sum(b.numel() * b.element_size() for b in net.buffers())
    return table.sequence_metrics(kind, table.tensor_metrics(weights, buffer_bytes=int(buffers)), weights,
                                  [x, *hidden], hidden, accuracy, [p.taps.numpy() for p in net.projections], note)
