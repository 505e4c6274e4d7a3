"""In-process federated learning of GLM SNNs (FL-SNN, spec §3.2): K devices, a server, splits,
the communication-limited (slice) variant and the uplink counter.

Every device trains its own copy of the network on its own samples with the local rule
(``glm_snn.train_samples``); all devices step in lockstep, vectorised over the device axis.
Every ``tau * delta_s`` local steps each device uploads its parameters and the server sets every
parameter to the device mean and broadcasts it (``aggregate``). With ``rate < 1`` a device
uploads only ``round(rate K_a)`` of the ``K_a`` basis-weight slices ``W[:, :, k]`` (those that
moved most, by ``sum |W_device - W_server|``) besides its biases and feedback weights; the server
averages each slice over the devices that sent it and keeps its own value where none did.

Randomness: device ``d``'s sample order comes from ``default_rng([seed, 0, d])`` and the draws
of its hidden neurons on its ``n``-th sample from ``default_rng([seed, 1, d, n])``, so a device's
stream does not depend on K or on the other devices.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import Field

from ..schema import Params
from .glm_snn import GLMParams, GLMState, RuleParams, RuleState, evaluate, init_weights, train_steps

__all__ = ["FLParams", "FLResult", "LocalTraining", "SPLITS", "aggregate", "device_orders", "eval_samples",
           "run_federated", "select_slices", "server_update", "split_devices", "uplink_per_round"]

Split = Literal["iid", "label_halves", "one_class_per_device"]
SPLITS = ("iid", "label_halves", "one_class_per_device")
Mode = Literal["federated", "separate", "centralised"]


class FLParams(Params):
    """Federation knobs."""

    n_devices: int = Field(2, ge=1, le=1024, description="K, devices")
    split: Split = Field("one_class_per_device", description="how the training data is shared: one of "
                                                             f"{SPLITS}")
    tau: int = Field(1, ge=1, le=100_000, description="aggregation every tau * delta_s local steps")
    rate: float = Field(1.0, ge=0, le=1, description="share of the K_a basis-weight slices a device uploads per "
                                                     "round (1 = everything)")
    uplink_bits: int = Field(32, ge=1, le=64, description="bits per uploaded number in the uplink count")
    samples_per_device: int = Field(100, ge=1, le=1_000_000, description="training samples each device "
                                                                         "processes (its data cycled)")
    n_evals: int = Field(4, ge=1, le=1000, description="test points along training (accuracy curve)")


def split_devices(y: np.ndarray, n_devices: int, split: str, seed: int) -> list[np.ndarray]:
    """Training-sample indices of each device.

    ``iid``: a seeded permutation dealt round-robin. ``label_halves``: the sorted classes cut in
    two halves; devices ``0 .. ceil(K/2)-1`` share the first half's samples, the others the
    second's (round-robin). ``one_class_per_device``: device ``d`` holds class ``classes[d mod C]``
    (devices with the same class share its samples round-robin)."""
    if split not in SPLITS:
        raise ValueError(f"split = {split!r} is not allowed: one of {SPLITS}")
    rng = np.random.default_rng(int(seed))
    classes = np.unique(y)
    if split == "iid":
        perm = rng.permutation(len(y))
        return [np.sort(perm[d::n_devices]) for d in range(n_devices)]
    if split == "label_halves":
        halves = [classes[: math.ceil(len(classes) / 2)], classes[math.ceil(len(classes) / 2):]]
        groups = [list(range(math.ceil(n_devices / 2))), list(range(math.ceil(n_devices / 2), n_devices))]
    else:
        halves = [[c] for c in classes]
        groups = [[d for d in range(n_devices) if d % len(classes) == i] for i in range(len(classes))]
    out: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * n_devices
    for labels, devs in zip(halves, groups):
        if not devs:
            continue
        idx = rng.permutation(np.flatnonzero(np.isin(y, labels)))
        for i, d in enumerate(devs):
            out[d] = np.sort(idx[i::len(devs)])
    return out


def select_slices(W_dev: np.ndarray, W_server: np.ndarray, n_send: int) -> np.ndarray:
    """Mask (D, K_a) of the slices each device uploads: its ``n_send`` slices with the largest
    ``sum_{i,j} |W_dev[d, i, j, k] - W_server[i, j, k]|`` (ties: lower k first)."""
    moved = np.abs(W_dev - W_server[None]).sum(axis=(1, 2))  # (D, K_a)
    order = np.argsort(-moved, axis=1, kind="stable")[:, :n_send]
    mask = np.zeros(moved.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def aggregate(dev: GLMState, server: GLMState, mask: np.ndarray | None = None) -> GLMState:
    """The server's new parameters (leading axis 1): ``w_fb`` and ``gamma`` the device mean; each
    slice ``W[:, :, k]`` the mean over the devices whose ``mask[d, k]`` is set (all when ``mask``
    is None), the server's old slice where no device sent it."""
    if mask is None:
        W = dev.W.mean(axis=0)
    else:
        m = mask[:, None, None, :].astype(np.float64)
        n = m.sum(axis=0)
        W = np.where(n > 0, (dev.W * m).sum(axis=0) / np.maximum(n, 1.0), server.W[0])
    return GLMState(W[None], dev.w_fb.mean(axis=0, keepdims=True), dev.gamma.mean(axis=0, keepdims=True))


def uplink_per_round(n_learn: int, n_pre: int, n_basis: int, rate: float, bits: int) -> tuple[int, int]:
    """(floats, bits) one device uploads per round: ``n_send = round(rate K_a)`` slices of
    ``n_learn * n_pre`` weights, plus ``2 n_learn`` biases and feedback weights; bits are
    ``floats * bits`` plus, when only some slices are sent, ``ceil(log2 K_a)`` bits per slice index."""
    n_send = int(round(rate * n_basis))
    floats = n_send * n_learn * n_pre + 2 * n_learn
    index_bits = n_send * math.ceil(math.log2(n_basis)) if n_send < n_basis and n_basis > 1 else 0
    return floats, floats * bits + index_bits


@dataclass
class FLResult:
    """Accuracy curve (local steps per device, accuracy) and totals of one run."""

    steps: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    rounds: int = 0
    uplink_floats: int = 0
    uplink_bits: int = 0
    final: GLMState | None = None

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


def device_orders(idx: list[np.ndarray], n: int, seed: int, devices: list[int] | None = None) -> np.ndarray:
    """(D, n) sample indices: device ``devices[i]`` (default ``i``) cycles through permutations of
    its data ``idx[i]`` drawn from ``default_rng([seed, 0, device])``."""
    devices = list(range(len(idx))) if devices is None else devices
    rows = []
    for d, own in zip(devices, idx):
        rng = np.random.default_rng([int(seed), 0, int(d)])
        reps = -(-n // len(own))
        rows.append(np.concatenate([rng.permutation(own) for _ in range(reps)])[:n])
    return np.stack(rows)


def eval_samples(n_samples: int, n_evals: int) -> set[int]:
    """Sample counts (per device) after which the accuracy curve is measured: ``n_evals`` evenly
    spaced up to ``n_samples``."""
    return set(np.linspace(n_samples / n_evals, n_samples, n_evals).round().astype(int).tolist())


class LocalTraining:
    """The local side of a federation: devices ``devices`` (global ids, default ``0 .. D-1``, which
    key their random streams) training their copies ``st`` (D, ...) on their own samples
    ``device_idx`` of the frames ``x`` with the local rule, stepping in lockstep.

    Device ``d``'s sample order comes from ``default_rng([seed, 0, d])`` and the draws of its
    hidden neurons on its ``n``-th sample from ``default_rng([seed, 1, d, n])``: a device's stream
    is the same whether it runs alone (a Flower client) or vectorised with the others
    (``run_federated``)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, device_idx: list[np.ndarray], glm: GLMParams,
                 rule: RuleParams, n_out: int, n_samples: int, seed: int, st: GLMState,
                 devices: list[int] | None = None):
        self.devices = list(range(len(device_idx))) if devices is None else list(devices)
        self.x, self.y, self.glm, self.rule, self.n_out = x.astype(np.float64), y, glm, rule, n_out
        self.n_samples, self.seed, self.st = n_samples, int(seed), st
        self.rs = RuleState.zeros(st)
        self.orders = device_orders(device_idx, n_samples, seed, self.devices)
        self._it = self.steps()

    def load(self, server: GLMState) -> None:
        """Set every device's parameters to the server's (leading axis 1): the broadcast."""
        self.st.W[:] = server.W
        self.st.w_fb[:] = server.w_fb
        self.st.gamma[:] = server.gamma

    def steps(self) -> Iterator[tuple[int, int]]:
        """Train through all ``n_samples`` samples per device, yielding (local step, samples
        completed per device) after every step."""
        T, n_learn = self.x.shape[1], self.st.gamma.shape[1]
        for n in range(self.n_samples):
            batch = self.orders[:, n]
            uniforms = np.stack([np.random.default_rng([self.seed, 1, d, n]).random((T, n_learn))
                                 for d in self.devices])
            for t, step in enumerate(train_steps(self.st, self.rs, self.glm, self.rule, self.x[batch], self.y[batch],
                                                 self.n_out, uniforms)):
                yield step, n + (t == T - 1)

    def advance_to(self, step: int) -> None:
        """Train until the local step counter reaches ``step`` (a Flower round's end)."""
        if self.rs.step > step:
            raise ValueError(f"step = {step} is not allowed: the devices are already at step {self.rs.step}")
        while self.rs.step < step:
            if next(self._it, None) is None:
                raise ValueError(f"step = {step} is not allowed: the devices' data end at step {self.rs.step}")


def server_update(dev: GLMState, server: GLMState, n_send: int) -> GLMState:
    """One aggregation: every device uploads its ``n_send`` most-moved slices (all when
    ``n_send = K_a``; ``select_slices``), the server averages them (``aggregate``)."""
    n_basis = server.W.shape[-1]
    mask = None if n_send == n_basis else select_slices(dev.W, server.W[0], n_send)
    return aggregate(dev, server, mask)


def run_federated(x: np.ndarray, y: np.ndarray, device_idx: list[np.ndarray], x_test: np.ndarray,
                  y_test: np.ndarray, n_out: int, glm: GLMParams, rule: RuleParams, fl: FLParams,
                  mode: Mode, seed: int, init_seed: int, eval_seed: int) -> FLResult:
    """Train on the frames ``x`` (n, T, n_in) uint8 with labels ``y`` held by devices
    ``device_idx`` and test on ``x_test``.

    ``federated``: all devices, aggregation every ``tau * delta_s`` steps (slices when
    ``rate < 1``); the accuracy is the server model's. ``separate``: the same devices, never
    aggregated; the accuracy is the mean over devices of each device's model. ``centralised``:
    one device holding the union of the data, processing ``K * samples_per_device`` samples (the
    same total). The curve has ``n_evals`` points evenly spaced in samples (``separate``: the last
    only, since it evaluates every device's model). A Flower deployment of the same run
    (``neurobench.federated.flower``) shares ``LocalTraining``, ``server_update`` and ``aggregate``."""
    if mode == "centralised":
        device_idx = [np.sort(np.concatenate(device_idx))]
        n_samples = fl.samples_per_device * fl.n_devices
    else:
        n_samples = fl.samples_per_device
    D = len(device_idx)
    n_in, T = x.shape[2], x.shape[1]
    st = init_weights(glm, n_in, n_out, init_seed, D)
    server = st.device(0)
    local = LocalTraining(x, y, device_idx, glm, rule, n_out, n_samples, seed, st)
    period = fl.tau * rule.delta_s
    n_send = int(round(fl.rate * glm.n_basis))
    floats, bits = uplink_per_round(st.gamma.shape[1], st.W.shape[2], glm.n_basis, fl.rate, fl.uplink_bits)
    res = FLResult()
    federate = mode == "federated" and D > 1
    eval_at = eval_samples(n_samples, fl.n_evals)
    xt = x_test.astype(np.float64)
    for step, done in local.steps():
        if federate and step % period == 0:
            server = server_update(st, server, n_send)
            local.load(server)
            res.rounds += 1
            res.uplink_floats += D * floats
            res.uplink_bits += D * bits
        if step % T or done not in eval_at or not (federate or mode == "centralised" or done == n_samples):
            continue
        if federate:
            acc = evaluate(server if step % period == 0 else aggregate(st, server), glm, xt, y_test, n_out, eval_seed)
        else:
            acc = float(np.mean([evaluate(st.device(d), glm, xt, y_test, n_out, eval_seed) for d in range(D)]))
        res.steps.append(done * T)
        res.accuracy.append(acc)
    res.final = server if federate else st
    return res
