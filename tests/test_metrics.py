"""Metrics on hand-made records (every number computed by hand) and on one tiny simulation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurobench import metrics
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import LayerRecord, SimRecord, simulate

# --------------------------------------------------------------------------------------------
# A hand-made record: batch 4, 4 steps of dt = 0.5 ms, hidden layer of 3, output layer of 2.
#
# output spike trains (step: neurons that spike)
#   sample 0: n1 at 1 and 3, n0 at 2 and 3 -> counts [2, 2], first [2, 1]: tie, n1 spiked first
#   sample 1: n1 at 2                       -> counts [0, 1], first [-1, 2]
#   sample 2: nothing                       -> undecided
#   sample 3: n0 at 0, n1 at 2 and 3        -> counts [1, 2], first [0, 2]: changes its mind at 3
# --------------------------------------------------------------------------------------------

DT = 0.5
OUT_SPIKES = np.zeros((4, 4, 2), dtype=bool)
OUT_SPIKES[0, [1, 3], 1] = True
OUT_SPIKES[0, [2, 3], 0] = True
OUT_SPIKES[1, 2, 1] = True
OUT_SPIKES[3, 0, 0] = True
OUT_SPIKES[3, [2, 3], 1] = True
HIDDEN_COUNT = np.array([[1, 0, 2], [0, 0, 0], [0, 0, 0], [1, 1, 1]])  # 6 spikes
LABELS = np.array([1, 0, 0, 0])


def _first_step(spikes: np.ndarray) -> np.ndarray:
    return np.where(spikes.any(axis=1), spikes.argmax(axis=1), -1)


def hand_record(with_spikes: bool = True) -> SimRecord:
    hidden = LayerRecord(
        spike_count=HIDDEN_COUNT,
        first_spike_step=np.array([[0, -1, 1], [-1, -1, -1], [-1, -1, -1], [3, 2, 1]]),
        synops=np.array([10, 0, 4, 6]),
    )
    output = LayerRecord(
        spike_count=OUT_SPIKES.sum(axis=1),
        first_spike_step=_first_step(OUT_SPIKES),
        synops=np.array([6, 0, 0, 6]),
        spikes=OUT_SPIKES if with_spikes else None,
    )
    return SimRecord([hidden, output], np.zeros((4, 5), dtype=np.int64), DT, 4, "hand")


def hand_network() -> Network:
    w0 = np.arange(1.0, 16.0).reshape(3, 5)
    w0[0, 0] = w0[1, 2] = w0[2, 4] = 0.0  # 3 zeros out of 15
    w1 = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])  # 1 zero out of 6
    return Network((5,), (Dense(w0), Dense(w1, np.array([0.1, 0.2]))))


# --- decisions and accuracy -----------------------------------------------------------------


def test_hand_record_is_consistent():
    out = hand_record().output
    np.testing.assert_array_equal(out.spike_count, [[2, 2], [0, 1], [0, 0], [1, 2]])
    np.testing.assert_array_equal(out.first_spike_step, [[2, 1], [-1, 2], [-1, -1], [0, 2]])


def test_classification_accuracy():
    assert metrics.classification_accuracy([1, 2, 3, 0], [1, 2, 0, 0]) == 0.75
    assert metrics.classification_accuracy([-1, -1], [0, 1]) == 0.0  # undecided is wrong
    with pytest.raises(ValueError, match="same shape"):
        metrics.classification_accuracy([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="labels"):
        metrics.classification_accuracy([1, 2], [1, -1])


def test_agreement():
    a, b = [0, 1, -1, 2, -1], [0, 2, -1, 2, 1]
    assert metrics.agreement(a, b) == pytest.approx(2 / 5)  # both undecided is no shared decision
    assert metrics.agreement(a, b, count_undecided=True) == pytest.approx(3 / 5)
    assert metrics.agreement([3, 3], [3, 3]) == 1.0


def test_predict_tie_breaks_and_undecided():
    rec = hand_record()
    counts, first = rec.output.spike_count, rec.output.first_spike_step
    predict = metrics.predict_from_counts
    np.testing.assert_array_equal(predict(counts, first), [1, 1, -1, 1])
    np.testing.assert_array_equal(predict(counts, tie_break="lowest_index"), [0, 1, -1, 1])
    np.testing.assert_array_equal(predict(counts, tie_break="undecided"), [-1, 1, -1, 1])
    np.testing.assert_array_equal(metrics.predict(rec), [1, 1, -1, 1])


def test_first_spike_tie_falls_back_to_lowest_index():
    counts = np.array([[0, 3, 1, 3, 3], [2, 0, 0, 0, 2]])
    first = np.array([[-1, 4, 0, 2, 2], [5, -1, -1, -1, 5]])
    # sample 0: n1, n3, n4 tie at 3 spikes; n3 and n4 both first spiked at step 2 -> n3
    # sample 1: n0 and n4 tie on count and first spike -> n0
    np.testing.assert_array_equal(metrics.predict_from_counts(counts, first), [3, 0])


def test_predict_errors():
    with pytest.raises(ValueError, match="first_spike_step"):
        metrics.predict_from_counts(np.ones((2, 3)))
    with pytest.raises(ValueError, match="tie_break"):
        metrics.predict_from_counts(np.ones((2, 3)), tie_break="random")


def test_accuracy_of_hand_record():
    assert metrics.classification_accuracy(metrics.predict(hand_record()), LABELS) == 0.25


# --- activity -------------------------------------------------------------------------------


def test_activation_sparsity_and_density():
    rec = hand_record()
    # spikes: hidden 6 of 4*4*3 = 48 slots, output 8 of 4*4*2 = 32 slots; 14 of 80 overall
    assert metrics.activation_sparsity(rec) == pytest.approx(1 - 14 / 80)
    d = metrics.spike_density(rec)
    assert d["overall"] == pytest.approx(14 / 80)
    assert d["per_layer"] == pytest.approx([6 / 48, 8 / 32])
    assert d["mean_rate_hz"] == pytest.approx(14 / 80 * 1000 / DT)  # 350 Hz


def test_membrane_updates():
    v = np.array([[[0.5, 0.0], [0.5, 0.2], [0.0, 0.2]]])  # batch 1, 3 steps, 2 neurons
    v2 = np.concatenate([v, v], axis=0)  # batch 2: same per-sample count
    layer = LayerRecord(np.zeros((2, 2), int), -np.ones((2, 2), int), np.zeros(2, int), v=v2)
    rec = SimRecord([layer], np.zeros((2, 1), int), 1.0, 3, "hand")
    # step 0: both neurons count; step 1: neuron 1 changed; step 2: neuron 0 changed -> 4
    assert metrics.membrane_updates(rec) == {"total": 4.0, "per_layer": [4.0]}
    with pytest.raises(ValueError, match="record_v"):
        metrics.membrane_updates(hand_record())


# --- synaptic operations and static metrics -------------------------------------------------


def test_synaptic_operations_hand():
    rec, net = hand_record(), hand_network()
    ops = metrics.synaptic_operations(rec, net)
    assert ops["Effective_ACs_per_layer"] == [5.0, 3.0]  # mean of [10, 0, 4, 6] and [6, 0, 0, 6]
    assert ops["Effective_ACs"] == 8.0
    assert ops["Effective_MACs"] == 0.0
    assert ops["Dense_per_layer"] == [4 * 15.0, 4 * 6.0]  # all synapses, zeros included, x 4 steps
    assert ops["Dense"] == 84.0
    no_net = metrics.synaptic_operations(rec)
    assert no_net["Dense"] is None and no_net["Effective_ACs"] == 8.0
    with pytest.raises(ValueError, match="layers"):
        metrics.synaptic_operations(rec, Network((5,), (Dense(np.ones((2, 5))),)))


def test_static_metrics_hand():
    net = hand_network()
    assert metrics.connection_sparsity(net) == pytest.approx(4 / 21)
    assert metrics.parameter_count(net) == 15 + 3 + 6 + 2
    assert metrics.footprint(net) == 26 * 4
    assert metrics.footprint(net, bytes_per_param=8) == 26 * 8


def conv_network() -> Network:
    conv = Conv2d(np.ones((2, 1, 3, 3)), padding=1)  # (1, 3, 3) -> (2, 3, 3)
    return Network((1, 3, 3), (conv, AvgPool2d(3), Dense(np.ones((2, 2)))), NeuronParams(v_th=0.5))


def test_dense_synops_conv_and_pool():
    net = conv_network()
    rec = simulate(net, np.ones((2, 5, 1, 3, 3)), dt=1.0)
    ops = metrics.synaptic_operations(rec, net)
    # conv 3x3, padding 1 on 3x3: 4 corners x 4 taps + 4 edges x 6 + centre 9 = 49, x 2 channels
    assert ops["Dense_per_layer"] == [5 * 98.0, 5 * 18.0, 5 * 4.0]
    no_pool = metrics.synaptic_operations(rec, net, include_pooling=False)
    acs = ops["Effective_ACs_per_layer"]
    assert no_pool["Effective_ACs"] == pytest.approx(acs[0] + acs[2])
    assert no_pool["Dense"] == 5 * (98.0 + 4.0)
    # all-ones input: every input spike reaches all its in-bounds taps, 5 steps
    assert acs[0] == 5 * 98.0
    with pytest.raises(ValueError, match="network"):
        metrics.synaptic_operations(rec, include_pooling=False)
    assert metrics.connection_sparsity(net) == 0.0
    assert metrics.parameter_count(net) == 18 + 2 + 4 + 2


def test_synops_of_simulation_equal_spikes_times_fan_out():
    rng = np.random.default_rng(0)
    w0 = rng.normal(0.6, 0.3, (4, 3))
    w0[0, 1] = w0[2, 1] = w0[3, 0] = 0.0  # fan-out of inputs: [3, 2, 4]
    w1 = np.array([[1.0, 0.0, 1.0, 0.5], [0.0, 0.0, 1.0, 1.0]])  # fan-out of hidden: [1, 0, 2, 2]
    net = Network((3,), (Dense(w0), Dense(w1)), NeuronParams(v_th=1.0))
    x = (rng.random((5, 30, 3)) < 0.3).astype(float)
    rec = simulate(net, x, dt=1.0, record_spikes=True)
    hidden_spikes = rec.layers[0].spike_count
    assert hidden_spikes.sum() > 0 and rec.output.spike_count.sum() > 0
    per_sample = [x.sum(axis=1) @ np.array([3, 2, 4]), hidden_spikes @ np.array([1, 0, 2, 2])]
    ops = metrics.synaptic_operations(rec, net)
    assert ops["Effective_ACs_per_layer"] == pytest.approx([p.mean() for p in per_sample])
    assert ops["Effective_ACs"] == pytest.approx(sum(p.mean() for p in per_sample))
    assert ops["Dense"] == 30 * (12 + 8)
    # the latency's final decision is the record's decision
    lat = metrics.latency_to_decision(rec)
    np.testing.assert_array_equal(lat.decision, metrics.predict(rec))


# --- latency --------------------------------------------------------------------------------


def test_latency_to_decision_hand():
    lat = metrics.latency_to_decision(hand_record(), labels=LABELS)
    # running decisions (first_spike tie-break):
    #   s0: -1, 1, 1, 1   s1: -1, -1, 1, 1   s2: undecided   s3: 0, 0, 0, 1
    np.testing.assert_array_equal(lat.decision, [1, 1, -1, 1])
    np.testing.assert_array_equal(lat.step, [1, 2, -1, 3])
    np.testing.assert_allclose(lat.time_ms, [0.5, 1.0, np.nan, 1.5])
    assert lat.n_undecided == 1
    assert lat.mean_step == pytest.approx(2.0)
    assert lat.mean_ms == pytest.approx(1.0)
    # labels [1, 0, 0, 0]: s0 right from step 1, s1 never 0, s2 never, s3 says 0 from step 0
    np.testing.assert_array_equal(lat.first_correct_step, [1, -1, -1, 0])
    np.testing.assert_allclose(lat.first_correct_ms, [0.5, np.nan, np.nan, 0.0])


def test_latency_with_lowest_index_tie_break():
    lat = metrics.latency_to_decision(hand_record(), tie_break="lowest_index")
    # s0: -1, 1, 0 (tie), 0 (tie) -> final 0 from step 2; s3: 0, 0, 0, 1 -> step 3
    np.testing.assert_array_equal(lat.decision, [0, 1, -1, 1])
    np.testing.assert_array_equal(lat.step, [2, 2, -1, 3])


def test_latency_all_undecided_and_missing_spikes():
    rec = hand_record()
    silent = SimRecord(
        [rec.layers[0], LayerRecord(np.zeros((4, 2), int), -np.ones((4, 2), int), np.zeros(4, int),
                                    spikes=np.zeros((4, 4, 2), bool))],
        rec.input_spike_count, DT, 4, "hand",
    )
    lat = metrics.latency_to_decision(silent)
    assert lat.n_undecided == 4 and np.isnan(lat.mean_ms) and np.isnan(lat.mean_step)
    np.testing.assert_array_equal(lat.step, [-1, -1, -1, -1])
    with pytest.raises(ValueError, match="record_spikes"):
        metrics.latency_to_decision(hand_record(with_spikes=False))


def test_latency_chunking(monkeypatch):
    full = metrics.latency_to_decision(hand_record(), labels=LABELS)
    monkeypatch.setattr(metrics.latency, "_CHUNK_ELEMENTS", 1)  # one sample at a time
    chunked = metrics.latency_to_decision(hand_record(), labels=LABELS)
    np.testing.assert_array_equal(full.step, chunked.step)
    np.testing.assert_array_equal(full.first_correct_step, chunked.first_correct_step)


# --- summary --------------------------------------------------------------------------------


def test_summary_hand():
    s = metrics.summary(hand_record(), LABELS, hand_network())
    assert list(s) == [
        "accuracy", "undecided_fraction", "n_samples", "activation_sparsity", "spike_density",
        "mean_rate_hz", "spikes_per_sample", "output_spikes_per_sample", "effective_acs",
        "effective_macs", "dense_synops", "connection_sparsity", "parameter_count",
        "footprint_bytes", "latency_steps_mean", "latency_ms_mean",
        "spike_density_layer0", "effective_acs_layer0",
        "spike_density_layer1", "effective_acs_layer1",
    ]
    expected = {
        "accuracy": 0.25, "undecided_fraction": 0.25, "n_samples": 4,
        "activation_sparsity": 1 - 14 / 80, "spike_density": 14 / 80, "mean_rate_hz": 350.0,
        "spikes_per_sample": 3.5, "output_spikes_per_sample": 2.0, "effective_acs": 8.0,
        "effective_macs": 0.0, "dense_synops": 84.0, "connection_sparsity": 4 / 21,
        "parameter_count": 26, "footprint_bytes": 104, "latency_steps_mean": 2.0,
        "latency_ms_mean": 1.0, "spike_density_layer0": 6 / 48, "effective_acs_layer0": 5.0,
        "spike_density_layer1": 8 / 32, "effective_acs_layer1": 3.0,
    }
    assert s == pytest.approx(expected)
    assert all(type(v) in (int, float) for v in s.values())
    json.dumps(s, allow_nan=False)


def test_summary_without_network_or_spikes():
    s = metrics.summary(hand_record(with_spikes=False), LABELS)
    assert "dense_synops" not in s and "latency_ms_mean" not in s
    assert list(s)[:3] == ["accuracy", "undecided_fraction", "n_samples"]
    with pytest.raises(ValueError, match="labels"):
        metrics.summary(hand_record(), LABELS[:3])


# --- record types and metrics.json --------------------------------------------------------


def test_predict_rejects_objects_that_are_not_records():
    with pytest.raises(TypeError, match="SimRecord or an AsyncRecord"):
        metrics.predict(np.zeros((2, 3)))


def test_json_metrics_leaves_out_missing_values_and_keys_already_written():
    table = {"accuracy": 0.5, "latency_ms_mean": None, "spikes_per_sample": 3.0}
    assert metrics.json_metrics(table, skip={"spikes_per_sample": 2.0}) == {"accuracy": 0.5}
    assert metrics.json_metrics(table, prefix="nb_") == {"nb_accuracy": 0.5, "nb_spikes_per_sample": 3.0}


# ------------------------------------------------------------------ read-outs of converted networks


def test_spike_worth_is_one_spike_over_the_run_in_ann_units():
    from neurobench.metrics.readout import spike_worth

    # T = 10 steps of 1 ms: one spike is 100 Hz; at 250 Hz per ANN unit that is 0.4 units
    assert spike_worth(10, 1.0, 250.0) == pytest.approx(0.4)
    assert spike_worth(200, 0.5, 250.0) == pytest.approx(1000 / (200 * 0.5 * 250))


def test_near_tie_share_counts_top_two_gaps_below_one_spike():
    from neurobench.metrics.readout import near_tie_share

    logits = np.array([[3.0, 2.7, 0.0],    # gap 0.3 < 0.4: near tie
                       [0.0, 1.0, 2.0],    # gap 1.0
                       [5.0, -1.0, 4.61],  # gap 0.39: near tie (top two found whatever their order)
                       [2.0, 2.5, 1.0]])   # gap 0.5: not below one spike
    assert near_tie_share(logits, 0.4) == 0.5
    assert near_tie_share(logits, 0.0) == 0.0 and near_tie_share(logits, 10.0) == 1.0
    assert near_tie_share(np.ones((3, 1)), 1.0) == 0.0


def test_output_rate_hz_counts_and_charge_of_a_non_spiking_output():
    from neurobench.metrics.readout import output_charge, output_rate_hz

    neuron = NeuronParams(model="if", reset="subtract", v_th=2.0)
    # one input neuron -> one output neuron with weight 1.5 mV and a negative second output
    net = Network((1,), (Dense(np.array([[1.5], [-1.0]]), np.zeros(2)),), neuron)
    spikes = np.zeros((1, 10, 1), dtype=bool)
    spikes[0, ::2, 0] = True  # 5 input spikes in 10 steps of 0.5 ms
    rec = simulate(net, spikes, 0.5)
    np.testing.assert_allclose(output_charge(net, rec), [[7.5, -5.0]])
    # charge / v_th = 3.75 and -2.5 spikes' worth over 5 ms -> 750 and -500 Hz
    np.testing.assert_allclose(output_rate_hz(net, rec, "potential"), [[750.0, -500.0]])
    counts = rec.output.spike_count
    assert counts[0, 0] == 3 and counts[0, 1] == 0
    np.testing.assert_allclose(output_rate_hz(net, rec, "count"), [[600.0, 0.0]])
    with pytest.raises(ValueError, match="readout"):
        output_rate_hz(net, rec, "membrane")
