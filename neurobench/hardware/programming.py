"""Programming the weights of a crossbar chip: write-and-verify pulses, time and energy [inferred].

A weight is programmed into its cell by iterative write-and-verify: a programming pulse
followed by a read (verify) until the conductance is within the target level's tolerance. The
number of pulses grows with the levels a cell must distinguish; we take it as one device
constant per programmed cell, ``pulses_per_cell`` (a few for a binary cell, tens for an analog
multi-level one; the literature reports both, [inferred] defaults)::

    P      = pulses_per_cell * cells                                   (pulses)
    E_prog = P * (pulse_pj + verify_pj)                                (pJ)
    T_prog = pulses_per_cell * (pulse_ns + verify_ns) * max_t cells_t  (ns)

Cells of one crossbar are programmed one at a time (the half-select bias schemes of
``neurobench.hardware.crossbar`` select one cell), all crossbars (tiles) in parallel, so the
time is set by the tile holding the most programmed cells ``cells_t``. A cell is a synapse
with a non-zero weight; a differential pair (``cells_per_weight = 2``) programs two.

Every number of this module is our reconstruction: no paper of the workbench gives a
programming model, and the defaults are round orders of magnitude for PCM and RRAM cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import Field

from ..schema import Params

__all__ = ["ProgrammingCost", "ProgrammingParams", "programming_cost"]


class ProgrammingParams(Params):
    """Write-and-verify costs of one cell (all [inferred], see the module docstring)."""

    pulses_per_cell: float = Field(10.0, gt=0, description="write-and-verify pulses to program one cell to its level")
    pulse_ns: float = Field(100.0, ge=0, description="duration of one programming pulse in ns")
    verify_ns: float = Field(50.0, ge=0, description="duration of the verify read after a pulse in ns")
    pulse_pj: float = Field(20.0, ge=0, description="energy of one programming pulse in pJ")
    verify_pj: float = Field(1.0, ge=0, description="energy of one verify read in pJ")


@dataclass(frozen=True)
class ProgrammingCost:
    """Pulses, time (ns) and energy (pJ) of programming every cell of a mapped network once."""

    cells: int
    pulses: float
    time_ns: float
    energy_pj: float


def programming_cost(cells_per_tile: np.ndarray, params: ProgrammingParams,
                     cells_per_weight: int = 1) -> ProgrammingCost:
    """Cost of programming a network whose tiles hold ``cells_per_tile`` (T,) programmed
    synapses, ``cells_per_weight`` cells per synapse (module docstring)."""
    cells = np.asarray(cells_per_tile, dtype=np.int64) * int(cells_per_weight)
    total = int(cells.sum())
    per_cell_ns = params.pulses_per_cell * (params.pulse_ns + params.verify_ns)
    pulses = params.pulses_per_cell * total
    return ProgrammingCost(
        cells=total, pulses=float(pulses),
        time_ns=float(per_cell_ns * (cells.max() if cells.size else 0)),
        energy_pj=float(pulses * (params.pulse_pj + params.verify_pj)),
    )
