"""Convert the trained ANNs and write ``<models_dir>/snn`` (a step of the ``conversion`` stage,
also a command: ``python -m neurobench.experiments.conversion.convert``).

For every replicate ``r < n_seeds``, each ANN is converted under each of its constraint families
with the LP ``Converter`` and with the data-normalisation baseline held to the same constraints
(hybrid: ``neurobench.conversion.normalize.hybrid_baseline``); then the pruning experiments run. Replicate 0 also
runs the weight-penalty sweep (``conversion.penalty``). ``<models_dir>/snn`` gets the networks as
``seed<r>/<entry>.npz`` and ``conversion.json`` (per replicate its seeds and entries: read-out
constants, solver reports and selections; see ``neurobench.experiments.conversion.entries``).

``python -m neurobench.experiments.conversion.convert [--params params.yaml] [--progress]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ...conversion.convert import Converter
from ...conversion.normalize import layer_scales
from ...executor import ExecutorParams, Session, session_of
from ...io import replace_dir, write_json_atomic
from ...progress import track
from ...schema import replace
from ...serialize import save_network
from ..common import stage_command
from .entries import baseline_entry, baseline_network, lp_entry, make_converter, pruning_runs
from .models import convert_fingerprint, data_of, load_anns, replicate, replicate_seeds, seed_folder, snn_dir
from .params import ConversionSection


def penalty_runs(cfg: ConversionSection) -> list[tuple[str, str, float]]:
    """(entry name, family, weight_penalty) of the weight-penalty sweep; empty when no penalty is
    listed, the network is not trained, or the family has no ``weight_penalty`` option."""
    p = cfg.penalty
    if not p.penalties or p.network not in cfg.networks or p.family not in cfg.families:
        return []
    if "weight_penalty" not in type(cfg.families[p.family]).model_fields:
        return []
    return [(f"penalty__{p.network}__{p.family}__{i}", p.family, float(v)) for i, v in enumerate(p.penalties)]


def convert_replicate(cfg: ConversionSection, r: int, out: Path, executor: Any, progress: bool = False) -> dict[str, Any]:
    """Every conversion of replicate ``r`` into ``out``, neuron solves where ``executor`` (the
    ``Converter``'s argument) says; returns its entries by name."""
    rep = replicate(cfg, r)
    anns = load_anns(cfg, r)
    entries: dict[str, dict[str, Any]] = {}

    def convert(name: str, kind: str, family: str, spec: Any = None, **prune) -> Converter:
        spec = cfg.families[family] if spec is None else spec
        x_cal = data_of(kind, rep)[0][: cfg.calibration_samples]
        conv = make_converter(rep, spec, executor=executor, progress=progress, **prune)
        start = time.perf_counter()
        net = conv.fit(anns[kind], x_cal)
        save_network(out / f"{name}.npz", net)
        entries[name] = lp_entry(kind, family, conv, time.perf_counter() - start)
        if progress:
            tqdm.write(f"converted {name} (replicate {r}) in {entries[name]['seconds']:.1f} s: {entries[name]['statuses']}")
        return conv

    for kind in track(cfg.networks, f"conversion: replicate {r}, networks"):
        x_cal = data_of(kind, rep)[0][: cfg.calibration_samples]
        lam_out = float(layer_scales(anns[kind], x_cal, percentile=cfg.percentile)[-1])
        for family in cfg.families_of(kind):
            spec = cfg.families[family]
            convert(f"{kind}__{family}", kind, family)
            start = time.perf_counter()
            base = baseline_network(anns[kind], x_cal, spec, rep)
            save_network(out / f"{kind}__{family}__baseline.npz", base)
            entries[f"{kind}__{family}__baseline"] = baseline_entry(kind, family, lam_out, cfg.input_rate,
                                                                    time.perf_counter() - start)
    for kind, layer, sizes, methods in pruning_runs(cfg):
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
    if r == 0:
        for name, family, value in penalty_runs(cfg):
            convert(name, cfg.penalty.network, family, replace(cfg.families[family], weight_penalty=value))
            entries[name].update(method="penalty", weight_penalty=value)
    return entries


def convert_networks(cfg: ConversionSection, progress: bool = False,
                     executor: ExecutorParams | Session = ExecutorParams()) -> Path:
    """Run every conversion of the study, for every replicate; write ``<models_dir>/snn``
    atomically.

    The per-neuron solves of every layer run where ``executor`` says (one session shared by all
    conversions; each layer is one map of neuron chunks, ``neurobench.executor.SubmitAdapter``);
    the folder is identical for every executor.
    """
    if not isinstance(executor, Session):
        with session_of(executor) as session:
            return convert_networks(cfg, progress, session)
    parent = Path(cfg.models_dir)
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        out = Path(tmp) / "snn"
        replicates = []
        for r in track(range(cfg.n_seeds), "conversion: convert replicates"):
            folder = out / seed_folder(r)
            folder.mkdir(parents=True)
            entries = convert_replicate(cfg, r, folder, executor, progress)
            replicates.append({"seeds": replicate_seeds(cfg, r), "entries": entries})
        write_json_atomic(out / "conversion.json", {"fingerprint": convert_fingerprint(cfg), "replicates": replicates})
        replace_dir(out, snn_dir(cfg))
    return snn_dir(cfg)


def main(argv: list[str] | None = None) -> int:
    """The stage command; exit status 2 on an invalid params file."""
    return stage_command("conversion", "Convert the trained ANNs of the conversion study.", convert_networks, argv)


if __name__ == "__main__":
    sys.exit(main())
