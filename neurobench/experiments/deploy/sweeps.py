"""Each number of a candidate with its dominant assumption moved (``deploy.sweep``).

:func:`candidate_sweep` takes one candidate's flow output (replicate 0) and recomputes each number
with the assumption that drives it (``stages.PROVENANCE``) multiplied by each of
``sweep.factors``, the trained network, the conversion (or MAC mapping) and the placement fixed;
the RRAM lifetime at each of ``sweep.temperatures`` instead.
"""

from __future__ import annotations

import numpy as np

from ...conversion.evaluation import evaluate_network
from ...hardware.programming import programming_cost
from ...mapping.espine import evaluate, rechip
from ...schema import replace
from .chips import GatedSynapseDevice, RramDevice
from .flow import CandidateRun, cells_per_tile, device_lifetime, replicate, run_policy
from .gated import gated_programming, retention_ns
from .mac import MacRun, mac_cost, mac_programming, run_on_mac
from .params import DeploySection

__all__ = ["SWEEP_COLUMNS", "candidate_sweep"]

SWEEP_COLUMNS = ("candidate", "number", "assumption", "factor", "value")
"""One sweep row: candidate, number, assumption, factor (or temperature in K), value."""


def _mac_sweep(name: str, run: MacRun, f: float) -> list[tuple]:
    """The analog MAC candidate's numbers with each assumption times ``f`` (replicate 0's chip
    instance and noise; the mapping fixed)."""
    d, chip = run.deployed, run.deployed.chip
    t = d.previous
    mac = replace(run.mac, sigma_trial=run.mac.sigma_trial * f)
    scores, _ = run_on_mac(d, t.x_test, mac)
    c = chip.cost
    return [
        (name, "accuracy", "mac.sigma_trial", f, float((scores.argmax(axis=1) == t.y_test).mean())),
        (name, "latency_us", "cost.pass_ns", f, mac_cost(d, replace(c, pass_ns=c.pass_ns * f))[0] / 1e3),
        (name, "energy_nj", "cost.power_w", f, mac_cost(d, replace(c, power_w=c.power_w * f))[1] / 1e3),
        (name, "programming_ms", "cost.write_gbit_s", f,
         mac_programming(d, replace(c, write_gbit_s=c.write_gbit_s * f)).time_ns / 1e6),
        (name, "programming_uj", "cost.write_pj_per_bit", f,
         mac_programming(d, replace(c, write_pj_per_bit=c.write_pj_per_bit * f)).energy_pj / 1e6),
    ]


def _gated_sweep(name: str, run: CandidateRun, cfg: DeploySection, f: float) -> list[tuple]:
    """The gated synapse's lifetime (tau_decay x f) and programming energy (pulse_pj x f)."""
    dev = run.deployed.chip.device
    life = retention_ns(replace(dev, synapse=replace(dev.synapse, tau_decay=dev.synapse.tau_decay * f)))
    placed = run.placed
    g = placed.mapped.graph
    used = g.weight != 0
    pc = gated_programming(g.weight[used], placed.mapping.cell[used, 0], placed.mesh.rows * placed.mesh.cols,
                           replace(dev, pulse_pj=dev.pulse_pj * f), cfg.mapping_seed)
    return [(name, "lifetime", "synapse.tau_decay", f, life / run.timed.latency_ns),
            (name, "programming_uj", "pulse_pj", f, pc.energy_pj / 1e6)]


def candidate_sweep(name: str, run: CandidateRun | MacRun, cfg: DeploySection) -> list[tuple]:
    """Rows (:data:`SWEEP_COLUMNS`) of candidate ``name``'s numbers on ``run`` (replicate 0) with
    each dominant assumption multiplied by each of ``cfg.sweep.factors`` (RRAM lifetime: at each
    of ``cfg.sweep.temperatures``)."""
    rows: list[tuple] = []
    if isinstance(run, MacRun):
        for f in cfg.sweep.factors:
            rows += _mac_sweep(name, run, f)
        return rows
    rep0 = replicate(cfg, 0)
    chip = run.deployed.chip
    sim, placed, timed = run.simulated, run.placed, run.timed
    n = sim.workload.n_samples
    t = sim.previous.previous
    for f in cfg.sweep.factors:
        steps = max(1, int(round(cfg.n_steps * f)))
        ev = evaluate_network(run.deployed.network, run.deployed.readout, t.ann, t.x_test, t.y_test,
                              n_steps=steps, dt=cfg.dt, input_rate=cfg.input_rate, kinds=("count",))
        rows.append((name, "accuracy", "n_steps", f, ev["count"]["score"]))
        for number, key, scale in (("energy_nj", "syn_event_pj", 1e3), ("latency_us", "syn_event_ns", 1e3)):
            cost = replace(chip.cost, **{key: getattr(chip.cost, key) * f})
            s = run_policy(timed.load, chip, cost)
            value = s.energy.total_pj / n / scale if number == "energy_nj" else s.makespan_ns / n / scale
            rows.append((name, number, f"cost.{key}", f, value))
        if isinstance(chip.device, GatedSynapseDevice):
            rows += _gated_sweep(name, run, rep0, f)
            continue
        prog = replace(chip.device.programming, pulses_per_cell=chip.device.programming.pulses_per_cell * f)
        pc = programming_cost(cells_per_tile(placed), prog)
        rows.append((name, "programming_uj", "pulses_per_cell", f, pc.energy_pj / 1e6))
        if not isinstance(chip.device, RramDevice):
            law = replace(placed.config.endurance, exponent=placed.config.endurance.exponent * f)
            m = placed.mapping
            moved = rechip(placed.mapped, replace(placed.config, endurance=law))
            rows.append((name, "lifetime", "endurance.exponent", f,
                         evaluate(moved, m.method, m.clustering, m.tile_of, m.maps).lifetime))
    if isinstance(chip.device, RramDevice):
        temps = np.asarray(cfg.sweep.temperatures, dtype=float)
        lives = np.atleast_1d(device_lifetime(placed, chip.device, temps))
        rows += [(name, "lifetime", "temperature_K", float(T), float(v)) for T, v in zip(temps, lives)]
    return rows
