"""A chip of crossbar tiles on a 2-D mesh: hop distances, spike energy/latency, tile variation.

Tiles are numbered row-major on a ``rows x cols`` mesh; tile ``t`` sits at
``(t // cols, t % cols)``. Spikes between tiles follow XY routing, so a spike from tile ``a`` to
tile ``b`` crosses ``h(a, b) = |x_a - x_b| + |y_a - y_b|`` links. Cost proxies (the group uses
a cycle-accurate Noxim model; a hop-count model is our simplification [inferred])::

    E_NoC   = e_spike S_tot + e_hop sum_(u,v) s_uv h(u, v)                 (pJ)
    latency = t_inject + t_hop sum_(u,v) s_uv h(u, v) / sum_(u,v) s_uv       (ns, mean per
              inter-tile spike)

with ``s_uv`` the spikes sent from tile ``u`` to tile ``v`` and ``S_tot`` every spike emitted.
Defaults: ``e_spike = 23.6 pJ`` and ``e_hop = 3 pJ`` (the Loihi-derived set of the group's
papers [unverified]), ``t_hop = 1 ns`` per router and link and ``t_inject = 2 ns`` [inferred].

Per-tile variation [inferred]: each tile's endurance map is the crossbar's nominal map times a
seeded log-normal factor per tile (``sigma_tile``) and per cell (``sigma_cell``), which gives the
placement of clusters on tiles an effect on lifetime (open question Q3 of the summary).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MeshParams:
    """A ``rows x cols`` mesh of tiles and its per-spike cost constants.

    Parameters
    ----------
    rows, cols : int
        Mesh size in tiles, >= 1 (5 x 5: SpiNeMap's default [code]).
    e_spike : float
        Energy to emit one spike in pJ, >= 0 (23.6 pJ [unverified]).
    e_hop : float
        Energy of one spike crossing one router and link in pJ, >= 0 (3 pJ [unverified]).
    t_hop : float
        Latency of one hop in ns, >= 0 (1 ns [inferred]).
    t_inject : float
        Latency to inject and eject a spike in ns, >= 0 (2 ns [inferred]).
    sigma_tile, sigma_cell : float
        Log-normal spread (std of the natural log) of endurance per tile and per cell, >= 0
        (0.2 and 0.1 [inferred]).
    """

    rows: int = 5
    cols: int = 5
    e_spike: float = 23.6
    e_hop: float = 3.0
    t_hop: float = 1.0
    t_inject: float = 2.0
    sigma_tile: float = 0.2
    sigma_cell: float = 0.1

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and 1 <= value <= 1024):
                raise ValueError(f"mesh {name} must be an integer in [1, 1024], got {value!r}")
        for name, unit in (("e_spike", "pJ"), ("e_hop", "pJ"), ("t_hop", "ns"), ("t_inject", "ns"),
                           ("sigma_tile", ""), ("sigma_cell", "")):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"mesh {name} must be a finite value >= 0 {unit}, got {value}".rstrip())

    @property
    def n_tiles(self) -> int:
        return self.rows * self.cols

    def coordinates(self) -> np.ndarray:
        """(n_tiles, 2) mesh coordinates (row, column) of every tile."""
        t = np.arange(self.n_tiles)
        return np.stack([t // self.cols, t % self.cols], axis=1)

    def hops(self) -> np.ndarray:
        """(n_tiles, n_tiles) XY-routing hop counts between tiles."""
        xy = self.coordinates()
        return np.abs(xy[:, None, :] - xy[None, :, :]).sum(-1)


def mesh_for(n_clusters: int, base: MeshParams | None = None) -> MeshParams:
    """The smallest square mesh (at least ``base``'s size) with a tile for every cluster."""
    from dataclasses import replace

    base = base or MeshParams()
    side = max(int(math.ceil(math.sqrt(max(n_clusters, 1)))), 1)
    if base.n_tiles >= n_clusters:
        return base
    return replace(base, rows=side, cols=side)


def noc_cost(traffic: np.ndarray, tile_of: np.ndarray, mesh: MeshParams,
             total_spikes: float) -> tuple[float, float]:
    """Energy (pJ) and mean inter-tile spike latency (ns) of a placement (module docstring).

    Parameters
    ----------
    traffic : array (C, C)
        Spikes sent from cluster u to cluster v (diagonal ignored).
    tile_of : int array (C,)
        Tile of every cluster.
    total_spikes : float
        Every spike emitted by the workload (placement independent).
    """
    traffic = np.asarray(traffic, dtype=np.float64).copy()
    np.fill_diagonal(traffic, 0.0)
    h = mesh.hops()[np.ix_(tile_of, tile_of)]
    hop_spikes = float((traffic * h).sum())
    inter = float(traffic.sum())
    energy = mesh.e_spike * total_spikes + mesh.e_hop * hop_spikes
    latency = mesh.t_inject + (mesh.t_hop * hop_spikes / inter if inter > 0 else 0.0)
    return energy, latency


def tile_endurance(nominal: np.ndarray, mesh: MeshParams, seed: int) -> np.ndarray:
    """(n_tiles, n, n) endurance maps: ``nominal`` times log-normal tile and cell factors."""
    rng = np.random.default_rng(seed)
    tile = rng.normal(0.0, mesh.sigma_tile, mesh.n_tiles)
    cell = rng.normal(0.0, mesh.sigma_cell, (mesh.n_tiles, *nominal.shape))
    return nominal[None] * np.exp(tile[:, None, None] + cell)
