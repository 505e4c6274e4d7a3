"""The ``wireless`` stage's params section ``wireless`` (NeuroJSCC, Skatchkovsky et al. 2020).

``WirelessSection`` composes the channel (``neurobench.wireless.channel.ChannelParams``), the
NeuroJSCC chain (``neurobench.wireless.jscc.NeuroJSCCParams``), the BPTT hyper-parameters
(``neurobench.training.bptt.BPTTParams``), the saccade events and the frame baseline. Units: SNR
in dB (``E / N0``, energy per pulse or per BPSK bit), time in steps of 1 ms, energy in pulses
(one pulse = one BPSK symbol's energy), channel uses in symbols.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ...schema import Folder, Params
from ...training.bptt import BPTTParams
from ...wireless.channel import ChannelParams
from ...wireless.jscc import NeuroJSCCParams


def _training() -> BPTTParams:
    return BPTTParams(epochs=10, batch_size=64, lr=5e-3, val_fraction=0.1, patience=0, seed=0)


def _increasing(name: str, v: list) -> list:
    if any(b <= a for a, b in zip(v, v[1:])):
        raise ValueError(f"{name} = {v} is not allowed: strictly increasing")
    return v


class EventParams(Params):
    """The digits as N-MNIST-like saccade events (``neurobench.data.saccade``), our DVS stand-in."""

    steps: int = Field(30, ge=3, le=10_000, description="1 ms steps of the recording (= SNN time steps)")
    amplitude: float = Field(1.5, gt=0, le=8, description="saccade length in pixels")
    threshold: float = Field(0.15, gt=0, le=2, description="DVS contrast threshold (log intensity)")
    seed: int = Field(2, ge=0, description="seed of the saccade path orientations")


class FrameParams(Params):
    """The frame-based digital baseline (``neurobench.wireless.frame``) and its classifier."""

    bits: int = Field(4, ge=1, le=16, description="bits per feature of the SNR sweep")
    bits_grid: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 6, 8], min_length=1,
                                 description="bits per feature of the time / energy sweep")
    c: float = Field(1.0, gt=0, description="inverse L2 strength of the logistic-regression classifier")

    @field_validator("bits_grid")
    @classmethod
    def _bits(cls, v: list[int]) -> list[int]:
        if any(b < 1 or b > 16 for b in v):
            raise ValueError(f"bits_grid = {v} is not allowed: integers in [1, 16]")
        return _increasing("bits_grid", v)


class WirelessSection(Params):
    """The ``wireless`` stage: NeuroJSCC vs a frame-based BPSK baseline over one channel."""

    root: Folder = Field("data/raw", description="folder of downloaded data sets (digits are embedded)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="share of the digits held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    max_train: int = Field(0, ge=0, description="cap on training samples (0 = all)")
    max_test: int = Field(0, ge=0, description="cap on test samples (0 = all)")
    events: EventParams = Field(default_factory=EventParams)
    channel: ChannelParams = Field(default_factory=ChannelParams)
    jscc: NeuroJSCCParams = Field(default_factory=NeuroJSCCParams)
    training: BPTTParams = Field(default_factory=_training, description="BPTT of the chain, channel in the loop")
    train_snr_db: float = Field(8.0, ge=-30, le=60, description="E/N0 (dB) of the channel during training")
    snr_grid_db: list[float] = Field(default_factory=lambda: [-4.0, 0.0, 4.0, 8.0, 12.0, 16.0, 20.0], min_length=2,
                                     description="E/N0 (dB) of the accuracy-vs-SNR sweep, increasing")
    decision_snr_db: float = Field(12.0, ge=-30, le=60, description="E/N0 (dB) of the time and energy sweeps")
    frame: FrameParams = Field(default_factory=FrameParams)
    decision_fraction: float = Field(0.95, gt=0, le=1, description="equal-accuracy level of the time / energy "
                                     "claims, as a fraction of the lower of the two systems' best accuracy")
    decision_fraction_sweep: list[float] = Field(default_factory=lambda: [0.8, 0.85, 0.9, 0.95, 0.98, 1.0],
                                                 min_length=1, description="levels of the sensitivity sweep")
    noiseless_gap_pp: float = Field(3.0, ge=0, le=100, description="target: noiseless minus highest-SNR accuracy "
                                                                   "of the SNN link at most this (pp)")
    init_seed: int = Field(3, ge=0, description="seed of the weight initialisation")
    link_seed: int = Field(4, ge=0, description="seed of the channel draws (fading, noise) in training")
    eval_seed: int = Field(5, ge=0, description="seed of the channel draws (fading, noise) in evaluation")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every "
                                                      "seed field")

    @field_validator("snr_grid_db")
    @classmethod
    def _grid(cls, v: list[float]) -> list[float]:
        if any(s < -30 or s > 60 for s in v):
            raise ValueError(f"snr_grid_db = {v} is not allowed: finite values in [-30, 60] dB")
        return _increasing("snr_grid_db", v)

    @field_validator("decision_fraction_sweep")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        if any(not 0 < f <= 1 for f in v):
            raise ValueError(f"decision_fraction_sweep = {v} is not allowed: fractions in (0, 1]")
        return _increasing("decision_fraction_sweep", v)

    @model_validator(mode="after")
    def _consistent(self) -> "WirelessSection":
        if self.max_train and self.max_train < 20:
            raise ValueError(f"max_train = {self.max_train} is not allowed: 0 (all) or >= 20 samples")
        return self


SECTION_SCHEMA = WirelessSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
