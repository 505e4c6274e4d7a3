"""Trained snnTorch-based models cross process boundaries (``neurobench.executor`` returns them
from its tasks): their surrogate spike functions (``neurobench.models.surrogate``, used by the
models and the trainers) pickle, and compute snnTorch's own."""

from __future__ import annotations

import pickle

import pytest
import torch
from snntorch import surrogate

from neurobench.models.lif import LIFNet
from neurobench.models.surrogate import SURROGATES, SpikeSurrogate
from neurobench.neurons import NeuronParams
from neurobench.training import SyncNet


@pytest.mark.parametrize("name", SURROGATES)
def test_surrogate_pickles_and_equals_snntorchs_forward_and_gradient(name):
    x = torch.linspace(-2.0, 2.0, 41)
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    ours = pickle.loads(pickle.dumps(SpikeSurrogate(name)))
    ya, yb = getattr(surrogate, name)()(a), ours(b)
    ya.sum().backward()
    yb.sum().backward()
    assert torch.equal(ya, yb) and torch.equal(a.grad, b.grad)
    assert float(b.grad.abs().sum()) > 0


def test_a_trained_lif_network_round_trips_through_pickle():
    net = LIFNet(6, (5,), 3, generator=torch.Generator().manual_seed(0))
    again = pickle.loads(pickle.dumps(net))
    x = (torch.rand(7, 4, 6) < 0.5).float()
    assert torch.equal(net(x), again(x))


def test_an_unknown_surrogate_is_refused_by_name():
    with pytest.raises(ValueError, match=r"surrogate must be one of .*'atan'.*got 'relu'"):
        SpikeSurrogate("relu")


def test_the_layer_synchronised_trainer_uses_the_picklable_surrogate():
    """``training`` gets its surrogates from ``models.surrogate``: its networks pickle too."""
    w = torch.Generator().manual_seed(0)
    weights = [torch.rand(5, 6, generator=w).numpy(), torch.rand(3, 5, generator=w).numpy()]
    net = SyncNet(weights, (NeuronParams(model="if"),) * 2, 1.0, surrogate="fast_sigmoid")
    again = pickle.loads(pickle.dumps(net))
    x = (torch.rand(7, 4, 6, generator=w) < 0.5).float()
    assert all(isinstance(lif.spike_grad, SpikeSurrogate) for lif in again.lifs)
    assert torch.equal(net(x), again(x))
