"""The federated report's NeuroBench-style rows (``neurobench.metrics.table``): a trained GLM SNN
(``neurobench.federated.glm_snn``) from one recorded test pass with the evaluation's draws.

Every learnable neuron listens to every input and every learnable neuron through ``K_a`` basis
filters, so a synapse is one post x pre x filter entry of ``W`` (N, P, K_a). At step ``t`` the
potential is ``W`` applied to the filtered traces of the last ``L`` steps: a trace entry (j, k) is
non-zero when presynaptic ``j`` spiked at a lag where filter ``k`` is non-zero, and costs one MAC
per non-zero ``W[:, j, k]`` (the traces are real-valued). The per-neuron feedback filter is a
self-connection, not counted (as NeuroBench excludes self-connections).
"""

from __future__ import annotations

import numpy as np

from ...federated.glm_snn import GLMParams, GLMState, _recurrent_mask, predict_scores, raised_cosine_basis
from ...metrics import table

__all__ = ["NOTE", "glm_row"]

NOTE = ("probabilistic GLM SNN sampled with the evaluation's draws: a synapse per post x pre x basis filter, the "
        "filtered traces are real-valued (MACs); the per-neuron feedback filters are self-connections, not counted")
"""The note of a GLM SNN's row."""


def glm_row(st: GLMState, p: GLMParams, x: np.ndarray, y: np.ndarray, n_out: int, seed: int, note: str = "") -> dict:
    """The ``recurrent SNN`` row of network ``st`` (D = 1) on test frames ``x`` (B, T, n_in)
    with labels ``y``, sampled with the draws of ``default_rng(seed)`` as ``glm_snn.evaluate``:

    * ``Effective_MACs = (1/B) sum_t sum_{j,k} [trace (j, k) != 0 at t] * #{i: W[i, j, k] != 0}``,
      ``Dense = T * N * P * K_a``;
    * ``ActivationSparsity``: silent (neuron, step) pairs of the sampled hidden and output neurons;
    * accuracy of the argmax of the expected output spike counts; ``ParameterCount`` of ``W``,
      ``w_fb`` and ``gamma``, ``ConnectionSparsity`` over ``W``.
    """
    x = np.asarray(x, dtype=np.float64)
    n = st.gamma.shape[1]
    u = np.random.default_rng(int(seed)).random((x.shape[0], x.shape[1], n))
    scores, spikes = predict_scores(st, p, x, n_out, u, record=True)
    pre = np.concatenate([x != 0, spikes * _recurrent_mask(p, n, n_out).astype(bool)], axis=2)  # (B, T, P)
    basis = raised_cosine_basis(p.n_basis, p.filter_length) != 0  # (K_a, L): lag d + 1
    fan = np.count_nonzero(st.W[0], axis=0)  # (P, K_a)
    n_steps = x.shape[1]
    macs = 0.0
    for k in range(p.n_basis):
        active = np.zeros(pre.shape, dtype=bool)
        for d in np.flatnonzero(basis[k]):
            lag = int(d) + 1
            if lag < n_steps:
                active[:, lag:] |= pre[:, :n_steps - lag]
        macs += float((active.sum(axis=1) @ fan[:, k]).mean())
    static = table.tensor_metrics([st.W[0]], [st.w_fb[0], st.gamma[0]])
    sparsity = 1.0 - float(spikes.mean())
    accuracy = float(np.mean(scores.argmax(axis=1) == np.asarray(y)))
    dense = float(n_steps * st.W[0].size)
    return table.row("recurrent SNN", static, sparsity, 0.0, macs, dense, accuracy,
                     "; ".join(t for t in (NOTE, note) if t))
