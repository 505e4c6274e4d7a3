"""Asynchronous execution batched in torch: differentiable, for unlayered backprop training.

Same semantics as the event-driven path ``neurobench.sim.asynchronous`` (read its docstring):
frames, forward steps emitting at most ``F`` spikes per sample, threshold checks only for neurons
that received a non-zero net current, refractory within a frame, the same stopping modes. Scheduling decisions
use the same ``neurobench.sim.schedulers`` code on the same queue, so for the same seed both
paths emit the same spikes (checked by the tests).

This is the *dense batched* approach of the authors' asynctorch: every forward step runs a full
dense layer pass ``I_{l+1} = (e_l * s_l) W_{l+1}^T`` on the (batch, n_l) vector of emitted spikes
``e_l`` (mostly zeros), for every layer with an emitted spike. Its cost per step is
``O(batch * sum_l n_l n_{l+1})`` whatever the number of spikes.

Gradients (unlayered backprop, Koopman et al. 2024): the membrane update, the currents and the
output counts are differentiable; the spike nonlinearity is a Heaviside step in the forward pass
(``v >= v_th``) with an snnTorch surrogate derivative (``snntorch.surrogate.atan`` by default)
in the backward pass, for every neuron whose threshold was checked. The schedule (which spikes a
step emits), the update masks, the refractory flags and the resets (detached, as snnTorch does)
are constants, so the gradient follows the causal chain the schedule produced. An emitted spike
carries the surrogate of the neuron's latest spike.

Training-only options: ``input_dropout`` (drop each input event with probability p),
``refractory_dropout`` (with probability p a spiking neuron does not become refractory) and
per-frame truncation (``on_frame`` callback plus ``truncate=True``: state is detached after every
frame so the caller can backpropagate frame by frame).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..network import Dense, Network
from ..neurons import NeuronParams
from .asynchronous import AsyncConfig, AsyncGraph, AsyncRecord, _book, _check_inputs, _EventState, _halt, sample_ids
from .schedulers import PendingSpikes, Scheduler, make_scheduler, select, select_dense

__all__ = ["AsyncTorchNet", "TorchRun", "run_async_torch", "spike_fn"]


def spike_fn(u: torch.Tensor, fire: torch.Tensor, check: torch.Tensor, surrogate) -> torch.Tensor:
    """Spikes ``fire`` (0/1) forward, ``d surrogate(u) / du`` backward where ``check`` is 1."""
    if surrogate is None or not u.requires_grad:
        return fire.to(u.dtype)
    sg = surrogate(u)
    return (sg - sg.detach() + fire.to(u.dtype)) * check.to(u.dtype)


class AsyncTorchNet(nn.Module):
    """Dense, bias-free feed-forward weights as torch parameters, plus each layer's neurons.

    Parameters
    ----------
    weights : sequence of (n_out, n_in) tensors or arrays
        Weights in mV (delta synapses).
    neurons : NeuronParams or one per layer
        ``tau_syn = 0`` and ``t_ref = 0`` (refractoriness is the per-frame flag).
    """

    def __init__(self, weights: Sequence, neurons: NeuronParams | Sequence[NeuronParams],
                 dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.as_tensor(np.asarray(w), dtype=dtype).clone()) for w in weights]
        )
        if isinstance(neurons, NeuronParams):
            neurons = (neurons,) * len(self.weights)
        self.neurons = tuple(neurons)
        if len(self.neurons) != len(self.weights):
            raise ValueError(f"AsyncTorchNet has {len(self.weights)} layers but {len(self.neurons)} neuron sets")

    @classmethod
    def from_network(cls, network: Network, dtype: torch.dtype = torch.float64) -> "AsyncTorchNet":
        """Dense copies of every layer's ``weight_matrix`` (any layer type)."""
        mats = [network.weight_matrix(i).toarray() for i in range(len(network.layers))]
        return cls(mats, network.neurons, dtype)

    def to_network(self) -> Network:
        """The same weights as a ``Network`` of ``Dense`` layers (float64)."""
        n_in = self.weights[0].shape[1]
        layers = [Dense(w.detach().cpu().double().numpy()) for w in self.weights]
        return Network((n_in,), tuple(layers), self.neurons)


@dataclass
class TorchRun:
    """Result of ``run_async_torch``: differentiable output counts and the bookkeeping record."""

    output: torch.Tensor  # (batch, n_out) output spike counts, differentiable
    record: AsyncRecord


def run_async_torch(
    model: AsyncTorchNet,
    input_frames,
    config: AsyncConfig = AsyncConfig(),
    scheduler: Scheduler | str = "random",
    seed: int = 0,
    sample_offset: int | np.ndarray = 0,
    surrogate=None,
    input_dropout: float = 0.0,
    refractory_dropout: float = 0.0,
    generator: torch.Generator | None = None,
    on_frame: Callable[[int, torch.Tensor], None] | None = None,
    truncate: bool = False,
    record_frames: bool = False,
    full_pass: bool = False,
) -> TorchRun:
    """Asynchronous execution of ``model`` on a batch, batched in torch (see the module docstring).

    Parameters
    ----------
    model : AsyncTorchNet
    input_frames : array or tensor (batch, n_frames, n_in) of 0/1
    config, scheduler, seed, sample_offset, record_frames
        As for ``neurobench.sim.asynchronous.simulate_async``.
    surrogate : callable or None
        snnTorch surrogate (e.g. ``snntorch.surrogate.atan()``); None gives no spike gradient.
    input_dropout, refractory_dropout : float in [0, 1)
        Training regularisers, drawn from ``generator`` (required when either is > 0).
    on_frame : callable(frame, frame_output_counts) or None
        Called after every frame with that frame's differentiable output counts (batch, n_out).
    truncate : bool
        Detach the state after every frame (truncated per-frame backprop).
    full_pass : bool
        asynctorch's cost structure, same results: scheduling keys for every neuron and a full
        sort per sample, and every layer's dense pass in every forward step (default: only the
        pending entries are sorted and layers without emitted spikes are skipped).
    """
    for name, p in (("input_dropout", input_dropout), ("refractory_dropout", refractory_dropout)):
        if not (0.0 <= p < 1.0):
            raise ValueError(f"{name} must be in [0, 1), got {p}")
    if (input_dropout > 0 or refractory_dropout > 0) and generator is None:
        raise ValueError("input_dropout / refractory_dropout need a seeded torch.Generator")
    weights = list(model.weights)
    dtype = weights[0].dtype
    net = Network((weights[0].shape[1],), tuple(Dense(np.zeros(tuple(w.shape))) for w in weights), model.neurons)
    graph = AsyncGraph.build(net, config.frame_dt)
    sched = make_scheduler(scheduler, seed)
    x_np = np.asarray(input_frames.detach().cpu().numpy() if torch.is_tensor(input_frames) else input_frames)
    x_np = _check_inputs(graph, x_np)
    batch, n_frames, n_in = x_np.shape
    n = graph.n_total
    off = graph.offsets
    n_layers = graph.n_layers
    st = _EventState(graph, batch, n_frames, record_frames)
    ids = sample_ids(sample_offset, batch)
    pend2 = st.pend.reshape(batch, n)
    ref2 = st.ref.reshape(batch, n)
    fan_out = [(w.detach() != 0).sum(dim=0).cpu().numpy().astype(np.int64) for w in weights]
    th = [p.v_th for p in model.neurons]
    zero = [p.reset == "zero" for p in model.neurons]
    beta = graph.beta_layer
    v = [torch.zeros(batch, s, dtype=dtype) for s in graph.sizes[1:]]
    sval = [torch.zeros(batch, s, dtype=dtype) for s in graph.sizes[1:-1]]
    out_total = torch.zeros(batch, graph.sizes[-1], dtype=dtype)
    halt_after = config.halt_after
    input_events = np.zeros(batch, dtype=np.int64)
    prev_counts = None

    def deliver_layer(l: int, e: np.ndarray, step_global: np.ndarray, step: int, out_frame):
        """Emitted spikes e (batch, n_l) of population l -> layer l+1: currents, checks, spikes."""
        et = torch.from_numpy(e).to(dtype)
        src = et if l == 0 else et * sval[l - 1]
        st.synops[:, l] += e.astype(np.int64) @ fan_out[l]
        cur = src @ weights[l].T
        recv = cur.detach() != 0  # non-zero net current: the neurons that check their threshold
        if config.refractory:
            ref_t = torch.from_numpy(ref2[:, off[l + 1] : off[l + 2]].copy())
            v[l] = torch.where(ref_t, v[l], v[l] + cur)
            check = recv & ~ref_t
        else:
            v[l] = v[l] + cur
            check = recv
        u = v[l] - th[l]
        fire = (v[l].detach() >= th[l]) & check
        spk = spike_fn(u, fire, check, surrogate)
        fire_np = fire.cpu().numpy()
        fb, fj = np.nonzero(fire_np)
        if fb.size:
            over = ((v[l].detach() - th[l]) / th[l]).cpu().numpy()[fb, fj]
            firef = fire.to(dtype)
            v[l] = v[l] * (1.0 - firef) if zero[l] else v[l] - th[l] * firef
            cand = fb * n + off[l + 1] + fj
            ref_set = None
            if config.refractory:
                ref_set = cand
                if refractory_dropout > 0:
                    keep = torch.rand(cand.size, generator=generator, dtype=torch.float64).numpy() >= refractory_dropout
                    ref_set = cand[keep]
            fresh = _book(graph, st, cand, over, ref_set, step_global, step, batch)
        else:
            fresh = np.zeros(0, dtype=np.int64)
        if l + 1 < n_layers:
            sval[l] = torch.where(fire, spk, sval[l])
        else:
            out_frame[0] = out_frame[0] + spk
        return fresh

    for frame in range(n_frames):
        live = ~st.halted
        if not live.any():
            break
        out_frame = [torch.zeros(batch, graph.sizes[-1], dtype=dtype)]
        for i in range(n_layers):
            if beta[i] != 1.0:
                v[i] = v[i] * beta[i]
        if config.refractory:
            st.ref[:] = False
        xf = x_np[:, frame] & live[:, None]
        if input_dropout > 0:
            drop = torch.rand(xf.shape, generator=generator, dtype=torch.float64).numpy() < input_dropout
            xf = xf & ~drop
        xb, xi = np.nonzero(xf)
        input_events += np.bincount(xb, minlength=batch)
        step_global = st.base.copy()
        if config.prioritize_input:
            queue = deliver_layer(0, xf.astype(np.float64), step_global, 0, out_frame) if xb.size else xb
        else:
            queue = xb * n + xi
            st.pend[queue] = 1
            st.enq[queue] = 0
        queue = _halt(st, graph, queue, halt_after, step_global)
        step = 0
        while True:
            qb, qg = np.nonzero(pend2)
            if qb.size == 0:
                break
            queue = qb * n + qg
            if step == config.max_steps:
                np.add.at(st.dropped, qb, st.pend[queue])
                st.pend[queue] = 0
                break
            step += 1
            pending = PendingSpikes(queue, ids[qb], qg, graph.layer_of[qg], st.enq[queue],
                                    st.over[queue], frame, step, n_layers)
            if full_pass:
                every = np.arange(batch * n, dtype=np.int64)
                g_all = every % n
                everyone = PendingSpikes(every, ids[every // n], g_all, graph.layer_of[g_all], st.enq,
                                         st.over, frame, step, n_layers)
                emit = select_dense(everyone, st.pend > 0, sched, config.forward_group, batch)
            else:
                emit = queue[select(pending, sched, config.forward_group, qb)]
            st.pend[emit] -= 1
            st.steps[qb, frame] = step
            step_global = st.base + st.steps[:, frame]
            emask = np.zeros((batch, n))
            emask.reshape(-1)[emit] = 1.0
            for l in range(n_layers):
                e = emask[:, off[l] : off[l + 1]]
                if full_pass or e.any():
                    deliver_layer(l, e, step_global, step, out_frame)
            qb, qg = np.nonzero(pend2)
            _halt(st, graph, qb * n + qg, halt_after, step_global)
        st.base += st.steps[:, frame]
        out_total = out_total + out_frame[0]
        if on_frame is not None:
            on_frame(frame, out_frame[0])
        if truncate:
            v = [t.detach() for t in v]
            sval = [t.detach() for t in sval]
            out_total = out_total.detach()
        if record_frames:
            counts = st.count.reshape(batch, n)[:, n_in:]
            st.frame_counts[:, frame] = counts - (0 if prev_counts is None else prev_counts)
            prev_counts = counts.copy()
    counts = st.count.reshape(batch, n)
    spike_count = [counts[:, off[i] : off[i + 1]].copy() for i in range(1, n_layers + 1)]
    frame_counts = None
    if record_frames:
        frame_counts = [st.frame_counts[:, :, off[i] - n_in : off[i + 1] - n_in] for i in range(1, n_layers + 1)]
    if st.events:
        events = tuple(np.concatenate(col) for col in zip(*st.events))
    else:
        events = tuple(np.zeros(0, dtype=np.int64) for _ in range(3))
    record = AsyncRecord(spike_count, st.synops, input_events, st.steps, st.first, st.first_spikes,
                         events, frame_counts, st.dropped, st.halted)
    return TorchRun(out_total, record)
