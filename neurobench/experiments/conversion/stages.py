"""The conversion study's stages (Mern et al., reconstructed): train -> convert -> evaluate.

Three DVC stages share the ``conversion`` section of ``params.yaml``:

``conversion_train``  (``python -m neurobench.experiments.conversion.train``)
    trains the stand-in ANNs and writes ``<models_dir>/ann``;
``conversion_convert``  (``python -m neurobench.experiments.conversion.convert``)
    converts them (LP and baseline, every constraint family, pruning) into ``<models_dir>/snn``;
``conversion``  (``notebooks/conversion.ipynb``)
    evaluates every converted network (``.evaluate``) and checks the claims (``.claims``).

Each folder carries a fingerprint of the parameters it was built from (``.models``).
:func:`ensure_models` builds what is missing or stale, so the notebook also runs on its own (in
JupyterLab, or in the tests with small parameters); under ``dvc repro`` the folders are always
current.
"""

from __future__ import annotations

from typing import Any

from .convert import convert_networks
from .models import ann_dir, convert_fingerprint, read_json, snn_dir, train_fingerprint
from .params import ConversionSection
from .train import train_networks


def ensure_models(cfg: ConversionSection, progress: bool = False) -> dict[str, Any]:
    """Train and convert whatever is missing or was built from other parameters.

    Returns the ``conversion.json`` summary.
    """
    training = read_json(ann_dir(cfg) / "training.json")
    if training is None or training.get("fingerprint") != train_fingerprint(cfg):
        train_networks(cfg, progress)
    conversion = read_json(snn_dir(cfg) / "conversion.json")
    if conversion is None or conversion.get("fingerprint") != convert_fingerprint(cfg):
        convert_networks(cfg, progress)
        conversion = read_json(snn_dir(cfg) / "conversion.json")
    return conversion
