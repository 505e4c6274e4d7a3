"""Across papers: the conversion report's digits MLP (64 -> H -> 10) as an analog ANN on the
BrainScaleS-2 MAC against the same architecture converted to a spiking network on a digital
weight grid of the same size (signed levels -63..63: ``Digital(bits=7)``, the 6-bit magnitude and
sign of the analog chip).

Both are trained here on the same split and seed (the conversion stage's own models are not
reused: their training recipe and folders belong to that stage): the analog ANN through the
linear model (``neurobench.analog.train``) and deployed on every chip instance; the float ANN by
``neurobench.ann.train`` and converted by ``neurobench.conversion.Converter`` (per-neuron LPs,
rounded to the grid), simulated for ``snn_steps`` steps of 1 ms.

Operations per inference: the analog ANN's synapse activations ``Σ_layers fan_in · fan_out ·
n_sends`` (every synapse row driven, whatever the input); the SNN's synaptic events (one per
spike and outgoing synapse). Energy proxy (an assumption, swept): ``E = ops · e_op`` with
``e_op`` per analog synapse activation and per digital synaptic event in pJ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...analog import NetParams, accuracy, train
from ...analog.mac import weight_max
from ...ann.train import load_data
from ...ann.train import train as train_float
from ...conversion import Converter, Digital
from ...conversion.evaluation import Readout, evaluate_network
from ...executor import ExecutorParams
from ...progress import track
from ...training.common import single_thread
from .params import AnalogSection
from .stages import build_net, chip_mac, replicate_section

__all__ = ["SNN_INPUT_RATE", "cross_paper", "energy_table", "run_cross_paper"]

SNN_INPUT_RATE = 500.0
"""Hz for a pixel of value 1 (regular rate code), as in the conversion stage."""


def cross_paper(cfg: AnalogSection, r: int) -> dict[str, float]:
    """Replicate ``r``: test accuracy (fraction) and operations per inference of the analog ANN
    (mean over chip instances) and of the converted SNN (count read-out), and the float ANN's."""
    rc = replicate_section(cfg, r)
    x_tr, y_tr, x_te, y_te = load_data("digits", test_fraction=cfg.test_fraction, seed=rc.split_seed)
    scale = 2 ** cfg.mac.input_bits - 1
    xa_tr, xa_te = x_tr.reshape(-1, 8, 8) * scale, x_te.reshape(-1, 8, 8) * scale
    with single_thread():
        net = build_net(NetParams(conv_channels=0, pad=0, hidden=[cfg.mlp_hidden], shift=cfg.network.shift), 8, 10,
                        rc.mac, rc.init_seed)
        train(net, xa_tr, y_tr, rc.pretrain, weight_max(cfg.mac))
        analog = float(np.mean([accuracy(net, xa_te, y_te, chip_mac(rc, c)) for c in range(cfg.n_chips)]))
        fan = [layer.weight.numel() * layer.n_sends for layer in net.layers]
        ann = train_float("mlp", x_tr, y_tr, hidden=cfg.mlp_hidden, epochs=cfg.mlp_epochs, seed=rc.init_seed).ann
    converter = Converter(constraints=Digital(bits=7, method="round"), n_steps=cfg.snn_steps, dt=1.0,
                          input_rate=SNN_INPUT_RATE, max_rate=SNN_INPUT_RATE, seed=rc.init_seed, executor=ExecutorParams(kind="local"))
    snn = converter.fit(ann, x_tr[:cfg.calibration_samples])
    res = evaluate_network(snn, Readout(converter.readout_scale_, converter.readout_offset_), ann, x_te, y_te,
                           n_steps=cfg.snn_steps, dt=1.0, input_rate=SNN_INPUT_RATE, kinds=("count",))
    float_acc = float((ann.predict(x_te) == y_te).mean())
    return {"replicate": r, "mlp_float": float_acc, "mlp_analog": analog, "mlp_snn": float(res["count"]["score"]),
            "mlp_analog_ops": float(sum(fan)), "mlp_snn_ops": float(res["synops_per_sample"])}


def energy_table(cross: pd.DataFrame, pj_ratios: list[float]) -> pd.DataFrame:
    """Energy proxy per inference of the SNN over the analog ANN's, for each assumed ratio of the
    energy of one digital synaptic event to one analog synapse activation (``pj_ratios``):
    ``ratio · snn_ops / analog_ops`` (mean over replicates; > 1: the analog ANN costs less)."""
    ops = cross[["mlp_analog_ops", "mlp_snn_ops"]].mean()
    return pd.DataFrame({"e_synop / e_analog": pj_ratios,
                         "E_snn / E_analog": [k * ops.mlp_snn_ops / ops.mlp_analog_ops for k in pj_ratios]})


def run_cross_paper(cfg: AnalogSection) -> pd.DataFrame | None:
    """``cross_paper`` for every replicate (one row each), None when ``cfg.cross_paper`` is off."""
    if not cfg.cross_paper:
        return None
    return pd.DataFrame([cross_paper(cfg, r) for r in track(range(cfg.n_seeds), desc="cross-paper MLPs")])
