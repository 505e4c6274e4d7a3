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

Training-only options (``TorchTraining``): the surrogate, ``input_dropout`` (drop each input
event with probability p), ``refractory_dropout`` (with probability p a spiking neuron does not
become refractory) and per-frame truncation (``on_frame`` callback plus ``truncate=True``: state
is detached after every frame so the caller can backpropagate frame by frame).

Cost (issue 15): the torch operations on values (currents, membranes, surrogate, resets) are
fixed, in number and order, by the semantics above; the bookkeeping around them is kept cheap:
the queue of pending entries is updated per step rather than rescanned, the masks (emitted
spikes, receivers, checks, spikes) are exact 0/1 numpy arrays handed to torch, and the built-in
strategies select with the compiled kernel's selection (``async_kernel.select_batch``, the same
choice as ``schedulers.select``). ``tests/training/test_unlayered_bits.py`` pins the bits of
trained weights and gradients, so that none of this can change a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn

from ..network import Dense, Network
from ..neurons import NeuronParams
from .events import AsyncConfig, AsyncGraph, AsyncRecord, EventState, binary_frames, sample_ids
from . import async_kernel
from .asynchronous import kernel_engine
from .schedulers import PendingSpikes, Scheduler, make_scheduler, select, select_dense

__all__ = ["AsyncTorchNet", "TorchRun", "TorchTraining", "run_async_torch", "spike_fn"]


def spike_fn(u: torch.Tensor, fire: torch.Tensor, check: torch.Tensor, surrogate) -> torch.Tensor:
    """Spikes ``fire`` (0/1) forward, ``d surrogate(u) / du`` backward where ``check`` is 1."""
    if surrogate is None or not u.requires_grad:
        return fire.to(u.dtype)
    sg = surrogate(u)
    return (sg - sg.detach() + fire.to(u.dtype)) * check.to(u.dtype)


@dataclass(frozen=True)
class TorchTraining:
    """Training-time options of ``run_async_torch`` (validated on construction).

    Parameters
    ----------
    surrogate : callable or None
        snnTorch surrogate (e.g. ``snntorch.surrogate.atan()``); None gives no spike gradient.
    input_dropout : float in [0, 1)
        Probability of dropping each input event.
    refractory_dropout : float in [0, 1)
        Probability that a spiking neuron does not become refractory.
    generator : torch.Generator or None
        Source of both dropouts (required when either is > 0).
    on_frame : callable(frame, frame_output_counts) or None
        Called after every frame with that frame's differentiable output counts (batch, n_out).
    truncate : bool
        Detach the state after every frame (truncated per-frame backprop).
    """

    surrogate: Callable | None = None
    input_dropout: float = 0.0
    refractory_dropout: float = 0.0
    generator: torch.Generator | None = None
    on_frame: Callable[[int, torch.Tensor], None] | None = None
    truncate: bool = False

    def __post_init__(self) -> None:
        for name in ("input_dropout", "refractory_dropout"):
            p = getattr(self, name)
            if not (0.0 <= p < 1.0):
                raise ValueError(f"{name} must be in [0, 1), got {p}")
        if (self.input_dropout > 0 or self.refractory_dropout > 0) and self.generator is None:
            raise ValueError("input_dropout / refractory_dropout need a seeded torch.Generator")


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


class _DenseRun:
    """State of one ``run_async_torch`` call: the event bookkeeping (numpy) plus the
    differentiable membrane potentials, emitted-spike values and output counts (torch)."""

    def __init__(self, model: AsyncTorchNet, x: np.ndarray, config: AsyncConfig, sched: Scheduler,
                 sample_offset: int | np.ndarray, training: TorchTraining, record_frames: bool, full_pass: bool):
        self.weights = list(model.weights)
        self.dtype = self.weights[0].dtype
        net = Network((self.weights[0].shape[1],), tuple(Dense(np.zeros(tuple(w.shape))) for w in self.weights),
                      model.neurons)
        self.graph = graph = AsyncGraph.build(net, config.frame_dt)
        self.x = binary_frames(graph, x)
        batch, n_frames, _ = self.x.shape
        self.batch, self.n_frames = batch, n_frames
        self.ids = sample_ids(sample_offset, batch)
        self.config, self.sched, self.training, self.full_pass = config, sched, training, full_pass
        self.key_draw = torch.Generator().manual_seed(sched.seed) if full_pass else None
        # the built-in strategies select with the compiled kernel's code (the same choice as
        # schedulers.select, tested); asynctorch's full pass and other strategies use numpy
        self.compiled_select = not full_pass and kernel_engine("auto", sched)
        self.st = EventState(graph, batch, n_frames, record_frames)
        self.ref2 = self.st.ref.reshape(batch, graph.n_total)
        self.fan_out = [(w.detach() != 0).sum(dim=0).cpu().numpy().astype(np.int64) for w in self.weights]
        self.th = [p.v_th for p in model.neurons]
        self.np_dtype = torch.empty(0, dtype=self.dtype).numpy().dtype
        self.th_np = [self.np_dtype.type(t) for t in self.th]
        self.zero = [p.reset == "zero" for p in model.neurons]
        self.v = [torch.zeros(batch, s, dtype=self.dtype) for s in graph.sizes[1:]]
        self.sval = [torch.zeros(batch, s, dtype=self.dtype) for s in graph.sizes[1:-1]]
        self.out_total = torch.zeros(batch, graph.sizes[-1], dtype=self.dtype)
        self.out_frame = self.out_total

    def deliver_layer(self, layer: int, eb: np.ndarray, ej: np.ndarray, step_global: np.ndarray,
                      step: int) -> np.ndarray:
        """Emitted spikes of population ``layer`` (samples ``eb``, neurons ``ej`` within the
        population) -> ``layer + 1``: currents (mV), threshold checks, spikes, resets; returns
        the fresh queue entries (flat ids)."""
        graph, st, cfg, tr = self.graph, self.st, self.config, self.training
        n, off, th = graph.n_total, graph.offsets, self.th
        v, sval = self.v, self.sval
        # the masks (emitted spikes, receivers, checks, spikes) are built in numpy: exact 0/1 values,
        # each a fresh array (autograd may save it), cheaper than torch's comparison kernels
        e = np.zeros((self.batch, graph.sizes[layer]), dtype=self.np_dtype)
        e[eb, ej] = 1.0
        et = torch.from_numpy(e)
        src = et if layer == 0 else et * sval[layer - 1]
        st.synops[:, layer] += np.bincount(eb, weights=self.fan_out[layer][ej], minlength=self.batch).astype(np.int64)
        cur = src @ self.weights[layer].T
        recv = cur.detach().numpy() != 0  # non-zero net current: the neurons that check their threshold
        if cfg.refractory:
            ref = self.ref2[:, off[layer + 1] : off[layer + 2]]
            v[layer] = torch.where(torch.from_numpy(ref.copy()), v[layer], v[layer] + cur)
            check = recv & ~ref
        else:
            v[layer] = v[layer] + cur
            check = recv
        u = v[layer] - th[layer]
        vd = v[layer].detach()
        fire = (vd.numpy() >= self.th_np[layer]) & check  # compared in the tensor's dtype, as torch does
        firef = torch.from_numpy(fire.astype(self.np_dtype))
        spk = spike_fn(u, firef, torch.from_numpy(check.astype(self.np_dtype)), tr.surrogate)
        fb, fj = np.nonzero(fire)
        if fb.size:
            # relative overshoot of the spiking entries only (the same elementwise float ops)
            over = ((vd[torch.from_numpy(fb), torch.from_numpy(fj)] - th[layer]) / th[layer]).numpy()
            if self.zero[layer]:
                v[layer] = v[layer] * torch.from_numpy((~fire).astype(self.np_dtype))  # 1 - spikes
            else:
                v[layer] = v[layer] - th[layer] * firef
            cand = fb * n + off[layer + 1] + fj
            ref_set = None
            if cfg.refractory:
                ref_set = cand
                if tr.refractory_dropout > 0:
                    keep = torch.rand(cand.size, generator=tr.generator, dtype=torch.float64).numpy() >= tr.refractory_dropout
                    ref_set = cand[keep]
            fresh = st.book(cand, over, ref_set, step_global, step)
        else:
            fresh = np.zeros(0, dtype=np.int64)
        if layer + 1 < graph.n_layers:
            sval[layer] = torch.where(torch.from_numpy(fire), spk, sval[layer])
        else:
            self.out_frame = self.out_frame + spk
        return fresh

    def start_frame(self, frame: int) -> None:
        """Leak, clear refractory flags, present (and drop out) the frame's input events."""
        graph, st, cfg, tr = self.graph, self.st, self.config, self.training
        n = graph.n_total
        self.out_frame = torch.zeros(self.batch, graph.sizes[-1], dtype=self.dtype)
        for i in range(graph.n_layers):
            if graph.beta_layer[i] != 1.0:
                self.v[i] = self.v[i] * graph.beta_layer[i]
        if cfg.refractory:
            st.ref[:] = False
        xf = self.x[:, frame] & ~st.halted[:, None]
        if tr.input_dropout > 0:
            drop = torch.rand(xf.shape, generator=tr.generator, dtype=torch.float64).numpy() < tr.input_dropout
            xf = xf & ~drop
        xb, xi = st.present_input(xf)
        step_global = st.base.copy()
        if cfg.prioritize_input:
            queue = self.deliver_layer(0, xb, xi, step_global, 0) if xb.size else xb
        else:
            queue = st.enqueue_inputs(xb * n + xi)
        st.halt(queue, cfg.halt_after, step_global)

    def select(self, queue: np.ndarray, qb: np.ndarray, frame: int, step: int) -> np.ndarray:
        """The flat ids (ascending) forward step ``step`` of ``frame`` emits from ``queue``
        (ascending flat ids, ``qb`` their positions in the batch)."""
        graph, st, cfg = self.graph, self.st, self.config
        n = graph.n_total
        if self.compiled_select:
            return async_kernel.select_batch(queue, n, self.ids, self.sched.name, self.sched.seed, frame, step,
                                             cfg.forward_group, graph.n_layers, graph.layer_of, st.enq, st.over)
        qg = queue - qb * n
        pending = PendingSpikes(queue, self.ids[qb], qg, graph.layer_of[qg], st.enq[queue], st.over[queue],
                                frame, step, graph.n_layers)
        if self.full_pass:
            first = graph.sizes[0] if cfg.prioritize_input else 0
            # asynctorch draws a random key for every schedulable neuron of every sample; the
            # draw is kept for its cost, the schedule uses the counter-based keys (same spikes)
            torch.rand(self.batch, n - first, generator=self.key_draw, dtype=self.dtype)
            return select_dense(pending, self.sched, cfg.forward_group, self.batch, n, first)
        return queue[select(pending, self.sched, cfg.forward_group, qb)]

    def forward_steps(self, frame: int) -> None:
        """Forward steps until no spike is pending or ``max_steps`` is reached.

        The queue (flat ids with a pending spike, ascending) is read from ``pend`` once per frame
        and then kept up to date: after a step it holds the entries still pending after the
        emission plus the fresh entries of the step's deliveries (disjoint sets), as
        ``np.flatnonzero(pend)`` would give."""
        graph, st, cfg = self.graph, self.st, self.config
        n, off = graph.n_total, graph.offsets
        step = 0
        queue = np.flatnonzero(st.pend)
        while True:
            if queue.size == 0:
                break
            if step == cfg.max_steps:
                st.drop_pending(queue)
                break
            step += 1
            qb = queue // n
            emit = self.select(queue, qb, frame, step)
            st.pend[emit] -= 1
            kept = queue[st.pend[queue] > 0]
            st.steps[qb, frame] = step
            step_global = st.base + st.steps[:, frame]
            eb, eg = np.divmod(emit, n)
            e_layer = graph.layer_of[eg]
            fresh = [kept]
            for layer in np.unique(e_layer):  # ascending: the layers with an emitted spike, in order
                on = e_layer == layer
                fresh.append(self.deliver_layer(int(layer), eb[on], eg[on] - off[layer], step_global, step))
            queue = np.sort(np.concatenate(fresh)) if len(fresh) > 1 else kept
            queue = st.halt(queue, cfg.halt_after, step_global)

    def end_frame(self, frame: int) -> None:
        """Add the frame's output counts, call ``on_frame``, truncate, record frame counts."""
        tr = self.training
        self.out_total = self.out_total + self.out_frame
        if tr.on_frame is not None:
            tr.on_frame(frame, self.out_frame)
        if tr.truncate:
            self.v = [t.detach() for t in self.v]
            self.sval = [t.detach() for t in self.sval]
            self.out_total = self.out_total.detach()
        self.st.end_frame(frame)


def run_async_torch(
    model: AsyncTorchNet,
    input_frames,
    config: AsyncConfig = AsyncConfig(),
    scheduler: Scheduler | str = "random",
    seed: int = 0,
    sample_offset: int | np.ndarray = 0,
    training: TorchTraining = TorchTraining(),
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
    training : TorchTraining
        Surrogate gradient, dropouts and per-frame truncation (default: none of them).
    full_pass : bool
        asynctorch's cost structure, same results: every forward step draws a random key for
        every schedulable neuron of every sample (the network's neurons; the inputs too when they
        are queued) and fully sorts each sample's keys (``schedulers.select_dense``); default:
        only the pending entries are sorted. Both skip the dense pass of a layer with no emitted
        spike anywhere in the batch and compute prioritised input currents once per frame, as
        asynctorch does.
    """
    sched = make_scheduler(scheduler, seed)
    x_np = np.asarray(input_frames.detach().cpu().numpy() if torch.is_tensor(input_frames) else input_frames)
    run = _DenseRun(model, x_np, config, sched, sample_offset, training, record_frames, full_pass)
    for frame in range(run.n_frames):
        if run.st.halted.all():
            break
        run.start_frame(frame)
        run.forward_steps(frame)
        run.end_frame(frame)
    return TorchRun(run.out_total, run.st.record())
