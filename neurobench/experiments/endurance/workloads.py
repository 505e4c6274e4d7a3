"""Workloads of the endurance stage: the generated shapes and the workbench's own simulated SNNs."""

from __future__ import annotations

import numpy as np

from ...ann.train import train_default
from ...conversion import normalize as norm
from ...data.encoders import poisson
from ...hardware.workload import Workload
from ...mapping.workloads import workload_from_network
from ...network import RandomNetworkParams
from ...neurons import NeuronParams
from ...seeds import spawn_seeds
from ...sim import simulate, static
from ..common import random_test_network

__all__ = ["simulated_digits"]


def simulated_digits(samples: int = 32, n_steps: int = 100, dt: float = 1.0, max_rate: float = 200.0,
                     epochs: int = 60, seed: int = 0) -> list[Workload]:
    """The workbench's own SNNs on the digits test set, with spike counts from ``neurobench.sim``.

    * ``snn_random_cnn``: the simulator stage's default network (conv 4@3x3 -> avg-pool 2 ->
      dense 10, random He weights x 1.5, LIF neurons), Poisson inputs;
    * ``snn_mlp``, ``snn_cnn``: the ANNs of ``neurobench.ann`` (``train_default``, ``epochs``)
      converted by data-based normalisation (``neurobench.conversion.normalize``), regular
      rate-coded inputs. Counts are per sample (mean over ``samples`` test images).

    The Poisson inputs use a seed spawned from ``seed`` (``neurobench.seeds.spawn_seeds``).
    """
    (input_seed,) = spawn_seeds(seed, 1)

    out = []
    for kind in ("mlp", "cnn"):
        ann, (x_train, _, x_test, _) = train_default(kind, seed=seed, epochs=epochs)
        x_train = np.asarray(x_train).reshape(len(x_train), *ann.input_shape)
        x_test = np.asarray(x_test).reshape(len(x_test), *ann.input_shape)[:samples]
        net = norm.normalize(ann, x_train, max_rate=max_rate, dt=dt)
        record = static.run(net, x_test, n_steps=n_steps, dt=dt, max_rate=max_rate)
        out.append(workload_from_network(net, record, name=f"snn_{kind}", topology=f"converted {kind.upper()}"))
    images = np.asarray(x_test).reshape(len(x_test), 1, 8, 8) if x_test[0].size == 64 else None
    if images is not None:
        net = random_test_network(images.shape[1:], NeuronParams(model="lif"), RandomNetworkParams(weight_seed=seed))
        record = simulate(net, poisson(images, n_steps, dt, max_rate, input_seed), dt)
        out.insert(0, workload_from_network(net, record, name="snn_random_cnn", topology="random conv-pool-dense"))
    return out
