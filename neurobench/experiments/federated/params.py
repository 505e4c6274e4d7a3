"""The ``federated`` stage's params section ``federated`` (FL-SNN, spec §3.2, §5 E-FL-1/2).

``FederatedSection`` composes the GLM SNN (``neurobench.federated.glm_snn.GLMParams``), its local
rule (``RuleParams``) and the federation (``neurobench.federated.fl.FLParams``) with the data
encoding and the sweeps. Time is counted in steps of the input frames (``encoding.dt`` ms each).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ...federated.fl import SPLITS, FLParams, Split
from ...federated.glm_snn import GLMParams, RuleParams
from ...schema import Params


class SpikeEncoding(Params):
    """Poisson (Bernoulli per step) rate code of the normalised digits (``neurobench.data.encoders.poisson``)."""

    n_steps: int = Field(20, ge=1, le=10_000, description="steps per sample")
    dt: float = Field(1.0, gt=0, description="step length in ms")
    max_rate: float = Field(500.0, ge=0, description="rate in Hz of a pixel of value 1 (<= 1000 / dt)")
    seed: int = Field(0, ge=0, description="seed of the spike draws")

    @model_validator(mode="after")
    def _fits(self) -> "SpikeEncoding":
        if self.max_rate * self.dt / 1000.0 > 1.0:
            raise ValueError(f"max_rate = {self.max_rate:g} Hz is not allowed with dt = {self.dt:g} ms: at most "
                             f"{1000.0 / self.dt:g} Hz (one spike per step)")
        return self


class FederatedSection(Params):
    """The ``federated`` stage."""

    classes: list[int] = Field(default_factory=lambda: [1, 7], min_length=2,
                               description="digits of the two-class study (E-FL-1), one per device")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="share of each class held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the train/test split and of the device split")
    encoding: SpikeEncoding = Field(default_factory=SpikeEncoding)
    glm: GLMParams = Field(default_factory=lambda: GLMParams(n_hidden=8))
    rule: RuleParams = Field(default_factory=RuleParams)
    fl: FLParams = Field(default_factory=lambda: FLParams(samples_per_device=60, n_evals=4),
                         description="the two-class federation (E-FL-1, and the base of the sweeps)")
    ten_class: bool = Field(True, description="also run all ten digits over ten_class_devices devices")
    ten_class_devices: int = Field(10, ge=1, le=1024, description="K of the ten-class study")
    ten_class_split: Split = Field("one_class_per_device", description=f"split of the ten-class study: one of {SPLITS}")
    ten_class_samples: int = Field(30, ge=1, le=1_000_000, description="samples per device of the ten-class study")
    taus: list[int] = Field(default_factory=lambda: [1, 4, 16, 64], min_length=2,
                            description="E-FL-2: aggregation periods tau (in units of delta_s)")
    rates: list[float] = Field(default_factory=lambda: [1.0, 0.5, 0.25, 0.125, 0.0], min_length=2,
                               description="E-FL-2: share of basis-weight slices uploaded per round")
    quant_bits: list[int] = Field(default_factory=lambda: [4, 8, 16, 32], min_length=1,
                                  description="quantisations at which the uplink is also counted in bits")
    init_seed: int = Field(2, ge=0, description="seed of the initial weights")
    train_seed: int = Field(1, ge=0, description="seed of the sample order and hidden-neuron draws")
    eval_seed: int = Field(3, ge=0, description="seed of the test-time draws")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every "
                                                      "seed field")

    @field_validator("taus")
    @classmethod
    def _taus(cls, v: list[int]) -> list[int]:
        if any(t <= 0 for t in v) or any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError(f"taus = {v} is not allowed: positive integers, strictly increasing")
        return v

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[float]) -> list[float]:
        if any(not 0.0 <= r <= 1.0 for r in v) or any(b >= a for a, b in zip(v, v[1:])):
            raise ValueError(f"rates = {v} is not allowed: each in [0, 1], strictly decreasing")
        return v

    @field_validator("quant_bits")
    @classmethod
    def _bits(cls, v: list[int]) -> list[int]:
        if any(not 1 <= b <= 64 for b in v):
            raise ValueError(f"quant_bits = {v} is not allowed: each in [1, 64]")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "FederatedSection":
        if any(not 0 <= c <= 9 for c in self.classes) or len(set(self.classes)) != len(self.classes):
            raise ValueError(f"classes = {self.classes} is not allowed: distinct digits 0..9")
        return self


SECTION_SCHEMA = FederatedSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
