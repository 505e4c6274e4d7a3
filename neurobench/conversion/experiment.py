"""The conversion experiment (Mern et al., reconstructed): train -> convert -> evaluate.

Three DVC stages share the ``conversion`` section of ``params.yaml``:

``conversion_train``  (``python -m neurobench.conversion.experiment train``)
    trains the stand-in ANNs (``neurobench.ann.train``) and writes ``<models_dir>/ann``;
``conversion_convert``  (``python -m neurobench.conversion.experiment convert``)
    converts each ANN under each constraint family with the LP ``Converter`` and with the
    data-normalisation baseline held to the same constraints, runs the pruning experiments and
    writes ``<models_dir>/snn`` (networks as ``.npz``, ``conversion.json`` with read-out
    constants, solver reports and selections);
``conversion``  (``notebooks/conversion.ipynb``)
    evaluates every converted network (``evaluate_entry``) and checks it in Brian2.

Each folder carries a fingerprint of the parameters it was built from. ``ensure_models`` builds
what is missing or stale, so the notebook also runs on its own (in JupyterLab, or in the tests
with small parameters); under ``dvc repro`` the folders are always current.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ..ann import Ann
from ..ann.train import DATA_OF_KIND, evaluate, load_data, train
from ..config import ConfigError, ConversionSection, load_section
from ..io import replace_dir, write_json_atomic
from ..network import Network
from ..serialize import load_ann, load_network, save_ann, save_network
from .constraints import Analog, Digital
from .convert import Converter
from .normalize import constrain, layer_scales, normalize
from .solve import default_workers

TRAIN_KEYS = ("networks", "data_seed", "train_seed", "epochs")
UNUSED_BY_CONVERT = ("evaluate", "models_dir")


def fingerprint(values: dict[str, Any]) -> str:
    """SHA-256 of the JSON form of ``values`` (keys sorted): which parameters built a folder."""
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def train_fingerprint(cfg: ConversionSection) -> str:
    return fingerprint({k: v for k, v in cfg.model_dump().items() if k in TRAIN_KEYS})


def convert_fingerprint(cfg: ConversionSection) -> str:
    return fingerprint({k: v for k, v in cfg.model_dump().items() if k not in UNUSED_BY_CONVERT})


def ann_dir(cfg: ConversionSection) -> Path:
    return Path(cfg.models_dir) / "ann"


def snn_dir(cfg: ConversionSection) -> Path:
    return Path(cfg.models_dir) / "snn"


def data_of(kind: str, cfg: ConversionSection) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)`` of network ``kind`` (split seeded by ``data_seed``)."""
    return load_data(DATA_OF_KIND[kind], seed=cfg.data_seed)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------ train


def train_networks(cfg: ConversionSection, progress: bool = False) -> Path:
    """Train every network of ``cfg.networks``; write ``<models_dir>/ann`` atomically."""
    parent = Path(cfg.models_dir)
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        out = Path(tmp) / "ann"
        out.mkdir()
        summary: dict[str, Any] = {"fingerprint": train_fingerprint(cfg), "networks": {}}
        for kind in cfg.networks:
            x_tr, y_tr, x_te, y_te = data_of(kind, cfg)
            start = time.perf_counter()
            result = train(kind, x_tr, y_tr, seed=cfg.train_seed, epochs=getattr(cfg.epochs, kind), progress=progress)
            if progress:
                tqdm.write(f"trained {kind} in {time.perf_counter() - start:.1f} s")
            save_ann(out / f"{kind}.npz", result.ann)
            summary["networks"][kind] = {
                "task": result.ann.task,
                "data": DATA_OF_KIND[kind],
                "sizes": [int(np.prod(s)) for s in result.ann.shapes],
                "test_score": evaluate(result.ann, x_te, y_te),
                "train_score": evaluate(result.ann, x_tr, y_tr),
            }  # no timings here: the folder must be identical for identical params (DVC caches it)
        write_json_atomic(out / "training.json", summary)
        replace_dir(out, ann_dir(cfg))
    return ann_dir(cfg)


def load_anns(cfg: ConversionSection) -> dict[str, Ann]:
    """The trained ANNs by network name."""
    return {kind: load_ann(ann_dir(cfg) / f"{kind}.npz") for kind in cfg.networks}


# ---------------------------------------------------------------------------------- convert


def make_converter(cfg: ConversionSection, constraints, **kwargs) -> Converter:
    """A ``Converter`` configured from the ``conversion`` section."""
    return Converter(
        objective=cfg.objective, constraints=constraints, neuron=cfg.neuron.to_params(), dt=cfg.dt,
        n_steps=cfg.n_steps, input_rate=cfg.input_rate, max_rate=cfg.max_rate, percentile=cfg.percentile,
        conv_positions=cfg.conv_positions, seed=cfg.seed, **kwargs,
    )


def baseline_network(ann: Ann, x_cal: np.ndarray, constraints, cfg: ConversionSection) -> Network:
    """Data-normalisation conversion of ``ann`` held to ``constraints`` by clipping or rounding.

    Analog: weights clipped to the family's bounds. Digital: rounded to ``bits``-bit levels on
    one grid per layer (the baseline's usual post-hoc quantisation). Hybrid: not representable
    by rounding one weight, so only clipped to ``[-M s_max, M s_max]``.
    """
    net = normalize(ann, x_cal, max_rate=cfg.input_rate, dt=cfg.dt, percentile=cfg.percentile, v_th=cfg.neuron.v_th)
    if isinstance(constraints, Analog):
        lo, hi = constraints.bounds
        return constrain(net, w_min=lo, w_max=hi)
    if isinstance(constraints, Digital):
        return constrain(net, bits=constraints.bits)
    top = constraints.max_multiplicity * constraints.s_max
    return constrain(net, w_min=-top, w_max=top)


def _report(conv: Converter) -> list[dict[str, Any]]:
    """Layer reports as JSON-ready dicts (a pooling layer's undefined scale becomes None)."""
    finite = lambda v: None if isinstance(v, float) and not np.isfinite(v) else v  # noqa: E731
    return [{k: finite(v) for k, v in dataclasses.asdict(r).items()} for r in conv.layer_reports_]


def _lp_entry(kind: str, family: str, conv: Converter, seconds: float, **extra) -> dict[str, Any]:
    gaps = [s.mip_gap for layer in conv.solutions_ for s in layer if s.mip_gap is not None]
    statuses: dict[str, int] = {}
    for r in conv.layer_reports_:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "network": kind, "family": family, "method": "lp", "readout": "count",
        "readout_scale": conv.readout_scale_, "readout_offset": conv.readout_offset_,
        "seconds": seconds, "statuses": statuses, "max_mip_gap": max(gaps) if gaps else None,
        "layers": _report(conv), **extra,
    }


def convert_networks(cfg: ConversionSection, progress: bool = False, executor: Any = "process") -> Path:
    """Run every conversion of the experiment; write ``<models_dir>/snn`` atomically.

    ``executor="process"`` starts one spawn process pool shared by all conversions.
    """
    if executor == "process":
        with ProcessPoolExecutor(default_workers(), mp_context=multiprocessing.get_context("spawn")) as pool:
            return convert_networks(cfg, progress, pool)
    anns = load_anns(cfg)
    entries: dict[str, dict[str, Any]] = {}
    parent = Path(cfg.models_dir)
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        out = Path(tmp) / "snn"
        out.mkdir()

        def convert(name: str, kind: str, family: str, **prune) -> Converter:
            x_cal = data_of(kind, cfg)[0][: cfg.calibration_samples]
            conv = make_converter(cfg, cfg.constraints(family), executor=executor, progress=progress, **prune)
            start = time.perf_counter()
            net = conv.fit(anns[kind], x_cal)
            save_network(out / f"{name}.npz", net)
            entries[name] = _lp_entry(kind, family, conv, time.perf_counter() - start)
            if progress:
                tqdm.write(f"converted {name} in {entries[name]['seconds']:.1f} s: {entries[name]['statuses']}")
            return conv

        for kind in cfg.networks:
            x_cal = data_of(kind, cfg)[0][: cfg.calibration_samples]
            lam_out = float(layer_scales(anns[kind], x_cal, percentile=cfg.percentile)[-1])
            for family in cfg.families_of(kind):
                convert(f"{kind}__{family}", kind, family)
                start = time.perf_counter()
                base = baseline_network(anns[kind], x_cal, cfg.constraints(family), cfg)
                save_network(out / f"{kind}__{family}__baseline.npz", base)
                entries[f"{kind}__{family}__baseline"] = {
                    "network": kind, "family": family, "method": "baseline", "readout": "potential",
                    "output_scale": lam_out, "seconds": time.perf_counter() - start,
                }
        for kind, layer, sizes, methods in _pruning_runs(cfg):
            for k in sizes:
                for method in methods:
                    name = f"prune__{kind}__{method}__{k}"
                    conv = convert(name, kind, cfg.pruning.family, prune={layer: k}, prune_method=method,
                                   prune_time_limit=cfg.pruning.time_limit)
                    sel = conv.selections_[layer]
                    entries[name].update(
                        method=f"prune_{method}", prune_layer=layer, prune_size=k, keep=sel.keep.tolist(),
                        selection_status=sel.status, selection_seconds=sel.seconds, selection_gap=sel.mip_gap,
                    )
        write_json_atomic(out / "conversion.json", {"fingerprint": convert_fingerprint(cfg), "entries": entries})
        replace_dir(out, snn_dir(cfg))
    return snn_dir(cfg)


def _pruning_runs(cfg: ConversionSection) -> list[tuple[str, int, list[int], list[str]]]:
    """(network, layer, sizes, methods) of the pruning experiments whose network is trained."""
    p = cfg.pruning
    runs = []
    if p.network in cfg.networks:
        runs.append((p.network, p.layer, p.sizes, [m for m in p.methods if m != "milp"]))
    if p.milp_sizes and p.milp_network in cfg.networks:
        runs.append((p.milp_network, p.milp_layer, p.milp_sizes, ["group_lp", "greedy", "random", "milp"]))
    return runs


def ensure_models(cfg: ConversionSection, progress: bool = False) -> dict[str, Any]:
    """Train and convert whatever is missing or was built from other parameters.

    Returns the ``conversion.json`` summary.
    """
    training = _read_json(ann_dir(cfg) / "training.json")
    if training is None or training.get("fingerprint") != train_fingerprint(cfg):
        train_networks(cfg, progress)
    conversion = _read_json(snn_dir(cfg) / "conversion.json")
    if conversion is None or conversion.get("fingerprint") != convert_fingerprint(cfg):
        convert_networks(cfg, progress)
        conversion = _read_json(snn_dir(cfg) / "conversion.json")
    return conversion


def training_summary(cfg: ConversionSection) -> dict[str, Any]:
    return json.loads((ann_dir(cfg) / "training.json").read_text())


def load_entry_network(cfg: ConversionSection, name: str) -> Network:
    return load_network(snn_dir(cfg) / f"{name}.npz")


# ---------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Conversion stages: train the ANNs or convert them.")
    parser.add_argument("step", choices=["train", "convert"])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        cfg = load_section("conversion", args.params)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    if args.step == "train":
        train_networks(cfg, args.progress)
    else:
        convert_networks(cfg, args.progress)
    return 0


if __name__ == "__main__":
    sys.exit(main())
