"""Trained snnTorch-based models cross process boundaries (``neurobench.executor`` returns them
from its tasks): their surrogate spike functions pickle, and compute snnTorch's own."""

from __future__ import annotations

import pickle

import pytest
import torch
from snntorch import surrogate

from neurobench.models.lif import LIFNet, SpikeSurrogate


@pytest.mark.parametrize("name", ["atan", "fast_sigmoid", "sigmoid"])
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
