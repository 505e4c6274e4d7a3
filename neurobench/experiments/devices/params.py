"""The ``devices`` stage's params section ``devices`` (Jones & Jha 2020, spec B3/B4).

``DevicesSection`` composes the gated-synapse parameters (``neurobench.devices.GatedSynapseParams``:
V, ns, S), the fit protocol (``neurobench.devices.FitProtocol``), the write scheme
(``neurobench.devices.programming.ProgramParams``) and the digits network that is written.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ...devices import FitProtocol, GatedSynapseParams
from ...devices.programming import ProgramParams
from ...schema import Params


def _fit_truth() -> GatedSynapseParams:
    return GatedSynapseParams(t_set=120.0, t_reset=80.0, alpha_p=0.7, alpha_d=0.4, p=2.0, tau_decay=15_000.0)


def _fit_guess() -> GatedSynapseParams:
    return GatedSynapseParams(tau_decay=10_000.0)


def _fit_protocol() -> FitProtocol:
    return FitProtocol(n_pulses=60, width=5.0, gap=20.0, amplitudes=[1.0, 0.75])


class ChecksParams(Params):
    """The model checks E3a-E3d (spec B4)."""

    n_pulses: int = Field(100, ge=2, le=100_000, description="pulses of the E3d potentiation/depression trains")
    width: float = Field(2.0, gt=0, description="pulse width of the E3b/E3d trains in ns")
    sub_threshold: float = Field(0.99, gt=0, lt=1, description="E3a gate voltage as a fraction of each threshold")
    tau_decay: float = Field(1000.0, gt=0, description="decay time constant of the E3c device in ns")
    decay_w0: float = Field(0.8, ge=0, le=1, description="E3c initial state")
    decay_w_inf: float = Field(0.1, ge=0, le=1, description="E3c resting state")


class FitStudyParams(Params):
    """E3e: synthetic curves of ``truth`` with read noise, fitted from ``guess``."""

    truth: GatedSynapseParams = Field(default_factory=_fit_truth, description="device whose curves are fitted")
    guess: GatedSynapseParams = Field(default_factory=_fit_guess, description="start of the fit (finite tau_decay)")
    protocol: FitProtocol = Field(default_factory=_fit_protocol)
    noise: float = Field(0.01, ge=0, le=0.5, description="read noise std as a fraction of g_max - g_min")
    seed: int = Field(0, ge=0, description="seed of the read noise")

    @model_validator(mode="after")
    def _finite(self) -> "FitStudyParams":
        if self.truth.tau_decay == float("inf") or self.guess.tau_decay == float("inf"):
            raise ValueError("truth.tau_decay and guess.tau_decay must be finite (ns) to be fitted")
        return self


class NetworkParams(Params):
    """The digits MLP converted under the 4-bit digital constraint family (``neurobench.conversion``)."""

    hidden: int = Field(64, ge=1, le=4096, description="hidden units of the MLP")
    epochs: int = Field(30, ge=1, le=1000, description="training epochs")
    bits: int = Field(4, ge=2, le=8, description="signed weight bits: levels -(2^(b-1)-1) .. 2^(b-1)-1")
    calibration_samples: int = Field(300, ge=10, le=100_000, description="training samples that calibrate the LPs")
    n_steps: int = Field(100, ge=1, le=100_000, description="simulation steps of dt = 1 ms per test sample")
    input_rate: float = Field(500.0, gt=0, le=1000.0, description="rate of a pixel of value 1 in Hz (<= 1/dt)")
    test_samples: int = Field(0, ge=0, description="test samples simulated (0 = all)")
    train_seed: int = Field(0, ge=0, description="seed of the MLP training")
    split_seed: int = Field(0, ge=0, description="seed of the train/test split")


class DevicesSection(Params):
    """The ``devices`` stage: model checks, fit recovery, a 4-bit network on gated synapses."""

    device: GatedSynapseParams = Field(default_factory=GatedSynapseParams, description="the nominal device")
    checks: ChecksParams = Field(default_factory=ChecksParams)
    fit: FitStudyParams = Field(default_factory=FitStudyParams)
    program: ProgramParams = Field(default_factory=ProgramParams)
    network: NetworkParams = Field(default_factory=NetworkParams)
    alphas: list[float] = Field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0], min_length=1,
                                description="non-linearity exponents (alpha_p = alpha_d) of the write study")
    sigma_sweep: list[float] = Field(default_factory=lambda: [0.0, 0.1, 0.3], min_length=1,
                                     description="sigma_d2d values of the variation sweep (at device.alpha_p)")
    device_seed: int = Field(0, ge=0, description="seed of device variation, pulse and read noise")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of "
                                                      "device_seed and fit.seed")

    @field_validator("alphas", "sigma_sweep")
    @classmethod
    def _sweep(cls, v: list[float], info) -> list[float]:
        if any(x < 0 or x > 10 for x in v) or len(set(v)) != len(v):
            raise ValueError(f"{info.field_name} = {v} is not allowed: distinct values in [0, 10]")
        return v


SECTION_SCHEMA = DevicesSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
