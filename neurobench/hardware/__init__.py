"""Hardware models of neuromorphic chips.

* ``workload``: what runs on a chip, shared by every model: :class:`Workload` (a synapse graph
  with per-neuron spike counts and, when recorded, spike trains), :class:`SynapseGraph` and
  :class:`Assignment` (the core, tile or cluster of every neuron);
* ``mesh``: the on-chip network, :class:`Mesh` (2-D mesh, XY routing, hop counts;
  ``Mesh.square`` and ``Mesh.fitting``), and the endurance chip's :class:`MeshParams` (spike
  energy and latency proxies in pJ and ns, per-tile endurance variation);
* ``crossbar``: nodal analysis of a memristive crossbar with wire resistance
  (:class:`CrossbarParams`; programming currents in A, read voltages in V);
* ``endurance``: PCM write endurance from the programming current (:class:`PcmEndurance`);
* ``rram``: RRAM read disturb and inference lifetime (:class:`RramReadParams`);
* ``multicore``: discrete-event timing and energy model of a many-core chip, global barrier vs
  dependency-driven cores (:class:`CostModel`), and ``multicore_partition``: simple
  partitioners of a layered network onto its cores;
* ``precision`` (uniform, Loihi and bfloat16 weight quantisers) and ``delay_memory`` (synapse
  table, ring buffer and SCDQ memory of synaptic delays): import them explicitly.
"""

from .crossbar import (
    CrossbarParams,
    bias_voltages,
    program_currents,
    read_voltages,
    series_currents,
)
from .endurance import PcmEndurance, endurance_map, pcm_endurance
from .mesh import Mesh, MeshParams, noc_cost, tile_endurance
from .rram import (
    RramReadParams,
    inference_lifetime,
    positional_read_endurance,
    read_endurance,
    weight_resistance,
)
from .workload import Assignment, SynapseGraph, Workload

__all__ = [
    "Assignment", "CrossbarParams", "Mesh", "MeshParams", "PcmEndurance", "RramReadParams",
    "SynapseGraph", "Workload", "bias_voltages", "endurance_map", "inference_lifetime", "noc_cost",
    "pcm_endurance", "positional_read_endurance", "program_currents", "read_endurance",
    "read_voltages", "series_currents", "tile_endurance", "weight_resistance",
]
