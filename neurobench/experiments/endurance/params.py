"""The ``endurance`` stage's params section (eSpine and RRAM read endurance)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ...hardware.crossbar import CrossbarParams
from ...hardware.endurance import PcmEndurance
from ...hardware.mesh import MeshParams
from ...hardware.rram import RramReadParams
from ...hardware.thermal import ThermalParams
from ...mapping.espine import MappingConfig
from ...mapping.placement import PsoParams
from ...schema import Folder, NonNegative, Params, Positive, replace
from ...seeds import child_seed


class EnduranceRramSection(RramReadParams):
    """The RRAM experiment: the read-disturb law (``RramReadParams``, its keys inline) and its runs."""

    temperatures: list[Positive] = Field([300.0, 330.0, 360.0], min_length=1, description="chip temperatures in K")
    n_workloads: int = Field(4, ge=1, le=100, description="workloads of the RRAM experiment (the smallest)")
    exact: bool = Field(True, description="re-solve read voltages with the programmed conductances")

    def law(self) -> RramReadParams:
        """The read-disturb law alone (without the experiment's keys)."""
        return RramReadParams(**self.model_dump(include=set(RramReadParams.model_fields)))


class EnduranceWorkloadSection(Params):
    """Sizes of the generated (synthetic) workloads and where the workbench's networks are read."""

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
    seed: int = Field(0, ge=0, description="seed of generated connectivity and spike counts, and of the random CNN")
    simulated: bool = Field(True, description="map the workbench's networks with simulated activity")
    conversion_dir: Folder = Field("models/conversion/snn/seed0", description="folder of the conversion stage's "
                                   "LP-converted networks (<conversion.models_dir>/snn)")
    async_dir: Folder = Field("models/async", description="folder of the async stage's trained networks (.npz)")
    samples: int = Field(32, ge=1, le=360, description="digits test samples simulated for spike counts")
    n_steps: int = Field(100, ge=1, le=100_000, description="simulation time steps")
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms")
    max_rate: float = Field(500.0, gt=0, description="input rate of a pixel of value 1 in Hz (conversion's input_rate)")

    @model_validator(mode="after")
    def _rate_fits_the_step(self) -> "EnduranceWorkloadSection":
        if self.max_rate * self.dt > 1000.0:
            raise ValueError(f"max_rate = {self.max_rate} Hz with dt = {self.dt} ms: at most one spike per step "
                             "allowed (max_rate * dt <= 1000)")
        return self


class EnduranceSensitivitySection(Params):
    """Sweeps of the circuit parameters on one workload."""

    workload: str = Field("image_smoothing", description="workload of the sweeps")
    wire_resistances: list[float] = Field([1.0, 2.5, 5.0, 10.0], min_length=1, description="r_wl = r_bl in ohm")
    crossbar_sizes: list[int] = Field([32, 64, 128], min_length=1, description="crossbar sizes")
    biases: list[Literal["V/2", "V/3"]] = Field(["V/2", "V/3"], min_length=1, description="bias schemes")

    @field_validator("crossbar_sizes")
    @classmethod
    def _sizes_unroll(cls, sizes: list[int]) -> list[int]:
        if any(not 2 <= n <= 4096 for n in sizes):
            raise ValueError("every crossbar size must lie in [2, 4096]")
        return sizes


class EnduranceDriversSection(Params):
    """Sweeps of what drives the lifetime gain: the endurance exponent and the tile/cell variation."""

    workloads: list[str] = Field(["image_smoothing", "heart_lsm"], min_length=1,
                                 description="workloads of the sweeps (geometric mean over them)")
    exponents: list[NonNegative] = Field([0.0, 1.0, 2.0, 3.0], min_length=1, description="power-law exponents swept")
    sigma_tiles: list[NonNegative] = Field([0.0, 0.1, 0.2, 0.4], min_length=1,
                                     description="tile variations swept (std of ln), cell variation at its value")
    sigma_cells: list[NonNegative] = Field([0.0, 0.1, 0.2], min_length=1,
                                     description="cell variations swept (std of ln), tile variation at its value")


class EnduranceSection(Params):
    """The ``endurance`` stage: eSpine endurance-aware mapping and RRAM read-endurance lifetime."""

    crossbar: CrossbarParams = Field(default_factory=CrossbarParams)
    pcm: PcmEndurance = Field(default_factory=PcmEndurance)
    mesh: MeshParams = Field(default_factory=MeshParams)
    pso: PsoParams = Field(default_factory=PsoParams)
    rram: EnduranceRramSection = Field(default_factory=EnduranceRramSection)
    workloads: EnduranceWorkloadSection = Field(default_factory=EnduranceWorkloadSection)
    sensitivity: EnduranceSensitivitySection = Field(default_factory=EnduranceSensitivitySection)
    drivers: EnduranceDriversSection = Field(default_factory=EnduranceDriversSection)
    thermal: ThermalParams = Field(default_factory=ThermalParams)
    activation: Literal["pre", "stdp"] = Field("pre", description="what wears a PCM cell: presynaptic spikes or STDP updates")
    partitioner: Literal["kl", "metis"] = Field("kl", description="bisection: networkx Kernighan-Lin or METIS (pymetis)")
    kl_max_iter: int = Field(10, ge=1, le=100, description="KL passes per bisection")
    refine_iters: int = Field(20, ge=0, le=10_000, description="cell-ordering refinement moves")
    seed: int = Field(0, ge=0, description="root seed of KL, tile variation, random baseline and PSO")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates: replicate r uses child_seed(seed, r) and "
                         "child_seed(workloads.seed, r)")

    @field_validator("crossbar")
    @classmethod
    def _crossbar_unrolls(cls, crossbar: CrossbarParams) -> CrossbarParams:
        if crossbar.n < 2:
            raise ValueError(f"crossbar n = {crossbar.n}: unrolling fan-ins needs n >= 2")
        return crossbar

    def mapping_config(self, thermal: bool = False, **crossbar_overrides) -> MappingConfig:
        """The ``MappingConfig`` of this section, with ``crossbar_overrides`` applied to its crossbar;
        ``thermal``: the chip carries this section's thermal profile (else it is uniform)."""
        return MappingConfig(
            crossbar=replace(self.crossbar, **crossbar_overrides), endurance=self.pcm, mesh=self.mesh,
            pso=self.pso, activation=self.activation, partitioner=self.partitioner,
            kl_max_iter=self.kl_max_iter, refine_iters=self.refine_iters, seed=self.seed,
            thermal=self.thermal if thermal else None,
        )

    def replicate(self, r: int) -> "EnduranceSection":
        """Replicate ``r``: the section with ``seed`` and ``workloads.seed`` replaced by their
        ``child_seed(., r)`` (tile variation, KL, PSO, random baseline; generated workloads)."""
        if not 0 <= r < self.n_seeds:
            raise ValueError(f"replicate r = {r} must lie in [0, n_seeds = {self.n_seeds})")
        return replace(self, seed=child_seed(self.seed, r),
                       workloads=replace(self.workloads, seed=child_seed(self.workloads.seed, r)))


SECTION_SCHEMA = EnduranceSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
