"""Unlayered backprop: surrogate-gradient training through asynchronous execution.

Each batch runs ``neurobench.sim.async_torch.run_async_torch`` (the batched differentiable path
of the asynchronous semantics) with training-time regularisers, and backpropagates the
cross-entropy of the output spike counts (rate decoding) through the actual causal chain of
spikes the schedule produced; scheduling decisions, update masks, refractory flags and resets
are constants (Koopman et al. 2024; asynctorch). Options: input spike dropout, refractory
dropout and truncated per-frame backprop (loss of the counts so far and backward after every
frame, state detached between frames).

Determinism: initialisation, shuffling (numpy, ``seed``), dropout (a ``torch.Generator`` seeded
with ``seed``) and scheduling (seed ``child_seed(seed, epoch)``, per global sample id) are all seeded, and
torch runs single-threaded, so the same seed gives bit-identical weights. Nothing here draws from
torch's global random state, which is left untouched.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..neurons import NeuronParams
from ..seeds import child_seed
from ..sim.async_torch import AsyncTorchNet, TorchTraining, run_async_torch
from ..sim.events import AsyncConfig
from ..sim.schedulers import SCHEDULERS
from ..models.surrogate import SpikeSurrogate
from .common import Timer, TrainConfig, TrainResult, batches, init_weights, single_thread

__all__ = ["train_async"]


def train_async(x, y, neurons: NeuronParams | tuple[NeuronParams, ...], config: TrainConfig,
                async_config: AsyncConfig = AsyncConfig(), scheduler: str = "random",
                n_classes: int | None = None, init=None, progress: bool = False) -> TrainResult:
    """Train a dense SNN by unlayered backprop under a scheduling strategy.

    Parameters
    ----------
    x : array (n, n_frames, n_in) of 0/1
    y : array (n,) int labels
    neurons : NeuronParams, or one per layer
    config : TrainConfig
        Architecture, optimiser, regularisers (``input_dropout``, ``refractory_dropout``,
        ``truncate``) and seed.
    async_config : AsyncConfig
        Execution during training (``F``, input priority, refractoriness, ``frame_dt``);
        ``stop`` is forced to ``"drain"``.
    scheduler : str
        Strategy name (``neurobench.sim.schedulers.SCHEDULERS``).
    init : list of (n_out, n_in) arrays, optional
        Initial weights (e.g. a layer-synchronized model to fine-tune); default Xavier-uniform.
    """
    if scheduler not in SCHEDULERS:
        raise ValueError(f"scheduler must be one of {tuple(SCHEDULERS)}, got {scheduler!r}")
    x = np.asarray(x).reshape(len(x), np.shape(x)[1], -1) > 0
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(n_classes or y.max() + 1)
    sizes = (x.shape[2], *config.hidden, n_classes)
    if isinstance(neurons, NeuronParams):
        neurons = (neurons,) * (len(sizes) - 1)
    cfg = replace(async_config, stop="drain", steps_after_output=0)
    rng = np.random.default_rng(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    spike_grad = SpikeSurrogate(config.surrogate)
    result = TrainResult(network=None)  # type: ignore[arg-type]
    weights = init if init is not None else init_weights(sizes, config.init_gain, config.seed)
    with single_thread():
        model = AsyncTorchNet(weights, tuple(neurons), dtype=torch.float32)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        yt = torch.from_numpy(y)
        seen = 0
        with Timer() as timer:
            for epoch in tqdm(range(config.epochs), desc="unlayered training", disable=not progress, leave=False):
                losses, correct = [], 0
                for idx in batches(len(y), config.batch_size, rng):
                    target = yt[idx]
                    n_frames = x.shape[1]
                    frame_losses = []
                    state = {"past": torch.zeros(len(idx), n_classes)}

                    def per_frame(frame, counts, target=target, state=state, frame_losses=frame_losses):
                        logits = state["past"] + counts
                        loss = nn.functional.cross_entropy(logits, target) / n_frames
                        if loss.requires_grad:  # a frame whose spikes reached no output neuron has no gradient
                            loss.backward()
                        frame_losses.append(float(loss.detach()))
                        state["past"] = logits.detach()

                    opt.zero_grad()
                    training = TorchTraining(
                        surrogate=spike_grad, input_dropout=config.input_dropout,
                        refractory_dropout=config.refractory_dropout if cfg.refractory else 0.0,
                        generator=gen, on_frame=per_frame if config.truncate else None, truncate=config.truncate,
                    )
                    run = run_async_torch(model, x[idx], cfg, scheduler, seed=child_seed(config.seed, epoch),
                                          sample_offset=idx, training=training)
                    if config.truncate:
                        loss_value = sum(frame_losses)
                    else:
                        loss = nn.functional.cross_entropy(run.output, target)
                        if loss.requires_grad:  # no spike reached an output neuron: no gradient this batch
                            loss.backward()
                        loss_value = float(loss.detach())
                    opt.step()
                    losses.append(loss_value * len(idx))
                    correct += int((run.output.detach().argmax(1) == target).sum())
                    seen += len(idx)
                result.loss.append(sum(losses) / len(y))
                result.train_accuracy.append(correct / len(y))
        result.samples_per_s = seen / timer.seconds
    result.network = model.to_network()
    return result
