"""Memory models of synaptic delays: synapse table, ring buffer, SCDQ (hand-computed cases)."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.hardware.delay_memory import (activity_percentile, field_bits, memory_over_activity, memory_over_k,
                                              ring_buffer_bits, scdq_bits, weight_delay_bits)


def test_field_bits():
    assert [field_bits(n) for n in (1, 2, 3, 4, 5, 48, 64, 150)] == [1, 1, 2, 2, 3, 6, 6, 8]


def test_weight_and_delay_fields_hand_computed():
    # 48 x 48, k = 10 taps below 150 steps (8-bit delay field), 8-bit weights
    syn = weight_delay_bits(48, 48, 10, 150, 8)
    assert syn == {"weights": 48 * 48 * 10 * 8, "delays": 48 * 48 * 10 * 8, "total": 2 * 48 * 48 * 80}
    axo = weight_delay_bits(48, 48, 10, 150, 8, axonal=True)
    assert axo["delays"] == 48 * 10 * 8 and axo["weights"] == syn["weights"]


def test_ring_buffer_hand_computed_and_independent_of_activity():
    assert ring_buffer_bits(48, 62, 16) == 48 * 63 * 16
    t = memory_over_activity(48, 48, 62, [0.0, 0.05, 0.2])
    assert t["ring buffer (bit)"].nunique() == 1


def test_scdq_hand_computed_and_grows_with_activity():
    # alpha 0.1, 40 sources, 16 steps: 64 entries of 6 + 4 bits
    assert scdq_bits(0.1, 40, 16) == 64 * 10
    assert scdq_bits(0.0, 40, 16) == 0
    t = memory_over_activity(48, 48, 62, [0.0, 0.05, 0.2])
    assert np.all(np.diff(t["SCDQ (bit)"]) > 0)
    with pytest.raises(ValueError, match="alpha_hat"):
        scdq_bits(1.5, 40, 16)


def test_activity_percentile_and_table_over_k():
    s = np.zeros((2, 4, 10))
    s[0, 1, :3] = 1  # one step with 30 % of the population
    s[1, 2, :1] = 1
    assert activity_percentile(s, 100) == pytest.approx(0.3)
    assert activity_percentile(s, 50) == 0.0
    t = memory_over_k(48, 48, 150, [25, 10, 1], 0.05)
    assert list(t["k"]) == [25, 10, 1]
    assert np.all(np.diff(t["table per synapse (kbit)"]) < 0) and t["ring buffer (kbit)"].nunique() == 1
    with pytest.raises(ValueError, match="n_pre"):
        weight_delay_bits(0, 4, 1, 4)
