"""The conversion study's steps (Mern et al., reconstructed): train -> convert -> evaluate.

One DVC stage, ``conversion`` (``notebooks/conversion.ipynb``), reads the ``conversion`` section
of ``params.yaml`` and owns the model folders as persistent outputs:

train (``.train``, also ``python -m neurobench.experiments.conversion.train``)
    trains the stand-in ANNs of every replicate and writes ``<models_dir>/ann``;
convert (``.convert``, also ``python -m neurobench.experiments.conversion.convert``)
    converts them (LP and baseline, every constraint family, pruning) into ``<models_dir>/snn``;
evaluate (``.evaluate``, ``.tables``, ``.claims``)
    evaluates every converted network and checks the claims.

Each folder carries a fingerprint of the parameters it was built from (``.models``), and
:func:`ensure_models`, the notebook's first step, rebuilds only what is missing or stale: a
change of an evaluation parameter re-runs the stage without retraining. One stage instead of
three chained ones also lets ``dvc repro --dry`` run in a fresh clone, where the model folders
do not exist yet (a dry run of a chain hashes the missing intermediate folder and fails).
"""

from __future__ import annotations

from typing import Any

from ...executor import ExecutorParams, Session, session_of
from .convert import convert_networks
from .models import ann_dir, convert_fingerprint, read_json, snn_dir, train_fingerprint
from .params import ConversionSection
from .train import train_networks


def ensure_models(cfg: ConversionSection, progress: bool = False,
                  executor: ExecutorParams | Session = ExecutorParams()) -> dict[str, Any]:
    """Train and convert whatever is missing or was built from other parameters, the training
    runs and the neuron solves where ``executor`` says (one session for both; the folders are
    identical for every executor).

    Returns the ``conversion.json`` summary.
    """
    training = read_json(ann_dir(cfg) / "training.json")
    conversion = read_json(snn_dir(cfg) / "conversion.json")
    retrain = training is None or training.get("fingerprint") != train_fingerprint(cfg)
    reconvert = conversion is None or conversion.get("fingerprint") != convert_fingerprint(cfg)
    if retrain or reconvert:
        with session_of(executor) as session:
            if retrain:
                train_networks(cfg, progress, session)
            convert_networks(cfg, progress, session)
        conversion = read_json(snn_dir(cfg) / "conversion.json")
    return conversion
