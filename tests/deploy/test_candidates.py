"""The analog MAC and gated-synapse candidates, the NIR input and the executor fan-out of the deploy flow."""

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from neurobench import config
from neurobench.devices import device_arrays, simulate
from neurobench.executor import ExecutorParams
from neurobench.experiments.deploy import flow, gated, mac
from neurobench.experiments.deploy.chips import GatedSynapseDevice
from neurobench.experiments.deploy.params import DeploySection
from neurobench.experiments.deploy.results import candidate_fingerprint, compute_candidates
from neurobench.experiments.deploy.stages import candidate_rows, headline_metrics
from neurobench.experiments.deploy.sweeps import SWEEP_COLUMNS, candidate_sweep
from neurobench.interop.nir import write_nir
from neurobench.network import Dense, Network
from neurobench.neurons import NeuronParams

TINY = {"network": {"hidden": 12, "epochs": 2, "min_hidden": 4}, "calibration_samples": 30, "n_steps": 16,
        "test_samples": 40, "timing_samples": 3, "brian_samples": 0, "pso": {"particles": 3, "iterations": 2},
        "n_seeds": 1, "sweep": {"factors": [0.5, 2.0]}}
RRAM = {"kind": "spiking", "constraints": {"family": "digital", "bits": 4, "method": "round"},
        "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "barrier", "device": {"kind": "rram"}}
GATED = {"kind": "spiking", "constraints": {"family": "analog", "w_min": -4.0, "w_max": 4.0},
         "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "barrier", "device": {"kind": "gated"}}
MAC = {"kind": "analog_mac", "cols": 64}


def tiny(chips, **changes) -> DeploySection:
    return config.validate("deploy", {**TINY, "chips": chips, **changes})


@pytest.fixture(scope="module")
def trained():
    return flow.train_network(tiny({"mac": MAC}))


def test_mac_without_noise_runs_the_ann(trained):
    cfg = tiny({"mac": MAC})
    quiet = {**MAC, "mac": {"sigma_trial": 0.0, "sigma_fp_gain": 0.0, "sigma_fp_offset": 0.0}}
    chip = tiny({"q": quiet}).chips["q"]
    run = mac.run_mac(trained, "q", chip, cfg, 0)
    # 5-bit inputs, 6-bit weights, int8 outputs of the same ANN: it decides as the ANN on almost every sample
    assert run.agreement >= 0.9
    assert abs(run.accuracy - trained.test_accuracy) <= 0.1
    assert all(1 <= layer.n_sends <= chip.max_n_sends for layer in run.deployed.layers)
    assert np.abs(run.deployed.layers[0].weight).max() <= 63
    # figures: latency = sends x pass time, energy = power x latency, SRAM words of both rows of a pair
    sends = sum(layer.n_sends for layer in run.deployed.layers)
    assert run.latency_ns == pytest.approx(sends * chip.cost.pass_ns)
    assert run.energy_pj == pytest.approx(chip.cost.power_w * run.latency_ns * 1e3)
    words = 2 * (12 * 65 + 10 * 13)
    assert run.programming.cells == words
    assert run.programming.energy_pj == pytest.approx(words * 6 * chip.cost.write_pj_per_bit)
    assert math.isinf(run.lifetime)
    # effective MACs: at most the dense count (every input non-zero), at least the bias rows'
    assert 12 + 10 <= run.synops <= 65 * 12 + 13 * 10


def test_mac_chip_instances_differ_and_noise_costs_accuracy(trained):
    cfg = tiny({"mac": MAC})
    chip = cfg.chips["mac"]
    runs = [mac.run_mac(trained, "mac", chip, cfg, r) for r in range(3)]
    assert len({r.mac.chip_seed for r in runs}) == 3
    assert len({tuple(mac.run_on_mac(r.deployed, trained.x_test[:8], r.mac)[0].ravel()) for r in runs}) == 3
    loud = tiny({"mac": {**MAC, "mac": {"sigma_trial": 40.0}}}).chips["mac"]
    assert mac.run_mac(trained, "mac", loud, cfg, 0).agreement < min(r.agreement for r in runs)


def test_mac_prunes_to_its_columns(trained):
    cfg = tiny({"mac": MAC})
    narrow = tiny({"m": {**MAC, "cols": 18}}).chips["m"]
    run = mac.run_mac(trained, "m", narrow, cfg, 0)
    # 64 + 1 inputs fit one chunk: h columns + 10 for the output layer <= 18
    assert run.deployed.hidden == 8 and run.notes
    assert run.deployed.layers[0].weight.shape == (8, 65) and run.deployed.layers[1].weight.shape == (10, 9)
    assert run.agreement > 0.6


def test_gated_retention_matches_the_device_simulator():
    dev = GatedSynapseDevice(synapse={"tau_decay": 5e6, "w_inf": 0.1, "gamma_read": 1.5}, bits_per_cell=3)
    t = gated.retention_ns(dev)
    arrays = device_arrays(dev.synapse, 1)
    w = simulate(arrays, 1.0, [0.0], [t], record=False)[0]  # below threshold: the decay law
    g = (w ** 1.5)  # (G - g_min) / range
    assert 7 * (1 - g) == pytest.approx(0.5, rel=1e-9)  # the top level K = 7 lost half a level
    assert math.isinf(gated.retention_ns(GatedSynapseDevice(synapse={"tau_decay": math.inf})))


def test_gated_programming_counts_the_device_models_pulses():
    dev = GatedSynapseDevice(read_pj=0.0, pulse_pj=2.0)
    weights = np.array([0.5, -1.0, 0.25, 1.0, -0.1])
    cost = gated.gated_programming(weights, np.array([0, 0, 1, 1, 1]), 2, dev, seed=3)
    levels, k = gated.gated_levels(weights, dev.bits_per_cell)
    assert list(levels) == [32, -63, 16, 63, -6] and k == 63
    assert cost.cells == 10 and cost.pulses > 0
    assert cost.energy_pj == pytest.approx(2.0 * cost.pulses)
    # larger levels need more set pulses: the top level alone costs more than a small one
    one = gated.gated_programming(np.array([1.0, 0.05]), np.array([0, 1]), 2, dev, seed=3)
    assert one.time_ns > 0 and one.pulses >= 2


def test_gated_candidate_through_the_flow(trained):
    cfg = tiny({"g": GATED})
    run = flow.deploy_candidate(trained, "g", cfg.chips["g"], cfg)
    ret = gated.retention_ns(cfg.chips["g"].device)
    assert run.worn.lifetime == pytest.approx(ret / run.timed.latency_ns)
    assert run.worn.programming.cells == 2 * int(np.count_nonzero(run.placed.mapped.graph.weight))
    sw = pd.DataFrame(candidate_sweep("g", run, cfg), columns=SWEEP_COLUMNS)
    life = sw[(sw.number == "lifetime")].set_index("factor")["value"]
    assert life[2.0] == pytest.approx(4 * life[0.5], rel=1e-9)  # retention linear in tau_decay (factor 2 / 0.5)


def test_impossible_new_candidates_named_before_compute():
    with pytest.raises(ValidationError, match="chip 'g8' is impossible: 8-bit digital weights need 8 bits per "
                                              "cell, the gated device holds 6"):
        DeploySection.model_validate({**TINY, "chips": {"g8": {**GATED, "constraints": {"family": "digital",
                                                                                         "bits": 8}}}})
    with pytest.raises(ValidationError, match="chip 'tiny_mac' is impossible: the network needs at least 14 neuron "
                                              "columns"):
        DeploySection.model_validate({**TINY, "chips": {"tiny_mac": {**MAC, "cols": 13}}})


def test_network_from_a_nir_file(trained, tmp_path):
    rate = 500.0
    l0, l1 = trained.ann.layers
    snn = Network((1, 8, 8), (Dense(l0.weight, l0.bias * rate / 1000.0), Dense(l1.weight, l1.bias * rate / 1000.0)),
                  (NeuronParams(), NeuronParams()))
    path = write_nir(tmp_path / "tiny.nir", snn, 1.0)
    cfg = tiny({"rram": RRAM}, network={"hidden": 40, "min_hidden": 4, "source": str(path)})
    assert cfg.network_shape() == (64, 12, 10)
    read = flow.train_network(cfg)
    for a, b in zip(read.ann.layers, trained.ann.layers):
        np.testing.assert_allclose(a.weight, b.weight)
        np.testing.assert_allclose(a.bias, b.bias)
    assert read.test_accuracy == trained.test_accuracy
    rows = candidate_rows(compute_candidates(cfg, cfg.chips))
    assert list(rows.candidate) == ["rram"] and rows.hidden[0] == 12
    with pytest.raises(config.ConfigError, match="source"):
        tiny({"rram": RRAM}, network={"source": "model.pt"})
    wide = Network((64,), (Dense(np.zeros((5, 64))), Dense(np.zeros((3, 5)))), (NeuronParams(), NeuronParams()))
    with pytest.raises(config.ConfigError, match="source.*maps 64 inputs to 3 outputs"):
        tiny({"rram": RRAM}, network={"source": str(write_nir(tmp_path / "w.nir", wide, 1.0))})
    leaky = Network(snn.input_shape, snn.layers, (NeuronParams(model="lif", tau_m=20.0), NeuronParams()))
    with pytest.raises(config.ConfigError, match="source.*layer 0 has 'lif' neurons"):
        tiny({"rram": RRAM}, network={"source": str(write_nir(tmp_path / "lif.nir", leaky, 1.0))})


@pytest.mark.slow
def test_local_and_process_executors_agree():
    cfg = tiny({"rram": RRAM, "mac": MAC})
    a = headline_metrics(candidate_rows(r := compute_candidates(cfg, cfg.chips)), r)
    b = headline_metrics(candidate_rows(s := compute_candidates(cfg, cfg.chips, executor=ExecutorParams(kind="process",
                                                                                         workers=2))), s)
    assert a == b and {"rram_accuracy", "mac_accuracy", "mac_lifetime_unbounded"} <= set(a)



def test_stored_results_of_a_nir_source_are_recomputed_when_the_file_changes(trained, tmp_path):
    """A candidate's stored results are reused only while the NIR file they came from holds the
    same network: other weights under the same name give another fingerprint."""
    rate = 500.0
    l0, l1 = trained.ann.layers
    neurons = (NeuronParams(), NeuronParams())
    snn = Network((1, 8, 8), (Dense(l0.weight, l0.bias * rate / 1000.0), Dense(l1.weight, l1.bias * rate / 1000.0)),
                  neurons)
    path = write_nir(tmp_path / "net.nir", snn, 1.0)
    original = path.read_bytes()
    cfg = tiny({"rram": RRAM}, network={"hidden": 40, "min_hidden": 4, "source": str(path)})
    before = candidate_fingerprint(cfg, "rram")
    write_nir(path, Network(snn.input_shape, (Dense(0.5 * l0.weight, snn.layers[0].bias), snn.layers[1]), neurons), 1.0)
    assert candidate_fingerprint(cfg, "rram") != before
    path.write_bytes(original)
    assert candidate_fingerprint(cfg, "rram") == before
