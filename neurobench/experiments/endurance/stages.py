"""The ``endurance`` stage's computations: crossbar asymmetry, mappings, lifetimes, sweeps, claims.

The notebook ``notebooks/endurance.ipynb`` calls these in order and only displays and plots
their results. Units: currents in A, endurance in writes, lifetimes in workload executions
(inferences), NoC energy in pJ (uJ in tables where named so), latency in ns, temperature in K.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping as MappingType
from typing import Sequence

import numpy as np
import pandas as pd

from ...executor import ExecutorParams, Session, map_tasks, session_of
from ...hardware.crossbar import CrossbarParams, program_currents, series_currents
from ...hardware.endurance import PcmEndurance, pcm_endurance
from ...hardware.mesh import Mesh
from ...hardware.workload import Workload
from ...mapping import cells as cells_mod
from ...mapping import workloads as W
from ...hardware.mesh import MeshParams
from ...hardware.thermal import ThermalParams, arrhenius_factor, tile_temperatures
from ...mapping.espine import Chip, Mapping, MappingConfig, evaluate, map_workload, nominal_endurance, prepare, rechip
from ...mapping.placement import place_by_lifetime, place_sequential
from ...mapping.lifetime import endurance_ratio, rram_lifetime
from ...mapping.partition import cluster_traffic
from ...schema import replace
from ...units import PJ_PER_UJ
from ..common import geometric_mean
from .params import EnduranceRramSection, EnduranceSection, EnduranceWorkloadSection
from .workloads import REPLACED_BY, SimulatedSet, digits_images, network_workloads, random_cnn_workload

__all__ = [
    "BASELINES", "Replicate", "asymmetry", "build_workloads", "cluster_lifetimes", "critical_tile",
    "crossbar_lifetime", "drivers", "finish_task", "gain_parts", "heavy_links", "lifetime_gain", "map_all", "map_task",
    "noc_cost_ratios",
    "over_seeds", "pcm_thermal", "placement_grid", "program_current_models", "rram_table", "rram_thermal",
    "run_replicate", "run_replicates", "sensitivity", "sensitivity_case", "simulated_set",
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


def simulated_set(wc: EnduranceWorkloadSection) -> SimulatedSet:
    """The workbench's saved networks (LP-converted from ``wc.conversion_dir``, async-trained from
    ``wc.async_dir``) with spike counts simulated on the digits test images, and the notes on what
    was skipped (empty when ``wc.simulated`` is off). Deterministic (regular rate code): built
    once and shared by every replicate."""
    out = SimulatedSet()
    if not wc.simulated:
        out.notes.append("workloads.simulated is off: only generated (synthetic) workloads are mapped")
        return out
    images = digits_images(wc.samples)
    out.extend(network_workloads(wc.conversion_dir, "lp", "LP-converted", True, images, wc.n_steps, wc.dt, wc.max_rate))
    out.extend(network_workloads(wc.async_dir, "async", "async-trained", False, images, wc.n_steps, wc.dt, wc.max_rate))
    return out


def build_workloads(wc: EnduranceWorkloadSection, sim: SimulatedSet) -> list[Workload]:
    """Replicate's workloads: the generated shapes (synthetic counts, seeded by ``wc.seed``) the
    paper needs and no network here stands for (``REPLACED_BY``), then, when ``wc.simulated``,
    the random conv network (weights and Poisson inputs seeded by ``wc.seed``) and ``sim``."""
    generated = W.generated_set(wc.image_side, wc.hidden, wc.lenet_side, wc.lenet_dense, wc.reservoir,
                                wc.synthetic_sizes, wc.rf_sizes, wc.rf_fan_in, wc.rf_group, wc.duration, wc.seed)
    workloads = [w for w in generated if REPLACED_BY.get(w.name) not in sim.kinds]
    if wc.simulated:
        workloads.append(random_cnn_workload(digits_images(wc.samples), wc.n_steps, wc.dt, wc.max_rate, wc.seed))
        workloads += sim.workloads
    return workloads


def map_task(task: tuple[Workload, MappingConfig]) -> tuple[Chip, dict[str, Mapping]]:
    """One workload of :func:`map_all` ``(workload, config)``: its chip and its mapping by every
    method; the executor's task function (pure: every seed is in ``config``)."""
    w, config = task
    chip = prepare(w.graph, config)
    return chip, map_workload(w.graph, config, chip=chip)


def _mapping_table(workloads: Sequence[Workload], mapped: Sequence[tuple[Chip, dict[str, Mapping]]]
                   ) -> tuple[dict[str, Chip], dict[str, dict[str, Mapping]], pd.DataFrame]:
    """:func:`map_all`'s result from the :func:`map_task` results (in workload order)."""
    chips, results, rows = {}, {}, []
    for w, (chip, result) in zip(workloads, mapped):
        chips[w.name], results[w.name] = chip, result
        for method, m in result.items():
            rows.append({"workload": w.name, "method": method, "lifetime": m.lifetime, "energy_uJ": m.energy / PJ_PER_UJ,
                         "latency_ns": m.latency, "clusters": m.clustering.n_clusters, "cut_spikes": m.cut,
                         "tiles": chip.mesh.size})
    return chips, results, pd.DataFrame(rows)


def map_all(workloads: Sequence[Workload], config: MappingConfig,
            executor: ExecutorParams | Session = ExecutorParams()
            ) -> tuple[dict[str, Chip], dict[str, dict[str, Mapping]], pd.DataFrame]:
    """Every workload mapped with every method on its chip: chips, mappings, and one row per
    (workload, method) with lifetime, energy (uJ), latency (ns), clusters, cut spikes and tiles.
    One task per workload (:func:`map_task`) through ``executor``."""
    mapped = map_tasks(map_task, [(w, config) for w in workloads], executor, "endurance: mappings")
    return _mapping_table(workloads, mapped)


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
               rc: EnduranceRramSection) -> tuple[list[Workload], pd.DataFrame, dict[str, np.ndarray]]:
    """RRAM inference lifetime (inferences) of the ``rc.n_workloads`` smallest workloads on their
    KL clusters, index order against read-endurance-aware placement, at every temperature (K);
    and per workload the aware placement's lifetime of every cluster at ``rc.t_ref``."""
    law = rc.law()
    small = sorted(workloads, key=lambda w: w.graph.n_synapses)[: rc.n_workloads]
    rows, per_cluster = [], {}
    for w in small:
        chip = chips[w.name]
        kl = chip.kl
        base = rram_lifetime(chip.graph, kl.cluster_of, kl.n_clusters, xbar, law, rc.temperatures, aware=False, exact=rc.exact)
        aw = rram_lifetime(chip.graph, kl.cluster_of, kl.n_clusters, xbar, law, rc.temperatures, aware=True, exact=rc.exact)
        # a uniform temperature scales every cell alike: back to t_ref exactly
        per_cluster[w.name] = aw["per_cluster"][0] / arrhenius_factor(rc.temperatures[0], law.e_a, law.t_ref)
        for k, temp in enumerate(rc.temperatures):
            rows.append({"workload": w.name, "T (K)": temp, "L_inf index order": base["lifetime"][k],
                         "L_inf aware": aw["lifetime"][k], "gain": aw["lifetime"][k] / base["lifetime"][k]})
    return small, pd.DataFrame(rows), per_cluster


def rram_thermal(per_cluster: MappingType[str, np.ndarray], noc: MeshParams, thermal: ThermalParams,
                 rc: EnduranceRramSection) -> pd.DataFrame:
    """RRAM inference lifetime (inferences) of each workload's aware cell placement on a mesh with
    the thermal profile: uniform chip at ``t_edge_k`` (no profile), clusters on tiles in index
    order (unaware of the profile) and by ``place_by_lifetime`` (critical clusters on cool tiles,
    aware). Tile factor: the read-disturb law's Arrhenius factor at each tile's temperature."""
    rows = []
    for name, life in per_cluster.items():
        mesh = noc.mesh(life.size)
        temps = tile_temperatures(mesh, thermal)
        f = arrhenius_factor(temps, rc.e_a, rc.t_ref)
        unaware = place_sequential(life.size, mesh.size)
        aware = place_by_lifetime(life, f)
        rows.append({"workload": name, "tiles": mesh.size, "T min (K)": temps.min(), "T max (K)": temps.max(),
                     "L_inf uniform (edge T)": float((life * arrhenius_factor(thermal.t_edge_k, rc.e_a, rc.t_ref)).min()),
                     "L_inf profile, unaware": float((life * f[unaware]).min()),
                     "L_inf profile, aware": float((life * f[aware]).min())})
    out = pd.DataFrame(rows)
    if len(out):
        out["aware / unaware"] = out["L_inf profile, aware"] / out["L_inf profile, unaware"]
    return out


def pcm_thermal(chips: MappingType[str, Chip], results: MappingType[str, MappingType[str, Mapping]],
                cfg: EnduranceSection) -> pd.DataFrame:
    """eSpine's PCM lifetime (executions) on the ``cfg.drivers.workloads`` with and without the
    thermal profile ``cfg.thermal``: the uniform chip (every tile at ``pcm.t_amb``), the uniform
    chip's mapping evaluated on the hot chip (unaware of the profile), and eSpine mapped on the
    hot chip (its PSO and cell ordering see each tile's endurance with its Arrhenius factor)."""
    hot_cfg = cfg.mapping_config(thermal=True)
    rows = []
    for name in _named(chips, cfg.drivers.workloads, "drivers.workloads"):
        hot = rechip(chips[name], hot_cfg)
        m = results[name]["espine"]
        unaware = evaluate(hot, "espine", m.clustering, m.tile_of, m.maps)
        aware = map_workload(hot.graph, hot_cfg, methods=("spinemap", "spinemap_cells", "espine"), chip=hot)
        rows.append({"workload": name, "L uniform": m.lifetime, "L profile, unaware": unaware.lifetime,
                     "L profile, aware": aware["espine"].lifetime,
                     "aware / unaware": aware["espine"].lifetime / unaware.lifetime,
                     "energy aware / unaware": aware["espine"].energy / unaware.energy})
    return pd.DataFrame(rows)


def _named(chips: MappingType[str, Chip], names: Sequence[str], key: str) -> list[str]:
    missing = [n for n in names if n not in chips]
    if missing:
        raise ValueError(f"endurance.{key} = {list(names)}: {missing} not among the mapped workloads "
                         f"({', '.join(chips)})")
    return list(names)


def gain_parts(result: MappingType[str, Mapping]) -> dict[str, float]:
    """eSpine's lifetime gain over SpiNeMap-like (``total``) as the product of its two parts:
    ``cell_ordering`` (SpiNeMap's placement with eSpine's cell ordering over SpiNeMap-like) and
    ``pso`` (eSpine over that ablation: what the lifetime-aware PSO adds)."""
    spin, cells, esp = (result[k].lifetime for k in ("spinemap", "spinemap_cells", "espine"))
    return {"total": esp / spin, "cell_ordering": cells / spin, "pso": esp / cells}


def drivers(chips: MappingType[str, Chip], cfg: EnduranceSection) -> pd.DataFrame:
    """What drives the gain: ``gain_parts`` (geometric mean over ``cfg.drivers.workloads``) as the
    power-law exponent, the tile variation and the cell variation are swept (each with the other
    parameters at their values), and at zero variation. Clusterings are those of ``chips``; the
    tiles are rebuilt (``rechip``) with the same seed, so the draws only scale with the sigmas."""
    dc = cfg.drivers
    names = _named(chips, dc.workloads, "drivers.workloads")
    cases = [("exponent", e, replace(cfg, pcm=replace(cfg.pcm, exponent=e))) for e in dc.exponents]
    cases += [("sigma_tile", v, replace(cfg, mesh=replace(cfg.mesh, sigma_tile=v))) for v in dc.sigma_tiles]
    cases += [("sigma_cell", v, replace(cfg, mesh=replace(cfg.mesh, sigma_cell=v))) for v in dc.sigma_cells]
    cases += [("no variation", 0.0, replace(cfg, mesh=replace(cfg.mesh, sigma_tile=0.0, sigma_cell=0.0)))]
    rows = []
    for kind, value, c in cases:
        mc = c.mapping_config()
        parts = [gain_parts(map_workload(chips[n].graph, mc, methods=("spinemap", "spinemap_cells", "espine"),
                                         chip=rechip(chips[n], mc))) for n in names]
        rows.append({"sweep": kind, "value": float(value)} | {k: geometric_mean([p[k] for p in parts]) for k in parts[0]})
    return pd.DataFrame(rows)


@dataclass(eq=False)
class Replicate:
    """One replicate of the experiment (seeds of ``EnduranceSection.replicate(r)``)."""

    r: int
    cfg: EnduranceSection
    workloads: list[Workload]
    chips: dict[str, Chip]
    results: dict[str, dict[str, Mapping]]
    res: pd.DataFrame
    life: pd.DataFrame
    gain: pd.DataFrame
    cost: pd.DataFrame
    rram_small: list[Workload]
    rr: pd.DataFrame
    rram_thermal: pd.DataFrame
    pcm_thermal: pd.DataFrame

    @property
    def parts(self) -> pd.DataFrame:
        """``gain_parts`` of every workload (rows in workload order)."""
        return pd.DataFrame({n: gain_parts(self.results[n]) for n in self.life.index}).T


def finish_task(task: tuple[int, EnduranceSection, list[Workload], tuple]) -> Replicate:
    """Replicate ``r`` of ``(r, c, workloads, (chips, results, res))`` (``c = cfg.replicate(r)``,
    its mappings from :func:`map_all`): gains and costs, RRAM lifetimes, thermal comparisons
    (PCM and RRAM); the executor's task function (pure)."""
    r, c, workloads, (chips, results, res) = task
    order = [w.name for w in workloads]
    life, gain = lifetime_gain(res, order)
    cost = noc_cost_ratios(res, order)
    small, rr, per_cluster = rram_table(workloads, chips, c.crossbar, c.rram)
    return Replicate(r, c, workloads, chips, results, res, life, gain, cost, small, rr,
                     rram_thermal(per_cluster, c.mesh, c.thermal, c.rram), pcm_thermal(chips, results, c))


def run_replicates(cfg: EnduranceSection, sim: SimulatedSet,
                   executor: ExecutorParams | Session = ExecutorParams()) -> list[Replicate]:
    """:func:`run_replicate` for ``r = 0 .. n_seeds - 1`` on one executor session, in two maps:
    one task per replicate and workload (:func:`map_task`, the costly mappings, balanced across
    workers), then one per replicate (:func:`finish_task`); no task opens a pool of its own.
    The results are identical for every executor."""
    reps = [cfg.replicate(r) for r in range(cfg.n_seeds)]
    workloads = [build_workloads(c.workloads, sim) for c in reps]
    with session_of(executor) as session:
        mapped = iter(session.map(map_task, [(w, c.mapping_config()) for c, ws in zip(reps, workloads) for w in ws],
                                  "endurance: mappings"))
        tasks = [(r, c, ws, _mapping_table(ws, [next(mapped) for _ in ws]))
                 for r, (c, ws) in enumerate(zip(reps, workloads))]
        return session.map(finish_task, tasks, "endurance: replicates")


def run_replicate(cfg: EnduranceSection, r: int, sim: SimulatedSet,
                  executor: ExecutorParams | Session = ExecutorParams()) -> Replicate:
    """Replicate ``r``: its workloads mapped with every method (one task per workload through
    ``executor``), gains and costs, RRAM lifetimes, and the thermal comparisons (PCM and RRAM)."""
    c = cfg.replicate(r)
    workloads = build_workloads(c.workloads, sim)
    return finish_task((r, c, workloads, map_all(workloads, c.mapping_config(), executor)))


def over_seeds(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Mean and sample std (ddof 1; 0 for one replicate) over replicates of same-shaped tables:
    one "mean ± std" string per cell, for display."""
    stack = np.stack([f.to_numpy(dtype=float) for f in frames])
    mean = stack.mean(axis=0)
    std = stack.std(axis=0, ddof=1) if len(frames) > 1 else np.zeros_like(mean)
    text = np.vectorize(lambda m, s: f"{m:.3g} ± {s:.2g}")(mean, std)
    return pd.DataFrame(text, index=frames[0].index, columns=frames[0].columns)


def mean_over_seeds(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Cell-wise mean over replicates of same-shaped numeric tables."""
    return pd.DataFrame(np.mean(np.stack([f.to_numpy(dtype=float) for f in frames]), axis=0),
                        index=frames[0].index, columns=frames[0].columns)


def notes_markdown(notes: Sequence[str]) -> str:
    """The notes on skipped networks as a Markdown list ("" when there are none)."""
    return "\n".join(["**Not mapped:**", ""] + [f"- {note}" for note in notes]) if notes else ""
