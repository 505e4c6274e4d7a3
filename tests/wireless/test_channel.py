"""The multipath channel, the impulse-radio link and the BPSK frame link: tap powers, noise
variance at an SNR, BPSK's bit error rate against Q(sqrt(2 Eb/N0)), multipath and rake
combining on hand-computed cases, the straight-through detector, quantisation round trips."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurobench.wireless.channel import (ChannelParams, awgn, bpsk_ber, draw_taps, multipath, noise_variance,
                                         rake_combine, tap_powers, transmit)
from neurobench.wireless.frame import dequantize, frame_link, from_bits, quantize, to_bits
from neurobench.wireless.ir_link import ir_link, pulses


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_tap_powers_follow_the_exponential_profile_and_sum_to_one():
    p = tap_powers(ChannelParams(n_taps=4, decay=2.0))
    w = np.exp(-np.arange(4) / 2.0)
    np.testing.assert_allclose(p, w / w.sum(), rtol=1e-15)
    assert tap_powers(ChannelParams(n_taps=1)).tolist() == [1.0]


def test_drawn_taps_have_the_profile_as_mean_power():
    p = ChannelParams(n_taps=3, decay=1.0, fading="gaussian")
    h = draw_taps(p, 200_000, _gen()).numpy()
    np.testing.assert_allclose((h**2).mean(0), tap_powers(p), rtol=0.02)
    assert abs(np.corrcoef(h[:, 0], h[:, 1])[0, 1]) < 0.01  # independent taps
    fixed = draw_taps(ChannelParams(n_taps=3, fading="none"), 5, _gen()).numpy()
    np.testing.assert_allclose(fixed, np.tile(np.sqrt(tap_powers(p)), (5, 1)))


@pytest.mark.parametrize("snr_db", [-3.0, 0.0, 10.0])
def test_noise_variance_at_a_given_snr(snr_db):
    assert noise_variance(snr_db) == pytest.approx(1.0 / (2.0 * 10 ** (snr_db / 10)))
    n = awgn(torch.zeros(1, 400_000, dtype=torch.float64), snr_db, _gen(1)).numpy()
    assert n.var() == pytest.approx(noise_variance(snr_db), rel=0.01) and abs(n.mean()) < 0.01


def test_multipath_and_rake_on_a_hand_computed_case():
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0]], dtype=torch.float64)
    h = torch.tensor([[2.0, -1.0]], dtype=torch.float64)
    y = multipath(x, h)
    assert y.tolist() == [[2.0, -1.0, 2.0, 1.0]]  # y[k] = 2 x[k] - x[k-1]
    z = rake_combine(y, h)  # (2 y[k] - y[k+1]) / 5
    np.testing.assert_allclose(z.numpy(), [[1.0, -0.8, 0.6, 0.4]])


def test_bpsk_ber_on_a_flat_channel_matches_the_closed_form():
    flat = ChannelParams(n_taps=1, fading="none")
    rng = np.random.default_rng(0)
    n = 400_000
    bits = rng.integers(0, 2, (1, n))
    x = torch.from_numpy(2.0 * bits - 1.0)
    for snr_db in (0.0, 4.0, 7.0):
        taps = draw_taps(flat, 1, _gen())
        ber = float(((transmit(x, taps, snr_db, _gen(2)) > 0).numpy() != bits).mean())
        expected = float(bpsk_ber(snr_db))
        assert ber == pytest.approx(expected, rel=4.0 / np.sqrt(expected * n))  # ~4 sigma
    assert float(bpsk_ber(0.0)) == pytest.approx(0.0786496, rel=1e-5)  # Q(sqrt(2))


def test_ir_link_is_transparent_at_high_snr_on_a_flat_channel_and_passes_gradients_straight():
    s = (torch.rand((4, 6, 5), generator=_gen(3)) < 0.4).float().requires_grad_(True)
    flat = ChannelParams(n_taps=1, fading="none")
    out = ir_link(s, flat, 40.0, _gen())
    assert torch.equal(out.detach(), s.detach())
    out.sum().backward()
    assert torch.equal(s.grad, torch.ones_like(s))  # straight-through
    assert ir_link(s, flat, None, _gen()) is s
    noisy = ir_link(s.detach(), ChannelParams(), -5.0, _gen())
    assert 0 < float((noisy != s.detach()).float().mean()) < 0.5
    assert pulses(s).tolist() == s.detach().sum(2).cumsum(1).tolist()


def test_ir_link_serialises_time_major_one_use_per_neuron_and_step():
    # two taps (powers 1 : e^-1/2), no fading: the rake output is x[k] + 0.485 (x[k-1] + x[k+1]),
    # so pulses two channel uses apart create a false detection between them. Neurons 0 and 2 of
    # step 0 are channel uses 0 and 2 (time-major): the false spike is neuron 1 of step 0.
    s = torch.zeros(1, 2, 3)
    s[0, 0, 0] = s[0, 0, 2] = 1.0
    out = ir_link(s, ChannelParams(n_taps=2, decay=2.0, fading="none"), 60.0, _gen())
    expected = s.clone()
    expected[0, 0, 1] = 1.0
    assert torch.equal(out, expected)
    lone = torch.zeros(1, 2, 3)
    lone[0, 1, 1] = 1.0  # one pulse alone: its echoes stay below the threshold
    assert torch.equal(ir_link(lone, ChannelParams(n_taps=2, decay=2.0, fading="none"), 60.0, _gen()), lone)


def test_quantisation_and_bits_round_trip():
    f = np.array([[0.0, 0.49, 0.5, 1.0]])
    q = quantize(f, 2)
    assert q.tolist() == [[0, 1, 2, 3]]
    b = to_bits(q, 2)
    assert b.tolist() == [[0, 0, 0, 1, 1, 0, 1, 1]]
    assert from_bits(b, 2).tolist() == q.tolist()
    np.testing.assert_allclose(dequantize(q, 2), [[0.125, 0.375, 0.625, 0.875]])
    np.testing.assert_allclose(frame_link(f, 2, ChannelParams(), None, _gen()), dequantize(q, 2))
    np.testing.assert_allclose(frame_link(f, 2, ChannelParams(n_taps=1, fading="none"), 30.0, _gen()),
                               dequantize(q, 2))
