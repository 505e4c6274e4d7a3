"""Save and load networks (``Network``) and trained ANNs (``Ann``) as ``.npz`` files.

One file holds a JSON header (``__meta__``: format, kind, input shape, each layer's type and
scalar fields, neuron parameters or activations) and each layer's arrays as
``layer<i>.weight`` / ``layer<i>.bias``. Files are written atomically.

Reading checks everything before returning: a missing file raises ``FileNotFoundError``; any
other file that does not hold a valid network (ANN) raises ``NetworkFileError`` (a
``ValueError``) whose message names the path and what is wrong: empty, truncated or corrupt,
not an ``.npz`` archive, an array header declaring more data than the file holds (checked from
the headers, before numpy allocates anything), no header or a header that is not a JSON
object, another format or kind, missing keys, unknown layer types or fields, missing arrays,
arrays of the wrong shape, layer shapes that do not chain, invalid neuron parameters.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
import zlib
from pathlib import Path
from typing import Callable

import numpy as np
import pydantic

from .ann import Ann
from .data._checks import npz_problem
from .io import atomic_path
from .network import AvgPool2d, Conv2d, Dense, Network
from .neurons import NeuronParams

__all__ = ["FORMAT", "LAYER_TYPES", "NetworkFileError", "load_ann", "load_network", "save_ann", "save_network"]

LAYER_TYPES = {cls.__name__: cls for cls in (Dense, Conv2d, AvgPool2d)}
FORMAT = "neurobench-network/1"
HEADER_KEYS = {
    "network": ("format", "kind", "input_shape", "layers", "neurons"),
    "ann": ("format", "kind", "input_shape", "layers", "activations", "task", "name"),
}


class NetworkFileError(ValueError):
    """A network or ANN file that cannot be read; the message names the file and what is wrong."""


class _Malformed(Exception):
    """What is wrong with the file's contents (internal: turned into ``NetworkFileError``)."""


def _layer_entry(layer) -> tuple[dict, dict[str, np.ndarray]]:
    meta, arrays = {"type": type(layer).__name__}, {}
    for f in dataclasses.fields(layer):
        value = getattr(layer, f.name)
        if isinstance(value, np.ndarray):
            arrays[f.name] = value
        else:
            meta[f.name] = value
    return meta, arrays


def _save(path: str | Path, header: dict, layers) -> Path:
    arrays = {}
    header["layers"] = []
    for i, layer in enumerate(layers):
        meta, layer_arrays = _layer_entry(layer)
        header["layers"].append(meta)
        arrays.update({f"layer{i}.{k}": v for k, v in layer_arrays.items()})
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(header)), **arrays)
    return path


def _header(archive, kind: str) -> dict:
    """The JSON header of an open archive, checked for format, kind and the keys of ``kind``."""
    if "__meta__" not in archive.files:
        raise _Malformed(f"no __meta__ header among its arrays {archive.files}")
    meta = archive["__meta__"]
    if meta.ndim != 0 or meta.dtype.kind != "U":
        raise _Malformed(f"__meta__ must be a string, got a {meta.dtype} array of shape {meta.shape}")
    try:
        header = json.loads(str(meta))
    except json.JSONDecodeError as err:
        raise _Malformed(f"__meta__ header is not JSON ({err})") from None
    if not isinstance(header, dict):
        raise _Malformed(f"__meta__ header must be a JSON object, got {type(header).__name__}")
    if header.get("format") != FORMAT or header.get("kind") != kind:
        raise _Malformed(
            f"holds {header.get('kind')!r} in format {header.get('format')!r}, expected a {kind!r} in format {FORMAT}"
        )
    missing = [key for key in HEADER_KEYS[kind] if key not in header]
    if missing:
        raise _Malformed(f"header lacks {', '.join(missing)}")
    for key in ("input_shape", "layers") + (("neurons",) if kind == "network" else ("activations",)):
        if not isinstance(header[key], list):
            raise _Malformed(f"header {key} must be a list, got {header[key]!r}")
    if not all(type(s) is int for s in header["input_shape"]):
        raise _Malformed(f"header input_shape must hold integers, got {header['input_shape']}")
    return header


def _layers(archive, header: dict) -> tuple:
    """The layers the header lists, each built from its scalar fields and its arrays."""
    layers = []
    for i, meta in enumerate(header["layers"]):
        if not isinstance(meta, dict) or meta.get("type") not in LAYER_TYPES:
            raise _Malformed(f"layer {i}: {meta!r} is not one of the layer types {sorted(LAYER_TYPES)}")
        meta = dict(meta)
        cls = LAYER_TYPES[meta.pop("type")]
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(meta) - set(fields))
        if unknown:
            raise _Malformed(f"layer {i} ({cls.__name__}): unknown fields {unknown}")
        arrays = {name: archive[f"layer{i}.{name}"] for name in fields if f"layer{i}.{name}" in archive.files}
        if cls is not AvgPool2d and "weight" not in arrays:
            raise _Malformed(f"layer {i} ({cls.__name__}): array layer{i}.weight is missing")
        try:
            layers.append(cls(**meta, **arrays))
        except (TypeError, ValueError) as err:
            raise _Malformed(f"layer {i} ({cls.__name__}): {err}") from None
    return tuple(layers)


def _load(path: str | Path, kind: str, build: Callable[[dict, tuple], object]):
    """Read the file at ``path``, check it holds a ``kind`` and return ``build(header, layers)``;
    every problem with the file becomes one ``NetworkFileError`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no neurobench {kind} file at {path}")

    def error(what: str) -> NetworkFileError:
        return NetworkFileError(f"{path}: not a readable neurobench {kind} file ({what})")

    problem = npz_problem(path)
    if problem is not None:
        raise error(problem)
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = _header(archive, kind)
            layers = _layers(archive, header)
            return build(header, layers)
    except _Malformed as err:
        raise error(str(err)) from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise error(f"{type(err).__name__}: {err}") from None


def save_network(path: str | Path, network: Network) -> Path:
    """Write ``network`` (layers and per-layer neuron parameters) to ``path``."""
    header = {
        "format": FORMAT, "kind": "network", "input_shape": list(network.input_shape),
        "neurons": [p.model_dump() for p in network.neurons],
    }
    return _save(path, header, network.layers)


def load_network(path: str | Path) -> Network:
    """Read a ``Network`` written by ``save_network``.

    Raises ``FileNotFoundError`` if there is no file at ``path`` and ``NetworkFileError`` naming
    ``path`` for any file that does not hold a valid network (see the module docstring)."""

    def build(header: dict, layers: tuple) -> Network:
        neurons = []
        for i, p in enumerate(header["neurons"]):
            if not isinstance(p, dict):
                raise _Malformed(f"neuron parameters {i} must be a JSON object, got {p!r}")
            try:
                neurons.append(NeuronParams(**p))
            except pydantic.ValidationError as err:
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']} (got {e.get('input')!r})"
                                     for e in err.errors())
                raise _Malformed(f"neuron parameters {i}: {problems}") from None
        return Network(tuple(header["input_shape"]), layers, tuple(neurons))

    return _load(path, "network", build)


def save_ann(path: str | Path, ann: Ann) -> Path:
    """Write ``ann`` to ``path``."""
    header = {
        "format": FORMAT, "kind": "ann", "input_shape": list(ann.input_shape),
        "activations": list(ann.activations), "task": ann.task, "name": ann.name,
    }
    return _save(path, header, ann.layers)


def load_ann(path: str | Path) -> Ann:
    """Read an ``Ann`` written by ``save_ann``.

    Raises ``FileNotFoundError`` if there is no file at ``path`` and ``NetworkFileError`` naming
    ``path`` for any file that does not hold a valid ANN (see the module docstring)."""

    def build(header: dict, layers: tuple) -> Ann:
        if header["task"] not in ("classification", "regression"):
            raise _Malformed(f"task {header['task']!r} is not 'classification' or 'regression'")
        if not isinstance(header["name"], str):
            raise _Malformed(f"name must be a string, got {header['name']!r}")
        return Ann(tuple(header["input_shape"]), layers, tuple(header["activations"]), header["task"], header["name"])

    return _load(path, "ann", build)
