"""Hardware models: memristive crossbar circuits, device endurance laws, tiles on a mesh."""

from .crossbar import CrossbarParams, bias_voltages, program_currents, read_voltages, series_currents
from .endurance import PcmEndurance, endurance_map, pcm_endurance
from .mesh import MeshParams, mesh_for, noc_cost, tile_endurance
from .rram import (
    RramReadParams,
    inference_lifetime,
    positional_read_endurance,
    read_endurance,
    weight_resistance,
)

__all__ = [
    "CrossbarParams", "MeshParams", "PcmEndurance", "RramReadParams", "bias_voltages",
    "endurance_map", "inference_lifetime", "mesh_for", "noc_cost", "pcm_endurance",
    "positional_read_endurance", "program_currents", "read_endurance", "read_voltages",
    "series_currents", "tile_endurance", "weight_resistance",
]
