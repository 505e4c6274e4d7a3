"""Per-synapse integer delays (``Dense.delay``) in the clock simulator and Brian2: identical
spikes and potentials, bit for bit, and the delays' closed-form effect."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("brian2")
pytestmark = pytest.mark.filterwarnings("ignore:'parseAll' argument is deprecated:DeprecationWarning")

from neurobench.network import Dense, Network  # noqa: E402
from neurobench.neurons import NeuronParams  # noqa: E402
from neurobench.sim import simulate  # noqa: E402
from neurobench.sim.brian import simulate_brian  # noqa: E402


def _delay_network(neurons: NeuronParams, seed: int = 0, d_max: int = 6) -> Network:
    rng = np.random.default_rng(seed)
    # decimal weights (0.1, 0.2, ...) whose float sums depend on their order
    w1 = np.round(rng.normal(0.25, 0.2, (12, 10)), 1)
    w2 = np.round(rng.normal(0.25, 0.2, (5, 12)), 1)
    d1 = rng.integers(0, d_max + 1, w1.shape)
    d2 = rng.integers(0, d_max + 1, w2.shape)
    return Network((10,), (Dense(w1, delay=d1), Dense(w2, delay=d2)), neurons)


@pytest.mark.parametrize("neurons", [NeuronParams(model="lif", reset="zero", tau_m=5.0, v_th=0.3),
                                     NeuronParams(model="if", reset="subtract", v_th=1.0, t_ref=2.0),
                                     NeuronParams(model="lif", tau_m=10.0, tau_syn=3.0, v_th=0.5)],
                         ids=["lif-zero", "if-subtract-ref", "lif-current"])
def test_clock_and_brian_identical_with_delays(neurons):
    net = _delay_network(neurons)
    x = np.random.default_rng(1).random((3, 40, 10)) < 0.3
    clock = simulate(net, x, record_spikes=True, record_v=True)
    brian = simulate_brian(net, x, record_spikes=True, record_v=True)
    for a, b in zip(clock.layers, brian.layers):
        np.testing.assert_array_equal(a.spikes, b.spikes)
        np.testing.assert_array_equal(a.v, b.v)  # bit-identical potentials, not merely close
        np.testing.assert_array_equal(a.synops, b.synops)
    assert (clock.spikes_per_layer() >= 3).all()
    # the delays matter: the same weights without them give other spikes
    plain = Network(net.input_shape, tuple(Dense(layer.weight) for layer in net.layers), neurons)
    assert not np.array_equal(simulate(plain, x, record_spikes=True).layers[1].spikes, clock.layers[1].spikes)


def test_a_delay_shifts_the_response_by_that_many_steps():
    neurons = NeuronParams(model="if", reset="zero", v_th=1.0)
    x = np.zeros((1, 12, 1))
    x[0, 2, 0] = 1
    for d in (0, 1, 4):
        net = Network((1,), (Dense([[1.0]], delay=[[d]]),), neurons)
        for rec in (simulate(net, x, record_spikes=True), simulate_brian(net, x, record_spikes=True)):
            # input at step 2 reaches v at phase 3 of step 2 + d; threshold at step 3 + d
            assert np.flatnonzero(rec.layers[0].spikes[0, :, 0]).tolist() == [3 + d]


def test_zero_delays_equal_no_delays_and_bad_delays_are_refused():
    net = _delay_network(NeuronParams(model="lif", reset="zero", tau_m=5.0, v_th=0.3))
    zero = Network((10,), tuple(Dense(layer.weight, delay=np.zeros_like(layer.delay)) for layer in net.layers),
                   net.neurons)
    plain = Network((10,), tuple(Dense(layer.weight) for layer in net.layers), net.neurons)
    x = np.random.default_rng(2).random((2, 30, 10)) < 0.3
    a, b = simulate(zero, x, record_v=True), simulate(plain, x, record_v=True)
    for la, lb in zip(a.layers, b.layers):
        np.testing.assert_array_equal(la.v, lb.v)
    assert net.has_delays and not plain.has_delays
    with pytest.raises(ValueError, match="Dense.delay must hold integers >= 0"):
        Dense(np.ones((2, 2)), delay=np.array([[0, -1], [0, 0]]))
    with pytest.raises(ValueError, match="Dense.delay must hold integers"):
        Dense(np.ones((2, 2)), delay=np.full((2, 2), 1.5))
    with pytest.raises(ValueError, match="shape"):
        Dense(np.ones((2, 2)), delay=np.zeros((2, 3), dtype=int))


def test_delays_survive_a_file_round_trip_and_other_engines_refuse_them(tmp_path):
    from neurobench.interop.nir import read_nir, write_nir
    from neurobench.serialize import load_network, save_network
    from neurobench.sim.asynchronous import simulate_async

    net = _delay_network(NeuronParams(model="lif", reset="zero", tau_m=5.0, v_th=0.3))
    back = load_network(save_network(tmp_path / "net.npz", net))
    for a, b in zip(net.layers, back.layers):
        np.testing.assert_array_equal(a.delay, b.delay)
    plain = Network((10,), (Dense(np.ones((2, 10))),), net.neurons[0])
    assert load_network(save_network(tmp_path / "plain.npz", plain)).layers[0].delay is None
    via_nir = read_nir(write_nir(tmp_path / "net.nir", net, 1.0))  # NIR Delay branches (tests/interop/test_nir_delays.py)
    for a, b in zip(net.layers, via_nir.layers):
        used = a.weight != 0
        np.testing.assert_array_equal(a.delay[used], b.delay[used])
    with pytest.raises(ValueError, match="delays"):
        simulate_async(net, np.zeros((1, 3, 10)))
