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


SECTIONS: dict[str, type[Section]] = {
    "data": DataSection,
    "simulator": SimulatorSection,
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
