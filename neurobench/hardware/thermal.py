"""A thermal profile over the tiles of a mesh and the Arrhenius factor it puts on endurance.

Temperature shortens both PCM write endurance and RRAM read endurance [paper: read-endurance
abstract; thermal-aware sibling arXiv:2010.04773]. A chip is not at one temperature: tiles in the
middle of the mesh are surrounded by active neighbours and run hotter than those at the edge.
Our profile [inferred] is radial and linear in the distance ``d`` of a tile from the mesh
centre (in tile pitches)::

    T(tile) = t_edge + (t_centre - t_edge) (1 - d / d_max)           (K)

with ``d_max`` the distance of a corner tile, so the centre is at ``t_centre_k`` and the corners
at ``t_edge_k``; ``t_centre_k == t_edge_k`` is a uniform chip. A tile at ``T`` multiplies the
endurance of every one of its cells by the Arrhenius factor (relative to ``t_ref``)::

    f(T) = exp[(e_a / k_B) (1 / T - 1 / t_ref)]                      (dimensionless)

which is < 1 above ``t_ref``. The factor is uniform within a tile, so it does not change which
cell ordering is best inside a crossbar; it changes which tile a cluster should go to.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from ..schema import Params
from ..units import K_B_EV
from .mesh import Mesh

__all__ = ["ThermalParams", "arrhenius_factor", "tile_temperatures"]


class ThermalParams(Params):
    """A radial thermal profile over the mesh (module docstring; defaults [inferred]: a 30 K
    rise at the centre, the order of the group's thermal-aware study's temperature spread)."""

    t_centre_k: float = Field(330.0, gt=0, le=1000, description="temperature of the mesh centre in K")
    t_edge_k: float = Field(300.0, gt=0, le=1000, description="temperature of the mesh corners in K")

    @property
    def uniform(self) -> bool:
        """True when every tile is at the same temperature."""
        return self.t_centre_k == self.t_edge_k


def tile_temperatures(mesh: Mesh, profile: ThermalParams) -> np.ndarray:
    """Temperature in K of every tile of ``mesh`` (row-major positions) under ``profile``."""
    xy = mesh.coordinates().astype(np.float64)
    centre = np.array([(mesh.rows - 1) / 2, (mesh.cols - 1) / 2])
    d = np.hypot(*(xy - centre).T)
    d_max = float(np.hypot(*centre))
    frac = 1.0 - d / d_max if d_max > 0 else np.ones_like(d)
    return profile.t_edge_k + (profile.t_centre_k - profile.t_edge_k) * frac


def arrhenius_factor(temperature, e_a: float, t_ref: float) -> np.ndarray:
    """``exp[(e_a / k_B)(1 / T - 1 / t_ref)]`` for temperatures ``T`` in K, ``e_a`` in eV, ``t_ref`` in K."""
    t = np.asarray(temperature, dtype=np.float64)
    return np.exp(e_a / K_B_EV * (1.0 / t - 1.0 / t_ref))
