"""Mapping SNNs onto crossbar tiles: graphs, KL partitioning, PSO placement, cell ordering, lifetime."""

from .espine import METHODS, Chip, Mapping, MappingConfig, map_workload, prepare
from .graph import SynapseGraph, from_network, from_record, to_networkx, unroll
from .partition import Clustering, cluster_traffic, cut_spikes, partition_kl, partition_random, partition_sequential
from .placement import PsoParams, pso

__all__ = [
    "METHODS", "Chip", "Clustering", "Mapping", "MappingConfig", "PsoParams", "SynapseGraph",
    "cluster_traffic", "cut_spikes", "from_network", "from_record", "map_workload",
    "partition_kl", "partition_random", "partition_sequential", "prepare", "pso",
    "to_networkx", "unroll",
]
