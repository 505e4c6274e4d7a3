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
symmetric positive-definite system ``K x = f`` in the 2 n_rows n_cols node voltages. A cell's
current is ``I[i, j] = G[i, j] (w[i, j] - b[i, j])`` in A.

Solver (``_Circuit``): the WL nodes of each row form a tridiagonal system coupled only to that
row's BL nodes, so they are eliminated row by row (closed-form inverses of the tridiagonal
line systems); the Schur complement onto the BL nodes is block tridiagonal, one dense
n_cols x n_cols block per row, and is solved by block-tridiagonal sweeps (block Thomas and the
recursive Green's function recursion). Time O(n_rows n_cols^3), memory O(n_rows n_cols^2);
``hardware.nodal_reference`` keeps the assembled sparse system solved by SuperLU, the
independent reference the tests and ``benchmarks/mapping.py`` compare with.

Zero wire resistance is exact, not floored: a line with ``r = 0`` is an ideal conductor, so its
nodes are eliminated and set to the driver voltage (with ``r_wl = r_bl = 0`` there is no system
left and the currents are Ohm's law, ``I = G (V_row - V_col)``).

Programming (write) mode, ``program_currents``: one cell (i*, j*) is selected at a time; the
selected WL is driven at ``v_prog`` and the selected BL at 0 V; unselected lines are biased by
the scheme (both are the usual half-select schemes, a reconstruction: the circuit of eSpine is
not available):

* ``"V/2"``: every unselected WL and BL at ``v_prog / 2``;
* ``"V/3"``: unselected WLs at ``v_prog / 3``, unselected BLs at ``2 v_prog / 3``.

The system matrix does not depend on the selected cell, and by superposition the cell voltages
for selection (i*, j*) are ``d = d_0 + dV_row D_row[i*] + dV_col D_col[j*]`` with ``d_0`` the
all-unselected solution and ``D_row[i]``, ``D_col[j]`` the responses to a unit voltage on one
driver. Only the selected cell's own entries are needed, ``D_row[i][i, :]`` (the diagonal
blocks of the reduced inverse applied to one vector per row) and ``D_col[j][:, j]`` (the last
block column of the reduced inverse, all columns at once): one pass over the rows.

Read mode, ``read_voltages``: active rows at ``v_read``, inactive rows and every BL at 0 V
(virtual-ground sensing); returns the voltage across every cell.

Both run their BLAS and LAPACK calls on one thread (``_one_blas_thread``): a multi-threaded BLAS
sums the dense block products in another order, and the programming currents came out up to
1.7e-13 apart (relative) on one and on two threads, so every result downstream (endurance maps,
lifetimes) depended on the caller's thread count.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
from scipy.linalg import lapack
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


def _line_inverses(g: np.ndarray, conductance: float) -> np.ndarray:
    """Dense inverses (k, L, L) of the k independent line systems ``T + diag(g[l])``, in ohm.

    Line ``l`` has ``L`` nodes in a chain of wire segments of ``conductance`` siemens ``c``,
    driven at index 0 through one more segment and open after index ``L - 1``; node ``p`` also
    leaks ``g[l, p] >= 0`` siemens to a fixed voltage. ``T`` is the chain's tridiagonal Laplacian
    (diagonal ``2 c`` except ``c`` at the open end, off-diagonal ``-c``).

    Closed form without cancellation: ``mu_p`` is the conductance node ``p`` sees towards the
    driver through the chain (``mu_0 = c``, ``mu_p = c s / (c + s)`` with ``s = mu_{p-1} +
    g_{p-1}``, series of a segment with what lies behind it) and ``nu_p`` likewise towards the
    open end (``nu_{L-1} = 0``). Then ``inv[p, p] = 1 / (g_p + mu_p + nu_p)`` and below the
    diagonal ``inv[r, q] = rho_r inv[r-1, q]`` with ``rho_r = c / (c + g_r + nu_r)`` in (0, 1]:
    sums and products of positive numbers only, O(k L^2) for all lines at once.
    """
    k, length = g.shape
    c = conductance
    mu = np.empty((k, length))
    nu = np.empty((k, length))
    mu[:, 0] = c
    nu[:, -1] = 0.0
    for p in range(1, length):
        s = mu[:, p - 1] + g[:, p - 1]
        mu[:, p] = c * s / (c + s)
        s = nu[:, -p] + g[:, -p]
        nu[:, -1 - p] = c * s / (c + s)
    diag = 1.0 / (g + mu + nu)
    rho = c / (c + g + nu)
    out = np.empty((k, length, length))
    for r in range(length):
        out[:, r, r] = diag[:, r]
        if r:
            np.multiply(out[:, r - 1, :r], rho[:, r, None], out=out[:, r, :r])
    rows, cols = _strict_lower(length)
    out[:, cols, rows] = out[:, rows, cols]
    return out


def _spd_inverse(a: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix by Cholesky (``dpotrf`` + ``dpotri``).

    ``a`` must be symmetric: its transpose (Fortran-ordered, no copy) is what LAPACK reads.
    """
    c, info = lapack.dpotrf(a.T)
    if info == 0:
        c, info = lapack.dpotri(c, overwrite_c=1)
    if info:
        raise np.linalg.LinAlgError(f"block of the nodal system is not positive definite (info {info})")
    lower = _strict_lower(a.shape[0])
    c[lower] = c.T[lower]
    return c


@lru_cache(maxsize=8)
def _strict_lower(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the strict lower triangle of an n x n matrix (cached)."""
    return np.tril_indices(n, -1)


class _Circuit:
    """The nodal system of a crossbar for one conductance map, factorised along its wordlines.

    With both wire families resistive, the WL nodes of row ``i`` obey
    ``Aw_i w_i = G_i b_i + f_i`` (``Aw_i = Tw + diag(G_i)``, tridiagonal) and are eliminated
    row by row; what is left is the Schur complement onto the BL nodes, block tridiagonal with
    one dense ``n x n`` block per row, ``D_i = diag(c_i + G_i) - G_i Aw_i^{-1} G_i``, coupled to
    the neighbouring rows by ``-1 / r_bl`` (``c_i`` the BL node's wire conductance). A left
    sweep stores ``L_i = (D_i - r_bl^-2 L_{i-1})^{-1}`` (block Thomas / recursive Green's
    function): O(m n^3) time, O(m n^2) memory. With one ideal family the lines of the other
    family decouple into independent tridiagonal systems; with both ideal there is nothing to
    solve.
    """

    def __init__(self, g: np.ndarray, r_wl: float, r_bl: float) -> None:
        self.g = np.asarray(g, dtype=np.float64)
        if self.g.ndim != 2 or self.g.size == 0 or not np.all(np.isfinite(self.g)) or np.any(self.g < 0):
            raise ValueError(f"g must be a non-empty 2-D array of finite conductances >= 0 S, got shape {self.g.shape} "
                             f"with min {self.g.min() if self.g.size else None}")
        m, n = self.g.shape
        self.m, self.n = m, n
        self.wl_free, self.bl_free = r_wl > 0, r_bl > 0
        self.gw = 1.0 / r_wl if self.wl_free else 0.0
        self.gb = 1.0 / r_bl if self.bl_free else 0.0
        if self.wl_free:  # (m, n, n): each wordline's system, driver at column 0
            self.aw_inv = _line_inverses(self.g, self.gw)
        if self.bl_free and not self.wl_free:  # (n, m, m): each bitline's system, index m-1-i
            self.ab_inv = _line_inverses(self.g[::-1].T, self.gb)
        if self.wl_free and self.bl_free:  # left sweep over the Schur blocks D_i
            c = self.gb * np.where(np.arange(m) > 0, 2.0, 1.0)  # BL wire conductance per node
            idx = np.arange(n)
            self.left = np.empty((m, n, n))
            for i in range(m):
                block = self.g[i, :, None] * self.aw_inv[i] * -self.g[i, None, :]
                block[idx, idx] += c[i] + self.g[i]
                if i:
                    block -= self.gb**2 * self.left[i - 1]
                self.left[i] = _spd_inverse(block)

    def voltages(self, v_rows: np.ndarray, v_cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """WL and BL node voltages (k, m, n) for driver voltages ``v_rows`` (k, m), ``v_cols`` (k, n)."""
        v_rows = np.atleast_2d(np.asarray(v_rows, dtype=np.float64))
        v_cols = np.atleast_2d(np.asarray(v_cols, dtype=np.float64))
        k = v_rows.shape[0]
        m, n, g = self.m, self.n, self.g
        w = np.array(np.broadcast_to(v_rows[:, :, None], (k, m, n)))
        b = np.array(np.broadcast_to(v_cols[:, None, :], (k, m, n)))
        if self.wl_free and not self.bl_free:  # rows independent: Aw_i w_i = gw e_0 V_i + G_i V_col
            rhs = g[None] * b
            rhs[:, :, 0] += self.gw * v_rows
            w = np.einsum("ipq,kiq->kip", self.aw_inv, rhs)
        elif self.bl_free and not self.wl_free:  # columns independent (index reversed: m-1-i)
            rhs = (g[None] * w)[:, ::-1, :]
            rhs[:, 0, :] += self.gb * v_cols
            b = np.einsum("jpq,kqj->kpj", self.ab_inv, rhs)[:, ::-1, :]
        elif self.wl_free and self.bl_free:
            # WL right-hand side f_i = gw e_0 V_i; reduced BL right-hand side r_i = G_i Aw_i^-1 f_i
            # (+ gb V_col on the last row); block Thomas with the stored left inverses
            aw_f = self.gw * self.aw_inv[:, :, 0][None] * v_rows[:, :, None]  # (k, m, n)
            r = g[None] * aw_f
            r[:, -1, :] += self.gb * v_cols
            y = np.empty_like(r)
            y[:, 0] = r[:, 0]
            for i in range(1, m):
                y[:, i] = r[:, i] + self.gb * y[:, i - 1] @ self.left[i - 1]
            b[:, -1] = y[:, -1] @ self.left[-1]
            for i in range(m - 2, -1, -1):
                b[:, i] = (y[:, i] + self.gb * b[:, i + 1]) @ self.left[i]
            w = aw_f + np.einsum("ipq,kiq->kip", self.aw_inv, g[None] * b)
        return w, b

    def self_responses(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell voltages (m, n) per volt on the cell's own row driver and on its own column driver.

        ``row[i, j] = d(w - b)[i, j] / dV_row[i]`` and ``col[i, j] = d(w - b)[i, j] / dV_col[j]``,
        all other drivers fixed (superposition; the system is linear).
        """
        m, n, g = self.m, self.n, self.g
        if not (self.wl_free or self.bl_free):
            return np.ones((m, n)), -np.ones((m, n))
        if not self.bl_free:
            diag = np.einsum("ijj->ij", self.aw_inv)
            return self.gw * self.aw_inv[:, :, 0], diag * g - 1.0
        if not self.wl_free:
            diag = np.einsum("jii->ij", self.ab_inv)[::-1]  # (m, n), row index restored
            return 1.0 - diag * g, -self.gb * self.ab_inv[:, :, 0].T[::-1]
        # row driver i: reduced right-hand side h_i = gw G_i Aw_i^-1 e_0 in row i only, so
        # b_i = X_i h_i with X_i the diagonal block of the reduced inverse (backward recursion
        # X_{m-1} = L_{m-1}, X_i = L_i + gb^2 L_i X_{i+1} L_i). Column driver j: reduced
        # right-hand side gb e_j on the last row, all n at once by back substitution
        # (B_{m-1} = gb L_{m-1}, B_i = gb L_i B_{i+1}); both products share one matmul.
        gb, gb2 = self.gb, self.gb**2
        aw0 = self.gw * self.aw_inv[:, :, 0]  # (m, n): Aw_i^-1 gw e_0
        row, col = np.empty((m, n)), np.empty((m, n))
        pair = np.empty((n, 2 * n))  # [X_{i+1} L_i | B_{i+1}]
        prod = np.empty((n, 2 * n))
        x_i = self.left[-1].copy()
        b_i = gb * self.left[-1]
        for i in range(m - 1, -1, -1):
            if i < m - 1:
                np.matmul(x_i, self.left[i], out=pair[:, :n])
                pair[:, n:] = b_i
                np.matmul(self.left[i], pair, out=prod)
                x_i = self.left[i] + gb2 * prod[:, :n]
                b_i = gb * prod[:, n:]
            v = x_i @ (g[i] * aw0[i])
            row[i] = aw0[i] + self.aw_inv[i] @ (g[i] * v) - v
            col[i] = np.einsum("jq,q,qj->j", self.aw_inv[i], g[i], b_i) - np.diagonal(b_i)
        return row, col


@lru_cache(maxsize=1)
def _blas_controller():
    """threadpoolctl's controller of the BLAS libraries loaded in this process (numpy's and
    scipy's are loaded with this module)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _one_blas_thread():
    """Context: every loaded BLAS (and the LAPACK built on it) limited to one thread."""
    return _blas_controller().limit(limits=1, user_api="blas")


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
    v_sel_r, v_uns_r, v_sel_c, v_uns_c = bias_voltages(params.bias, params.v_prog)
    with _one_blas_thread():
        circuit = _Circuit(g, params.r_wl, params.r_bl)
        # base: all lines unselected; plus each cell's response to its own row and column driver
        d0 = np.subtract(*circuit.voltages(np.full((1, m), v_uns_r), np.full((1, n), v_uns_c)))[0]
        row, col = circuit.self_responses()
    v_cell = d0 + (v_sel_r - v_uns_r) * row + (v_sel_c - v_uns_c) * col
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
    with _one_blas_thread():
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
