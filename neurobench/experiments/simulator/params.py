"""The ``simulator`` stage's params section: the clock simulator against Brian2."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ...network import RandomNetworkParams
from ...neurons import NeuronParams
from ...schema import Params
from ...units import rate_fits_time_step


class SimulatorSection(Params):
    """The ``simulator`` stage: neurobench's clock-driven simulator against Brian2."""

    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="number of time steps")
    batch_size: int = Field(32, ge=1, le=4096, description="test samples simulated")
    max_rate: float = Field(200.0, gt=0, description="Poisson rate of a pixel of value 1 in Hz, at most 1000/dt")
    input_seed: int = Field(3, ge=0, description="seed of the Poisson input spikes")
    neuron: NeuronParams = Field(default_factory=NeuronParams)
    network: RandomNetworkParams = Field(default_factory=RandomNetworkParams)
    brian_target: Literal["numpy", "cython"] = Field("numpy", description="Brian2 code generation target")

    _rate_fits_time_step = field_validator("max_rate")(rate_fits_time_step)


SECTION_SCHEMA = SimulatorSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
