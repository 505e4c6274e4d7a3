"""Save and load networks (``Network``) and trained ANNs (``Ann``) as ``.npz`` files.

One file holds a JSON header (``__meta__``: input shape, each layer's type and scalar fields,
neuron parameters or activations) and each layer's arrays as ``layer<i>.weight`` /
``layer<i>.bias``. Files are written atomically; a file that is not such an archive raises
``ValueError`` naming the path.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path

import numpy as np

from .ann import Ann
from .io import atomic_path
from .network import AvgPool2d, Conv2d, Dense, Network
from .neurons import NeuronParams

LAYER_TYPES = {cls.__name__: cls for cls in (Dense, Conv2d, AvgPool2d)}
FORMAT = "neurobench-network/1"


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


def _load(path: str | Path, kind: str) -> tuple[dict, tuple]:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = json.loads(str(archive["__meta__"]))
            if header.get("format") != FORMAT or header.get("kind") != kind:
                raise ValueError(f"holds {header.get('kind')!r}, expected a {kind!r} in format {FORMAT}")
            layers = []
            for i, meta in enumerate(header["layers"]):
                meta = dict(meta)
                cls = LAYER_TYPES[meta.pop("type")]
                arrays = {f.name: archive[f"layer{i}.{f.name}"] for f in dataclasses.fields(cls) if f"layer{i}.{f.name}" in archive}
                layers.append(cls(**meta, **arrays))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, TypeError) as exc:
        raise ValueError(f"{path}: not a readable neurobench {kind} file ({exc})") from None
    return header, tuple(layers)


def save_network(path: str | Path, network: Network) -> Path:
    """Write ``network`` (layers and per-layer neuron parameters) to ``path``."""
    header = {
        "format": FORMAT, "kind": "network", "input_shape": list(network.input_shape),
        "neurons": [p.model_dump() for p in network.neurons],
    }
    return _save(path, header, network.layers)


def load_network(path: str | Path) -> Network:
    """Read a ``Network`` written by ``save_network``."""
    header, layers = _load(path, "network")
    return Network(tuple(header["input_shape"]), layers, tuple(NeuronParams(**p) for p in header["neurons"]))


def save_ann(path: str | Path, ann: Ann) -> Path:
    """Write ``ann`` to ``path``."""
    header = {
        "format": FORMAT, "kind": "ann", "input_shape": list(ann.input_shape),
        "activations": list(ann.activations), "task": ann.task, "name": ann.name,
    }
    return _save(path, header, ann.layers)


def load_ann(path: str | Path) -> Ann:
    """Read an ``Ann`` written by ``save_ann``."""
    header, layers = _load(path, "ann")
    return Ann(tuple(header["input_shape"]), layers, tuple(header["activations"]), header["task"], header["name"])
