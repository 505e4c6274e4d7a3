"""The ``interop`` stage's computations: every network through NIR and into every framework here.

For replicate ``r`` the networks are every ``.npz`` of ``<conversion_dir>/seed<r>`` (the conversion
stage's converted, baseline, pruned and penalty networks: IF, reset by subtraction) and every
``.npz`` under ``async_dir`` (the async stage's trained networks: LIF, reset to zero); a folder
without networks is replaced by tiny seeded networks of the same kind (``tiny_networks``: the
notes say so). Each network is written to ``<nir_dir>/<name>.nir`` and, on Bernoulli input spikes
(seeded by ``child_seed(seed, r)``), compared with our clock simulator running the original:

* round trip: ``write_nir`` -> ``read_nir`` -> clock simulator, every spike of every layer;
* Brian2 (the ``brian_networks`` smallest per origin): the network read back, in Brian2;
* snnTorch matched: ``snntorch_module(with_delays(graph))`` (explicit one-step delays, our reset
  schedule and threshold rule), spike counts;
* snnTorch matched, its own reset: the same with ``reset_schedule="snntorch"`` (LIF only: for IF
  with reset by subtraction the two schedules are one);
* snnTorch native: ``snntorch.import_from_nir`` on the graph as written, spike counts.

Each comparison is an :class:`Agreement`: identical, differs (neurons with identical counts of
all, max |diff| of a count) or unsupported (the reason). Times in ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...interop.nir import NirError, read_nir, to_nir, write_nir
from ...interop.snn_torch import run_snntorch, snntorch_module, with_delays
from ...network import AvgPool2d, Conv2d, Dense, Network
from ...neurons import NeuronParams
from ...progress import track
from ...seeds import child_seed
from ...serialize import load_network
from ...sim import simulate
from .params import InteropSection

__all__ = ["COLUMNS", "Agreement", "Case", "agreement_table", "compare_counts", "convention_sweep", "kind_of",
           "networks_of", "run_case", "run_replicate", "run_replicates", "status_counts", "tiny_networks"]

COLUMNS = {
    "round_trip": "round trip (write → read → ours)",
    "brian2": "Brian2",
    "snntorch_matched": "snnTorch matched + delays",
    "snntorch_own_reset": "snnTorch matched, its own reset",
    "snntorch_native": "snnTorch native",
}
"""Comparison key -> column title of the agreement table."""


@dataclass(frozen=True)
class Agreement:
    """One framework's run of a network against our clock simulator's run of the original.

    ``status``: "identical", "differs", "unsupported" or "not run"; ``identical`` and ``neurons``:
    neurons (over samples) whose spike counts are equal, and all of them; ``max_diff``: the
    largest |difference| of a spike count; ``reason``: why unsupported or not run."""

    status: str
    identical: int = 0
    neurons: int = 0
    max_diff: int = 0
    reason: str = ""

    def text(self) -> str:
        """The table cell: ``identical``, ``differs (k/N, max m)``, ``unsupported (reason)``."""
        if self.status == "differs":
            return f"differs ({self.identical}/{self.neurons}, max {self.max_diff})"
        if self.status in ("unsupported", "not run"):
            return f"{self.status} ({self.reason})"
        return self.status


def compare_counts(expected: list[np.ndarray], other: list[np.ndarray]) -> Agreement:
    """Spike counts (one (batch, n) array per layer) of another run against ours."""
    if len(expected) != len(other) or any(a.shape != b.shape for a, b in zip(expected, other)):
        return Agreement("differs", 0, int(sum(a.size for a in expected)), -1,
                         f"layer shapes {[b.shape for b in other]} differ from ours {[a.shape for a in expected]}")
    diff = [np.abs(np.asarray(a, np.int64) - np.asarray(b, np.int64)) for a, b in zip(expected, other)]
    neurons = int(sum(d.size for d in diff))
    same = int(sum((d == 0).sum() for d in diff))
    worst = int(max(int(d.max()) if d.size else 0 for d in diff))
    return Agreement("identical" if same == neurons else "differs", same, neurons, worst)


def _unsupported(err: Exception) -> Agreement:
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return Agreement("unsupported", reason=f"{type(err).__name__}: {first[:120]}")


def kind_of(network: Network) -> str:
    """``"IF"`` when every layer is IF, ``"LIF"`` when every layer is LIF, else ``"mixed"``."""
    models = {p.model for p in network.neurons}
    return "IF" if models == {"if"} else "LIF" if models == {"lif"} else "mixed"


def tiny_networks(origin: str, seed: int) -> list[tuple[str, Network]]:
    """Stand-ins for an empty folder, seeded by ``seed``: for ``"conversion"`` an IF conv-pool-dense
    network and an IF MLP with biases (reset by subtraction, like the converted ones), for
    ``"async"`` a LIF MLP (tau_m 10 ms, reset to zero, like the trained ones)."""
    rng = np.random.default_rng(seed)
    if origin == "conversion":
        if_ = NeuronParams(model="if", v_th=1.0, reset="subtract")
        conv = Conv2d(rng.normal(0.4, 0.5, (3, 1, 3, 3)), rng.normal(0.02, 0.02, 3), stride=1, padding=1)
        cnn = Network((1, 8, 8), (conv, AvgPool2d(2), Dense(rng.normal(0.2, 0.5, (8, 48)), rng.normal(0.05, 0.02, 8)),
                                  Dense(rng.normal(0.3, 0.5, (4, 8)), rng.normal(0.02, 0.01, 4))), if_)
        mlp = Network((16,), (Dense(rng.normal(0.3, 0.5, (12, 16)), rng.normal(0.05, 0.02, 12)),
                              Dense(rng.normal(0.3, 0.5, (4, 12)), rng.normal(0.02, 0.01, 4))), if_)
        return [("tiny_cnn", cnn), ("tiny_mlp", mlp)]
    lif = NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=10.0)
    mlp = Network((16,), (Dense(rng.normal(0.5, 0.6, (12, 16)), rng.normal(0.02, 0.02, 12)),
                          Dense(rng.normal(0.5, 0.6, (4, 12)), rng.normal(0.01, 0.01, 4))), lif)
    return [("tiny_lif_mlp", mlp)]


def networks_of(cfg: InteropSection, r: int) -> tuple[list[tuple[str, str, Network]], list[str]]:
    """Replicate ``r``'s ``(origin, name, network)`` triples (names are paths under ``nir_dir``
    without suffix) and notes on what was replaced or skipped."""
    notes: list[str] = []
    out: list[tuple[str, str, Network]] = []
    for origin, folder, prefix in (("conversion", Path(cfg.conversion_dir) / f"seed{r}", f"seed{r}"),
                                   ("async", Path(cfg.async_dir), "async")):
        found = []
        for path in sorted(folder.rglob("*.npz")) if folder.is_dir() else []:
            try:
                found.append((f"{prefix}/{path.relative_to(folder).with_suffix('').as_posix()}", load_network(path)))
            except ValueError as err:
                notes.append(f"{path}: not a saved network ({err}); skipped")
        if not found:
            notes.append(f"replicate {r}: {folder} holds no networks: tiny seeded {origin} stand-ins instead")
            found = [(f"{prefix}/{name}", net) for name, net in tiny_networks(origin, child_seed(cfg.seed, 100 + r))]
        out += [(origin, name, net) for name, net in found]
    return out, notes


def input_spikes(network: Network, cfg: InteropSection, r: int) -> np.ndarray:
    """Bernoulli(``input_rate``) input spikes (samples, n_steps, *input_shape), uint8, seeded by
    ``child_seed(seed, r)`` (the same stream for every network of the replicate)."""
    rng = np.random.default_rng(child_seed(cfg.seed, r))
    return (rng.random((cfg.samples, cfg.n_steps) + tuple(network.input_shape)) < cfg.input_rate).astype(np.uint8)


@dataclass
class Case:
    """One network of one replicate: what it is and how every framework agreed with ours."""

    replicate: int
    origin: str
    name: str
    kind: str
    reset: str
    neurons: int
    synapses: int
    spikes: int
    agreements: dict[str, Agreement]


def _snntorch(graph, x, expected, **kwargs) -> Agreement:
    try:
        return compare_counts(expected, run_snntorch(snntorch_module(graph, **kwargs), x))
    except Exception as err:  # noqa: BLE001 - a framework's failure is a row of the table
        return _unsupported(err)


def run_case(origin: str, name: str, network: Network, x: np.ndarray, cfg: InteropSection, r: int,
             brian: bool) -> Case:
    """Export ``network`` to ``<nir_dir>/<name>.nir`` and compare every framework's run with ours
    (module docstring); ``brian``: also run Brian2."""
    ours = simulate(network, x, cfg.dt, record_spikes=True)
    expected = [layer.spike_count for layer in ours.layers]
    resets = {p.reset for p in network.neurons}
    case = Case(r, origin, name, kind_of(network), resets.pop() if len(resets) == 1 else "mixed",
                int(sum(network.sizes[1:])), int(sum(int(network.fan_out(i).sum()) for i in range(len(network.layers)))),
                int(sum(int(c.sum()) for c in expected)), {})
    try:
        graph = to_nir(network, cfg.dt)
        path = write_nir(Path(cfg.nir_dir) / f"{name}.nir", network, cfg.dt)
        back = read_nir(path)
    except NirError as err:
        case.agreements = {key: _unsupported(err) for key in COLUMNS}
        return case
    again = simulate(back, x, cfg.dt, record_spikes=True)
    rt = compare_counts(expected, [layer.spike_count for layer in again.layers])
    if rt.status == "identical" and not all(np.array_equal(a.spikes, b.spikes) for a, b in zip(ours.layers, again.layers)):
        rt = Agreement("differs", rt.identical, rt.neurons, 0, "equal counts, different spike times")
    case.agreements["round_trip"] = rt
    if brian:
        from ...sim.brian import simulate_brian  # Brian2 is slow to import: only when asked

        record = simulate_brian(back, x, cfg.dt)
        case.agreements["brian2"] = compare_counts(expected, [layer.spike_count for layer in record.layers])
    else:
        case.agreements["brian2"] = Agreement("not run", reason="brian_networks cap")
    delayed = with_delays(graph)
    case.agreements["snntorch_matched"] = _snntorch(delayed, x, expected)
    if case.kind == "IF" and case.reset == "subtract":
        case.agreements["snntorch_own_reset"] = Agreement("not run", reason="IF, reset by subtraction: same schedule")
    else:
        case.agreements["snntorch_own_reset"] = _snntorch(delayed, x, expected, reset_schedule="snntorch")
    case.agreements["snntorch_native"] = _snntorch(graph, x, expected, mode="native")
    return case


def _brian_picks(networks: list[tuple[str, str, Network]], per_origin: int) -> set[str]:
    picks: set[str] = set()
    for origin in ("conversion", "async"):
        ranked = sorted((int(sum(n.sizes[1:])), name) for o, name, n in networks if o == origin)
        picks |= {name for _, name in ranked[:per_origin]}
    return picks


def run_replicate(cfg: InteropSection, r: int) -> tuple[list[Case], list[str]]:
    """Every network of replicate ``r`` through :func:`run_case`, and the notes."""
    networks, notes = networks_of(cfg, r)
    brian = _brian_picks(networks, cfg.brian_networks)
    cases = [run_case(origin, name, net, input_spikes(net, cfg, r), cfg, r, name in brian)
             for origin, name, net in track(networks, f"replicate {r}: networks through NIR")]
    return cases, notes


def run_replicates(cfg: InteropSection) -> tuple[list[Case], list[str]]:
    """:func:`run_replicate` for r = 0 .. n_seeds - 1, concatenated."""
    cases, notes = [], []
    for r in range(cfg.n_seeds):
        c, n = run_replicate(cfg, r)
        cases += c
        notes += n
    return cases, notes


def agreement_table(cases: list[Case]) -> pd.DataFrame:
    """One row per network and replicate: what it is, then one text cell per framework."""
    rows = []
    for c in cases:
        row = {"replicate": c.replicate, "network": c.name, "neurons": f"{c.kind}, reset {c.reset}",
               "size": c.neurons, "our spikes": c.spikes}
        row.update({title: c.agreements[key].text() for key, title in COLUMNS.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def status_counts(cases: list[Case]) -> pd.DataFrame:
    """Networks per framework (rows: column titles) and status (columns), over every replicate."""
    statuses = ["identical", "differs", "unsupported", "not run"]
    rows = {title: {s: sum(c.agreements[key].status == s for c in cases) for s in statuses}
            for key, title in COLUMNS.items()}
    return pd.DataFrame(rows).T[statuses]


SWEEP_SETTINGS = {
    "matched: delays, our reset, v >= v_th": dict(delays=True, reset_schedule="ours", at_threshold=True),
    "no delays": dict(delays=False, reset_schedule="ours", at_threshold=True),
    "snnTorch's reset": dict(delays=True, reset_schedule="snntorch", at_threshold=True),
    "snnTorch's threshold (mem > v_th)": dict(delays=True, reset_schedule="ours", at_threshold=False),
    "all snnTorch's conventions": dict(delays=False, reset_schedule="snntorch", at_threshold=False),
}
"""The convention settings of the sweep: which of our conventions the snnTorch module adopts."""


def convention_sweep(cfg: InteropSection) -> pd.DataFrame:
    """How snnTorch's agreement with us moves when each convention setting is dropped: for the
    first ``sweep_networks`` networks of replicate 0 per kind (IF, LIF) that run in matched mode, per setting of
    ``SWEEP_SETTINGS``, the fraction of neurons (over samples) with identical spike counts and the
    max |diff|."""
    networks, _ = networks_of(cfg, 0)
    rows = []
    for kind in ("IF", "LIF"):
        chosen = [(name, net) for _, name, net in networks if kind_of(net) == kind]
        done = 0
        for name, net in chosen:
            if done == cfg.sweep_networks:
                break
            x = input_spikes(net, cfg, 0)
            expected = [layer.spike_count for layer in simulate(net, x, cfg.dt).layers]
            try:
                graph = to_nir(net, cfg.dt)
            except NirError:
                continue
            if _snntorch(with_delays(graph), x, expected).status == "unsupported":
                continue  # not in matched mode either: nothing to sweep
            for setting, s in SWEEP_SETTINGS.items():
                a = _snntorch(with_delays(graph) if s["delays"] else graph, x, expected,
                              reset_schedule=s["reset_schedule"], at_threshold=s["at_threshold"])
                rows.append({"kind": kind, "network": name, "setting": setting,
                             "identical fraction": a.identical / a.neurons if a.neurons else float("nan"),
                             "max |diff|": a.max_diff if a.neurons else float("nan")})
            done += 1
    return pd.DataFrame(rows, columns=["kind", "network", "setting", "identical fraction", "max |diff|"])
