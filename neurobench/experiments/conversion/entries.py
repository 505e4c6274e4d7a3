"""The conversions of the study and their ``conversion.json`` entries.

Each converted network is one entry: an LP conversion (``Converter``, ``method="lp"``,
``"prune_<selection>"`` or ``"penalty"``) or the data-normalisation baseline held to the same
constraints (``method="baseline"``). Every entry records its read-out constants the same way
(``readout_scale`` in Hz per ANN unit, ``readout_offset`` in ANN units), so every network is read
out alike (``neurobench.conversion.evaluation``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ...ann import Ann
from ...conversion.constraints import Analog, Constraints, Digital
from ...conversion.convert import Converter
from ...conversion.normalize import constrain, hybrid_baseline, normalize
from ...network import Network
from .params import ConversionSection

PRUNE_METHODS_MILP = ("group_lp", "greedy", "random", "milp")
"""Selections compared on the small network of the exact MILP experiment."""


def make_converter(cfg: ConversionSection, constraints: Constraints | None, **kwargs) -> Converter:
    """A ``Converter`` configured from the ``conversion`` section (``kwargs``: executor,
    progress, pruning options)."""
    return Converter(
        objective=cfg.objective, constraints=constraints, neuron=cfg.neuron, dt=cfg.dt,
        n_steps=cfg.n_steps, input_rate=cfg.input_rate, max_rate=cfg.max_rate, percentile=cfg.percentile,
        conv_positions=cfg.conv_positions, seed=cfg.seed, **kwargs,
    )


def baseline_network(ann: Ann, x_cal: np.ndarray, constraints: Constraints, cfg: ConversionSection) -> Network:
    """Data-normalisation conversion of ``ann`` held to ``constraints``.

    Analog: weights clipped to the family's bounds (mV). Digital: rounded to ``bits``-bit levels
    on one grid per layer (the baseline's usual post-hoc quantisation). Hybrid:
    ``neurobench.conversion.normalize.hybrid_baseline`` (integer multiplicities times shared type
    weights, a valid hybrid-chip network; never the old clipping to ``+-M s_max``).
    """
    net = normalize(ann, x_cal, max_rate=cfg.input_rate, dt=cfg.dt, percentile=cfg.percentile, v_th=cfg.neuron.v_th)
    if isinstance(constraints, Analog):
        lo, hi = constraints.bounds
        return constrain(net, w_min=lo, w_max=hi)
    if isinstance(constraints, Digital):
        return constrain(net, bits=constraints.bits)
    return hybrid_baseline(net, constraints)


def layer_reports(conv: Converter) -> list[dict[str, Any]]:
    """The converter's layer reports as JSON-ready dicts (a pooling layer's undefined scale,
    NaN, becomes None)."""
    finite = lambda v: None if isinstance(v, float) and not np.isfinite(v) else v  # noqa: E731
    return [{k: finite(v) for k, v in dataclasses.asdict(r).items()} for r in conv.layer_reports_]


def lp_entry(kind: str, family: str, conv: Converter, seconds: float, **extra) -> dict[str, Any]:
    """The ``conversion.json`` entry of an LP conversion of network ``kind`` under ``family``:
    read-out constants (Hz per ANN unit, ANN units), solver status counts, largest MIP gap,
    layer reports and the conversion's wall time in s."""
    gaps = [s.mip_gap for layer in conv.solutions_ for s in layer if s.mip_gap is not None]
    statuses: dict[str, int] = {}
    for r in conv.layer_reports_:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return {
        "network": kind, "family": family, "method": "lp",
        "readout_scale": conv.readout_scale_, "readout_offset": conv.readout_offset_,
        "seconds": seconds, "statuses": statuses, "max_mip_gap": max(gaps) if gaps else None,
        "layers": layer_reports(conv), **extra,
    }


def baseline_entry(kind: str, family: str, output_scale: float, input_rate: float, seconds: float) -> dict[str, Any]:
    """The ``conversion.json`` entry of a baseline conversion normalised to ``input_rate`` Hz:
    its output layer fires ``input_rate`` Hz at the activation ``output_scale`` = ``lambda_L``
    (ANN units), so ``readout_scale = input_rate / lambda_L`` Hz per ANN unit, offset 0."""
    return {
        "network": kind, "family": family, "method": "baseline",
        "readout_scale": input_rate / output_scale, "readout_offset": 0.0, "seconds": seconds,
    }


def pruning_runs(cfg: ConversionSection) -> list[tuple[str, int, list[int], list[str]]]:
    """(network, layer, sizes, methods) of the pruning experiments whose network is trained."""
    p = cfg.pruning
    runs = []
    if p.network in cfg.networks:
        runs.append((p.network, p.layer, p.sizes, [m for m in p.methods if m != "milp"]))
    if p.milp_sizes and p.milp_network in cfg.networks:
        runs.append((p.milp_network, p.milp_layer, p.milp_sizes, list(PRUNE_METHODS_MILP)))
    return runs
