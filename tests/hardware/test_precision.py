"""Quantisation legs of the delay study: uniform, Loihi's weight formula, bfloat16."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from neurobench.hardware.precision import (LOIHI_MAX_DELAY, QuantParams, bf16_round, check_loihi_delays,
                                           loihi_effective, loihi_quantize, quantize, uniform_quantize)

W = np.random.default_rng(0).normal(0, 0.3, (20, 30))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_uniform_lands_on_its_symmetric_grid(bits):
    q = uniform_quantize(W, bits)
    m = np.abs(W).max()
    step = 2 * m / 2**bits
    idx = q / step
    np.testing.assert_allclose(idx, np.round(idx), atol=1e-9)
    assert len(np.unique(np.round(idx))) <= 2**bits + 1
    assert np.abs(q - W).max() <= step / 2 + 1e-12
    assert np.abs(q).max() == pytest.approx(m)


def test_loihi_formula_hand_computed():
    # 8 bits, mixed sign: step 2^(8-8+1) = 2, then * 2^6
    np.testing.assert_array_equal(loihi_effective([5, -5, 255, 1], 8, True), [4 * 64, -6 * 64, 254 * 64, 0])
    # 6 bits, one sign: step 2^(8-6) = 4; w_exp = 2 scales by 2^8
    np.testing.assert_array_equal(loihi_effective([7, 8, 255], 6, False, 2), [4 * 256, 8 * 256, 252 * 256])
    assert loihi_effective([255], 8, False, 7)[0] == 255 * 2**13 and loihi_effective([-1000], 8, False, 7)[0] == -(2**21 - 2**6)


@pytest.mark.parametrize("bits", [4, 6, 8])
def test_loihi_quantiser_lands_on_its_grid(bits):
    q = loihi_quantize(W, bits)
    unit = 2.0 ** (8 - bits + 1) * np.abs(W).max() / 255.0  # mixed sign
    np.testing.assert_allclose(q / unit, np.round(q / unit), atol=1e-9)
    assert np.abs(q - W).max() <= unit + 1e-12 and (np.abs(q) <= np.abs(W).max() + unit + 1e-12).all()  # floor: one step below -max


def test_bf16_matches_torch_and_has_7_mantissa_bits():
    x = np.concatenate([W.ravel(), [1.0 + 2**-8, 1.0 + 3 * 2**-8, -3.14159, 1e-20]])
    q = bf16_round(x)
    ref = torch.from_numpy(x.astype(np.float32)).to(torch.bfloat16).to(torch.float64).numpy()
    np.testing.assert_array_equal(q, ref)
    assert (q.astype(np.float32).view(np.uint32) & 0xFFFF == 0).all()
    assert q[-4] == 1.0  # tie to even


def test_bad_bits_and_unknown_quantiser_are_refused():
    for bits in (0, -1):
        with pytest.raises(ValueError, match=f"bits = {bits}"):
            uniform_quantize(W, bits)
        with pytest.raises(ValidationError, match="bits"):
            QuantParams(bits=bits)
    with pytest.raises(ValueError, match=r"bits = 9 .* \[1, 8\]"):
        loihi_quantize(W, 9)
    with pytest.raises(ValueError, match="quantizer = 'int3'"):
        quantize(W, "int3")
    with pytest.raises(ValidationError, match="kind"):
        QuantParams(kind="fp8")
    assert quantize(W, "bf16").dtype == np.float64


def test_loihi_delays_are_at_most_62_steps():
    assert check_loihi_delays(np.array([0, 62])).tolist() == [0, 62]
    with pytest.raises(ValueError, match=str(LOIHI_MAX_DELAY)):
        check_loihi_delays(np.array([3, 63]))
