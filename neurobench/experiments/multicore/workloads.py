"""The ``multicore`` stage's five SNN workloads and the seeds of one replicate.

The paper's five workloads are not named in its abstract (``docs/papers/multicore.md`` §3);
these are **our reconstructions**, one per common class of SNN workload, all run by the clock
simulator (``neurobench.sim.simulate``) on the same Poisson-coded digits test images:

=========== ================================================================== ==============
name        network                                                            stands in for
=========== ================================================================== ==============
conv        random-weight conv 3x3 -> avg-pool -> dense 10 (LIF; ``network``)  a small CNN
mlp         digits MLP 64 -> ``mlp_hidden`` -> 10, trained, converted (IF)     an MLP
deep mlp    digits MLP 64 -> ``deep_hidden`` ... -> 10, trained, converted     a deeper/wider MLP
cnn         digits CNN conv -> avg-pool -> dense ``cnn_hidden`` -> 10,         a trained CNN
            trained, converted (IF)
sparse      random sparse 64 -> ``sparse_sizes`` ... -> 10, connection          a sparse / randomly
            probability ``sparse_density`` (LIF)                               connected network
=========== ================================================================== ==============

Replicate ``r`` (0 <= r < ``n_seeds``) derives every seed from the section's seed fields with
``child_seed(field, r)``: the test images and the Poisson spikes (``input_seed``, two spawned
streams), the random partition (``partition_seed``), the training of the three trained networks
(``mlp_seed``) and the random weights of ``conv`` and ``sparse`` (``network.weight_seed``, two
spawned streams).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ...ann.train import evaluate, train_ann
from ...conversion.normalize import normalize
from ...data.encoders import poisson
from ...hardware.multicore import spike_trains
from ...hardware.workload import Workload
from ...network import Dense, Network
from ...neurons import NeuronParams
from ...seeds import child_seed, spawn_seeds
from ...sim import simulate
from ..common import random_test_network
from .params import MulticoreSection

__all__ = ["WORKLOADS", "Digits", "ReplicateSeeds", "batch_indices", "input_batch", "networks", "record_workloads",
           "replicate_seeds", "sparse_network", "workloads_table"]

WORKLOADS = ("conv", "mlp", "deep mlp", "cnn", "sparse")
"""The five workloads, in report order."""

STANDS_IN_FOR = {"conv": "a small CNN (random weights)", "mlp": "an MLP", "deep mlp": "a deeper, wider MLP",
                 "cnn": "a trained CNN", "sparse": "a sparse, randomly connected network"}
"""Which class of the paper's (unnamed) workloads each of ours stands in for."""


@dataclass(frozen=True)
class Digits:
    """The digits split: images (n, 1, 8, 8) in [0, 1] and labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


@dataclass(frozen=True)
class ReplicateSeeds:
    """Every seed of replicate ``replicate`` (see the module docstring)."""

    replicate: int
    sample: int
    encoder: int
    partition: int
    training: int
    conv_weights: int
    sparse_weights: int


def replicate_seeds(cfg: MulticoreSection, r: int) -> ReplicateSeeds:
    """The seeds of replicate ``r``, each ``child_seed(field, r)`` of a section seed field."""
    sample, encoder = spawn_seeds(child_seed(cfg.input_seed, r), 2)
    conv, sparse = spawn_seeds(child_seed(cfg.network.weight_seed, r), 2)
    return ReplicateSeeds(r, sample, encoder, child_seed(cfg.partition_seed, r), child_seed(cfg.mlp_seed, r),
                          conv, sparse)


def batch_indices(cfg: MulticoreSection, data: Digits, seeds: ReplicateSeeds) -> np.ndarray:
    """The test indices of :func:`input_batch`'s images: ``batch_size`` drawn without
    replacement (``seeds.sample``), sorted."""
    rng = np.random.default_rng(seeds.sample)
    n = min(cfg.batch_size, len(data.x_test))
    return np.sort(rng.choice(len(data.x_test), size=n, replace=False))


def input_batch(cfg: MulticoreSection, data: Digits, seeds: ReplicateSeeds) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` test images drawn without replacement (``seeds.sample``, :func:`batch_indices`)
    and their Poisson spikes (batch, n_steps, 1, 8, 8) at ``max_rate`` Hz (``seeds.encoder``)."""
    images = data.x_test[batch_indices(cfg, data, seeds)]
    return images, poisson(images, cfg.n_steps, cfg.dt, cfg.max_rate, seeds.encoder)


def sparse_network(input_shape: Sequence[int], sizes: Sequence[int], n_classes: int, density: float,
                   neuron: NeuronParams, seed: int, gain: float = 1.0) -> Network:
    """Dense layers ``input -> sizes ... -> n_classes`` where each synapse exists with
    probability ``density``; weights normal with standard deviation ``gain * sqrt(2 / (density
    * n_in))`` mV (He scaling by the expected fan-in)."""
    rng = np.random.default_rng(seed)
    n_in = int(np.prod(input_shape))
    layers = []
    for n_out in (*sizes, n_classes):
        w = rng.normal(0.0, gain * np.sqrt(2.0 / (density * n_in)), (n_out, n_in))
        layers.append(Dense(w * (rng.random((n_out, n_in)) < density)))
        n_in = n_out
    return Network(tuple(input_shape), tuple(layers), neuron)


def networks(cfg: MulticoreSection, data: Digits, seeds: ReplicateSeeds) -> tuple[dict[str, Network], dict[str, float]]:
    """The five networks of one replicate (``WORKLOADS`` order) and the ANN test accuracy of
    the three trained ones."""
    shape = data.x_train.shape[1:]
    net = cfg.network.model_copy(update={"weight_seed": seeds.conv_weights})
    anns = {
        "mlp": train_ann("mlp", data.x_train, data.y_train, hidden=cfg.mlp_hidden, epochs=cfg.mlp_epochs,
                         seed=seeds.training),
        "deep mlp": train_ann("mlp", data.x_train, data.y_train, hidden=tuple(cfg.deep_hidden),
                              epochs=cfg.mlp_epochs, seed=seeds.training),
        "cnn": train_ann("cnn", data.x_train, data.y_train, hidden=cfg.cnn_hidden, channels=cfg.cnn_channels,
                         epochs=cfg.mlp_epochs, seed=seeds.training),
    }
    converted = {k: normalize(a, data.x_train, max_rate=cfg.max_rate, dt=cfg.dt) for k, a in anns.items()}
    nets = {
        "conv": random_test_network(shape, cfg.neuron, net),
        "mlp": converted["mlp"], "deep mlp": converted["deep mlp"], "cnn": converted["cnn"],
        "sparse": sparse_network(shape, cfg.sparse_sizes, 10, cfg.sparse_density, cfg.neuron, seeds.sparse_weights,
                                 cfg.network.weight_gain),
    }
    return nets, {k: evaluate(a, data.x_test, data.y_test) for k, a in anns.items()}


def record_workloads(nets: Mapping[str, Network], input_spikes, dt: float,
                     records: dict | None = None) -> dict[str, Workload]:
    """Simulate every network on ``input_spikes`` (batch, n_steps, ...) with a time step of ``dt``
    ms (``neurobench.sim.simulate``) and keep its spike trains as a :class:`Workload`
    (``records``: a dict that receives each network's ``SimRecord`` too)."""
    out = {}
    for name, net in nets.items():
        rec = simulate(net, input_spikes, dt, record_spikes=True)
        out[name] = Workload.from_network(net, spike_trains(rec, input_spikes), name=name)
        if records is not None:
            records[name] = rec
    return out


def workloads_table(workloads: Mapping[str, Workload], accuracy: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Populations, synapses, non-input spikes per step, steps on the chip, the class of
    workload each stands in for, and the ANN accuracy of the trained ones."""
    rows = []
    for name, w in workloads.items():
        sizes = np.bincount(w.graph.population)
        steps = w.n_samples * w.steps_per_sample
        rows.append({"workload": name, "stands in for": STANDS_IN_FOR.get(name, ""),
                     "populations": " -> ".join(map(str, sizes)), "synapses": w.graph.n_synapses,
                     "spikes per step": float(w.trains[:, :, w.graph.population > 0].sum() / steps),
                     "steps on chip": steps,
                     "ANN test accuracy": float((accuracy or {}).get(name, float("nan")))})
    return pd.DataFrame(rows)
