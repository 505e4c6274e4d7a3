"""The clock simulator against Brian2 on the same networks and inputs: identical spikes.

Every test asserts exact equality of per-neuron spike counts and first-spike steps (not just
within one dt), plus equal synaptic operation counts, and checks that every layer of every
sample spikes so that the comparison means something.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

pytest.importorskip("brian2")
# Brian2 2.9 parses equations with pyparsing's old camelCase API
pytestmark = pytest.mark.filterwarnings("ignore:'parseAll' argument is deprecated:DeprecationWarning")

from neurobench.network import AvgPool2d, Conv2d, Dense, Network, random_network  # noqa: E402
from neurobench.neurons import NeuronParams  # noqa: E402
from neurobench.sim import simulate  # noqa: E402
from neurobench.sim.brian import simulate_brian  # noqa: E402

BATCH, STEPS = 4, 80


def poisson_input(shape, rate=0.2, batch=BATCH, steps=STEPS, seed=0) -> np.ndarray:
    """Bernoulli spikes with probability ``rate`` per step (Poisson-like), (batch, steps, *shape)."""
    return np.random.default_rng(seed).random((batch, steps, *shape)) < rate


def assert_identical(clock, brian) -> None:
    assert brian.backend == "brian2" and clock.n_steps == brian.n_steps
    np.testing.assert_array_equal(clock.input_spike_count, brian.input_spike_count)
    for i, (a, b) in enumerate(zip(clock.layers, brian.layers)):
        assert a.spike_count.dtype == b.spike_count.dtype == np.int64
        assert a.first_spike_step.dtype == b.first_spike_step.dtype == np.int64
        np.testing.assert_array_equal(a.spike_count, b.spike_count, err_msg=f"layer {i} spike counts")
        np.testing.assert_array_equal(a.first_spike_step, b.first_spike_step, err_msg=f"layer {i} first spikes")
        np.testing.assert_array_equal(a.synops, b.synops, err_msg=f"layer {i} synops")


def assert_every_layer_spikes(record, min_per_sample=5) -> None:
    per_layer = record.spikes_per_layer()  # (batch, n_layers)
    assert (per_layer >= min_per_sample).all(), f"some layer is (nearly) silent: {per_layer.tolist()}"


NEURON_CASES = [
    NeuronParams(model=model, reset=reset, t_ref=t_ref, tau_syn=tau_syn, tau_m=10.0)
    for model, reset, t_ref, tau_syn in itertools.product(["if", "lif"], ["zero", "subtract"], [0.0, 2.0], [0.0, 3.0])
]


@pytest.mark.parametrize(
    "neurons", NEURON_CASES, ids=lambda p: f"{p.model}-{p.reset}-ref{p.t_ref:g}-syn{p.tau_syn:g}"
)
def test_conv_network_identical_spikes(neurons):
    # current-based synapses spread each spike's charge over several steps: less gain needed
    gain = 2.0 if neurons.tau_syn == 0 else 1.0
    net = random_network((1, 8, 8), conv_channels=4, kernel_size=3, pool=2, n_classes=10,
                         neurons=neurons, seed=1, weight_gain=gain)
    x = poisson_input((1, 8, 8))
    clock = simulate(net, x)
    assert_every_layer_spikes(clock)
    assert_identical(clock, simulate_brian(net, x))


def test_dense_network_with_biases():
    rng = np.random.default_rng(3)
    sizes = [20, 40, 30, 10]
    layers = [
        Dense(rng.normal(0.0, 1.5 / np.sqrt(n_in), (n_out, n_in)), rng.normal(0.05, 0.05, n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]
    for neurons in (
        NeuronParams(model="if", reset="subtract"),
        NeuronParams(model="lif", reset="zero", tau_m=15.0, t_ref=1.0),
        NeuronParams(model="lif", reset="subtract", tau_m=15.0, t_ref=0.4),  # rounds to 0 refractory steps
    ):
        net = Network((20,), layers, neurons)
        assert all(np.any(net.bias(i) != 0) for i in range(3))
        x = poisson_input((20,), rate=0.15, seed=4)
        clock = simulate(net, x)
        assert_every_layer_spikes(clock)
        assert_identical(clock, simulate_brian(net, x))


def test_strided_conv_mixed_neurons_and_dt():
    """Stride, padding, conv biases, a different neuron model per layer and dt != 1 ms."""
    rng = np.random.default_rng(5)
    conv = Conv2d(rng.normal(0.3, 0.6, (3, 2, 3, 3)), np.array([0.02, 0.0, -0.01]), stride=2, padding=1)
    net = Network(
        (2, 9, 9),
        (conv, AvgPool2d(2, scale=1.5), Dense(rng.normal(0.2, 1.0, (6, 12)), rng.normal(0.02, 0.01, 6))),
        (
            NeuronParams(model="lif", reset="subtract", tau_m=8.0, t_ref=1.5),  # 3 refractory steps of 0.5 ms
            NeuronParams(model="if", reset="zero", tau_syn=2.0),
            NeuronParams(model="lif", reset="subtract", tau_m=5.0, tau_syn=1.0, t_ref=1.0),
        ),
    )
    x = poisson_input((2, 9, 9), rate=0.25, steps=100, seed=6)
    clock = simulate(net, x, dt=0.5)
    assert_every_layer_spikes(clock, min_per_sample=3)
    assert_identical(clock, simulate_brian(net, x, dt=0.5))


def test_membrane_traces_and_spike_trains():
    neurons = NeuronParams(model="lif", reset="subtract", tau_m=10.0, t_ref=2.0, tau_syn=3.0)
    net = random_network((1, 8, 8), 4, 3, 2, 10, neurons, seed=2, weight_gain=1.0)
    x = poisson_input((1, 8, 8), batch=2, steps=40, seed=7)
    clock = simulate(net, x, record_spikes=True, record_v=True)
    brian = simulate_brian(net, x, record_spikes=True, record_v=True)
    assert_every_layer_spikes(clock, min_per_sample=1)
    assert_identical(clock, brian)
    for a, b in zip(clock.layers, brian.layers):
        assert b.spikes.dtype == bool and b.spikes.shape == a.spikes.shape == (2, 40, a.spike_count.shape[1])
        assert b.v.dtype == np.float64 and b.v.shape == a.v.shape
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(b.spikes.sum(axis=1), b.spike_count)
        np.testing.assert_array_equal(a.v, b.v)  # same floats, in mV, bit for bit


# ---- exact decimal ties: the same floats in the same order on both sides --------------------

# Three input neurons. Hidden layer (threshold 1 mV):
#   n0: bias 0.1 mV/ms, no synapses: 0.1 added ten times is 0.9999999999999999 (in mV; in volts it
#       would be 0.0010000000000000002 >= 0.001), so an IF neuron first spikes at step 10, not 9;
#   n1: weights 0.2, 0.7, 0.1 mV from inputs 0, 1, 2. Sample 0 sends all three at step 0:
#       (0.2 + 0.7) + 0.1 = 0.9999999999999999 < 1 (in volts: exactly 0.001, a spike). Sample 1
#       sends input 2 at step 0, inputs 0 and 1 at step 1: 0.1 + (0.2 + 0.7) = 0.9999999999999999
#       again, where adding each weight straight into v gives (0.1 + 0.2) + 0.7 = 1.0, a spike.
#       Input 2 again at step 5 lifts it to 1.0999999999999999: the spike comes at step 6;
#   n2: weights 0.1, 0.2, 0.3 mV (their sum in ascending order is 0.6000000000000001).
TIE_HIDDEN = Dense(np.array([[0.0, 0.0, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.3]]), np.array([0.1, 0.0, 0.0]))
TIE_OUTPUT = Dense(np.array([[0.3, 0.6, 0.1], [0.2, 0.7, 0.1]]), np.array([0.0, 0.1]))


def tie_input(steps: int = 40) -> np.ndarray:
    x = np.zeros((2, steps, 3), dtype=bool)
    x[0, 0, :] = True
    x[1, 0, 2] = x[1, 1, 0] = x[1, 1, 1] = True
    x[:, 5, 2] = True
    x[:, 10::3, 0] = x[:, 12::4, 1] = x[:, 11::5, 2] = True  # then keep every layer busy
    return x


TIE_CASES = [
    NeuronParams(model="if", reset="subtract", v_th=1.0),
    NeuronParams(model="if", reset="zero", v_th=1.0, tau_syn=2.0, t_ref=2.0),
    NeuronParams(model="lif", reset="subtract", v_th=0.6, tau_m=10.0, t_ref=2.0),
    NeuronParams(model="lif", reset="zero", v_th=0.6, tau_m=10.0, tau_syn=2.0),
]


@pytest.mark.parametrize("neurons", TIE_CASES, ids=lambda p: f"{p.model}-syn{p.tau_syn:g}-ref{p.t_ref:g}")
def test_exact_decimal_drives_and_weights_give_identical_spike_trains(neurons):
    net = Network((3,), (TIE_HIDDEN, TIE_OUTPUT), neurons)
    x = tie_input()
    clock = simulate(net, x, record_spikes=True, record_v=True)
    brian = simulate_brian(net, x, record_spikes=True, record_v=True)
    assert_identical(clock, brian)
    for i, (a, b) in enumerate(zip(clock.layers, brian.layers)):
        assert a.spike_count.sum() >= 4, f"layer {i} is (nearly) silent: {a.spike_count.tolist()}"
        np.testing.assert_array_equal(a.spikes, b.spikes, err_msg=f"layer {i}: spike trains")
        np.testing.assert_array_equal(a.v, b.v, err_msg=f"layer {i}: membrane potentials (mV)")
    if neurons.model == "if" and neurons.tau_syn == 0:  # the ties worked out above
        hidden = clock.layers[0]
        np.testing.assert_array_equal(hidden.first_spike_step[:, :2], [[10, 6], [10, 6]])
        assert hidden.v[0, 9, 0] == 0.9999999999999999 and hidden.v[0, 0, 1] == 0.9999999999999999
        assert hidden.v[1, 1, 1] == 0.9999999999999999


def test_synaptic_input_is_summed_from_zero_in_ascending_presynaptic_order():
    """One step of input into 5 IF neurons from 64 presynaptic ones with weights spread over
    twelve orders of magnitude, so that every summation order rounds differently: both simulators
    add the spiking neurons' weights one by one in ascending index, starting from 0.0 (a dense
    BLAS product blocks and vectorises this sum and does not match)."""
    rng = np.random.default_rng(11)
    weight = rng.normal(size=(5, 64)) * 10.0 ** rng.integers(-6, 7, size=(5, 64))
    net = Network((64,), (Dense(weight),), NeuronParams(model="if", v_th=1e30))
    x = rng.random((3, 1, 64)) < 0.5
    expected, descending = np.zeros((3, 5)), np.zeros((3, 5))
    for b, n in itertools.product(range(3), range(5)):
        for k in np.flatnonzero(x[b, 0]):
            expected[b, n] += weight[n, k]
        for k in np.flatnonzero(x[b, 0])[::-1]:
            descending[b, n] += weight[n, k]
    assert np.sum(expected != descending) >= 5  # the order matters for these weights
    clock = simulate(net, x, record_v=True)
    brian = simulate_brian(net, x, record_v=True)
    np.testing.assert_array_equal(clock.output.v[:, 0], expected)
    np.testing.assert_array_equal(brian.output.v[:, 0], expected)


def test_layer_with_all_zero_weights_runs_on_its_bias():
    """A bias-only layer has no synapses at all (Brian2 gets no ``Synapses`` object for it); with
    silent input its IF neurons fire every 1 / (0.25 dt) = 4 steps and every 8 steps."""
    neurons = NeuronParams(model="if", reset="subtract", v_th=1.0, t_ref=1.0)
    net = Network((3,), (Dense(np.zeros((2, 3)), np.array([0.25, 0.125])), Dense(np.array([[0.6, 0.5]]))), neurons)
    x = np.zeros((2, 20, 3))
    clock = simulate(net, x, record_spikes=True)
    brian = simulate_brian(net, x, record_spikes=True)
    assert_identical(clock, brian)
    for a, b in zip(clock.layers, brian.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
    np.testing.assert_array_equal(np.flatnonzero(brian.layers[0].spikes[0, :, 0]), [3, 7, 11, 15, 19])
    np.testing.assert_array_equal(np.flatnonzero(brian.layers[0].spikes[1, :, 1]), [7, 15])
    assert brian.layers[0].synops.tolist() == [0, 0] and brian.layers[1].spike_count.tolist() == [[3], [3]]


def test_rejects_unknown_target_and_bad_input():
    net = Network((3,), (Dense(np.ones((2, 3))),))
    with pytest.raises(ValueError, match="target"):
        simulate_brian(net, np.zeros((1, 5, 3)), target="cuda")
    with pytest.raises(ValueError, match="binary"):
        simulate_brian(net, np.full((1, 5, 3), 2))


@pytest.mark.slow
def test_cython_target_identical_spikes():
    """One small layer: compiling its Cython code objects takes ~30 s the first time (cached later)."""
    from brian2.codegen.runtime.cython_rt import CythonCodeObject

    if not CythonCodeObject.is_available():
        pytest.skip("Brian2's cython target cannot compile here")
    rng = np.random.default_rng(8)
    net = Network((12,), (Dense(rng.normal(0.4, 0.5, (8, 12)), np.full(8, 0.02)),),
                  NeuronParams(model="if", reset="subtract", t_ref=2.0))
    x = poisson_input((12,), rate=0.3, steps=50, seed=9)
    clock = simulate(net, x)
    assert_every_layer_spikes(clock)
    assert_identical(clock, simulate_brian(net, x, target="cython"))
