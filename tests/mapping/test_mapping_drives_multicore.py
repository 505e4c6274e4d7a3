"""A mapping computed by ``neurobench.mapping`` drives the many-core timing model end to end."""

from __future__ import annotations

import numpy as np

from neurobench.data.encoders import poisson
from neurobench.hardware.crossbar import CrossbarParams
from neurobench.hardware.multicore import CostModel, compare, core_load, deliveries, spike_trains
from neurobench.hardware.workload import Workload
from neurobench.mapping.espine import MappingConfig, map_workload, prepare
from neurobench.mapping.placement import PsoParams
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate


def test_espine_mapping_drives_the_many_core_model():
    rng = np.random.default_rng(0)
    net = Network((20,), (Dense(rng.normal(0.3, 0.3, (24, 20))), Dense(rng.normal(0.3, 0.3, (6, 24)))),
                  NeuronParams(model="if"))
    x = rng.random((2, 20))
    inputs = poisson(x, 12, 1.0, 300.0, seed=1)
    rec = simulate(net, inputs, 1.0, record_spikes=True)
    workload = Workload.from_network(net, spike_trains(rec, inputs), name="tiny")
    # crossbar 16 < fan-in 20 and 24: unroll adds partial-sum neurons after the workload's own
    config = MappingConfig(crossbar=CrossbarParams(n=16), pso=PsoParams(particles=4, iterations=3), refine_iters=2)
    chip = prepare(workload.graph, config)
    assert chip.graph.n_neurons > workload.graph.n_neurons
    mapping = map_workload(workload.graph, config, methods=("spinemap", "espine"), chip=chip)["espine"]
    assignment = mapping.assignment(workload.graph.n_neurons)
    n = workload.graph.n_neurons
    np.testing.assert_array_equal(assignment.core_of, mapping.tile_of[mapping.clustering.cluster_of[:n]])
    assert assignment.n_cores == chip.mesh.size
    load = core_load(workload, assignment, mesh=chip.mesh)
    # every spike of step t reaches its targets at step t + 1 (except a sample's last step)
    spikes = workload.trains[:, :-1].sum(axis=(0, 1))
    fan_out = np.bincount(workload.graph.pre, minlength=n)
    assert load.events.sum() == spikes @ fan_out
    cmp = compare(load, CostModel())
    assert cmp.speedup >= 1.0
    for schedule in (cmp.sync, cmp.asynchronous):
        got = deliveries(load, schedule)
        assert got.late == 0
        np.testing.assert_array_equal(got.events, load.events)
