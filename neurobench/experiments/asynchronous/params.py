"""The ``async`` stage's params section ``asynchronous`` (Koopman et al. 2024).

``AsyncSection`` configures the whole study (tasks, neurons, training, evaluation grid);
``AsyncTrainingSection`` its training, turned into ``neurobench.training.TrainConfig`` by
``train_config``. The neurons are ``neurobench.neurons.NeuronParams`` restricted to what
asynchronous execution supports: delta synapses (``tau_syn = 0``) and no refractory period
(``t_ref = 0``; refractoriness is the per-frame flag).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ...neurons import NeuronParams
from ...schema import AtLeastOne, Folder, NonNegative, NonNegativeInt, Params

Strategy = Literal["random", "momentum", "fifo", "round_robin"]
Surrogate = Literal["atan", "fast_sigmoid", "sigmoid"]


def _async_neuron() -> NeuronParams:
    return NeuronParams(model="lif", reset="zero")


class AsyncTrainingSection(Params):
    """Training of the layer-sync baseline and the unlayered-backprop models (``neurobench.training``)."""

    hidden: list[AtLeastOne] = Field(default_factory=lambda: [64, 32], min_length=1, description="hidden layer widths")
    epochs: int = Field(10, ge=1, le=1000, description="passes over the training set")
    batch_size: int = Field(64, ge=1, le=4096, description="samples per optimiser step")
    lr: float = Field(5e-3, gt=0, le=1, description="Adam learning rate")
    weight_decay: float = Field(1e-5, ge=0, description="Adam weight decay")
    init_gain: float = Field(1.0, gt=0, description="gain of the Xavier-uniform initialisation")
    input_dropout: float = Field(0.25, ge=0, lt=1, description="probability of dropping an input event")
    refractory_dropout: float = Field(0.8, ge=0, lt=1, description="probability a spike sets no refractory flag (async)")
    truncate: bool = Field(False, description="truncated per-frame backprop (async)")
    surrogate: Surrogate = Field("atan", description="surrogate spike gradient (snnTorch; asynctorch examples: atan)")
    forward_group: int = Field(8, ge=1, description="F during unlayered training")
    strategies: list[Strategy] = Field(default_factory=lambda: ["random", "momentum"], min_length=1,
                                       description="one unlayered-backprop model per strategy")
    seed: int = Field(0, ge=0, description="seed of initialisation, batches, dropout, training schedules")

    def train_config(self):
        """These hyper-parameters as the trainers' ``neurobench.training.TrainConfig``."""
        from ...training import TrainConfig

        return TrainConfig(hidden=tuple(self.hidden), epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                           weight_decay=self.weight_decay, init_gain=self.init_gain, input_dropout=self.input_dropout,
                           refractory_dropout=self.refractory_dropout, truncate=self.truncate,
                           surrogate=self.surrogate, seed=self.seed)


class AsyncEnergyParams(Params):
    """Energy proxy per sample (our assumption; the paper's energy model is not available):
    ``E = syn_op_pj * synaptic events + neuron_update_pj * neurons * frames`` in pJ, i.e. every
    delivered synaptic event (an accumulate into one membrane) plus one update (leak, flag
    clearing) of every neuron per frame."""

    syn_op_pj: float = Field(20.0, gt=0, description="pJ per synaptic event")
    neuron_update_pj: float = Field(50.0, ge=0, description="pJ per neuron update (one per neuron and frame)")
    neuron_update_pj_sweep: list[NonNegative] = Field(default_factory=lambda: [0.0, 5.0, 50.0, 500.0, 5000.0], min_length=1,
                                                description="neuron_update_pj values of the sensitivity table")


class AsyncSection(Params):
    """The ``async`` stage: layer-synchronized vs asynchronous execution and training (Koopman et al. 2024)."""

    root: Folder = Field("data/raw", description="folder of downloaded data sets")
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
    neuron: NeuronParams = Field(default_factory=_async_neuron,
                                 description="neurons of every layer (tau_syn = 0 and t_ref = 0)")
    training: AsyncTrainingSection = Field(default_factory=AsyncTrainingSection)
    strategies: list[Strategy] = Field(default_factory=lambda: ["random", "momentum", "fifo", "round_robin"],
                                       min_length=1, description="scheduling strategies evaluated")
    forward_groups: list[AtLeastOne] = Field(default_factory=lambda: [1, 4, 16], min_length=1,
                                      description="F values evaluated")
    prioritize_input: bool = Field(True, description="deliver a frame's input events at once")
    schedule_seed: int = Field(1, ge=0, description="seed of the evaluation schedules")
    latency_forward_group: int = Field(4, ge=1, description="F of the latency and early-stopping figures")
    steps_after_output: list[NonNegativeInt] = Field(default_factory=lambda: [0, 5, 20], min_length=1,
                                          description="k of the stopping modes (0 = stop at the first output spike)")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every seed field")
    energy: AsyncEnergyParams = Field(default_factory=AsyncEnergyParams)
    crosscheck_samples: int = Field(8, ge=1, le=10_000,
                                    description="test samples of the layer-sync vs clock-simulator cross-check")
    models_dir: Folder = Field("models/async", description="folder of the trained networks (<task>/<model>.npz)")

    @field_validator("neuron")
    @classmethod
    def _executable_asynchronously(cls, neuron: NeuronParams) -> NeuronParams:
        # asynchronous execution has no physical time inside a frame: no synaptic current decay,
        # and refractoriness is the per-frame flag (AsyncGraph.build enforces the same)
        if neuron.tau_syn != 0:
            raise ValueError(f"tau_syn must be 0 (delta synapses) for asynchronous execution, "
                             f"got {neuron.tau_syn} ms")
        if neuron.t_ref != 0:
            raise ValueError(f"t_ref must be 0 for asynchronous execution (refractoriness is per frame), "
                             f"got {neuron.t_ref} ms")
        return neuron


SECTION_SCHEMA = AsyncSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
