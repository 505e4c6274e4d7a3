"""The in-process federation (``fl.run_federated``, mode ``federated``) as a Flower deployment
(``flwr`` 1.42): every device a Flower client in its own process, possibly on its own machine,
the server's aggregation a Flower strategy.

Transport: Flower's legacy gRPC API (``flwr.server.start_server`` / ``flwr.client.start_client``,
deprecated since Flower 1.13 in favour of ``flower-superlink`` / ``flower-supernode`` with
ServerApp / ClientApp bundles, still shipped and working in 1.42). It needs no simulation engine
and no app bundle: a server process and one process per device, with an open TCP port on the
server. Clients keep their state (weights, eligibility traces, position in their data) in their
process between rounds.

Rounds. A Flower round ends at the next *event* of the in-process run (``schedule``): an
aggregation (every ``tau * delta_s`` local steps) or a point of the accuracy curve (after
``eval_samples`` samples). In a round the server sends its parameters and ``until`` (the local
step to train to); each client loads them if the last round aggregated (the broadcast), trains
with ``fl.LocalTraining`` (the same code, seeds and random streams as in-process, keyed by the
device's id) and returns its parameters: at an aggregation its ``round(rate K_a)`` most-moved
basis-weight slices (``fl.select_slices``) with their indices, its feedback weights and biases;
at a curve point that is not an aggregation its whole model, which the server averages for the
accuracy only (what ``run_federated`` evaluates there) without broadcasting it. The strategy
averages with ``fl.aggregate`` and counts the uplink from what it received. The accuracy curve,
rounds and uplink totals equal ``run_federated``'s bit for bit (``tests/federated/test_flower.py``).

What a process needs: the server a ``ServerTask`` (test data and params) and the experiment's
*spec*, a string it sends to the clients in round 1; a client its device id and a ``setup(spec,
device)`` that builds its ``DeviceTask`` (its data) from the spec. The ``federated`` stage's
command line (``python -m neurobench.experiments.federated.deploy``) provides both.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from flwr.client import NumPyClient
from flwr.common import FitIns, FitRes, Parameters, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.server.client_manager import ClientManager
from flwr.server.client_proxy import ClientProxy
from flwr.server.strategy import Strategy

from .fl import FLParams, FLResult, LocalTraining, aggregate, eval_samples, select_slices
from .glm_snn import GLMParams, GLMState, RuleParams, evaluate, init_weights

__all__ = ["DeviceTask", "FLStrategy", "FlowerDevice", "ServerTask", "connect", "parse_address", "schedule",
           "serve"]


@dataclass
class DeviceTask:
    """One device's share of an experiment: frames ``x`` (n, T, n_in) uint8 and labels ``y`` (its
    samples are ``idx``), the network, rule and federation params, the number of classes and the
    training seed (``run_federated``'s ``seed``)."""

    x: np.ndarray
    y: np.ndarray
    idx: np.ndarray
    glm: GLMParams
    rule: RuleParams
    fl: FLParams
    n_out: int
    seed: int


@dataclass
class ServerTask:
    """The server's share: the test set, the input shape (``n_in`` inputs, ``n_steps`` steps per
    sample), the number of classes, the params and the seeds of the initial weights and of the
    test-time draws."""

    x_test: np.ndarray
    y_test: np.ndarray
    n_in: int
    n_steps: int
    n_out: int
    glm: GLMParams
    rule: RuleParams
    fl: FLParams
    init_seed: int
    eval_seed: int


def schedule(fl: FLParams, rule: RuleParams, n_steps: int) -> list[tuple[int, bool, bool]]:
    """The Flower rounds of a run: (local step the round trains to, aggregation?, curve point?),
    the union of the aggregation steps (multiples of ``tau * delta_s``; none with one device) and
    the steps after the ``eval_samples`` samples (the last only with one device, as in
    ``run_federated``)."""
    total = fl.samples_per_device * n_steps
    federate = fl.n_devices > 1
    period = fl.tau * rule.delta_s
    agg = set(range(period, total + 1, period)) if federate else set()
    ev = {n * n_steps for n in eval_samples(fl.samples_per_device, fl.n_evals)} if federate else {total}
    return [(s, s in agg, s in ev) for s in sorted(agg | ev)]


def _arrays(st: GLMState) -> list[np.ndarray]:
    return [st.W, st.w_fb, st.gamma]


class FlowerDevice(NumPyClient):
    """Device ``device`` as a Flower client (module docstring). ``setup(spec, device)`` builds its
    ``DeviceTask`` when round 1 brings the spec."""

    def __init__(self, device: int, setup: Callable[[str, int], DeviceTask]):
        if device < 0:
            raise ValueError(f"device = {device} is not allowed: a device id >= 0")
        self.device, self.setup = int(device), setup
        self.local: LocalTraining | None = None
        self.n_send = 0

    def get_parameters(self, config):
        return []  # the strategy provides the initial parameters

    def fit(self, parameters, config):
        server = GLMState(*(np.asarray(a, dtype=np.float64) for a in parameters))
        if self.local is None:
            task = self.setup(str(config["spec"]), self.device)
            if self.device >= task.fl.n_devices:
                raise ValueError(f"device = {self.device} is not allowed: the experiment has n_devices = "
                                 f"{task.fl.n_devices} (ids 0 .. {task.fl.n_devices - 1})")
            self.n_send = int(round(task.fl.rate * task.glm.n_basis))
            self.local = LocalTraining(task.x, task.y, [task.idx], task.glm, task.rule, task.n_out,
                                       task.fl.samples_per_device, task.seed, server.copy(), devices=[self.device])
        if config["broadcast"]:
            self.local.load(server)
        self.local.advance_to(int(config["until"]))
        st = self.local.st
        if config["aggregate"] and self.n_send < st.W.shape[-1]:
            k = np.flatnonzero(select_slices(st.W, server.W[0], self.n_send)[0])
            out = [st.W[0][:, :, k], st.w_fb[0], st.gamma[0], k]
        else:
            out = [st.W[0], st.w_fb[0], st.gamma[0]]
        return [np.array(a) for a in out], 1, {"device": self.device, "step": self.local.rs.step}


@dataclass
class FLStrategy(Strategy):
    """The server of ``run_federated`` as a Flower strategy (module docstring). ``result`` holds the
    accuracy curve, rounds and uplink totals as ``run_federated`` returns them;
    ``monitor_floats`` counts the floats uploaded for curve points that are not aggregations
    (the deployment's monitoring cost, not part of the uplink); ``round_wall`` the wall time (s)
    of every Flower round, from sending the instructions to the aggregate."""

    task: ServerTask
    spec: str
    wait_s: float = 60.0
    result: FLResult = field(default_factory=FLResult)
    monitor_floats: int = 0
    round_wall: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        t = self.task
        self.events = schedule(t.fl, t.rule, t.n_steps)
        self.server = init_weights(t.glm, t.n_in, t.n_out, t.init_seed, 1)
        self._xt = t.x_test.astype(np.float64)
        self._t0 = 0.0

    @property
    def num_rounds(self) -> int:
        return len(self.events)

    def initialize_parameters(self, client_manager: ClientManager) -> Parameters | None:
        return ndarrays_to_parameters(_arrays(self.server))

    def configure_fit(self, server_round: int, parameters: Parameters,
                      client_manager: ClientManager) -> list[tuple[ClientProxy, FitIns]]:
        self._t0 = time.perf_counter()
        k = self.task.fl.n_devices
        if not client_manager.wait_for(k, timeout=int(math.ceil(self.wait_s))):
            raise TimeoutError(f"n_devices = {k} Flower clients expected, {client_manager.num_available()} connected "
                               f"within {self.wait_s:g} s")
        step, agg, _ = self.events[server_round - 1]
        config = {"until": step, "aggregate": agg,
                  "broadcast": server_round == 1 or self.events[server_round - 2][1]}
        if server_round == 1:
            config["spec"] = self.spec
        ins = FitIns(ndarrays_to_parameters(_arrays(self.server)), config)
        return [(c, ins) for c in client_manager.all().values()]

    def _devices(self, server_round: int, results: list[tuple[ClientProxy, FitRes]], failures) -> dict[int, list]:
        k = self.task.fl.n_devices
        if failures:
            raise RuntimeError(f"Flower round {server_round}: {len(failures)} client(s) failed: {failures[0]!r}")
        got = {}
        for _, r in results:
            got.setdefault(int(r.metrics["device"]), []).append(parameters_to_ndarrays(r.parameters))
        if sorted(got) != list(range(k)) or any(len(v) > 1 for v in got.values()):
            ids = sorted(int(r.metrics["device"]) for _, r in results)
            raise RuntimeError(f"Flower round {server_round}: the clients' device ids are {ids}; n_devices = {k} "
                               f"needs each of 0 .. {k - 1} once")
        return {d: v[0] for d, v in got.items()}

    def aggregate_fit(self, server_round: int, results: list[tuple[ClientProxy, FitRes]], failures):
        t, st = self.task, self.server
        step, agg, ev = self.events[server_round - 1]
        sent = self._devices(server_round, results, failures)
        k, n_basis = t.fl.n_devices, t.glm.n_basis
        W = np.zeros((k,) + st.W.shape[1:])
        mask = np.zeros((k, n_basis), dtype=bool)
        floats = bits = 0
        for d, arrays in sent.items():
            if len(arrays) == 4:  # slices and their indices
                idx = arrays[3].astype(np.int64)
                W[d][:, :, idx] = arrays[0]
                mask[d, idx] = True
                bits += len(idx) * math.ceil(math.log2(n_basis))
            else:
                W[d] = arrays[0]
                mask[d] = True
            floats += sum(a.size for a in arrays[:3])
        dev = GLMState(W, np.stack([sent[d][1] for d in range(k)]), np.stack([sent[d][2] for d in range(k)]))
        metrics = {}
        if agg:
            self.server = aggregate(dev, st, None if mask.all() else mask)
            self.result.rounds += 1
            self.result.uplink_floats += floats
            self.result.uplink_bits += floats * t.fl.uplink_bits + bits
        else:
            self.monitor_floats += floats
        if ev:
            model = self.server if agg else aggregate(dev, st)
            acc = evaluate(model, t.glm, self._xt, t.y_test, t.n_out, t.eval_seed)
            self.result.steps.append(step)
            self.result.accuracy.append(acc)
            metrics = {"accuracy": acc, "step": step}
        self.result.final = self.server if k > 1 else aggregate(dev, st)  # one device: its own model
        self.round_wall.append(time.perf_counter() - self._t0)
        return ndarrays_to_parameters(_arrays(self.server)), metrics

    def configure_evaluate(self, server_round, parameters, client_manager):
        return []  # the server evaluates (aggregate_fit), as run_federated does

    def aggregate_evaluate(self, server_round, results, failures):
        return None, {}

    def evaluate(self, server_round, parameters):
        return None


def parse_address(address: str) -> tuple[str, int]:
    """(host, port) of ``"host:port"`` or ``"[ipv6]:port"``."""
    host, sep, port = address.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"address = {address!r} is not allowed: HOST:PORT with a port in 1 .. 65535")
    return host, int(port)


def serve(address: str, strategy: FLStrategy, round_timeout: float | None = None) -> FLResult:
    """Run the Flower server on ``address`` (e.g. ``0.0.0.0:8080``) until every round of
    ``strategy`` is done; returns its ``result``. Rounds wait at most ``round_timeout`` s for the
    clients (None: no limit), round 1 at most ``strategy.wait_s`` s for them to connect."""
    from flwr.server import ServerConfig, start_server

    parse_address(address)
    start_server(server_address=address, strategy=strategy,
                 config=ServerConfig(num_rounds=strategy.num_rounds, round_timeout=round_timeout))
    if len(strategy.round_wall) != strategy.num_rounds:
        raise RuntimeError(f"the Flower server on {address} stopped after {len(strategy.round_wall)} of "
                           f"{strategy.num_rounds} rounds")
    return strategy.result


def connect(address: str, client: FlowerDevice, timeout: float = 10.0) -> None:
    """Run ``client`` against the Flower server at ``address`` until the server ends the run.

    The server must accept a TCP connection within ``timeout`` s, else ``ConnectionError``
    naming the address (Flower itself would retry for ever); a server lost mid-run is retried
    for at most ``timeout`` s, then also ``ConnectionError``."""
    host, port = parse_address(address)
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host, port), timeout=max(0.1, min(1.0, deadline - time.monotonic()))).close()
            break
        except OSError as e:
            if time.monotonic() + 0.2 >= deadline:
                raise ConnectionError(f"Flower server {address} is unreachable: no connection within {timeout:g} s "
                                      f"({e})") from None
            time.sleep(0.2)
    from flwr.client import start_client

    try:
        start_client(server_address=address, client=client.to_client(), insecure=True, max_wait_time=timeout)
    except Exception as e:
        if type(e).__module__.startswith("grpc"):
            raise ConnectionError(f"Flower server {address} was lost: {e}") from e
        raise
