"""RRAM read disturb: read endurance of a cell and the inference lifetime of a mapped network.

Song, Titirsha and Das formulate read endurance as a function of the programmed weight
(resistance state) and the synapse's activation, and show that temperature and read voltage
shorten it [paper: abstracts]. The functional form and every constant below are our
reconstruction (``docs/papers/endurance_mapping.md`` §10.3, [inferred])::

    N_RD = n_0 exp(-(V - v_ref) / v_0) exp[(e_a / k_B)(1 / T - 1 / t_ref)] (R / r_ref)^beta

reads before the cell's state is disturbed, with ``V`` the voltage across the cell during a
read (V, from ``crossbar.read_voltages``), ``T`` the cell temperature (K) and ``R`` the
programmed resistance (ohm): lower resistance means more read current and more disturb
(``beta > 0``). ``n_0 = 1e5`` reads at 0.2 V, 300 K and 10 kohm sits between the two anchors
of the summary (failures after ~8e3 reads, no loss after 1e6 reads at 0.2 V [secondary]).

A synapse whose presynaptic neuron spikes ``a`` times per inference reads its cell ``a`` times
(every cell of an active row is read). The inference lifetime of a mapping is the number of
inferences before the first cell is disturbed and the weights must be reprogrammed::

    L_inf = min over synapses s of N_RD(cell(s)) / a_s
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field, model_validator

from ..schema import Params
from .thermal import arrhenius_factor


class RramReadParams(Params):
    """Constants of the read-disturb law (all [inferred], see the module docstring)."""

    n_0: float = Field(1e5, gt=0, description="reads before disturb at v_ref, t_ref, r_ref")
    v_ref: float = Field(0.2, gt=0, description="reference read voltage in V")
    v_0: float = Field(0.05, gt=0, description="voltage scale of the exponential acceleration in V")
    e_a: float = Field(0.4, ge=0, description="activation energy in eV")
    t_ref: float = Field(300.0, gt=0, description="reference temperature in K")
    r_ref: float = Field(10e3, gt=0, description="reference resistance in ohm")
    beta: float = Field(1.0, ge=0, description="exponent of the resistance factor")
    r_on: float = Field(10e3, gt=0, description="resistance of the largest weight in ohm")
    r_off: float = Field(100e3, gt=0, description="resistance of a zero weight in ohm")

    @model_validator(mode="after")
    def _on_below_off(self) -> "RramReadParams":
        if not self.r_on < self.r_off:
            raise ValueError(f"r_on = {self.r_on} must be below r_off = {self.r_off} ohm")
        return self


def weight_resistance(weight: np.ndarray, p: RramReadParams) -> np.ndarray:
    """Programmed resistance in ohm of each weight: conductance linear in ``|w| / max |w|``.

    ``G = G_off + (G_on - G_off) |w| / max|w|``: the largest weights get ``r_on``.
    """
    w = np.abs(np.asarray(weight, dtype=np.float64))
    scale = w.max() if w.size and w.max() > 0 else 1.0
    g = 1.0 / p.r_off + (1.0 / p.r_on - 1.0 / p.r_off) * w / scale
    return 1.0 / g


def read_endurance(voltage, resistance, temperature, p: RramReadParams) -> np.ndarray:
    """Reads before disturb ``N_RD`` (module docstring) for voltages (V), resistances (ohm), T (K)."""
    v = np.abs(np.asarray(voltage, dtype=np.float64))
    r = np.asarray(resistance, dtype=np.float64)
    return (
        p.n_0
        * np.exp(-(v - p.v_ref) / p.v_0)
        * arrhenius_factor(temperature, p.e_a, p.t_ref)
        * (r / p.r_ref) ** p.beta
    )


def positional_read_endurance(voltage, temperature, p: RramReadParams) -> np.ndarray:
    """The part of ``N_RD`` fixed by a cell's position (voltage, temperature), at ``R = r_ref``."""
    return read_endurance(voltage, p.r_ref, temperature, p)


def inference_lifetime(n_rd: np.ndarray, reads_per_inference: np.ndarray) -> float:
    """``min_s N_RD(s) / a_s`` over synapses with ``a_s > 0``, in inferences (inf if none is read)."""
    n_rd = np.asarray(n_rd, dtype=np.float64)
    a = np.asarray(reads_per_inference, dtype=np.float64)
    used = a > 0
    if not used.any():
        return math.inf
    return float(np.min(n_rd[used] / a[used]))
