"""Node pruning: exact sizes, recovery of the neurons that matter, and Converter integration."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.executor import ExecutorParams
from neurobench.ann import Ann
from neurobench.conversion import Analog, Converter
from neurobench.conversion.prune import METHODS, select_neurons
from neurobench.network import Dense
from neurobench.sim import simulate
from neurobench.sim.brian import simulate_brian


def planted_problem(n=12, m=3, S=80, relevant=(1, 4, 7, 10), seed=0):
    """Next-layer targets driven by ``relevant`` hidden neurons only; the others are noise."""
    rng = np.random.default_rng(seed)
    R = rng.random((S, n)) * 0.3
    W = np.zeros((m, n))
    W[:, list(relevant)] = rng.uniform(0.5, 2.0, (m, len(relevant))) * rng.choice([-1, 1], (m, len(relevant)))
    Z = R @ W.T + 0.05
    silent = Z <= 0
    Z[silent] = 0.0
    return R, Z, silent, np.array(relevant)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("k", [1, 4, 7, 12])
def test_selection_returns_exactly_k_sorted_distinct_neurons(method, k):
    R, Z, silent, _ = planted_problem()
    sel = select_neurons(R, Z, silent, k, method, w_min=-4.0, w_max=4.0, time_limit=20.0)
    assert sel.keep.shape == (k,)
    assert np.array_equal(sel.keep, np.unique(sel.keep))
    assert sel.keep.min() >= 0 and sel.keep.max() < R.shape[1]
    assert sel.status in ("optimal", "time_limit")


@pytest.mark.parametrize("method", ["group_lp", "greedy", "milp"])
def test_informed_selection_recovers_the_planted_neurons(method):
    R, Z, silent, relevant = planted_problem()
    sel = select_neurons(R, Z, silent, len(relevant), method, w_min=-4.0, w_max=4.0, time_limit=20.0)
    assert np.array_equal(sel.keep, relevant)


def test_milp_selection_is_proven_optimal_on_a_small_layer():
    R, Z, silent, relevant = planted_problem()
    sel = select_neurons(R, Z, silent, 4, "milp", w_min=-4.0, w_max=4.0, time_limit=20.0)
    assert sel.status == "optimal" and sel.mip_gap is not None and sel.mip_gap <= 1e-4


def test_random_selection_depends_only_on_the_seed():
    R, Z, silent, _ = planted_problem()
    a = select_neurons(R, Z, silent, 5, "random", seed=3).keep
    assert np.array_equal(a, select_neurons(R, Z, silent, 5, "random", seed=3).keep)
    assert not np.array_equal(a, select_neurons(R, Z, silent, 5, "random", seed=4).keep)


@pytest.mark.parametrize("k, method, match", [(0, "greedy", "prune size k = 0"), (13, "greedy", r"\[1, 12\]"),
                                              (3, "magic", "prune method = 'magic'")])
def test_bad_selection_arguments_are_named(k, method, match):
    R, Z, silent, _ = planted_problem()
    with pytest.raises(ValueError, match=match):
        select_neurons(R, Z, silent, k, method)


def small_mlp(seed=0) -> tuple[Ann, np.ndarray]:
    rng = np.random.default_rng(seed)
    layers = [Dense(rng.normal(0, 0.6, (16, 8)), rng.normal(0.05, 0.02, 16)), Dense(rng.normal(0, 0.5, (3, 16)))]
    return Ann((8,), layers, ("relu", "linear")), rng.random((120, 8))


def test_pruned_conversion_has_the_requested_size_and_runs_identically_in_brian2():
    ann, x = small_mlp()
    conv = Converter(constraints=Analog(w_min=-8.0, w_max=8.0), n_steps=60, executor=ExecutorParams(kind="local"),
                     prune={0: 6}, prune_method="greedy")
    net = conv.fit(ann, x)
    assert net.sizes == (8, 6, 3)
    assert np.array_equal(net.layers[0].weight, conv.network_.layers[0].weight)
    assert conv.layer_reports_[0].n_neurons == 6 and len(conv.selections_[0].keep) == 6
    spikes = conv.encode(x[:4])
    clock, brian = simulate(net, spikes, 1.0), simulate_brian(net, spikes, 1.0)
    for a, b in zip(clock.layers, brian.layers):
        assert np.array_equal(a.spike_count, b.spike_count)


def test_pruning_keeps_the_kept_neurons_incoming_weights():
    ann, x = small_mlp()
    full = Converter(n_steps=60, executor=ExecutorParams(kind="local")).fit(ann, x)
    conv = Converter(n_steps=60, executor=ExecutorParams(kind="local"), prune={0: 5}, prune_method="random")
    pruned = conv.fit(ann, x)
    keep = conv.selections_[0].keep
    assert np.array_equal(pruned.layers[0].weight, full.layers[0].weight[keep])
    assert pruned.layers[1].weight.shape == (3, 5)


@pytest.mark.parametrize("prune, match", [({1: 2}, "prune layer 1"), ({0: 17}, r"\[1, 16\]")])
def test_converter_rejects_bad_pruning_before_solving(prune, match):
    ann, x = small_mlp()
    with pytest.raises(ValueError, match=match):
        Converter(executor=ExecutorParams(kind="local"), prune=prune).fit(ann, x)
