"""eSpine and its baselines end to end: partition, place on tiles, order cells, evaluate.

Methods (summary §8; all share one chip: the mesh, sized to fit the largest clustering, and the
per-tile endurance maps of ``hardware.mesh.tile_endurance``):

* ``sequential`` (PyCARL-like): index-order clustering, cluster c on tile c, index-order cells;
* ``random``: KL clustering, seeded random tiles, seeded random rows/columns on the crossbar;
* ``spinemap`` (SpiNeMap-like, traffic only): KL clustering, PSO for NoC energy and latency
  (``lambda_life = 0``, sequential placement planted), index-order cells;
* ``spinemap_cells`` (ablation): SpiNeMap's placement with eSpine's cell ordering;
* ``espine``: KL clustering, PSO over lifetime, energy and latency with SpiNeMap's placement
  planted, then endurance-aware cell ordering on the tiles it chose.

eSpine's PSO only accepts placements whose lifetime estimate (the unrefined lower bound
``cells.lifetimes_on_tiles``) reaches the lifetime of ``spinemap_cells``, and falls back to
that mapping when none does [our design choice]. So ``L_eff(espine) >= L_eff(spinemap_cells)
>= L_eff(spinemap)`` holds by construction: eSpine may trade NoC energy for lifetime but never
falls below the endurance-unaware mapping of the same clustering.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..hardware.crossbar import CrossbarParams
from ..hardware.endurance import PcmEndurance, endurance_map
from ..hardware.mesh import Mesh, MeshParams, noc_cost, tile_endurance
from ..hardware.thermal import ThermalParams, arrhenius_factor, tile_temperatures
from ..hardware.workload import Activation, Assignment
from ..schema import Params
from ..schema import replace as replace_params
from ..seeds import spawn_seeds
from . import cells
from .graph import SynapseGraph, unroll
from .partition import Clustering, cluster_traffic, cut_spikes, partition_kl, partition_sequential
from .placement import Fitness, PsoParams, place_random, place_sequential, pso

METHODS = ("sequential", "random", "spinemap", "spinemap_cells", "espine")


class MappingConfig(Params):
    """Everything a mapping run needs (see each part's class for units and sources).

    Built from the ``endurance`` params section by ``EnduranceSection.mapping_config()``.
    ``seed`` is the root of every random stream of a mapping run: the KL splits and the tile
    variation use it directly, the random baseline's cell order and placement and the two PSO
    runs use seeds spawned from it (``neurobench.seeds.spawn_seeds(seed, 4)``).
    """

    crossbar: CrossbarParams = Field(default_factory=CrossbarParams)
    endurance: PcmEndurance = Field(default_factory=PcmEndurance)
    mesh: MeshParams = Field(default_factory=MeshParams)
    pso: PsoParams = Field(default_factory=PsoParams)
    activation: Activation = Field("pre", description="what wears a PCM cell: presynaptic spikes or STDP updates")
    partitioner: Literal["kl", "metis"] = Field("kl", description="bisection: networkx Kernighan-Lin or METIS (pymetis)")
    kl_max_iter: int = Field(10, ge=1, le=100, description="KL passes per bisection")
    refine_iters: int = Field(20, ge=0, le=10_000, description="cell-ordering refinement moves")
    seed: int = Field(0, ge=0, description="root seed of KL, tile variation, random baseline and PSO")
    thermal: ThermalParams | None = Field(None, description="thermal profile of the chip (None: every tile at "
                                          "endurance.t_amb)")

    @model_validator(mode="after")
    def _crossbar_unrolls(self) -> "MappingConfig":
        if self.crossbar.n < 2:
            raise ValueError(f"crossbar n = {self.crossbar.n}: unrolling fan-ins needs n >= 2")
        return self

    def streams(self) -> dict[str, int]:
        """Seeds of the random baseline's cells and tiles and of the two PSO runs, spawned from ``seed``."""
        return dict(zip(("random_cells", "random_tiles", "pso_spinemap", "pso_espine"), spawn_seeds(self.seed, 4)))


@lru_cache(maxsize=16)
def nominal_endurance(crossbar: CrossbarParams, law: PcmEndurance) -> np.ndarray:
    """The (n, n) endurance map of a crossbar with uniform cells (cached; do not modify)."""
    e = endurance_map(crossbar, law)
    e.setflags(write=False)
    return e


@dataclass(frozen=True, eq=False)
class Mapping:
    """One method's mapping of a workload and its figures of merit.

    ``tile_of`` (C,): tile of each cluster; ``maps``: (row_map, col_map) per cluster;
    ``cell`` (S, 3): (tile, physical row, physical column) of every synapse of the unrolled
    graph; ``lifetime`` in executions (endurance / activation), ``energy`` in pJ and ``latency``
    in ns per execution (``hardware.mesh.noc_cost``), ``cut`` the spikes crossing clusters.
    """

    method: str
    clustering: Clustering
    tile_of: np.ndarray
    maps: list
    cell: np.ndarray
    lifetime: float
    energy: float
    latency: float
    cut: float
    n_tiles: int

    def assignment(self, n_neurons: int | None = None) -> Assignment:
        """Neuron -> tile of the mapped graph's first ``n_neurons`` neurons (default all).

        ``unroll`` numbers partial-sum neurons after the workload's own, so ``n_neurons =
        workload.graph.n_neurons`` gives the tile of every neuron of the workload: an
        assignment that drives ``neurobench.hardware.multicore`` on the chip's mesh.
        """
        placed = self.clustering.placed(self.tile_of, self.n_tiles)
        return placed if n_neurons is None else placed.first(n_neurons)


@dataclass(frozen=True, eq=False)
class Chip:
    """The unrolled workload and the chip every method maps it onto."""

    graph: SynapseGraph
    activation: np.ndarray
    mesh: Mesh
    noc: MeshParams
    tiles: np.ndarray  # (T, n, n) endurance maps
    kl: Clustering
    sequential: Clustering


def chip_tiles(mesh: Mesh, config: MappingConfig) -> np.ndarray:
    """(mesh.size, n, n) endurance maps in writes: the nominal crossbar map with per-tile and
    per-cell variation (``hardware.mesh.tile_endurance``, seeded by ``config.seed``) and, when
    ``config.thermal`` is set, each tile's Arrhenius factor at its temperature
    (``hardware.thermal``, activation energy ``endurance.e_a``, reference ``endurance.t_amb``)."""
    tiles = tile_endurance(nominal_endurance(config.crossbar, config.endurance), mesh, config.mesh, config.seed)
    if config.thermal is not None:
        factor = arrhenius_factor(tile_temperatures(mesh, config.thermal), config.endurance.e_a,
                                  config.endurance.t_amb)
        tiles = tiles * factor[:, None, None]
    return tiles


def prepare(graph: SynapseGraph, config: MappingConfig, progress: bool = False) -> Chip:
    """Unroll, partition (KL and sequential) and build a chip large enough for both."""
    n = config.crossbar.n
    g = unroll(graph, n)
    kl = partition_kl(g, n, config.seed, config.kl_max_iter, progress=progress, method=config.partitioner)
    seq = partition_sequential(g, n)
    mesh = config.mesh.mesh(max(kl.n_clusters, seq.n_clusters))
    return Chip(g, g.activation(config.activation), mesh, config.mesh, chip_tiles(mesh, config), kl, seq)


def rechip(chip: Chip, config: MappingConfig) -> Chip:
    """``chip`` with the tiles (and NoC costs) of ``config``, keeping its graph, clusterings and
    mesh: a changed endurance law, variation or thermal profile without partitioning again
    (``config.crossbar``, ``activation`` and ``seed`` must be those ``chip`` was prepared with
    for the clusterings to be the same)."""
    return replace(chip, tiles=chip_tiles(chip.mesh, config), noc=config.mesh)


def evaluate(chip: Chip, method: str, clustering: Clustering, tile_of: np.ndarray, maps: list) -> Mapping:
    """Lifetime, energy, latency and cut of a complete mapping."""
    g = chip.graph
    c = clustering.n_clusters
    contents = cells.contents(g, clustering.cluster_of, c, chip.activation)
    cell = np.zeros((g.n_synapses, 3), np.int64)
    life = np.inf
    for k, (content, (row_map, col_map)) in enumerate(zip(contents, maps)):
        t = tile_of[k]
        life = min(life, cells.lifetime(content, chip.tiles[t], row_map, col_map))
        cell[content.synapse] = np.stack(
            [np.full(content.synapse.size, t), row_map[content.row], col_map[content.col]], axis=1)
    energy, latency = noc_cost(cluster_traffic(g, clustering.cluster_of, c), tile_of, chip.mesh, chip.noc,
                               g.total_spikes())
    return Mapping(method, clustering, np.asarray(tile_of), maps, cell, float(life), float(energy),
                   float(latency), cut_spikes(g, clustering.cluster_of), chip.mesh.size)


def map_workload(graph: SynapseGraph, config: MappingConfig, methods=METHODS, progress: bool = False,
                 chip: Chip | None = None) -> dict[str, Mapping]:
    """Map ``graph`` with each of ``methods`` (module docstring) onto one shared chip."""
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown mapping methods {sorted(unknown)}; known: {', '.join(METHODS)}")
    chip = chip or prepare(graph, config, progress)
    g, mesh, n = chip.graph, chip.mesh, config.crossbar.n
    out: dict[str, Mapping] = {}
    kl = chip.kl
    c = kl.n_clusters
    contents = cells.contents(g, kl.cluster_of, c, chip.activation)
    index = [cells.index_maps(ct) for ct in contents]
    if "sequential" in methods:
        seq = chip.sequential
        seq_contents = cells.contents(g, seq.cluster_of, seq.n_clusters, chip.activation)
        out["sequential"] = evaluate(chip, "sequential", seq, place_sequential(seq.n_clusters, mesh.size),
                                     [cells.index_maps(ct) for ct in seq_contents])
    seeds = config.streams()
    if "random" in methods:
        rng = np.random.default_rng(seeds["random_cells"])
        maps = [(rng.permutation(n)[:ct.n_rows], rng.permutation(n)[:ct.n_cols]) for ct in contents]
        out["random"] = evaluate(chip, "random", kl, place_random(c, mesh.size, seeds["random_tiles"]), maps)
    traffic = cluster_traffic(g, kl.cluster_of, c)
    need_spinemap = {"spinemap", "spinemap_cells", "espine"} & set(methods)
    if need_spinemap:
        traffic_only = replace_params(config.pso, lambda_life=0.0)
        fit = Fitness(traffic, mesh, chip.noc, g.total_spikes(), traffic_only)
        spin_tiles, _ = pso(fit, c, mesh.size, traffic_only, seeds["pso_spinemap"],
                            init=[place_sequential(c, mesh.size)], progress=progress)
        if "spinemap" in methods:
            out["spinemap"] = evaluate(chip, "spinemap", kl, spin_tiles, index)
        if {"spinemap_cells", "espine"} & set(methods):
            aware_spin = [cells.aware_maps(ct, chip.tiles[t], config.refine_iters) for ct, t in zip(contents, spin_tiles)]
        if "spinemap_cells" in methods:
            out["spinemap_cells"] = evaluate(chip, "spinemap_cells", kl, spin_tiles, aware_spin)
    if "espine" in methods:
        orders = cells.tile_orders(chip.tiles)
        table = np.stack([cells.lifetimes_on_tiles(ct, chip.tiles, True, orders) for ct in contents])
        floor = min(cells.lifetime(ct, chip.tiles[t], *m) for ct, t, m in zip(contents, spin_tiles, aware_spin))
        fit = Fitness(traffic, mesh, chip.noc, g.total_spikes(), config.pso, lifetime=table, lifetime_floor=floor)
        tiles_e, best = pso(fit, c, mesh.size, config.pso, seeds["pso_espine"], init=[spin_tiles], progress=progress)
        if not np.isfinite(best) or np.array_equal(tiles_e, spin_tiles):
            tiles_e, maps = spin_tiles, aware_spin
        else:
            maps = [cells.aware_maps(ct, chip.tiles[t], config.refine_iters) for ct, t in zip(contents, tiles_e)]
        out["espine"] = evaluate(chip, "espine", kl, tiles_e, maps)
    return out
