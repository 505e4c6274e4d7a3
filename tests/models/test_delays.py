"""Multi-tap delay projections, LIF layer, pooling and dynamic top-k (Patiño-Saucedo et al. 2024)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from neurobench.models.delays import (DelayLinear, DelayNet, DelayNetParams, DelayParams, LIFDelayParams,
                                      check_k, lif_layer, topk_mask)


def _reference(s: np.ndarray, w: np.ndarray, taps) -> np.ndarray:
    """x~_i[t] = sum_j sum_k w_ijk s_j[t - d_k], written as explicit loops."""
    batch, n_steps, n_in = s.shape
    n_out = w.shape[0]
    out = np.zeros((batch, n_steps, n_out))
    for b in range(batch):
        for t in range(n_steps):
            for i in range(n_out):
                for j in range(n_in):
                    for k, d in enumerate(taps):
                        if t - d >= 0:
                            out[b, t, i] += w[i, j, k] * s[b, t - d, j]
    return out


def test_taps_follow_max_delay_and_stride():
    assert DelayParams(max_delay=48, stride=16).taps.tolist() == [0, 16, 32]
    assert DelayParams(max_delay=150, stride=6).n_taps == 25
    assert DelayParams(max_delay=7, stride=3).taps.tolist() == [0, 3, 6]
    assert DelayParams().taps.tolist() == [0]


def test_delay_layer_equals_shifted_sum_reference():
    gen = torch.Generator().manual_seed(1)
    layer = DelayLinear(5, 3, DelayParams(max_delay=7, stride=3), generator=gen, dtype=torch.float64)
    s = (torch.rand((2, 12, 5), generator=gen, dtype=torch.float64) < 0.4).double()
    got = layer(s).detach().numpy()
    ref = _reference(s.numpy(), layer.weight.detach().numpy(), [0, 3, 6])
    np.testing.assert_allclose(got, ref, atol=1e-12)
    # a pooled layer is the reference with the dropped taps' weights set to zero
    layer.pool_(1, "synaptic")
    ref1 = _reference(s.numpy(), (layer.weight * layer.mask).detach().numpy(), [0, 3, 6])
    np.testing.assert_allclose(layer(s).detach().numpy(), ref1, atol=1e-12)
    assert np.abs(ref1 - ref).max() > 1e-3


@pytest.mark.parametrize("mode", ["synaptic", "axonal", "axonal_variable"])
def test_pooling_keeps_exactly_k_taps_of_largest_magnitude(mode):
    gen = torch.Generator().manual_seed(2)
    w = torch.randn((4, 6, 5), generator=gen, dtype=torch.float64)
    k = 2
    mask = topk_mask(w, k, mode).numpy().astype(bool)
    a = np.abs(w.numpy())
    if mode == "synaptic":
        assert (mask.sum(axis=2) == k).all()
        for i in range(4):
            for j in range(6):
                kept, dropped = a[i, j][mask[i, j]], a[i, j][~mask[i, j]]
                assert kept.min() >= dropped.max()
    else:
        score = a.sum(0)  # (n_in, K)
        keep = mask[0]
        assert (mask == keep[None]).all()  # shared by every target of an axon
        if mode == "axonal":
            assert (keep.sum(axis=1) == k).all()
            for j in range(6):
                assert score[j][keep[j]].min() >= score[j][~keep[j]].max()
        else:
            assert keep.sum() == k * 6
            assert score[keep].min() >= score[~keep].max()
            assert len(set(keep.sum(axis=1))) > 1  # layer-wide: per-axon counts vary


def test_dynamic_topk_recomputes_the_mask_every_forward():
    layer = DelayLinear(3, 2, DelayParams(max_delay=4, stride=1), dtype=torch.float64)
    layer.set_dynamic_(1)
    s = torch.ones((1, 5, 3), dtype=torch.float64)
    layer(s)
    assert (layer.mask.sum(2) == 1).all()
    with torch.no_grad():
        layer.weight[:, :, 3] = 100.0
    layer(s)
    assert (layer.mask[:, :, 3] == 1).all() and (layer.mask.sum(2) == 1).all()


@pytest.mark.parametrize("kwargs, key", [({"max_delay": 4, "stride": 0}, "stride"),
                                         ({"max_delay": 4, "stride": -2}, "stride"),
                                         ({"max_delay": 2, "stride": 3}, "max_delay")])
def test_bad_delay_parameters_name_the_key(kwargs, key):
    with pytest.raises(ValidationError, match=key):
        DelayParams(**kwargs)


def test_k_larger_than_the_taps_is_refused():
    layer = DelayLinear(3, 2, DelayParams(max_delay=4, stride=2))
    for k in (3, 0):
        with pytest.raises(ValueError, match=r"k = .* \[1, 2\]"):
            layer.pool_(k)
    with pytest.raises(ValueError, match="k = 5"):
        layer.set_dynamic_(5)
    with pytest.raises(ValueError, match="pooling mode"):
        layer.pool_(1, "dendritic")
    assert check_k(2, 2) == 2


def test_lif_layer_closed_form():
    """One neuron, alpha = exp(-1/tau): v <- a v; spike if v >= theta; v <- (v + I)(1 - s)."""
    p = LIFDelayParams(tau_m=2.0, threshold=0.3)
    a = np.exp(-0.5)
    current = torch.tensor([[[0.5], [0.6], [0.0], [0.2], [0.0]]], dtype=torch.float64)
    s = lif_layer(current, p)[0, :, 0].tolist()
    # t0: v=0 -> no spike, v=0.5; t1: v=0.5a=0.303 >= 0.3 spike, its input 0.6 is discarded by
    # the reset (kept, t2 would spike: 0.6a = 0.36); t2: 0; t3: v=0.2; t4: v=0.2a=0.121 no spike
    assert 0.5 * a >= 0.3 and 0.6 * a >= 0.3
    assert s == [0.0, 1.0, 0.0, 0.0, 0.0]


def test_surrogate_gradient_reaches_the_delayed_weights():
    net = DelayNet(4, 3, DelayNetParams(hidden=[5], delay=DelayParams(max_delay=3, stride=1)),
                   dtype=torch.float64)
    x = (torch.rand((2, 8, 4), generator=torch.Generator().manual_seed(0)) < 0.5).double()
    net(x).sum().backward()
    g = net.projections[0].weight.grad
    assert g is not None and g.abs().sum() > 0 and g[:, :, 2].abs().sum() > 0
    with pytest.raises(ValidationError, match="delay_on"):
        DelayNetParams(delay_on="x")
