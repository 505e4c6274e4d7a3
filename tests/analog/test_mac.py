"""The simulated BrainScaleS-2 MAC: straight-through gradient, chunking, int8 outputs, seeds,
the layers on it, the characterisation protocol and bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pydantic import ValidationError

from neurobench import config
from neurobench.analog import (AnalogConv2d, AnalogNet, MACParams, NetParams, analog_mac, characterise,
                               fixed_pattern, linear_mac, requantise)
from neurobench.analog.layers import init_layer

QUIET = MACParams(sigma_trial=0.0)


def _operands(n_in=300, n_out=7, batch=5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 32, (batch, n_in), generator=g).to(dtype)
    w = torch.randint(-63, 64, (n_out, n_in), generator=g).to(dtype)
    return x, w


def test_straight_through_gradient_equals_finite_differences_of_the_linear_model():
    x, w = _operands(n_in=20, n_out=3, batch=2)
    x = (x + 0.3).requires_grad_()  # off the integer grid: the forward floors, the gradient does not see it
    w = (w + 0.2).requires_grad_()
    p = MACParams(sigma_trial=1.0, sigma_fp_gain=0.1)  # noise and fixed pattern do not enter the gradient
    v = torch.randn(2, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    (analog_mac(x, w, p, n_sends=3) * v).sum().backward()
    xq, wq = torch.floor(x.detach()), torch.round(w.detach())
    h = 1e-3
    for i, j in ((0, 0), (1, 7), (0, 19)):
        e = torch.zeros_like(xq)
        e[i, j] = h
        fd = ((linear_mac(xq + e, wq, p, 3) - linear_mac(xq - e, wq, p, 3)) * v).sum() / (2 * h)
        assert float(x.grad[i, j]) == pytest.approx(float(fd), rel=1e-9)
    for i, j in ((0, 0), (2, 11)):
        e = torch.zeros_like(wq)
        e[i, j] = h
        fd = ((linear_mac(xq, wq + e, p, 3) - linear_mac(xq, wq - e, p, 3)) * v).sum() / (2 * h)
        assert float(w.grad[i, j]) == pytest.approx(float(fd), rel=1e-9)
    assert float(x.grad[1, 7]) == pytest.approx(0.0018 * 3 * float(v[1] @ wq[:, 7]), rel=1e-12)


def test_mask_saturated_zeroes_the_gradient_of_outputs_at_the_rails():
    x = torch.full((1, 100), 31.0, requires_grad=True)
    w = torch.cat([torch.full((1, 100), 63.0), torch.full((1, 100), 1.0)])  # column 0 saturates, column 1 not
    y = analog_mac(x, w, MACParams(sigma_trial=0.0, mask_saturated=True))
    assert y[0, 0] == 127 and y[0, 1] < 127
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 0.0018 * np.ones((1, 100)), rtol=1e-6)  # only column 1 (w = 1)


def test_a_300_row_input_equals_the_clamped_sum_of_its_three_chunks():
    x, w = _operands(n_in=300, n_out=16, batch=8)
    w[:, :128] = w[:, :128].abs()  # chunk 0 large positive, chunk 1 large negative: each clamps on its own
    w[:, 128:256] = -w[:, 128:256].abs()
    p = MACParams(sigma_trial=0.0, sigma_fp_gain=0.05, sigma_fp_offset=2.0, chip_seed=3, gain=0.004)
    y = analog_mac(x, w, p)
    parts = [analog_mac(x[:, s:s + 128], w[:, s:s + 128], p) for s in (0, 128, 256)]
    assert any(bool((part.abs() >= 127).any()) for part in parts)  # some chunk clamps on its own
    np.testing.assert_array_equal(y.numpy(), torch.stack(parts).sum(0).clamp(-128, 127).numpy())
    assert not torch.equal(y, torch.floor(p.gain * (x @ w.T)).clamp(-128, 127))  # not one 300-row sum


def test_outputs_are_always_int8():
    for seed, p in enumerate([MACParams(), MACParams(sigma_trial=30.0, gain=0.02),
                              MACParams(saturation=80.0, sigma_fp_gain=0.3, sigma_fp_offset=5.0)]):
        x, w = _operands(n_in=500, n_out=32, batch=16, seed=seed, dtype=torch.float32)
        y = analog_mac(x * 1.7 - 3.0, w * 1.3, p, n_sends=4).numpy()
        assert y.min() >= -128 and y.max() <= 127 and np.array_equal(y, np.round(y))
        assert y.min() == -128 or y.max() == 127  # the range is reached


def test_every_draw_is_reproducible_per_seed_and_batch_index():
    x, w = _operands(n_in=64, n_out=32, batch=4, dtype=torch.float32)
    p = MACParams(sigma_trial=2.0, sigma_fp_gain=0.1, sigma_fp_offset=1.0, chip_seed=5, noise_seed=9)
    a = analog_mac(x, w, p, layer=1, batch_index=3)
    assert torch.equal(a, analog_mac(x, w, p, layer=1, batch_index=3))
    assert not torch.equal(a, analog_mac(x, w, p, layer=1, batch_index=4))
    assert not torch.equal(a, analog_mac(x, w, p, layer=2, batch_index=3))
    g1, o1 = fixed_pattern(p, 32, 1)
    g2, _ = fixed_pattern(p.model_copy(update={"chip_seed": 6}), 32, 1)
    assert torch.equal(g1, fixed_pattern(p, 32, 1)[0]) and not torch.equal(g1, g2)
    assert float(g1.std()) == pytest.approx(0.1, rel=0.35) and float(o1.std()) == pytest.approx(1.0, rel=0.35)


def test_conv_unfolded_onto_the_mac_equals_the_floored_convolution():
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 32, (3, 1, 10, 10), generator=g).float()
    w = torch.randint(-20, 21, (5, 1, 4, 4), generator=g).float()
    conv = AnalogConv2d(w, stride=2, n_sends=2, layer=0)
    conv.gain = 0.0018
    y = conv(x, QUIET)
    ref = torch.floor(0.0036 * F.conv2d(x, w, stride=2)).clamp(-128, 127)
    np.testing.assert_array_equal(y.detach().numpy(), ref.numpy())
    np.testing.assert_allclose(conv(x, None).detach().numpy(), (0.0036 * F.conv2d(x, w, stride=2)).numpy(),
                               rtol=1e-5, atol=1e-4)


def test_requantise_shifts_floors_clamps_with_a_straight_through_gradient():
    y = torch.tensor([-5.0, 0.0, 7.0, 9.0, 63.0, 64.0, 100.0], requires_grad=True)
    z = requantise(y, 1, 31, analog=True)
    assert z.tolist() == [0.0, 0.0, 3.0, 4.0, 31.0, 31.0, 31.0]
    z.sum().backward()
    assert y.grad.tolist() == [0.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0]  # 63 / 2 = 31.5 is above 31
    assert requantise(y, 1, 31, analog=False)[2].item() == 3.5


def test_initialisation_follows_the_spec():
    net = NetParams(shift=1, init_gain=0.0018)
    w, n = init_layer(128, 320, net, 63, torch.Generator().manual_seed(0))
    std = 2 * math.sqrt(2) / (0.0018 * math.sqrt(320))
    assert n == math.ceil(std / 21) == 5
    assert float(w.std()) == pytest.approx(std / n, rel=0.05) and float(w.abs().max()) <= 63
    model = AnalogNet(8, 10, NetParams(), torch.Generator().manual_seed(0))
    assert model.n_sends == [19, 5, 7] and model(torch.zeros(2, 8, 8), QUIET).shape == (2, 10)


@pytest.mark.parametrize("gain, sigma", [(0.0018, 1.6), (0.002, 2.0), (0.0015, 3.0)])
def test_characterisation_recovers_injected_gain_and_noise_within_5_percent(gain, sigma):
    p = MACParams(gain=gain, sigma_trial=sigma, sigma_fp_gain=0.05, sigma_fp_offset=1.0, chip_seed=1, noise_seed=2)
    est = characterise(lambda x, w, r: analog_mac(x, w, p, 1, 0, r), repeats=100)
    assert est.gain == pytest.approx(gain, rel=0.05)
    assert est.sigma_trial == pytest.approx(sigma, rel=0.05)
    assert est.fixed_pattern == pytest.approx(0.05, rel=0.3) and est.mean_output <= 64.5


def test_bad_mac_parameters_are_rejected_naming_the_key():
    for key, value in (("input_bits", 0), ("weight_bits", 17), ("output_bits", 1), ("gain", 0.0),
                       ("sigma_trial", -0.1), ("sigma_fp_gain", -1.0), ("chunk_rows", 0), ("chip_seed", -1),
                       ("noise_seed", -2)):
        with pytest.raises(ValidationError, match=key):
            MACParams(**{key: value})
        with pytest.raises(config.ConfigError, match=rf"analog\.mac\.{key}"):
            config.validate("analog", {"mac": {key: value}})
    for values, key in (({"network": {"hidden": [0]}}, r"analog\.network\.hidden"),
                        ({"network": {"kernel": 11}}, r"network\.kernel"),
                        ({"sweeps": {"weight_bits": [6, 0]}}, r"analog\.sweeps\.weight_bits"),
                        ({"pretrain": {"lr": 0}}, r"analog\.pretrain\.lr"), ({"n_chips": 1}, r"analog\.n_chips"),
                        ({"init_seed": -1}, r"analog\.init_seed")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("analog", values)
