"""A trained delay network (``neurobench.models.delays.DelayNet``) as the workbench's layered
``Network`` with per-synapse integer delays, so that ``neurobench.sim.simulate`` and the Brian2
backend run it.

Every synapse must keep at most one tap (pool to ``k = 1`` per synapse or per axon first): its
weight becomes ``Dense.weight[i, j]`` and its tap's delay ``Dense.delay[i, j]`` (steps). Units:
one step is ``dt = 1`` ms, potentials are read as mV. Hidden layers: ``NeuronParams(model="lif",
tau_m, v_th = threshold, reset="zero")``, whose clock-simulator step is the ``lif_layer``
update. The readout becomes LIF neurons that never reach their threshold (``READOUT_V_TH``):
their recorded potential after each step is ``o[t]``, and the logits are ``sum_t o[t]``
(``clock_logits``).
"""

from __future__ import annotations

import numpy as np

from ..network import Dense, Network
from ..neurons import NeuronParams
from ..sim import simulate
from .delays import DelayNet

__all__ = ["READOUT_V_TH", "clock_logits", "to_network"]

READOUT_V_TH = 1e300
"""Threshold of the exported readout neurons: never reached, so they integrate without reset."""


def to_network(net: DelayNet) -> Network:
    """``net`` as a ``Network`` of ``Dense`` layers with delays (module docstring). Raises
    ``ValueError`` naming the projection when a synapse keeps more than one tap."""
    layers = []
    for i, proj in enumerate(net.projections):
        w = proj.effective_weight().detach().double().numpy()  # (n_out, n_in, K)
        active = w != 0
        if (active.sum(axis=2) > 1).any():
            raise ValueError(f"projection {i} has synapses with {int(active.sum(axis=2).max())} taps: pool to k = 1 "
                             f"per synapse or per axon before exporting (Dense holds one delay per synapse)")
        taps = proj.taps.numpy()
        layers.append(Dense(w.sum(axis=2), delay=taps[active.argmax(axis=2)]))
    p = net.p.neurons
    hidden = NeuronParams(model="lif", tau_m=p.tau_m, v_th=p.threshold, reset="zero")
    out = NeuronParams(model="lif", tau_m=p.tau_out, v_th=READOUT_V_TH, reset="zero")
    return Network((net.sizes[0],), tuple(layers), (hidden,) * (len(layers) - 1) + (out,))


def clock_logits(network: Network, x, backend=simulate, **kwargs) -> tuple[np.ndarray, object]:
    """Logits ``sum_t o[t]`` (batch, n_out) of an exported ``network`` run by ``backend``
    (``neurobench.sim.simulate`` or ``simulate_brian``) on frames ``x`` (batch, T, n_in), and
    the ``SimRecord`` (spikes and potentials recorded)."""
    rec = backend(network, np.asarray(x) > 0, dt=1.0, record_spikes=True, record_v=True, **kwargs)
    return rec.layers[-1].v.sum(axis=1), rec
