"""The ``delays`` stage's params section ``delays`` (Patiño-Saucedo et al. 2024).

``DelaysSection`` composes the delay network (``neurobench.models.delays.DelayNetParams``), the
BPTT hyper-parameters (``neurobench.training.bptt.BPTTParams``), the quantisation legs
(``neurobench.hardware.precision.QuantParams``) and the study's tasks, pooling and memory
settings. Units: the networks are discrete-time; delays, lags and ``*_steps`` count steps.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from ...hardware.precision import LOIHI_MAX_DELAY, QuantParams
from ...models.delays import POOL_MODES, DelayNetParams, DelayParams, LIFDelayParams
from ...schema import Folder, Params
from ...training.bptt import BPTTParams

Task = Literal["coincidence", "shd"]


def _network() -> DelayNetParams:
    return DelayNetParams(hidden=[32], delay=DelayParams(max_delay=13, stride=1), delay_on="i",
                          neurons=LIFDelayParams(tau_m=2.0, tau_out=5.0), gain=2.0)


def _rows_network() -> DelayNetParams:
    return DelayNetParams(hidden=[48], delay=DelayParams(max_delay=8, stride=2), delay_on="i",
                          neurons=LIFDelayParams(tau_m=2.0, tau_out=5.0), gain=2.0)


def _training() -> BPTTParams:
    return BPTTParams(epochs=8, batch_size=64, lr=5e-3, val_fraction=0.1, patience=0, seed=0)


def _finetune() -> BPTTParams:
    return BPTTParams(epochs=3, batch_size=64, lr=2e-3, val_fraction=0.1, patience=0, seed=5)


def _legs() -> list[QuantParams]:
    return [QuantParams(kind="uniform", bits=8), QuantParams(kind="uniform", bits=6),
            QuantParams(kind="uniform", bits=4), QuantParams(kind="loihi", bits=8), QuantParams(kind="bf16")]


class CoincidenceParams(Params):
    """The delayed-coincidence task (``neurobench.experiments.delays.tasks``)."""

    lags: list[int] = Field(default_factory=lambda: [3, 6, 9, 12], min_length=2,
                            description="steps between the two presentations, one class each")
    p_max: float = Field(0.8, gt=0, le=1, description="spike probability of a pixel of value 1 per presentation")
    jitter: int = Field(4, ge=0, le=10_000, description="onset drawn uniformly in [0, jitter] steps")
    tail: int = Field(2, ge=0, le=10_000, description="steps after the latest second presentation")
    n_per_image: int = Field(1, ge=1, le=100, description="samples drawn per digit image")
    seed: int = Field(1, ge=0, description="seed of the classes, onsets and spike draws")

    @field_validator("lags")
    @classmethod
    def _lags(cls, v: list[int]) -> list[int]:
        if any(x < 1 for x in v) or len(set(v)) != len(v):
            raise ValueError(f"lags = {v} is not allowed: distinct integers >= 1 (steps)")
        return v


class ShdParams(Params):
    """SHD (``task: shd``; files under ``root/SHD``, never downloaded by the stage)."""

    bins: int = Field(50, ge=1, le=10_000, description="frames per sample (spec: 50 or 250)")
    duration: float = Field(1000.0, gt=0, description="recording kept, in ms (spec: 1 s)")


class DelaysSection(Params):
    """The ``delays`` stage: delay networks trained by BPTT, pooled, quantised, simulated."""

    root: Folder = Field("data/raw", description="folder of downloaded data sets (SHD)")
    task: Task = Field("coincidence", description="coincidence (embedded digits) | shd (files in root)")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="share of the digits held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    max_train: int = Field(0, ge=0, description="cap on training samples (0 = all)")
    max_test: int = Field(0, ge=0, description="cap on test samples (0 = all)")
    coincidence: CoincidenceParams = Field(default_factory=CoincidenceParams)
    shd: ShdParams = Field(default_factory=ShdParams)
    network: DelayNetParams = Field(default_factory=_network, description="the main task's delay network")
    rows: bool = Field(True, description="also train on row-by-row digits (with and without delays)")
    rows_network: DelayNetParams = Field(default_factory=_rows_network, description="the row-by-row digits network")
    rows_levels: int = Field(4, ge=1, le=16, description="thermometer levels per pixel of the row-by-row digits")
    training: BPTTParams = Field(default_factory=_training, description="BPTT of every network (same budget)")
    init_seed: int = Field(3, ge=0, description="seed of the weight initialisation")
    pool_ks: list[int] = Field(default_factory=lambda: [4, 2, 1], min_length=1,
                               description="taps kept per synapse (or axon) after pooling")
    pool_mode: Literal["synaptic", "axonal", "axonal_variable"] = Field(
        "synaptic", description=f"pooling: one of {POOL_MODES}")
    finetune: BPTTParams = Field(default_factory=_finetune, description="fine-tuning after pooling")
    dynamic_k: int = Field(2, ge=0, description="also train with dynamic top-k taps (0 = skip)")
    quant: list[QuantParams] = Field(default_factory=_legs, min_length=1, description="quantisation legs "
                                                                                      "(hidden projections)")
    memory_ks: list[int] = Field(default_factory=lambda: [13, 4, 2, 1], min_length=1,
                                 description="k of the memory table")
    activity_percentile: float = Field(99.0, ge=0, le=100, description="alpha_hat percentile of per-step firing")
    activity_gains: list[float] = Field(default_factory=lambda: [0.25, 0.5, 1.0, 1.25], min_length=2,
                                        description="input p_max multipliers at which activity is measured")
    weight_bits: int = Field(8, ge=1, le=32, description="b_w of the memory model")
    acc_bits: int = Field(16, ge=1, le=64, description="ring-buffer accumulator bits b_acc")
    brian_samples: int = Field(20, ge=1, le=10_000, description="test samples of the clock vs Brian2 check")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every "
                                                      "seed field")

    @field_validator("activity_gains")
    @classmethod
    def _gains(cls, v: list[float]) -> list[float]:
        if any(g <= 0 for g in v) or any(b <= a for a, b in zip(v, v[1:])):
            raise ValueError(f"activity_gains = {v} is not allowed: positive and strictly increasing")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> "DelaysSection":
        n_taps = self.network.delay.n_taps
        for name, ks in (("pool_ks", self.pool_ks), ("memory_ks", self.memory_ks)):
            bad = [k for k in ks if not 1 <= k <= n_taps]
            if bad:
                raise ValueError(f"{name} = {ks} is not allowed: every k in [1, {n_taps}] (network.delay has "
                                 f"{n_taps} taps)")
        if self.dynamic_k > n_taps:
            raise ValueError(f"dynamic_k = {self.dynamic_k} is not allowed: must be <= {n_taps} taps")
        if 1 not in self.pool_ks:
            raise ValueError(f"pool_ks = {self.pool_ks} must contain 1 (the clock vs Brian2 check runs the k = 1 net)")
        if "i" not in self.network.delay_on:
            raise ValueError(f"network.delay_on = {self.network.delay_on!r} must contain 'i' (the input projection)")
        if any(q.kind == "loihi" for q in self.quant) and self.network.delay.max_delay - 1 > LOIHI_MAX_DELAY:
            raise ValueError(f"network.delay.max_delay = {self.network.delay.max_delay}: a loihi leg needs delays "
                             f"<= {LOIHI_MAX_DELAY} steps")
        if any(q.kind == "loihi" and q.bits > 8 for q in self.quant):
            raise ValueError("quant: a loihi leg allows bits <= 8")
        return self


SECTION_SCHEMA = DelaysSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
