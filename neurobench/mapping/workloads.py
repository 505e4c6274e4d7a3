"""Mapping workloads: a parameterised generator of the classic shapes, and the workbench's own SNNs.

The eSpine papers evaluate 10 workloads whose exact definitions are not available; the shapes
below follow the summary's table (§9) and the group's public test applications [code],
with our own sizes where those are unknown [inferred]:

========================  =====================================================================
``digit_mlp``             MLP ``n_in - hidden - 10`` (784-100-10: 894 neurons, 79,400 synapses)
``digit_stdp``            784 inputs -> ``exc`` excitatory (all-to-all), exc -> inh one-to-one,
                          inh -> every other exc (lateral inhibition, recurrent)
``lenet``                 side x side -> conv 6@5x5 -> avgpool 2 -> conv 16@5x5 -> avgpool 2
                          -> dense ``dense`` -> dense 10
``edge_detection``        side x side -> smoothing exc and inh (Gaussian ``k x k`` windows,
                          stride 2) -> edge neurons (one-to-one from both)
``image_smoothing``       side x side -> (side/2)^2 neurons, Gaussian ``k x k`` windows, stride 2
``heart_lsm``             ``n_in`` inputs -> recurrent reservoir (p = ``p_rec``) -> readout
``synthetic``             ``sizes`` all-to-all (or ``fan_in`` random inputs, shared by ``group``
                          neighbours) feed-forward layers
========================  =====================================================================

Spike counts of generated workloads are synthetic [inferred]: each population has a mean rate
(Hz), each neuron a log-normal rate around it (sigma 0.5) and a Poisson count over
``duration`` ms, all from ``np.random.default_rng(seed)``; ``table`` marks them synthetic.
``workload_from_network`` takes the counts recorded by ``neurobench.sim.simulate`` for the
workbench's own networks instead (``neurobench.experiments.endurance.workloads``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ..hardware.workload import SynapseGraph, Workload, from_network
from ..network import AvgPool2d, Conv2d, Dense, Network
from ..units import MS_PER_S

CLASSIC = ("digit_mlp", "digit_stdp", "lenet", "edge_detection", "image_smoothing", "heart_lsm", "synthetic")


def _counts(rng, sizes: Sequence[int], rates: Sequence[float], duration: float) -> np.ndarray:
    parts = []
    for n, rate in zip(sizes, rates):
        r = rate * rng.lognormal(-0.125, 0.5, n)  # mean of the log-normal factor is 1
        parts.append(rng.poisson(r * duration / MS_PER_S).astype(np.float64))
    return np.concatenate(parts)


def _graph(pre, post, weight, sizes, rates, duration, rng) -> SynapseGraph:
    spikes = _counts(rng, sizes, rates, duration)
    population = np.repeat(np.arange(len(sizes)), sizes)
    return SynapseGraph(np.concatenate(pre), np.concatenate(post), np.concatenate(weight), spikes, population)


def _all_to_all(n_pre, n_post, off_pre, off_post, rng):
    q, p = np.meshgrid(np.arange(n_post), np.arange(n_pre), indexing="ij")
    return p.ravel() + off_pre, q.ravel() + off_post, rng.normal(0, 1 / np.sqrt(n_pre), p.size)


def _random_fan_in(n_pre, n_post, k, off_pre, off_post, rng, group=1):
    k = min(k, n_pre)
    n_groups = -(-n_post // group)
    p = np.argsort(rng.random((n_groups, n_pre)), axis=1)[:, :k]
    p = np.repeat(p, group, axis=0)[:n_post]  # a group of posts shares one receptive field
    q = np.repeat(np.arange(n_post), k)
    return p.ravel() + off_pre, q + off_post, rng.normal(0, 1 / np.sqrt(k), q.size)


def _window(side: int, k: int, stride: int, off_pre, off_post, sigma: float):
    """Gaussian-weighted k x k windows of a side x side image at ``stride`` (padding k // 2)."""
    w = np.exp(-((np.arange(k) - (k - 1) / 2) ** 2) / (2 * sigma**2))
    kernel = np.outer(w, w)[None, None] / np.outer(w, w).sum()
    conv = Conv2d(kernel, stride=stride, padding=k // 2)
    pre, post, weight = conv.connectivity((1, side, side))
    return pre + off_pre, post + off_post, weight, int(np.prod(conv.output_shape((1, side, side))))


def digit_mlp(n_in: int = 784, hidden: int = 100, n_out: int = 10, seed: int = 0,
              rates=(20.0, 30.0, 20.0), duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    sizes = [n_in, hidden, n_out]
    a = _all_to_all(n_in, hidden, 0, n_in, rng)
    b = _all_to_all(hidden, n_out, n_in, n_in + hidden, rng)
    g = _graph([a[0], b[0]], [a[1], b[1]], [a[2], b[2]], sizes, rates, duration, rng)
    return Workload("digit_mlp", g, "MLP", "generator")


def digit_stdp(n_in: int = 784, exc: int = 100, seed: int = 0, rates=(20.0, 40.0, 20.0),
               duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    sizes = [n_in, exc, exc]
    e0, i0 = n_in, n_in + exc
    a = _all_to_all(n_in, exc, 0, e0, rng)
    one = np.arange(exc)
    b = (one + e0, one + i0, np.ones(exc))
    q, p = np.meshgrid(np.arange(exc), np.arange(exc), indexing="ij")
    keep = p != q
    c = (p[keep] + i0, q[keep] + e0, -np.ones(keep.sum()))
    g = _graph([a[0], b[0], c[0]], [a[1], b[1], c[1]], [a[2], b[2], c[2]], sizes, rates, duration, rng)
    return Workload("digit_stdp", g, "recurrent (STDP, lateral inhibition)", "generator")


def lenet(side: int = 28, dense: int = 500, seed: int = 0, rate: float = 20.0, duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    c1 = Conv2d(rng.normal(0, 0.2, (6, 1, 5, 5)))
    s1 = c1.output_shape((1, side, side))
    p1 = AvgPool2d(2).output_shape(s1)
    c2 = Conv2d(rng.normal(0, 0.1, (16, 6, 5, 5)))
    p2 = AvgPool2d(2).output_shape(c2.output_shape(p1))
    n_flat = int(np.prod(p2))
    net = Network((1, side, side), (c1, AvgPool2d(2), c2, AvgPool2d(2),
                                    Dense(rng.normal(0, 1 / np.sqrt(n_flat), (dense, n_flat))),
                                    Dense(rng.normal(0, 1 / np.sqrt(dense), (10, dense)))))
    counts = np.split(_counts(rng, net.sizes, [rate] * len(net.sizes), duration), np.cumsum(net.sizes)[:-1])
    return Workload("lenet", from_network(net, counts), "CNN", "generator")


def edge_detection(side: int = 28, k: int = 5, seed: int = 0, rates=(20.0, 30.0, 30.0, 20.0),
                   duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    n_in = side * side
    pe, qe, we, m = _window(side, k, 2, 0, n_in, sigma=k / 4)
    pi, qi, wi, _ = _window(side, k, 2, 0, n_in + m, sigma=k / 2)
    one = np.arange(m)
    sizes = [n_in, m, m, m]
    pre = [pe, pi, one + n_in, one + n_in + m]
    post = [qe, qi, one + n_in + 2 * m, one + n_in + 2 * m]
    weight = [we, wi, np.ones(m), -np.ones(m)]
    return Workload("edge_detection", _graph(pre, post, weight, sizes, rates, duration, rng), "feed-forward", "generator")


def image_smoothing(side: int = 28, k: int = 5, seed: int = 0, rates=(20.0, 30.0), duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    n_in = side * side
    p, q, w, m = _window(side, k, 2, 0, n_in, sigma=k / 4)
    return Workload("image_smoothing", _graph([p], [q], [w], [n_in, m], rates, duration, rng), "feed-forward", "generator")


def heart_lsm(n_in: int = 16, reservoir: int = 150, n_out: int = 4, p_rec: float = 0.2, seed: int = 0,
              rates=(40.0, 30.0, 20.0), duration: float = 100.0) -> Workload:
    rng = np.random.default_rng(seed)
    sizes = [n_in, reservoir, n_out]
    a = _all_to_all(n_in, reservoir, 0, n_in, rng)
    q, p = np.nonzero((rng.random((reservoir, reservoir)) < p_rec) & ~np.eye(reservoir, dtype=bool))
    b = (p + n_in, q + n_in, rng.normal(0, 1 / np.sqrt(reservoir * p_rec), p.size))
    c = _all_to_all(reservoir, n_out, n_in, n_in + reservoir, rng)
    g = _graph([a[0], b[0], c[0]], [a[1], b[1], c[1]], [a[2], b[2], c[2]], sizes, rates, duration, rng)
    return Workload("heart_lsm", g, "recurrent (liquid state machine)", "generator")


def synthetic(sizes: Sequence[int] = (500, 500, 500), fan_in: int | None = None, group: int = 1, seed: int = 0,
              rate: float = 20.0, duration: float = 100.0, name: str = "synthetic") -> Workload:
    """Feed-forward layers, all-to-all (``fan_in=None``) or ``fan_in`` random inputs per neuron.

    With ``group > 1``, each run of ``group`` consecutive neurons shares one random set of
    ``fan_in`` inputs (a receptive field, as convolution channels at one position share theirs).
    """
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    pre, post, weight = [], [], []
    for i in range(len(sizes) - 1):
        if fan_in is None:
            p, q, w = _all_to_all(sizes[i], sizes[i + 1], offsets[i], offsets[i + 1], rng)
        else:
            p, q, w = _random_fan_in(sizes[i], sizes[i + 1], fan_in, offsets[i], offsets[i + 1], rng, group)
        pre.append(p)
        post.append(q)
        weight.append(w)
    g = _graph(pre, post, weight, list(sizes), [rate] * len(sizes), duration, rng)
    return Workload(name, g, "feed-forward", "generator")


GENERATORS = {
    "digit_mlp": digit_mlp, "digit_stdp": digit_stdp, "lenet": lenet, "edge_detection": edge_detection,
    "image_smoothing": image_smoothing, "heart_lsm": heart_lsm, "synthetic": synthetic,
}


def classic(name: str, **kwargs) -> Workload:
    """A generated workload by name (``CLASSIC``), keyword arguments passed to its generator."""
    if name not in GENERATORS:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(GENERATORS)}")
    return GENERATORS[name](**kwargs)


def workload_from_network(network: Network, spike_counts, name: str = "network", topology: str | None = None) -> Workload:
    """A workload (``neurobench.hardware.workload.Workload``, counts only) from a workbench network and
    recorded spike counts per inference (a ``SimRecord`` or one array per population)."""
    if hasattr(spike_counts, "layers"):
        spike_counts = [spike_counts.input_spike_count] + [layer.spike_count for layer in spike_counts.layers]
    kinds = "-".join(type(layer).__name__ for layer in network.layers)
    return Workload(name, from_network(network, spike_counts), topology or kinds, "simulated")


def table(workloads: Sequence[Workload]) -> pd.DataFrame:
    """Neurons, synapses and spikes per inference of each workload, and whether its spike counts
    are synthetic (generated, ``source == "generator"``) or simulated by ``neurobench.sim``."""
    return pd.DataFrame({
        "workload": [w.name for w in workloads],
        "topology": [w.topology for w in workloads],
        "synthetic": [w.source == "generator" for w in workloads],
        "activity": ["synthetic (generated counts)" if w.source == "generator" else "simulated (neurobench.sim)"
                     for w in workloads],
        "neurons": [w.graph.n_neurons for w in workloads],
        "synapses": [w.graph.n_synapses for w in workloads],
        "spikes per inference": [w.graph.total_spikes() for w in workloads],
    })


def generated_set(image_side: int = 28, hidden: int = 100, lenet_side: int = 16, lenet_dense: int = 100,
                  reservoir: int = 150, synthetic_sizes: Sequence[int] = (300, 300, 300),
                  rf_sizes: Sequence[int] = (600, 600, 600), rf_fan_in: int = 100, rf_group: int = 50,
                  duration: float = 100.0, seed: int = 0) -> list[Workload]:
    """The eight generated workloads of the endurance experiment (module docstring)."""
    n_in = image_side * image_side
    return [
        digit_mlp(n_in, hidden, seed=seed, duration=duration),
        digit_stdp(n_in, hidden, seed=seed, duration=duration),
        lenet(lenet_side, lenet_dense, seed=seed, duration=duration),
        edge_detection(image_side, seed=seed, duration=duration),
        image_smoothing(image_side, seed=seed, duration=duration),
        heart_lsm(reservoir=reservoir, seed=seed, duration=duration),
        synthetic(tuple(synthetic_sizes), seed=seed, duration=duration),
        synthetic(tuple(rf_sizes), fan_in=rf_fan_in, group=rf_group, seed=seed, duration=duration,
                  name="synthetic_rf"),
    ]
