"""The typed schema of ``params.yaml``: every section is validated before its stage computes.

Each stage of ``dvc.yaml`` reads one or more top-level sections of ``params.yaml``. A section is
checked against its pydantic model here (strict types, unknown keys forbidden, ranges with
units), and any problem becomes one ``ConfigError`` whose message names the key path, the value
given and what is allowed, e.g.::

    params.yaml: simulator.dt = -1.0 is not allowed: must be > 0 (time step in ms)

Run ``python -m neurobench.config [params.yaml] [section ...]`` to check a file by hand; it
exits with status 2 and that message on the first invalid section.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

DEFAULT_PARAMS = Path("params.yaml")


class ConfigError(ValueError):
    """An invalid or unreadable ``params.yaml``; the message names the key path."""


class Section(BaseModel):
    """Base of every params section: strict types, no unknown keys, frozen once validated."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


def _rate_below_one_per_step(cls, max_rate: float, info: ValidationInfo) -> float:
    """A rate code can emit at most one spike per time step: max_rate <= 1000 / dt Hz."""
    dt = info.data.get("dt")
    if dt is not None and max_rate > 1000.0 / dt:
        raise ValueError(f"must be at most 1/dt = {1000.0 / dt:g} Hz for dt = {dt} ms")
    return max_rate


class NeuronSection(Section):
    """Neuron parameters (see ``neurobench.neurons.NeuronParams``)."""

    model: Literal["if", "lif"] = Field("lif", description="neuron model")
    v_th: float = Field(1.0, gt=0, description="firing threshold in mV")
    reset: Literal["zero", "subtract"] = Field("subtract", description="reset mode")
    tau_m: float = Field(20.0, gt=0, description="membrane time constant in ms")
    t_ref: float = Field(0.0, ge=0, description="refractory period in ms")
    tau_syn: float = Field(0.0, ge=0, description="synaptic time constant in ms (0 = delta synapses)")

    def to_params(self):
        from .neurons import NeuronParams

        return NeuronParams(**self.model_dump())


class EncodingSection(Section):
    """How static images become spike trains (``neurobench.data.encoders``)."""

    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="number of time steps")
    max_rate: float = Field(200.0, gt=0, description="rate of a pixel of value 1 in Hz, at most 1000/dt")
    poisson_seed: int = Field(1, ge=0, description="seed of the Poisson encoder")
    latency_tau: float = Field(5.0, gt=0, description="RC time constant of the log latency code in ms")
    latency_mode: Literal["linear", "log"] = Field("linear", description="latency code")
    saccade_amplitude: float = Field(1.5, gt=0, le=8, description="saccade length in pixels")
    saccade_threshold: float = Field(0.15, gt=0, le=2, description="DVS contrast threshold (log intensity)")
    saccade_steps: int = Field(30, ge=3, le=10_000, description="time steps of the saccade recording")
    saccade_seed: int = Field(2, ge=0, description="seed of the saccade path jitter")

    _rate_fits_time_step = field_validator("max_rate")(_rate_below_one_per_step)


def _known_datasets() -> tuple[str, ...]:
    from .data import DATASETS

    return tuple(DATASETS)


class DataSection(Section):
    """The ``data`` stage: which data set, how it is split, how it is encoded and shown."""

    dataset: str = Field("digits", description="data set name")
    root: str = Field("data/raw", description="folder of downloaded data sets")
    test_fraction: float = Field(0.25, gt=0, lt=1, description="share of samples held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    n_examples: int = Field(8, ge=1, le=64, description="samples shown per figure")
    encoding: EncodingSection = Field(default_factory=EncodingSection)

    @field_validator("dataset")
    @classmethod
    def _dataset_is_registered(cls, name: str) -> str:
        known = _known_datasets()
        if name not in known:
            raise ValueError(f"unknown dataset {name!r}; known: {', '.join(known)}")
        return name


class NetworkSection(Section):
    """The default conv -> avg-pool -> dense network with random weights."""

    conv_channels: int = Field(4, ge=1, le=256)
    kernel_size: int = Field(3, ge=1, le=7)
    pool: int = Field(2, ge=1, le=4)
    weight_gain: float = Field(1.5, gt=0, description="scale of the He-initialised weights")
    weight_seed: int = Field(0, ge=0)


class SimulatorSection(Section):
    """The ``simulator`` stage: neurobench's clock-driven simulator against Brian2."""

    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="number of time steps")
    batch_size: int = Field(32, ge=1, le=4096, description="test samples simulated")
    max_rate: float = Field(200.0, gt=0, description="Poisson rate of a pixel of value 1 in Hz, at most 1000/dt")
    input_seed: int = Field(3, ge=0, description="seed of the Poisson input spikes")
    neuron: NeuronSection = Field(default_factory=NeuronSection)
    network: NetworkSection = Field(default_factory=NetworkSection)
    brian_target: Literal["numpy", "cython"] = Field("numpy", description="Brian2 code generation target")

    _rate_fits_time_step = field_validator("max_rate")(_rate_below_one_per_step)


ConvertedNetwork = Literal["mlp", "cnn", "regression"]


class ConversionEpochsSection(Section):
    """Training epochs of each stand-in ANN (``neurobench.ann.train``)."""

    mlp: int = Field(60, ge=1, le=10_000)
    cnn: int = Field(60, ge=1, le=10_000)
    regression: int = Field(100, ge=1, le=10_000)


class ConversionPruningSection(Section):
    """Node pruning experiment: one hidden Dense layer pruned to each size by each method."""

    network: ConvertedNetwork = Field("mlp", description="network whose hidden layer is pruned")
    layer: int = Field(0, ge=0, description="index of the pruned hidden Dense layer")
    sizes: list[int] = Field([75, 50, 25, 10], min_length=1, description="neurons kept")
    methods: list[Literal["group_lp", "greedy", "random", "milp"]] = Field(
        ["group_lp", "greedy", "random"], min_length=1, description="selection methods")
    milp_network: ConvertedNetwork = Field("regression", description="small network for the exact MILP selection")
    milp_layer: int = Field(1, ge=0, description="its pruned hidden Dense layer")
    milp_sizes: list[int] = Field([4, 8, 12], description="neurons kept (empty: no MILP experiment)")
    family: str = Field("analog", description="constraint family (a key of conversion.families)")
    time_limit: float = Field(120.0, gt=0, description="seconds per HiGHS call of a selection")

    @field_validator("sizes", "milp_sizes")
    @classmethod
    def _positive_sizes(cls, sizes: list[int]) -> list[int]:
        if any(k < 1 for k in sizes):
            raise ValueError("every size must be >= 1 neuron")
        return sizes


class ConversionEvaluateSection(Section):
    """How the converted networks are evaluated."""

    steps: list[int] = Field([10, 25, 50, 100, 200], min_length=1, description="simulation lengths swept, in steps")
    test_samples: int = Field(0, ge=0, description="test samples evaluated (0 = all)")
    brian_samples: int = Field(8, ge=1, le=1024, description="test samples also run in Brian2, per network")
    brian_target: Literal["numpy", "cython"] = Field("numpy", description="Brian2 code generation target")

    @field_validator("steps")
    @classmethod
    def _positive_steps(cls, steps: list[int]) -> list[int]:
        if any(n < 1 for n in steps):
            raise ValueError("every simulation length must be >= 1 step")
        return steps


def _conversion_neuron() -> "NeuronSection":
    return NeuronSection(model="if", reset="subtract")


class ConversionSection(Section):
    """The conversion stages (train -> convert -> evaluate) of Mern et al.'s layer-wise LPs."""

    networks: list[ConvertedNetwork] = Field(["mlp", "cnn", "regression"], min_length=1, description="ANNs trained and converted")
    data_seed: int = Field(0, ge=0, description="seed of the train/test splits")
    train_seed: int = Field(0, ge=0, description="seed of weight initialisation and batch order")
    epochs: ConversionEpochsSection = Field(default_factory=ConversionEpochsSection)
    calibration_samples: int = Field(300, ge=10, le=100_000, description="training samples the solver fits")
    objective: Literal["l1", "linf", "ls"] = Field("l1", description="per-neuron error norm")
    neuron: NeuronSection = Field(default_factory=_conversion_neuron)
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=1, le=100_000, description="steps of calibration and evaluation runs")
    input_rate: float = Field(500.0, gt=0, description="rate of an input of value 1 in Hz, at most 1000/dt")
    max_rate: float = Field(500.0, gt=0, description="rate of a layer's reference activation in Hz, at most 1000/dt")
    percentile: float = Field(99.9, gt=0, le=100, description="activation percentile that sets each layer's scale")
    conv_positions: int = Field(8, ge=1, le=1024, description="output positions sampled per image for conv problems")
    seed: int = Field(0, ge=0, description="seed of position sampling and random pruning")
    families: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"analog": {"family": "analog", "w_min": -8.0, "w_max": 8.0}},
        description="chip constraint families by name (neurobench.conversion.constraints)")
    conversions: dict[str, list[str]] = Field(
        default_factory=dict,
        description="families each network is converted under (a network not listed: every family)")
    pruning: ConversionPruningSection = Field(default_factory=ConversionPruningSection)
    evaluate: ConversionEvaluateSection = Field(default_factory=ConversionEvaluateSection)
    models_dir: str = Field("models/conversion", description="folder of the trained ANNs and converted SNNs")

    _input_rate_fits = field_validator("input_rate")(_rate_below_one_per_step)
    _max_rate_fits = field_validator("max_rate")(_rate_below_one_per_step)

    @field_validator("networks")
    @classmethod
    def _distinct_networks(cls, networks: list[str]) -> list[str]:
        if len(set(networks)) != len(networks):
            raise ValueError("each network may be listed once")
        return networks

    @field_validator("families")
    @classmethod
    def _families_are_valid(cls, families: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from .conversion.constraints import constraints_from_dict

        if not families:
            raise ValueError("needs at least one constraint family")
        for name, spec in families.items():
            if not name.replace("_", "").isalnum():
                raise ValueError(f"family name {name!r} must be letters, digits and underscores")
            try:
                constraints_from_dict(spec)
            except (ValueError, TypeError) as err:
                raise ValueError(f"{name}: {err}") from None
        return families

    @field_validator("conversions")
    @classmethod
    def _conversions_are_listed(cls, conversions: dict[str, list[str]], info: ValidationInfo):
        networks, families = info.data.get("networks") or [], info.data.get("families") or {}
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

    def families_of(self, network: str) -> list[str]:
        """The constraint families ``network`` is converted under."""
        return list(self.conversions.get(network, self.families))

    def constraints(self, name: str):
        """The constraint family object named ``name``."""
        from .conversion.constraints import constraints_from_dict

        return constraints_from_dict(self.families[name])


class MulticoreCostSection(Section):
    """Per-operation costs of the many-core chip model (``neurobench.hardware.multicore.CostModel``)."""

    syn_event_ns: float = Field(2.0, ge=0, description="time of one synaptic event in ns")
    syn_event_pj: float = Field(20.0, ge=0, description="energy of one synaptic event in pJ")
    neuron_update_ns: float = Field(5.0, ge=0, description="time of one neuron update in ns")
    neuron_update_pj: float = Field(50.0, ge=0, description="energy of one neuron update in pJ")
    hop_ns: float = Field(5.0, ge=0, description="latency of one mesh hop in ns")
    hop_pj: float = Field(4.0, ge=0, description="energy of one packet crossing one mesh hop in pJ")
    static_mw: float = Field(1.0, ge=0, description="static power of one core in mW")
    barrier_ns: float = Field(100.0, ge=0, description="fixed latency of the global barrier per step in ns")

    def to_cost_model(self):
        from .hardware.multicore import CostModel

        return CostModel(**self.model_dump())


class MulticoreSection(Section):
    """The ``multicore`` stage: global-barrier vs asynchronous many-core execution (Chen et al. 2024)."""

    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    n_steps: int = Field(100, ge=2, le=100_000, description="time steps per sample")
    batch_size: int = Field(8, ge=1, le=4096, description="test samples run back to back on the chip")
    max_rate: float = Field(200.0, gt=0, description="Poisson rate of a pixel of value 1 in Hz, at most 1000/dt")
    input_seed: int = Field(3, ge=0, description="seed of the Poisson input spikes")
    split_seed: int = Field(0, ge=0, description="seed of the digits train/test split")
    test_fraction: float = Field(0.25, gt=0, lt=1, description="share of digits held out for testing")
    n_cores: int = Field(16, ge=1, le=4096, description="cores of the chip (square-ish 2-D mesh)")
    partition_seed: int = Field(0, ge=0, description="seed of the random partition")
    buffer_depth: int | None = Field(2, ge=2, description="input buffer depth in steps of the async design (null = unbounded)")
    neuron: NeuronSection = Field(default_factory=NeuronSection)
    network: NetworkSection = Field(default_factory=NetworkSection)
    mlp_hidden: int = Field(64, ge=1, le=4096, description="hidden units of the converted digits MLP")
    mlp_epochs: int = Field(10, ge=1, le=1000, description="training epochs of the digits MLP")
    mlp_seed: int = Field(0, ge=0, description="seed of the MLP training")
    cost: MulticoreCostSection = Field(default_factory=MulticoreCostSection)
    imbalance_sweep: list[float] = Field([0.0, 0.5, 1.0, 2.0, 4.0, 8.0], min_length=1, description="imbalance knobs (largest/smallest block - 1)")
    hop_ns_sweep: list[float] = Field([0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0], min_length=1, description="per-hop latencies in ns")
    static_mw_sweep: list[float] = Field([0.0, 0.5, 1.0, 2.0, 5.0, 10.0], min_length=1, description="static powers per core in mW")
    gantt_steps: int = Field(4, ge=1, le=50, description="time steps shown in the core timelines")

    _rate_fits_time_step = field_validator("max_rate")(_rate_below_one_per_step)

    @field_validator("imbalance_sweep", "hop_ns_sweep", "static_mw_sweep")
    @classmethod
    def _non_negative(cls, values: list[float]) -> list[float]:
        if any(not v >= 0 for v in values):
            raise ValueError("every value must be >= 0")
        return values


Strategy = Literal["random", "momentum", "fifo", "round_robin"]


class AsyncNeuronSection(Section):
    """Neurons of the asynchronous study (delta synapses, no t_ref: refractoriness is per frame)."""

    model: Literal["if", "lif"] = Field("lif", description="neuron model")
    v_th: float = Field(1.0, gt=0, description="firing threshold in mV")
    reset: Literal["zero", "subtract"] = Field("zero", description="reset mode")
    tau_m: float = Field(20.0, gt=0, description="membrane time constant in ms")

    def to_params(self):
        from .neurons import NeuronParams

        return NeuronParams(**self.model_dump())


class AsyncTrainingSection(Section):
    """Training of the layer-sync baseline and the unlayered-backprop models (``neurobench.training``)."""

    hidden: list[int] = Field(default_factory=lambda: [64, 32], min_length=1, description="hidden layer widths")
    epochs: int = Field(10, ge=1, le=1000, description="passes over the training set")
    batch_size: int = Field(64, ge=1, le=4096, description="samples per optimiser step")
    lr: float = Field(5e-3, gt=0, le=1, description="Adam learning rate")
    weight_decay: float = Field(1e-5, ge=0, description="Adam weight decay")
    init_gain: float = Field(1.0, gt=0, description="gain of the Xavier-uniform initialisation")
    input_dropout: float = Field(0.25, ge=0, lt=1, description="probability of dropping an input event")
    refractory_dropout: float = Field(0.8, ge=0, lt=1, description="probability a spike sets no refractory flag (async)")
    truncate: bool = Field(False, description="truncated per-frame backprop (async)")
    forward_group: int = Field(8, ge=1, description="F during unlayered training")
    strategies: list[Strategy] = Field(default_factory=lambda: ["random", "momentum"], min_length=1,
                                       description="one unlayered-backprop model per strategy")
    seed: int = Field(0, ge=0, description="seed of initialisation, batches, dropout, training schedules")

    @field_validator("hidden")
    @classmethod
    def _positive_widths(cls, hidden: list[int]) -> list[int]:
        if any(h < 1 for h in hidden):
            raise ValueError(f"every hidden width must be >= 1, got {hidden}")
        return hidden


class AsyncSection(Section):
    """The ``async`` stage: layer-synchronized vs asynchronous execution and training (Koopman et al. 2024)."""

    root: str = Field("data/raw", description="folder of downloaded data sets")
    test_fraction: float = Field(0.25, gt=0, lt=1, description="share of digits held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    max_train: int = Field(0, ge=0, description="cap on training samples (0 = all)")
    max_test: int = Field(0, ge=0, description="cap on test samples (0 = all)")
    saccade_steps: int = Field(30, ge=3, le=10_000, description="1 ms steps of the saccade recording")
    saccade_amplitude: float = Field(1.5, gt=0, le=8, description="saccade length in pixels")
    saccade_threshold: float = Field(0.15, gt=0, le=2, description="DVS contrast threshold (log intensity)")
    saccade_seed: int = Field(2, ge=0, description="seed of the saccade path jitter")
    frame_window: float = Field(3.0, gt=0, le=1000, description="frame length of the saccade task in ms")
    row_levels: int = Field(4, ge=1, le=16, description="thermometer levels per pixel of the row task")
    row_repeats: int = Field(1, ge=1, le=100, description="frames per image row")
    row_frame_dt: float = Field(1.0, gt=0, le=1000, description="frame length of the row task in ms")
    neuron: AsyncNeuronSection = Field(default_factory=AsyncNeuronSection)
    training: AsyncTrainingSection = Field(default_factory=AsyncTrainingSection)
    strategies: list[Strategy] = Field(default_factory=lambda: ["random", "momentum", "fifo", "round_robin"],
                                       min_length=1, description="scheduling strategies evaluated")
    forward_groups: list[int] = Field(default_factory=lambda: [1, 4, 16], min_length=1,
                                      description="F values evaluated")
    prioritize_input: bool = Field(True, description="deliver a frame's input events at once")
    schedule_seed: int = Field(1, ge=0, description="seed of the evaluation schedules")
    latency_forward_group: int = Field(4, ge=1, description="F of the latency and early-stopping figures")
    steps_after_output: list[int] = Field(default_factory=lambda: [0, 5, 20], min_length=1,
                                          description="k of the stopping modes (0 = stop at the first output spike)")

    @field_validator("forward_groups")
    @classmethod
    def _positive_groups(cls, groups: list[int]) -> list[int]:
        if any(f < 1 for f in groups):
            raise ValueError(f"every F must be >= 1, got {groups}")
        return groups

    @field_validator("steps_after_output")
    @classmethod
    def _non_negative_k(cls, ks: list[int]) -> list[int]:
        if any(k < 0 for k in ks):
            raise ValueError(f"every k must be >= 0, got {ks}")
        return ks


class EnduranceCrossbarSection(Section):
    """Crossbar circuit (``neurobench.hardware.crossbar.CrossbarParams``; values reconstructed)."""

    n: int = Field(128, ge=2, le=1024, description="crossbar rows and columns")
    r_wl: float = Field(2.5, ge=0, description="wordline resistance per segment in ohm")
    r_bl: float = Field(2.5, ge=0, description="bitline resistance per segment in ohm")
    r_cell: float = Field(10e3, gt=0, description="programmed cell resistance in ohm")
    v_prog: float = Field(1.0, gt=0, description="programming voltage in V")
    bias: Literal["V/2", "V/3"] = Field("V/2", description="half-select bias scheme")
    v_read: float = Field(0.2, gt=0, description="read voltage in V")

    def to_params(self):
        from .hardware.crossbar import CrossbarParams

        return CrossbarParams(**self.model_dump())


class EndurancePcmSection(Section):
    """PCM write-endurance law (``neurobench.hardware.endurance.PcmEndurance``; reconstructed)."""

    law: Literal["power", "arrhenius"] = Field("power", description="current-to-endurance law")
    e_ref: float = Field(1e7, gt=0, description="endurance of an ideal cell in writes")
    exponent: float = Field(2.0, ge=0, description="power-law exponent")
    t_amb: float = Field(300.0, gt=0, description="ambient temperature in K")
    r_th: float = Field(3e6, ge=0, description="cell thermal resistance in K/W")
    e_a: float = Field(0.3, ge=0, description="activation energy in eV")

    def to_params(self):
        from .hardware.endurance import PcmEndurance

        return PcmEndurance(**self.model_dump())


class EnduranceMeshSection(Section):
    """Mesh of tiles and spike cost proxies (``neurobench.hardware.mesh.MeshParams``)."""

    rows: int = Field(5, ge=1, le=1024, description="minimum mesh rows (grown to fit)")
    cols: int = Field(5, ge=1, le=1024, description="minimum mesh columns (grown to fit)")
    e_spike: float = Field(23.6, ge=0, description="energy per emitted spike in pJ")
    e_hop: float = Field(3.0, ge=0, description="energy per spike and hop in pJ")
    t_hop: float = Field(1.0, ge=0, description="latency per hop in ns")
    t_inject: float = Field(2.0, ge=0, description="injection + ejection latency in ns")
    sigma_tile: float = Field(0.2, ge=0, description="log-normal endurance spread between tiles")
    sigma_cell: float = Field(0.1, ge=0, description="log-normal endurance spread between cells")

    def to_params(self):
        from .hardware.mesh import MeshParams

        return MeshParams(**self.model_dump())


class EndurancePsoSection(Section):
    """Particle swarm placement (``neurobench.mapping.placement.PsoParams``)."""

    particles: int = Field(24, ge=1, le=1000, description="swarm size")
    iterations: int = Field(60, ge=0, le=10_000, description="PSO iterations")
    inertia: float = Field(0.7, ge=0, description="inertia weight")
    c1: float = Field(1.5, ge=0, description="cognitive coefficient")
    c2: float = Field(1.5, ge=0, description="social coefficient")
    lambda_life: float = Field(1.0, ge=0, description="weight of -log lifetime")
    lambda_energy: float = Field(0.2, ge=0, description="weight of normalised NoC energy")
    lambda_latency: float = Field(0.2, ge=0, description="weight of normalised NoC latency")

    def to_params(self):
        from .mapping.placement import PsoParams

        return PsoParams(**self.model_dump())


class EnduranceRramSection(Section):
    """RRAM read-disturb law (``neurobench.hardware.rram.RramReadParams``; reconstructed)."""

    n_0: float = Field(1e5, gt=0, description="reads before disturb at v_ref, t_ref, r_ref")
    v_ref: float = Field(0.2, gt=0, description="reference read voltage in V")
    v_0: float = Field(0.05, gt=0, description="voltage acceleration scale in V")
    e_a: float = Field(0.4, ge=0, description="activation energy in eV")
    t_ref: float = Field(300.0, gt=0, description="reference temperature in K")
    r_ref: float = Field(10e3, gt=0, description="reference resistance in ohm")
    beta: float = Field(1.0, ge=0, description="exponent of the resistance factor")
    r_on: float = Field(10e3, gt=0, description="resistance of the largest weight in ohm")
    r_off: float = Field(100e3, gt=0, description="resistance of a zero weight in ohm")
    temperatures: list[float] = Field([300.0, 330.0, 360.0], min_length=1, description="chip temperatures in K")
    n_workloads: int = Field(4, ge=1, le=100, description="workloads of the RRAM experiment (the smallest)")
    exact: bool = Field(True, description="re-solve read voltages with the programmed conductances")

    def to_params(self):
        from .hardware.rram import RramReadParams

        return RramReadParams(**self.model_dump(exclude={"temperatures", "n_workloads", "exact"}))


class EnduranceWorkloadSection(Section):
    """Sizes of the generated workloads and the simulated digits networks."""

    image_side: int = Field(28, ge=4, le=64, description="input image side of the image workloads in px")
    hidden: int = Field(100, ge=1, le=4096, description="hidden neurons of the digits MLP / STDP network")
    lenet_side: int = Field(16, ge=16, le=64, description="LeNet input side in px (>= 16 for two 5x5 convolutions)")
    lenet_dense: int = Field(100, ge=1, le=4096, description="LeNet dense layer width")
    reservoir: int = Field(150, ge=2, le=4096, description="liquid state machine reservoir size")
    synthetic_sizes: list[int] = Field([300, 300, 300], min_length=2, description="all-to-all synthetic layers")
    rf_sizes: list[int] = Field([600, 600, 600], min_length=2, description="receptive-field synthetic layers")
    rf_fan_in: int = Field(100, ge=1, description="inputs per neuron of the receptive-field workload")
    rf_group: int = Field(50, ge=1, description="neighbours sharing one receptive field")
    duration: float = Field(100.0, gt=0, description="spike-count window of generated workloads in ms")
    seed: int = Field(0, ge=0, description="seed of generated connectivity and spike counts")
    simulated: bool = Field(True, description="add the workbench's simulated digits networks")
    train_epochs: int = Field(60, ge=1, le=1000, description="epochs of the converted MLP and CNN")
    samples: int = Field(32, ge=1, le=2048, description="digits test samples simulated for spike counts")
    n_steps: int = Field(100, ge=1, le=100_000, description="simulation time steps")
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    max_rate: float = Field(200.0, gt=0, description="input rate of a pixel of value 1 in Hz")


class EnduranceSensitivitySection(Section):
    """Sweeps of the circuit parameters on one workload."""

    workload: str = Field("image_smoothing", description="workload of the sweeps")
    wire_resistances: list[float] = Field([1.0, 2.5, 5.0, 10.0], min_length=1, description="r_wl = r_bl in ohm")
    crossbar_sizes: list[int] = Field([32, 64, 128], min_length=1, description="crossbar sizes")
    biases: list[Literal["V/2", "V/3"]] = Field(["V/2", "V/3"], min_length=1, description="bias schemes")


class EnduranceSection(Section):
    """The ``endurance`` stage: eSpine endurance-aware mapping and RRAM read-endurance lifetime."""

    crossbar: EnduranceCrossbarSection = Field(default_factory=EnduranceCrossbarSection)
    pcm: EndurancePcmSection = Field(default_factory=EndurancePcmSection)
    mesh: EnduranceMeshSection = Field(default_factory=EnduranceMeshSection)
    pso: EndurancePsoSection = Field(default_factory=EndurancePsoSection)
    rram: EnduranceRramSection = Field(default_factory=EnduranceRramSection)
    workloads: EnduranceWorkloadSection = Field(default_factory=EnduranceWorkloadSection)
    sensitivity: EnduranceSensitivitySection = Field(default_factory=EnduranceSensitivitySection)
    activation: Literal["pre", "stdp"] = Field("pre", description="what wears a PCM cell: presynaptic spikes or STDP updates")
    partitioner: Literal["kl", "metis"] = Field("kl", description="bisection: networkx Kernighan-Lin or METIS (pymetis)")
    kl_max_iter: int = Field(10, ge=1, le=100, description="KL passes per bisection")
    refine_iters: int = Field(20, ge=0, le=10_000, description="cell-ordering refinement moves")
    seed: int = Field(0, ge=0, description="seed of KL, tile variation, random baseline and PSO")

    def mapping_config(self, **crossbar_overrides):
        from dataclasses import replace

        from .mapping.espine import MappingConfig

        return MappingConfig(
            crossbar=replace(self.crossbar.to_params(), **crossbar_overrides), endurance=self.pcm.to_params(),
            mesh=self.mesh.to_params(), pso=self.pso.to_params(), activation=self.activation,
            partitioner=self.partitioner, kl_max_iter=self.kl_max_iter, refine_iters=self.refine_iters,
            seed=self.seed,
        )


SECTIONS: dict[str, type[Section]] = {
    "conversion": ConversionSection,
    "data": DataSection,
    "simulator": SimulatorSection,
    "multicore": MulticoreSection,
    # the stage is "async", but a notebook parameter cannot be named after a Python keyword
    "asynchronous": AsyncSection,
    "endurance": EnduranceSection,
}


def _describe(err: dict[str, Any], section: str, model: type[BaseModel]) -> str:
    path = ".".join([section, *(str(p) for p in err["loc"])])
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, err["loc"][:-1])
        return f"{path} is not a known key; allowed keys here: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{path} is missing"
    message = err["msg"].removeprefix("Value error, ")
    field = _field_info(model, err["loc"])
    hint = f" ({field.description})" if field is not None and field.description else ""
    return f"{path} = {value!r} is not allowed: {message}{hint}"


def _submodel(model: type[BaseModel], loc) -> type[BaseModel] | None:
    for key in loc:
        info = model.model_fields.get(str(key))
        if info is None or not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel)):
            return None
        model = info.annotation
    return model


def _allowed_keys(model: type[BaseModel], loc) -> list[str]:
    sub = _submodel(model, loc)
    return sorted(sub.model_fields) if sub is not None else []


def _field_info(model: type[BaseModel], loc):
    sub = _submodel(model, loc[:-1]) if loc else None
    return sub.model_fields.get(str(loc[-1])) if sub is not None else None


def validate(section: str, values: Any) -> Section:
    """Validate the dict ``values`` as params section ``section``; raise ``ConfigError`` if invalid."""
    if section not in SECTIONS:
        raise ConfigError(f"params.yaml: unknown section {section!r}; known sections: {', '.join(SECTIONS)}")
    model = SECTIONS[section]
    if not isinstance(values, dict):
        raise ConfigError(f"params.yaml: section {section!r} must be a mapping of keys to values, got {values!r}")
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        messages = [_describe(e, section, model) for e in exc.errors()]
        raise ConfigError("params.yaml: " + "; ".join(messages)) from None


def load_params(path: str | Path = DEFAULT_PARAMS) -> dict[str, Any]:
    """Read ``params.yaml`` as a dict; a missing file, bad YAML or a non-mapping raise ``ConfigError``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the parameter file ({exc.strerror})") from None
    try:
        params = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: must be a YAML mapping of sections, got {type(params).__name__}")
    return params


def load_section(section: str, path: str | Path = DEFAULT_PARAMS) -> Section:
    """Load and validate one section of ``params.yaml``."""
    params = load_params(path)
    if section not in params:
        raise ConfigError(f"{path}: section {section!r} is missing; sections present: {', '.join(params) or 'none'}")
    try:
        return validate(section, params[section])
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("params.yaml:", f"{path}:", 1)) from None


def main(argv: list[str] | None = None) -> int:
    """Check sections of a params file: ``python -m neurobench.config [params.yaml] [section ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args.pop(0)) if args and args[0].endswith((".yaml", ".yml")) else DEFAULT_PARAMS
    try:
        sections = args or [s for s in load_params(path) if s in SECTIONS]
        for section in sections:
            load_section(section, path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: {', '.join(sections)} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
