"""From a trained network to one candidate chip's numbers: the ``deploy`` flow, one typed step each.

Each step takes the previous step's output and returns the next step's input; a step's output
keeps its input (``.previous`` chain), so the last one holds everything a report needs::

    train_network(cfg)                        -> TrainedNetwork   (neurobench.ann, or a NIR file)
    convert_for(trained, name, chip, cfg)     -> Deployed         (neurobench.conversion, pruning)
    simulate_deployed(deployed, cfg)          -> Simulated        (neurobench.sim, Brian2 check)
    place(simulated, cfg)                     -> Placed           (neurobench.mapping: KL + PSO)
    time_and_energy(placed)                   -> Timed            (neurobench.hardware.multicore)
    wear_and_programming(timed)               -> Worn             (endurance / RRAM, programming)
    export_nir(worn, path)                    -> Path             (neurobench.interop.nir)

:func:`deploy_candidate` chains them and, when the partitioner needs more cores than the chip
has, prunes the hidden layer further and tries again (down to ``network.min_hidden``).
:class:`Step` is the extension point: a new candidate kind brings its own steps. The analog
MAC candidate runs the ANN directly (``neurobench.experiments.deploy.mac``: map -> noisy MAC ->
figures); the gated-synapse device brings its own wear and programming step
(``neurobench.experiments.deploy.gated``). :func:`candidate_task` runs one (candidate,
replicate) pair, the unit the stage fans out through ``neurobench.executor``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np

from ...ann import Ann
from ...ann.train import evaluate, load_data, train
from ...conversion.constraints import Analog
from ...conversion.convert import Converter
from ...conversion.evaluation import Readout, brian_agreement, evaluate_network
from ...executor import ExecutorParams
from ...hardware.endurance import PcmEndurance
from ...hardware.mesh import Mesh
from ...hardware.multicore import CoreLoad, CostModel, Schedule, core_load, run_async, run_sync, run_tick, spike_trains
from ...hardware.programming import ProgrammingCost, programming_cost
from ...hardware.workload import Workload
from ...interop.nir import write_nir
from ...mapping.espine import Chip as MappedChip
from ...mapping.espine import Mapping, MappingConfig, chip_tiles, map_workload, prepare
from ...mapping.lifetime import rram_lifetime
from ...metrics.activity import synaptic_operations
from ...network import Network
from ...schema import replace
from ...seeds import child_seed
from ...sim import simulate
from ...sim.static import encode
from .check import ImpossibleCandidate, largest_fitting_hidden
from .chips import AnalogMacChip, GatedSynapseDevice, PcmDevice, RramDevice, SpikingChip
from .gated import gated_programming, retention_ns
from .mac import MacRun, run_mac
from .params import N_CLASSES, N_INPUTS, DeploySection
from .source import ann_of_snn, read_source

__all__ = [
    "CandidateTask", "Deployed", "DoesNotFit", "Placed", "Simulated", "Step", "Timed", "TrainedNetwork", "Worn",
    "candidate_task", "convert_for", "deploy_candidate", "export_nir", "mapping_config", "place", "replicate", "run_policy",
    "simulate_deployed", "time_and_energy", "train_network", "wear_and_programming",
]


class Step(Protocol):
    """One step of the flow: the previous step's output (and the section) to the next step's input."""

    def __call__(self, previous: Any, cfg: DeploySection) -> Any: ...


class DoesNotFit(ValueError):
    """The partitioned network needs more cores than the candidate has."""


def replicate(cfg: DeploySection, r: int) -> DeploySection:
    """The section as replicate ``r`` runs it: ``network.train_seed``, ``network.data_seed`` and
    ``mapping_seed`` replaced by ``child_seed(value, r)``."""
    if not 0 <= r < cfg.n_seeds:
        raise ValueError(f"replicate r = {r} is not allowed: must be in [0, n_seeds = {cfg.n_seeds})")
    net = replace(cfg.network, train_seed=child_seed(cfg.network.train_seed, r),
                  data_seed=child_seed(cfg.network.data_seed, r))
    return replace(cfg, network=net, mapping_seed=child_seed(cfg.mapping_seed, r))


# ------------------------------------------------------------------------------------ 1. network


@dataclass(frozen=True, eq=False)
class TrainedNetwork:
    """The trained ANN and its digits split: x in [0, 1] (n, 1, 8, 8), labels 0..9."""

    ann: Ann
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_accuracy: float


def train_network(cfg: DeploySection) -> TrainedNetwork:
    """Train the MLP ``64 -> network.hidden -> 10`` on the digits (``neurobench.ann.train``,
    seeded by ``network.train_seed``; split by ``network.data_seed``); with ``network.source`` a
    NIR file, its network read as the rate-equivalent ANN instead
    (``neurobench.experiments.deploy.source``; nothing trained)."""
    p = cfg.network
    x_tr, y_tr, x_te, y_te = load_data("digits", seed=p.data_seed)
    if p.source == "train":
        ann = train("mlp", x_tr, y_tr, hidden=(p.hidden,), epochs=p.epochs, seed=p.train_seed,
                    n_classes=N_CLASSES).ann
    else:
        ann = ann_of_snn(read_source(p.source), cfg.input_rate, tuple(x_tr.shape[1:]))
    n = cfg.test_samples or len(y_te)
    return TrainedNetwork(ann, x_tr, y_tr, x_te[:n], y_te[:n], evaluate(ann, x_te[:n], y_te[:n]))


# ------------------------------------------------------------------------------------ 2. conversion


@dataclass(frozen=True, eq=False)
class Deployed:
    """The SNN converted under a candidate's constraints (hidden layer pruned to ``hidden``)."""

    previous: TrainedNetwork
    name: str
    chip: SpikingChip
    network: Network
    readout: Readout
    hidden: int


def convert_for(trained: TrainedNetwork, name: str, chip: SpikingChip, cfg: DeploySection,
                hidden: int | None = None) -> Deployed:
    """Convert the ANN under ``chip.constraints`` with ``chip.neuron`` (``Converter``, serial),
    pruning the hidden layer to ``hidden`` neurons (default: the largest width whose core lower
    bound fits the chip, ``check.largest_fitting_hidden``) with ``prune_method``."""
    full = int(trained.ann.layers[0].weight.shape[0])
    if hidden is None:
        hidden = largest_fitting_hidden(N_INPUTS, full, N_CLASSES, chip, min(cfg.network.min_hidden, full))
        if hidden is None:
            raise ImpossibleCandidate(f"chip {name!r} is impossible: the network does not fit its cores")
    conv = Converter(objective=cfg.objective, constraints=chip.constraints, neuron=chip.neuron, dt=cfg.dt,
                     n_steps=cfg.n_steps, input_rate=cfg.input_rate, max_rate=cfg.max_rate,
                     percentile=cfg.percentile, seed=cfg.mapping_seed, executor=ExecutorParams(kind="local"),
                     prune={0: hidden} if hidden < full else None, prune_method=cfg.prune_method)
    network = conv.fit(trained.ann, trained.x_train[: cfg.calibration_samples])
    return Deployed(trained, name, chip, network, Readout(conv.readout_scale_, conv.readout_offset_), hidden)


# ------------------------------------------------------------------------------------ 3. simulation


@dataclass(frozen=True, eq=False)
class Simulated:
    """Accuracy, agreement and activity of the deployed SNN; the workload of its timing samples."""

    previous: Deployed
    accuracy: float
    agreement: float
    synops: float  # NeuroBench Effective_ACs per inference, on the timing samples
    dense_synops: float  # NeuroBench Dense per inference
    workload: Workload
    brian: dict[str, Any] | None


def simulate_deployed(deployed: Deployed, cfg: DeploySection, brian: bool = False) -> Simulated:
    """Clock-simulate the SNN on the test split (regular rate code, ``n_steps`` steps): accuracy
    and agreement with the ANN (spike-count read-out); record the spike trains of the first
    ``timing_samples`` test samples as the workload of the mapping and the many-core model, with
    their synaptic operations (``neurobench.metrics.activity.synaptic_operations``); with
    ``brian``, compare spike counts with Brian2 on ``brian_samples`` samples."""
    t = deployed.previous
    ev = evaluate_network(deployed.network, deployed.readout, t.ann, t.x_test, t.y_test, n_steps=cfg.n_steps,
                          dt=cfg.dt, input_rate=cfg.input_rate, kinds=("count",))
    x = t.x_test[: cfg.timing_samples]
    spikes = encode(x, cfg.n_steps, cfg.dt, cfg.input_rate)
    record = simulate(deployed.network, spikes, cfg.dt, record_spikes=True)
    workload = Workload.from_network(deployed.network, spike_trains(record, spikes), name=deployed.name)
    ops = synaptic_operations(record, deployed.network)
    check = None
    if brian and cfg.brian_samples:
        check = brian_agreement(deployed.network, t.x_test[: cfg.brian_samples], n_steps=cfg.n_steps, dt=cfg.dt,
                                input_rate=cfg.input_rate)
    return Simulated(deployed, ev["count"]["score"], ev["count"]["agreement"], float(ops["Effective_ACs"]),
                     float(ops["Dense"]), workload, check)


# ------------------------------------------------------------------------------------ 4. placement


@dataclass(frozen=True, eq=False)
class Placed:
    """The partition and placement of the workload on the candidate's mesh."""

    previous: Simulated
    config: MappingConfig
    mapped: MappedChip
    mapping: Mapping
    mesh: Mesh


def mapping_config(chip: SpikingChip, cfg: DeploySection) -> MappingConfig:
    """The mapping's settings for ``chip``: its crossbar, PCM law (PCM devices; the default law
    otherwise, unused), mesh with the hop costs of ``chip.cost``, the section's PSO and seed."""
    law = chip.device.endurance if isinstance(chip.device, PcmDevice) else PcmEndurance()
    noc = replace(chip.noc, hop_pj=chip.cost.hop_pj, hop_ns=chip.cost.hop_ns)
    return MappingConfig(crossbar=chip.crossbar, endurance=law, mesh=noc, pso=cfg.pso, seed=cfg.mapping_seed)


def place(simulated: Simulated, cfg: DeploySection) -> Placed:
    """Partition the unrolled workload into crossbar-sized clusters (KL) and place them on the
    chip's ``noc.rows x noc.cols`` mesh: eSpine (lifetime, energy and latency PSO, endurance-aware
    cells) on PCM, SpiNeMap (traffic-only PSO) otherwise. Raises :class:`DoesNotFit` when the
    clusters outnumber the cores."""
    deployed = simulated.previous
    chip, config = deployed.chip, mapping_config(deployed.chip, cfg)
    mapped = prepare(simulated.workload.graph, config)
    if mapped.kl.n_clusters > chip.n_cores:
        raise DoesNotFit(f"chip {deployed.name!r}: {mapped.kl.n_clusters} clusters of {chip.crossbar.n}x"
                         f"{chip.crossbar.n} for {chip.n_cores} cores (hidden = {deployed.hidden})")
    mesh = Mesh(rows=chip.noc.rows, cols=chip.noc.cols)
    if mapped.mesh != mesh:  # prepare sizes the mesh for the sequential baseline too: keep the chip's
        mapped = MappedChip(mapped.graph, mapped.activation, mesh, mapped.noc, chip_tiles(mesh, config),
                            mapped.kl, mapped.sequential)
    method = "espine" if isinstance(chip.device, PcmDevice) else "spinemap"
    mapping = map_workload(mapped.graph, config, methods=(method,), chip=mapped)[method]
    return Placed(simulated, config, mapped, mapping, mesh)


# ------------------------------------------------------------------------------------ 5. timing


@dataclass(frozen=True, eq=False)
class Timed:
    """The many-core schedule of the placement under the candidate's synchronisation policy."""

    previous: Placed
    load: CoreLoad
    schedule: Schedule
    latency_ns: float  # per inference
    energy_pj: float  # per inference


def run_policy(load: CoreLoad, chip: SpikingChip, cost: CostModel | None = None) -> Schedule:
    """The schedule of ``load`` under ``chip.sync`` (``barrier``: ``run_sync``; ``tick``:
    ``run_tick`` with the default worst-step tick; ``dependency``: ``run_async`` with
    ``chip.buffer_depth``), with ``cost`` (default ``chip.cost``)."""
    cost = chip.cost if cost is None else cost
    if chip.sync == "barrier":
        return run_sync(load, cost)
    if chip.sync == "tick":
        return run_tick(load, cost)
    return run_async(load, cost, chip.buffer_depth)


def time_and_energy(placed: Placed) -> Timed:
    """Replay the timing samples' spike trains on the placement (``core_load``, neuron -> tile of
    the mapping) and schedule them; latency (ns) and energy (pJ) per inference are the run's
    makespan and total energy divided by the samples (run back to back)."""
    sim = placed.previous
    chip = sim.previous.chip
    assignment = placed.mapping.assignment(sim.workload.graph.n_neurons)
    load = core_load(sim.workload, assignment, mesh=placed.mesh)
    schedule = run_policy(load, chip)
    n = sim.workload.n_samples
    return Timed(placed, load, schedule, schedule.makespan_ns / n, schedule.energy.total_pj / n)


# ------------------------------------------------------------------------------------ 6. wear, programming


@dataclass(frozen=True, eq=False)
class Worn:
    """Inference lifetime of the placement on the candidate's device and its programming cost."""

    previous: Timed
    lifetime: float  # inferences before a cell fails (PCM) or must be reprogrammed (RRAM)
    programming: ProgrammingCost


def cells_per_tile(placed: Placed) -> np.ndarray:
    """Programmed cells (synapses with a non-zero weight of the unrolled graph) on every tile."""
    g = placed.mapped.graph
    used = g.weight != 0
    return np.bincount(placed.mapping.cell[used, 0], minlength=placed.mesh.rows * placed.mesh.cols)


def device_lifetime(placed: Placed, device, temperature=None):
    """Inferences before reprogramming: PCM, the mapping's effective lifetime (write endurance
    worn by every presynaptic spike, eSpine); RRAM, the read-disturb lifetime of the clustering
    with endurance-aware cells at ``temperature`` K (default the device's; an array gives one
    lifetime per temperature)."""
    if isinstance(device, RramDevice):
        kl = placed.mapping.clustering
        t = device.temperature if temperature is None else temperature
        return rram_lifetime(placed.mapped.graph, kl.cluster_of, kl.n_clusters, placed.config.crossbar, device.read,
                             t, aware=True)["lifetime"]
    return placed.mapping.lifetime


def wear_and_programming(timed: Timed, cfg: DeploySection | None = None) -> Worn:
    """Lifetime (:func:`device_lifetime`) and the cost of programming every cell once
    (``neurobench.hardware.programming``; differential analog pairs program two cells); a gated
    synapse: its device model's writes (seeded by ``cfg.mapping_seed``) and retention over the
    latency per inference (``neurobench.experiments.deploy.gated``)."""
    placed = timed.previous
    chip = placed.previous.previous.chip
    if isinstance(chip.device, GatedSynapseDevice):
        g = placed.mapped.graph
        used = g.weight != 0
        seed = 0 if cfg is None else cfg.mapping_seed
        cost = gated_programming(g.weight[used], placed.mapping.cell[used, 0], placed.mesh.rows * placed.mesh.cols,
                                 chip.device, seed)
        return Worn(timed, retention_ns(chip.device) / timed.latency_ns, cost)
    pairs = 2 if isinstance(chip.constraints, Analog) and chip.constraints.differential else 1
    cost = programming_cost(cells_per_tile(placed), chip.device.programming, pairs)
    return Worn(timed, float(device_lifetime(placed, chip.device)), cost)


# ------------------------------------------------------------------------------------ 7. export


def export_nir(worn: Worn, path: str | Path, dt: float) -> Path:
    """Write the deployed SNN to the NIR file ``path`` (``neurobench.interop.nir.write_nir``)."""
    deployed = worn.previous.previous.previous.previous
    return write_nir(path, deployed.network, dt)


# ------------------------------------------------------------------------------------ chained


@dataclass(frozen=True, eq=False)
class CandidateRun:
    """The flow's last output for one candidate, with the number of pruning attempts."""

    worn: Worn
    attempts: int = 1
    nir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def timed(self) -> Timed:
        return self.worn.previous

    @property
    def placed(self) -> Placed:
        return self.timed.previous

    @property
    def simulated(self) -> Simulated:
        return self.placed.previous

    @property
    def deployed(self) -> Deployed:
        return self.simulated.previous


def deploy_candidate(trained: TrainedNetwork, name: str, chip: SpikingChip, cfg: DeploySection,
                     brian: bool = False, nir_path: str | Path | None = None, shrink: float = 0.8,
                     convert: Callable[..., Deployed] = convert_for) -> CandidateRun:
    """The whole flow for one candidate; when the partition needs more cores than the chip has,
    prune the hidden layer to ``shrink`` times its width and run again (never below
    ``network.min_hidden``; then :class:`ImpossibleCandidate`)."""
    hidden, attempts, notes = None, 0, []
    while True:
        attempts += 1
        deployed = convert(trained, name, chip, cfg, hidden)
        simulated = simulate_deployed(deployed, cfg, brian=brian)
        try:
            placed = place(simulated, cfg)
            break
        except DoesNotFit as err:
            if deployed.hidden <= cfg.network.min_hidden:
                raise ImpossibleCandidate(f"chip {name!r} is impossible: {err}; min_hidden reached") from None
            hidden = max(cfg.network.min_hidden, int(deployed.hidden * shrink))
            notes.append(f"{err}: pruned to {hidden}")
    worn = wear_and_programming(time_and_energy(placed), cfg)
    path = export_nir(worn, nir_path, cfg.dt) if nir_path is not None else None
    return CandidateRun(worn, attempts, path, notes)


@dataclass(frozen=True, eq=False)
class CandidateTask:
    """One unit of the stage's fan-out: a candidate on a replicate's network."""

    trained: TrainedNetwork
    name: str
    chip: SpikingChip | AnalogMacChip
    cfg: DeploySection  # the replicate's section (``replicate(cfg, r)``)
    r: int
    brian: bool = False


def candidate_task(task: CandidateTask) -> CandidateRun | MacRun:
    """The flow of ``task`` (pure, seeded by the replicate's section: ``neurobench.executor``'s
    contract; writes no file): :func:`deploy_candidate` for a spiking chip, the analog MAC run
    (``mac.run_mac``) for an analog MAC."""
    if isinstance(task.chip, AnalogMacChip):
        return run_mac(task.trained, task.name, task.chip, task.cfg, task.r)
    return deploy_candidate(task.trained, task.name, task.chip, task.cfg, brian=task.brian)
