"""Compiled (numba) event kernel of asynchronous execution: the same run as the numpy reference
``neurobench.sim.asynchronous`` (read its docstring for the semantics), spike for spike.

The numpy path advances all samples of a batch in lockstep of forward steps; since nothing couples
samples (the scheduler's random numbers are a pure function of ``(seed, sample, frame, step,
neuron)``, ``max_steps`` and the stopping rules act per sample), this kernel runs one sample at a
time through all its frames, on per-sample state of ``N`` neurons that stays in cache. Every
floating-point operation of the reference is reproduced in the same order, so results are
bit-identical (tested for every scheduler and option):

* currents of one forward step: per target, ``0.0 + w_1 + w_2 + ...`` over the emitted spikes in
  ascending neuron id (the order of scipy's sparse product in ``_deliver``); targets whose sum is
  exactly 0 receive nothing and do not check their threshold; then one ``v += sum``;
* targets are visited in scipy's output order (most recently first-touched first), which fixes
  the order of ``AsyncRecord.output_events`` within a (frame, step, sample);
* scheduling keys use the same splitmix64 counter hash as ``schedulers.uniform``; the ``F``
  smallest keys by (primary, secondary, neuron id) are emitted, as ``schedulers.select`` does.

Speed (same operations, same order): a layer whose every neuron projects to all of the next
layer (``dense_layers``) is delivered as contiguous row adds into a block of the next layer and
checked branch-free (the first spike of the layer touches the whole block in index order, which
is scipy's touch order); other layers use a touch list. Random scheduling with ``F <= 16`` ranks,
by branch-free counting, only the entries whose 53-bit key passes a threshold set for about
``F + 4 (sqrt(F) + 1)`` candidates (exact: every other key is larger), falling back to ranking all
entries or to the sorted buffer of the other strategies. The queue's order never matters.

Only the built-in strategies (``random``, ``momentum``, ``fifo``, ``round_robin``) are compiled;
``simulate_async`` falls back to numpy for any other ``Scheduler`` subclass.

Compiled functions are cached on disk (numba ``cache=True``: ``__pycache__`` beside this file, or
numba's user-wide cache directory when that is read-only); when no cache location is writable
the kernel is compiled in memory at every first call of a process.
"""

from __future__ import annotations

import warnings

import numpy as np

try:  # numba is optional: without it simulate_async runs the numpy reference
    import numba
except ImportError:  # pragma: no cover - numba is pinned in the project environment
    numba = None

__all__ = ["AVAILABLE", "SCHEDULER_CODES", "compile_seconds", "run_kernel", "select_batch"]

AVAILABLE = numba is not None

# Scheduler name -> kernel code (``schedulers.SCHEDULERS`` names).
SCHEDULER_CODES = {"random": 0, "momentum": 1, "fifo": 2, "round_robin": 3}

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = (np.uint64(s) for s in (30, 27, 31, 11))


_uncached: list[str] = []


def _jit(fn, inline="never"):
    """``numba.njit`` with the on-disk cache, or without it when no cache location is writable
    (one warning per process); ``inline="always"`` inlines ``fn`` into its callers at numba's IR
    level (no call, no reference counting of its array arguments)."""
    try:
        return numba.njit(cache=True, nogil=True, inline=inline)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        if not _uncached:
            warnings.warn("numba cannot cache the async event kernel (no writable cache location): "
                          "it is compiled at every first call of a process", RuntimeWarning, stacklevel=2)
        _uncached.append(fn.__name__)
        return numba.njit(cache=False, nogil=True, inline=inline)(fn)


def _mix(x):
    """splitmix64 finaliser of one uint64 (wrap-around arithmetic), as ``schedulers._mix``."""
    x = x + _GOLDEN
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


def _chain(h, counter):
    """One link of the counter hash chain: ``mix(h ^ counter)``."""
    return _mix(h ^ np.uint64(counter))


def _to_unit(h):
    """float64 in [0, 1) from a hash: ``(h >> 11) * 2**-53``."""
    return np.float64(h >> _S11) * 2.0**-53


def _uniform(seed, sample, frame, step, neuron):
    """``schedulers.uniform(seed, sample, frame, step, neuron)`` for one entry, float64 in [0, 1).
    The kernel hoists the chain: one link per pending entry and step."""
    return _to_unit(_chain(_chain(_chain(_chain(_mix(np.uint64(seed)), sample), frame), step), neuron))


def _before(p1, s1, g1, p2, s2, g2):
    """Entry 1 goes before entry 2: (primary, secondary, neuron id) ascending."""
    if p1 != p2:
        return p1 < p2
    if s1 != s2:
        return s1 < s2
    return g1 < g2


def _sort_small(a, n):
    """Sort ``a[:n]`` ascending in place: insertion sort for short runs (numba's quicksort has a
    fixed cost of about a microsecond per call), ``np.sort`` otherwise."""
    if n > 32:
        a[:n].sort()
        return
    for i in range(1, n):
        x = a[i]
        j = i
        while j > 0 and a[j - 1] > x:
            a[j] = a[j - 1]
            j -= 1
        a[j] = x


# Random scheduling with ``F <= _RANK_MAX_F``: rank selection among the entries whose key passes
# a threshold (``_select_random``); larger ``F`` and the other strategies use ``_select_buffer``.
_RANK_MAX_F = 16
_RANK_MAX_M = 64  # most candidates ranked by counting (O(m^2) branch-free comparisons)
_RANK_MARGIN = 4.0  # threshold for about F + margin (sqrt(F) + 1) candidates
_TWO53 = 2.0**53


def _rank_select(key, cg, m, forward_group, emit):
    """The ``F`` (``forward_group``) smallest of ``m`` entries by (``key``, ``cg``) ascending, ties
    in ``key`` broken by the smaller ``cg``: entry ``i`` with rank ``r < F`` (the number of entries
    before it) is written to ``emit[r]``; needs ``F <= m`` and distinct ``cg``. Branch-free
    counting, O(m^2)."""
    for i in range(m):
        ki = key[i]
        gi = cg[i]
        r = 0
        for j in range(m):
            r += (key[j] < ki) | ((key[j] == ki) & (cg[j] < gi))
        if r < forward_group:
            emit[r] = gi


def _select_random(queue, qlen, forward_group, h_step, margin, key, cg, emit):
    """Random scheduling, ``F < qlen``: the ``F`` smallest uniform keys among the queued neurons
    ``queue[:qlen]`` into ``emit[:F]`` (ascending key; the caller sorts by id), or -1 when more than
    ``_RANK_MAX_M`` candidates pass (the caller then uses ``_select_buffer``). The key of neuron
    ``g`` is the 53-bit integer ``mix(h_step ^ g) >> 11``, ordered exactly as its float
    ``schedulers.uniform`` value. Only entries below a threshold set for about
    ``F + margin (sqrt(F) + 1)`` candidates are ranked: every other entry has a larger key than each
    candidate, so when at least ``F`` pass the result is exact; otherwise all entries are ranked."""
    expected = forward_group + margin * (np.sqrt(forward_group) + 1.0)
    thr = np.int64(_TWO53) if expected >= qlen else np.int64(_TWO53 * (expected / qlen))
    m = 0
    for k in range(qlen):
        g = queue[k]
        kk = np.int64(_chain(h_step, g) >> _S11)
        key[m] = kk
        cg[m] = g
        m += kk < thr
    if m < forward_group:  # too few passed the threshold: rank every entry
        for k in range(qlen):
            g = queue[k]
            key[k] = np.int64(_chain(h_step, g) >> _S11)
            cg[k] = g
        m = qlen
    if m > _RANK_MAX_M:
        return -1
    _rank_select(key, cg, m, forward_group, emit)
    return forward_group


def _select_buffer(queue, qlen, forward_group, sched, h_step, step, n_queues, layer_of, enq, over,
                   best_p, best_s, best_g, emit):
    """The ``F`` smallest keys (primary, secondary, neuron id) of the queued neurons ``queue[:qlen]``
    (``qlen > F``) into ``emit[:F]``, kept in a buffer sorted by key; once the buffer is full an
    entry whose primary key exceeds the buffer's largest is dropped on one comparison."""
    q = max(n_queues, 1)
    n_best = 0
    worst = np.inf  # primary key of the buffer's last entry once it is full
    for k in range(qlen):
        g = queue[k]
        u = _to_unit(_chain(h_step, g))
        if sched == 0:  # random
            p, s = u, 0.0
        elif sched == 1:  # momentum: largest relative overshoot first
            p, s = -over[g], u
        elif sched == 2:  # fifo: earliest enqueue step first
            p, s = np.float64(enq[g]), u
        else:  # round robin over populations
            turn = (layer_of[g] - (step - 1)) % q
            if turn < 0:
                turn += q
            p, s = np.float64(turn), u
        if n_best == forward_group:
            if p > worst:
                continue
            if not _before(p, s, g, best_p[n_best - 1], best_s[n_best - 1], best_g[n_best - 1]):
                continue
            pos = n_best - 1
        else:
            pos = n_best
            n_best += 1
        while pos > 0 and _before(p, s, g, best_p[pos - 1], best_s[pos - 1], best_g[pos - 1]):
            best_p[pos] = best_p[pos - 1]
            best_s[pos] = best_s[pos - 1]
            best_g[pos] = best_g[pos - 1]
            pos -= 1
        best_p[pos], best_s[pos], best_g[pos] = p, s, g
        if n_best == forward_group:
            worst = best_p[n_best - 1]
    for k in range(forward_group):
        emit[k] = best_g[k]


def _select(queue, qlen, forward_group, sched, h_step, step, n_queues, layer_of, enq, over,
            best_p, best_s, best_g, key, cg, emit):
    """Write the emitted neuron ids of one forward step into ``emit`` (sorted ascending); returns
    their number: every queue entry when at most ``F`` are pending, else the ``F`` smallest keys
    (``h_step``: the hash chain of seed, sample, frame and step). The result does not depend on
    the order of ``queue`` (the neuron id breaks every tie)."""
    if qlen <= forward_group:
        for k in range(qlen):
            emit[k] = queue[k]
        _sort_small(emit, qlen)
        return qlen
    done = False
    if sched == 0 and forward_group <= _RANK_MAX_F:
        done = _select_random(queue, qlen, forward_group, h_step, _RANK_MARGIN, key, cg, emit) >= 0
    if not done:
        _select_buffer(queue, qlen, forward_group, sched, h_step, step, n_queues, layer_of, enq, over,
                       best_p, best_s, best_g, emit)
    _sort_small(emit, forward_group)
    return forward_group


def _grow(events, n_events):
    """``events`` with room for one more row (capacity doubled when full)."""
    if n_events < events.shape[0]:
        return events
    bigger = np.empty((2 * events.shape[0], events.shape[1]), dtype=events.dtype)
    bigger[:n_events] = events[:n_events]
    return bigger


def _halts(first_b, halt_after, now, queue, qlen, pend):
    """The stopping rule of one sample at global step ``now``: true when some output neuron has
    spiked (``first_b``: global step of each output's first spike, -1 for none) and ``now`` is
    ``halt_after`` steps or more past the earliest of them; the pending entries of the ``qlen``
    queued neurons are then cleared (the caller empties the queue)."""
    first_any = -1
    for o in range(first_b.shape[0]):
        if first_b[o] >= 0 and (first_any < 0 or first_b[o] < first_any):
            first_any = first_b[o]
    if first_any >= 0 and now >= first_any + halt_after:
        for k in range(qlen):
            pend[queue[k]] = 0
        return True
    return False


def _deliver(emit, n_emit, indptr, indices, weights, layer_of, dense, offsets, acc, touched, touch_list,
             block_lo, block_hi, synops_b):
    """Add the outgoing weights (mV) of the emitted neurons ``emit[:n_emit]`` (ascending ids) into
    ``acc`` per target, in emission order (``0.0 + w_1 + w_2 + ...``, as scipy's sparse product);
    counts the synaptic events per source layer into ``synops_b``. Returns the number of touch
    blocks written to ``block_lo`` / ``block_hi``, in order of first touch, one per run of emitted
    neurons of one layer: a dense layer (``dense[l]``: every row holds all of layer ``l + 1``
    ascending) touches its whole next layer ascending, stored as ``(-first - 1, last + 1)``; any
    other layer appends its targets in first-touch order to ``touch_list`` (flagged in
    ``touched``), stored as the range ``(lo, hi)`` of ``touch_list``."""
    n_blocks = 0
    n_touch = 0
    k = 0
    while k < n_emit:
        l = layer_of[emit[k]]
        k_end = k + 1
        while k_end < n_emit and layer_of[emit[k_end]] == l:
            k_end += 1
        if dense[l]:
            lo_t = offsets[l + 1]
            width = offsets[l + 2] - lo_t
            block = acc[lo_t : lo_t + width]  # views: indices from 0, so no negative-index
            for kk in range(k, k_end):        # handling and the adds vectorise
                lo = indptr[emit[kk]]
                row = weights[lo : lo + width]
                for j in range(width):
                    block[j] += row[j]
            synops_b[l] += (k_end - k) * width
            block_lo[n_blocks] = -lo_t - 1
            block_hi[n_blocks] = lo_t + width
        else:
            block_lo[n_blocks] = n_touch
            for kk in range(k, k_end):
                g = emit[kk]
                lo, hi = indptr[g], indptr[g + 1]
                synops_b[l] += hi - lo
                for j in range(lo, hi):
                    t = indices[j]
                    if not touched[t]:
                        touched[t] = True
                        touch_list[n_touch] = t
                        n_touch += 1
                    acc[t] += weights[j]
            block_hi[n_blocks] = n_touch
        n_blocks += 1
        k = k_end
    return n_blocks


def _check_dense(lo_t, hi_t, acc, v, v_th, ref, refractory, hit, cand, n_cand):
    """Threshold checks of the dense block of targets ``lo_t .. hi_t - 1``: each target with a
    non-zero net current ``acc`` (and not refractory) adds it to ``v`` and is a candidate when
    ``v >= v_th``; ``acc`` is cleared. Candidates are appended to ``cand`` from the last target to
    the first (scipy's order); returns the new number of candidates. Branch-free first pass (it
    vectorises), then a scan of the ``hit`` flags."""
    width = hi_t - lo_t
    a = acc[lo_t:hi_t]  # views indexed from 0 (see _deliver)
    vb = v[lo_t:hi_t]
    th = v_th[lo_t:hi_t]
    rb = ref[lo_t:hi_t]
    n_hit = 0
    for j in range(width):
        w = a[j]
        a[j] = 0.0
        active = (w != 0.0) & ~(rb[j] & refractory)
        nv = vb[j] + w
        vb[j] = nv if active else vb[j]
        h = active & (nv >= th[j])
        hit[j] = h
        n_hit += h
    if n_hit == 0:
        return n_cand
    for j in range(width - 1, -1, -1):
        if hit[j]:
            cand[n_cand] = lo_t + j
            n_cand += 1
    return n_cand


def _kernel(b0, b1, x, x_words, ids, indptr, indices, weights, layer_of, dense, offsets, v_th, zero_reset, beta, has_leak,
            n_in, out_off, n_layers, forward_group, prioritize, refractory, halt_after, max_steps, sched, seed,
            record_frames, count, synops, input_events, steps, first, first_spikes, frame_counts, dropped, halted):
    """Run samples ``b0 .. b1 - 1`` (see the module docstring); fills the per-sample outputs and
    returns the output events as rows ``(sample, output neuron, global step, frame, step)``."""
    n = indptr.shape[0] - 1
    n_frames = x.shape[1]
    v = np.zeros(n)
    ref = np.zeros(n, dtype=np.bool_)
    pend = np.zeros(n, dtype=np.int64)
    enq = np.zeros(n, dtype=np.int64)
    over = np.full(n, np.inf)
    acc = np.zeros(n)
    touched = np.zeros(n, dtype=np.bool_)
    touch_list = np.zeros(n, dtype=np.int64)
    queue = np.zeros(n, dtype=np.int64)
    cand = np.zeros(n, dtype=np.int64)
    hit = np.zeros(n, dtype=np.bool_)
    key = np.zeros(n, dtype=np.int64)
    cg = np.zeros(n, dtype=np.int64)
    block_lo = np.zeros(n_layers + 1, dtype=np.int64)
    block_hi = np.zeros(n_layers + 1, dtype=np.int64)
    emit = np.zeros(max(min(forward_group, n), n_in), dtype=np.int64)
    width = min(forward_group, n) + 1
    best_p = np.zeros(width)
    best_s = np.zeros(width)
    best_g = np.zeros(width, dtype=np.int64)
    events = np.zeros((64, 5), dtype=np.int64)
    n_events = 0
    for b in range(b0, b1):
        v[:] = 0.0
        ref[:] = False
        pend[:] = 0
        enq[:] = 0
        over[:] = np.inf
        total = 0
        base = 0
        h_sample = _chain(_mix(np.uint64(seed)), ids[b])
        for f in range(n_frames):
            if halted[b]:
                break
            h_frame = _chain(h_sample, f)
            if has_leak:
                for g in range(n_in, n):
                    v[g] *= beta[g]
            if refractory:
                ref[:] = False
            qlen = 0
            n_emit = 0
            for kw in range(x_words.shape[2]):  # eight input flags per word: skip empty words
                if x_words[b, f, kw] == 0:
                    continue
                for i in range(8 * kw, min(8 * kw + 8, n_in)):
                    if x[b, f, i]:
                        input_events[b] += 1
                        if prioritize:
                            emit[n_emit] = i
                            n_emit += 1
                        else:
                            pend[i] = 1
                            enq[i] = 0
                            queue[qlen] = i
                            qlen += 1
            step = 0
            while True:
                if step > 0 or prioritize:
                    sg = base + step
                    # deliver the emitted spikes (ascending ids, so grouped by layer): per-target sums
                    n_blocks = _deliver(emit, n_emit, indptr, indices, weights, layer_of, dense, offsets, acc,
                                        touched, touch_list, block_lo, block_hi, synops[b])
                    # the queue keeps the entries still pending
                    kept = 0
                    for k in range(qlen):
                        if pend[queue[k]] > 0:
                            queue[kept] = queue[k]
                            kept += 1
                    qlen = kept
                    # threshold checks of the targets with non-zero net current, scipy's order (the
                    # reverse of first touch: blocks last to first, each block last to first)
                    n_cand = 0
                    for bi in range(n_blocks - 1, -1, -1):
                        lo_b, hi_b = block_lo[bi], block_hi[bi]
                        if lo_b < 0:  # a dense block: targets -lo_b - 1 .. hi_b - 1, touched ascending
                            n_cand = _check_dense(-lo_b - 1, hi_b, acc, v, v_th, ref, refractory, hit, cand, n_cand)
                        else:
                            for k in range(hi_b - 1, lo_b - 1, -1):
                                t = touch_list[k]
                                w = acc[t]
                                acc[t] = 0.0
                                touched[t] = False
                                if w == 0.0 or (refractory and ref[t]):
                                    continue
                                v[t] += w
                                if v[t] >= v_th[t]:
                                    cand[n_cand] = t
                                    n_cand += 1
                    # spikes: reset, bookkeeping, queue
                    total += n_cand
                    for k in range(n_cand):
                        t = cand[k]
                        th = v_th[t]
                        over[t] = (v[t] - th) / th
                        v[t] = 0.0 if zero_reset[t] else v[t] - th
                        count[b, t] += 1
                        if record_frames:
                            frame_counts[b, f, t - n_in] += 1
                        if refractory:
                            ref[t] = True
                        if t >= out_off:
                            o = t - out_off
                            events = _grow(events, n_events)
                            events[n_events, 0] = b
                            events[n_events, 1] = o
                            events[n_events, 2] = sg
                            events[n_events, 3] = f
                            events[n_events, 4] = step
                            n_events += 1
                            if first[b, o] < 0:
                                first[b, o] = sg
                                first_spikes[b, o] = total
                        else:
                            if pend[t] == 0:
                                enq[t] = step
                                queue[qlen] = t
                                qlen += 1
                            pend[t] += 1
                # stopping rule, also at step 0 of queued input (no delivery then)
                if halt_after >= 0 and not halted[b] and _halts(first[b], halt_after, base + step, queue,
                                                                qlen, pend):
                    halted[b] = True
                    qlen = 0
                if qlen == 0:
                    break
                if step == max_steps:
                    for k in range(qlen):
                        dropped[b] += pend[queue[k]]
                        pend[queue[k]] = 0
                    break
                step += 1
                n_emit = _select(queue, qlen, forward_group, sched, _chain(h_frame, step), step, n_layers,
                                 layer_of, enq, over, best_p, best_s, best_g, key, cg, emit)
                for k in range(n_emit):
                    pend[emit[k]] -= 1
                steps[b, f] = step
            base += steps[b, f]
    return events[:n_events].copy()


def _select_batch(queue, n_total, ids, seed, frame, step, forward_group, sched, n_queues, layer_of, enq, over,
                  emit):
    """``_select`` for every sample of a batch queue: ``queue`` holds the pending entries as
    ascending flat ids ``b * n_total + neuron``; sample ``b``'s segment is selected with its rows
    of the flat arrays ``enq`` and ``over`` (``EventState``'s layout) and its global id
    ``ids[b]``. Writes the emitted flat ids (ascending) into ``emit``; returns their number."""
    best_p = np.empty(forward_group)
    best_s = np.empty(forward_group)
    best_g = np.empty(forward_group, dtype=np.int64)
    chosen = np.empty(forward_group, dtype=np.int64)
    neurons = np.empty(n_total, dtype=np.int64)
    key = np.empty(n_total, dtype=np.int64)  # _select_random's candidate keys and ids
    cg = np.empty(n_total, dtype=np.int64)
    h_seed = _mix(seed)
    n_emit = 0
    k = 0
    while k < queue.size:
        row = (queue[k] // n_total) * n_total
        qlen = 0
        while k < queue.size and queue[k] < row + n_total:
            neurons[qlen] = queue[k] - row
            qlen += 1
            k += 1
        h_step = _chain(_chain(_chain(h_seed, ids[row // n_total]), frame), step)
        n = _select(neurons, qlen, forward_group, sched, h_step, step, n_queues, layer_of,
                    enq[row : row + n_total], over[row : row + n_total], best_p, best_s, best_g, key, cg, chosen)
        for i in range(n):
            emit[n_emit + i] = row + chosen[i]
        n_emit += n
    return n_emit


def select_batch(queue: np.ndarray, n_total: int, ids: np.ndarray, scheduler_name: str, seed: int, frame: int,
                 step: int, forward_group: int, n_queues: int, layer_of: np.ndarray, enq: np.ndarray,
                 over: np.ndarray) -> np.ndarray:
    """The flat ids a forward step of a batch emits, compiled: the same choice as
    ``schedulers.select`` with the built-in strategy ``scheduler_name`` seeded ``seed``.

    ``queue``: the pending entries, ascending flat ids ``b * n_total + neuron`` (``b`` the
    position in the batch); ``ids``: global sample ids (batch,); ``frame``, ``step`` (1-based),
    ``n_queues`` as in ``schedulers.PendingSpikes``; ``layer_of``: population of each neuron id;
    ``enq`` (int64) and ``over`` (float64): ``EventState``'s flat arrays. Returns the emitted flat
    ids, ascending."""
    emit = np.empty(queue.size, dtype=np.int64)
    n = _select_batch(queue, n_total, ids, np.uint64(seed), frame, step, forward_group, SCHEDULER_CODES[scheduler_name],
                      n_queues, layer_of, enq, over, emit)
    return emit[:n]


if AVAILABLE:
    _mix = _jit(_mix)
    _chain = _jit(_chain)
    _to_unit = _jit(_to_unit)
    _uniform = _jit(_uniform)
    _before = _jit(_before)
    _sort_small = _jit(_sort_small)
    _rank_select = _jit(_rank_select)
    _select_random = _jit(_select_random, inline="always")
    _select_buffer = _jit(_select_buffer, inline="always")
    _select = _jit(_select, inline="always")
    _select_batch = _jit(_select_batch)
    _grow = _jit(_grow)
    _deliver = _jit(_deliver, inline="always")
    _check_dense = _jit(_check_dense, inline="always")
    _halts = _jit(_halts)
    _kernel = _jit(_kernel)

_compile_seconds: list[float] = []


def compile_seconds() -> float | None:
    """Seconds the first kernel call of this process took beyond running (compilation or loading
    from the cache), None before the first call."""
    return _compile_seconds[0] if _compile_seconds else None


def dense_layers(graph) -> np.ndarray:
    """Per population ``l`` (0 = input, ..., ``n_layers`` = output), bool: every neuron of ``l``
    has a synapse onto every neuron of layer ``l + 1`` (its CSR rows, sorted and duplicate-free,
    are then exactly ``offsets[l + 1] .. offsets[l + 2] - 1`` ascending); False for the output."""
    dense = np.zeros(graph.n_layers + 1, dtype=np.bool_)
    for l in range(graph.n_layers):
        lo, hi = graph.offsets[l], graph.offsets[l + 1]
        dense[l] = bool(np.all(np.diff(graph.indptr[lo : hi + 1]) == graph.sizes[l + 1]))
    return dense


def run_kernel(graph, x: np.ndarray, ids: np.ndarray, config, scheduler_name: str, seed: int,
               record_frames: bool, progress: bool = False):
    """Run the compiled kernel on ``x`` (bool, (batch, n_frames, n_in)); returns the
    ``AsyncRecord`` the numpy reference returns for the same run."""
    import time

    from tqdm import tqdm

    from .events import AsyncRecord

    if not AVAILABLE:
        raise RuntimeError("the async event kernel needs numba, which does not import")
    batch, n_frames, n_in = x.shape
    n = graph.n_total
    n_out = graph.sizes[-1]
    beta = np.concatenate([np.ones(n_in), np.repeat(graph.beta_layer, graph.sizes[1:])]).astype(np.float64)
    count = np.zeros((batch, n), dtype=np.int64)
    synops = np.zeros((batch, graph.n_layers), dtype=np.int64)
    input_events = np.zeros(batch, dtype=np.int64)
    steps = np.zeros((batch, n_frames), dtype=np.int64)
    first = np.full((batch, n_out), -1, dtype=np.int64)
    first_spikes = np.full((batch, n_out), -1, dtype=np.int64)
    frame_counts = np.zeros((batch, n_frames, n - n_in) if record_frames else (1, 1, 1), dtype=np.int64)
    dropped = np.zeros(batch, dtype=np.int64)
    halted = np.zeros(batch, dtype=np.bool_)
    halt_after = -1 if config.halt_after is None else int(config.halt_after)
    x = np.ascontiguousarray(x, dtype=np.bool_)
    if n_in % 8:  # pad the input flags to whole 64-bit words
        x = np.concatenate([x, np.zeros((batch, n_frames, -n_in % 8), dtype=np.bool_)], axis=2)
    args = (x, x.view(np.uint64), np.ascontiguousarray(ids, dtype=np.int64),
            *(np.ascontiguousarray(a, dtype=t) for a, t in ((graph.indptr, np.int64), (graph.indices, np.int64),
                                                            (graph.weights, np.float64), (graph.layer_of, np.int64))),
            dense_layers(graph), np.ascontiguousarray(graph.offsets, dtype=np.int64),
            np.ascontiguousarray(graph.v_th, dtype=np.float64), np.ascontiguousarray(graph.zero_reset, dtype=np.bool_),
            beta, bool(np.any(beta != 1.0)), int(n_in), int(graph.output_offset), int(graph.n_layers),
            int(config.forward_group), bool(config.prioritize_input), bool(config.refractory), halt_after,
            int(config.max_steps), int(SCHEDULER_CODES[scheduler_name]), np.uint64(seed), bool(record_frames),
            count, synops, input_events, steps, first, first_spikes, frame_counts, dropped, halted)
    chunk = max(1, batch // 20) if progress else batch
    parts = []
    for b0 in tqdm(range(0, batch, chunk), desc="async sim (numba)", disable=not progress, leave=False):
        tic = time.perf_counter()
        parts.append(_kernel(b0, min(b0 + chunk, batch), *args))
        if not _compile_seconds:
            _compile_seconds.append(time.perf_counter() - tic)
    events = np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.int64)
    order = np.lexsort((events[:, 0], events[:, 4], events[:, 3]))  # (frame, step, sample), stable
    events = events[order]
    off = graph.offsets
    layers = range(1, graph.n_layers + 1)
    spike_count = [count[:, off[i] : off[i + 1]].copy() for i in layers]
    fc = [frame_counts[:, :, off[i] - n_in : off[i + 1] - n_in] for i in layers] if record_frames else None
    out_events = (events[:, 0].copy(), events[:, 1].copy(), events[:, 2].copy())
    return AsyncRecord(spike_count, synops, input_events, steps, first, first_spikes, out_events, fc, dropped, halted)
