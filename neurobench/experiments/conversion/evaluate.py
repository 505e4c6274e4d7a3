"""Evaluation of the study's converted networks, as the ``conversion`` section configures it.

Each function takes an entry of ``conversion.json`` (``neurobench.experiments.conversion.entries``),
which holds the network's read-out constants, and the ``conversion`` section, which gives the
simulation (``n_steps`` steps of ``dt`` ms, regular rate code at ``input_rate`` Hz) and the rate
mapping (``neuron``, ``max_rate``, ``percentile``); the computations are those of
``neurobench.conversion.evaluation``. LP and baseline networks are read out alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...ann import Ann
from ...conversion import evaluation
from ...conversion.evaluation import Readout
from ...network import Network
from .params import ConversionSection


def readout_of(entry: dict[str, Any]) -> Readout:
    """The read-out constants of a ``conversion.json`` entry (Hz per ANN unit, ANN units)."""
    return Readout(scale=entry["readout_scale"], offset=entry["readout_offset"])


def evaluate_entry(network: Network, entry: dict[str, Any], ann: Ann, x: np.ndarray, y: np.ndarray,
                   cfg: ConversionSection, n_steps: int | None = None, keep_record: bool = False) -> dict[str, Any]:
    """Score and agreement under both read-outs, near-tie share, activity and size of one
    converted network on ``(x, y)``, run for ``n_steps`` steps (default ``cfg.n_steps``); see
    ``neurobench.conversion.evaluation.evaluate_network`` (``keep_record``: the run's record too)."""
    n_steps = cfg.n_steps if n_steps is None else int(n_steps)
    return evaluation.evaluate_network(network, readout_of(entry), ann, x, y, n_steps=n_steps, dt=cfg.dt,
                                       input_rate=cfg.input_rate, keep_record=keep_record)


def brian_agreement(network: Network, x: np.ndarray, cfg: ConversionSection) -> dict[str, Any]:
    """Spike counts of ``network`` on ``x`` in Brian2 (``evaluate.brian_target``) against the
    clock simulator, over ``cfg.n_steps`` steps."""
    return evaluation.brian_agreement(network, x, n_steps=cfg.n_steps, dt=cfg.dt, input_rate=cfg.input_rate,
                                      target=cfg.evaluate.brian_target)


def weight_levels(network: Network, index: int, entry: dict[str, Any], bits: int) -> np.ndarray:
    """Integer levels ``w / step`` of the weights of layer ``index`` of a digital conversion.

    The step is the LP converter's grid step (recorded in the entry's layer report) or, for the
    baseline, the per-layer step of its rounding, ``max |w| / (2^(bits-1) - 1)``.
    """
    if entry["method"] == "baseline":
        step = evaluation.rounding_step(network.connectivity(index)[2], bits)
    else:
        step = entry["layers"][index]["weight_step"]
    return evaluation.weight_levels(network, index, step)


def layer_rate_errors(network: Network, entry: dict[str, Any], ann: Ann, x: np.ndarray,
                      cfg: ConversionSection) -> pd.DataFrame:
    """Per-layer RMSE in Hz between an LP conversion's rates on ``x`` and its target rates, over
    ``cfg.n_steps`` steps; see ``neurobench.conversion.evaluation.layer_rate_errors``."""
    return evaluation.layer_rate_errors(network, entry["layers"], ann, x, neuron=cfg.neuron, n_steps=cfg.n_steps,
                                        dt=cfg.dt, input_rate=cfg.input_rate, max_rate=cfg.max_rate,
                                        percentile=cfg.percentile)
