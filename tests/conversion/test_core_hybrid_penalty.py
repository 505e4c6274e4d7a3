"""The hybrid-chip baseline and its representability check; the weight penalty."""

from __future__ import annotations

import numpy as np
import pytest

from neurobench.executor import ExecutorParams
from neurobench.ann.train import load_data, train_ann
from neurobench.conversion import Analog, Converter, Hybrid, solve_neuron
from neurobench.conversion.constraints import hybrid_violations
from neurobench.conversion.normalize import constrain, hybrid_baseline, normalize

SPEC = Hybrid(max_multiplicity=3, n_types=2, s_max=2.0, m_step="round", max_iter=5)


@pytest.fixture(scope="module")
def mlp_and_x():
    x_train, y_train, _, _ = load_data("digits")
    return train_ann("mlp", x_train, y_train, hidden=(12,), epochs=10), x_train[:150]


def test_hybrid_baseline_is_representable_and_the_clipped_one_is_not(mlp_and_x):
    mlp, x = mlp_and_x
    net = normalize(mlp, x, max_rate=500.0, dt=1.0)
    top = SPEC.max_multiplicity * SPEC.s_max
    clipped = constrain(net, w_min=-top, w_max=top)
    base = hybrid_baseline(net, SPEC)
    assert hybrid_violations(base, SPEC) == 0
    n_weights = sum(layer.weight.size for layer in net.layers)
    assert hybrid_violations(clipped, SPEC) > 0.5 * n_weights
    # the baseline stays close to the normalised weights: one rounding step per weight
    for a, b in zip(net.layers, base.layers):
        step = np.abs(b.weight).max(axis=1, keepdims=True) / SPEC.max_multiplicity
        assert np.all(np.abs(np.clip(a.weight, -top, top) - b.weight) <= step / 2 + 1e-9)
    # one weight off its level is one violation
    w = base.layers[0].weight.copy()
    w[0, np.flatnonzero(w[0])[0]] *= 1.1
    from dataclasses import replace
    broken = replace(base, layers=(replace(base.layers[0], weight=w),) + base.layers[1:])
    assert hybrid_violations(broken, SPEC) == 1


def test_lp_hybrid_network_is_representable(mlp_and_x):
    mlp, x = mlp_and_x
    conv = Converter(constraints=SPEC, executor=ExecutorParams(kind="local"), n_steps=60)
    net = conv.fit(mlp, x[:80])
    types = [np.stack([s.scale for s in layer]) for layer in conv.solutions_]
    assert hybrid_violations(net, SPEC, type_weights=types) == 0
    assert hybrid_violations(constrain(net, w_min=-1.0, w_max=1.0), SPEC, type_weights=types) > 0


def _overfit_problem(seed: int = 0):
    """25 calibration rows for 20 inputs (barely over-determined), noisy targets of a small
    sparse neuron; 400 held-out rows."""
    rng = np.random.default_rng(seed)
    n, s_cal, s_test = 20, 25, 400
    w_true = np.zeros(n)
    w_true[:4] = [0.8, -0.5, 0.6, 0.4]
    R = rng.uniform(0, 1, (s_cal + s_test, n))
    z = R @ w_true + 0.5 + 0.15 * rng.standard_normal(s_cal + s_test)
    return R[:s_cal], z[:s_cal], R[s_cal:], R[s_cal:] @ w_true + 0.5


@pytest.mark.parametrize("objective, norm, lam", [("l1", "l1", 0.1), ("linf", "l1", 0.03), ("ls", "l2", 0.5)])
def test_weight_penalty_shrinks_weights_and_generalises(objective, norm, lam):
    R, z, R_test, z_test = _overfit_problem()
    plain = solve_neuron(R, z, objective=objective, constraints=Analog(w_min=-8, w_max=8))
    pen = solve_neuron(R, z, objective=objective,
                       constraints=Analog(w_min=-8, w_max=8, weight_penalty=lam, penalty_norm=norm))
    norm_of = (lambda w: np.abs(w).sum()) if norm == "l1" else (lambda w: w @ w)
    assert norm_of(pen.weights) < 0.7 * norm_of(plain.weights)
    assert pen.penalty == pytest.approx(lam * norm_of(pen.weights))
    held_out = lambda s: np.sqrt(np.mean((R_test @ s.weights + s.bias - z_test) ** 2))  # noqa: E731
    assert held_out(pen) < 0.8 * held_out(plain)


def test_penalty_norm_errors_name_the_objective():
    R, z, _, _ = _overfit_problem()
    with pytest.raises(ValueError, match="penalty_norm = 'l2' is not allowed with objective = 'linf'"):
        solve_neuron(R, z, objective="linf", constraints=Analog(weight_penalty=0.1, penalty_norm="l2"))
    with pytest.raises(ValueError, match="penalty_norm = 'l1' is not allowed with objective = 'ls'"):
        solve_neuron(R, z, objective="ls", constraints=Analog(weight_penalty=0.1))
    with pytest.raises(ValueError, match="weight_penalty"):
        Analog(weight_penalty=-1.0)
    # no penalty: any norm goes
    solve_neuron(R, z, objective="l1", constraints=Analog(penalty_norm="l2"))
