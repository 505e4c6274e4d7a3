"""Stage ``conversion_convert``: convert the trained ANNs and write ``<models_dir>/snn``.

Each ANN is converted under each of its constraint families with the LP ``Converter`` and with
the data-normalisation baseline held to the same constraints; then the pruning experiments run.
``<models_dir>/snn`` gets the networks as ``.npz`` and ``conversion.json`` (read-out constants,
solver reports and selections; see ``neurobench.experiments.conversion.entries``).

``python -m neurobench.experiments.conversion.convert [--params params.yaml] [--progress]``
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ...conversion.convert import Converter
from ...conversion.layer import default_workers
from ...conversion.normalize import layer_scales
from ...io import replace_dir, write_json_atomic
from ...serialize import save_network
from ..common import stage_command
from .entries import baseline_entry, baseline_network, lp_entry, make_converter, pruning_runs
from .models import convert_fingerprint, data_of, load_anns, snn_dir
from .params import ConversionSection


def convert_networks(cfg: ConversionSection, progress: bool = False, executor: Any = "process") -> Path:
    """Run every conversion of the study; write ``<models_dir>/snn`` atomically.

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
            conv = make_converter(cfg, cfg.families[family], executor=executor, progress=progress, **prune)
            start = time.perf_counter()
            net = conv.fit(anns[kind], x_cal)
            save_network(out / f"{name}.npz", net)
            entries[name] = lp_entry(kind, family, conv, time.perf_counter() - start)
            if progress:
                tqdm.write(f"converted {name} in {entries[name]['seconds']:.1f} s: {entries[name]['statuses']}")
            return conv

        for kind in cfg.networks:
            x_cal = data_of(kind, cfg)[0][: cfg.calibration_samples]
            lam_out = float(layer_scales(anns[kind], x_cal, percentile=cfg.percentile)[-1])
            for family in cfg.families_of(kind):
                convert(f"{kind}__{family}", kind, family)
                start = time.perf_counter()
                base = baseline_network(anns[kind], x_cal, cfg.families[family], cfg)
                save_network(out / f"{kind}__{family}__baseline.npz", base)
                entries[f"{kind}__{family}__baseline"] = baseline_entry(kind, family, lam_out, time.perf_counter() - start)
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
        write_json_atomic(out / "conversion.json", {"fingerprint": convert_fingerprint(cfg), "entries": entries})
        replace_dir(out, snn_dir(cfg))
    return snn_dir(cfg)


def main(argv: list[str] | None = None) -> int:
    """The stage command; exit status 2 on an invalid params file."""
    return stage_command("conversion", "Stage conversion_convert: convert the trained ANNs.", convert_networks, argv)


if __name__ == "__main__":
    sys.exit(main())
