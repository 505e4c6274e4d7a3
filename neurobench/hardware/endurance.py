"""PCM write endurance of each cell from its programming current (reconstructed laws).

eSpine's current-to-endurance law is not available (``docs/papers/endurance_mapping.md`` §4,
open question Q4): both laws here are our reconstructions [inferred], consistent with the
direction stated by the group (IGSC'20): cells on short current paths receive more current,
program faster and endure fewer writes.

* ``"power"`` : ``E = e_ref (I / i_ref)^(-exponent)`` writes;
* ``"arrhenius"`` (self-heating) : ``T = t_amb + r_th I^2 R``, ``E = e_ref exp[(e_a / k_B)
  (1 / T - 1 / T_ref)]`` with ``T_ref = t_amb + r_th i_ref^2 R`` the temperature at the
  reference current, so both laws give ``e_ref`` at ``i_ref``.

``i_ref`` defaults to the ideal Ohm's-law current ``v_prog / r_cell`` of the crossbar (a cell
with no wire loss), so ``e_ref`` is the endurance of an ideal cell. ``e_ref = 1e7`` writes is
the low end of the PCM range of Qureshi et al. [secondary]; the exponent 2 is ours.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from ..schema import Params
from ..units import K_B_EV
from .crossbar import CrossbarParams, program_currents


class PcmEndurance(Params):
    """Parameters of the PCM endurance law (all reconstructions, see module docstring).

    ``e_ref = 1e7`` writes is the low end of the PCM range [secondary]; the exponent 2, the
    thermal resistance 3e6 K/W (about 300 K of self-heating for 100 uA in 10 kohm) and the
    activation energy 0.3 eV are [inferred].
    """

    law: Literal["power", "arrhenius"] = Field("power", description="current-to-endurance law")
    e_ref: float = Field(1e7, gt=0, description="endurance at the reference current in writes")
    i_ref: float | None = Field(None, gt=0, description="reference current in A (None: the crossbar's ideal v_prog / r_cell)")
    exponent: float = Field(2.0, ge=0, description="power-law exponent")
    t_amb: float = Field(300.0, gt=0, description="ambient temperature in K")
    r_th: float = Field(3e6, ge=0, description="cell thermal resistance in K/W")
    e_a: float = Field(0.3, ge=0, description="activation energy of the failure mechanism in eV")


def pcm_endurance(current: np.ndarray, law: PcmEndurance, i_ref: float,
                  r_cell: float | np.ndarray = 10e3) -> np.ndarray:
    """Write endurance (number of programming cycles) of cells programmed with ``current`` A.

    Parameters
    ----------
    current : array
        Programming current of each cell in A (from ``crossbar.program_currents``), > 0.
    law : PcmEndurance
    i_ref : float
        Reference current in A (``law.i_ref`` overrides it when set).
    r_cell : float or array
        Cell resistance in ohm (self-heating law only).
    """
    i = np.abs(np.asarray(current, dtype=np.float64))
    i_ref = law.i_ref if law.i_ref is not None else i_ref
    if law.law == "power":
        with np.errstate(divide="ignore"):
            return law.e_ref * (i / i_ref) ** (-law.exponent)
    t = law.t_amb + law.r_th * i**2 * r_cell
    t_ref = law.t_amb + law.r_th * i_ref**2 * r_cell
    return law.e_ref * np.exp(law.e_a / K_B_EV * (1.0 / t - 1.0 / t_ref))


def endurance_map(params: CrossbarParams, law: PcmEndurance, g: np.ndarray | None = None) -> np.ndarray:
    """Per-cell write endurance (n, n) of a crossbar: nodal programming currents through ``law``.

    The reference current is the ideal
    ``params.v_prog / params.r_cell`` unless ``law.i_ref`` is set.
    """
    current = program_currents(params, g)
    r = params.r_cell if g is None else 1.0 / np.asarray(g)
    return pcm_endurance(current, law, params.v_prog / params.r_cell, r)
