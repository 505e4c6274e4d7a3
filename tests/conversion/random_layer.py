"""A random conversion layer and its per-neuron objectives, shared by the LP-path tests
(``test_warm.py``, ``test_row_generation.py``)."""

import numpy as np

from neurobench.conversion.layer import NeuronOptions, solve_layer


def layer(seed: int = 0, S: int = 60, n: int = 10, m: int = 6):
    """Rates in [0, 1), targets of a random layer plus noise; negative targets are silent."""
    rng = np.random.default_rng(seed)
    R = rng.random((S, n))
    Z = R @ rng.normal(size=(n, m)) + 0.1 * rng.normal(size=(S, m))
    return R, Z, Z < 0


def objectives(constraints, objective="l1", silent_mode="hinge", max_error=None, seed=0, S=60, m=6):
    """Per-neuron penalised objectives of one random layer (``layer(seed, S, m=m)``), solved in this
    process, and the layer's solution."""
    R, Z, silent = layer(seed, S, m=m)
    sol = solve_layer(R, Z, silent, 0.0, objective, constraints, None,
                      options=NeuronOptions(silent_mode=silent_mode), max_error=max_error, progress=False)
    return np.array([s.objective + s.penalty for s in sol.solutions]), sol
