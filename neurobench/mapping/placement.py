"""Place clusters on the tiles of a mesh: particle swarm optimisation and baselines.

eSpine step 2 [paper]: PSO maps clusters to tiles. Our formulation [inferred, summary §7.2]:
a particle is a vector of random keys, one per *tile*; ``argsort(keys)[:C]`` gives an injective
cluster -> tile assignment (cluster ``c`` on the tile with the c-th smallest key). The fitness
(minimised) of an assignment ``pi`` is::

    J(pi) = -lambda_life log(L(pi) / L_0) + lambda_energy E(pi) / E_0 + lambda_latency Lat(pi) / Lat_0

with ``L(pi) = min_c lifetime[c, pi(c)]`` (a cluster's lifetime on each tile, precomputed), the
NoC energy (pJ) and latency (ns) proxies of ``neurobench.hardware.mesh``, and ``L_0, E_0, Lat_0`` the
values of the first initial assignment. An optional ``lifetime_floor`` makes assignments with
``L(pi) < floor`` infeasible (J = inf). Global-best PSO::

    v <- w v + c1 r1 (p - x) + c2 r2 (g - x),   x <- x + v

with ``r1, r2`` uniform from ``np.random.default_rng(seed)``: the same seed gives the same
placement, bit for bit. Initial assignments (e.g. a baseline's) are planted as particles, so the
result is never worse (in J) than any of them.

Baselines: ``sequential`` (cluster c on tile c, PyCARL-like), ``random`` (seeded permutation),
and the traffic-only SpiNeMap-style placement (PSO with ``lambda_life = 0``).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from pydantic import Field
from tqdm import tqdm

from ..hardware.mesh import Mesh, MeshParams
from ..schema import Params
from .cells import sorted_matching


class PsoParams(Params):
    """Swarm settings and fitness weights (defaults [inferred]; the paper's are unknown, Q3)."""

    particles: int = Field(24, ge=1, le=1000, description="swarm size")
    iterations: int = Field(60, ge=0, le=10_000, description="PSO iterations")
    inertia: float = Field(0.7, ge=0, description="inertia weight w")
    c1: float = Field(1.5, ge=0, description="cognitive coefficient")
    c2: float = Field(1.5, ge=0, description="social coefficient")
    lambda_life: float = Field(1.0, ge=0, description="weight of -log lifetime")
    lambda_energy: float = Field(0.2, ge=0, description="weight of the normalised NoC energy")
    lambda_latency: float = Field(0.2, ge=0, description="weight of the normalised NoC latency")


def keys_from_assignment(tile_of: np.ndarray, n_tiles: int) -> np.ndarray:
    """Random keys whose decoding is ``tile_of`` (used tiles first, then free tiles in order)."""
    keys = np.empty(n_tiles)
    keys[tile_of] = np.arange(tile_of.size)
    free = np.setdiff1d(np.arange(n_tiles), tile_of)
    keys[free] = tile_of.size + np.arange(free.size)
    return keys / n_tiles


def decode(keys: np.ndarray, n_clusters: int) -> np.ndarray:
    """Cluster -> tile assignments (..., C) of random keys (..., T)."""
    return np.argsort(keys, axis=-1, kind="stable")[..., :n_clusters]


class Fitness:
    """Vectorised ``J`` over a batch of assignments (module docstring)."""

    def __init__(self, traffic: np.ndarray, mesh: Mesh, noc: MeshParams, total_spikes: float, params: PsoParams,
                 lifetime: np.ndarray | None = None, lifetime_floor: float | None = None) -> None:
        self.traffic = np.asarray(traffic, dtype=np.float64).copy()
        np.fill_diagonal(self.traffic, 0.0)
        self.hops = mesh.hops()
        self.noc = noc
        self.total_spikes = float(total_spikes)
        self.params = params
        self.lifetime = lifetime
        self.floor = lifetime_floor
        self.ref = None

    def parts(self, tile_of: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Energy (pJ), latency (ns) and lifetime of assignments (P, C)."""
        tile_of = np.atleast_2d(tile_of)
        h = self.hops[tile_of[:, :, None], tile_of[:, None, :]]
        hop_spikes = (self.traffic[None] * h).sum(axis=(1, 2))
        inter = self.traffic.sum()
        energy = self.noc.e_spike * self.total_spikes + self.noc.hop_pj * hop_spikes
        latency = self.noc.t_inject + (self.noc.hop_ns * hop_spikes / inter if inter > 0 else 0.0 * hop_spikes)
        if self.lifetime is None:
            life = np.full(tile_of.shape[0], np.inf)
        else:
            life = self.lifetime[np.arange(tile_of.shape[1])[None], tile_of].min(axis=1)
        return energy, latency, life

    def __call__(self, tile_of: np.ndarray) -> np.ndarray:
        energy, latency, life = self.parts(tile_of)
        if self.ref is None:
            self.ref = (max(energy[0], 1e-30), max(latency[0], 1e-30),
                        life[0] if np.isfinite(life[0]) and life[0] > 0 else 1.0)
        p = self.params
        j = p.lambda_energy * energy / self.ref[0] + p.lambda_latency * latency / self.ref[1]
        if self.lifetime is not None and p.lambda_life > 0:
            with np.errstate(divide="ignore"):
                j = j - p.lambda_life * np.log(np.where(np.isfinite(life), life, 1e300) / self.ref[2])
        if self.floor is not None:
            j = np.where(life >= self.floor, j, np.inf)
        return j


def pso(fitness: Callable[[np.ndarray], np.ndarray], n_clusters: int, n_tiles: int, params: PsoParams,
        seed: int, init: Sequence[np.ndarray] = (), progress: bool = False) -> tuple[np.ndarray, float]:
    """Global-best PSO over random keys; returns the best assignment (C,) and its fitness.

    ``init`` assignments are planted as the first particles (the first one also fixes the
    fitness's reference values).
    """
    if n_clusters > n_tiles:
        raise ValueError(f"{n_clusters} clusters do not fit on {n_tiles} tiles")
    rng = np.random.default_rng(seed)
    x = rng.random((params.particles + len(init), n_tiles))
    for k, tile_of in enumerate(init):
        x[k] = keys_from_assignment(np.asarray(tile_of), n_tiles)
    v = np.zeros_like(x)
    f = fitness(decode(x, n_clusters))
    best_x, best_f = x.copy(), f.copy()
    g = int(np.argmin(best_f))
    for _ in tqdm(range(params.iterations), disable=not progress, desc="PSO", unit="it"):
        r1 = rng.random(x.shape)
        r2 = rng.random(x.shape)
        v = params.inertia * v + params.c1 * r1 * (best_x - x) + params.c2 * r2 * (best_x[g] - x)
        x = x + v
        f = fitness(decode(x, n_clusters))
        better = f < best_f
        best_x[better] = x[better]
        best_f[better] = f[better]
        g = int(np.argmin(best_f))
    return decode(best_x[g], n_clusters), float(best_f[g])


def place_by_lifetime(cluster_life: np.ndarray, tile_factor: np.ndarray) -> np.ndarray:
    """Clusters on tiles maximising ``min_c cluster_life[c] tile_factor[tile(c)]``: the
    shortest-lived cluster on the tile with the largest factor (e.g. the coolest tile's
    Arrhenius factor, ``hardware.thermal``), and so on (``cells.sorted_matching`` with demand
    ``1 / cluster_life``; clusters with infinite lifetime last). Optimal by the exchange argument."""
    life = np.asarray(cluster_life, dtype=np.float64)
    with np.errstate(divide="ignore"):
        demand = np.where(np.isfinite(life), 1.0 / life, 0.0)
    return sorted_matching(demand, tile_factor)


def place_sequential(n_clusters: int, n_tiles: int) -> np.ndarray:
    """Cluster c on tile c (PyCARL-like, no optimisation)."""
    if n_clusters > n_tiles:
        raise ValueError(f"{n_clusters} clusters do not fit on {n_tiles} tiles")
    return np.arange(n_clusters)


def place_random(n_clusters: int, n_tiles: int, seed: int) -> np.ndarray:
    """A seeded random injective assignment."""
    if n_clusters > n_tiles:
        raise ValueError(f"{n_clusters} clusters do not fit on {n_tiles} tiles")
    return np.random.default_rng(seed).permutation(n_tiles)[:n_clusters]
