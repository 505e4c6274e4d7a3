"""Clock-driven, batched simulation of a layered feed-forward SNN in numpy (float64).

Every time step ``n`` (time ``n * dt``) runs four phases over all layers, in the same order as
Brian2's default schedule (state update, thresholds, synapses, resets), so both simulators
produce identical spikes:

1. state update: neurons out of their refractory period integrate their linear ODE exactly over
   ``dt`` (``neurobench.neurons.params`` states it): ``v = (a_v * v + c_b * b) + c_i * I`` with
   the ``StepCoefficients`` of ``neurobench.sim.coefficients``; refractory neurons keep their
   potential; synaptic currents always decay, ``I = a_i * I``;
2. threshold: ``v >= v_th`` and not refractory gives a spike at step ``n``;
3. synapses: the spikes of step ``n`` (input spikes for the first layer) reach the next layer
   at once: ``v += W s`` for delta synapses (ignored by refractory neurons, including those that
   have just spiked at step ``n`` when ``round(t_ref / dt) > 0``), ``I += W s`` for
   current-based ones. A spike in layer ``l`` at step ``n`` can make layer ``l+1`` spike at
   step ``n+1`` at the earliest;
4. reset: neurons that spiked reset (to 0 mV or by subtracting ``v_th``) and start their
   refractory period: they are refractory while ``n' - n < round(t_ref / dt)``.

**Bit-identical arithmetic with Brian2.** A spike is a threshold crossing of a floating-point
sum, so agreeing "spike for spike" with ``neurobench.sim.brian``, also when a decimal drive or
weight hits the threshold exactly (ten steps of 0.1 mV/ms reach 0.9999999999999999 mV, not
1 mV), needs the same floats in the same order on both sides, not merely close ones:

* units: everything here is in mV, mV/ms and ms, and the Brian2 backend runs its model on
  dimensionless numbers in the same units (in volts the sums round differently);
* phase 1: one product or sum at a time, in the order written above, with the coefficients
  both simulators take from ``StepCoefficients``;
* phase 3: ``W s`` is summed for each postsynaptic neuron from 0.0, adding the weights of the
  spiking presynaptic neurons one by one in ascending presynaptic index, and the sum is then
  added to ``v`` or ``I``. That is what scipy's CSR product computes (its ``csr_matvec`` and
  ``csr_matvecs`` kernels accumulate row by row over the sorted column indices), and the order
  in which Brian2 delivers a step's spikes. Conv and pooling layers always went through this
  product; for ``Dense`` layers a BLAS product (``s @ W.T``) is faster (whole simulations of the
  Dense-only networks of ``benchmarks/simulator.py`` ran 2.4x to 4x faster with it, one BLAS
  thread) but blocks and vectorises the sum over presynaptic neurons, so its rounding depends
  on the layer sizes and the BLAS build.

**Synaptic delays** (``Dense.delay``, integers in steps): a spike of step ``n`` reaches a
synapse with delay ``d`` in phase 3 of step ``n + d`` (``d = 0``: the same step, as without
delays). A delayed layer keeps a ring buffer of ``max delay + 1`` slots of pending synaptic
events; each step first pushes its spikes' events into slot ``(n + d) mod (max + 1)``, then
delivers the current slot. Brian2 delivers a step's events from its spike queue in the order
they were pushed (earlier spike steps first; within one step, spiking presynaptic neurons in
ascending index, each one's synapses in ascending postsynaptic index), adding them one at a
time into ``syn_input``; so here too each postsynaptic sum starts at 0.0 and adds the event
weights one by one in that order (``numpy.add.at``, unbuffered and in order), then it is added
to ``v`` or ``I`` once. Layers without delays keep the CSR product above.

**Engines** (``ClockOptions.engine``). The numpy code of this module is the reference. The
default engine runs the same four phases through the compiled kernels of
``neurobench.sim.clock_kernels`` (numba), one call per layer and step: the same floats in the
same order, so its float64 runs give bit-identical potentials and spikes, and its phase 3 is
event-driven (cost proportional to spikes times fan-out: it adds the weight rows of the spiking
inputs only). On the dense 64-256-256-10 network of ``benchmarks/simulator.py`` it is about 15x
faster than the numpy reference and faster than a plain float64 torch loop (a BLAS product per
layer and step); ``docs/simulator.md`` has the measured table. Networks with synaptic delays run
on the numpy engine. ``ClockOptions.dtype = "float32"`` runs the compiled kernels in single
precision: faster, but sums round differently, so spikes can differ from the float64 result
where a potential lands within rounding of the threshold (the benchmark reports the fraction of
neurons whose spike counts agree).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator
from tqdm import tqdm

from ..network import Dense, Network
from ..schema import Params
from . import clock_kernels as kernels
from .coefficients import StepCoefficients
from .record import LayerRecord, SimRecord

__all__ = ["NEVER", "ClockOptions", "StepCoefficients", "simulate", "validate_input"]

NEVER = -(10**9)  # "last spike" step of a neuron that has not spiked yet


def _propagator(network: Network, index: int):
    """A function mapping presynaptic spikes (batch, n_in) of 0.0/1.0 to postsynaptic input
    (batch, n_out), in mV (delta synapses) or mV/ms (current-based).

    Each postsynaptic sum starts at 0.0 and adds the weights of the spiking presynaptic neurons
    one at a time in ascending presynaptic index, the order in which Brian2 delivers them (see
    the module docstring): scipy's CSR product with sorted column indices accumulates row by row
    in exactly that order, where a dense BLAS product would block and reorder the sum."""
    w = network.weight_matrix(index)
    w.sort_indices()
    return lambda s: np.asarray(w @ s.T).T


class _DelayedDelivery:
    """Ring buffer of pending synaptic events of one delayed layer (module docstring)."""

    def __init__(self, network: Network, index: int, batch: int):
        pre, post, w = network.connectivity(index)
        d = network.delays(index)
        order = np.lexsort((post, pre))  # by presynaptic neuron, then postsynaptic index
        self.post, self.w, self.d = post[order], w[order], d[order]
        self.n_in, self.n_out, self.batch = network.sizes[index], network.sizes[index + 1], batch
        counts = np.bincount(pre, minlength=self.n_in)
        self.start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.count = counts
        self.slots: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in range(int(d.max(initial=0)) + 1)]

    def push(self, step: int, pre_spikes: np.ndarray) -> None:
        """Queue the events of this step's presynaptic spikes (batch, n_in)."""
        flat = np.flatnonzero(pre_spikes.ravel())
        if not flat.size:
            return
        b, j = np.divmod(flat, self.n_in)
        lens = self.count[j]
        total = int(lens.sum())
        if not total:
            return
        first = np.repeat(self.start[j] - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
        syn = first + np.arange(total)
        target = np.repeat(b, lens) * self.n_out + self.post[syn]
        w, d = self.w[syn], self.d[syn]
        order = np.argsort(d, kind="stable")
        d_sorted = d[order]
        bounds = np.flatnonzero(np.diff(d_sorted)) + 1
        for group in np.split(order, bounds):
            slot = (step + int(d[group[0]])) % len(self.slots)
            self.slots[slot].append((target[group], w[group]))

    def deliver(self, step: int) -> np.ndarray | None:
        """The synaptic input (batch, n_out) arriving at this step, None when nothing arrives."""
        slot = self.slots[step % len(self.slots)]
        if not slot:
            return None
        syn_input = np.zeros(self.batch * self.n_out)
        for target, w in slot:
            np.add.at(syn_input, target, w)
        slot.clear()
        return syn_input.reshape(self.batch, self.n_out)


class ClockOptions(Params):
    """How the clock simulator computes (never what: see the module docstring).

    Parameters
    ----------
    dtype : "float64" or "float32"
        Floating-point type of potentials, currents and weights. float64 (default) is
        bit-identical to the numpy reference and to Brian2; float32 is faster and agrees on
        almost every spike, not on every one.
    engine : "auto", "compiled" or "numpy"
        "compiled": the numba kernels of ``neurobench.sim.clock_kernels`` (event-driven
        synaptic propagation); "numpy": the reference implementation of this module (float64
        only); "auto" (default): compiled, except for networks with synaptic delays, which only
        the numpy engine supports.
    """

    dtype: Literal["float64", "float32"] = Field("float64", description="float type: float64 | float32")
    engine: Literal["auto", "compiled", "numpy"] = Field("auto", description="engine: auto | compiled | numpy")

    @model_validator(mode="after")
    def _numpy_engine_is_float64(self) -> "ClockOptions":
        if self.engine == "numpy" and self.dtype != "float64":
            raise ValueError(f"dtype = {self.dtype!r} is not allowed with engine = 'numpy': the numpy "
                             "reference engine runs in float64 only (use engine 'auto' or 'compiled')")
        return self

    def resolve(self, network: Network) -> str:
        """The engine that runs ``network``: "compiled" or "numpy" (ValueError when the compiled
        engine is asked for a network with synaptic delays)."""
        if not network.has_delays:
            return "numpy" if self.engine == "numpy" else "compiled"
        if self.engine == "compiled" or self.dtype != "float64":
            raise ValueError(f"engine = {self.engine!r} with dtype = {self.dtype!r} is not allowed for a network "
                             "with synaptic delays (Dense.delay): only engine 'numpy' (or 'auto') in float64 "
                             "simulates delays")
        return "numpy"


def validate_input(network: Network, input_spikes: np.ndarray, dt: float) -> np.ndarray:
    """Check ``input_spikes`` (batch, n_steps, *input_shape) and return it as (batch, n_steps, n_in) float."""
    if not (dt > 0 and np.isfinite(dt)):
        raise ValueError(f"dt must be a finite value > 0 ms, got {dt}")
    x = np.asarray(input_spikes)
    if x.ndim < 3 or tuple(x.shape[2:]) != network.input_shape:
        raise ValueError(
            f"input_spikes must have shape (batch, n_steps, {', '.join(map(str, network.input_shape))}), got {x.shape}"
        )
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"input_spikes needs at least one sample and one time step, got {x.shape}")
    x = x.reshape(x.shape[0], x.shape[1], -1)
    if x.dtype != bool and not np.all((x == 0) | (x == 1)):
        raise ValueError("input_spikes must be binary (0 or 1 per neuron and step)")
    return x.astype(np.float64)


class _ClockState:
    """Per-layer state of one clock-driven run (all (batch, n) arrays, one per layer) and the
    four phases of a time step. In-place numpy operations throughout; each computes exactly what
    the textbook form (``v = where(not_ref, a_v * v + c_b * b + c_i * I, v)``, ...) computes, in
    the same order."""

    def __init__(self, network: Network, batch: int, n_steps: int, dt: float, record_spikes: bool, record_v: bool):
        self.network = network
        n_layers = len(network.layers)
        sizes = network.sizes[1:]
        self.props = [_propagator(network, i) for i in range(n_layers)]
        self.delayed = [_DelayedDelivery(network, i, batch) if getattr(network.layers[i], "delay", None) is not None
                        else None for i in range(n_layers)]
        self.coef = [StepCoefficients.for_neuron(p, dt) for p in network.neurons]
        self.drive = [self.coef[i].c_b * network.bias(i) for i in range(n_layers)]  # mV per step
        self.has_drive = [bool(np.any(d != 0)) for d in self.drive]
        self.ref_steps = [p.refractory_steps(dt) for p in network.neurons]
        self.v = [np.zeros((batch, n)) for n in sizes]  # mV
        self.cur = [np.zeros((batch, n)) for n in sizes]  # mV/ms
        self.last = [np.full((batch, n), NEVER, dtype=np.int64) for n in sizes]
        self.counts = [np.zeros((batch, n), dtype=np.int64) for n in sizes]
        self.first = [np.full((batch, n), -1, dtype=np.int64) for n in sizes]
        self.spike_rec = [np.zeros((batch, n_steps, n), dtype=bool) for n in sizes] if record_spikes else None
        self.v_rec = [np.zeros((batch, n_steps, n)) for n in sizes] if record_v else None

    def update_and_threshold(self, step: int) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """Phases 1 and 2: state update of the non-refractory neurons, current decay, threshold.

        Returns each layer's spikes of this step and its mask of neurons that accept delta input
        (None: nobody is ever refractory in that layer)."""
        spikes, free = [], []
        v, cur, last = self.v, self.cur, self.last
        for i, p in enumerate(self.network.neurons):
            c = self.coef[i]
            if self.ref_steps[i] > 0:
                not_ref = (step - last[i]) >= self.ref_steps[i]
                update = c.a_v * v[i] + self.drive[i]
                if p.tau_syn > 0:
                    update += c.c_i * cur[i]
                np.copyto(v[i], update, where=not_ref)
            else:  # nobody is ever refractory
                not_ref = None
                if c.a_v != 1.0:
                    v[i] *= c.a_v
                if self.has_drive[i]:
                    v[i] += self.drive[i]
                if p.tau_syn > 0:
                    v[i] += c.c_i * cur[i]
            if p.tau_syn > 0:
                cur[i] *= c.a_i
            s = v[i] >= p.v_th
            if not_ref is not None:
                s &= not_ref
                # a neuron is refractory from its spike on, so from phase 3 of its spike step
                not_ref &= ~s
            spikes.append(s)
            free.append(not_ref)
        return spikes, free

    def propagate(self, x_step: np.ndarray, spikes: list[np.ndarray], free: list[np.ndarray | None],
                  step: int = 0) -> None:
        """Phase 3: this step's spikes (``x_step`` for the first layer) reach the next layer."""
        v, cur = self.v, self.cur
        for i, p in enumerate(self.network.neurons):
            pre = x_step if i == 0 else spikes[i - 1]
            if self.delayed[i] is not None:
                self.delayed[i].push(step, pre)
                syn_input = self.delayed[i].deliver(step)
                if syn_input is None:
                    continue
            elif not pre.any():
                continue
            else:
                syn_input = self.props[i](pre if i == 0 else pre.astype(np.float64))
            if p.tau_syn > 0:
                cur[i] += syn_input
            elif free[i] is None:
                v[i] += syn_input
            else:
                np.add(v[i], syn_input, out=v[i], where=free[i])

    def reset_and_record(self, step: int, spikes: list[np.ndarray]) -> None:
        """Phase 4: reset the neurons that spiked, start their refractory period, count and record."""
        v = self.v
        for i, p in enumerate(self.network.neurons):
            s = spikes[i]
            if s.any():
                if p.reset == "zero":
                    np.copyto(v[i], 0.0, where=s)
                else:
                    np.subtract(v[i], p.v_th, out=v[i], where=s)
                if self.ref_steps[i] > 0:
                    np.copyto(self.last[i], step, where=s)
                self.counts[i] += s
                np.copyto(self.first[i], step, where=s & (self.first[i] < 0))
            if self.spike_rec is not None:
                self.spike_rec[i][:, step] = s
            if self.v_rec is not None:
                self.v_rec[i][:, step] = v[i]

    def record(self, x: np.ndarray, dt: float) -> SimRecord:
        """The run's ``SimRecord``."""
        return _record(self.network, x, dt, self.counts, self.first, self.spike_rec, self.v_rec)


def _record(network: Network, x: np.ndarray, dt: float, counts: list[np.ndarray], first: list[np.ndarray],
            spike_rec: list[np.ndarray] | None, v_rec: list[np.ndarray] | None) -> SimRecord:
    """A run's ``SimRecord``; synaptic operations: every presynaptic spike reaches each of its
    synapses once."""
    input_counts = x.sum(axis=1).astype(np.int64)
    pre_counts = [input_counts] + counts[:-1]
    layers = [
        LayerRecord(
            spike_count=counts[i],
            first_spike_step=first[i],
            synops=pre_counts[i] @ network.fan_out(i).astype(np.int64),
            spikes=spike_rec[i] if spike_rec is not None else None,
            v=v_rec[i] if v_rec is not None else None,
        )
        for i in range(len(network.layers))
    ]
    return SimRecord(layers, input_counts, float(dt), x.shape[1], "clock")


_DENSE_ROWS_DENSITY = 0.1  # a Dense layer with at least this fraction of nonzero weights propagates by weight rows


class _CompiledState:
    """Per-layer state of one run on the compiled engine (``neurobench.sim.clock_kernels``):
    the same arrays as ``_ClockState`` in ``dtype``, the synapses of each layer as dense weight
    rows (Dense layers) or as per-presynaptic-neuron lists (conv, pooling, sparse Dense), and
    scratch buffers."""

    def __init__(self, network: Network, batch: int, n_steps: int, dt: float, dtype: np.dtype,
                 record_spikes: bool, record_v: bool):
        self.network, self.dtype = network, dtype
        sizes = network.sizes[1:]
        real = dtype.type
        self.layers = []
        for i, p in enumerate(network.neurons):
            c = StepCoefficients.for_neuron(p, dt)
            drive = (c.c_b * network.bias(i)).astype(dtype)  # mV per step, rounded from float64
            layer = network.layers[i]
            if isinstance(layer, Dense) and np.count_nonzero(layer.weight) >= _DENSE_ROWS_DENSITY * layer.weight.size:
                synapses = ("dense", np.ascontiguousarray(layer.weight.T, dtype=dtype))  # zeros add nothing
            else:
                by_pre = network.weight_matrix(i).T.tocsr()
                by_pre.sum_duplicates()
                synapses = ("sparse", by_pre.indptr.astype(np.int64), by_pre.indices.astype(np.int64),
                            by_pre.data.astype(dtype))
            self.layers.append({
                "p": p, "a_v": real(c.a_v), "drive": drive, "has_drive": bool(np.any(drive != 0)),
                "current": p.tau_syn > 0, "c_i": real(c.c_i), "a_i": real(c.a_i),
                "ref_steps": p.refractory_steps(dt), "v_th": real(p.v_th), "synapses": synapses,
                "acc": np.zeros(sizes[i], dtype=dtype), "idx": np.zeros(network.sizes[i], dtype=np.int64),
                "touched": np.zeros(sizes[i], dtype=bool),
            })
        self.v = [np.zeros((batch, n), dtype=dtype) for n in sizes]  # mV
        self.cur = [np.zeros((batch, n), dtype=dtype) for n in sizes]  # mV/ms
        self.last = [np.full((batch, n), NEVER, dtype=np.int64) for n in sizes]
        self.counts = [np.zeros((batch, n), dtype=np.int64) for n in sizes]
        self.first = [np.full((batch, n), -1, dtype=np.int64) for n in sizes]
        self.spikes = [np.zeros((batch, n), dtype=bool) for n in sizes]
        self.free = [np.zeros((batch, n), dtype=bool) for n in sizes]
        self.spike_rec = [np.zeros((batch, n_steps, n), dtype=bool) for n in sizes] if record_spikes else None
        self.v_rec = [np.zeros((batch, n_steps, n), dtype=dtype) for n in sizes] if record_v else None
        self._no_spike_rec = np.zeros((1, 1, 1), dtype=bool)
        self._no_v_rec = np.zeros((1, 1, 1), dtype=dtype)

    def step(self, step: int, x_step: np.ndarray) -> None:
        """The four phases of time step ``step``; ``x_step`` (batch, n_in) holds the input spikes."""
        for i, lay in enumerate(self.layers):
            kernels.update_threshold(self.v[i], self.cur[i], self.last[i], step, lay["a_v"], lay["drive"],
                                     lay["has_drive"], lay["current"], lay["c_i"], lay["a_i"], lay["ref_steps"],
                                     lay["v_th"], self.spikes[i], self.free[i])
        for i, lay in enumerate(self.layers):
            pre = x_step if i == 0 else self.spikes[i - 1]
            target = self.cur[i] if lay["current"] else self.v[i]
            masked = not lay["current"] and lay["ref_steps"] > 0
            kind, *syn = lay["synapses"]
            if kind == "dense":
                kernels.propagate_dense(pre, syn[0], target, self.free[i], masked, lay["acc"], lay["idx"])
            else:
                kernels.propagate_sparse(pre, syn[0], syn[1], syn[2], target, self.free[i], masked, lay["acc"],
                                         lay["touched"])
        for i, lay in enumerate(self.layers):
            kernels.reset_record(
                self.v[i], self.spikes[i], self.last[i], self.counts[i], self.first[i], step,
                lay["p"].reset == "zero", lay["v_th"], lay["ref_steps"],
                self._no_spike_rec if self.spike_rec is None else self.spike_rec[i],
                self._no_v_rec if self.v_rec is None else self.v_rec[i],
                self.spike_rec is not None, self.v_rec is not None,
            )

    def record(self, x: np.ndarray, dt: float) -> SimRecord:
        """The run's ``SimRecord``."""
        return _record(self.network, x, dt, self.counts, self.first, self.spike_rec, self.v_rec)


def simulate(
    network: Network,
    input_spikes: np.ndarray,
    dt: float = 1.0,
    record_spikes: bool = False,
    record_v: bool = False,
    progress: bool = False,
    dtype: str = "float64",
    engine: str = "auto",
) -> SimRecord:
    """Run ``network`` on a batch of binary input spike trains (see the module docstring).

    Parameters
    ----------
    network : Network
    input_spikes : array (batch, n_steps, *network.input_shape) of 0/1
    dt : float
        Time step in ms.
    record_spikes, record_v : bool
        Also keep full spike trains / membrane potentials (mV) of every layer.
    progress : bool
        Show a tqdm bar over time steps.
    dtype, engine : str
        ``ClockOptions``: "float64" (default, bit-identical to the reference and Brian2) or
        "float32"; "auto" (default), "compiled" or "numpy" (the reference). Recorded potentials
        have ``dtype``.
    """
    options = ClockOptions(dtype=dtype, engine=engine)
    x = validate_input(network, input_spikes, dt)
    chosen = options.resolve(network)
    batch, n_steps, _ = x.shape
    x_steps = np.ascontiguousarray(x.transpose(1, 0, 2))  # one contiguous (batch, n_in) block per step
    steps = tqdm(range(n_steps), desc="clock sim", disable=not progress, leave=False)
    if chosen == "compiled":
        compiled = _CompiledState(network, batch, n_steps, dt, np.dtype(options.dtype), record_spikes, record_v)
        for step in steps:
            compiled.step(step, x_steps[step])
        return compiled.record(x, dt)
    state = _ClockState(network, batch, n_steps, dt, record_spikes, record_v)
    for step in steps:
        spikes, free = state.update_and_threshold(step)
        state.propagate(x_steps[step], spikes, free, step)
        state.reset_and_record(step, spikes)
    return state.record(x, dt)
