"""The ``deploy`` stage's params section: the network, the flow's settings and the chip candidates.

``DeploySection`` composes the conversion settings of ``neurobench.conversion`` (objective,
rate mapping), the mapping's ``PsoParams`` and the candidates (``chips``: name -> chip, see
``neurobench.experiments.deploy.chips``). Validating the section also checks every candidate
(``neurobench.experiments.deploy.check``): an impossible one stops the stage with one message
naming it and the reason, before anything is computed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ...mapping.placement import PsoParams
from ...schema import Folder, Params
from ...units import rate_fits_time_step
from .check import impossible_reason
from .chips import AnalogMacChip, Chip, SpikingChip, default_chips
from .source import nir_mlp_shape, read_source

N_INPUTS, N_CLASSES = 64, 10
"""The embedded 8x8 digits: inputs and classes of the deployed MLP."""

INPUT_FILES = ("network.source",)
"""Keys whose value, when it names a file (a NIR network), is an input of the stages that read
them: ``python -m neurobench.deps write`` adds the file to their ``deps`` in ``dvc.yaml``."""


class DeployNetworkParams(Params):
    """The trained network: an MLP ``64 -> hidden -> 10`` on the embedded digits (``neurobench.ann``)."""

    hidden: int = Field(48, ge=1, le=4096, description="hidden neurons of the trained MLP")
    epochs: int = Field(10, ge=1, le=10_000, description="training epochs (Adam, cosine decay)")
    train_seed: int = Field(0, ge=0, description="seed of weight initialisation and batch order")
    data_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    min_hidden: int = Field(10, ge=1, description="fewest hidden neurons pruning may keep")
    source: str = Field("train", min_length=1, description="'train': the MLP trained here; else the path of a .nir "
                                                           "file whose two-layer dense SNN is deployed (read as its "
                                                           "rate-equivalent ANN; hidden is then the file's)")

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if v != "train" and not v.endswith(".nir"):
            raise ValueError(f"source = {v!r} is not allowed: 'train' or the path of a .nir file")
        return v

    @model_validator(mode="after")
    def _min_below_hidden(self) -> "DeployNetworkParams":
        if self.min_hidden > self.hidden:
            raise ValueError(f"min_hidden = {self.min_hidden} is not allowed: must be <= hidden = {self.hidden}")
        return self


class DeploySweepParams(Params):
    """Factors applied to each number's dominant assumption (one sweep per number)."""

    factors: list[float] = Field([0.25, 0.5, 1.0, 2.0, 4.0], min_length=2,
                                 description="multipliers of the assumption's value")
    temperatures: list[float] = Field([300.0, 330.0, 360.0], min_length=1,
                                      description="chip temperatures of the RRAM lifetime sweep in K")

    @field_validator("factors")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        if any(not f > 0 for f in v):
            raise ValueError(f"factors = {v} is not allowed: every factor must be > 0")
        return v

    @field_validator("temperatures")
    @classmethod
    def _kelvin(cls, v: list[float]) -> list[float]:
        if any(not t > 0 for t in v):
            raise ValueError(f"temperatures = {v} is not allowed: every temperature must be > 0 K")
        return v


class DeploySection(Params):
    """The ``deploy`` stage: one trained network, each candidate chip, one row per candidate."""

    network: DeployNetworkParams = Field(default_factory=DeployNetworkParams)
    calibration_samples: int = Field(120, ge=10, le=100_000, description="training samples the converter fits")
    objective: Literal["l1", "linf", "ls"] = Field("l1", description="per-neuron error norm of the conversion")
    prune_method: Literal["group_lp", "greedy", "random"] = Field("greedy", description="how pruning picks the "
                                                                                       "kept hidden neurons")
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(64, ge=1, le=100_000, description="steps per inference (calibration and test)")
    input_rate: float = Field(500.0, gt=0, description="rate of an input of value 1 in Hz, at most 1000/dt")
    max_rate: float = Field(500.0, gt=0, description="rate of a layer's reference activation in Hz, at most 1000/dt")
    percentile: float = Field(99.9, gt=0, le=100, description="activation percentile that sets each layer's scale")
    test_samples: int = Field(0, ge=0, description="test samples of accuracy and agreement (0 = all)")
    timing_samples: int = Field(16, ge=1, le=1000, description="test samples whose spike trains drive the mapping "
                                                               "and the many-core model")
    brian_samples: int = Field(4, ge=0, le=1000, description="test samples of the clock vs Brian2 check "
                                                             "(replicate 0; 0 = skip)")
    pso: PsoParams = Field(default_factory=lambda: PsoParams(particles=12, iterations=20),
                           description="placement swarm (eSpine / SpiNeMap PSO)")
    mapping_seed: int = Field(0, ge=0, description="root seed of partitioning, tile variation and PSO")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of "
                                                      "network.train_seed, network.data_seed and mapping_seed")
    sweep: DeploySweepParams = Field(default_factory=DeploySweepParams)
    chips: dict[str, Chip] = Field(default_factory=default_chips, description="candidate chips by name")
    models_dir: Folder = Field("models/deploy", description="folder of each candidate's results "
                                                            "(<name>/result.json, <name>/<name>.nir)")

    _input_rate_fits = field_validator("input_rate")(rate_fits_time_step)
    _max_rate_fits = field_validator("max_rate")(rate_fits_time_step)

    @field_validator("chips")
    @classmethod
    def _names(cls, chips: dict[str, SpikingChip | AnalogMacChip]) -> dict:
        if not chips:
            raise ValueError("needs at least one candidate chip")
        for name in chips:
            if not name.replace("_", "").isalnum():
                raise ValueError(f"chip name {name!r} is not allowed: letters, digits and underscores")
        return chips

    @model_validator(mode="after")
    def _possible(self) -> "DeploySection":
        n_in, hidden, n_out = self.network_shape()
        min_hidden = min(self.network.min_hidden, hidden)
        for name, chip in self.chips.items():
            why = impossible_reason(chip, n_in, hidden, n_out, min_hidden, self.dt, self.max_rate)
            if why:
                raise ValueError(f"chip {name!r} is impossible: {why}")
        return self

    def network_shape(self) -> tuple[int, int, int]:
        """``(n_in, hidden, n_out)`` of the network to deploy: the trained MLP's, or the NIR file's
        (read here; a missing or unsuitable file is an error naming ``network.source``)."""
        if self.network.source == "train":
            return N_INPUTS, self.network.hidden, N_CLASSES
        try:
            shape = nir_mlp_shape(read_source(self.network.source))
        except (OSError, ValueError) as err:
            raise ValueError(f"network.source = {self.network.source!r} is not allowed: {err}") from None
        if (shape[0], shape[2]) != (N_INPUTS, N_CLASSES):
            raise ValueError(f"network.source = {self.network.source!r} is not allowed: its network maps {shape[0]} "
                             f"inputs to {shape[2]} outputs, the digits need {N_INPUTS} -> {N_CLASSES}")
        return shape

    def computed(self) -> dict[str, SpikingChip | AnalogMacChip]:
        """Every candidate, by name (all are computed)."""
        return dict(self.chips)


SECTION_SCHEMA = DeploySection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
