"""The conversion stages' params section (Mern et al.'s layer-wise LPs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from ...conversion.constraints import Analog, ChipConstraints
from ...neurons import NeuronParams
from ...schema import AtLeastOne, Folder, NonNegative, Params
from ...units import rate_fits_time_step

ConvertedNetwork = Literal["mlp", "cnn", "regression"]


class ConversionEpochsSection(Params):
    """Training epochs of each stand-in ANN (``neurobench.ann.train``)."""

    mlp: int = Field(60, ge=1, le=10_000)
    cnn: int = Field(60, ge=1, le=10_000)
    regression: int = Field(100, ge=1, le=10_000)


class ConversionPruningSection(Params):
    """Node pruning experiment: one hidden Dense layer pruned to each size by each method."""

    network: ConvertedNetwork = Field("mlp", description="network whose hidden layer is pruned")
    layer: int = Field(0, ge=0, description="index of the pruned hidden Dense layer")
    sizes: list[AtLeastOne] = Field([75, 50, 25, 10], min_length=1, description="neurons kept")
    methods: list[Literal["group_lp", "greedy", "random", "milp"]] = Field(
        ["group_lp", "greedy", "random"], min_length=1, description="selection methods")
    milp_network: ConvertedNetwork = Field("regression", description="small network for the exact MILP selection")
    milp_layer: int = Field(1, ge=0, description="its pruned hidden Dense layer")
    milp_sizes: list[AtLeastOne] = Field([4, 8, 12], description="neurons kept (empty: no MILP experiment)")
    family: str = Field("analog", description="constraint family (a key of conversion.families)")
    time_limit: float = Field(120.0, gt=0, description="seconds per HiGHS call of a selection")


class ConversionEvaluateSection(Params):
    """How the converted networks are evaluated."""

    steps: list[AtLeastOne] = Field([10, 25, 50, 100, 200], min_length=1, description="simulation lengths swept, in steps")
    test_samples: int = Field(0, ge=0, description="test samples evaluated (0 = all)")
    brian_samples: int = Field(8, ge=1, le=1024, description="test samples also run in Brian2, per network")
    brian_target: Literal["numpy", "cython"] = Field("numpy", description="Brian2 code generation target")
    readout: Literal["count", "potential"] = Field(
        "count", description="read-out of the results and claims, the same for LP and baseline networks: output "
                             "spike counts, or the charge of a non-spiking output layer (both are always swept)")


class ConversionPenaltySection(Params):
    """Weight-penalty sweep: one network converted under one family with each penalty weight
    (replicate 0 only), to show how the penalty trades calibration fit for test error."""

    network: ConvertedNetwork = Field("mlp", description="network converted with each penalty")
    family: str = Field("analog", description="constraint family (a key of conversion.families)")
    penalties: list[NonNegative] = Field([], description="weight_penalty values swept (>= 0; empty: no sweep)")


class ConversionSection(Params):
    """The conversion stages (train -> convert -> evaluate) of Mern et al.'s layer-wise LPs."""

    networks: list[ConvertedNetwork] = Field(["mlp", "cnn", "regression"], min_length=1, description="ANNs trained and converted")
    data_seed: int = Field(0, ge=0, description="seed of the train/test splits")
    train_seed: int = Field(0, ge=0, description="seed of weight initialisation and batch order")
    epochs: ConversionEpochsSection = Field(default_factory=ConversionEpochsSection)
    calibration_samples: int = Field(300, ge=10, le=100_000, description="training samples the solver fits")
    objective: Literal["l1", "linf", "ls"] = Field("l1", description="per-neuron error norm")
    neuron: NeuronParams = Field(default_factory=NeuronParams, description="SNN neurons (IF with reset by subtraction, as in rate conversion)")
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="steps of calibration and evaluation runs")
    input_rate: float = Field(500.0, gt=0, description="rate of an input of value 1 in Hz, at most 1000/dt")
    max_rate: float = Field(500.0, gt=0, description="rate of a layer's reference activation in Hz, at most 1000/dt")
    percentile: float = Field(99.9, gt=0, le=100, description="activation percentile that sets each layer's scale")
    conv_positions: int = Field(8, ge=1, le=1024, description="output positions sampled per image for conv problems")
    seed: int = Field(0, ge=0, description="seed of position sampling and random pruning")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r derives data_seed, train_seed "
                                                      "and seed with neurobench.seeds.child_seed(., r)")
    families: dict[str, ChipConstraints] = Field(
        default_factory=lambda: {"analog": Analog(w_min=-8.0, w_max=8.0)},
        description="chip constraint families by name (neurobench.conversion.constraints)")
    conversions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="families each network is converted under (a network not listed: every family)")
    pruning: ConversionPruningSection = Field(default_factory=ConversionPruningSection)
    penalty: ConversionPenaltySection = Field(default_factory=ConversionPenaltySection)
    evaluate: ConversionEvaluateSection = Field(default_factory=ConversionEvaluateSection)
    models_dir: Folder = Field("models/conversion", description="folder of the trained ANNs and converted SNNs")

    _input_rate_fits = field_validator("input_rate")(rate_fits_time_step)
    _max_rate_fits = field_validator("max_rate")(rate_fits_time_step)

    @field_validator("networks")
    @classmethod
    def _distinct_networks(cls, networks: list[str]) -> list[str]:
        if len(set(networks)) != len(networks):
            raise ValueError("each network may be listed once")
        return networks

    @field_validator("families")
    @classmethod
    def _family_names(cls, families: dict[str, ChipConstraints]) -> dict[str, ChipConstraints]:
        if not families:
            raise ValueError("needs at least one constraint family")
        for name in families:
            if not name.replace("_", "").isalnum():
                raise ValueError(f"family name {name!r} must be letters, digits and underscores")
        return families

    @field_validator("conversions")
    @classmethod
    def _conversions_are_listed(cls, conversions: dict[str, list[str]], info: ValidationInfo):
        if "families" not in info.data:  # invalid families: already reported
            return conversions
        networks, families = info.data.get("networks") or [], info.data["families"]
        for network, names in conversions.items():
            if network not in networks:
                raise ValueError(f"{network!r} is not one of conversion.networks ({', '.join(networks)})")
            unknown = [n for n in names if n not in families]
            if unknown or not names:
                raise ValueError(f"{network}: families must be a non-empty list of keys of conversion.families "
                                 f"({', '.join(families)}), got {names}")
        return conversions

    @field_validator("pruning")
    @classmethod
    def _pruning_family_is_listed(cls, pruning: ConversionPruningSection, info: ValidationInfo):
        families = info.data.get("families")
        if families is not None and pruning.family not in families:
            raise ValueError(f"pruning.family {pruning.family!r} is not a key of conversion.families ({', '.join(families)})")
        return pruning

    @field_validator("penalty")
    @classmethod
    def _penalty_family_is_listed(cls, penalty: ConversionPenaltySection, info: ValidationInfo):
        families = info.data.get("families")
        if penalty.penalties and families is not None and penalty.family not in families:
            raise ValueError(f"penalty.family {penalty.family!r} is not a key of conversion.families ({', '.join(families)})")
        return penalty

    def families_of(self, network: str) -> list[str]:
        """The constraint families ``network`` is converted under."""
        return list(self.conversions.get(network, self.families))


SECTION_SCHEMA = ConversionSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
