"""Pins the exact float32 bits of unlayered training (``train_async``) and of the torch
asynchronous path's output and gradients, so that speed work on ``neurobench.sim.async_torch``
cannot change a single trained weight.

The sha256 digests were computed by the code before the speed-ups (commit 00b0db0); if a change
makes them differ, it changed the float operations (their values or their order), not only
the bookkeeping. A deliberate change of the numerics must update them and say so.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from neurobench.neurons import NeuronParams
from neurobench.sim.async_torch import AsyncTorchNet, TorchTraining, run_async_torch
from neurobench.sim.asynchronous import AsyncConfig
from neurobench.models.surrogate import SpikeSurrogate
from neurobench.training import TrainConfig, init_weights, train_async

LIF = NeuronParams(model="lif", v_th=0.3, reset="zero", tau_m=20.0)
IF_SUB = NeuronParams(model="if", v_th=0.5, reset="subtract")


def _data(n=48, frames=5, n_in=40, seed=0):
    """``n`` samples of Bernoulli input events (p = 0.12 per input and frame), 4 classes."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, frames, n_in)) < 0.12).astype(np.uint8), np.arange(n) % 4


def _digest(arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


CASES = {
    # name: (scheduler, neurons, AsyncConfig kwargs, TrainConfig kwargs, digest of weights + losses)
    "random": ("random", LIF, {}, {},
               "999889ab09fba773c966bdc8ba826ef5fc2bb102626bf61aa50ba363eba33b33"),
    "momentum": ("momentum", LIF, {}, {},
                 "0df94e82ab192a96b7aeb2530747316cde4a2a06121d6dd00b7e9b620ac384c5"),
    "queued-input-truncated": ("momentum", LIF, {"prioritize_input": False, "forward_group": 3},
                               {"truncate": True},
                               "bdffdf1854be40126ac7a1f319c9872145d42024962ae4224fefb16a8707cd87"),
    "if-subtract-fifo": ("fifo", IF_SUB, {"forward_group": 2}, {"refractory_dropout": 0.0},
                         "959ddfd42900437dbc815a0f406a2bfe12d2932ad32e72cf7e4c908f4fd51858"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_unlayered_training_weights_are_bit_identical_to_the_pinned_reference(name):
    scheduler, neurons, async_kw, train_kw, expected = CASES[name]
    x, y = _data()
    config = TrainConfig(**{"hidden": (24, 16), "epochs": 2, "batch_size": 16, "lr": 5e-3, "input_dropout": 0.25,
                            "refractory_dropout": 0.8, "seed": 7, **train_kw})
    result = train_async(x, y, neurons, config, AsyncConfig(**{"forward_group": 4, "frame_dt": 3.0, **async_kw}),
                         scheduler, n_classes=4)
    weights = [layer.weight.astype(np.float32) for layer in result.network.layers]
    assert _digest([*weights, np.asarray(result.loss)]) == expected


@pytest.mark.parametrize("stop", ["drain", "after_output"])
def test_torch_path_output_and_gradients_are_bit_identical_to_the_pinned_reference(stop):
    x, _ = _data(n=12, frames=4, seed=1)
    model = AsyncTorchNet(init_weights((40, 24, 16, 4), 1.0, 5), LIF)
    training = TorchTraining(surrogate=SpikeSurrogate("atan"), input_dropout=0.2, refractory_dropout=0.5,
                             generator=torch.Generator().manual_seed(3))
    config = AsyncConfig(forward_group=3, frame_dt=3.0, stop=stop, steps_after_output=2)
    run = run_async_torch(model, x, config, "random", seed=4, training=training)
    (run.output * torch.arange(1.0, 5.0)).sum().backward()
    arrays = [run.output.detach().numpy(), *(w.grad.numpy() for w in model.weights),
              run.record.forward_steps, run.record.synops]
    assert _digest(arrays) == {
        "drain": "7c39e1f6ba3363dbd569ad7a0c57c76e7c1aacd44fb3d72fc7d963ee258a2c49",
        "after_output": "3ba559a82cb9ccda79290b518ebd36a8c47b9ce7e20c53e1d7e251a2bce82b26",
    }[stop]
