"""Effective lifetime of a mapping (PCM write endurance) and RRAM inference lifetime.

Effective lifetime [unverified form, consistent with eSpine's "critical memristors"]::

    L_eff(M) = min over synapses s with a_s > 0 of E[cell_M(s)] / a_s

in workload executions (inferences) when ``a_s`` is the activation per execution. Physical
bound [inferred]: the most active synapse caps every mapping at ``E_max / a_max`` and every
mapping reaches at least ``E_min / a_max``, so for any two mappings using cells with
endurance in [E_min, E_max]::

    L_eff(M1) / L_eff(M2) <= E_max / E_min

RRAM read disturb (``neurobench.hardware.rram``): every cell holding a synapse is read
``a_s = spikes[pre_s]`` times per inference, and the inference lifetime of one crossbar is
``min_s N_RD(V_s, T, R_s) / a_s``, of the chip the minimum over crossbars. The endurance-aware
RRAM placement puts the rows with the most reads and the lowest-resistance (largest, most
critical) weights on the lines with the lowest read voltage, with ``cells.aware_maps`` applied
to the positional factor ``N_RD(V, T, r_ref)`` and the effective activation
``a_s (r_ref / R_s)^beta`` (their ratio is ``N_RD / a_s`` exactly). The read voltages come from
the nodal solver with all rows driven (a full-vector read, the worst case) and either the
uniform nominal conductance (``exact=False``) or the conductances actually programmed by the
placement (``exact=True``; unused cells at ``r_off``).
"""

from __future__ import annotations

import math

import numpy as np

from ..hardware.crossbar import CrossbarParams, read_voltages
from ..hardware.rram import (
    RramReadParams,
    inference_lifetime,
    positional_read_endurance,
    read_endurance,
    weight_resistance,
)
from . import cells as cells_mod
from .graph import SynapseGraph


def effective_lifetime(endurance: np.ndarray, activation: np.ndarray) -> float:
    """``min_s E_s / a_s`` over synapses with ``a_s > 0`` (inf when nothing is active).

    The same bound as RRAM's inference lifetime, with write endurance and activation rates.
    """
    return inference_lifetime(endurance, activation)


def endurance_ratio(endurance: np.ndarray) -> float:
    """``E_max / E_min`` over the given cells (the bound on any lifetime ratio)."""
    endurance = np.asarray(endurance, dtype=np.float64)
    return float(endurance.max() / endurance.min())


def rram_lifetime(graph: SynapseGraph, cluster_of: np.ndarray, n_clusters: int, crossbar: CrossbarParams,
                  rram: RramReadParams, temperature, aware: bool, exact: bool = True,
                  refine_iters: int = 20) -> dict:
    """RRAM inference lifetime of a clustering, index order (``aware=False``) or aware placement.

    Parameters
    ----------
    temperature : float or sequence of float
        Cell temperature in K (uniform over the chip). A uniform temperature scales every
        ``N_RD`` by the same factor, so the placement does not depend on it and several
        temperatures are evaluated on one placement and one set of read solves.

    Returns
    -------
    dict
        ``lifetime`` (inferences, chip; an array over temperatures when a sequence was given),
        ``per_cluster`` (C,) or (n_T, C), ``maps`` (row/column maps per cluster), ``voltage``
        (per synapse, V across its cell during a full read), ``n_rd`` (per synapse, reads before
        disturb, at the first temperature) and ``reads`` (per synapse and inference).
    """
    temps = np.atleast_1d(np.asarray(temperature, dtype=np.float64))
    n = crossbar.n
    reads = graph.activation("pre")
    resistance = weight_resistance(graph.weight, rram)
    eff = reads * (rram.r_ref / resistance) ** rram.beta
    v_nominal = read_voltages(crossbar)
    e_pos = positional_read_endurance(v_nominal, rram.t_ref, rram)
    contents = cells_mod.contents(graph, cluster_of, n_clusters, eff)
    voltage = np.zeros(graph.n_synapses)
    maps = []
    for content in contents:
        if aware:
            row_map, col_map = cells_mod.aware_maps(content, e_pos, refine_iters)
        else:
            row_map, col_map = cells_mod.index_maps(content)
        maps.append((row_map, col_map))
        pr, pc = row_map[content.row], col_map[content.col]
        if exact:
            g = np.full((n, n), 1.0 / rram.r_off)
            g[pr, pc] = 1.0 / resistance[content.synapse]
            v = read_voltages(crossbar, g)
        else:
            v = v_nominal
        voltage[content.synapse] = v[pr, pc]
    per_cluster = np.full((temps.size, n_clusters), np.inf)
    n_rd = np.full((temps.size, graph.n_synapses), np.inf)
    for k, t in enumerate(temps):
        n_rd[k] = read_endurance(voltage, resistance, t, rram)
        for c, content in enumerate(contents):
            per_cluster[k, c] = effective_lifetime(n_rd[k, content.synapse], reads[content.synapse])
    life = per_cluster.min(axis=1) if n_clusters else np.full(temps.size, math.inf)
    scalar = np.ndim(temperature) == 0
    return {"lifetime": float(life[0]) if scalar else life, "per_cluster": per_cluster[0] if scalar else per_cluster,
            "maps": maps, "voltage": voltage, "n_rd": n_rd[0], "reads": reads}
