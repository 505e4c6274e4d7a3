"""The on-chip network: a 2-D mesh of cores (tiles) with XY routing, its spike costs and tile variation.

One mesh serves both hardware models of the workbench: the many-core timing model
(``neurobench.hardware.multicore``, where a mesh position holds a *core*) and the endurance
mapping (``neurobench.mapping``, where it holds a crossbar *tile*).

Geometry (:class:`Mesh`): positions are numbered row-major on a ``rows x cols`` mesh; position
``t`` sits at ``(t // cols, t % cols)``. Packets follow XY routing, so a packet from ``a`` to
``b`` crosses ``hops(a, b) = |y_a - y_b| + |x_a - x_b|`` links. Two constructors fix the shape
of each stage's chip:

* ``Mesh.square(n)``: the most square mesh holding ``n`` positions, ``cols = ceil(sqrt(n))``,
  ``rows = ceil(n / cols)`` (the multicore stage's ``n_cores`` chip; 10 cores: 3 x 4);
* ``Mesh.fitting(rows, cols, n)``: a minimum ``rows x cols`` mesh, grown to the smallest square
  ``ceil(sqrt(n))`` a side when it holds fewer than ``n`` positions (the endurance stage's chip,
  one tile per cluster).

Hop costs are named the same everywhere, with their unit in the name: ``hop_ns`` (latency of one
packet crossing one router and link, ns) and ``hop_pj`` (its energy, pJ).

Endurance chip (:class:`MeshParams`) cost proxies (the group uses a cycle-accurate Noxim model;
a hop-count model is our simplification [inferred])::

    E_NoC   = e_spike S_tot + hop_pj sum_(u,v) s_uv h(u, v)                  (pJ)
    latency = t_inject + hop_ns sum_(u,v) s_uv h(u, v) / sum_(u,v) s_uv        (ns, mean per
              inter-tile spike)

with ``s_uv`` the spikes sent from tile ``u`` to tile ``v`` and ``S_tot`` every spike emitted.
Defaults: ``e_spike = 23.6 pJ`` and ``hop_pj = 3 pJ`` (the Loihi-derived set of the group's
papers [unverified]), ``hop_ns = 1 ns`` per router and link and ``t_inject = 2 ns`` [inferred].

Per-tile variation [inferred]: each tile's endurance map is the crossbar's nominal map times a
seeded log-normal factor per tile (``sigma_tile``) and per cell (``sigma_cell``), which gives the
placement of clusters on tiles an effect on lifetime (open question Q3 of the summary).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import AliasChoices, Field

from ..schema import Params

__all__ = ["Mesh", "MeshParams", "noc_cost", "tile_endurance"]


def _side(n: int) -> int:
    """``ceil(sqrt(n))`` for an integer ``n >= 1``, exactly."""
    return math.isqrt(n - 1) + 1


class Mesh(Params):
    """A ``rows x cols`` 2-D mesh with XY routing; position ``t`` at ``(t // cols, t % cols)``."""

    rows: int = Field(ge=1, le=4096, description="mesh rows")
    cols: int = Field(ge=1, le=4096, description="mesh columns")

    @classmethod
    def square(cls, n: int) -> "Mesh":
        """The most square mesh holding ``n`` positions: ``cols = ceil(sqrt(n))``, ``rows = ceil(n / cols)``."""
        if n < 1:
            raise ValueError(f"n = {n} is not allowed: a mesh needs at least 1 position")
        cols = _side(int(n))
        return cls(rows=-(-int(n) // cols), cols=cols)

    @classmethod
    def fitting(cls, rows: int, cols: int, n: int) -> "Mesh":
        """A ``rows x cols`` mesh, or the smallest square mesh (``ceil(sqrt(n))`` a side) when
        ``rows x cols`` holds fewer than ``n`` positions."""
        if rows * cols >= n:
            return cls(rows=rows, cols=cols)
        side = _side(int(n))
        return cls(rows=side, cols=side)

    @property
    def size(self) -> int:
        """Number of positions (cores or tiles), ``rows * cols``."""
        return self.rows * self.cols

    @property
    def root(self) -> int:
        """The central position (where a global barrier reduces and broadcasts)."""
        return (self.rows // 2) * self.cols + self.cols // 2

    def coordinates(self, n: int | None = None) -> np.ndarray:
        """(n, 2) mesh coordinates (row, column) of the first ``n`` positions (default all)."""
        t = np.arange(self.size if n is None else n)
        return np.stack([t // self.cols, t % self.cols], axis=1)

    def hops(self, n: int | None = None) -> np.ndarray:
        """(n, n) int64 XY-routing hop counts between the first ``n`` positions (default all)."""
        return self.hops_between(np.arange(self.size if n is None else n))

    def hops_between(self, positions: np.ndarray) -> np.ndarray:
        """(k, k) int64 XY-routing hop counts between the ``k`` given positions (row-major
        numbers): ``hops()[np.ix_(positions, positions)]`` without the whole mesh's matrix."""
        t = np.asarray(positions, dtype=np.int64)
        y, x = t // self.cols, t % self.cols
        return np.abs(y[:, None] - y[None, :]) + np.abs(x[:, None] - x[None, :])


class MeshParams(Params):
    """The endurance stage's chip of crossbar tiles: minimum mesh, spike cost proxies, variation.

    ``rows x cols`` is the smallest mesh (5 x 5: SpiNeMap's default [code]); ``mesh(n)`` grows it
    to fit ``n`` clusters. ``hop_pj`` and ``hop_ns`` are also accepted under their former
    ``params.yaml`` names ``e_hop`` and ``t_hop``.
    """

    rows: int = Field(5, ge=1, le=1024, description="minimum mesh rows (grown to fit)")
    cols: int = Field(5, ge=1, le=1024, description="minimum mesh columns (grown to fit)")
    e_spike: float = Field(23.6, ge=0, description="energy to emit one spike in pJ")
    hop_pj: float = Field(3.0, ge=0, validation_alias=AliasChoices("hop_pj", "e_hop"),
                          description="energy of one spike crossing one router and link in pJ")
    hop_ns: float = Field(1.0, ge=0, validation_alias=AliasChoices("hop_ns", "t_hop"),
                          description="latency of one hop in ns")
    t_inject: float = Field(2.0, ge=0, description="latency to inject and eject a spike in ns")
    sigma_tile: float = Field(0.2, ge=0, description="log-normal endurance spread between tiles (std of ln)")
    sigma_cell: float = Field(0.1, ge=0, description="log-normal endurance spread between cells (std of ln)")

    def mesh(self, n_tiles: int = 0) -> Mesh:
        """``Mesh.fitting(rows, cols, n_tiles)``: the minimum mesh, grown to hold ``n_tiles``."""
        return Mesh.fitting(self.rows, self.cols, n_tiles)


def noc_cost(traffic: np.ndarray, tile_of: np.ndarray, mesh: Mesh, noc: MeshParams,
             total_spikes: float) -> tuple[float, float]:
    """NoC energy in pJ and mean inter-tile spike latency in ns of a placement (module docstring).

    Parameters
    ----------
    traffic : array (C, C)
        Spikes sent from cluster u to cluster v (diagonal ignored).
    tile_of : int array (C,)
        Tile of every cluster.
    mesh : Mesh
    noc : MeshParams
        ``e_spike``, ``hop_pj``, ``hop_ns`` and ``t_inject``.
    total_spikes : float
        Every spike emitted by the workload (placement independent).
    """
    traffic = np.asarray(traffic, dtype=np.float64).copy()
    np.fill_diagonal(traffic, 0.0)
    h = mesh.hops_between(tile_of)
    hop_spikes = float((traffic * h).sum())
    inter = float(traffic.sum())
    energy = noc.e_spike * total_spikes + noc.hop_pj * hop_spikes
    latency = noc.t_inject + (noc.hop_ns * hop_spikes / inter if inter > 0 else 0.0)
    return energy, latency


def tile_endurance(nominal: np.ndarray, mesh: Mesh, noc: MeshParams, seed: int) -> np.ndarray:
    """(mesh.size, n, n) endurance maps in writes: ``nominal`` times log-normal tile and cell factors."""
    rng = np.random.default_rng(seed)
    tile = rng.normal(0.0, noc.sigma_tile, mesh.size)
    cell = rng.normal(0.0, noc.sigma_cell, (mesh.size, *nominal.shape))
    return nominal[None] * np.exp(tile[:, None, None] + cell)
