"""neurobench.executor and the fan-outs of neurobench.scaleout: every executor kind gives
bit-identical results, a killed Dask worker costs nothing but time, an unreachable scheduler
fails fast naming its address, and bad settings are rejected naming the key."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time

import cloudpickle
import numpy as np
import pytest
from pydantic import ValidationError

from neurobench.ann import Ann
from neurobench.ann.train import load_data
from neurobench.executor import WORKER_THREAD_VARIABLES, ExecutorParams, Session, map_tasks, open_executor
from neurobench.network import AvgPool2d, Conv2d, Dense
from neurobench.scaleout import SeedTask, convert, seed_sweep, seed_tasks, train_seed

# the kill-once task below lives in this test module, which Dask's workers cannot import
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CONVERTER = dict(n_steps=40, conv_positions=3)


def small_cnn() -> Ann:
    """A fixed random 1x8x8 -> conv 2x3x3 -> avg-pool 2 -> dense 32 -> 6 network."""
    rng = np.random.default_rng(7)
    layers = (Conv2d(rng.normal(0, 0.5, (2, 1, 3, 3)), rng.normal(0, 0.05, 2), padding=1),
              AvgPool2d(2), Dense(rng.normal(0, 0.3, (6, 32)), rng.normal(0, 0.05, 6)))
    return Ann((1, 8, 8), layers, ("relu", "relu", "linear"))


def calibration() -> np.ndarray:
    return load_data("digits")[0][:40]


def sweep() -> list[SeedTask]:
    return seed_tasks("mlp", 3, train_seed_root=11, epochs=1, hidden=12)


def converted(executor) -> list:
    """Everything a conversion computes but its timings: per layer the weights, biases,
    statuses and objectives."""
    conv = convert(small_cnn(), calibration(), executor, **CONVERTER)
    return [(getattr(layer, "weight", None), getattr(layer, "bias", None),
             [s.status for s in sols], [s.objective for s in sols])
            for layer, sols in zip([lay for lay in conv.network_.layers if not isinstance(lay, AvgPool2d)],
                                   conv.solutions_)]


def assert_same_conversion(a, b) -> None:
    assert len(a) == len(b) == 2
    for (wa, ba, sa, oa), (wb, bb, sb, ob) in zip(a, b):
        assert np.array_equal(wa, wb) and np.array_equal(ba, bb)
        assert sa == sb and oa == ob


def assert_same_sweep(a, b) -> None:
    assert [r.task for r in a] == [r.task for r in b]
    for ra, rb in zip(a, b):
        assert ra.test_score == rb.test_score and ra.loss == rb.loss
        for la, lb in zip(ra.ann.layers, rb.ann.layers):
            assert np.array_equal(la.weight, lb.weight) and np.array_equal(la.bias, lb.bias)


@pytest.fixture(scope="module")
def reference():
    """The serial results of the two fan-outs."""
    local = ExecutorParams(kind="local")
    return converted(local), seed_sweep(sweep(), local)


def test_reference_sweep_replicates_differ(reference):
    """The replicates really are different seeds (else 'identical' would prove little)."""
    conversion, results = reference
    assert len({r.task.seed for r in results}) == 3
    assert not np.array_equal(results[0].ann.layers[0].weight, results[1].ann.layers[0].weight)
    assert any(np.any(w != 0) for w, *_ in conversion)


def _square(x: int) -> int:
    return x * x


def test_local_map_returns_results_in_task_order():
    assert map_tasks(_square, [3, 1, 2]) == [9, 1, 4]
    assert map_tasks(_square, []) == []


def _threads(_: int) -> tuple[dict[str, str | None], int]:
    import torch

    return {name: os.environ.get(name) for name in WORKER_THREAD_VARIABLES}, torch.get_num_threads()


def test_process_pool_workers_run_every_numerical_library_on_one_thread():
    """Two workers on two cores with torch's default thread per core oversubscribe the machine
    (a small network's evaluation 60x slower); the pool's initializer gives each one thread."""
    with open_executor(ExecutorParams(kind="process", workers=2)) as session:
        seen = session.map(_threads, range(4))
    assert seen == [({name: "1" for name in WORKER_THREAD_VARIABLES}, 1)] * 4


@pytest.mark.slow
def test_process_pool_gives_identical_results(reference):
    with open_executor(ExecutorParams(kind="process", workers=2)) as session:
        assert_same_conversion(converted(session), reference[0])
        assert_same_sweep(seed_sweep(sweep(), session), reference[1])


@pytest.fixture(scope="module")
def dask_session():
    """One LocalCluster of 2 single-threaded worker processes for the Dask tests (its start and
    the workers' imports are the slow part), checked closed afterwards."""
    with open_executor(ExecutorParams(kind="dask", workers=2)) as session:
        yield session
        cluster = session._cluster
    assert cluster.status.name == "closed"


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(reference, dask_session):
    workers = dask_session.client.scheduler_info()["workers"]
    assert len(workers) == 2 and all(w["nthreads"] == 1 for w in workers.values())
    assert_same_conversion(converted(dask_session), reference[0])
    assert_same_sweep(seed_sweep(sweep(), dask_session), reference[1])


def _train_or_die(packed: tuple[str, SeedTask]):
    """``train_seed`` of the task, except that the first process to run replicate 1 kills itself
    (SIGKILL: no clean-up, as when a node dies or the OOM killer strikes)."""
    marker, task = packed
    if task.replicate == 1:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            pass
        else:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
    return train_seed(task)


@pytest.mark.slow
def test_killed_dask_worker_still_gives_the_complete_identical_result(reference, dask_session, tmp_path):
    marker = tmp_path / "killed"
    pids = set(dask_session.client.run(os.getpid).values())
    results = dask_session.map(_train_or_die, [(str(marker), t) for t in sweep()])
    killed = int(marker.read_text())
    assert killed in pids  # a worker process of the cluster really died mid-run
    assert_same_sweep(results, reference[1])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_fails_fast_naming_the_address():
    """At the default connect_timeout_s (5 s); importing distributed, paid once per process, is
    not counted."""
    import distributed  # noqa: F401

    address = f"tcp://127.0.0.1:{_closed_port()}"
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match=address.replace(".", r"\.")):
        map_tasks(_square, [1], ExecutorParams(kind="dask", address=address))
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("bad, key", [
    ({"kind": "cluster"}, "kind"),
    ({"workers": 0}, "workers"),
    ({"connect_timeout_s": 0}, "connect_timeout_s"),
    ({"connect_timeout_s": 61}, "connect_timeout_s"),
    ({"retries": -1}, "retries"),
    ({"address": ""}, "address"),
    ({"start_method": "fork"}, "start_method"),
    ({"nodes": 3}, "nodes"),
])
def test_bad_executor_params_are_rejected_naming_the_key(bad, key):
    with pytest.raises(ValidationError, match=key):
        ExecutorParams(**bad)


def test_address_without_dask_is_rejected_naming_both_keys():
    with pytest.raises(ValidationError, match="address = 'tcp://h:8786' is only allowed with kind = 'dask'"):
        ExecutorParams(kind="process", address="tcp://h:8786")


def test_bad_fan_out_arguments_are_rejected_before_any_compute():
    with pytest.raises(TypeError, match="executor"):
        map_tasks(_square, [1], "dask")
    with pytest.raises(ValueError, match="n_seeds = 0"):
        seed_tasks("mlp", 0)
    with pytest.raises(ValueError, match="kind = 'rnn'"):
        seed_tasks("rnn", 2)


def test_an_open_session_is_left_open_by_the_fan_outs():
    with open_executor(ExecutorParams()) as session:
        assert map_tasks(_square, [2], session) == [4]
        assert isinstance(session, Session) and session.params.kind == "local"
