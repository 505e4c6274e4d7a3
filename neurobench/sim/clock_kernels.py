"""Compiled (numba) kernels of the clock simulator's four phases, one call per layer and step.

They compute exactly what the numpy reference in ``neurobench.sim.clock`` computes, float for
float, in the same order (that module's docstring states it), so float64 runs are bit-identical
to it and to Brian2:

* phase 1 evaluates ``(a_v * v + drive) + c_i * I`` one product or sum at a time (numba does not
  contract ``a * b + c`` into a fused multiply-add unless asked to, and no kernel asks);
* phase 3 is event-driven: for each sample it lists the spiking presynaptic neurons in
  ascending index and adds their weight rows one by one into a row that starts at 0.0, then adds
  that row to ``v`` or ``I``. Its cost is proportional to the number of spikes times their
  fan-out, not to the layer's size. Four weight rows are added per pass over the accumulator
  (``((acc + w0) + w1) + w2) + w3``: the same sums in the same order, with a quarter of the
  accumulator's loads and stores), which is what makes it faster than a dense BLAS product at
  the activities of the benchmarks (``benchmarks/simulator.py``). Adding ``0.0`` for a silent
  input (the dense and CSR forms do) changes no sum, since an accumulator that starts at +0.0
  never becomes -0.0 under round-to-nearest; skipping silent inputs is therefore exact.

The same kernels run in float32 (``ClockOptions.dtype``): numba compiles one version per dtype.
"""

from __future__ import annotations

from numba import njit

__all__ = ["propagate_dense", "propagate_sparse", "reset_record", "update_threshold"]

_JIT = {"cache": True, "nogil": True, "boundscheck": False}


@njit(**_JIT)
def update_threshold(v, cur, last, step, a_v, drive, has_drive, current, c_i, a_i, ref_steps, v_th,
                     spikes, free):
    """Phases 1 and 2 for one layer: integrate ``v`` (mV) of the non-refractory neurons, decay the
    synaptic current ``cur`` (mV/ms) when ``current`` (current-based synapses; delta: untouched),
    and write this step's spikes and the mask of neurons that accept delta input into ``spikes``
    and ``free`` (batch, n) bool. ``drive`` (n,) is the bias gain times the bias, in mV per step."""
    batch, n = v.shape
    for b in range(batch):
        for i in range(n):
            if ref_steps > 0:
                not_ref = (step - last[b, i]) >= ref_steps
                if not_ref:
                    update = a_v * v[b, i] + drive[i]
                    if current:
                        update += c_i * cur[b, i]
                    v[b, i] = update
            else:
                not_ref = True
                x = v[b, i]
                if a_v != 1.0:
                    x *= a_v
                if has_drive:
                    x += drive[i]
                if current:
                    x += c_i * cur[b, i]
                v[b, i] = x
            if current:
                cur[b, i] *= a_i
            s = v[b, i] >= v_th and not_ref
            spikes[b, i] = s
            free[b, i] = not_ref and not s


@njit(**_JIT)
def _apply(target, row, acc, free, masked):
    """``target[row] += acc`` (where ``free[row]`` when ``masked``)."""
    n = acc.shape[0]
    if masked:
        for i in range(n):
            if free[row, i]:
                target[row, i] += acc[i]
    else:
        for i in range(n):
            target[row, i] += acc[i]


@njit(**_JIT)
def propagate_dense(pre, weight_t, target, free, masked, acc, idx):
    """Phase 3 through a dense layer: ``target[b] += sum of weight_t[j]`` over the spiking
    presynaptic ``j`` of sample ``b`` (``pre`` (batch, n_in) nonzero), each sum from 0.0 in
    ascending ``j``. ``weight_t`` (n_in, n_out) is the layer's weight matrix transposed (C-order);
    ``acc`` (n_out,) and ``idx`` (n_in,) int64 are scratch."""
    batch, n_in = pre.shape
    n_out = weight_t.shape[1]
    for b in range(batch):
        k = 0
        for j in range(n_in):  # branch-free gather of the spiking inputs, ascending
            idx[k] = j
            k += pre[b, j] != 0
        if k == 0:
            continue
        acc[:] = 0.0
        q = 0
        while q + 4 <= k:
            w0 = weight_t[idx[q]]
            w1 = weight_t[idx[q + 1]]
            w2 = weight_t[idx[q + 2]]
            w3 = weight_t[idx[q + 3]]
            for i in range(n_out):
                acc[i] = (((acc[i] + w0[i]) + w1[i]) + w2[i]) + w3[i]
            q += 4
        while q < k:
            w0 = weight_t[idx[q]]
            for i in range(n_out):
                acc[i] += w0[i]
            q += 1
        _apply(target, b, acc, free, masked)


@njit(**_JIT)
def propagate_sparse(pre, indptr, post, weight, target, free, masked, acc, touched):
    """Phase 3 through a sparse layer (conv, pooling, pruned dense): the synapses of presynaptic
    neuron ``j`` are ``post[indptr[j]:indptr[j+1]]`` with weights ``weight[...]``; each
    postsynaptic sum starts at 0.0 and adds the weights of the spiking presynaptic neurons in
    ascending ``j``. ``acc`` (n_out,) is scratch (kept at zero between samples) and ``touched``
    (n_out,) bool marks the postsynaptic neurons that received a synapse."""
    batch, n_in = pre.shape
    n_out = acc.shape[0]
    for b in range(batch):
        any_spike = False
        for j in range(n_in):
            if pre[b, j] != 0:
                any_spike = True
                for s in range(indptr[j], indptr[j + 1]):
                    p = post[s]
                    acc[p] += weight[s]
                    touched[p] = True
        if not any_spike:
            continue
        for i in range(n_out):
            if touched[i]:
                if not masked or free[b, i]:
                    target[b, i] += acc[i]
                acc[i] = 0.0
                touched[i] = False


@njit(**_JIT)
def reset_record(v, spikes, last, counts, first, step, reset_zero, v_th, ref_steps,
                 spike_rec, v_rec, record_spikes, record_v):
    """Phase 4 for one layer: reset the neurons that spiked (to 0 mV or by subtracting ``v_th``),
    start their refractory period, count their spikes, note first-spike steps and record this
    step's spikes and potentials (mV) when asked to."""
    batch, n = v.shape
    for b in range(batch):
        for i in range(n):
            if spikes[b, i]:
                if reset_zero:
                    v[b, i] = 0.0
                else:
                    v[b, i] -= v_th
                if ref_steps > 0:
                    last[b, i] = step
                counts[b, i] += 1
                if first[b, i] < 0:
                    first[b, i] = step
        if record_spikes:
            for i in range(n):
                spike_rec[b, step, i] = spikes[b, i]
        if record_v:
            for i in range(n):
                v_rec[b, step, i] = v[b, i]
