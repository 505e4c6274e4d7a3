"""The DVC stage of one candidate chip: its flow over every replicate, stored for the report.

``python -m neurobench.experiments.deploy.candidate NAME [--params params.yaml] [--progress]``
runs candidate ``NAME`` of ``deploy.chips`` (``results.candidate_results``: reused when its
fingerprint is current) and writes ``<deploy.models_dir>/NAME/``. ``dvc.yaml`` runs it once per
chip (``foreach``), each with the shared settings and ``deploy.chips.NAME`` as its params, so a
change to one chip reruns only that chip's stage and the report. An unknown ``NAME`` or an invalid
params file exits with status 2 and one ``error:`` line, before any compute.
"""

from __future__ import annotations

import sys

from ...executor import ExecutorParams
from ..common import stage_command
from .params import DeploySection
from .results import candidate_results, check_name


def run(cfg: DeploySection, progress: bool, executor: ExecutorParams, name: str) -> None:
    """Compute (or reuse) candidate ``name``'s results in ``cfg.models_dir``."""
    candidate_results(cfg, [name], executor)


def main(argv: list[str] | None = None) -> int:
    """The stage command; exit status 2 on an invalid params file or chip name."""
    return stage_command("deploy", "Deploy the trained network on one candidate chip.", run, argv,
                         argument=("name", "the candidate's key in deploy.chips", check_name))


if __name__ == "__main__":
    sys.exit(main())
