"""The ``analog`` stage's params section ``analog`` (Weis et al. 2020).

``AnalogSection`` composes the MAC (``neurobench.analog.MACParams``: resolution, gain in LSB per
unit of x·w, noise in LSB, fixed-pattern spreads), the networks (``NetParams``, pixels), the
training runs (``TrainParams``) and the sweeps of E2d.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ...analog import MACParams, NetParams, TrainParams
from ...schema import Folder, Params


def _mac() -> MACParams:
    return MACParams(gain=0.0018, sigma_trial=1.6, sigma_fp_gain=0.05, sigma_fp_offset=1.0)


class SweepParams(Params):
    """E2d: the values of each swept quantity (the others at the section's MAC), ordered from
    the mildest to the harshest."""

    sigma_trial: list[float] = Field(default_factory=lambda: [0.0, 1.6, 4.0, 8.0, 16.0], min_length=2,
                                     description="trial-to-trial noise, LSB")
    sigma_fp_gain: list[float] = Field(default_factory=lambda: [0.0, 0.05, 0.1, 0.2, 0.4], min_length=2,
                                       description="fixed-pattern per-column gain spread, fraction")
    weight_bits: list[int] = Field(default_factory=lambda: [6, 5, 4, 3, 2], min_length=2,
                                   description="weight magnitude bits (range kept by scaling the gain)")
    input_bits: list[int] = Field(default_factory=lambda: [5, 4, 3, 2, 1], min_length=2,
                                  description="input bits (range kept by scaling the gain and the shift)")
    n_sends: list[int] = Field(default_factory=lambda: [1, 2, 4, 8], min_length=2,
                               description="factor on every layer's n_sends, weights divided by it")

    @field_validator("sigma_trial", "sigma_fp_gain")
    @classmethod
    def _nonnegative(cls, v: list[float]) -> list[float]:
        if any(s < 0 for s in v):
            raise ValueError(f"{v} is not allowed: spreads >= 0")
        return v

    @field_validator("weight_bits", "input_bits", "n_sends")
    @classmethod
    def _counts(cls, v: list[int]) -> list[int]:
        if any(b < 1 or b > 16 for b in v):
            raise ValueError(f"{v} is not allowed: integers in 1..16")
        return v


def _mnist_net() -> NetParams:
    return NetParams(conv_channels=20, kernel=10, stride=5, pad=1, hidden=[128])


class AnalogSection(Params):
    """The ``analog`` stage: the spec's networks on the simulated BrainScaleS-2 MAC."""

    root: Folder = Field("data/raw", description="folder of downloaded data sets (MNIST, never downloaded)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="share of the digits held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    mac: MACParams = Field(default_factory=_mac, description="the MAC of every deployment")
    network: NetParams = Field(default_factory=NetParams, description="E2b digits network (8x8 padded to 10x10)")
    init_seed: int = Field(0, ge=0, description="seed of the weight initialisation")
    pretrain: TrainParams = Field(default_factory=lambda: TrainParams(epochs=10, lr=0.5, seed=0),
                                  description="software training through the linear model")
    finetune: TrainParams = Field(default_factory=lambda: TrainParams(epochs=2, lr=0.2, seed=1),
                                  description="mismatch-aware fine-tuning on each chip instance")
    n_chips: int = Field(5, ge=2, le=1000, description="chip instances (fixed patterns) per training seed")
    chip_seed: int = Field(0, ge=0, description="root of the chip instances' fixed-pattern seeds")
    noise_seed: int = Field(0, ge=0, description="root of the trial-noise seeds (evaluation and fine-tuning)")
    sweeps: SweepParams = Field(default_factory=SweepParams)
    characterise_repeats: int = Field(100, ge=2, le=100_000, description="repetitions of the E2c protocol")
    mnist: bool = Field(True, description="E2a when MNIST's files are under root (never downloaded)")
    mnist_network: NetParams = Field(default_factory=_mnist_net, description="E2a network (28x28 padded to 30x30)")
    mnist_train: TrainParams = Field(default_factory=lambda: TrainParams(epochs=3, lr=0.5, seed=0),
                                     description="E2a training through the linear model")
    mnist_max_train: int = Field(20_000, ge=0, description="cap on MNIST training samples (0 = all)")
    cross_paper: bool = Field(True, description="the digits MLP as analog ANN vs converted SNN (6-bit budget)")
    mlp_hidden: int = Field(100, ge=1, le=4096, description="hidden width of the cross-paper digits MLP "
                                                            "(64 -> H -> 10, the conversion report's)")
    mlp_epochs: int = Field(20, ge=1, le=10_000, description="float training epochs of the MLP to convert")
    calibration_samples: int = Field(150, ge=10, le=100_000, description="training samples the converter fits")
    snn_steps: int = Field(100, ge=1, le=100_000, description="steps of the converted SNN's evaluation (dt 1 ms)")
    energy_ratios: list[float] = Field(default_factory=lambda: [0.1, 1.0, 10.0, 100.0], min_length=1,
                                       description="assumed energy of a digital synaptic event over an analog "
                                                   "synapse activation (the proxy's sweep)")
    n_seeds: int = Field(3, ge=1, le=100, description="training replicates; replicate r uses child_seed(seed, r) "
                                                      "of every seed field")

    @model_validator(mode="after")
    def _fits(self) -> "AnalogSection":
        for name, net, side in (("network", self.network, 8), ("mnist_network", self.mnist_network, 28)):
            if net.conv_channels and net.kernel > side + 2 * net.pad:
                raise ValueError(f"{name}.kernel = {net.kernel} is not allowed: at most the padded image side "
                                 f"{side + 2 * net.pad} pixels")
        return self


SECTION_SCHEMA = AnalogSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
