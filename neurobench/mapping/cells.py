"""Inside one crossbar: order rows and columns so the most active synapses sit on the strongest cells.

A synapse's cell is fixed by its row (presynaptic neuron) and column (postsynaptic neuron), so
placing a cluster on a crossbar is a row permutation plus a column permutation: ``row_map[r]``
is the physical row of local row ``r``, ``col_map[c]`` the physical column of local column
``c``. The quantity maximised is the crossbar's lifetime::

    L = min over synapses s of E[row_map[r_s], col_map[c_s]] / a_s

with ``E`` the (n, n) endurance map and ``a_s`` the activation (``lifetime`` in ``lifetime.py``).
Algorithm (eSpine's "synapses with higher activation on memristors with higher endurance",
details [inferred], summary §7.1):

1. sort local rows by their most critical (largest) activation, ties by total activation, and
   give them the physical rows in decreasing order of strength (mean log endurance of the
   line); the same for columns. Lines a cluster does not need stay empty, and they are the
   weakest ones;
2. refine: move the row (then the column) of the critical synapse to the physical line, used
   or empty, that most increases ``L`` (swapping contents), until no move helps or
   ``refine_iters`` moves were made.

Both the sorted order and the index order are refined and the better one is kept, so the
endurance-aware placement is never worse than the index-order placement of the same cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class CrossbarContent:
    """The synapses of one cluster in local coordinates.

    Attributes
    ----------
    row, col : int arrays (S,)
        Local row (index into ``pre_ids``) and column (index into ``post_ids``) of each synapse.
    activation : float array (S,)
        Activation of each synapse per inference.
    synapse : int array (S,)
        Index of each synapse in the workload's ``SynapseGraph``.
    pre_ids, post_ids : int arrays
        Global neuron of every local row and column (both in increasing id order).
    """

    row: np.ndarray
    col: np.ndarray
    activation: np.ndarray
    synapse: np.ndarray
    pre_ids: np.ndarray
    post_ids: np.ndarray

    @property
    def n_rows(self) -> int:
        return int(self.pre_ids.size)

    @property
    def n_cols(self) -> int:
        return int(self.post_ids.size)


def contents(graph, cluster_of: np.ndarray, n_clusters: int, activation: np.ndarray) -> list[CrossbarContent]:
    """The ``CrossbarContent`` of every cluster (synapses into its neurons)."""
    dest = np.asarray(cluster_of)[graph.post]
    order = np.argsort(dest, kind="stable")
    bounds = np.searchsorted(dest[order], np.arange(n_clusters + 1))
    out = []
    for c in range(n_clusters):
        syn = order[bounds[c]:bounds[c + 1]]
        pre_ids, row = np.unique(graph.pre[syn], return_inverse=True)
        post_ids, col = np.unique(graph.post[syn], return_inverse=True)
        out.append(CrossbarContent(row.astype(np.int64), col.astype(np.int64), activation[syn], syn, pre_ids, post_ids))
    return out


def line_strength(endurance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Strength of every physical row and column: mean of log endurance along the line."""
    log_e = np.log(endurance)
    return log_e.mean(axis=1), log_e.mean(axis=0)


def _line_priority(line: np.ndarray, a: np.ndarray, n_lines: int) -> np.ndarray:
    """Local lines from most to least demanding: largest activation first, ties by total."""
    peak = np.zeros(n_lines)
    np.maximum.at(peak, line, a)
    total = np.bincount(line, weights=a, minlength=n_lines)
    return np.lexsort((np.arange(n_lines), -total, -peak))


def sorted_maps(content: CrossbarContent, endurance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step 1: most demanding local rows/columns on the strongest physical rows/columns."""
    row_s, col_s = line_strength(endurance)
    return _assign(content.row, content.activation, content.n_rows, row_s), _assign(
        content.col, content.activation, content.n_cols, col_s)


def sorted_matching(demand: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Slot of every item: the most demanding item on the strongest slot, and so on down.

    Free-placement lemma (summary §7.1, exchange argument): among injective assignments
    ``pi`` of items to slots, this one maximises ``min_i strength[pi(i)] / demand[i]`` (e.g.
    synapses with activation ``demand`` on cells with endurance ``strength``). Ties keep index
    order. Needs ``len(strength) >= len(demand)``.
    """
    demand = np.asarray(demand, dtype=np.float64)
    strength = np.asarray(strength, dtype=np.float64)
    if strength.size < demand.size:
        raise ValueError(f"{demand.size} items do not fit {strength.size} slots")
    out = np.empty(demand.size, np.int64)
    out[np.argsort(-demand, kind="stable")] = np.argsort(-strength, kind="stable")[:demand.size]
    return out


def _assign(line, a, n_lines, strength):
    prio = _line_priority(line, a, n_lines)
    demand = np.empty(n_lines)
    demand[prio] = np.arange(n_lines, 0, -1)  # the priority order as a demand
    return sorted_matching(demand, strength)


def index_maps(content: CrossbarContent) -> tuple[np.ndarray, np.ndarray]:
    """Endurance-unaware placement: local line k on physical line k (neuron id order)."""
    return np.arange(content.n_rows), np.arange(content.n_cols)


def lifetime(content: CrossbarContent, endurance: np.ndarray, row_map: np.ndarray, col_map: np.ndarray) -> float:
    """``min_s E[row_map[r_s], col_map[c_s]] / a_s`` over synapses with ``a_s > 0`` (inf if none)."""
    a = content.activation
    used = a > 0
    if not used.any():
        return float("inf")
    e = endurance[row_map[content.row[used]], col_map[content.col[used]]]
    return float(np.min(e / a[used]))


def _improve(line, other_phys, a, e_lines, line_map, n_phys):
    """One best move of the critical synapse's line (rows: e_lines = E; columns: E.T)."""
    n_lines = line_map.size
    vals = e_lines[line_map[line], other_phys] / a
    current = vals.min()
    crit = line[np.argmin(vals)]
    p = line_map[crit]
    inv = np.full(n_phys, -1)
    inv[line_map] = np.arange(n_lines)
    line_min = np.full(n_lines, np.inf)
    np.minimum.at(line_min, line, vals)
    # min over all lines except crit and the candidate's line
    order = np.argsort(line_min)
    rest = order[order != crit]
    best_other = line_min[rest[0]] if rest.size else np.inf
    second_other = line_min[rest[1]] if rest.size > 1 else np.inf
    lq = inv  # local line currently on each physical line q (-1 = empty)
    others = np.where(lq == (rest[0] if rest.size else -2), second_other, best_other)
    # the critical line's synapses on every physical line q
    mine = line == crit
    m1 = (e_lines[:, other_phys[mine]] / a[mine]).min(axis=1)
    # every other line's synapses moved to p
    at_p = np.full(n_lines, np.inf)
    np.minimum.at(at_p, line, e_lines[p, other_phys] / a)
    m2 = np.where(lq >= 0, at_p[np.maximum(lq, 0)], np.inf)
    new = np.minimum(np.minimum(others, m1), m2)
    new[p] = -np.inf
    q = int(np.argmax(new))
    if new[q] <= current:
        return False
    # swap the contents of physical lines p and q
    if lq[q] >= 0:
        line_map[lq[q]] = p
    line_map[crit] = q
    return True


def refine(content: CrossbarContent, endurance: np.ndarray, row_map: np.ndarray, col_map: np.ndarray,
           iters: int) -> tuple[np.ndarray, np.ndarray]:
    """Step 2: greedy row/column moves of the critical synapse while they raise the lifetime."""
    row_map, col_map = row_map.copy(), col_map.copy()
    used = content.activation > 0
    if not used.any():
        return row_map, col_map
    r, c, a = content.row[used], content.col[used], content.activation[used]
    n_r, n_c = endurance.shape
    for _ in range(iters):
        moved = _improve(r, col_map[c], a, endurance, row_map, n_r)
        moved |= _improve(c, row_map[r], a, endurance.T, col_map, n_c)
        if not moved:
            break
    return row_map, col_map


def aware_maps(content: CrossbarContent, endurance: np.ndarray, refine_iters: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Endurance-aware placement: the better of sorted and index order, each refined (module doc)."""
    best, best_l = None, -1.0
    for start in (sorted_maps(content, endurance), index_maps(content)):
        maps = refine(content, endurance, *start, refine_iters)
        life = lifetime(content, endurance, *maps)
        if life > best_l:
            best, best_l = maps, life
    return best


def tile_orders(tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Physical rows and columns of every tile (T, n, n) from strongest to weakest, each (T, n)."""
    log_e = np.log(tiles)
    return (np.argsort(-log_e.mean(axis=2), axis=1, kind="stable"),
            np.argsort(-log_e.mean(axis=1), axis=1, kind="stable"))


def lifetimes_on_tiles(content: CrossbarContent, tiles: np.ndarray, aware: bool,
                       orders: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Lifetime of the cluster on each of ``tiles`` (T, n, n) endurance maps, without refinement.

    ``aware``: the better of sorted and index order on each tile (a lower bound of
    ``aware_maps``); otherwise index order. ``orders``: ``tile_orders(tiles)``, if precomputed.
    """
    a = content.activation
    used = a > 0
    if not used.any():
        return np.full(tiles.shape[0], np.inf)
    r, c, a = content.row[used], content.col[used], a[used]
    life = (tiles[:, r, c] / a).min(axis=1)
    if not aware:
        return life
    order_r, order_c = tile_orders(tiles) if orders is None else orders
    prio_r = _line_priority(content.row, content.activation, content.n_rows)
    prio_c = _line_priority(content.col, content.activation, content.n_cols)
    rank_r = np.empty(content.n_rows, np.int64)
    rank_r[prio_r] = np.arange(content.n_rows)
    rank_c = np.empty(content.n_cols, np.int64)
    rank_c[prio_c] = np.arange(content.n_cols)
    t = np.arange(tiles.shape[0])[:, None]
    srt = (tiles[t, order_r[:, rank_r[r]], order_c[:, rank_c[c]]] / a).min(axis=1)
    return np.maximum(life, srt)
