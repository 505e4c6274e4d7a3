"""NIR export and import: write -> read -> simulate gives identical spikes; errors name the node."""

from __future__ import annotations

import nir
import numpy as np
import pytest

from neurobench.ann import Ann
from neurobench.interop.nir import NirError, from_nir, read_nir, to_nir, write_nir
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian

DT = 1.0
NEURONS = {
    "if_subtract": NeuronParams(model="if", v_th=1.0, reset="subtract"),
    "if_zero_refractory": NeuronParams(model="if", v_th=0.8, reset="zero", t_ref=2.0),
    "lif_delta": NeuronParams(model="lif", v_th=1.0, reset="subtract", tau_m=15.0),
    "lif_current": NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=20.0, tau_syn=5.0),
}


def conv_net(neuron: NeuronParams, seed: int = 0, pool_scale: float = 1.0) -> Network:
    rng = np.random.default_rng(seed)
    conv = Conv2d(rng.normal(0.4, 0.5, (3, 1, 3, 3)), rng.normal(0.02, 0.02, 3), stride=1, padding=1)
    pool = AvgPool2d(2, scale=pool_scale)
    dense = Dense(rng.normal(0.3, 0.6, (5, 3 * 3 * 3)), rng.normal(0.01, 0.01, 5))
    return Network((1, 6, 6), (conv, pool, dense), neuron)


def spikes(network: Network, n_steps: int = 40, seed: int = 1) -> np.ndarray:
    return (np.random.default_rng(seed).random((3, n_steps) + network.input_shape) < 0.3).astype(np.uint8)


def spike_counts(network: Network, x: np.ndarray, backend=simulate) -> list[np.ndarray]:
    return [layer.spike_count for layer in backend(network, x, DT).layers]


@pytest.mark.parametrize("pool_scale", [1.0, 1.7])
@pytest.mark.parametrize("name", list(NEURONS))
def test_write_read_round_trip_gives_identical_spikes(tmp_path, name, pool_scale):
    net = conv_net(NEURONS[name], pool_scale=pool_scale)
    path = write_nir(tmp_path / "net.nir", net, DT)
    back = read_nir(path)
    assert back.neurons == net.neurons
    x = spikes(net)
    for ours, theirs in zip(spike_counts(net, x), spike_counts(back, x)):
        np.testing.assert_array_equal(ours, theirs)
    assert sum(int(c.sum()) for c in spike_counts(net, x)) > 20  # the network is active


def test_export_records_what_nir_leaves_open():
    graph = to_nir(conv_net(NEURONS["lif_current"]), 0.5)
    assert graph.metadata == {"dt": 0.5, "time_unit": "ms", "voltage_unit": "mV", "discretization": "exact",
                              "synaptic_delay_steps": 1, "producer": "neurobench"}
    kinds = {k: type(v).__name__ for k, v in graph.nodes.items()}
    assert kinds == {"input": "Input", "layer0.synapse": "Conv2d", "layer0.neuron": "CubaLIF",
                     "layer1.synapse": "AvgPool2d", "layer1.neuron": "CubaLIF", "layer2.flatten": "Flatten",
                     "layer2.synapse": "Linear", "layer2.neuron": "CubaLIF", "output": "Output"}
    neuron = graph.nodes["layer0.neuron"]
    assert neuron.metadata == {"reset": "zero", "t_ref": 0.0, "dt": 0.5}
    # the bias drives the membrane: v_leak = bias * tau_mem, and the synapse carries none
    np.testing.assert_allclose(neuron.v_leak[:, 0, 0], conv_net(NEURONS["lif_current"]).layers[0].bias * 20.0)
    assert not np.any(graph.nodes["layer0.synapse"].bias)
    graph.check_types()  # shapes are consistent for NIR's own checker


def test_imported_graph_runs_identically_in_brian2():
    # NIR -> Brian2, a path NIR itself does not offer: our importer, then our Brian2 backend.
    net = from_nir(to_nir(conv_net(NEURONS["lif_delta"], seed=3), DT))
    x = spikes(net, n_steps=25)
    for a, b in zip(spike_counts(net, x), spike_counts(net, x, simulate_brian)):
        np.testing.assert_array_equal(a, b)


def test_import_folds_r_tau_and_w_in_into_the_weights():
    # A hand-written graph in another tool's conventions: LIF with r = 2 tau_m and v_leak,
    # CubaLIF with w_in = 3: the weights absorb r/tau and (r/tau_mem)(w_in/tau_syn).
    w = np.array([[0.5, -0.25]])
    lif = nir.NIRGraph.from_list(nir.Input(input_type={"input": np.array([2])}),
                                 nir.Affine(weight=w, bias=np.array([0.1])),
                                 nir.LIF(tau=np.array([10.0]), r=np.array([20.0]), v_leak=np.array([0.3]),
                                         v_threshold=np.array([1.0]), v_reset=np.array([0.0])))
    net = from_nir(lif, dt=1.0)
    np.testing.assert_allclose(net.layers[0].weight, 2 * w)
    np.testing.assert_allclose(net.layers[0].bias, [0.1 * 2 + 0.3 / 10])
    assert net.neurons[0] == NeuronParams(model="lif", tau_m=10.0, reset="zero")
    cuba = nir.NIRGraph.from_list(nir.Input(input_type={"input": np.array([2])}), nir.Linear(weight=w),
                                  nir.CubaLIF(tau_syn=np.array([4.0]), tau_mem=np.array([10.0]), r=np.array([10.0]),
                                              v_leak=np.array([0.0]), v_threshold=np.array([1.0]),
                                              w_in=np.array([3.0])))
    np.testing.assert_allclose(from_nir(cuba, dt=1.0).layers[0].weight, w * 3.0 / 4.0)


def dense_graph(**changes):
    nodes = {"input": nir.Input(input_type={"input": np.array([2])}),
             "fc": nir.Affine(weight=np.ones((3, 2)), bias=np.zeros(3)),
             "if": nir.IF(r=np.ones(3), v_threshold=np.ones(3)),
             "output": nir.Output(output_type={"output": np.array([3])})}
    edges = [("input", "fc"), ("fc", "if"), ("if", "output")]
    nodes.update(changes.pop("nodes", {}))
    edges = changes.pop("edges", edges)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=changes.pop("metadata", {"dt": 1.0}), type_check=False)


@pytest.mark.parametrize("graph, match", [
    (dense_graph(nodes={"if": nir.Threshold(threshold=np.ones(3))}), "if: Threshold nodes are not supported"),
    (dense_graph(edges=[("input", "fc"), ("fc", "if"), ("if", "fc"), ("if", "output")]), "node 'if' has 2 successors"),
    (dense_graph(edges=[("input", "fc"), ("fc", "if"), ("if", "fc")]), "cyclic at node 'fc'"),
    (dense_graph(nodes={"fc": nir.Affine(weight=np.ones((3, 4)), bias=np.zeros(3))}), "fc: weight shape \\(3, 4\\)"),
    (dense_graph(nodes={"output": nir.Output(output_type={"output": np.array([4])})}), "output: output shape \\(4,\\)"),
    (dense_graph(metadata={}), "no metadata 'dt'"),
    (dense_graph(nodes={"if": nir.IF(r=np.array([1.0, 2.0, 1.0]), v_threshold=np.ones(3))}), "if: r must be the same"),
    (dense_graph(nodes={"if": nir.IF(r=np.ones(3), v_threshold=np.ones(3), v_reset=np.full(3, 0.5))}), "if: v_reset must be 0"),
])
def test_bad_graphs_raise_one_error_naming_the_node(graph, match):
    with pytest.raises(NirError, match=match):
        from_nir(graph)


def test_dt_mismatch_unwritable_neurons_and_unreadable_files(tmp_path):
    with pytest.raises(NirError, match="dt = 2.0 ms differs from the graph's metadata dt = 1.0 ms"):
        from_nir(dense_graph(), dt=2.0)
    if_current = Network((2,), (Dense(np.ones((1, 2))),), NeuronParams(model="if", tau_syn=5.0))
    with pytest.raises(NirError, match="layer0.neuron: an IF neuron with current-based synapses"):
        to_nir(if_current, DT)
    with pytest.raises(NirError, match="dt = 0 must be a time step > 0"):
        to_nir(conv_net(NEURONS["if_subtract"]), 0)
    # an ANN (the analog stage's MAC network) has no NIR equivalent: one error, naming the layer
    ann = Ann((2,), (Dense(np.ones((3, 2))), Dense(np.ones((1, 3)))), ("relu", "linear"))
    with pytest.raises(NirError, match=r"layer0.activation: an ANN \(relu\) has no NIR primitive"):
        to_nir(ann, DT)
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(NirError, match="bad.nir: not a readable NIR file"):
        read_nir(bad)


def test_snntorch_convention_bad_graphs_raise_one_error_naming_the_node():
    with pytest.raises(NirError, match="if: the snntorch convention reads LIF nodes \\(snn.Leaky\\) only, not IF"):
        from_nir(dense_graph(), convention="snntorch")
    lif = nir.LIF(tau=np.full(3, 1e-4), r=np.ones(3), v_leak=np.zeros(3), v_threshold=np.ones(3))
    with pytest.raises(NirError, match="if: tau = 0.0001 gives beta = 1 - 0.0001 / tau = 0.0, outside \\(0, 1\\)"):
        from_nir(dense_graph(nodes={"if": lif}), convention="snntorch")
    leak = nir.LIF(tau=np.full(3, 1e-3), r=np.full(3, 10.0), v_leak=np.full(3, 0.5), v_threshold=np.ones(3))
    with pytest.raises(NirError, match="if: v_leak must be 0 in the snntorch convention"):
        from_nir(dense_graph(nodes={"if": leak}), convention="snntorch")
    ok = nir.LIF(tau=np.full(3, 1e-3), r=np.full(3, 10.0), v_leak=np.zeros(3), v_threshold=np.ones(3))
    net = from_nir(dense_graph(nodes={"if": ok}, metadata={}), convention="snntorch")  # no dt: one step = 1 ms
    assert net.neurons[0].tau_m == pytest.approx(-1.0 / np.log(0.9))
    np.testing.assert_allclose(net.layers[0].weight, np.ones((3, 2)) / 0.9)
