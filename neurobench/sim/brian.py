"""Brian2 backend: the reference simulator that ``neurobench.sim.clock`` is checked against.

``simulate_brian`` builds the layered network straight from its weight arrays and runs it in a
fresh ``brian2.Network``. Each layer is one ``NeuronGroup`` holding the whole batch (sample ``b``,
neuron ``k`` -> index ``b * n + k``), fed by one ``Synapses`` whose connections are
``network.connectivity`` tiled over the batch; the input is a ``SpikeGeneratorGroup``. The
model is the one ``neurobench.neurons.params`` states, integrated with ``method="exact"``::

    dv/dt = -v / tau_m + I + b : volt (unless refractory)      (IF: no -v / tau_m term)
    dI/dt = -I / tau_syn : volt/second                          (tau_syn > 0 only)
    threshold  v >= v_th;  reset  v = 0*mV  or  v -= v_th
    on_pre     I_post += w    (tau_syn > 0)
               v_post += w * int(not_refractory_post)   (delta synapses, refractory neurons)

Brian2's default schedule (state update, thresholds, synapses, resets) is the order that
``clock.py`` mirrors step by step. Refractoriness follows ``clock.py`` too: the period is
quantized to ``NeuronParams.refractory_steps(dt)`` steps before it is given to Brian2 (Brian2
itself would floor ``t_ref / dt``), and a population with 0 refractory steps gets
``refractory=False``: with any refractory period Brian2 makes a neuron refractory for the rest
of its spike's time step, so delta input arriving in that step is ignored, which is exactly
what ``clock.py`` does when ``round(t_ref / dt) > 0`` and not otherwise.
"""

from __future__ import annotations

import time

import brian2 as b2
import numpy as np
import sympy as sp
from brian2 import mV, ms
from brian2.parsing.sympytools import sympy_to_str
from brian2.stateupdaters.exact import get_linear_system
from brian2.utils.caching import cached

from ..network import Network
from ..neurons import NeuronParams
from ..units import MS_PER_S, MV_PER_V
from .clock import validate_input
from .record import LayerRecord, SimRecord

TARGETS = ("numpy", "cython")


@cached
def _exact_affine(equations, variables=None, method_options=None) -> str:
    """Exact update of an affine ODE system dX/dt = M X + B (M, B constant over a step).

    Brian2's ``"exact"`` first solves for a fixed point ``M X* = -B`` and so rejects IF neurons,
    whose M is singular (brian2 issue #1010); the matrix exponential of the augmented system
    ``[[M, B], [0, 0]] * dt`` gives the exact one-step propagator for any M.
    """
    names, matrix, constants = get_linear_system(equations, variables)
    n = len(names)
    dt = sp.Symbol("dt", real=True, positive=True)
    prop = (matrix.row_join(constants).col_join(sp.zeros(1, n + 1)) * dt).exp()
    prop = prop.applyfunc(lambda e: sp.factor_terms(sp.cancel(sp.signsimp(e))))
    state = [sp.Symbol(name, real=True) for name in names] + [1]
    code = [f"_{name} = {sympy_to_str(sum(prop[r, c] * state[c] for c in range(n + 1)))}" for r, name in enumerate(names)]
    return "\n".join(code + [f"{name} = _{name}" for name in names])


def _neuron_group(p: NeuronParams, size: int, dt: float, clock: b2.Clock, name: str) -> b2.NeuronGroup:
    """One layer's population (whole batch) with its model equations."""
    ref_steps = p.refractory_steps(dt)
    flag = " (unless refractory)" if ref_steps > 0 else ""
    leak = "-v / tau_m + " if p.leaky else ""
    current = "I + " if p.tau_syn > 0 else ""
    eqs = f"dv/dt = {leak}{current}b : volt{flag}\nb : volt/second (constant)\n"
    if p.tau_syn > 0:
        eqs += "dI/dt = -I / tau_syn : volt/second\n"
    return b2.NeuronGroup(
        size,
        eqs,
        threshold="v >= v_th",
        reset="v = 0*mV" if p.reset == "zero" else "v -= v_th",
        refractory=ref_steps * dt * ms if ref_steps > 0 else False,
        method="exact" if p.leaky else _exact_affine,
        namespace={"tau_m": p.tau_m * ms, "tau_syn": p.tau_syn * ms, "v_th": p.v_th * mV},
        clock=clock,
        name=name,
    )


def _on_pre(p: NeuronParams, dt: float) -> str:
    if p.tau_syn > 0:
        return "I_post += w"
    if p.refractory_steps(dt) > 0:
        # Brian2 would also skip this write on its own (v is "unless refractory"): explicit here.
        return "v_post += w * int(not_refractory_post)"
    return "v_post += w"


def _tile(index: np.ndarray, n: int, batch: int) -> np.ndarray:
    """Indices of one sample's neurons repeated for every sample of the batch (b * n + index)."""
    return (np.arange(batch)[:, None] * n + index[None, :]).ravel()


def _build(network: Network, x: np.ndarray, dt: float, record_v: bool) -> tuple[b2.Network, list, list]:
    """The Brian2 objects of one run of ``network`` on the validated input ``x`` (batch, n_steps,
    n_in): input generator, one NeuronGroup and Synapses per layer, spike (and ``v``) monitors.

    Returns (the ``brian2.Network``, the spike monitors, the ``v`` monitors, one per layer)."""
    batch, _, n_in = x.shape
    sizes = network.sizes
    clock = b2.Clock(dt=dt * ms, name="neurobench_clock")
    s_idx, s_step, k_idx = np.nonzero(x)
    inputs = b2.SpikeGeneratorGroup(
        batch * n_in, s_idx * n_in + k_idx, s_step * dt * ms, clock=clock, name="inputs"
    )
    groups, synapses = [], []
    source = inputs
    for i, p in enumerate(network.neurons):
        n = sizes[i + 1]
        group = _neuron_group(p, batch * n, dt, clock, f"layer{i}")
        group.b = np.tile(network.bias(i), batch) * mV / ms
        pre, post, w = network.connectivity(i)
        syn = b2.Synapses(
            source,
            group,
            model="w : volt/second" if p.tau_syn > 0 else "w : volt",
            on_pre=_on_pre(p, dt),
            clock=clock,
            name=f"synapses{i}",
        )
        syn.connect(i=_tile(pre, sizes[i], batch), j=_tile(post, n, batch))
        syn.w = np.tile(w, batch) * (mV / ms if p.tau_syn > 0 else mV)
        groups.append(group)
        synapses.append(syn)
        source = group
    spike_mons = [b2.SpikeMonitor(g) for g in groups]
    v_mons = [b2.StateMonitor(g, "v", record=True, when="end", clock=clock) for g in groups] if record_v else []
    return b2.Network(inputs, *groups, *synapses, *spike_mons, *v_mons), spike_mons, v_mons


def _run(net: b2.Network, n_steps: int, dt: float, target: str) -> None:
    """Run ``net`` for ``n_steps`` steps of ``dt`` ms with code generation ``target``, restoring
    Brian2's global target preference afterwards."""
    old_target = b2.prefs.codegen.target
    b2.prefs.codegen.target = target
    try:
        net.run(n_steps * dt * ms, namespace={})
    finally:
        b2.prefs.codegen.target = old_target


def _collect(network: Network, x: np.ndarray, dt: float, spike_mons: list, v_mons: list,
             record_spikes: bool, record_v: bool) -> list[LayerRecord]:
    """Read the monitors back into one ``LayerRecord`` per layer (steps from spike times in s,
    potentials in mV, synaptic operations from the presynaptic spike counts)."""
    batch, n_steps, _ = x.shape
    sizes = network.sizes
    pre_counts = x.sum(axis=1).astype(np.int64)  # spikes of each layer's presynaptic population
    layers = []
    for i, mon in enumerate(spike_mons):
        n = sizes[i + 1]
        idx = np.asarray(mon.i[:], dtype=np.int64)
        steps = np.rint(np.asarray(mon.t_[:]) / (dt / MS_PER_S)).astype(np.int64)  # s -> steps
        counts = np.bincount(idx, minlength=batch * n).reshape(batch, n)
        first = np.full(batch * n, -1, dtype=np.int64)
        uniq, first_pos = np.unique(idx, return_index=True)  # monitor rows are in time order
        first[uniq] = steps[first_pos]
        spikes = None
        if record_spikes:
            spikes = np.zeros((batch * n, n_steps), dtype=bool)
            spikes[idx, steps] = True
            spikes = spikes.reshape(batch, n, n_steps).transpose(0, 2, 1).copy()
        v = None
        if record_v:
            v = (np.asarray(v_mons[i].v_[:]) * MV_PER_V).reshape(batch, n, n_steps).transpose(0, 2, 1).copy()
        synops = pre_counts @ network.fan_out(i).astype(np.int64)
        layers.append(LayerRecord(counts, first.reshape(batch, n), synops, spikes, v))
        pre_counts = counts
    return layers


def simulate_brian(
    network: Network,
    input_spikes: np.ndarray,
    dt: float = 1.0,
    record_spikes: bool = False,
    record_v: bool = False,
    target: str = "numpy",
    timings: dict | None = None,
) -> SimRecord:
    """Run ``network`` in Brian2; same arguments and result as ``neurobench.sim.clock.simulate``.

    ``target`` is Brian2's code generation target, "numpy" or "cython" (the first cython run
    compiles, later runs reuse Brian2's on-disk cache). A ``timings`` dict, if given, receives
    the wall times in s of building the Brian2 objects ("build"), of ``Network.run`` (code
    generation, compilation if not cached, simulation: "run") and of reading the monitors back
    ("collect").
    """
    tic = time.perf_counter()
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    x = validate_input(network, input_spikes, dt)
    n_steps = x.shape[1]
    net, spike_mons, v_mons = _build(network, x, dt, record_v)
    toc = time.perf_counter()
    _run(net, n_steps, dt, target)
    ran = time.perf_counter()
    layers = _collect(network, x, dt, spike_mons, v_mons, record_spikes, record_v)
    if timings is not None:
        timings.update(build=toc - tic, run=ran - toc, collect=time.perf_counter() - ran)
    return SimRecord(layers, x.sum(axis=1).astype(np.int64), float(dt), n_steps, "brian2")
