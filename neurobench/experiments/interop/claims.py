"""The ``interop`` stage's claims (``neurobench.claims.Claim`` rows) and headline numbers.

NIR (Pedersen et al. 2024) claims that one graph runs on many platforms, and shows that outputs
differ between them because each discretises the continuous-time graph its own way. Our claims
are targets of ours: the round trip is exact, and snnTorch computes our spikes once the graph
states our conventions (explicit one-step delays, our reset schedule, our threshold rule).
"""

from __future__ import annotations

import numpy as np

from ...claims import Claim
from .stages import COLUMNS, Case

__all__ = ["SOURCE", "headline_metrics", "interop_claims"]

SOURCE = "Pedersen et al. 2024, Nat. Commun. 15:8122 (NIR)"


def _fraction(cases: list[Case], key: str, select=lambda c: True) -> float:
    chosen = [c for c in cases if select(c)]
    if not chosen:
        return float("nan")
    return float(np.mean([c.agreements[key].status == "identical" for c in chosen]))


def _neuron_fraction(cases: list[Case], key: str, select=lambda c: True) -> float:
    runs = [c.agreements[key] for c in cases if select(c) and c.agreements[key].neurons]
    if not runs:
        return float("nan")
    return float(sum(a.identical for a in runs) / sum(a.neurons for a in runs))


def _per_replicate(cases: list[Case], fn, *args) -> tuple[tuple[float, ...], tuple[int, ...]]:
    replicates = sorted({c.replicate for c in cases})
    return tuple(fn([c for c in cases if c.replicate == r], *args) for r in replicates), tuple(replicates)


def interop_claims(cases: list[Case], input_note: str) -> list[Claim]:
    """Claims rows over the replicates (one value per replicate: a fraction of its networks, or of
    its neurons over samples). ``input_note`` says what the networks were fed."""
    is_if = lambda c: c.kind == "IF"  # noqa: E731
    is_lif = lambda c: c.kind == "LIF"  # noqa: E731
    brian_run = lambda c: c.agreements["brian2"].status != "not run"  # noqa: E731
    rows = []
    measured, seeds = _per_replicate(cases, _fraction, "round_trip")
    rows.append(Claim(key="round_trip_identical", statement="write → read → our simulator gives identical spikes "
                      "(every network)", source="ours; " + SOURCE + " (NIR as an exchange format)", unit="fraction",
                      measured=measured, target=1.0, seeds=seeds,
                      note=f"every spike of every layer compared; {input_note}"))
    measured, seeds = _per_replicate(cases, _fraction, "brian2", brian_run)
    rows.append(Claim(key="brian2_identical", statement="the graph read back runs identically in Brian2 (networks run)",
                      source="ours", unit="fraction", measured=measured, target=1.0, seeds=seeds,
                      note="only the brian_networks smallest networks per origin (Brian2 is slow); spike counts"))
    measured, seeds = _per_replicate(cases, _fraction, "snntorch_matched", is_if)
    rows.append(Claim(key="snntorch_if_identical", statement="snnTorch (matched + explicit delays) gives our spike "
                      "counts for every IF network", source="ours; " + SOURCE + " (outputs differ across platforms)",
                      unit="fraction", measured=measured, target=1.0, seeds=seeds,
                      note="snnTorch's modules with our discretisation (beta = 1, reset_delay, mem >= threshold, "
                           "float64, one-step Delay nodes); not snnTorch's own import (native column)"))
    measured, seeds = _per_replicate(cases, _fraction, "snntorch_matched", is_lif)
    rows.append(Claim(key="snntorch_lif_identical", statement="snnTorch (matched + delays, our reset schedule) gives "
                      "our spike counts for every LIF network", source="ours; " + SOURCE, unit="fraction",
                      measured=measured, target=1.0, seeds=seeds,
                      note="reset to zero made to drop the spike step's input as Brian2's schedule does "
                           "(reset_schedule='ours'); beta = exp(-dt/tau)"))
    measured, seeds = _per_replicate(cases, _neuron_fraction, "snntorch_own_reset", is_lif)
    rows.append(Claim(key="snntorch_lif_own_reset_neurons", statement="LIF neurons with identical counts under "
                      "snn.Leaky's own reset to zero (keeps the spike step's input)", source="ours", unit="fraction",
                      measured=measured, seeds=seeds,
                      note="informational: the size of the reset-schedule difference on these networks and inputs"))
    measured, seeds = _per_replicate(cases, lambda cs: float(np.mean([c.agreements["snntorch_native"].status
                                                                     != "unsupported" for c in cs])))
    rows.append(Claim(key="snntorch_native_runs", statement="networks snnTorch 1.0.0's own import_from_nir runs",
                      source="ours; " + SOURCE + " (snnTorch listed as a NIR backend)", unit="fraction",
                      measured=measured, seeds=seeds,
                      note="informational: IF maps to Leaky(beta=0.9) whose tuple output the next layer rejects; "
                           "Flatten(start_dim=0) flattens the batch; no Scale"))
    return rows


def headline_metrics(cases: list[Case]) -> dict[str, float | None]:
    """Numbers for ``metrics.json``: networks (over replicates) and, per framework, the runs and
    the fraction of them identical to ours and unsupported (None where nothing ran)."""
    out: dict[str, float | None] = {"networks": float(len(cases)),
                             "replicates": float(len({c.replicate for c in cases})),
                             "if_networks": float(sum(c.kind == "IF" for c in cases)),
                             "lif_networks": float(sum(c.kind == "LIF" for c in cases))}
    for key in COLUMNS:
        run = [c for c in cases if c.agreements[key].status != "not run"]
        out[f"{key}_run"] = float(len(run))
        out[f"{key}_identical_fraction"] = (float(np.mean([c.agreements[key].status == "identical" for c in run]))
                                            if run else None)
        out[f"{key}_unsupported_fraction"] = (float(np.mean([c.agreements[key].status == "unsupported" for c in run]))
                                              if run else None)
    return out
