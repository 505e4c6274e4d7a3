"""Nodal analysis of a memristive crossbar with parasitic wordline and bitline resistance.

Geometry (reconstruction, ``docs/papers/endurance_mapping.md`` §3): an ``n_rows x n_cols``
crossbar; row ``i`` is a wordline (WL) driven from its left end (before column 0), column ``j``
a bitline (BL) whose driver / sense node sits below its bottom end (after row ``n_rows - 1``).
Every WL segment between two neighbouring crosspoints, and the segment from the driver to the
first crosspoint, has resistance ``r_wl`` (ohm); likewise ``r_bl`` for BLs. The cell at
crosspoint (i, j) has conductance ``G[i, j]`` (siemens) between WL node ``w[i, j]`` and BL node
``b[i, j]``. Kirchhoff's current law at every WL node::

    (w[i,j-1] - w[i,j]) / r_wl + (w[i,j+1] - w[i,j]) / r_wl + G[i,j] (b[i,j] - w[i,j]) = 0

(``w[i,-1]`` is the row driver voltage) and the analogous law at every BL node make one sparse
symmetric positive-definite system ``K x = f`` in the 2 n_rows n_cols node voltages, assembled
with ``scipy.sparse`` and factorised once with ``splu``. A cell's current is
``I[i, j] = G[i, j] (w[i, j] - b[i, j])`` in A.

Zero wire resistance is exact, not floored: a line with ``r = 0`` is an ideal conductor, so its
nodes are eliminated and set to the driver voltage (with ``r_wl = r_bl = 0`` there is no system
left and the currents are Ohm's law, ``I = G (V_row - V_col)``).

Programming (write) mode, ``program_currents``: one cell (i*, j*) is selected at a time; the
selected WL is driven at ``v_prog`` and the selected BL at 0 V; unselected lines are biased by
the scheme (both are the usual half-select schemes, a reconstruction: the circuit of eSpine is
not available):

* ``"V/2"``: every unselected WL and BL at ``v_prog / 2``;
* ``"V/3"``: unselected WLs at ``v_prog / 3``, unselected BLs at ``2 v_prog / 3``.

The system matrix does not depend on the selected cell, and by superposition the node voltages
for selection (i*, j*) are ``x = x_0 + dV_row X_row[i*] + dV_col X_col[j*]`` with ``x_0`` the
all-unselected solution and ``X_row[i]``, ``X_col[j]`` the responses to a unit voltage on one
driver; so all n_rows n_cols selections cost n_rows + n_cols + 1 triangular solves.

Read mode, ``read_voltages``: active rows at ``v_read``, inactive rows and every BL at 0 V
(virtual-ground sensing); returns the voltage across every cell.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from pydantic import Field

from ..schema import Params

BiasScheme = Literal["V/2", "V/3"]


class CrossbarParams(Params):
    """Circuit parameters of one crossbar (defaults are our reconstruction, see module doc).

    Sources of the defaults: ``n = 128`` is the group's SpiNeMap default [code]; the wire
    resistance 2.5 ohm and the cell resistance 10 kohm are [inferred]; ``v_prog = 1.0 V`` is the
    supply of both parameter sets of the group's papers [unverified]; ``v_read = 0.2 V``
    [secondary: Yao et al. 2020].
    """

    n: int = Field(128, ge=1, le=4096, description="crossbar rows and columns")
    r_wl: float = Field(2.5, ge=0, description="wordline resistance per segment in ohm")
    r_bl: float = Field(2.5, ge=0, description="bitline resistance per segment in ohm")
    r_cell: float = Field(10e3, gt=0, description="programmed cell resistance in ohm")
    v_prog: float = Field(1.0, gt=0, description="programming voltage of the selected cell in V")
    bias: BiasScheme = Field("V/2", description="half-select bias scheme of the unselected lines")
    v_read: float = Field(0.2, gt=0, description="read voltage on active rows in V")

    def conductance(self) -> np.ndarray:
        """Uniform (n, n) conductance map, every cell at ``1 / r_cell`` siemens."""
        return np.full((self.n, self.n), 1.0 / self.r_cell)


def bias_voltages(bias: BiasScheme, v_prog: float) -> tuple[float, float, float, float]:
    """(selected WL, unselected WL, selected BL, unselected BL) voltages in V of a bias scheme."""
    if bias == "V/2":
        return v_prog, v_prog / 2, 0.0, v_prog / 2
    if bias == "V/3":
        return v_prog, v_prog / 3, 0.0, 2 * v_prog / 3
    raise ValueError(f"bias must be 'V/2' or 'V/3', got {bias!r}")


class _Circuit:
    """The assembled nodal system of a crossbar for one conductance map (private helper).

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


def program_currents(params: CrossbarParams, g: np.ndarray | None = None) -> np.ndarray:
    """Current in A through each cell when that cell is the selected one, by nodal analysis.

    Parameters
    ----------
    params : CrossbarParams
        Wire resistances, programming voltage and bias scheme (``params.n`` is ignored when
        ``g`` is given).
    g : array (m, n), optional
        Cell conductances in siemens (default: every cell at ``1 / params.r_cell``).

    Returns
    -------
    array (m, n)
        ``I[i, j] = G[i, j] (w[i, j] - b[i, j])`` with cell (i, j) selected and all other lines
        half-selected by ``params.bias``; with zero wire resistance this is ``G v_prog``.
    """
    g = params.conductance() if g is None else np.asarray(g, dtype=np.float64)
    m, n = g.shape
    circuit = _Circuit(g, params.r_wl, params.r_bl)
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


def read_voltages(params: CrossbarParams, g: np.ndarray | None = None,
                  active_rows: np.ndarray | None = None) -> np.ndarray:
    """Voltage in V across each cell during a read: active rows at ``params.v_read``, BLs at 0 V.

    Parameters
    ----------
    g : array (m, n), optional
        Programmed conductances in siemens (default uniform ``1 / params.r_cell``).
    active_rows : bool array (m,), optional
        Rows driven during the read (default all: a full-vector read, the worst case).
    """
    g = params.conductance() if g is None else np.asarray(g, dtype=np.float64)
    m, n = g.shape
    active = np.ones(m, bool) if active_rows is None else np.asarray(active_rows, bool)
    circuit = _Circuit(g, params.r_wl, params.r_bl)
    w, b = circuit.voltages(np.where(active, params.v_read, 0.0)[None], np.zeros((1, n)))
    return (w - b)[0]


def series_currents(params: CrossbarParams, g: np.ndarray | None = None) -> np.ndarray:
    """Path-length model: ``I[i, j] = v_prog / (R[i, j] + r_wl (j + 1) + r_bl (m - i))`` in A.

    Exact when every other cell is open (the nodal solution then reduces to it).
    """
    g = params.conductance() if g is None else np.asarray(g, dtype=np.float64)
    m, n = g.shape
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    with np.errstate(divide="ignore"):
        r = np.where(g > 0, 1.0 / g, np.inf)
    return params.v_prog / (r + params.r_wl * (j + 1) + params.r_bl * (m - i))
