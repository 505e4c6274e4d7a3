"""Convert the trained ANNs and write ``<models_dir>/snn`` (a step of the ``conversion`` stage,
also a command: ``python -m neurobench.experiments.conversion.convert``).

For every replicate ``r < n_seeds``, each ANN is converted under each of its constraint families
with the LP ``Converter`` and with the data-normalisation baseline held to the same constraints
(hybrid: ``neurobench.conversion.normalize.hybrid_baseline``); then the pruning experiments run. Replicate 0 also
runs the weight-penalty sweep (``conversion.penalty``). ``<models_dir>/snn`` gets the networks as
``seed<r>/<entry>.npz`` and ``conversion.json`` (per replicate its seeds and entries: read-out
constants, solver reports and selections; see ``neurobench.experiments.conversion.entries``).

Each conversion is one executor task (:class:`ConversionJob`, :func:`convert_job`), every
replicate's at once; the networks are written by the caller, in ``conversion.json``'s order.

``python -m neurobench.experiments.conversion.convert [--params params.yaml] [--progress]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ...conversion.normalize import layer_scales
from ...executor import ExecutorParams, Session, session_of
from ...io import replace_dir, write_json_atomic
from ...network import Network
from ...schema import replace
from ...serialize import load_ann, save_network
from ..common import stage_command
from .entries import baseline_entry, baseline_network, lp_entry, make_converter, pruning_runs
from .models import ann_dir, convert_fingerprint, data_of, replicate, replicate_seeds, seed_folder, snn_dir
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


@dataclass(frozen=True)
class ConversionJob:
    """One converted network of replicate ``replicate`` (one executor task): the LP conversion
    ``name`` of network ``kind`` under ``family`` (``spec``: the family's constraints when they
    differ from ``cfg.families[family]``, as in the penalty sweep; ``prune``: pruning options),
    with the baseline held to the same constraints when ``baseline`` is set; ``extra``: fields
    the entry gets on top (pruning and penalty runs)."""

    replicate: int
    name: str
    kind: str
    family: str
    spec: Any = None
    prune: dict[str, Any] = field(default_factory=dict)
    baseline: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def conversion_jobs(cfg: ConversionSection, r: int) -> list[ConversionJob]:
    """Every conversion of replicate ``r``, in ``conversion.json``'s order: each network under
    each of its families (with its baseline), the pruning runs, and (replicate 0) the penalty
    sweep."""
    jobs = [ConversionJob(r, f"{kind}__{family}", kind, family, baseline=True)
            for kind in cfg.networks for family in cfg.families_of(kind)]
    for kind, layer, sizes, methods in pruning_runs(cfg):
        for k in sizes:
            for method in methods:
                jobs.append(ConversionJob(
                    r, f"prune__{kind}__{method}__{k}", kind, cfg.pruning.family,
                    prune=dict(prune={layer: k}, prune_method=method, prune_time_limit=cfg.pruning.time_limit),
                    extra=dict(method=f"prune_{method}", prune_layer=layer, prune_size=k)))
    if r == 0:
        for name, family, value in penalty_runs(cfg):
            jobs.append(ConversionJob(r, name, cfg.penalty.network, family,
                                      spec=replace(cfg.families[family], weight_penalty=value),
                                      extra=dict(method="penalty", weight_penalty=value)))
    return jobs


def convert_job(task: tuple[ConversionSection, ConversionJob]) -> dict[str, tuple[Network, dict[str, Any]]]:
    """Run one :class:`ConversionJob` in this process (its neuron solves serially): the converted
    networks by entry name (the LP conversion, and its baseline when asked), each with its
    ``conversion.json`` entry."""
    cfg, job = task
    rep = replicate(cfg, job.replicate)
    ann = load_ann(ann_dir(cfg) / seed_folder(job.replicate) / f"{job.kind}.npz")
    spec = cfg.families[job.family] if job.spec is None else job.spec
    x_cal = data_of(job.kind, rep)[0][: cfg.calibration_samples]
    # the neuron solves run one after another on a thread of this task: a plain ``submit`` object,
    # so the task's inner maps report no progress of their own (the map of the jobs reports it)
    with ThreadPoolExecutor(max_workers=1) as inline:
        conv = make_converter(rep, spec, executor=inline, progress=False, **job.prune)
        start = time.perf_counter()
        net = conv.fit(ann, x_cal)
    entry = lp_entry(job.kind, job.family, conv, time.perf_counter() - start, **job.extra)
    if job.prune:
        layer = next(iter(job.prune["prune"]))
        sel = conv.selections_[layer]
        entry.update(keep=sel.keep.tolist(), selection_status=sel.status, selection_seconds=sel.seconds,
                     selection_gap=sel.mip_gap)
    out = {job.name: (net, entry)}
    if job.baseline:
        lam_out = float(layer_scales(ann, x_cal, percentile=cfg.percentile)[-1])
        start = time.perf_counter()
        base = baseline_network(ann, x_cal, spec, rep)
        out[f"{job.name}__baseline"] = (base, baseline_entry(job.kind, job.family, lam_out, cfg.input_rate,
                                                             time.perf_counter() - start))
    return out


def convert_networks(cfg: ConversionSection, progress: bool = False,
                     executor: ExecutorParams | Session = ExecutorParams()) -> Path:
    """Run every conversion of the study, for every replicate; write ``<models_dir>/snn``
    atomically.

    Each conversion (:class:`ConversionJob`, every replicate's at once) is one task where
    ``executor`` says, its neuron solves serial inside the task: with a study of dozens of
    conversions of small layers, whole conversions keep the workers busy where one layer's
    neurons did not (a pruning LP or a 10-neuron output layer left all but one worker idle).
    The folder is identical for every executor.
    """
    if not isinstance(executor, Session):
        with session_of(executor) as session:
            return convert_networks(cfg, progress, session)
    jobs = [job for r in range(cfg.n_seeds) for job in conversion_jobs(cfg, r)]
    done = executor.map(convert_job, [(cfg, job) for job in jobs], "conversion: convert networks")
    parent = Path(cfg.models_dir)
    parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        out = Path(tmp) / "snn"
        replicates = []
        for r in range(cfg.n_seeds):
            folder = out / seed_folder(r)
            folder.mkdir(parents=True)
            entries: dict[str, dict[str, Any]] = {}
            for job, converted in zip(jobs, done):
                if job.replicate != r:
                    continue
                for name, (net, entry) in converted.items():
                    save_network(folder / f"{name}.npz", net)
                    entries[name] = entry
                    if progress:
                        tqdm.write(f"converted {name} (replicate {r}) in {entry['seconds']:.1f} s"
                                   + (f": {entry['statuses']}" if "statuses" in entry else ""))
            replicates.append({"seeds": replicate_seeds(cfg, r), "entries": entries})
        write_json_atomic(out / "conversion.json", {"fingerprint": convert_fingerprint(cfg), "replicates": replicates})
        replace_dir(out, snn_dir(cfg))
    return snn_dir(cfg)


def main(argv: list[str] | None = None) -> int:
    """The stage command; exit status 2 on an invalid params file."""
    return stage_command("conversion", "Convert the trained ANNs of the conversion study.", convert_networks, argv)


if __name__ == "__main__":
    sys.exit(main())
