"""The ``multicore`` stage's params section (Chen et al. 2024, asynchronous many-core inference)."""

from __future__ import annotations


from pydantic import Field, field_validator

from ...hardware.multicore import CostModel
from ...network import RandomNetworkParams
from ...neurons import NeuronParams
from ...schema import NonNegative, Params, Positive
from ...units import rate_fits_time_step


class MulticoreSection(Params):
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
    neuron: NeuronParams = Field(default_factory=NeuronParams)
    network: RandomNetworkParams = Field(default_factory=RandomNetworkParams)
    mlp_hidden: int = Field(64, ge=1, le=4096, description="hidden units of the converted digits MLP")
    mlp_epochs: int = Field(10, ge=1, le=1000, description="training epochs of the trained networks (mlp, deep mlp, cnn)")
    mlp_seed: int = Field(0, ge=0, description="seed of the training of the trained networks")
    deep_hidden: list[int] = Field([128, 128], min_length=2, max_length=8,
                                   description="hidden widths of the deeper, wider converted digits MLP")
    cnn_channels: int = Field(4, ge=1, le=64, description="conv channels of the converted digits CNN")
    cnn_hidden: int = Field(64, ge=1, le=4096, description="hidden units of the converted digits CNN's dense layer")
    sparse_sizes: list[int] = Field([256, 128], min_length=1, max_length=8,
                                    description="hidden layer sizes of the sparse random network")
    sparse_density: float = Field(0.1, gt=0, le=1, description="connection probability of the sparse random network")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r derives every seed with child_seed(seed, r)")
    cost: CostModel = Field(default_factory=CostModel)
    tick_ns: float | None = Field(None, gt=0, description="tick of the fixed-tick baseline in ns (null = the worst step of the run)")
    control_tick_fraction: float = Field(0.5, gt=0, lt=1, description="tick of the lossy fixed-tick control, as a fraction of the worst step")
    imbalance_sweep: list[NonNegative] = Field([0.0, 0.5, 1.0, 2.0, 4.0, 8.0], min_length=1, description="imbalance knobs (largest/smallest block - 1)")
    hop_ns_sweep: list[NonNegative] = Field([0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0], min_length=1, description="per-hop latencies in ns")
    static_mw_sweep: list[NonNegative] = Field([0.0, 0.5, 1.0, 2.0, 5.0, 10.0], min_length=1, description="static powers per core in mW")
    barrier_ns_sweep: list[NonNegative] = Field([0.0, 10.0, 25.0, 50.0, 100.0, 200.0, 400.0], min_length=1,
                                          description="fixed barrier latencies in ns")
    cost_factors: list[Positive] = Field([0.5, 2.0], min_length=1, description="factors applied to one assumed cost at a time (> 0)")
    gantt_steps: int = Field(4, ge=1, le=50, description="time steps shown in the core timelines")

    _rate_fits_time_step = field_validator("max_rate")(rate_fits_time_step)

    @field_validator("deep_hidden", "sparse_sizes")
    @classmethod
    def _sizes(cls, values: list[int]) -> list[int]:
        if any(not 1 <= v <= 4096 for v in values):
            raise ValueError("every size must be an integer in [1, 4096]")
        return values


SECTION_SCHEMA = MulticoreSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
