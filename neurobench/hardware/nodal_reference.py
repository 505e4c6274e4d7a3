"""The sparse nodal system of a crossbar solved by SuperLU: the reference for ``crossbar``.

This is the solver ``neurobench.hardware.crossbar`` used before its structured solve (issue 15):
the whole nodal system ``K x = f`` in the ``2 m n`` node voltages (module doc of ``crossbar``)
assembled with ``scipy.sparse``, factorised once by ``splu`` and solved one right-hand side at a
time (``m + n + 1`` of them for every cell's programming current). It is kept, unchanged, only
as the independent reference that ``tests/hardware/test_crossbar.py`` and
``benchmarks/mapping.py`` compare the structured solver with; no stage calls it.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .crossbar import CrossbarParams, bias_voltages

__all__ = ["SparseCircuit", "program_currents_sparse", "read_voltages_sparse"]


class SparseCircuit:
    """The assembled sparse nodal system of a crossbar for one conductance map.

    Unknowns are the nodes of lines with non-zero wire resistance; nodes of ideal lines are
    eliminated (they equal their driver voltage). ``voltages(v_rows, v_cols)`` solves for any
    set of driver voltages, several at once (columns of the arrays).
    """

    def __init__(self, g: np.ndarray, r_wl: float, r_bl: float) -> None:
        self.g = np.asarray(g, dtype=np.float64)
        m, n = self.g.shape
        self.m, self.n = m, n
        self.r_wl, self.r_bl = r_wl, r_bl
        self.wl_free, self.bl_free = r_wl > 0, r_bl > 0
        cells = m * n
        # unknown numbering: WL nodes first (if free), then BL nodes (if free)
        self.n_wl = cells if self.wl_free else 0
        self.n_bl = cells if self.bl_free else 0
        size = self.n_wl + self.n_bl
        self.size = size
        if size == 0:
            self.lu = None
            return
        idx = np.arange(cells).reshape(m, n)
        rows, cols, vals = [], [], []
        diag = np.zeros(size)

        def edge(a, b, cond):  # conductance between unknowns a and b
            rows.extend([a, b])
            cols.extend([b, a])
            vals.extend([-cond, -cond])
            np.add.at(diag, a, cond)
            np.add.at(diag, b, cond)

        gv = self.g.ravel()
        if self.wl_free:
            gw = 1.0 / r_wl
            edge(idx[:, :-1].ravel(), idx[:, 1:].ravel(), np.full(m * (n - 1), gw))
            np.add.at(diag, idx[:, 0].ravel(), gw)  # driver segment
        if self.bl_free:
            gb = 1.0 / r_bl
            off = self.n_wl
            edge(off + idx[:-1, :].ravel(), off + idx[1:, :].ravel(), np.full((m - 1) * n, gb))
            np.add.at(diag, off + idx[-1, :].ravel(), gb)  # driver segment
        if self.wl_free and self.bl_free:
            edge(idx.ravel(), self.n_wl + idx.ravel(), gv)
        elif self.wl_free:
            np.add.at(diag, idx.ravel(), gv)
        elif self.bl_free:
            np.add.at(diag, idx.ravel(), gv)
        rows_a = np.concatenate([np.asarray(r).ravel() for r in rows]) if rows else np.zeros(0, int)
        cols_a = np.concatenate([np.asarray(c).ravel() for c in cols]) if cols else np.zeros(0, int)
        vals_a = np.concatenate([np.asarray(v).ravel() for v in vals]) if vals else np.zeros(0)
        k = sp.coo_matrix((vals_a, (rows_a, cols_a)), shape=(size, size)).tocsc()
        k = k + sp.diags(diag, format="csc")
        self.lu = spla.splu(k.tocsc(), permc_spec="MMD_AT_PLUS_A")

    def voltages(self, v_rows: np.ndarray, v_cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WL and BL node voltages (k, m, n) for driver voltages ``v_rows`` (k, m), ``v_cols`` (k, n)."""
        v_rows = np.atleast_2d(v_rows)
        v_cols = np.atleast_2d(v_cols)
        k = v_rows.shape[0]
        m, n = self.m, self.n
        w_fixed = np.broadcast_to(v_rows[:, :, None], (k, m, n))
        b_fixed = np.broadcast_to(v_cols[:, None, :], (k, m, n))
        if self.lu is None:
            return np.array(w_fixed), np.array(b_fixed)
        f = np.zeros((self.size, k))
        if self.wl_free:
            inj = np.zeros((k, m, n))
            inj[:, :, 0] = v_rows / self.r_wl
            if not self.bl_free:
                inj += self.g[None] * b_fixed
            f[: self.n_wl] = inj.reshape(k, -1).T
        if self.bl_free:
            inj = np.zeros((k, m, n))
            inj[:, -1, :] = v_cols / self.r_bl
            if not self.wl_free:
                inj += self.g[None] * w_fixed
            f[self.n_wl:] = inj.reshape(k, -1).T
        # one right-hand side at a time: SuperLU's multi-RHS solve is ~10x slower here
        x = np.empty_like(f)
        for col in range(k):
            x[:, col] = self.lu.solve(f[:, col])
        w = x[: self.n_wl].T.reshape(k, m, n) if self.wl_free else np.array(w_fixed)
        b = x[self.n_wl:].T.reshape(k, m, n) if self.bl_free else np.array(b_fixed)
        return w, b


def program_currents_sparse(params: CrossbarParams, g: np.ndarray | None = None) -> np.ndarray:
    """``crossbar.program_currents`` (read its docstring in ``crossbar.py``) by SuperLU: the test oracle."""
    g = params.conductance() if g is None else np.asarray(g, dtype=np.float64)
    m, n = g.shape
    circuit = SparseCircuit(g, params.r_wl, params.r_bl)
    v_sel_r, v_uns_r, v_sel_c, v_uns_c = bias_voltages(params.bias, params.v_prog)
    # base: all lines unselected; plus unit responses of each row driver and each column driver
    drive_r = np.concatenate([np.full((1, m), v_uns_r), np.eye(m), np.zeros((n, m))])
    drive_c = np.concatenate([np.full((1, n), v_uns_c), np.zeros((m, n)), np.eye(n)])
    w, b = circuit.voltages(drive_r, drive_c)
    d = w - b  # (1 + m + n, m, n) cell voltages
    ii, jj = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
    v_cell = (
        d[0]
        + (v_sel_r - v_uns_r) * d[1 + ii, ii, jj]
        + (v_sel_c - v_uns_c) * d[1 + m + jj, ii, jj]
    )
    return g * v_cell


def read_voltages_sparse(params: CrossbarParams, g: np.ndarray | None = None,
                  active_rows: np.ndarray | None = None) -> np.ndarray:
    """``crossbar.read_voltages`` (read its docstring in ``crossbar.py``) by SuperLU: the test oracle."""
    g = params.conductance() if g is None else np.asarray(g, dtype=np.float64)
    m, n = g.shape
    active = np.ones(m, bool) if active_rows is None else np.asarray(active_rows, bool)
    circuit = SparseCircuit(g, params.r_wl, params.r_bl)
    w, b = circuit.voltages(np.where(active, params.v_read, 0.0)[None], np.zeros((1, n)))
    return (w - b)[0]
