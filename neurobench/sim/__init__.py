"""Simulators: the fast clock-driven engine and Brian2 as the reference (``neurobench.sim.brian``)."""

from .clock import simulate
from .record import LayerRecord, SimRecord

__all__ = ["LayerRecord", "SimRecord", "simulate"]
