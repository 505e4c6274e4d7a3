"""NeuroBench 2.3.0 definitions (``convention="neurobench"``) on two tiny IF nets, every number
computed by hand from NeuroBench's code on the equivalent snnTorch model (zero-delay stack,
``mem > v_th``, reset applied the step after a spike), and the delay alignment of our records.

``benchmarks/neurobench_crosscheck.py`` checks the same definitions against NeuroBench itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from neurobench import metrics
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate

IF = NeuronParams(model="if", v_th=1.0, reset="subtract")

# --------------------------------------------------------------------------------------------
# A 4-3-2 dense IF net, no biases, batch 2, T = 3. Sample 1 is silent.
#   W0 rows: h0 <- 1.5 x0; h1 <- 0.625 (x0 + x1); h2 has no synapse   (9 of 12 weights zero)
#   W1 rows: o0 <- 1.5 h0; o1 <- 0.75 h1                               (4 of 6 weights zero)
# sample 0 input: t0 {x0, x1}, t1 {x1}, t2 {x0}
# snnTorch's mem (reset of step t-1's spike applied at t) and spikes (mem > 1):
#   hidden: t0 [1.5, 1.25, 0] -> spikes h0 h1; t1 [0.5, 0.875, 0]; t2 [2.0, 1.5, 0] -> h0 h1
#   output: t0 [1.5, 0.75]    -> spike o0;     t1 [0.5, 0.75];     t2 [2.0, 1.5]  -> o0 o1
# --------------------------------------------------------------------------------------------

T_DENSE = 3
W0 = np.array([[1.5, 0, 0, 0], [0.625, 0.625, 0, 0], [0, 0, 0, 0]])
W1 = np.array([[1.5, 0, 0], [0, 0.75, 0]])
HIDDEN_MEM = np.array([[1.5, 1.25, 0], [0.5, 0.875, 0], [2.0, 1.5, 0]])
OUTPUT_MEM = np.array([[1.5, 0.75], [0.5, 0.75], [2.0, 1.5]])
HIDDEN_SPIKES = np.array([[1, 1, 0], [0, 0, 0], [1, 1, 0]], dtype=bool)
OUTPUT_SPIKES = np.array([[1, 0], [0, 0], [1, 1]], dtype=bool)
LABELS = np.array([0, 0])


def dense_net() -> Network:
    return Network((4,), (Dense(W0), Dense(W1)), IF)


def dense_input() -> np.ndarray:
    x = np.zeros((2, T_DENSE, 4))
    x[0, 0, [0, 1]] = 1
    x[0, 1, 1] = 1
    x[0, 2, 0] = 1
    return x


@pytest.fixture(scope="module")
def dense_run():
    net = dense_net()
    padded = simulate(net, metrics.pad_input(dense_input(), 2), record_spikes=True, record_v=True)
    return net, metrics.zero_delay_record(padded, net, T_DENSE)


def test_zero_delay_record_reproduces_snntorch_spikes_and_mem(dense_run):
    _, rec = dense_run
    hidden, output = rec.layers
    assert rec.n_steps == T_DENSE
    np.testing.assert_array_equal(hidden.spikes[0], HIDDEN_SPIKES)
    np.testing.assert_array_equal(output.spikes[0], OUTPUT_SPIKES)
    np.testing.assert_array_equal(hidden.v[0], HIDDEN_MEM)
    np.testing.assert_array_equal(output.v[0], OUTPUT_MEM)
    assert not hidden.spikes[1].any() and not output.spikes[1].any()
    np.testing.assert_array_equal(output.spike_count, [[2, 1], [0, 0]])
    np.testing.assert_array_equal(output.first_spike_step, [[0, 2], [-1, -1]])


def test_static_metrics_of_the_dense_net_by_convention():
    net = dense_net()
    assert metrics.parameter_count(net, "neurobench") == 18  # weights only: no bias in torch
    assert metrics.parameter_count(net) == 23  # + the 3 + 2 zero bias entries
    assert metrics.footprint(net, convention="neurobench") == 18 * 4 + 2 * 20  # + 2 Leaky buffers
    assert metrics.footprint(net) == 23 * 4
    assert metrics.connection_sparsity(net, "neurobench") == 0.7222  # 13/18 rounded to 4 decimals
    assert metrics.connection_sparsity(net) == 13 / 18
    biased = Network((4,), (Dense(W0, np.array([0.0, 0.1, 0.0])), Dense(W1)), IF)
    assert metrics.parameter_count(biased, "neurobench") == 18 + 3  # a non-zero bias is a parameter


def test_workload_metrics_of_the_dense_net_match_hand_counts(dense_run):
    net, rec = dense_run
    # 7 spikes in B * T * (3 + 2) = 30 activations; by layer 4 of 18 and 3 of 12
    assert metrics.activation_sparsity(rec) == pytest.approx(23 / 30, abs=1e-15)
    assert metrics.activation_sparsity_by_layer(rec) == pytest.approx([14 / 18, 9 / 12], abs=1e-15)
    # ACs: layer 0 t0 x0 (2 synapses) + x1 (1), t1 x1 (1), t2 x0 (2) = 6; layer 1: 2 + 2 = 4
    ops = metrics.synaptic_operations(rec, net, convention="neurobench")
    assert ops["Effective_ACs"] == 10 / 2 and ops["Effective_MACs"] == 0.0
    assert ops["Dense"] == T_DENSE * (12 + 6)
    # updates: hidden 6 first-step + 2 (t1) + 2 (t2); output 4 + 1 + 2  -> 17 / B
    assert metrics.membrane_updates(rec) == {"total": 17 / 2, "per_layer": [10 / 2, 7 / 2]}
    nops = metrics.neuron_operations(rec, net)  # Leaky, subtract: 4 operations per update
    assert nops["Effective Neuron Ops"] == 4 * 17 / 2
    assert nops["Neuron Dense Ops"] == T_DENSE * 4 * (3 + 2)
    assert nops["per_layer"] == [4 * 10 / 2, 4 * 7 / 2]


def test_accuracy_on_silent_and_tied_outputs_by_convention(dense_run):
    _, rec = dense_run
    np.testing.assert_array_equal(metrics.predict(rec, convention="neurobench"), [0, 0])  # silent -> 0
    np.testing.assert_array_equal(metrics.predict(rec), [0, metrics.UNDECIDED])
    assert metrics.classification_accuracy(metrics.predict(rec, convention="neurobench"), LABELS) == 1.0
    assert metrics.classification_accuracy(metrics.predict(rec), LABELS) == 0.5
    counts, first = np.array([[2, 2, 1]]), np.array([[3, 1, 0]])  # tie: neuron 1 spiked first
    assert metrics.predict_from_counts(counts, first)[0] == 1
    assert metrics.predict_from_counts(counts, first, convention="neurobench")[0] == 0  # lowest index


def test_native_run_drops_the_last_steps_of_deeper_layers():
    """Over the same T steps our run sees layer l's response to input steps up to T - l - 2 only:
    the spikes of input step 2 never reach the output, those of step 0 arrive at step 2."""
    native = simulate(dense_net(), dense_input(), record_spikes=True)
    np.testing.assert_array_equal(native.layers[0].spike_count[0], [1, 1, 0])  # steps 1 (t0); t2 -> 3
    np.testing.assert_array_equal(native.output.spikes[0], [[0, 0], [0, 0], [1, 0]])
    assert metrics.activation_sparsity(native) == pytest.approx(1 - 3 / 30, abs=1e-15)


# --------------------------------------------------------------------------------------------
# A tiny conv + pool net: 1x4x4 -> Conv2d 2@1x1 (channel 1's kernel is zero) -> AvgPool2d 2
# -> Dense 8 -> 2 (only from pooled neuron 0: weights 1.5 and 0.5); pooling neurons v_th = 0.9.
# Batch 1, T = 2, input: the top-left 2x2 pixels at t0.
#   conv: 4 neurons mem 1.5 -> spike at t0, mem 0.5 at t1; pool neuron 0: 4 * 0.25 = 1.0 -> spike
#   at t0, 0.1 at t1; output: o0 1.5 -> spike, 0.5 at t1; o1 0.5 at t0 and t1.
# --------------------------------------------------------------------------------------------

T_CONV = 2


def conv_net(tau_syn: float = 0.0) -> Network:
    conv_w = np.array([1.5, 0.0]).reshape(2, 1, 1, 1)
    dense_w = np.zeros((2, 8))
    dense_w[:, 0] = [1.5, 0.5]
    pool = NeuronParams(model="if", v_th=0.9, reset="subtract", tau_syn=tau_syn)
    return Network((1, 4, 4), (Conv2d(conv_w), AvgPool2d(2), Dense(dense_w)), (IF, pool, IF))


@pytest.fixture(scope="module")
def conv_run():
    net = conv_net()
    x = np.zeros((1, T_CONV, 1, 4, 4))
    x[0, 0, 0, :2, :2] = 1
    padded = simulate(net, metrics.pad_input(x, 3), record_spikes=True, record_v=True)
    return net, metrics.zero_delay_record(padded, net, T_CONV)


def test_conv_pool_net_static_metrics_by_convention():
    net = conv_net()
    assert metrics.parameter_count(net, "neurobench") == 2 + 16
    assert metrics.parameter_count(net) == 2 + 16 + 2 + 2
    assert metrics.footprint(net, convention="neurobench") == 18 * 4 + 3 * 20
    assert metrics.connection_sparsity(net, "neurobench") == 0.8333  # 15 zeros of 18
    # current-based synapses behind the pooling: snnTorch Synaptic adds alpha (24 bytes)
    assert metrics.footprint(conv_net(tau_syn=5.0), convention="neurobench") == 18 * 4 + 20 + 24 + 20


def test_conv_pool_net_workload_metrics_skip_pooling_synapses(conv_run):
    net, rec = conv_run
    np.testing.assert_array_equal([layer.spike_count.sum() for layer in rec.layers], [4, 1, 1])
    assert metrics.activation_sparsity(rec) == pytest.approx(1 - 6 / (T_CONV * 42), abs=1e-15)
    nb = metrics.synaptic_operations(rec, net, convention="neurobench")
    # conv: 4 input spikes x 1 non-zero synapse; dense: 1 pooled spike x 2 synapses; pool skipped
    assert nb["Effective_ACs"] == 6.0
    assert nb["Dense"] == T_CONV * (32 + 16)
    wb = metrics.synaptic_operations(rec, net)  # ours counts the 4 pooling synapses used
    assert wb["Effective_ACs"] == 10.0 and wb["Dense"] == T_CONV * (32 + 32 + 16)
    assert nb["Effective_ACs_per_layer"] == wb["Effective_ACs_per_layer"] == [4.0, 4.0, 2.0]
    # updates: conv 32 + 4, pool 8 + 1, output 2 + 1
    assert metrics.membrane_updates(rec)["per_layer"] == [36.0, 9.0, 3.0]
    assert metrics.neuron_operations(rec, net)["Effective Neuron Ops"] == 4 * 48
    assert metrics.neuron_operations(rec, net)["Neuron Dense Ops"] == T_CONV * 4 * 42


def test_neuron_operation_costs_follow_module_and_reset():
    net = conv_net()
    rec = metrics.zero_delay_record(
        simulate(net, np.zeros((1, 5, 1, 4, 4)), record_spikes=True, record_v=True), net, 2)
    zero_syn = NeuronParams(model="lif", tau_m=10.0, tau_syn=5.0, reset="zero")
    net_syn = Network(net.input_shape, net.layers, (IF, zero_syn, IF))  # Synaptic, zero: 8 per update
    assert metrics.neuron_operations(rec, net_syn)["Neuron Dense Ops"] == 2 * (4 * 32 + 8 * 8 + 4 * 2)


def test_summary_neurobench_convention(conv_run):
    net, rec = conv_run
    out = metrics.summary(rec, np.array([1]), net, convention="neurobench")
    assert "undecided_fraction" not in out
    assert out["accuracy"] == 0.0 and out["effective_acs"] == 6.0 and out["dense_synops"] == 96.0
    assert out["parameter_count"] == 18 and out["footprint_bytes"] == 132
    assert out["connection_sparsity"] == 0.8333
    assert out["membrane_updates"] == 48.0 and out["neuron_ops_effective"] == 192.0
    default = metrics.summary(rec, np.array([1]), net)
    assert default["effective_acs"] == 10.0 and default["parameter_count"] == 22
    assert "neuron_ops_effective" not in default


def test_bad_arguments_give_clear_errors(dense_run, conv_run):
    net, rec = dense_run
    with pytest.raises(ValueError, match="convention must be one of"):
        metrics.parameter_count(net, "snntorch")
    with pytest.raises(ValueError, match="include_pooling=True contradicts"):
        metrics.synaptic_operations(rec, net, include_pooling=True, convention="neurobench")
    with pytest.raises(ValueError, match="needs the network"):
        metrics.synaptic_operations(rec, convention="neurobench")
    with pytest.raises(ValueError, match="needs the network"):
        metrics.summary(rec, LABELS, convention="neurobench")
    short = simulate(net, dense_input(), record_spikes=True)
    with pytest.raises(ValueError, match="needs n_steps \\+ n_layers = 5"):
        metrics.zero_delay_record(short, net, T_DENSE)
    no_trains = simulate(net, metrics.pad_input(dense_input(), 2))
    with pytest.raises(ValueError, match="record_spikes=True"):
        metrics.zero_delay_record(no_trains, net, T_DENSE)
    biased = Network((4,), (Dense(W0), Dense(W1, np.array([0.1, 0.0]))), IF)
    padded = simulate(biased, metrics.pad_input(dense_input(), 2), record_spikes=True)
    with pytest.raises(ValueError, match="layer 1 \\(Dense\\) has a non-zero bias"):
        metrics.zero_delay_record(padded, biased, T_DENSE)
    with pytest.raises(ValueError, match="n_layers must be an integer >= 0"):
        metrics.pad_input(dense_input(), -1)
