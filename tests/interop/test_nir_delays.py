"""Synaptic delays through NIR: a ``Dense`` layer with per-synapse delays is written as parallel
``Delay -> Affine/Linear`` branches into its neuron node and read back exactly; write -> read ->
clock simulator (and Brian2) gives identical spikes; malformed delay graphs raise one error
naming the node."""

from __future__ import annotations

import json

import nir
import numpy as np
import pytest
import torch

from neurobench.interop.nir import DELAY_MEANING, NirError, from_nir, read_nir, to_nir, write_nir
from neurobench.interop.snn_torch import with_delays
from neurobench.models.delay_export import clock_logits, to_network
from neurobench.models.delays import DelayNet, DelayNetParams, DelayParams, LIFDelayParams
from neurobench.network import Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate

NEURONS = {
    "if_zero": NeuronParams(model="if", v_th=1.0, reset="zero"),
    "if_subtract": NeuronParams(model="if", v_th=0.9, reset="subtract"),
    "lif_zero": NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=12.0),
    "lif_subtract_current": NeuronParams(model="lif", v_th=1.0, reset="subtract", tau_m=15.0, tau_syn=4.0),
}
USED = np.array([0, 1, 3, 5])  # delays 2 and 4 of 0..5 unused


def delayed(rng, n_out: int, n_in: int) -> Dense:
    weight = rng.normal(0.35, 0.6, (n_out, n_in))
    weight[rng.random(weight.shape) < 0.25] = 0.0
    delay = rng.choice(USED, size=weight.shape)
    delay[weight == 0] = 2  # a delay on a zero weight is no synapse: not written
    return Dense(weight, rng.normal(0.02, 0.02, n_out), delay=delay)


def delay_net(neuron: NeuronParams, seed: int, conv: bool = False) -> Network:
    """Three or four layers: delays, no delays (plain Dense), delays; optionally a Conv2d first."""
    rng = np.random.default_rng(seed)
    front = (Conv2d(rng.normal(0.4, 0.5, (2, 1, 3, 3)), rng.normal(0.02, 0.02, 2), stride=1, padding=1),) \
        if conv else ()
    n_in = 2 * 4 * 4 if conv else 8
    layers = front + (delayed(rng, 10, n_in), Dense(rng.normal(0.3, 0.6, (7, 10)), rng.normal(0.01, 0.01, 7)),
                      delayed(rng, 4, 7))
    return Network((1, 4, 4) if conv else (8,), layers, neuron)


def run(network: Network, x: np.ndarray, dt: float):
    return simulate(network, x, dt, record_spikes=True, record_v=True)


@pytest.mark.parametrize("conv", [False, True])
@pytest.mark.parametrize("name", list(NEURONS))
def test_delay_network_round_trip_gives_identical_weights_delays_and_spikes(tmp_path, name, conv):
    net = delay_net(NEURONS[name], seed=len(name), conv=conv)
    dt = 0.5 if conv else 1.0
    back = read_nir(write_nir(tmp_path / "delays.nir", net, dt))
    assert back.neurons == net.neurons
    for ours, theirs in zip(net.layers, back.layers):
        assert type(ours) is type(theirs)
        np.testing.assert_array_equal(ours.weight, theirs.weight)
        if net.neurons[0].tau_syn > 0:  # the bias travels as CubaLIF's v_leak = b tau_m: rounding of b tau_m / tau_m
            np.testing.assert_allclose(ours.bias, theirs.bias, rtol=1e-15, atol=0)
        else:
            np.testing.assert_array_equal(ours.bias, theirs.bias)
        if isinstance(ours, Dense):
            assert (theirs.delay is None) == (ours.delay is None)
            if ours.delay is not None:
                np.testing.assert_array_equal(theirs.delay[ours.weight != 0], ours.delay[ours.weight != 0])
    x = (np.random.default_rng(7).random((3, 40) + net.input_shape) < 0.3).astype(np.uint8)
    a, b = run(net, x, dt), run(back, x, dt)
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.spikes, lb.spikes)
        if net.neurons[0].tau_syn > 0:  # that bias differs in its last bit: potentials to rounding
            np.testing.assert_allclose(la.v, lb.v, rtol=1e-12, atol=1e-15)
        else:
            np.testing.assert_array_equal(la.v, lb.v)
    assert all(int(layer.spikes.sum()) > 5 for layer in a.layers)  # every layer is active
    # the delays matter: the same weights without them spike differently
    plain = Network(net.input_shape, tuple(Dense(la.weight, la.bias) if isinstance(la, Dense) else la
                                           for la in net.layers), net.neurons)
    assert any(not np.array_equal(la.spikes, lp.spikes) for la, lp in zip(a.layers, run(plain, x, dt).layers))


def test_export_writes_one_branch_per_used_delay():
    net = delay_net(NEURONS["lif_zero"], seed=3)
    graph = to_nir(net, 0.5)
    assert graph.metadata["delay_nodes"] == DELAY_MEANING and graph.metadata["synaptic_delay_steps"] == 1
    for i in (0, 2):
        layer = net.layers[i]
        used = np.unique(layer.delay[layer.weight != 0])
        assert used.tolist() == USED.tolist()
        assert sorted(k for k in graph.nodes if k.startswith(f"layer{i}.delay")) == [f"layer{i}.delay{d}" for d in used]
        for d in used:
            delay, synapse = graph.nodes[f"layer{i}.delay{d}"], graph.nodes[f"layer{i}.synapse{d}"]
            np.testing.assert_array_equal(delay.delay, np.full(layer.weight.shape[1], 0.5 * d))
            np.testing.assert_array_equal(synapse.weight, np.where(layer.delay == d, layer.weight, 0.0))
            assert (f"layer{i}.delay{d}", f"layer{i}.synapse{d}") in graph.edges
            assert (f"layer{i}.synapse{d}", f"layer{i}.neuron") in graph.edges
        kinds = [type(graph.nodes[f"layer{i}.synapse{d}"]).__name__ for d in used]
        assert kinds == ["Affine"] + ["Linear"] * (len(used) - 1)  # the bias on exactly one branch
        np.testing.assert_array_equal(graph.nodes[f"layer{i}.synapse0"].bias, layer.bias)
    # the delay-free layer keeps the chain names of networks without delays
    assert {"layer1.synapse", "layer1.neuron"} <= set(graph.nodes) and "layer1.delay0" not in graph.nodes
    assert "delay_nodes" not in to_nir(Network((8,), (Dense(np.ones((3, 8))),), NEURONS["if_zero"]), 1.0).metadata


def test_explicit_delay_graphs_of_with_delays_read_as_our_network():
    """``with_delays`` writes the one-step convention shift as Delay(dt) with
    ``synaptic_delay_steps`` 0: read back it is no synaptic delay; a longer Delay there is."""
    net = delay_net(NEURONS["if_subtract"], seed=1)
    plain = Network(net.input_shape, tuple(Dense(la.weight, la.bias) for la in net.layers), net.neurons)
    graph = with_delays(to_nir(plain, 1.0))
    back = from_nir(graph)
    assert all(layer.delay is None for layer in back.layers)
    x = (np.random.default_rng(2).random((2, 30, 8)) < 0.3).astype(np.uint8)
    for la, lb in zip(run(plain, x, 1.0).layers, run(back, x, 1.0).layers):
        np.testing.assert_array_equal(la.spikes, lb.spikes)
    nodes = dict(graph.nodes)
    nodes["layer0.neuron.delay"] = nir.Delay(delay=np.full(10, 3.0))  # 3 steps in a zero-delay graph: 2 extra
    longer = from_nir(nir.NIRGraph(nodes=nodes, edges=graph.edges, metadata=graph.metadata, type_check=False))
    np.testing.assert_array_equal(longer.layers[1].delay, np.where(plain.layers[1].weight != 0, 2, 0))
    assert longer.layers[0].delay is None and longer.layers[2].delay is None
    # read as our convention (one step implicit), the same Delay(dt) nodes are one extra step each
    ours = from_nir(nir.NIRGraph(nodes=dict(graph.nodes), edges=graph.edges,
                                 metadata={**graph.metadata, "synaptic_delay_steps": 1}, type_check=False))
    assert all(np.array_equal(layer.delay, np.where(layer.weight != 0, 1, 0)) for layer in ours.layers)


def _delay_net_k1() -> DelayNet:
    p = DelayNetParams(hidden=[12], delay=DelayParams(max_delay=6, stride=1), delay_on="io",
                       neurons=LIFDelayParams(tau_m=3.0, threshold=0.3), gain=4.0)
    net = DelayNet(10, 4, p, torch.Generator().manual_seed(3), dtype=torch.float64)
    net.pool_(1, "synaptic")
    return net


def test_trained_delay_network_round_trip_in_the_clock_simulator_and_brian2(tmp_path):
    network = to_network(_delay_net_k1())
    assert network.has_delays and len(np.unique(network.layers[0].delay)) > 2
    back = read_nir(write_nir(tmp_path / "delaynet.nir", network, 1.0))
    x = (np.random.default_rng(0).random((3, 20, 10)) < 0.3).astype(np.uint8)
    logits, rec = clock_logits(network, x)
    b_logits, b_rec = clock_logits(back, x)
    assert rec.layers[0].spike_count.sum() > 10
    for a, b in zip(rec.layers, b_rec.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(logits, b_logits)
    pytest.importorskip("brian2")
    from neurobench.sim.brian import simulate_brian

    br_logits, br_rec = clock_logits(back, x, simulate_brian)
    for a, b in zip(b_rec.layers, br_rec.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.v, b.v)
    np.testing.assert_array_equal(b_logits, br_logits)


def _branches(**changes) -> nir.NIRGraph:
    """input (3) -> [delay0 -> fc0, delay2 -> fc2] -> lif (2) -> output, dt = 1 ms."""
    w0, w2 = np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 0.2]]), np.array([[0.0, 0.7, 0.0], [0.3, 0.4, 0.0]])
    nodes = {"input": nir.Input(input_type={"input": np.array([3])}),
             "delay0": nir.Delay(delay=np.zeros(3)), "fc0": nir.Affine(weight=w0, bias=np.full(2, 0.1)),
             "delay2": nir.Delay(delay=np.full(3, 2.0)), "fc2": nir.Linear(weight=w2),
             "lif": nir.LIF(tau=np.full(2, 10.0), r=np.full(2, 10.0), v_leak=np.zeros(2), v_threshold=np.ones(2)),
             "output": nir.Output(output_type={"output": np.array([2])})}
    edges = [("input", "delay0"), ("delay0", "fc0"), ("input", "delay2"), ("delay2", "fc2"), ("fc0", "lif"),
             ("fc2", "lif"), ("lif", "output")]
    nodes.update(changes.pop("nodes", {}))
    nodes.pop(changes.pop("drop", None), None)
    edges = changes.pop("edges", edges)
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=changes.pop("metadata", {"dt": 1.0}), type_check=False)


def test_hand_written_branches_read_as_one_dense_layer():
    net = from_nir(_branches())
    layer = net.layers[0]
    np.testing.assert_array_equal(layer.weight, [[1.0, 0.7, 0.5], [0.3, 0.4, 0.2]])
    np.testing.assert_array_equal(layer.delay, [[0, 2, 0], [2, 2, 0]])
    np.testing.assert_array_equal(layer.bias, [0.1, 0.1])
    # per-input delays in one Delay node and a branch without a Delay node (delay 0) read too
    per_input = from_nir(_branches(nodes={"delay2": nir.Delay(delay=np.array([1.0, 3.0, 4.0]))}, drop="delay0",
                                   edges=[("input", "fc0"), ("input", "delay2"), ("delay2", "fc2"), ("fc0", "lif"),
                                          ("fc2", "lif"), ("lif", "output")]))
    np.testing.assert_array_equal(per_input.layers[0].delay, [[0, 3, 0], [1, 3, 0]])
    # a Delay shared by all branches (before the fan-out) adds to each branch's
    shared = from_nir(_branches(nodes={"delay0": nir.Delay(delay=np.ones(3))},
                                edges=[("input", "delay0"), ("delay0", "fc0"), ("delay0", "delay2"), ("delay2", "fc2"),
                                       ("fc0", "lif"), ("fc2", "lif"), ("lif", "output")]))
    np.testing.assert_array_equal(shared.layers[0].delay, [[1, 3, 1], [3, 3, 1]])


@pytest.mark.parametrize("changes, match", [
    (dict(nodes={"delay2": nir.Delay(delay=np.full(3, 1.5))}), "delay2: delay 1.5 ms is not a whole number >= 0 of "
                                                               "steps of dt = 1.0 ms"),
    (dict(nodes={"delay2": nir.Delay(delay=np.full(3, -1.0))}), "delay2: delay -1.0 ms is not a whole number"),
    (dict(nodes={"fc2": nir.Linear(weight=np.array([[0.0, 0.7, 0.5], [0.3, 0.4, 0.0]]))}),
     "fc2: the synapse from input 2 to neuron 0 of lif is also in branch fc0: parallel branches must not overlap"),
    (dict(edges=[("input", "delay0"), ("delay0", "fc0"), ("input", "fc2"), ("fc2", "delay2"), ("fc0", "lif"),
                 ("delay2", "lif"), ("lif", "output")]), "delay2: a Delay after the synapse nodes \\['fc2'\\]"),
    (dict(nodes={"delay2": nir.Delay(delay=np.full(4, 2.0))}), "delay2: 4 delays for the layer's 3 inputs"),
    (dict(metadata={"dt": 1.0, "synaptic_delay_steps": 2}), "synaptic_delay_steps = 2 must be 0"),
    (dict(metadata={"dt": 1.0, "synaptic_delay_steps": 0}), "delay0: delay of 0 steps before the synapses"),
    (dict(nodes={"fc2": nir.Conv2d(input_shape=(1, 3), weight=np.ones((1, 1, 1, 1)), stride=1, padding=0,
                                   dilation=1, groups=1, bias=np.zeros(1))}),
     "fc2: a branch into lif holds \\['Conv2d'\\]"),
    (dict(nodes={"output": nir.Output(output_type={"output": np.array([3])})}), "output: output shape \\(3,\\)"),
])
def test_bad_delay_graphs_raise_one_error_naming_the_node(changes, match):
    with pytest.raises(NirError, match=match):
        from_nir(_branches(**changes))


def test_a_delay_before_a_convolution_or_after_the_last_neuron_is_refused():
    conv = Network((1, 4, 4), (Conv2d(np.ones((1, 1, 3, 3)), np.zeros(1), padding=1),), NEURONS["if_zero"])
    graph = to_nir(conv, 1.0)
    nodes = {**graph.nodes, "shift": nir.Delay(delay=np.full((1, 4, 4), 2.0))}
    edges = [("input", "shift"), ("shift", "layer0.synapse")] + [e for e in graph.edges if e[0] != "input"]
    with pytest.raises(NirError, match="shift: a delay of 2 steps before a Conv2d layer: only Dense"):
        from_nir(nir.NIRGraph(nodes=nodes, edges=edges, metadata=graph.metadata, type_check=False))
    zero = {**nodes, "shift": nir.Delay(delay=np.zeros((1, 4, 4)))}  # a zero delay is no delay
    assert isinstance(from_nir(nir.NIRGraph(nodes=zero, edges=edges, metadata=graph.metadata,
                                            type_check=False)).layers[0], Conv2d)
    tail = {**graph.nodes, "late": nir.Delay(delay=np.ones(16))}
    edges = [e for e in graph.edges if e[1] != "output"] + [("layer0.neuron", "late"), ("late", "output")]
    with pytest.raises(NirError, match="late"):
        from_nir(nir.NIRGraph(nodes=tail, edges=edges, metadata=graph.metadata, type_check=False))


def test_delays_stage_writes_its_k1_network_to_nir(built_reports):
    """The small built ``delays`` report: replicate 0's k = 1 network as NIR, read back with
    its delays, identical in the clock simulator (``nir_round_trip``), metrics numbers only."""
    from neurobench.experiments.delays.stages import NIR_FILE

    built_reports.stage("delays")
    out = built_reports.reports / "delays"
    m = json.loads((out / "metrics.json").read_text())
    assert m["nir_identical"] == 1.0 and m["nir_spike_mismatches"] == 0.0
    back = read_nir(out / NIR_FILE)
    assert back.has_delays and m["nir_delay_nodes"] >= 2 and m["nir_max_delay_steps"] >= 1
    graph = nir.read(str(out / NIR_FILE))
    assert m["nir_nodes"] == len(graph.nodes) and m["nir_bytes"] == (out / NIR_FILE).stat().st_size
    assert m["nir_delay_nodes"] == sum(isinstance(n, nir.Delay) for n in graph.nodes.values())
