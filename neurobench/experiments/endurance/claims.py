"""The endurance stage's claims table and headline metrics, over replicates.

Each row is a :class:`neurobench.claims.Claim` with one measurement per replicate
(``EnduranceSection.replicate``: generated workloads, KL, PSO and tile-variation draws seeded
per replicate). Both papers are known from their abstracts only, so most rows have no paper
number (``paper=None``) and our target is the direction the abstract states; every note says how
the comparison is not like-for-like, and which rows hold by construction.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ...claims import Claim
from ..common import geometric_mean
from .stages import Replicate

__all__ = ["claims", "summary"]

ESPINE = "Titirsha et al., eSpine, arXiv:2103.05707, abstract"
READ = "Song, Titirsha, Das, arXiv:2106.09104, abstract"
LAWS = "reconstructed circuit, endurance laws and constants (docs/papers/endurance_mapping.md)"


def _geo(rep: Replicate, column: str, table: str = "gain") -> float:
    return float(getattr(rep, table).loc["geometric mean", column])


def claims(reps: Sequence[Replicate], asym: pd.DataFrame) -> list[Claim]:
    """The claims rows (T1-T5 of the spec, and the thermal profile's effect), one measurement per
    replicate in ``reps``; ``asym`` is the deterministic asymmetry table of ``stages.asymmetry``."""
    seeds = tuple(rep.cfg.seed for rep in reps)
    n = len(reps)
    far_near = float(asym.set_index("model").loc["nodal V/2", "far/near current"])

    def row(key, statement, source, values, **kw) -> Claim:
        return Claim(key=key, statement=statement, source=source, measured=tuple(values), seeds=seeds, **kw)

    parts = [rep.parts for rep in reps]
    return [
        row("t1_far_near_current", "T1 parasitic wire resistance makes cell currents asymmetric: far/near "
            "current ratio < 1 (near-driver cells weakest)", f"{ESPINE}; IGSC'20, arXiv:2009.12672",
            (far_near,) * n, unit="fraction", target=1.0, higher_is_better=False,
            note="deterministic nodal solve (V/2, no random input): the same value for every seed; the papers give "
                 "the direction only; " + LAWS),
        row("t2_gain_vs_spinemap", "T2 eSpine improves the effective lifetime over an endurance-unaware mapping "
            "(geometric mean over workloads, vs SpiNeMap-like)", ESPINE,
            [_geo(rep, "spinemap") for rep in reps], unit="x", target=1.0,
            note="paper: 'significant improvement', no number, PCM on its 10 workloads; ours: " + LAWS + "; "
                 ">= 1 holds by construction (eSpine falls back to SpiNeMap's placement with cell ordering), the size "
                 "is what is measured, and it is set by the assumed exponent and variation (see the drivers sweep)"),
        row("t2_min_gain_vs_spinemap", "T2 eSpine improves the lifetime on all workloads (worst workload vs "
            "SpiNeMap-like)", ESPINE, [float(rep.gain["spinemap"].drop("geometric mean").min()) for rep in reps],
            unit="x", target=1.0, note="holds by construction (>= 1, see above); the measurement is its size"),
        row("t2_gain_vs_sequential", "T2 eSpine's lifetime over the PyCARL-like sequential mapping (geometric mean)",
            ESPINE, [_geo(rep, "sequential") for rep in reps], unit="x", target=1.0,
            note="sequential uses its own clustering, so this gain is not bounded below by construction; " + LAWS),
        row("t2_cell_ordering_part", "T2 part of the gain from cell ordering inside crossbars (SpiNeMap placement "
            "with eSpine ordering over SpiNeMap-like)", "ours (decomposition of T2)",
            [geometric_mean(p["cell_ordering"]) for p in parts], unit="x",
            note="informational: proportional to the endurance spread, i.e. to the assumed exponent (drivers sweep)"),
        row("t2_pso_part", "T2 part of the gain from the lifetime-aware PSO placement (eSpine over the ablation)",
            "ours (decomposition of T2)", [geometric_mean(p["pso"]) for p in parts], unit="x",
            note="informational: exactly 1 without per-tile variation or a thermal profile (drivers sweep)"),
        row("t3_energy_vs_spinemap", "T3 eSpine costs little NoC energy vs SpiNeMap-like (ratio, geometric mean)",
            f"{ESPINE} [unverified: 'minimal' cost]", [_geo(rep, "energy vs spinemap", "cost") for rep in reps],
            unit="x", target=1.10, higher_is_better=False,
            note="no number in the abstract; our target +10 %; hop-count energy proxy, not a cycle-accurate NoC"),
        row("t3_latency_vs_spinemap", "T3 eSpine costs little spike latency vs SpiNeMap-like (ratio, geometric mean)",
            f"{ESPINE} [unverified: 'minimal' cost]", [_geo(rep, "latency vs spinemap", "cost") for rep in reps],
            unit="x", target=1.10, higher_is_better=False,
            note="no number in the abstract; our target +10 %; mean hop latency proxy, no congestion"),
        row("t4_spinemap_energy", "T4 SpiNeMap lowers NoC energy vs a prior mapping (SpiNeMap-like over sequential)",
            "Balaji et al., SpiNeMap, IEEE TVLSI 2020, abstract: -45 % energy",
            [_geo(rep, "spinemap vs sequential energy", "cost") for rep in reps], unit="x", paper=0.55, target=1.0,
            higher_is_better=False,
            note="paper: vs prior techniques on DYNAP-SE with a cycle-accurate NoC; ours: vs index-order clustering "
                 "and placement, hop-count proxy; target = the direction"),
        row("t4_spinemap_latency", "T4 SpiNeMap lowers spike latency vs a prior mapping (SpiNeMap-like over sequential)",
            "Balaji et al., SpiNeMap, IEEE TVLSI 2020, abstract: -21 % latency",
            [_geo(rep, "spinemap vs sequential latency", "cost") for rep in reps], unit="x", paper=0.79, target=1.0,
            higher_is_better=False, note="as T4 energy: not like-for-like, target = the direction"),
        row("t5_rram_gain_min", "T5 read-endurance-aware placement extends RRAM inference lifetime (worst workload "
            "and temperature)", READ, [float(rep.rr["gain"].min()) for rep in reps], unit="x", target=1.0,
            note="paper: 'significant', no number, cycle-accurate simulator; ours: reconstructed read-disturb law, "
                 "read voltages re-solved with the programmed conductances (exact), so not >= 1 by construction"),
        row("thermal_pcm_gain", "eSpine that sees the thermal profile outlives eSpine mapped for a uniform chip "
            "(PCM, geometric mean over the drivers workloads)", "ours (thermal-aware sibling: arXiv:2010.04773)",
            [geometric_mean(rep.pcm_thermal["aware / unaware"]) for rep in reps], unit="x", target=1.0,
            note="the profile (hot centre) and the Arrhenius factor on PCM endurance are assumptions; not >= 1 by "
                 "construction (PSO starts from SpiNeMap's placement, not the unaware one)"),
        row("thermal_rram_gain", "RRAM: placing critical clusters on cool tiles outlives index-order placement "
            "(geometric mean over the RRAM workloads)", "ours (read-endurance abstract: temperature shortens it)",
            [geometric_mean(rep.rram_thermal["aware / unaware"]) for rep in reps], unit="x", target=1.0,
            note=">= 1 by construction (sorted matching is optimal); the measurement is its size under the assumed "
                 "profile"),
    ]


def summary(reps: Sequence[Replicate], asym: pd.DataFrame, drivers: pd.DataFrame, n_simulated: int,
            crossbar_n: int) -> dict[str, float | int]:
    """Headline metrics (numbers only): means over replicates, the workload counts, the asymmetry
    and the drivers sweep's end points."""
    a = asym.set_index("model")
    d = drivers.set_index(["sweep", "value"])

    def mean(values) -> float:
        return float(np.mean(list(values)))

    first = reps[0]
    out = {
        "n_seeds": len(reps),
        "n_workloads": len(first.workloads),
        "n_simulated_workloads": sum(w.source == "simulated" for w in first.workloads),
        "n_saved_networks_mapped": int(n_simulated),
        "n_synthetic_workloads": sum(w.source != "simulated" for w in first.workloads),
        "lifetime_gain_vs_spinemap_geomean": mean(_geo(r, "spinemap") for r in reps),
        "lifetime_gain_vs_sequential_geomean": mean(_geo(r, "sequential") for r in reps),
        "lifetime_gain_vs_random_geomean": mean(_geo(r, "random") for r in reps),
        "cell_ordering_gain_geomean": mean(geometric_mean(r.parts["cell_ordering"]) for r in reps),
        "pso_gain_geomean": mean(geometric_mean(r.parts["pso"]) for r in reps),
        "energy_ratio_vs_spinemap_geomean": mean(_geo(r, "energy vs spinemap", "cost") for r in reps),
        "latency_ratio_vs_spinemap_geomean": mean(_geo(r, "latency vs spinemap", "cost") for r in reps),
        "far_near_current_v2": float(a.loc["nodal V/2", "far/near current"]),
        "far_near_current_v3": float(a.loc["nodal V/3", "far/near current"]),
        "endurance_spread_v2": float(a.loc["nodal V/2", "E_max/E_min"]),
        "rram_lifetime_gain_geomean": mean(geometric_mean(r.rr["gain"]) for r in reps),
        "drivers_pso_gain_no_variation": float(d.loc[("no variation", 0.0), "pso"]),
        "drivers_total_gain_no_variation": float(d.loc[("no variation", 0.0), "total"]),
        "crossbar_n": int(crossbar_n),
    }
    for kind in ("exponent",):
        for value, row in drivers[drivers.sweep == kind].set_index("value").iterrows():
            out[f"drivers_total_gain_{kind}_{value:g}".replace(".", "p")] = float(row["total"])
    return out
