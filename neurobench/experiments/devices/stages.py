"""What the ``devices`` notebook runs: the gated-synapse model checks (E3a-E3d), the fit
recovery (E3e), and a 4-bit digits network written onto gated synapses (pulses, time and write
error per weight level against the non-linearity, open loop vs program-and-verify, and the
network's accuracy, simulated by the clock simulator).

The network is converted here (``neurobench.conversion``, digital family with ``bits`` and the
rounding method; the conversion stage's models are not read, so the stage depends on no other
stage). Replicate ``r`` draws device variation, pulse and read noise from
``child_seed(device_seed, r)`` and the fit's read noise from ``child_seed(fit.seed, r)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...ann import Ann
from ...ann.table import ann_row
from ...ann.train import load_data, train_ann
from ...conversion import Converter, Digital
from ...conversion.evaluation import Readout, evaluate_network
from ...devices import (
    FITTED,
    GatedSynapseParams,
    conductance,
    decay_state,
    device_arrays,
    fit,
    model_curves,
    pulse_train,
    set_state,
    simulate,
    synthetic_curves,
)
from ...devices.programming import ProgramParams, program_levels
from ...executor import ExecutorParams
from ...metrics import table
from ...network import Dense, Network
from ...progress import track
from ...schema import replace as replace_params
from ...seeds import child_seed
from .params import DevicesSection

__all__ = ["DigitsTask", "digits_task", "fit_recovery", "model_checks", "program_network", "run_replicates",
           "write_study"]


# ------------------------------------------------------------------------------ E3a - E3d


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def model_checks(cfg: DevicesSection) -> tuple[dict[str, float], pd.DataFrame]:
    """E3a-E3d on the nominal device (deterministic). Returns the numbers and the E3d curves.

    * ``e3a_max_change``: max ``|w_end - w_0|`` over sub-threshold pulse trains (``sub_threshold``
      of each threshold, both polarities) from states 0, 0.3, 0.7, 1 with decay disabled;
    * ``e3b_rel_error``: max relative error of ``G`` against ``g_min + (g_max - g_min) t / t_set``
      at the end of every pulse of a linear (``alpha_p = 0``) train at ``v_set`` lasting ``t_set``
      in ``n_pulses`` pulses (the last read is ``G_max`` at ``t = t_set``);
      ``e3b_nonlinear_rel_error``: the same against the closed forms for ``alpha_p`` 0.5 and 1;
    * ``e3c_rel_error``: max relative error of the sub-threshold state against
      ``w_inf + (w_0 - w_inf) e^(-t / tau)`` over five time constants;
    * ``e3d_monotone`` (1 if potentiation never decreases and depression never increases w),
      ``e3d_saturation`` (last over first increment of the potentiation train: < 1 saturates),
      ``e3d_symmetry_error`` (max ``|w_pot(n) - (1 - w_dep(n))|`` for a device with equal set
      and reset parameters).
    """
    c, d = cfg.checks, cfg.device
    out: dict[str, float] = {}
    nonvolatile = replace_params(d, tau_decay=float("inf"))
    w0 = np.array([0.0, 0.3, 0.7, 1.0])
    dev = device_arrays(nonvolatile, len(w0))
    change = 0.0
    for v in (c.sub_threshold * d.v_th_p, -c.sub_threshold * d.v_th_d):
        volts, dur = pulse_train(c.n_pulses, v, c.width, gap=c.width)
        change = max(change, float(np.max(np.abs(simulate(dev, w0, volts, dur, record=False) - w0))))
    out["e3a_max_change"] = change

    t = d.t_set * np.arange(1, c.n_pulses + 1) / c.n_pulses
    errors = {}
    for alpha in (0.0, 0.5, 1.0):
        p = replace_params(nonvolatile, alpha_p=alpha)
        w = simulate(device_arrays(p, 1), 0.0, *pulse_train(c.n_pulses, p.v_set, d.t_set / c.n_pulses))[:, 0]
        errors[alpha] = _rel(conductance(p, w), conductance(p, set_state(t, p.t_set, alpha)))
    out["e3b_rel_error"] = errors[0.0]
    out["e3b_nonlinear_rel_error"] = max(errors[0.5], errors[1.0])

    p = replace_params(d, tau_decay=c.tau_decay, w_inf=c.decay_w_inf)
    steps = 100
    w = simulate(device_arrays(p, 1), c.decay_w0, np.zeros(steps), np.full(steps, 5 * c.tau_decay / steps))[:, 0]
    tt = 5 * c.tau_decay * np.arange(1, steps + 1) / steps
    out["e3c_rel_error"] = _rel(w, decay_state(tt, c.tau_decay, c.decay_w0, c.decay_w_inf))

    pot = simulate(device_arrays(nonvolatile, 1), 0.0, *pulse_train(c.n_pulses, d.v_set, c.width))[:, 0]
    dep = simulate(device_arrays(nonvolatile, 1), pot[-1], *pulse_train(c.n_pulses, -d.v_reset, c.width))[:, 0]
    inc = np.diff(np.concatenate([[0.0], pot]))
    out["e3d_monotone"] = float(np.all(inc >= 0) and np.all(np.diff(np.concatenate([[pot[-1]], dep])) <= 0))
    out["e3d_saturation"] = float(inc[-1] / inc[0]) if inc[0] > 0 else float("nan")
    sym = replace_params(nonvolatile, t_reset=d.t_set, alpha_d=d.alpha_p, v_reset=d.v_set, v_th_d=d.v_th_p)
    s_pot = simulate(device_arrays(sym, 1), 0.0, *pulse_train(c.n_pulses, sym.v_set, c.width))[:, 0]
    s_dep = simulate(device_arrays(sym, 1), 1.0, *pulse_train(c.n_pulses, -sym.v_reset, c.width))[:, 0]
    out["e3d_symmetry_error"] = float(np.max(np.abs(s_pot - (1.0 - s_dep))))

    n = np.arange(1, c.n_pulses + 1)
    curves = pd.concat([
        pd.DataFrame({"pulse": n, "train": "potentiation", "conductance (µS)": conductance(d, pot) * 1e6}),
        pd.DataFrame({"pulse": n, "train": "depression", "conductance (µS)": conductance(d, dep) * 1e6}),
    ], ignore_index=True)
    return out, curves


def nonlinearity_curves(cfg: DevicesSection) -> pd.DataFrame:
    """Potentiation then depression trains (``checks``) of the nominal device at every
    ``alphas`` value (alpha_p = alpha_d): state vs pulse number, for the figure."""
    c, rows = cfg.checks, []
    for a in cfg.alphas:
        p = replace_params(cfg.device, alpha_p=a, alpha_d=a, tau_decay=float("inf"))
        v = np.concatenate([np.full(c.n_pulses, p.v_set), np.full(c.n_pulses, -p.v_reset)])
        w = simulate(device_arrays(p, 1), 0.0, v, np.full(2 * c.n_pulses, c.width))[:, 0]
        rows.append(pd.DataFrame({"pulse": np.arange(1, 2 * c.n_pulses + 1), "alpha": a, "state w": w}))
    return pd.concat(rows, ignore_index=True)


# ------------------------------------------------------------------------------------ E3e


def fit_recovery(cfg: DevicesSection, r: int) -> tuple[dict[str, float], pd.DataFrame]:
    """E3e for replicate ``r``: synthetic curves of ``fit.truth`` with read noise (seed
    ``child_seed(fit.seed, r)``) fitted from ``fit.guess``. Returns the relative error of every
    fitted parameter (``err_<name>``), their maximum, the fit's RMSE (fraction of the range) and
    the measured and fitted curves (µS per read)."""
    f = cfg.fit
    measured = synthetic_curves(f.truth, f.protocol, f.noise, np.random.default_rng(child_seed(f.seed, r)))
    res = fit(measured, f.protocol, f.guess)
    errors = res.relative_errors(f.truth)
    row = {f"err_{k}": errors[k] for k in FITTED}
    row.update({"max_rel_error": max(errors.values()), "rmse": res.rmse, "replicate": r})
    row.update({f"fit_{k}": float(getattr(res.params, k)) for k in FITTED})
    fitted = model_curves([res.params], f.protocol)[0]
    curves = pd.DataFrame({"read": np.arange(len(measured)), "measured (µS)": measured * 1e6,
                           "fitted (µS)": fitted * 1e6})
    return row, curves


# ------------------------------------------------------------------------ the 4-bit network


@dataclass
class DigitsTask:
    """The converted digits network, its weight grid steps (mV per level) and levels, the
    test data, the accuracies of the ANN and of the ideal (unprogrammed) SNN, and ``neurobench``:
    the NeuroBench-style rows of the ANN and of the ideal SNN (one each, from the same runs)."""

    ann: Ann
    network: Network
    readout: Readout
    steps: list[float]
    levels: list[np.ndarray]
    n_levels: int
    x_test: np.ndarray
    y_test: np.ndarray
    acc_ann: float
    acc_ideal: float
    neurobench: dict[str, list[dict]] = field(default_factory=dict)


def _accuracy(network: Network, task_readout: Readout, ann: Ann, x, y, cfg: DevicesSection) -> tuple[float, dict]:
    """Accuracy of ``network`` under the count read-out and its NeuroBench-style row, one run."""
    n = cfg.network
    r = evaluate_network(network, task_readout, ann, x, y, n_steps=n.n_steps, dt=1.0, input_rate=n.input_rate,
                         kinds=("count",), keep_record=True)
    return float(r["count"]["score"]), table.clock_metrics(r["record"], y, network, note=table.ARGMAX_NOTE)


def digits_task(cfg: DevicesSection) -> DigitsTask:
    """Train the digits MLP and convert it under the ``bits``-bit digital family (rounding
    method, one grid per layer), in-process; accuracy of the ANN and of the converted SNN."""
    n = cfg.network
    x_tr, y_tr, x_te, y_te = load_data("digits", seed=n.split_seed)
    if n.test_samples:
        x_te, y_te = x_te[:n.test_samples], y_te[:n.test_samples]
    ann = train_ann("mlp", x_tr, y_tr, hidden=(n.hidden,), epochs=n.epochs, seed=n.train_seed)
    conv = Converter(constraints=Digital(bits=n.bits, method="round"), executor=ExecutorParams(kind="local"), n_steps=n.n_steps,
                     input_rate=n.input_rate, max_rate=n.input_rate)
    network = conv.fit(ann, x_tr[:n.calibration_samples])
    readout = Readout(conv.readout_scale_, conv.readout_offset_)
    steps = [float(rep.weight_step) for rep in conv.layer_reports_]
    levels = [np.rint(layer.weight / s).astype(np.int64) for layer, s in zip(network.layers, steps)]
    acc_ann = float(np.mean(ann.predict(x_te) == y_te))
    task = DigitsTask(ann, network, readout, steps, levels, 2 ** (n.bits - 1) - 1, x_te, y_te, acc_ann, 0.0)
    task.acc_ideal, ideal_row = _accuracy(network, readout, ann, x_te, y_te, cfg)
    task.neurobench = {"ann": [ann_row(ann, x_te, y_te)], "ideal": [ideal_row]}
    return task


def program_network(task: DigitsTask, device: GatedSynapseParams, prog: ProgramParams, verify: bool,
                    rng: np.random.Generator) -> tuple[Network, pd.DataFrame]:
    """``task.network`` with every non-zero weight written onto a differential pair of gated
    synapses (``program_levels``); zero weights stay exact (both devices reset). Returns the
    programmed network and one row per written weight: level, written level, pulses, time."""
    layers, rows = [], []
    for layer, step_mv, lv in zip(task.network.layers, task.steps, task.levels):
        nz = lv != 0
        written, res = program_levels(device, prog, lv[nz], task.n_levels, verify, rng)
        k = np.zeros(lv.shape)
        k[nz] = written
        layers.append(Dense(k * step_mv, layer.bias))
        rows.append(pd.DataFrame({"level": np.abs(lv[nz]), "error (levels)": np.abs(written) - np.abs(lv[nz]),
                                  "pulses": res.pulses, "time (ns)": res.time_ns}))
    return Network(task.network.input_shape, tuple(layers), task.network.neurons), pd.concat(rows, ignore_index=True)


def _summary(per_weight: pd.DataFrame) -> dict[str, float]:
    e = per_weight["error (levels)"].to_numpy()
    return {"rms_error": float(np.sqrt(np.mean(e**2))), "mean_pulses": float(per_weight.pulses.mean()),
            "mean_time_ns": float(per_weight["time (ns)"].mean())}


def write_study(cfg: DevicesSection, task: DigitsTask, r: int,
                neurobench: dict[str, list[dict]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replicate ``r`` of the write study: at the nominal device and write scheme
    (``sweep = "nominal"``, ``value = alpha_p``), for every ``alphas`` value and for every
    ``sigma_sweep`` value (at the device's own non-linearity), open loop and program-and-verify.
    Returns (one row per setting: accuracy, its loss against the ideal 4-bit SNN in pp, RMS
    write error in levels, mean pulses and write time per weight; one row per setting and level:
    pulses, time and RMS error). ``neurobench``: a dict that receives, from the same runs, the
    NeuroBench-style rows of the networks written at the nominal setting, under
    ``nominal/open_loop`` and ``nominal/verify``."""
    seed = child_seed(cfg.device_seed, r)
    settings = [("nominal", cfg.device.alpha_p, cfg.device, cfg.program)]
    settings += [("alpha", a, replace_params(cfg.device, alpha_p=a, alpha_d=a), cfg.program) for a in cfg.alphas]
    settings += [("sigma", s, cfg.device, replace_params(cfg.program, sigma_d2d=s)) for s in cfg.sigma_sweep]
    rows, levels = [], []
    index = 0
    for sweep, value, device, prog in settings:
        for scheme, verify in (("open loop", False), ("verify", True)):
            rng = np.random.default_rng(child_seed(seed, index))
            index += 1
            net, per_weight = program_network(task, device, prog, verify, rng)
            acc, nb_row = _accuracy(net, task.readout, task.ann, task.x_test, task.y_test, cfg)
            if neurobench is not None and sweep == "nominal":
                neurobench.setdefault(f"nominal/{scheme.replace(' ', '_')}", []).append(nb_row)
            rows.append({"replicate": r, "sweep": sweep, "value": value, "scheme": scheme, "accuracy": acc,
                         "loss_pp": 100.0 * (task.acc_ideal - acc), **_summary(per_weight)})
            by_level = per_weight.groupby("level").agg(
                pulses=("pulses", "mean"), time_ns=("time (ns)", "mean"),
                rms_error=("error (levels)", lambda e: float(np.sqrt(np.mean(np.square(e))))))
            levels.append(by_level.reset_index().assign(replicate=r, sweep=sweep, value=value, scheme=scheme))
    return pd.DataFrame(rows), pd.concat(levels, ignore_index=True)


def run_replicates(cfg: DevicesSection, task: DigitsTask, progress: bool = False,
                   neurobench: dict[str, list[dict]] | None = None
                   ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    """``n_seeds`` replicates of the fit recovery and the write study. Returns (fit rows, write
    rows, per-level rows, the fit curves of every replicate); ``neurobench`` receives the
    NeuroBench-style rows of ``write_study``."""
    fits, writes, levels, curves = [], [], [], []
    for r in track(range(cfg.n_seeds), desc="replicates", show=progress):
        row, c = fit_recovery(cfg, r)
        fits.append(row)
        curves.append(c)
        w, lv = write_study(cfg, task, r, neurobench)
        writes.append(w)
        levels.append(lv)
    return pd.DataFrame(fits), pd.concat(writes, ignore_index=True), pd.concat(levels, ignore_index=True), curves
