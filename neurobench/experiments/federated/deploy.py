"""The ``federated`` stage's two-class federation (E-FL-1, ``fl`` of the section) as a Flower
deployment (``neurobench.federated.flower``): one server process, one client process per device,
on one machine or many.

    # on the server machine (port 8080 open to the clients):
    python -m neurobench.experiments.federated.deploy server --address 0.0.0.0:8080 [--params params.yaml]
    # on each device's machine, d = 0 .. n_devices - 1:
    python -m neurobench.experiments.federated.deploy client --server SERVER_HOST:8080 --device d

The server reads the ``federated`` section (replicate ``--replicate``, ``replicate_section``) and
sends it to the clients in round 1 as JSON, so a client needs the package but no params file;
each client loads the digits, encodes them and keeps its own share (``device_indices``), exactly
as the in-process run does. The server prints the accuracy curve, the rounds and the uplink and
writes them with ``--out result.json``; its curve equals ``run_federated``'s for the same section.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ...config import DEFAULT_PARAMS, load_section
from ...federated.flower import DeviceTask, FLStrategy, FlowerDevice, ServerTask, connect, serve
from .params import FederatedSection
from .stages import device_indices, load_digits_spikes, replicate_section

__all__ = ["device_task", "main", "server_task", "strategy"]


def server_task(cfg: FederatedSection) -> ServerTask:
    """The server's share of the two-class study of ``cfg`` (already a replicate's section)."""
    data = load_digits_spikes(cfg, cfg.classes)
    return ServerTask(data.x[data.test_idx], data.y[data.test_idx], data.x.shape[2], data.x.shape[1],
                      data.n_classes, cfg.glm, cfg.rule, cfg.fl, cfg.init_seed, cfg.eval_seed)


def device_task(spec: str, device: int) -> DeviceTask:
    """Device ``device``'s share of the two-class study of the section ``spec`` (JSON)."""
    cfg = FederatedSection.model_validate_json(spec)
    data = load_digits_spikes(cfg, cfg.classes)
    idx = device_indices(data, cfg, cfg.fl)
    if not 0 <= device < len(idx):
        raise ValueError(f"device = {device} is not allowed: fl.n_devices = {len(idx)} (ids 0 .. {len(idx) - 1})")
    return DeviceTask(data.x, data.y, idx[device], cfg.glm, cfg.rule, cfg.fl, data.n_classes, cfg.train_seed)


def strategy(cfg: FederatedSection, wait_s: float = 60.0) -> FLStrategy:
    """The Flower strategy of the two-class study of ``cfg`` (a replicate's section)."""
    return FLStrategy(server_task(cfg), cfg.model_dump_json(), wait_s=wait_s)


def _server(args: argparse.Namespace) -> int:
    cfg = replicate_section(load_section("federated", args.params), args.replicate)
    strat = strategy(cfg, args.wait)
    t0 = time.perf_counter()
    res = serve(args.address, strat, args.round_timeout)
    out = {"steps": res.steps, "accuracy": res.accuracy, "rounds": res.rounds, "uplink_floats": res.uplink_floats,
           "uplink_bits": res.uplink_bits, "flower_rounds": strat.num_rounds, "monitor_floats": strat.monitor_floats,
           "round_wall_s": strat.round_wall, "wall_s": time.perf_counter() - t0}
    print(json.dumps({k: v for k, v in out.items() if k != "round_wall_s"}))
    if args.out:
        Path(args.out).write_text(json.dumps(out))
    return 0


def _client(args: argparse.Namespace) -> int:
    connect(args.server, FlowerDevice(args.device, device_task), args.connect_timeout)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m neurobench.experiments.federated.deploy", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="role", required=True)
    s = sub.add_parser("server", help="run the Flower server (aggregation, accuracy curve)")
    s.add_argument("--address", default="0.0.0.0:8080", help="HOST:PORT to listen on")
    s.add_argument("--params", default=str(DEFAULT_PARAMS), help="params file with the federated section")
    s.add_argument("--replicate", type=int, default=0, help="replicate r (its seeds are child_seed(seed, r))")
    s.add_argument("--wait", type=float, default=60.0, help="seconds to wait for all devices to connect")
    s.add_argument("--round-timeout", type=float, default=None, help="seconds a round waits for the clients")
    s.add_argument("--out", default=None, help="write the result as JSON here")
    c = sub.add_parser("client", help="run one device as a Flower client")
    c.add_argument("--server", required=True, help="the server's HOST:PORT")
    c.add_argument("--device", type=int, required=True, help="device id, 0 .. n_devices - 1")
    c.add_argument("--connect-timeout", type=float, default=10.0, help="seconds to reach the server")
    args = ap.parse_args(argv)
    try:
        return _server(args) if args.role == "server" else _client(args)
    except Exception as e:  # one clear line, and no gRPC thread left to keep the process alive
        print(f"error: {e}", file=sys.stderr, flush=True)
        sys.stdout.flush()
        os._exit(1)


if __name__ == "__main__":
    sys.exit(main())
