"""The NeuroBench-style table of a paper report (``neurobench.metrics.table``): every column of
every kind of row computed by hand in NeuroBench's convention, the table over replicates, its
display and its ``metrics.json`` keys."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from neurobench import metrics
from neurobench.metrics import table as T
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim import simulate
from neurobench.sim.events import AsyncRecord

IF = NeuronParams(model="if", v_th=1.0, reset="subtract")

# The 4-3-2 IF net of tests/test_metrics_neurobench.py (no biases, batch 2, T = 3; sample 1 is
# silent), run on snnTorch's time (zero_delay_record): hidden spikes of sample 0 at t0 {h0, h1}
# and t2 {h0, h1}; output spikes t0 {o0}, t2 {o0, o1}.
T_STEPS = 3
W0 = np.array([[1.5, 0, 0, 0], [0.625, 0.625, 0, 0], [0, 0, 0, 0]])
W1 = np.array([[1.5, 0, 0], [0, 0.75, 0]])
LABELS = np.array([0, 0])


def dense_net() -> Network:
    return Network((4,), (Dense(W0), Dense(W1)), IF)


@pytest.fixture(scope="module")
def clock_record():
    net = dense_net()
    x = np.zeros((2, T_STEPS, 4))
    x[0, 0, [0, 1]] = 1
    x[0, 1, 1] = 1
    x[0, 2, 0] = 1
    return metrics.zero_delay_record(simulate(net, metrics.pad_input(x, 2), record_spikes=True), net, T_STEPS)


@pytest.fixture(scope="module")
def clock_row(clock_record):
    return T.clock_metrics(clock_record, LABELS, dense_net())


def test_clock_row_every_column_by_hand(clock_row):
    assert clock_row["kind"] == "clock SNN" and clock_row["note"] == ""
    assert clock_row["ParameterCount"] == 18  # 12 + 6 weights; the torch model has no bias
    assert clock_row["Footprint"] == 18 * 4 + 2 * 20  # float32 weights + two snn.Leaky buffer sets
    assert clock_row["ConnectionSparsity"] == 0.7222  # 13 zeros of 18, rounded to 4 decimals
    # 4 hidden + 3 output spikes of B * T * (3 + 2) = 30 neuron-steps
    assert clock_row["ActivationSparsity"] == pytest.approx(1 - 7 / 30, abs=1e-15)
    # input: x0 (fan-out 2) twice, x1 (fan-out 1) twice = 6; hidden: 4 spikes of fan-out 1; / 2 samples
    assert clock_row["Effective_ACs"] == 5.0
    assert clock_row["Effective_MACs"] == 0.0
    assert clock_row["Dense"] == T_STEPS * (12 + 6)
    # sample 0: counts [2, 1] -> class 0; silent sample 1: argmax -> class 0 (NeuroBench)
    assert clock_row["ClassificationAccuracy"] == 1.0


def test_async_row_counts_delivered_events_and_explains_nan():
    net = dense_net()
    rec = AsyncRecord(
        spike_count=[np.array([[2, 2, 0], [0, 0, 0]]), np.array([[1, 2], [0, 0]])],
        synops=np.array([[6, 4], [1, 0]]), input_events=np.array([4, 1]),
        forward_steps=np.array([[3], [1]]), first_output_step=np.array([[2, 1], [-1, -1]]),
        spikes_at_first_output=np.array([[3, 2], [-1, -1]]),
        output_events=(np.array([], int), np.array([], int), np.array([], int)),
        frame_counts=None, dropped=np.zeros(2, int), halted=np.zeros(2, bool))
    r = T.async_metrics(rec, np.array([1, 0]), net)
    assert r["kind"] == "async SNN"
    assert r["Effective_ACs"] == (10 + 1) / 2 and r["Effective_MACs"] == 0.0
    assert math.isnan(r["ActivationSparsity"]) and math.isnan(r["Dense"])
    assert "no time steps" in r["note"]
    assert r["ClassificationAccuracy"] == 1.0  # argmax [1, 2] -> 1 (right); silent [0, 0] -> 0 (right)
    assert r["Footprint"] == 112 and r["ParameterCount"] == 18


def test_ann_row_counts_macs_of_nonzero_inputs_and_relu_sparsity():
    # 3 -> 2 -> 2 ANN; layer 0 weights have column fan-outs [2, 1, 0], layer 1 [1, 2]
    w0 = np.array([[1.0, 0.0, 0.0], [2.0, 3.0, 0.0]])
    w1 = np.array([[0.0, 1.0], [1.0, -1.0]])
    b0, b1 = np.zeros(2), np.array([0.5, 0.0])
    x = np.array([[1.0, 0.0, 5.0], [0.5, 0.25, 0.0]])  # nonzero inputs: {x0, x2}, {x0, x1}
    h = np.maximum(x @ w0.T + b0, 0)  # [[1, 2], [0.5, 1.75]]: no zero
    h[1, 0] = 0.0  # a ReLU zero, as if the pre-activation were negative
    r = T.ann_metrics([w0, w1], [b0, b1], [x, h], [h], predictions=[1, 0], labels=[1, 1])
    # layer 0: sample 0 (2 + 0), sample 1 (2 + 1); layer 1: sample 0 (1 + 2), sample 1 (0 + 2)
    assert r["Effective_MACs"] == ((2 + 0 + 1 + 2) + (2 + 1 + 0 + 2)) / 2
    assert r["Effective_ACs"] == 0.0
    assert r["Dense"] == 6 + 4
    assert r["ActivationSparsity"] == 1 / 4
    assert r["ParameterCount"] == 6 + 4 + 2 + 2
    assert r["Footprint"] == 14 * 4
    assert r["ConnectionSparsity"] == 0.4  # 3 + 1 zeros of 10 weights
    assert r["ClassificationAccuracy"] == 0.5
    assert r["kind"] == "ANN"


def test_a_nan_without_a_reason_and_an_unknown_kind_are_errors():
    static = T.tensor_metrics([W0])
    with pytest.raises(ValueError, match="give the reason"):
        T.row("recurrent SNN", static, float("nan"), 1.0, 0.0, 2.0, 0.5)
    with pytest.raises(ValueError, match="kind must be one of"):
        T.row("spiking", static, 0.5, 1.0, 0.0, 2.0, 0.5)
    assert math.isnan(T.row("delay SNN", static, float("nan"), 1.0, 0.0, 2.0, 0.5, note="why")["ActivationSparsity"])


def test_table_means_and_stds_over_replicates_display_and_json(clock_row):
    reps = [dict(clock_row, ClassificationAccuracy=a, Effective_ACs=s) for a, s in ((0.5, 4.0), (0.7, 5.0), (0.9, 9.0))]
    static = T.tensor_metrics([np.array([[1.0, 0.0]])])
    ann = T.row("ANN", static, 0.25, 0.0, 3.0, 2.0, 1.0)
    table = T.neurobench_table({"snn": reps, "ann": [ann]})
    assert list(table.index) == ["snn", "ann"]
    assert table.loc["snn", "replicates"] == 3
    assert table.loc["snn", "ClassificationAccuracy"] == pytest.approx(0.7)
    assert table.loc["snn", "ClassificationAccuracy_std"] == pytest.approx(0.2)
    assert table.loc["snn", "Effective_ACs_std"] == pytest.approx(np.std([4, 5, 9], ddof=1))
    assert math.isnan(table.loc["ann", "Effective_MACs_std"])
    shown = T.neurobench_display(table)
    assert shown.loc["snn", "ClassificationAccuracy"] == "0.7000 ± 0.2000"
    assert shown.loc["ann", "Effective_MACs"] == 3.0  # one replicate: the number, for show_table
    assert list(shown.columns) == ["kind", "replicates", *T.COLUMNS, "notes"]
    assert list(shown["notes"]) == ["", ""] and shown.attrs[T.NOTES_ATTR] == []  # no note, no footnote
    flat = T.neurobench_json(table)
    assert flat["neurobench/snn/ClassificationAccuracy"] == pytest.approx(0.7)
    assert flat["neurobench/snn/Footprint"] == 112 and flat["neurobench/snn/Footprint_std"] == 0.0
    assert flat["neurobench/ann/Effective_MACs"] == 3.0
    assert "neurobench/ann/Effective_MACs_std" not in flat
    assert all(isinstance(v, float) and math.isfinite(v) for v in flat.values())
    with pytest.raises(ValueError, match="mixes kinds"):
        T.neurobench_table({"x": [clock_row, ann]})


def test_rows_without_class_labels_have_nan_accuracy_and_say_why(clock_record, clock_row):
    r = T.clock_metrics(clock_record, None, dense_net())
    assert math.isnan(r["ClassificationAccuracy"]) and r["note"] == T.NO_CLASSES
    assert {k: r[k] for k in T.COLUMNS[:-1]} == {k: clock_row[k] for k in T.COLUMNS[:-1]}
    a = T.ann_metrics([W1], [None], [np.ones((2, 3))], [], None, None)
    assert math.isnan(a["ClassificationAccuracy"]) and T.NO_CLASSES in a["note"]


def test_tensor_synops_counts_delayed_deliveries_inside_the_run():
    # taps at delays 0 and 2 steps; T = 4; input 0 fires at t0 and t3, input 2 at t3
    w = np.zeros((2, 3, 2))
    w[0, 0, 0] = w[1, 0, 1] = w[0, 2, 1] = 1.0
    s = np.zeros((1, 4, 3))
    s[0, [0, 3], 0] = 1
    s[0, 3, 2] = 1
    # tap 0: input 0's 2 spikes x fan-out 1; tap 1 (lands at t + 2 <= 3): input 0 at t0 x 1; input 2 at t3 lands late
    # dense: every synapse on the 4 steps of tap 0 and the 2 steps of tap 1
    assert T.tensor_synops(w, s, [0, 2]) == (3.0, 4 * 6 + 2 * 6)
    # a plain (n_out, n_in) weight: every input value counts, once per step
    assert T.tensor_synops(w[:, :, 0], s) == (2.0, 4 * 6)


def test_sequence_row_splits_acs_and_macs_by_the_input_values():
    w0, w1 = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[2.0, 0.0]])
    x = np.zeros((1, 2, 2))
    x[0, 0] = [1, 1]  # binary: ACs, fan-outs [2, 1]
    h = np.array([[[0.5, 0.0], [0.0, 0.0]]])  # real-valued layer output: MACs, fan-outs [1, 0]
    r = T.sequence_metrics("recurrent SNN", T.tensor_metrics([w0, w1]), [w0, w1], [x, h], [h], 1.0, note="n")
    assert (r["Effective_ACs"], r["Effective_MACs"], r["Dense"]) == (3.0, 1.0, 2 * 4 + 2 * 2)
    assert r["ActivationSparsity"] == 3 / 4 and r["ParameterCount"] == 6 and r["note"] == "n"


def test_ann_row_of_a_conv_net_counts_kernels_and_in_bounds_synapses():
    from neurobench.ann import Ann
    from neurobench.ann.table import ann_row
    from neurobench.network import AvgPool2d, Conv2d

    rng = np.random.default_rng(0)
    kernels = rng.normal(size=(2, 1, 3, 3))
    kernels[0, 0, 1, 1] = 0.0  # a zero weight: no connection, still a dense synapse
    conv = Conv2d(kernels, np.zeros(2), padding=1)
    ann = Ann((1, 4, 4), (conv, AvgPool2d(2), Dense(rng.normal(size=(3, 8)), np.zeros(3))),
              ("relu", "linear", "linear"))
    x = rng.random((5, 1, 4, 4))
    r = ann_row(ann, x, np.array([0, 1, 2, 0, 1]))
    assert r["ParameterCount"] == 2 * 9 + 2 + 3 * 8 + 3 and r["Footprint"] == 47 * 4
    # 3x3 kernel, padding 1 on 4x4: 4 corners x 4 + 8 edges x 6 + 4 inner x 9 = 100 taps per channel; pooling not counted
    assert r["Dense"] == 2 * 100 + 24
    assert r["ConnectionSparsity"] == round(1 / 42, 4)
    # every input pixel is non-zero: the conv's MACs are its 200 taps less the 16 of the zero weight;
    # the dense layer's are its non-zero inputs x 3
    pooled = ann.forward(x)[1]
    assert r["Effective_MACs"] == pytest.approx(184 + 3 * np.count_nonzero(pooled) / 5)
    relu = ann.forward(x)[0]
    assert r["ActivationSparsity"] == pytest.approx(np.mean(relu == 0))
    assert r["ClassificationAccuracy"] == np.mean(ann.forward(x)[-1].argmax(1) == [0, 1, 2, 0, 1])


def test_display_numbers_the_distinct_notes_and_lists_them_below_the_table(clock_row):
    from neurobench import report

    static = T.tensor_metrics([np.array([[1.0, 0.0]])])
    nan_note = "an event-driven run has no time steps"
    rows = {"a": [dict(clock_row, note=T.NO_CLASSES)], "b": [clock_row],
            "c": [T.row("delay SNN", static, float("nan"), 1.0, 0.0, 2.0, 0.5, note=nan_note)],
            "d": [dict(clock_row, note=T.NO_CLASSES)]}
    table = T.neurobench_table(rows)
    shown = T.neurobench_display(table)
    assert "note" not in shown.columns
    assert list(shown["notes"]) == ["1", "", "2", "1"]  # one number per distinct note, first seen first
    assert shown.attrs[T.NOTES_ATTR] == [T.NO_CLASSES, nan_note]
    html = report.table_html(shown)
    table_part, _, below = html.partition("</table>")
    assert T.NO_CLASSES not in table_part and nan_note not in table_part
    assert re.findall(r"<li>(.*?)</li>", below) == [T.NO_CLASSES, nan_note]
    assert below.index("<ol") < below.index("</ol>")
    assert not any("note" in key for key in T.neurobench_json(table))  # notes are not numbers
