"""The FL-SNN core: GLM log-likelihood gradient vs finite differences, the basis filters' closed
form, aggregation (mean; slices averaged over the devices that sent them), the uplink counter on
a hand-computed case, splits, bit-reproducibility per seed, and a tiny federation that learns."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurobench.federated.fl import (FLParams, aggregate, run_federated, select_slices, split_devices,
                                     uplink_per_round)
from neurobench.federated.glm_snn import (GLMParams, GLMState, RuleParams, init_weights, log_likelihood,
                                          log_likelihood_grad, raised_cosine_basis)


@pytest.mark.parametrize("recurrent", [False, True])
def test_log_likelihood_gradient_matches_finite_differences(recurrent):
    p = GLMParams(n_hidden=2, n_basis=3, filter_length=4, init_scale=0.5, output_recurrence=recurrent)
    rng = np.random.default_rng(0)
    st = init_weights(p, 3, 2, seed=1)
    st.w_fb[:] = rng.normal(0, 0.5, st.w_fb.shape)
    x = (rng.random((7, 3)) < 0.5).astype(float)
    s = (rng.random((7, 4)) < 0.5).astype(float)
    g = log_likelihood_grad(st, p, x, s, 2)
    h = 1e-6
    for name, idx in (("W", (0, 1, 2, 0)), ("W", (0, 3, 4, 2)), ("W", (0, 2, 0, 1)), ("w_fb", (0, 1)),
                      ("w_fb", (0, 3)), ("gamma", (0, 2))):
        plus, minus = st.copy(), st.copy()
        getattr(plus, name)[idx] += h
        getattr(minus, name)[idx] -= h
        fd = (log_likelihood(plus, p, x, s, 2) - log_likelihood(minus, p, x, s, 2)) / (2 * h)
        assert getattr(g, name)[idx] == pytest.approx(fd, rel=1e-6, abs=1e-8), (name, idx)


def test_basis_filters_match_their_closed_form():
    a = raised_cosine_basis(4, 10)
    c = 7 * math.pi / (2 * math.log(11))
    for k, d in ((0, 0), (1, 0), (2, 1), (3, 2), (3, 3), (1, 3), (2, 5)):
        arg = min(math.pi, max(-math.pi, c * math.log(d + 2) - k * math.pi / 2))
        assert a[k, d] == pytest.approx(0.5 * (1 + math.cos(arg)))
        if (k, d) in ((2, 1), (3, 2)):
            assert 0.05 < a[k, d] < 0.95  # inside the cosine, not at the clipped ends
    assert a[3, 9] == pytest.approx(0.0, abs=1e-12)  # the last filter's support ends at lag L
    assert a.max() <= 1.0 and a.min() >= 0.0
    np.testing.assert_allclose(raised_cosine_basis(1, 4)[0], [1.0, 0.75, 0.5, 0.25])  # feedback filter


def _state(W, fb, g):
    return GLMState(np.asarray(W, float), np.asarray(fb, float), np.asarray(g, float))


def test_aggregation_is_the_mean_and_the_slice_variant_averages_only_what_was_sent():
    rng = np.random.default_rng(0)
    dev = _state(rng.normal(size=(3, 2, 4, 3)), rng.normal(size=(3, 2)), rng.normal(size=(3, 2)))
    server = _state(rng.normal(size=(1, 2, 4, 3)), np.zeros((1, 2)), np.zeros((1, 2)))
    full = aggregate(dev, server)
    np.testing.assert_allclose(full.W[0], dev.W.mean(axis=0))
    np.testing.assert_allclose(full.gamma[0], dev.gamma.mean(axis=0))
    np.testing.assert_allclose(full.w_fb[0], dev.w_fb.mean(axis=0))
    mask = np.array([[True, False, False], [True, True, False], [False, False, False]])
    part = aggregate(dev, server, mask)
    np.testing.assert_allclose(part.W[0, :, :, 0], dev.W[:2, :, :, 0].mean(axis=0))
    np.testing.assert_allclose(part.W[0, :, :, 1], dev.W[1, :, :, 1])
    np.testing.assert_allclose(part.W[0, :, :, 2], server.W[0, :, :, 2])  # nobody sent slice 2
    np.testing.assert_allclose(part.gamma[0], dev.gamma.mean(axis=0))


def test_slices_sent_are_those_that_moved_most():
    server = np.zeros((1, 1, 3))
    dev = np.array([[[[0.1, 0.5, -0.9]]], [[[2.0, 0.0, 1.0]]]])
    np.testing.assert_array_equal(select_slices(dev, server[None][0], 1), [[False, False, True], [True, False, False]])
    np.testing.assert_array_equal(select_slices(dev, server[None][0], 2), [[False, True, True], [True, False, True]])


def test_uplink_counter_on_a_hand_computed_case():
    # 3 learnable neurons, 5 presynaptic, 8 slices: all -> 8*15 + 6 = 126 floats
    assert uplink_per_round(3, 5, 8, 1.0, 32) == (126, 126 * 32)
    # a quarter -> 2 slices: 2*15 + 6 = 36 floats; 36*8 bits + 2 indices * 3 bits
    assert uplink_per_round(3, 5, 8, 0.25, 8) == (36, 36 * 8 + 6)
    assert uplink_per_round(3, 5, 8, 0.0, 16) == (6, 96)


def test_splits():
    y = np.repeat(np.arange(4), 6)
    one = split_devices(y, 4, "one_class_per_device", 0)
    assert [set(y[i]) for i in one] == [{0}, {1}, {2}, {3}]
    halves = split_devices(y, 4, "label_halves", 0)
    assert set(y[halves[0]]) | set(y[halves[1]]) == {0, 1} and set(y[halves[3]]) <= {2, 3}
    iid = split_devices(y, 3, "iid", 0)
    assert sorted(np.concatenate(iid).tolist()) == list(range(24)) and all(len(i) == 8 for i in iid)
    with pytest.raises(ValueError, match="split"):
        split_devices(y, 2, "by_speaker", 0)


def _toy(seed: int = 0):
    rng = np.random.default_rng(seed)
    protos = rng.random((2, 12)) < 0.5
    y = np.repeat([0, 1], 30)
    x = (rng.random((60, 8, 12)) < np.where(protos[y][:, None, :], 0.7, 0.05)).astype(np.uint8)
    return x, y


def _run(mode, fl, seed=1):
    x, y = _toy()
    idx = split_devices(y[:40], fl.n_devices, fl.split, 0)
    return run_federated(x, y, idx, x[40:], y[40:], 2, GLMParams(n_hidden=3, n_basis=3, filter_length=4),
                         RuleParams(delta_s=4, lr=0.1), fl, mode, seed, 2, 3)


def test_tiny_federation_learns_and_is_bit_reproducible_per_seed():
    fl = FLParams(samples_per_device=20, n_evals=2, tau=1)
    fed = _run("federated", fl)
    again = _run("federated", fl)
    assert fed.accuracy == again.accuracy and np.array_equal(fed.final.W, again.final.W)
    assert not np.array_equal(_run("federated", fl, seed=2).final.W, fed.final.W)
    sep = _run("separate", fl)
    assert fed.final_accuracy >= 0.85 and sep.final_accuracy == 0.5  # one class per device: chance
    frozen = _run("federated", FLParams(samples_per_device=4, n_evals=1, rate=0.0))
    np.testing.assert_array_equal(frozen.final.W[0], init_weights(GLMParams(n_hidden=3, n_basis=3, filter_length=4),
                                                                  12, 2, 2).W[0])  # no slice ever uploaded
    assert fed.rounds == 20 * 8 // 4 and fed.uplink_floats == fed.rounds * 2 * uplink_per_round(5, 17, 3, 1.0, 32)[0]


def test_bad_federation_params_are_rejected_naming_the_key():
    from pydantic import ValidationError

    for values, key in (({"n_devices": 0}, "n_devices"), ({"tau": 0}, "tau"), ({"rate": 1.5}, "rate"),
                        ({"rate": -0.1}, "rate"), ({"split": "by_speaker"}, "split")):
        with pytest.raises(ValidationError, match=key):
            FLParams(**values)
