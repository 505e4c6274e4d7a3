"""One candidate's results over every replicate, computed once and kept in its own folder.

Each candidate chip is its own DVC stage (``deploy_candidate@<name>`` in ``dvc.yaml``, the
command ``python -m neurobench.experiments.deploy.candidate NAME``): it depends on the flow's
settings and on ``deploy.chips.<name>`` only, so changing one chip's device reruns that chip's
stage and the report, never the other candidates. The report notebook reads what the candidate
stages wrote (:func:`candidate_results`) and computes only what is missing or stale, so it also
runs on its own (opened by hand, or in the tests).

Layout, per candidate ``<name>``::

    <models_dir>/<name>/result.json   numbers per replicate, sweeps, Brian2 check, notes, fingerprint
    <models_dir>/<name>/<name>.nir    the deployed SNN of replicate 0 (spiking candidates)

A folder is reused only when its fingerprint equals :func:`candidate_fingerprint` of the current
parameters and code.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ...executor import ExecutorParams, Session, map_tasks
from ...fingerprint import code_fingerprint, file_fingerprint, fingerprint
from ...io import write_json_atomic
from ...progress import track
from .flow import CandidateRun, CandidateTask, candidate_task, export_nir, replicate, train_network
from .mac import MacRun
from .params import DeploySection
from .sweeps import candidate_sweep

__all__ = ["CandidateResult", "NUMBERS", "candidate_fingerprint", "check_name", "candidate_results", "compute_candidates",
           "load_result", "row_of", "save_result"]

NUMBERS = ("accuracy", "agreement", "latency_us", "energy_nj", "lifetime", "programming_ms", "programming_uj",
           "synops", "hidden")
"""The numbers of a candidate's row (units in the names: us, nJ, ms, uJ per inference or per programming)."""

RESULT_FILE = "result.json"
SHARED_KEYS_EXCLUDED = ("chips", "models_dir")
"""Keys of the ``deploy`` section a candidate's results do not depend on (the other chips; where
results are kept): every other key is a shared setting of the flow."""


@dataclass
class CandidateResult:
    """Whether the candidate runs an SNN (False: the analog MAC runs the ANN); its numbers
    (:data:`NUMBERS`) per replicate, the ANN's test accuracy per
    replicate, replicate 0's sweeps (rows of ``sweeps.SWEEP_COLUMNS``) and Brian2 check (None for
    the analog MAC), the flow's notes, the NIR file's name (spiking candidates) and the
    fingerprint of what built them."""

    name: str
    fingerprint: str
    spiking: bool
    ann_accuracy: list[float]
    rows: list[dict[str, float]]
    sweep: list[list[Any]] = field(default_factory=list)
    brian: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    nir: str | None = None


def shared_keys(cfg: DeploySection) -> list[str]:
    """The section's keys every candidate depends on (all but :data:`SHARED_KEYS_EXCLUDED`), in
    schema order: ``dvc.yaml`` lists exactly these (and ``deploy.chips.<name>``) as each candidate
    stage's params."""
    return [k for k in type(cfg).model_fields if k not in SHARED_KEYS_EXCLUDED]


def check_name(cfg: DeploySection, name: str) -> None:
    """Raise ValueError naming ``name`` and the allowed ones when it is not a chip of ``cfg``."""
    if name not in cfg.chips:
        raise ValueError(f"chip {name!r} is not allowed: deploy.chips has {', '.join(cfg.chips)}")


def candidate_fingerprint(cfg: DeploySection, name: str) -> str:
    """Fingerprint of candidate ``name``'s results: the shared settings (:func:`shared_keys`),
    the chip's own parameters, the whole package's code and, when ``network.source`` is a NIR
    file, that file's bytes (an edited file with the same name is a different network)."""
    check_name(cfg, name)
    dump = cfg.model_dump(mode="json")
    values = {k: dump[k] for k in shared_keys(cfg)}
    if cfg.network.source != "train":
        values["source_file"] = file_fingerprint(cfg.network.source)
    return fingerprint({**values, "chip": dump["chips"][name], "code": code_fingerprint(("",))})


def row_of(run: CandidateRun | MacRun) -> dict[str, float]:
    """One candidate's numbers from one replicate (see :data:`NUMBERS`)."""
    if isinstance(run, MacRun):
        return {"accuracy": run.accuracy, "agreement": run.agreement, "latency_us": run.latency_ns / 1e3,
                "energy_nj": run.energy_pj / 1e3, "lifetime": run.lifetime,
                "programming_ms": run.programming.time_ns / 1e6, "programming_uj": run.programming.energy_pj / 1e6,
                "synops": run.synops, "hidden": float(run.deployed.hidden)}
    sim, timed, worn = run.simulated, run.timed, run.worn
    return {
        "accuracy": sim.accuracy, "agreement": sim.agreement,
        "latency_us": timed.latency_ns / 1e3, "energy_nj": timed.energy_pj / 1e3,
        "lifetime": worn.lifetime, "programming_ms": worn.programming.time_ns / 1e6,
        "programming_uj": worn.programming.energy_pj / 1e6, "synops": sim.synops,
        "hidden": float(run.deployed.hidden),
    }


def compute_candidates(cfg: DeploySection, names: Iterable[str], models_dir: str | Path | None = None,
                       executor: ExecutorParams | Session = ExecutorParams()) -> dict[str, CandidateResult]:
    """Train the network of every replicate, then run the flow for every candidate of ``names``
    on it: one ``flow.candidate_task`` per (candidate, replicate), run where ``executor`` says
    (identical results for every kind). Replicate 0 also runs the Brian2 check and the sweeps;
    with ``models_dir``, its spiking candidates' SNNs are written to ``<models_dir>/<name>/<name>.nir``."""
    names = list(names)
    for name in names:
        check_name(cfg, name)
    trained = [train_network(replicate(cfg, r)) for r in track(range(cfg.n_seeds), "deploy: networks")]
    tasks = [CandidateTask(trained[r], name, cfg.chips[name], replicate(cfg, r), r, brian=r == 0)
             for r in range(cfg.n_seeds) for name in names]
    runs: dict[str, list[CandidateRun | MacRun]] = {name: [] for name in names}
    for task, run in zip(tasks, map_tasks(candidate_task, tasks, executor, "deploy: candidates")):
        runs[task.name].append(run)
    out = {}
    for name in track(names, "deploy: sweeps"):
        first = runs[name][0]
        nir = None
        if models_dir is not None and isinstance(first, CandidateRun):
            nir = export_nir(first.worn, Path(models_dir) / name / f"{name}.nir", cfg.dt).name
        out[name] = CandidateResult(
            name=name, fingerprint=candidate_fingerprint(cfg, name), spiking=isinstance(first, CandidateRun),
            ann_accuracy=[t.test_accuracy for t in trained],
            rows=[row_of(run) for run in runs[name]], sweep=[list(row) for row in candidate_sweep(name, first, cfg)],
            brian=first.simulated.brian if isinstance(first, CandidateRun) else None,
            notes=[f"replicate {r}: {note}" for r, run in enumerate(runs[name]) for note in run.notes], nir=nir)
    return out


def _encode(value: Any) -> Any:
    """``value`` with every non-finite float as the string ``"inf"``, ``"-inf"`` or ``"nan"``
    (JSON has no infinity; an SRAM lifetime is unbounded)."""
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _decode(value: Any) -> Any:
    """The inverse of :func:`_encode`."""
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def save_result(result: CandidateResult, models_dir: str | Path) -> Path:
    """Write ``result`` to ``<models_dir>/<name>/result.json`` (atomically)."""
    path = Path(models_dir) / result.name / RESULT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, _encode(asdict(result)))
    return path


def load_result(models_dir: str | Path, name: str) -> CandidateResult | None:
    """The result stored for candidate ``name``, or None when there is none (or it is unreadable)."""
    path = Path(models_dir) / name / RESULT_FILE
    try:
        return CandidateResult(**_decode(json.loads(path.read_text())))
    except (OSError, ValueError, TypeError):
        return None


def candidate_results(cfg: DeploySection, names: Iterable[str] | None = None,
                      executor: ExecutorParams | Session = ExecutorParams()) -> dict[str, CandidateResult]:
    """Every candidate of ``names`` (default: all of ``deploy.chips``, in their order): read from
    ``models_dir`` where its fingerprint is current, computed (:func:`compute_candidates`, all
    stale ones in one fan-out) and stored otherwise."""
    names = list(cfg.chips if names is None else names)
    found = {name: load_result(cfg.models_dir, name) for name in names}
    stale = [n for n in names if found[n] is None or found[n].fingerprint != candidate_fingerprint(cfg, n)]
    if stale:
        for name, result in compute_candidates(cfg, stale, cfg.models_dir, executor).items():
            save_result(result, cfg.models_dir)
            found[name] = result
    return {name: found[name] for name in names}
