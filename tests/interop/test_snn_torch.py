"""Our networks in snnTorch through NIR: the delay convention (explicit one-step Delay nodes)
makes snnTorch's zero-delay stack compute our spikes; what snnTorch 1.0.0 does natively."""

from __future__ import annotations

import nir
import numpy as np
import pytest

pytest.importorskip("nirtorch")  # snntorch.import_nir needs it; not a project dependency

from neurobench.interop.nir import NirError, to_nir  # noqa: E402
from neurobench.interop.snn_torch import run_snntorch, snntorch_module, with_delays  # noqa: E402
from neurobench.network import AvgPool2d, Conv2d, Dense, Network  # noqa: E402
from neurobench.neurons import NeuronParams  # noqa: E402
from neurobench.sim import simulate  # noqa: E402

DT = 1.0
IF = NeuronParams(model="if", v_th=1.0, reset="subtract")


def if_conv_net(seed: int = 0) -> Network:
    """A converted-style IF network: conv (biases) -> avg-pool -> dense (biases) -> dense."""
    rng = np.random.default_rng(seed)
    conv = Conv2d(rng.normal(0.4, 0.5, (3, 1, 3, 3)), rng.normal(0.02, 0.02, 3), stride=1, padding=1)
    return Network((1, 6, 6), (conv, AvgPool2d(2), Dense(rng.normal(0.3, 0.6, (5, 27)), rng.normal(0.05, 0.02, 5)),
                               Dense(rng.normal(0.3, 0.5, (3, 5)), rng.normal(0.02, 0.01, 3))), IF)


def ours(net: Network, x: np.ndarray) -> list[np.ndarray]:
    return [layer.spike_count for layer in simulate(net, x, DT).layers]


def spikes(shape, n_steps=40, seed=1) -> np.ndarray:
    return (np.random.default_rng(seed).random((4, n_steps) + shape) < 0.3).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1])
def test_matched_snntorch_with_explicit_delays_gives_our_spike_counts(seed):
    net = if_conv_net(seed)
    x = spikes(net.input_shape, seed=seed + 1)
    expected = ours(net, x)
    assert sum(int(c.sum()) for c in expected[1:]) > 50  # every layer is active
    theirs = run_snntorch(snntorch_module(with_delays(to_nir(net, DT))), x)
    assert len(theirs) == len(expected)
    for a, b in zip(expected, theirs):
        np.testing.assert_array_equal(a, b)
    # without the Delay nodes snnTorch's zero-delay stack runs ahead: deeper layers spike more
    zero_delay = run_snntorch(snntorch_module(to_nir(net, DT)), x)
    assert sum(int(np.abs(a - b).sum()) for a, b in zip(expected, zero_delay)) > 0
    assert all(int(b.sum()) >= int(a.sum()) for a, b in zip(expected[1:], zero_delay[1:]))


def test_with_delays_puts_one_step_in_front_of_every_layer():
    net = if_conv_net()
    graph = with_delays(to_nir(net, 0.5))
    delays = [k for k, v in graph.nodes.items() if isinstance(v, nir.Delay)]
    assert delays == ["input.delay", "layer0.neuron.delay", "layer1.neuron.delay", "layer2.neuron.delay"]
    assert all(np.all(graph.nodes[k].delay == 0.5) for k in delays)
    assert graph.metadata["synaptic_delay_steps"] == 0 and graph.metadata["delays"] == "explicit"
    assert ("input", "input.delay") in graph.edges and ("input.delay", "layer0.synapse") in graph.edges
    with pytest.raises(NirError, match="already has Delay nodes"):
        with_delays(graph)


def test_threshold_ties_spike_here_and_not_in_snntorchs_heaviside():
    # two input spikes of weight 0.5 make v exactly 1.0 = v_th: we spike (v >= v_th), snnTorch's
    # Heaviside needs mem > threshold.
    net = Network((2,), (Dense(np.full((1, 2), 0.5)),), IF)
    x = np.zeros((1, 4, 2), dtype=np.uint8)
    x[0, 0] = 1
    graph = with_delays(to_nir(net, DT))
    assert ours(net, x)[0].tolist() == [[1]]
    assert run_snntorch(snntorch_module(graph), x)[0].tolist() == [[1]]
    assert run_snntorch(snntorch_module(graph, at_threshold=False), x)[0].tolist() == [[0]]


def test_snntorch_native_import_cannot_run_an_if_network():
    # snnTorch 1.0.0 maps IF to Leaky(beta=0.9, init_hidden=False), whose (spk, mem) tuple the
    # next layer cannot take under nirtorch 2.6.
    net = if_conv_net()
    module = snntorch_module(to_nir(net, DT), mode="native")
    with pytest.raises(TypeError, match="must be Tensor, not tuple"):
        run_snntorch(module, spikes(net.input_shape, n_steps=2))


def test_bad_modes_and_delays_raise_one_clear_error():
    graph = to_nir(if_conv_net(), DT)
    with pytest.raises(ValueError, match="mode = 'exact' must be one of"):
        snntorch_module(graph, mode="exact")
    with pytest.raises(ValueError, match="reset_schedule = 'brian' must be one of"):
        snntorch_module(graph, reset_schedule="brian")
    half = with_delays(graph, dt=0.5)
    with pytest.raises(NirError, match="input.delay: delay \\[0.5\\] ms must be a uniform whole number >= 1 of steps"):
        snntorch_module(half, dt=1.0)
    lif_current = Network((2,), (Dense(np.ones((1, 2))),), NeuronParams(model="lif", tau_syn=5.0))
    with pytest.raises(NirError, match="layer0.neuron: CubaLIF has no matched snnTorch neuron"):
        snntorch_module(to_nir(lif_current, DT))
    with pytest.raises(NirError, match="no metadata 'dt'"):
        with_delays(nir.NIRGraph(nodes=dict(graph.nodes), edges=list(graph.edges), metadata={}, type_check=False))


LIF_ZERO = NeuronParams(model="lif", v_th=1.0, reset="zero", tau_m=10.0)


def test_reset_to_zero_drops_the_input_of_the_spike_step_here_and_snntorch_keeps_it():
    # One LIF neuron, weight 1.2 > v_th: the input spike of step 0 makes it spike at step 1, and
    # the input spike of step 1 arrives in that spike step. Our schedule (Brian2's: synapses, then
    # reset) drops it: one spike. snn.Leaky resets first and keeps it: a second spike at step 2.
    net = Network((1,), (Dense(np.full((1, 1), 1.2)),), LIF_ZERO)
    x = np.zeros((1, 6, 1), dtype=np.uint8)
    x[0, :2] = 1
    assert simulate(net, x, DT, record_spikes=True).layers[0].spikes[0, :, 0].astype(int).tolist() == [0, 1, 0, 0, 0, 0]
    graph = with_delays(to_nir(net, DT))
    assert run_snntorch(snntorch_module(graph, reset_schedule="snntorch"), x)[0].tolist() == [[2]]
    assert run_snntorch(snntorch_module(graph, reset_schedule="ours"), x)[0].tolist() == [[1]]


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("dt", [1.0, 0.5])
def test_matched_snntorch_with_our_reset_schedule_gives_our_lif_spike_counts(reset, dt):
    net = if_conv_net(0)
    net = Network(net.input_shape, net.layers, NeuronParams(model="lif", v_th=1.0, reset=reset, tau_m=10.0))
    x = spikes(net.input_shape, seed=1)
    expected = [layer.spike_count for layer in simulate(net, x, dt).layers]
    assert all(int(c.sum()) > 50 for c in expected)
    graph = with_delays(to_nir(net, dt))
    for a, b in zip(expected, run_snntorch(snntorch_module(graph), x)):
        np.testing.assert_array_equal(a, b)
    # snn.Leaky's own reset rules differ (reset to zero keeps the spike step's input; reset by
    # subtraction subtracts after the leak)
    theirs = run_snntorch(snntorch_module(graph, reset_schedule="snntorch"), x)
    assert sum(int(np.abs(a - b).sum()) for a, b in zip(expected, theirs)) > 0


def test_matched_snntorch_runs_sum_pooling_with_a_scale():
    # AvgPool2d(2, scale=1.5) exports as SumPool2d -> Scale (the converted baselines' pooling)
    rng = np.random.default_rng(3)
    conv = Conv2d(rng.normal(0.4, 0.5, (2, 1, 3, 3)), rng.normal(0.02, 0.02, 2), stride=1, padding=1)
    net = Network((1, 6, 6), (conv, AvgPool2d(2, 1.5), Dense(rng.normal(0.3, 0.6, (3, 18)), np.zeros(3))), IF)
    assert any(isinstance(n, nir.SumPool2d) for n in to_nir(net, DT).nodes.values())
    x = spikes(net.input_shape, seed=4)
    expected = ours(net, x)
    assert int(expected[1].sum()) > 20
    for a, b in zip(expected, run_snntorch(snntorch_module(with_delays(to_nir(net, DT))), x)):
        np.testing.assert_array_equal(a, b)


def snntorch_net(reset: str, beta: float = 0.9, seed: int = 0, threshold: float = 1.0):
    """A bias-free snnTorch MLP 12 -> 10 -> 4 of snn.Leaky (per-neuron beta and threshold tensors:
    snnTorch 1.0.0's export_to_nir fails NIR's type inference on scalars) and its NIR export."""
    import snntorch as snn
    import torch
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(seed)
    layers = []
    for n_in, n_out in ((12, 10), (10, 4)):
        linear = torch.nn.Linear(n_in, n_out, bias=False)
        with torch.no_grad():
            linear.weight.mul_(2.0).add_(0.3)
        layers += [linear, snn.Leaky(beta=torch.full((n_out,), beta), threshold=torch.full((n_out,), threshold),
                                     init_hidden=True, reset_mechanism=reset)]
    net = torch.nn.Sequential(*layers)
    graph = export_to_nir(net, torch.zeros(12))
    for m in net.modules():
        if isinstance(m, snn.SpikingNeuron):
            m.reset_mem()  # the export ran a forward pass
    return net, graph


def test_snntorch_export_reads_as_the_discrete_network_snntorch_runs():
    import snntorch as snn

    from neurobench.interop.nir import from_nir
    from neurobench.sim.coefficients import StepCoefficients

    net, graph = snntorch_net("zero", beta=0.8, threshold=1e6)  # never spikes: compare potentials
    x = spikes((12,), n_steps=20, seed=2)
    mems = []
    net[1].register_forward_hook(lambda m, i, o: mems.append(m.mem.detach().double().numpy().copy()))
    run_snntorch(net, x)
    theirs = np.stack(mems, axis=1)
    ours = from_nir(graph, convention="snntorch")
    assert ours.neurons[0].tau_m == pytest.approx(-1.0 / np.log(0.8))
    record = simulate(ours, x, DT, record_v=True)
    coef = StepCoefficients.for_neuron(ours.neurons[0], DT)
    # our potential before the threshold of step t + 1 is snnTorch's mem of step t (float32 there)
    np.testing.assert_allclose(coef.a_v * record.layers[0].v, theirs, atol=1e-5)
    assert np.abs(theirs).max() > 1.0
    # read as continuous-time NIR, an input spike is an impulse of gain r / tau = 1e4
    plain = from_nir(graph, dt=DT)
    np.testing.assert_allclose(plain.layers[0].weight, 1e4 * ours.layers[0].weight * 0.8, rtol=1e-5)
    assert isinstance(net[1], snn.Leaky)
    with pytest.raises(NirError, match="convention = 'torch' must be one of"):
        from_nir(graph, convention="torch")
    with pytest.raises(NirError, match="reset = 'none' must be None"):
        from_nir(graph, convention="snntorch", reset="none")


@pytest.mark.parametrize("reset", ["zero", "subtract"])
def test_snntorch_exported_network_in_our_simulator_and_brian2(reset):
    from neurobench.interop.nir import from_nir
    from neurobench.sim.brian import simulate_brian

    net, graph = snntorch_net(reset)
    ours = from_nir(graph, convention="snntorch", reset=reset)
    n_steps, n_layers = 40, 2
    # Input on even steps only: a neuron (no bias) spikes only in a step with input, so no input
    # ever arrives right after a spike, where the reset schedules differ.
    x = spikes((12,), n_steps=n_steps, seed=3)
    x[:, 1::2] = 0
    padded = np.concatenate([x, np.zeros((x.shape[0], n_layers, 12), np.uint8)], axis=1)
    clock = simulate(ours, padded, DT, record_spikes=True)
    brian = simulate_brian(ours, padded, DT, record_spikes=True)
    for a, b in zip(clock.layers, brian.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
    theirs = run_snntorch(net, x, spike_trains=True)
    # layer l runs l + 1 steps behind snnTorch's zero-delay stack (one step per layer)
    lagged = [layer.spikes[:, i + 1:i + 1 + n_steps] for i, layer in enumerate(clock.layers)]
    assert all(int(t.sum()) > 20 for t in theirs)
    if reset == "zero":  # exact: the only other difference is the reset schedule, never hit here
        for a, b in zip(lagged, theirs):
            np.testing.assert_array_equal(a, b)
    else:  # we subtract the threshold before the leak (beta * threshold), snnTorch after it: more spikes here
        assert all(int(a.sum()) > int(b.sum()) for a, b in zip(lagged, theirs))
    # on every step's input, reset to zero differs too (snnTorch keeps the input after a spike)
    x = spikes((12,), n_steps=n_steps, seed=3)
    net, _ = snntorch_net(reset)
    theirs = run_snntorch(net, x)
    padded = np.concatenate([x, np.zeros((x.shape[0], n_layers, 12), np.uint8)], axis=1)
    here = [layer.spike_count for layer in simulate(ours, padded, DT).layers]
    assert sum(int(np.abs(a - b).sum()) for a, b in zip(here, theirs)) > 0
