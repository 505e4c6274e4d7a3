"""The paper reports' NeuroBench-style rows of torch models (``neurobench.metrics.table``):
delay networks, SRC/LIF networks, the NeuroJSCC chain and the analog-chip ANN, checked against
closed forms and against the stages' own accuracies on tiny untrained models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

RNG = np.random.default_rng(0)
FRAMES = (RNG.random((6, 10, 5)) < 0.3).astype(np.uint8)
LABELS = np.arange(6) % 3


def test_delay_row_counts_delayed_synapses_buffers_and_pooled_taps():
    from neurobench.experiments.delays.table import delay_row
    from neurobench.models.delays import DelayNet, DelayNetParams, DelayParams

    net = DelayNet(5, 3, DelayNetParams(hidden=(4,), delay=DelayParams(max_delay=4)), torch.Generator().manual_seed(0))
    net.pool_(1)
    r = delay_row(net, FRAMES, 0.5)
    n_w = 4 * 5 * 4 + 3 * 4 * 1  # the input projection delayed (K = 4 taps), the readout's one tap; no biases
    assert r["ParameterCount"] == n_w and r["kind"] == "delay SNN"
    assert r["Footprint"] == n_w * 4 + n_w * 4 + (4 + 1) * 8  # float32 weights, float32 masks, int64 tap tables
    assert r["ConnectionSparsity"] == round(60 / 92, 4)  # one tap of four kept per input synapse
    # taps at 0..3 steps on T = 10: dense counts each synapse on 10, 9, 8, 7 steps
    assert r["Dense"] == 4 * 5 * (10 + 9 + 8 + 7) + 3 * 4 * 10
    assert r["ClassificationAccuracy"] == 0.5 and r["Effective_MACs"] == 0.0
    spikes = net.hidden_spikes(torch.from_numpy(FRAMES.astype(np.float32)))[0]
    assert r["ActivationSparsity"] == pytest.approx(1 - spikes.mean())


def test_src_row_counts_relu_outputs_as_macs_and_lif_spikes_as_acs():
    from neurobench.experiments.src.table import SRC_NOTE, model_row
    from neurobench.models.lif import LIFNet
    from neurobench.models.src import SRCNet, SRCParams

    src = SRCNet(5, (4,), 3, SRCParams(bias_init=0.5, bias_max=1.0), generator=torch.Generator().manual_seed(0))
    r = model_row(src, FRAMES, 0.25)
    assert r["kind"] == "recurrent SNN" and r["note"] == SRC_NOTE and r["ClassificationAccuracy"] == 0.25
    assert r["ParameterCount"] == 4 * 5 + 3 * 4 + 4 + 3 and r["Dense"] == 10 * (4 * 5 + 3 * 4)
    # the frames are binary (ACs: non-zero inputs x fan-out 4); ReLU(h) is real-valued (MACs)
    assert r["Effective_ACs"] == pytest.approx(FRAMES.sum() * 4 / len(FRAMES))
    assert r["Effective_MACs"] > 0
    _, hs = src.forward(torch.from_numpy(FRAMES.astype(np.float32)), record=True)
    assert r["ActivationSparsity"] == pytest.approx(np.mean(hs[0].detach().numpy() <= 0))  # zeros of ReLU(h)
    lif = LIFNet(5, (4,), 3, generator=torch.Generator().manual_seed(0))
    r = model_row(lif, FRAMES, 0.25)
    assert r["kind"] == "clock SNN" and r["Effective_MACs"] == 0.0
    assert r["Footprint"] > r["ParameterCount"] * 4  # snnTorch's buffers count


def test_chain_row_accuracy_is_the_noiseless_link_accuracy():
    from neurobench.experiments.wireless.table import chain_row
    from neurobench.wireless.channel import ChannelParams
    from neurobench.wireless.jscc import NeuroJSCC, NeuroJSCCParams, decode_over_time

    model = NeuroJSCC(5, 3, NeuroJSCCParams(encoder_hidden=6, n_channels=4, decoder_hidden=5), ChannelParams(),
                      None, torch.Generator().manual_seed(0), 0)
    r = chain_row(model, FRAMES, LABELS)
    logits, sent, _ = decode_over_time(model, FRAMES, None, 0)
    assert r["ClassificationAccuracy"] == np.mean(logits[:, -1].argmax(1) == LABELS)
    assert r["ParameterCount"] == 6 * 5 + 4 * 6 + 5 * 4 + 3 * 5 + 6 + 4 + 5 + 3
    assert r["Dense"] == 10 * (6 * 5 + 4 * 6 + 5 * 4 + 3 * 5)
    # the decoder's input ACs are the pulses sent (each to 5 hidden neurons), part of the total
    assert r["Effective_ACs"] >= sent[:, -1].mean() * 5


def test_analog_row_matches_the_chip_accuracy_and_counts_integer_input_macs():
    from neurobench.analog import MACParams, NetParams
    from neurobench.analog.training import accuracy, predict
    from neurobench.experiments.analog.stages import build_net
    from neurobench.experiments.analog.table import analog_row

    net = build_net(NetParams(conv_channels=3, kernel=4, stride=2, pad=1, hidden=[8]), 8, 10, MACParams(), 0)
    x = RNG.integers(0, 32, (6, 8, 8)).astype(float)
    y = predict(net, x)
    y[0] = (y[0] + 1) % 10  # one sample wrong
    r = analog_row(net, x, y, None)
    assert r["ClassificationAccuracy"] == accuracy(net, x, y, None) == 5 / 6
    assert r["ParameterCount"] == 3 * 16 + 8 * 48 + 10 * 8  # kernels and weights, no biases
    assert r["Dense"] == 3 * 16 * 16 + 8 * 48 + 10 * 8  # 4 x 4 kernel at 4 x 4 positions of the padded 10 x 10
    assert r["Effective_ACs"] == 0.0 and 0 < r["Effective_MACs"] <= r["Dense"]


def test_glm_row_counts_the_macs_of_non_zero_traces_and_matches_evaluate():
    from neurobench.experiments.federated.table import glm_row
    from neurobench.federated.glm_snn import GLMParams, evaluate, init_weights, predict_scores, raised_cosine_basis

    p = GLMParams(n_hidden=3, n_basis=2, filter_length=3, init_scale=1.0, init_bias=0.0)
    st = init_weights(p, 5, 2, seed=0)
    st.W[0, 0, 1, :] = 0.0  # input 1 reaches neuron 0 through no filter
    x, y = FRAMES, LABELS % 2
    r = glm_row(st, p, x, y, 2, seed=4)
    assert r["ClassificationAccuracy"] == evaluate(st, p, x, y, 2, seed=4)
    n, P = 5, 5 + 5
    assert r["ParameterCount"] == n * P * 2 + 2 * n and r["Dense"] == 10 * n * P * 2
    assert r["ConnectionSparsity"] == round(2 / (n * P * 2), 4)
    # brute force: the traces of every step from the sampled spikes (outputs do not feed back)
    u = np.random.default_rng(4).random((len(x), 10, n))
    _, s = predict_scores(st, p, x.astype(float), 2, u, record=True)
    assert s[:, :, 3:].any()  # the output neurons' samples are recorded, though they do not feed back
    pre = np.concatenate([x, s * np.array([1, 1, 1, 0, 0])], axis=2).astype(float)
    a = raised_cosine_basis(2, 3)
    fan = np.count_nonzero(st.W[0], axis=0)
    macs = 0
    for t in range(10):
        hist = np.stack([pre[:, t - 1 - d] if t - 1 - d >= 0 else np.zeros_like(pre[:, 0]) for d in range(3)], 1)
        tr = np.einsum("kd,bdj->bjk", a, hist)
        macs += ((tr != 0) * fan).sum()
    assert r["Effective_MACs"] == pytest.approx(macs / len(x))
    assert r["ActivationSparsity"] == pytest.approx(1 - s.mean()) and r["Effective_ACs"] == 0.0


def test_async_rows_take_neurobench_argmax_accuracy_and_the_grid_keeps_our_decoder():
    """A network whose output never fires: our decoder gets every sample wrong (accuracy 0), while
    NeuroBench's argmax predicts class 0 for each silent sample (accuracy = share of label 0)."""
    from types import SimpleNamespace

    from neurobench import config
    from neurobench.experiments.asynchronous.stages import evaluate_grid, latency_forward_group, neurobench_rows
    from neurobench.experiments.asynchronous.tasks import ROW_TASK
    from neurobench.metrics.table import ARGMAX_NOTE
    from neurobench.network import Dense, Network
    from neurobench.neurons import NeuronParams

    cfg = config.validate("asynchronous", {"strategies": ["random"]})
    F = latency_forward_group(cfg)
    net = Network((5,), (Dense(np.zeros((4, 5))), Dense(np.zeros((3, 4)))), NeuronParams(model="if"))
    labels = np.array([0, 0, 1, 2, 0, 1])  # half of them class 0
    grid, _ = evaluate_grid({"sync": net}, FRAMES, labels, ["random"], [F], 1.0)
    assert (grid.accuracy == 0.0).all() and (grid.accuracy_neurobench == 0.5).all()
    data = SimpleNamespace(tasks={ROW_TASK: (FRAMES, labels)})
    rows = neurobench_rows([(data, {ROW_TASK: {"sync": net}})], grid.assign(replicate=0, task=ROW_TASK), cfg)
    assert len(rows) == 2
    for (row,) in rows.values():
        assert row["ClassificationAccuracy"] == 0.5 and ARGMAX_NOTE in row["note"]
