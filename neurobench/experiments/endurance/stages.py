"""The ``endurance`` stage's computations: crossbar asymmetry, mappings, lifetimes, sweeps, claims.

The notebook ``notebooks/endurance.ipynb`` calls these in order and only displays and plots
their results. Units: currents in A, endurance in writes, lifetimes in workload executions
(inferences), NoC energy in pJ (uJ in tables where named so), latency in ns, temperature in K.
"""

from __future__ import annotations

from typing import Mapping as MappingType
from typing import Sequence

import numpy as np
import pandas as pd

from ...hardware.crossbar import CrossbarParams, program_currents, series_currents
from ...hardware.endurance import PcmEndurance, pcm_endurance
from ...hardware.mesh import Mesh
from ...hardware.workload import Workload
from ...mapping import cells as cells_mod
from ...mapping import workloads as W
from ...mapping.espine import Chip, Mapping, MappingConfig, map_workload, nominal_endurance, prepare
from ...mapping.lifetime import endurance_ratio, rram_lifetime
from ...mapping.partition import cluster_traffic
from ...schema import replace
from ...units import PJ_PER_UJ
from ..common import geometric_mean
from .params import EnduranceRramSection, EnduranceSection, EnduranceWorkloadSection
from .workloads import simulated_digits

__all__ = [
    "BASELINES", "asymmetry", "build_workloads", "claims", "cluster_lifetimes", "critical_tile",
    "crossbar_lifetime", "heavy_links", "lifetime_gain", "map_all", "noc_cost_ratios", "placement_grid",
    "program_current_models", "rram_table", "sensitivity", "sensitivity_case", "summary",
]

BASELINES = ("sequential", "random", "spinemap", "spinemap_cells")
"""The methods eSpine is compared with (``neurobench.mapping.espine``)."""


def program_current_models(xbar: CrossbarParams) -> dict[str, np.ndarray]:
    """Programming current (A) of every cell: series path-length model and nodal V/2, V/3."""
    return {
        "series": series_currents(xbar),
        "nodal V/2": program_currents(replace(xbar, bias="V/2")),
        "nodal V/3": program_currents(replace(xbar, bias="V/3")),
    }


def asymmetry(models: MappingType[str, np.ndarray], xbar: CrossbarParams,
              law: PcmEndurance) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """PCM endurance map (writes) of every current model, and per model the far/near current
    ratio (cell (0, n-1) over cell (n-1, 0)), the near cell's current over the ideal
    ``v_prog / r_cell`` and the endurance spread ``E_max / E_min``."""
    i_ideal = xbar.v_prog / xbar.r_cell
    endurance, rows = {}, []
    for name, cur in models.items():
        e = pcm_endurance(cur, law, i_ideal, xbar.r_cell)
        endurance[name] = e
        rows.append({"model": name, "far/near current": cur[0, -1] / cur[-1, 0],
                     "near cell / ideal current": cur[-1, 0] / i_ideal, "E_max/E_min": e.max() / e.min()})
    return endurance, pd.DataFrame(rows)


def build_workloads(wc: EnduranceWorkloadSection) -> list[Workload]:
    """The generated workloads and, when ``wc.simulated``, the workbench's simulated digits SNNs."""
    workloads = W.generated_set(wc.image_side, wc.hidden, wc.lenet_side, wc.lenet_dense, wc.reservoir,
                                wc.synthetic_sizes, wc.rf_sizes, wc.rf_fan_in, wc.rf_group, wc.duration, wc.seed)
    if wc.simulated:
        workloads += simulated_digits(wc.samples, wc.n_steps, wc.dt, wc.max_rate, wc.train_epochs, wc.seed)
    return workloads


def map_all(workloads: Sequence[Workload], config: MappingConfig
            ) -> tuple[dict[str, Chip], dict[str, dict[str, Mapping]], pd.DataFrame]:
    """Every workload mapped with every method on its chip: chips, mappings, and one row per
    (workload, method) with lifetime, energy (uJ), latency (ns), clusters, cut spikes and tiles."""
    chips, results, rows = {}, {}, []
    for w in workloads:
        chips[w.name] = prepare(w.graph, config)
        results[w.name] = map_workload(w.graph, config, chip=chips[w.name])
        for method, m in results[w.name].items():
            rows.append({"workload": w.name, "method": method, "lifetime": m.lifetime, "energy_uJ": m.energy / PJ_PER_UJ,
                         "latency_ns": m.latency, "clusters": m.clustering.n_clusters, "cut_spikes": m.cut,
                         "tiles": chips[w.name].mesh.size})
    return chips, results, pd.DataFrame(rows)


def _with_geometric_mean(table: pd.DataFrame) -> pd.DataFrame:
    table = table.copy()
    table.loc["geometric mean"] = table.apply(geometric_mean)
    return table


def lifetime_gain(res: pd.DataFrame, order: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lifetime per workload (rows in ``order``) and method, and eSpine's lifetime over each
    baseline's, with a "geometric mean" row."""
    life = res.pivot(index="workload", columns="method", values="lifetime").loc[list(order)]
    gain = pd.DataFrame({b: life["espine"] / life[b] for b in BASELINES})
    return life, _with_geometric_mean(gain)


def noc_cost_ratios(res: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """NoC energy and latency of eSpine over the sequential and SpiNeMap-like mappings, and of
    SpiNeMap-like over sequential, per workload, with a "geometric mean" row."""
    energy = res.pivot(index="workload", columns="method", values="energy_uJ").loc[list(order)]
    latency = res.pivot(index="workload", columns="method", values="latency_ns").loc[list(order)]
    cost = pd.DataFrame({f"energy vs {b}": energy["espine"] / energy[b] for b in ["sequential", "spinemap"]}
                        | {f"latency vs {b}": latency["espine"] / latency[b] for b in ["sequential", "spinemap"]}
                        | {"spinemap vs sequential energy": energy["spinemap"] / energy["sequential"],
                           "spinemap vs sequential latency": latency["spinemap"] / latency["sequential"]})
    return _with_geometric_mean(cost)


def critical_tile(chip: Chip, mapping: Mapping) -> int:
    """The tile holding the critical cell of ``mapping``: the used cell with the least endurance per activation."""
    act = chip.activation
    used = act > 0
    cell = mapping.cell[used]
    return int(cell[np.argmin(chip.tiles[cell[:, 0], cell[:, 1], cell[:, 2]] / act[used])][0])


def crossbar_lifetime(chip: Chip, mapping: Mapping, tile: int) -> tuple[np.ndarray, float]:
    """The synapses of ``mapping`` active on ``tile`` (bool mask over synapses) and that
    crossbar's lifetime, ``min endurance / activation`` over them, in executions."""
    act = chip.activation
    on = (mapping.cell[:, 0] == tile) & (act > 0)
    return on, float((chip.tiles[tile][mapping.cell[on, 1], mapping.cell[on, 2]] / act[on]).min())


def cluster_lifetimes(chip: Chip, mapping: Mapping) -> np.ndarray:
    """Lifetime (executions) of every cluster of ``mapping`` on the tile it was placed on."""
    m = mapping
    contents = cells_mod.contents(chip.graph, m.clustering.cluster_of, m.clustering.n_clusters, chip.activation)
    return np.array([cells_mod.lifetime(ct, chip.tiles[t], *maps) for ct, t, maps in zip(contents, m.tile_of, m.maps)])


def placement_grid(mesh: Mesh, tile_of: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(rows, cols) mesh grid with ``log10(values[c])`` at the tile of cluster ``c`` (nan elsewhere
    and where a value is infinite)."""
    xy = mesh.coordinates()
    grid = np.full((mesh.rows, mesh.cols), np.nan)
    grid[xy[tile_of, 0], xy[tile_of, 1]] = np.log10(np.where(np.isfinite(values), values, np.nan))
    return grid


def heavy_links(chip: Chip, mapping: Mapping, quantile: float = 0.9) -> np.ndarray:
    """(K, 2) cluster pairs whose spike traffic exceeds the ``quantile`` of the non-zero traffic."""
    t = cluster_traffic(chip.graph, mapping.clustering.cluster_of)
    if not (t > 0).any():
        return np.zeros((0, 2), np.int64)
    return np.argwhere(t > np.quantile(t[t > 0], quantile))


def sensitivity_case(graph, cfg: EnduranceSection, kind: str, value, **crossbar) -> dict:
    """eSpine against SpiNeMap-like on ``graph`` with the crossbar changed by ``crossbar``: the
    nominal endurance spread, the spread of the cells both mappings use (the bound on the
    lifetime ratio), the lifetime gain and the energy ratio."""
    mc = cfg.mapping_config(**crossbar)
    chip = prepare(graph, mc)
    rr = map_workload(graph, mc, methods=("spinemap", "espine"), chip=chip)
    e = nominal_endurance(mc.crossbar, mc.endurance)
    on = chip.activation > 0
    used_e = np.concatenate([chip.tiles[m.cell[on, 0], m.cell[on, 1], m.cell[on, 2]] for m in rr.values()])
    return {"sweep": kind, "value": str(value), "E_max/E_min nominal": e.max() / e.min(),
            "bound": endurance_ratio(used_e),
            "gain vs spinemap": rr["espine"].lifetime / rr["spinemap"].lifetime,
            "energy ratio": rr["espine"].energy / rr["spinemap"].energy}


def sensitivity(workloads: Sequence[Workload], cfg: EnduranceSection) -> pd.DataFrame:
    """``sensitivity_case`` over the wire resistances (ohm), crossbar sizes and bias schemes of
    ``cfg.sensitivity`` on its workload."""
    sc = cfg.sensitivity
    graph = next(w for w in workloads if w.name == sc.workload).graph
    rows = [sensitivity_case(graph, cfg, "wire resistance (ohm)", r, r_wl=r, r_bl=r) for r in sc.wire_resistances]
    rows += [sensitivity_case(graph, cfg, "crossbar size", n, n=n) for n in sc.crossbar_sizes]
    rows += [sensitivity_case(graph, cfg, "bias scheme", b, bias=b) for b in sc.biases]
    return pd.DataFrame(rows)


def rram_table(workloads: Sequence[Workload], chips: MappingType[str, Chip], xbar: CrossbarParams,
               rc: EnduranceRramSection) -> tuple[list[Workload], pd.DataFrame]:
    """RRAM inference lifetime (inferences) of the ``rc.n_workloads`` smallest workloads on their
    KL clusters, index order against read-endurance-aware placement, at every temperature (K)."""
    law = rc.law()
    small = sorted(workloads, key=lambda w: w.graph.n_synapses)[: rc.n_workloads]
    rows = []
    for w in small:
        chip = chips[w.name]
        kl = chip.kl
        base = rram_lifetime(chip.graph, kl.cluster_of, kl.n_clusters, xbar, law, rc.temperatures, aware=False, exact=rc.exact)
        aw = rram_lifetime(chip.graph, kl.cluster_of, kl.n_clusters, xbar, law, rc.temperatures, aware=True, exact=rc.exact)
        for k, temp in enumerate(rc.temperatures):
            rows.append({"workload": w.name, "T (K)": temp, "L_inf index order": base["lifetime"][k],
                         "L_inf aware": aw["lifetime"][k], "gain": aw["lifetime"][k] / base["lifetime"][k]})
    return small, pd.DataFrame(rows)


def claims(gain: pd.DataFrame, cost: pd.DataFrame, rr: pd.DataFrame, asym: pd.DataFrame, wtable: pd.DataFrame,
           n_small: int, rc: EnduranceRramSection) -> pd.DataFrame:
    """The papers' claims (T1-T8 of the summary) against our measurements."""
    g = gain.loc["geometric mean"]
    c = cost.loc["geometric mean"]
    nodal = asym.set_index("model")["far/near current"]
    digit = (" / ".join(str(int(x)) for x in wtable.set_index("workload").loc["digit_mlp", ["neurons", "synapses"]])
             if "digit_mlp" in set(wtable.workload) else "n/a")
    return pd.DataFrame([
        ["T1 parasitics make cell currents asymmetric; near-driver cells weakest [paper]", "direction only",
         f"far/near current {nodal['series']:.2f} series, {nodal['nodal V/2']:.2f} V/2, {nodal['nodal V/3']:.2f} V/3 (summary: 0.94/0.26/0.28)"],
        ["T2 eSpine improves effective lifetime on all workloads [paper]", "'significant', no number",
         f"x{float(g['spinemap']):.2f} vs SpiNeMap-like, x{float(g['sequential']):.2f} vs sequential (geometric means); worst workload x{gain['spinemap'].min():.2f}"],
        ["T3 eSpine costs little performance [unverified]", "not available",
         f"energy x{float(c['energy vs spinemap']):.3f}, latency x{float(c['latency vs spinemap']):.3f} vs SpiNeMap-like (target within +10 %)"],
        ["T4 SpiNeMap lowers energy/latency vs prior mapping [paper: -45 % / -21 %]", "-45 % energy, -21 % latency",
         f"{100 * (float(c['spinemap vs sequential energy']) - 1):+.0f} % energy, {100 * (float(c['spinemap vs sequential latency']) - 1):+.0f} % latency vs sequential"],
        ["T5 read-endurance-aware mapping extends inference lifetime [paper]", "'significant', no number",
         f"min gain x{float(rr['gain'].min()):.2f} over {n_small} workloads and {len(rc.temperatures)} temperatures; N_RD = {rc.n_0:.0e} reads at 0.2 V, 300 K"],
        ["T8 DigitRecogMLP has 894 neurons / 79,400 synapses [unverified]", "894 / 79,400", digit],
    ], columns=["claim", "paper", "measured here"])


def summary(workloads: Sequence[Workload], life: pd.DataFrame, gain: pd.DataFrame, cost: pd.DataFrame,
            asym: pd.DataFrame, rr: pd.DataFrame, xbar: CrossbarParams) -> dict[str, float | int]:
    """The stage's headline metrics (``metrics.json``)."""
    g = gain.loc["geometric mean"]
    c = cost.loc["geometric mean"]
    a = asym.set_index("model")
    return {
        "n_workloads": int(len(workloads)),
        "lifetime_gain_vs_spinemap_geomean": float(g["spinemap"]),
        "lifetime_gain_vs_sequential_geomean": float(g["sequential"]),
        "lifetime_gain_vs_random_geomean": float(g["random"]),
        "lifetime_gain_vs_spinemap_min": float(gain["spinemap"].drop("geometric mean").min()),
        "cell_ordering_gain_geomean": geometric_mean(life["spinemap_cells"] / life["spinemap"]),
        "energy_ratio_vs_spinemap_geomean": float(c["energy vs spinemap"]),
        "latency_ratio_vs_spinemap_geomean": float(c["latency vs spinemap"]),
        "spinemap_energy_vs_sequential_geomean": float(c["spinemap vs sequential energy"]),
        "far_near_current_v2": float(a.loc["nodal V/2", "far/near current"]),
        "far_near_current_v3": float(a.loc["nodal V/3", "far/near current"]),
        "endurance_spread_v2": float(a.loc["nodal V/2", "E_max/E_min"]),
        "rram_lifetime_gain_min": float(rr["gain"].min()),
        "rram_lifetime_gain_geomean": geometric_mean(rr["gain"]),
        "crossbar_n": int(xbar.n),
    }
