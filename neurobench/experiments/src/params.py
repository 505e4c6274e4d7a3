"""The ``src`` stage's params section ``src`` (Spiking Recurrent Cell, De Geeter et al. 2023).

``SrcSection`` composes the cell's constants (``neurobench.models.src.SRCParams``), the LIF
baseline's neurons (``neurobench.models.lif.LIFParams``), the BPTT hyper-parameters
(``neurobench.training.bptt.BPTTParams``) and the study's data, encodings and networks. Units:
the networks are discrete-time; ``*_steps`` count steps (one per input frame). Only the saccade
encoder works in ms (its DVS recording), binned into frames of ``frame_window`` ms.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...models.lif import LIFParams
from ...models.src import SRCParams
from ...schema import AtLeastOne, Folder, NonNegative, Params
from ...training.bptt import BPTTParams

StaticDataset = Literal["digits", "mnist", "fashion_mnist"]
EventTask = Literal["saccade_digits", "nmnist", "none"]
Readout = Literal["sum", "last"]


def _src_cell() -> SRCParams:
    return SRCParams(relu_bypass=True)


def _training() -> BPTTParams:
    return BPTTParams(epochs=6, batch_size=64, lr=5e-3, val_fraction=0.1, patience=0, seed=0)


class SrcEncodingParams(Params):
    """Rate code of static images: ``silent_steps`` empty frames, then ``stimulus_steps`` frames
    in which pixel value ``v`` in [0, 1] spikes with probability ``v * p_max`` per step."""

    silent_steps: int = Field(10, ge=0, le=10_000, description="empty steps before the stimulus (the SRC state "
                                                                  "relaxes from zero to rest)")
    stimulus_steps: int = Field(30, ge=1, le=10_000, description="steps of the rate-coded stimulus")
    p_max: float = Field(0.5, gt=0, le=1, description="spike probability per step of a pixel of value 1")
    seed: int = Field(1, ge=0, description="seed of the Bernoulli spike draws")


class SrcEventParams(Params):
    """The event task: digits as saccade events (N-MNIST-like, ``neurobench.data.saccade``), or
    N-MNIST itself when its files are present (``task: nmnist``), binned into frames."""

    task: EventTask = Field("saccade_digits", description="saccade_digits | nmnist | none (no event task)")
    saccade_steps: int = Field(30, ge=3, le=10_000, description="1 ms steps of the saccade recording")
    saccade_amplitude: float = Field(1.5, gt=0, le=8, description="saccade length in pixels")
    saccade_threshold: float = Field(0.15, gt=0, le=2, description="DVS contrast threshold (log intensity)")
    seed: int = Field(2, ge=0, description="seed of the saccade path orientations")
    frame_window: float = Field(1.0, gt=0, le=10_000, description="frame length in ms (one network step per frame)")
    duration: float = Field(300.0, gt=0, le=100_000, description="N-MNIST recording kept, in ms (saccades: "
                                                                  "saccade_steps ms)")


class SrcNetworkParams(Params):
    """Sizes and readout of the networks (the same for the SRC and the LIF baseline)."""

    hidden: list[AtLeastOne] = Field(default_factory=lambda: [100], min_length=1, description="hidden widths of the "
                                                                                        "shallow net (64-100-10)")
    deep_hidden: list[AtLeastOne] = Field(default_factory=lambda: [100, 100, 100, 100], min_length=1,
                                   description="hidden widths of the deep net")
    readout: Readout = Field("sum", description="sum: logits summed over steps; last: leaky integrator, last step")
    readout_alpha: float = Field(0.9, ge=0, lt=1, description="leak per step of the 'last' readout")


class SrcSection(Params):
    """The ``src`` stage: the Spiking Recurrent Cell trained by BPTT, against an snnTorch LIF net."""

    root: Folder = Field("data/raw", description="folder of downloaded data sets (MNIST, N-MNIST)")
    dataset: StaticDataset = Field("digits", description="rate-coded task: digits (embedded) | mnist | "
                                                         "fashion_mnist (files in root)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="share of digits held out for testing "
                                                              "(MNIST-like sets use their own split)")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    max_train: int = Field(0, ge=0, description="cap on training samples (0 = all)")
    max_test: int = Field(0, ge=0, description="cap on test samples (0 = all)")
    encoding: SrcEncodingParams = Field(default_factory=SrcEncodingParams)
    events: SrcEventParams = Field(default_factory=SrcEventParams)
    cell: SRCParams = Field(default_factory=_src_cell, description="SRC constants and training knobs")
    lif: LIFParams = Field(default_factory=LIFParams, description="the snnTorch LIF baseline's neurons")
    network: SrcNetworkParams = Field(default_factory=SrcNetworkParams)
    training: BPTTParams = Field(default_factory=_training, description="BPTT of every network (same budget)")
    init_seed: int = Field(3, ge=0, description="seed of the weight initialisation")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every "
                                                      "seed field")
    ablation: bool = Field(True, description="also train the deep SRC net without relu_bypass (replicate 0 only)")
    neuron_drives: list[NonNegative] = Field(default_factory=lambda: [0.0, 0.1, 0.2, 0.3, 0.5, 1.0], min_length=2,
                                       description="constant integrator inputs of the single-neuron study (E-SRC-1)")
    neuron_steps: int = Field(150, ge=10, le=100_000, description="steps of the single-neuron study")
    stimulus_sweep: list[AtLeastOne] = Field(default_factory=lambda: [5, 10, 20, 30], min_length=1,
                                      description="stimulus steps shown at test time in the sensitivity table")
    brian_samples: int = Field(4, ge=1, le=1000, description="test samples of the torch vs Brian2 forward check")


SECTION_SCHEMA = SrcSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
