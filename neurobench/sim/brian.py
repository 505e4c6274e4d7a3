"""Brian2 backend: the reference simulator that ``neurobench.sim.clock`` is checked against.

``simulate_brian`` builds the layered network straight from its weight arrays and runs it in a
fresh ``brian2.Network``. Each layer is one ``NeuronGroup`` holding the whole batch (sample ``b``,
neuron ``k`` -> index ``b * n + k``), fed by one ``Synapses`` whose connections are
``network.connectivity`` tiled over the batch (none for a layer whose weights are all zero: it
is driven by its bias alone); the input is a ``SpikeGeneratorGroup``. The model is the one
``neurobench.neurons.params`` states::

    dv/dt = (-v / tau_m + I + b) / ms : 1 (unless refractory)   (IF: no -v / tau_m term)
    dI/dt = -I / tau_syn / ms : 1                               (tau_syn > 0 only)
    threshold  v >= v_th;  reset  v = 0  or  v -= v_th
    on_pre     syn_input_post += w       (after the synapse's delay, in whole steps, if any)
    synapses slot, after every pathway:  v += syn_input * int(not_refractory)  (delta synapses)
                                         or I += syn_input (current-based);  syn_input = 0

**Why the state variables are dimensionless numbers in mV.** Spikes are threshold crossings of
floating-point sums, so "identical spikes" needs bit-identical sums, not merely close ones.
Brian2 would hold ``v`` in volts: ``1e-4`` V is not ``0.1`` mV divided by 1000 in binary, and
ten steps of a 0.1 mV/ms drive give 0.9999999999999999 mV in mV but 0.0010000000000000002 V in
volts, so a neuron with a 1 mV threshold fires one step apart in the two simulators. Here ``v``
(mV), ``I``, ``b`` (mV/ms), ``w`` (mV or mV/ms) and the namespace constants ``v_th`` (mV),
``tau_m``, ``tau_syn`` (ms) are plain numbers in the clock simulator's units, and every operation
on them is the clock simulator's, in its order:

* state update (``_step_code``): ``v = (a_v * v + c_b * b) + c_i * I`` then ``I = a_i * I``,
  one binary operation per abstract-code statement (Brian2's optimiser may reorder the terms of
  a longer sum), with the coefficients of ``neurobench.sim.coefficients.StepCoefficients``, the
  floats the clock simulator uses (``tests/sim/test_coefficients.py`` checks them against
  Brian2's own exact solution of the ODE);
* synapses: Brian2 delivers the spikes of a step synapse by synapse, for each spiking
  presynaptic neuron in ascending index, with ``numpy.add.at`` (in order) or a loop (cython).
  Adding each ``w`` straight into ``v`` would give ``(v + w1) + w2`` where the clock simulator
  computes ``v + (w1 + w2)``; so the weights are first summed into ``syn_input`` (from 0, in
  ascending presynaptic index: the order of the clock simulator's CSR product) and added to
  ``v`` or ``I`` once, by a ``run_regularly`` operation in the ``synapses`` slot after every
  pathway (``order=1``) and before the resets. With synaptic delays (``Dense.delay``) each
  ``Synapses`` gets its per-synapse ``delay`` in whole steps; Brian2's spike queue then delivers
  a step's events in the order they were pushed, which ``clock.py`` reproduces.

What Brian2 checks independently is therefore the schedule, refractoriness, spike delivery
and the wiring; the one-step propagator is shared with the clock simulator (the equations'
right-hand sides document the model and pass Brian2's unit check, but ``_step_code`` does not
integrate them symbolically), and it is tested against Brian2's symbolic solver instead.

Brian2 units stay at the interface with Brian2's machinery: the clock's ``dt``, the refractory
period and the spike times are quantities in ms/s; the equations carry ``/ ms`` so that Brian2's
unit check of the model still passes.

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
from brian2 import ms

from ..network import Network
from ..neurons import NeuronParams
from ..units import MS_PER_S
from .clock import validate_input
from .coefficients import StepCoefficients
from .record import LayerRecord, SimRecord

TARGETS = ("numpy", "cython")


def _step_code(equations, variables=None, method_options=None) -> str:
    """Brian2 state updater (a ``method`` callable): one exact step of the linear neuron ODE as
    ``StepCoefficients`` gives it, ``v = (a_v v + c_b b) + c_i I`` and ``I = a_i I`` with the
    coefficients taken from the group's namespace, written one binary operation per statement
    so that Brian2 evaluates it exactly as ``neurobench.sim.clock`` does (old ``I`` in the ``v``
    update, then the decay of ``I``)."""
    has_current = "I" in equations.diff_eq_names
    code = ["_leaked = a_v * v", "_drive = c_b * b", "_driven = _leaked + _drive"]
    if has_current:
        code += ["_input = c_i * I", "v = _driven + _input", "I = a_i * I"]
    else:
        code += ["v = _driven"]
    return "\n".join(code)


def _neuron_group(p: NeuronParams, size: int, dt: float, clock: b2.Clock, name: str) -> b2.NeuronGroup:
    """One layer's population (whole batch) with its model equations, in mV and ms numbers."""
    ref_steps = p.refractory_steps(dt)
    flag = " (unless refractory)" if ref_steps > 0 else ""
    leak = "-v / tau_m + " if p.leaky else ""
    current = "I + " if p.tau_syn > 0 else ""
    eqs = f"dv/dt = ({leak}{current}b) / ms : 1{flag}\nb : 1 (constant)\nsyn_input : 1\n"
    if p.tau_syn > 0:
        eqs += "dI/dt = -I / tau_syn / ms : 1\n"
    coef = StepCoefficients.for_neuron(p, dt)
    group = b2.NeuronGroup(
        size,
        eqs,
        threshold="v >= v_th",
        reset="v = 0" if p.reset == "zero" else "v -= v_th",
        refractory=ref_steps * dt * ms if ref_steps > 0 else False,
        method=_step_code,
        namespace={
            "tau_m": p.tau_m, "tau_syn": p.tau_syn, "v_th": p.v_th,
            "a_v": coef.a_v, "c_b": coef.c_b, "c_i": coef.c_i, "a_i": coef.a_i,
        },
        clock=clock,
        name=name,
    )
    if p.tau_syn > 0:
        deliver = "I += syn_input"
    elif ref_steps > 0:
        # Brian2 would also skip this write on its own (v is "unless refractory"): explicit here.
        deliver = "v += syn_input * int(not_refractory)"
    else:
        deliver = "v += syn_input"
    group.run_regularly(f"{deliver}\nsyn_input = 0", when="synapses", order=1, name=f"{name}_deliver")
    return group


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
        group.b = np.tile(network.bias(i), batch)  # mV/ms
        pre, post, w = network.connectivity(i)
        if pre.size:  # a layer with all-zero weights has no synapses: its bias drives it
            syn = b2.Synapses(source, group, model="w : 1", on_pre="syn_input_post += w",
                              clock=clock, name=f"synapses{i}")
            syn.connect(i=_tile(pre, sizes[i], batch), j=_tile(post, n, batch))
            syn.w = np.tile(w, batch)  # mV (delta synapses) or mV/ms (current-based)
            if getattr(network.layers[i], "delay", None) is not None:
                syn.delay = np.tile(network.delays(i), batch) * dt * ms  # whole steps
            synapses.append(syn)
        groups.append(group)
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
            v = np.asarray(v_mons[i].v[:], dtype=np.float64).reshape(batch, n, n_steps).transpose(0, 2, 1).copy()
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
