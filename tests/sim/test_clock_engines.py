"""The compiled clock engine against the numpy reference: bit-identical float64 runs (spike
trains, potentials, counts, first spikes) on random networks with threshold ties, conv/pool
layers, sparse dense layers and every neuron model; the float32 mode's agreement; the options'
validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from neurobench.network import AvgPool2d, Conv2d, Dense, Network, random_network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.clock import ClockOptions

NEURONS = [
    NeuronParams(model=m, reset=r, v_th=1.0, tau_m=10.0, t_ref=ref, tau_syn=syn)
    for m, r, ref, syn in itertools.product(["if", "lif"], ["zero", "subtract"], [0.0, 2.0], [0.0, 3.0])
]


def assert_same(a, b):
    for i, (la, lb) in enumerate(zip(a.layers, b.layers)):
        np.testing.assert_array_equal(la.spike_count, lb.spike_count, err_msg=f"layer {i}: counts")
        np.testing.assert_array_equal(la.first_spike_step, lb.first_spike_step, err_msg=f"layer {i}: first spikes")
        np.testing.assert_array_equal(la.synops, lb.synops, err_msg=f"layer {i}: synops")
        if la.spikes is not None:
            np.testing.assert_array_equal(la.spikes, lb.spikes, err_msg=f"layer {i}: spike trains")
        if la.v is not None:
            np.testing.assert_array_equal(la.v, lb.v, err_msg=f"layer {i}: potentials (mV)")


def tie_network(neurons: NeuronParams, seed: int = 0) -> Network:
    """Decimal weights (multiples of 0.1 mV) and biases: many potentials land on 1 mV or on
    0.9999999999999999 mV depending on the order of the sums."""
    rng = np.random.default_rng(seed)
    layers = [Dense(rng.integers(-2, 5, size=(n_out, n_in)) * 0.1, rng.integers(0, 3, size=n_out) * 0.05)
              for n_in, n_out in [(12, 24), (24, 16), (16, 5)]]
    return Network((12,), layers, neurons)


@pytest.mark.parametrize("neurons", NEURONS, ids=lambda p: f"{p.model}-{p.reset}-ref{p.t_ref:g}-syn{p.tau_syn:g}")
def test_compiled_engine_is_bit_identical_on_every_neuron_model(neurons):
    net = tie_network(neurons)
    x = np.random.default_rng(1).random((3, 40, 12)) < 0.4
    ref = simulate(net, x, record_spikes=True, record_v=True, engine="numpy")
    new = simulate(net, x, record_spikes=True, record_v=True, engine="compiled")
    assert ref.spikes_per_layer().sum() > 100  # the layers fire
    assert_same(ref, new)


def test_ties_at_threshold_follow_the_ascending_sum():
    """Ten inputs of 0.1 mV in one step sum to 0.9999999999999999 mV in ascending order (no
    spike at 1 mV); a reordered or pairwise sum gives 1.0 (a spike). 0.1 + 0.2 + 0.3 reaches
    0.6000000000000001 and crosses 0.6 only in that order."""
    w = np.array([[0.1] * 10, [0.1, 0.2, 0.3] + [0.0] * 7])
    neurons = NeuronParams(model="if", v_th=1.0, reset="subtract")
    net = Network((10,), (Dense(w),), neurons)
    x = np.ones((2, 1, 10))
    for engine in ("numpy", "compiled"):
        rec = simulate(net, x, record_v=True, engine=engine)
        assert rec.output.v[0, 0, 0] == 0.9999999999999999
        assert rec.output.v[0, 0, 1] == 0.6000000000000001
        assert rec.output.spike_count.sum() == 0


def test_compiled_engine_ties_over_many_steps_and_samples():
    net = tie_network(NeuronParams(model="if", reset="subtract", v_th=1.0), seed=3)
    x = np.random.default_rng(4).random((16, 60, 12)) < 0.5
    ref = simulate(net, x, record_v=True, engine="numpy")
    v = ref.layers[0].v
    assert np.sum(np.abs(v - 1.0) < 1e-12) > 10  # potentials at or within rounding of the threshold
    assert_same(ref, simulate(net, x, record_v=True))


@pytest.mark.parametrize("neurons", [NEURONS[0], NEURONS[7], NEURONS[13]],
                         ids=["if-zero", "if-subtract-ref-syn", "lif-subtract-ref"])
def test_conv_pool_network_is_bit_identical(neurons):
    net = random_network((2, 8, 8), conv_channels=3, kernel_size=3, pool=2, n_classes=4, neurons=neurons, seed=2,
                         weight_gain=2.0)
    x = np.random.default_rng(5).random((3, 30, 2, 8, 8)) < 0.3
    ref = simulate(net, x, record_spikes=True, record_v=True, engine="numpy")
    assert ref.layers[0].spike_count.sum() > 50
    assert_same(ref, simulate(net, x, record_spikes=True, record_v=True))


def test_strided_conv_and_sparse_dense_are_bit_identical():
    rng = np.random.default_rng(6)
    sparse = rng.normal(0.3, 0.5, (10, 2 * 5 * 5)) * (rng.random((10, 50)) < 0.05)  # 5 % density: per-synapse lists
    net = Network((1, 9, 9), (Conv2d(rng.normal(0.4, 0.5, (2, 1, 3, 3)), stride=2, padding=1), AvgPool2d(1, 1.5),
                              Dense(sparse)), NeuronParams(model="if", reset="zero", v_th=0.8))
    x = rng.random((4, 25, 1, 9, 9)) < 0.4
    ref = simulate(net, x, record_v=True, engine="numpy")
    assert ref.output.spike_count.sum() > 0
    assert_same(ref, simulate(net, x, record_v=True))


def test_float32_agrees_on_almost_every_spike_count():
    rng = np.random.default_rng(7)
    layers = [Dense(rng.normal(0.5 / n_in, 1.0 / np.sqrt(n_in), (n_out, n_in))) for n_in, n_out in [(32, 64), (64, 10)]]
    net = Network((32,), layers, NeuronParams(model="if", reset="subtract"))
    x = rng.random((8, 100, 32)) < 0.2
    ref = simulate(net, x)
    f32 = simulate(net, x, dtype="float32", record_v=True)
    assert f32.output.v.dtype == np.float32
    agree = np.mean(np.concatenate([(a.spike_count == b.spike_count).ravel() for a, b in zip(ref.layers, f32.layers)]))
    assert agree >= 0.98
    total = [a.spike_count.sum() for a in ref.layers]
    np.testing.assert_allclose([b.spike_count.sum() for b in f32.layers], total, rtol=0.01)


def test_auto_engine_runs_delays_on_numpy():
    rng = np.random.default_rng(8)
    net = Network((4,), (Dense(rng.normal(0.5, 0.3, (3, 4)), delay=rng.integers(0, 3, (3, 4))),),
                  NeuronParams(model="if"))
    x = rng.random((2, 20, 4)) < 0.5
    assert_same(simulate(net, x, engine="numpy"), simulate(net, x))
    with pytest.raises(ValueError, match="engine = 'compiled'.*synaptic delays"):
        simulate(net, x, engine="compiled")
    with pytest.raises(ValueError, match="dtype = 'float32'.*synaptic delays"):
        simulate(net, x, dtype="float32")


@pytest.mark.parametrize("kwargs, match", [
    ({"dtype": "float16"}, r"dtype[\s\S]*'float64' or 'float32'[\s\S]*float16"),
    ({"engine": "gpu"}, r"engine[\s\S]*'auto', 'compiled' or 'numpy'[\s\S]*gpu"),
    ({"engine": "numpy", "dtype": "float32"}, "dtype = 'float32' is not allowed with engine = 'numpy'"),
])
def test_options_are_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ClockOptions(**kwargs)
    net = Network((1,), (Dense(np.ones((1, 1))),))
    with pytest.raises(ValueError, match=match):
        simulate(net, np.ones((1, 2, 1)), **kwargs)
