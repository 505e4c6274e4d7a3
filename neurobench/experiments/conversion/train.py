"""Train the study's stand-in ANNs and write ``<models_dir>/ann`` (a step of the ``conversion``
stage, also a command: ``python -m neurobench.experiments.conversion.train``).

``python -m neurobench.experiments.conversion.train [--params params.yaml] [--progress]``
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from ...ann import Ann
from ...ann.train import DATA_OF_KIND, evaluate, train
from ...executor import ExecutorParams, Session, session_of
from ...io import replace_dir, write_json_atomic
from ...serialize import save_ann
from ..common import stage_command
from .models import ann_dir, data_of, replicate, replicate_seeds, seed_folder, train_fingerprint
from .params import ConversionSection


def train_one(task: tuple[ConversionSection, int, str]) -> tuple[Ann, dict[str, Any], float]:
    """Train network ``kind`` of replicate ``r`` (the task ``(cfg, r, kind)``): split and
    training seeded by the replicate's ``data_seed`` and ``train_seed``; returns the trained
    ``Ann``, its ``training.json`` entry (task, data, layer sizes, train and test scores) and the
    wall seconds it took. Pure (``neurobench.executor``'s contract): the executor runs it."""
    cfg, r, kind = task
    rep = replicate(cfg, r)
    x_tr, y_tr, x_te, y_te = data_of(kind, rep)
    start = time.perf_counter()
    result = train(kind, x_tr, y_tr, seed=rep.train_seed, epochs=getattr(cfg.epochs, kind))
    entry = {
        "task": result.ann.task,
        "data": DATA_OF_KIND[kind],
        "sizes": [int(np.prod(s)) for s in result.ann.shapes],
        "test_score": evaluate(result.ann, x_te, y_te),
        "train_score": evaluate(result.ann, x_tr, y_tr),
    }  # no timings here: the folder must be identical for identical params (DVC caches it)
    return result.ann, entry, time.perf_counter() - start


def train_networks(cfg: ConversionSection, progress: bool = False,
                   executor: ExecutorParams | Session = ExecutorParams()) -> Path:
    """Train every network of ``cfg.networks`` for every replicate ``r < n_seeds``
    (:func:`train_one`, one task per replicate and network, run where ``executor`` says); write
    ``<models_dir>/ann`` atomically: one ``seed<r>/<network>.npz`` per replicate and network
    and ``training.json`` (per replicate its seeds, per network task, data, layer sizes, train
    and test scores). The folder is identical for every executor."""
    parent = Path(cfg.models_dir)
    parent.mkdir(parents=True, exist_ok=True)
    tasks = [(cfg, r, kind) for r in range(cfg.n_seeds) for kind in cfg.networks]
    with session_of(executor) as session:
        results = session.map(train_one, tasks, "conversion: train networks")
    trained = dict(zip([(r, kind) for _, r, kind in tasks], results))
    with tempfile.TemporaryDirectory(dir=parent) as tmp:
        out = Path(tmp) / "ann"
        summary: dict[str, Any] = {"fingerprint": train_fingerprint(cfg), "replicates": []}
        for r in range(cfg.n_seeds):
            folder = out / seed_folder(r)
            folder.mkdir(parents=True)
            networks: dict[str, Any] = {}
            for kind in cfg.networks:
                ann, networks[kind], seconds = trained[r, kind]
                if progress:
                    tqdm.write(f"trained {kind} (replicate {r}) in {seconds:.1f} s")
                save_ann(folder / f"{kind}.npz", ann)
            summary["replicates"].append({"seeds": replicate_seeds(cfg, r), "networks": networks})
        write_json_atomic(out / "training.json", summary)
        replace_dir(out, ann_dir(cfg))
    return ann_dir(cfg)


def main(argv: list[str] | None = None) -> int:
    """The stage command; exit status 2 on an invalid params file."""
    return stage_command("conversion", "Train the stand-in ANNs of the conversion study.", train_networks, argv)


if __name__ == "__main__":
    sys.exit(main())
