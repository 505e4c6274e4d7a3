"""The Spiking Recurrent Cell: single-neuron behaviour (E-SRC-1), the step's gradient, the
knobs, spike counting, and the Brian2 forward agreement."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from neurobench.models.lif import LIFNet
from neurobench.models.src import SRCNet, SRCParams, SRCState, count_spikes, single_neuron, src_step
from neurobench.models.src_brian import src_brian_forward


def test_no_input_no_spike_and_h_rests_below_zero():
    tr = single_neuron(0.0, 300)
    assert len(tr["spike_steps"]) == 0 and tr["s"].max() == 0.0
    # rest: h = h_s = h* with h* = tanh((r + r_s) h* + b) = tanh(-5 h* - 6)
    h_star = tr["h"][-1]
    assert h_star == pytest.approx(np.tanh(-5.0 * h_star - 6.0), abs=1e-9) and -0.95 < h_star < -0.85


def test_supra_threshold_drive_spikes_periodically_faster_for_stronger_drive():
    isis = []
    for drive in (0.2, 0.3, 0.5):
        tr = single_neuron(drive, 300)
        steps = tr["spike_steps"]
        assert len(steps) >= 8
        isi = np.diff(steps[2:])  # after the transient from the zero state
        assert isi.max() - isi.min() <= 1  # periodic (to the step)
        # every spike: h above 1/2 for at least one step, then back below 0
        for k in steps:
            assert tr["h"][k] > 0.5 and tr["h"][k + 1 : k + 6].min() < 0
        isis.append(isi.mean())
    assert isis[0] > isis[1] > isis[2]
    assert len(single_neuron(0.1, 300)["spike_steps"]) == 0  # sub-threshold


def _step_outputs(p, params):
    current, i0, h0, hs0, bias = params
    s, st = src_step(current, SRCState(i0, h0, hs0), bias, p)
    return s, st.h, st.hs, st.i


def test_one_step_gradient_matches_finite_differences():
    p = SRCParams(detach_rec=False)
    gen = torch.Generator().manual_seed(0)
    # states away from h = 1/2 so that the step H is constant within the difference
    args = (torch.rand(2, 3, generator=gen, dtype=torch.float64) * 2,
            torch.rand(2, 3, generator=gen, dtype=torch.float64),
            torch.tensor([[0.8, -0.3, 0.1], [0.9, -0.9, 0.3]], dtype=torch.float64),
            torch.rand(2, 3, generator=gen, dtype=torch.float64) - 0.5,
            torch.tensor([-4.5, -5.0, -4.2], dtype=torch.float64))
    args = tuple(a.requires_grad_() for a in args)
    assert torch.autograd.gradcheck(lambda *a: _step_outputs(p, a), args, eps=1e-6, atol=1e-7)


def test_detach_rec_stops_gradient_through_h_and_hs_only():
    h0 = torch.tensor([[0.2]], dtype=torch.float64, requires_grad=True)
    i0 = torch.tensor([[0.5]], dtype=torch.float64, requires_grad=True)
    state = SRCState(i0, h0, torch.zeros(1, 1, dtype=torch.float64))
    bias = torch.tensor([-4.5], dtype=torch.float64)
    for detach, expect_h in ((False, True), (True, False)):
        _, st = src_step(torch.zeros(1, 1, dtype=torch.float64), state, bias, SRCParams(detach_rec=detach))
        gh, gi = torch.autograd.grad(st.h.sum(), (h0, i0), allow_unused=True)
        assert (gh is not None and abs(float(gh)) > 0) == expect_h
        assert gi is not None and abs(float(gi)) > 0  # the integrator always carries gradient


def test_relu_bypass_is_straight_through():
    h = torch.tensor([[-0.5, 0.7]], dtype=torch.float64)
    state = SRCState(torch.zeros(1, 2, dtype=torch.float64), h, torch.zeros(1, 2, dtype=torch.float64))
    bias = torch.full((2,), -6.0, dtype=torch.float64)
    current = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
    grads = {}
    for bypass in (False, True):
        s, st = src_step(current, state, bias, SRCParams(relu_bypass=bypass))
        assert torch.equal(s, torch.relu(st.h))  # same forward
        grads[bypass] = torch.autograd.grad(s.sum(), current)[0]
    assert grads[False][0, 0] == 0 and grads[True][0, 0] > 0  # h < 0: only the bypass passes gradient


def test_count_spikes_counts_upward_crossings():
    h = np.array([[[0.6], [0.7], [-0.2], [0.9], [0.4], [0.51]]])
    assert count_spikes(h).tolist() == [[3]]


def test_bias_is_clamped_and_bad_constants_name_the_key():
    net = SRCNet(4, (3,), 2)
    with torch.no_grad():
        net.biases[0].fill_(0.0)
    net.clamp_()
    assert float(net.biases[0].detach().max()) == SRCParams().bias_max
    for kw, key in (({"alpha": 1.0}, "alpha"), ({"alpha": -0.1}, "alpha"), ({"rho": 0.0}, "rho"),
                    ({"bias_init": -3.0}, "bias_init")):
        with pytest.raises(ValidationError, match=key):
            SRCParams(**kw)
    with pytest.raises(ValueError, match="readout"):
        SRCNet(4, (3,), 2, readout="max")
    with pytest.raises(ValueError, match="sizes"):
        SRCNet(4, (-3,), 2)
    with pytest.raises(ValueError, match="readout"):
        LIFNet(4, (3,), 2, readout="max")


@pytest.mark.parametrize("readout", ["sum", "last"])
def test_torch_forward_equals_brian2_difference_equations(readout):
    gen = torch.Generator().manual_seed(1)
    net = SRCNet(12, (7, 5), 3, readout=readout, generator=gen, dtype=torch.float64)
    with torch.no_grad():  # strong weights so that every layer spikes
        for w in net.weights:
            w.mul_(6.0)
    x = (torch.rand(2, 40, 12, generator=gen) < 0.4).double()
    with torch.no_grad():
        logits, hs = net(x, record=True)
    assert all(count_spikes(h).sum() > 0 for h in hs)
    b_logits, b_hs = src_brian_forward(net.arrays(), net.p, x.numpy(), readout, net.readout_alpha)
    assert np.abs(b_logits - logits.numpy()).max() < 1e-6
    for h, bh in zip(hs, b_hs):
        assert bh.shape == h.shape and np.abs(bh - h.numpy()).max() < 1e-6
