"""The Flower adapter: its rounds reproduce ``run_federated`` bit for bit (driven in-process, and as
a real deployment of a server and two clients in separate processes on 127.0.0.1), and an
unreachable server fails fast with the address in the message."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from flwr.common import Code, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays

from neurobench.federated.fl import FLParams, run_federated, split_devices, uplink_per_round
from neurobench.federated.flower import (DeviceTask, FLStrategy, FlowerDevice, ServerTask, connect, parse_address,
                                         schedule)
from neurobench.federated.glm_snn import GLMParams, RuleParams

REPO = Path(__file__).resolve().parents[2]
GLM, RULE = GLMParams(n_hidden=3, n_basis=3, filter_length=4), RuleParams(delta_s=4, lr=0.1)


def _toy():
    rng = np.random.default_rng(0)
    protos = rng.random((2, 12)) < 0.5
    y = np.repeat([0, 1], 30)
    x = (rng.random((60, 9, 12)) < np.where(protos[y][:, None, :], 0.7, 0.05)).astype(np.uint8)
    return x, y  # 9 steps per sample: aggregations fall inside samples


def _loopback(fl: FLParams, x, y, idx):
    """The strategy and K FlowerDevice clients exchanging Flower's messages without a network."""
    strat = FLStrategy(ServerTask(x[40:], y[40:], 12, 9, 2, GLM, RULE, fl, 2, 3), spec="toy")
    clients = [FlowerDevice(d, lambda spec, d: DeviceTask(x, y, idx[d], GLM, RULE, fl, 2, 1)) for d in range(fl.n_devices)]
    params = strat.initialize_parameters(None)

    class Manager:  # what configure_fit asks of Flower's client manager
        def wait_for(self, k, timeout):
            return True

        def all(self):
            return {str(d): d for d in range(fl.n_devices)}

    for rnd in range(1, strat.num_rounds + 1):
        ins = strat.configure_fit(rnd, params, Manager())
        results = []
        for d, fit_ins in reversed(ins):  # arrival order must not matter
            arrays, n, metrics = clients[d].fit(parameters_to_ndarrays(fit_ins.parameters), fit_ins.config)
            results.append((None, FitRes(Status(Code.OK, ""), ndarrays_to_parameters(arrays), n, metrics)))
        params, _ = strat.aggregate_fit(rnd, results, [])
    return strat


@pytest.mark.parametrize("k, tau, rate, split", [(2, 1, 1.0, "one_class_per_device"), (3, 3, 0.5, "iid"),
                                                 (2, 2, 0.0, "label_halves"), (1, 1, 1.0, "iid")])
def test_flower_rounds_reproduce_the_in_process_run(k, tau, rate, split):
    x, y = _toy()
    fl = FLParams(n_devices=k, split=split, tau=tau, rate=rate, samples_per_device=7, n_evals=3)
    idx = split_devices(y[:40], k, split, 0)
    ref = run_federated(x, y, idx, x[40:], y[40:], 2, GLM, RULE, fl, "federated", 1, 2, 3)
    strat = _loopback(fl, x, y, idx)
    got = strat.result
    assert got.steps == ref.steps and got.accuracy == ref.accuracy  # bit-identical curve
    assert (got.rounds, got.uplink_floats, got.uplink_bits) == (ref.rounds, ref.uplink_floats, ref.uplink_bits)
    assert np.array_equal(got.final.W[0], ref.final.W[0]) and np.array_equal(got.final.gamma[0], ref.final.gamma[0])
    if k > 1:
        n_send = round(rate * 3)
        assert got.uplink_floats == got.rounds * k * uplink_per_round(5, 17, 3, rate, 32)[0]
        assert got.rounds * k * (n_send * 5 * 17 + 10) == got.uplink_floats  # what was actually received


def test_schedule_is_the_union_of_aggregations_and_curve_points():
    fl = FLParams(n_devices=2, tau=3, samples_per_device=4, n_evals=2)
    assert schedule(fl, RuleParams(delta_s=10), 20) == [(30, True, False), (40, False, True), (60, True, False),
                                                        (80, False, True)]
    assert schedule(FLParams(n_devices=1, samples_per_device=4, n_evals=2), RuleParams(delta_s=10), 20) == \
        [(80, False, True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_fails_within_10_s_naming_the_address():
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    client = FlowerDevice(0, lambda spec, d: None)
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match=f"Flower server {address} is unreachable"):
        connect(address, client, timeout=2.0)
    assert time.monotonic() - t0 < 10.0
    assert connect.__defaults__ == (10.0,)  # the default limit
    for bad in ("localhost", "host:0", "host:http", ":8080"):
        with pytest.raises(ValueError, match="address"):
            parse_address(bad)


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "neurobench.experiments.federated.deploy", *args]


@pytest.mark.slow
def test_flower_deployment_of_two_clients_equals_the_in_process_run(tmp_path):
    from neurobench.config import load_section
    from neurobench.experiments.federated.stages import _run, load_digits_spikes, replicate_section

    params = tmp_path / "params.yaml"
    params.write_text("federated:\n  fl: {samples_per_device: 4, n_evals: 2, tau: 3, rate: 0.5}\n  ten_class: false\n")
    address = f"127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    out = tmp_path / "result.json"
    procs = []
    try:
        procs.append(subprocess.Popen(_cmd("server", "--address", address, "--params", str(params), "--out", str(out),
                                           "--wait", "40", "--round-timeout", "40"), env=env, cwd=tmp_path,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for d in (0, 1):
            procs.append(subprocess.Popen(_cmd("client", "--server", address, "--device", str(d), "--connect-timeout", "60"), env=env,
                                          cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        logs = [p.communicate(timeout=90)[0] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(log[-2000:] for log in logs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
    got = json.loads(out.read_text())
    cfg = replicate_section(load_section("federated", params), 0)
    ref = _run(load_digits_spikes(cfg, cfg.classes), cfg, cfg.fl, "federated")
    assert got["steps"] == ref.steps == [40, 80] and got["accuracy"] == ref.accuracy  # bit-identical curve
    assert (got["rounds"], got["uplink_floats"], got["uplink_bits"]) == (ref.rounds, ref.uplink_floats,
                                                                        ref.uplink_bits)
    assert got["flower_rounds"] == 4 and got["monitor_floats"] == 2 * 2 * (10 * 74 * 8 + 20)  # 2 curve-only rounds
