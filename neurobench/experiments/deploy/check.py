"""Is a candidate possible? Checked from the parameters alone, before any compute.

A candidate is impossible when

* its device cannot hold the weights of its constraint family
  (:func:`neurobench.experiments.deploy.chips.device_cannot_hold`);
* its neuron cannot fire at the conversion's ``max_rate`` (``neurobench.neurons.discrete_max_rate``);
* the network does not fit its cores even with the hidden layer pruned to ``min_hidden`` neurons.

Core budget (an estimate of the crossbars a network needs, from its layer sizes only): on
``n x n`` crossbars, layer ``l`` of the MLP ``n_in -> H -> n_out`` has ``n_l`` neurons of fan-in
``f_l``; a neuron whose fan-in exceeds ``n`` becomes ``ceil(f_l / n)`` partial-sum neurons plus
itself (``neurobench.mapping.graph.unroll``). Each needs one crossbar column, and neurons of two
consecutive layers rarely share a crossbar (their inputs together exceed ``n`` rows), so the
estimate is ``sum_l ceil(n_l (1 + partials_l) / n)`` cores. The partitioner can need more (the
rows of partial-sum neurons of different neurons rarely coincide): the flow then prunes further
(``neurobench.experiments.deploy.flow.deploy_candidate``).

Analog MAC arrays (:class:`~neurobench.experiments.deploy.chips.AnalogMacChip`) hold every
layer's weights at once: layer ``l`` takes ``n_l * ceil((f_l + 1) / chunk_rows)`` of the array's
``cols`` neuron columns (one column per output and chunk of ``chunk_rows`` signed inputs; ``+ 1``:
the bias row), :func:`mac_columns`.
"""

from __future__ import annotations

import math

from ...neurons import discrete_max_rate
from .chips import AnalogMacChip, SpikingChip, device_cannot_hold

__all__ = ["ImpossibleCandidate", "core_lower_bound", "impossible_reason", "largest_fitting_hidden", "mac_columns"]


class ImpossibleCandidate(ValueError):
    """A candidate chip that cannot run the network: the message names it and says why."""


def _partials(fan_in: int, n: int) -> int:
    return math.ceil(fan_in / n) if fan_in > n else 0


def core_lower_bound(n_in: int, hidden: int, n_out: int, n: int) -> int:
    """Estimated fewest ``n x n`` crossbars of the MLP ``n_in -> hidden -> n_out`` (module docstring)."""
    return (math.ceil(hidden * (1 + _partials(n_in, n)) / n)
            + math.ceil(n_out * (1 + _partials(hidden, n)) / n))


def mac_columns(n_in: int, hidden: int, n_out: int, chunk_rows: int) -> int:
    """Neuron columns of an analog MAC array that hold the MLP ``n_in -> hidden -> n_out`` with a
    bias row per layer (module docstring)."""
    return hidden * math.ceil((n_in + 1) / chunk_rows) + n_out * math.ceil((hidden + 1) / chunk_rows)


def _fits(n_in: int, h: int, n_out: int, chip: SpikingChip | AnalogMacChip) -> bool:
    if isinstance(chip, AnalogMacChip):
        return mac_columns(n_in, h, n_out, chip.mac.chunk_rows) <= chip.cols
    return core_lower_bound(n_in, h, n_out, chip.crossbar.n) <= chip.n_cores


def largest_fitting_hidden(n_in: int, hidden: int, n_out: int, chip: SpikingChip | AnalogMacChip,
                           min_hidden: int) -> int | None:
    """Largest hidden width in ``[min_hidden, hidden]`` whose :func:`core_lower_bound` fits the
    chip's cores (analog MAC: whose :func:`mac_columns` fit its columns; None: none fits)."""
    for h in range(hidden, min_hidden - 1, -1):
        if _fits(n_in, h, n_out, chip):
            return h
    return None


def impossible_reason(chip: SpikingChip | AnalogMacChip, n_in: int, hidden: int, n_out: int, min_hidden: int,
                      dt: float, max_rate: float) -> str | None:
    """Why the candidate ``chip`` cannot run the network (None: it may)."""
    if isinstance(chip, AnalogMacChip):
        if largest_fitting_hidden(n_in, hidden, n_out, chip, min_hidden) is None:
            need = mac_columns(n_in, min_hidden, n_out, chip.mac.chunk_rows)
            return (f"the network needs at least {need} neuron columns of {chip.mac.chunk_rows} signed inputs even "
                    f"with the hidden layer pruned to min_hidden = {min_hidden} neurons; the array has {chip.cols}")
        return None
    why = device_cannot_hold(chip.constraints, chip.device)
    if why:
        return why
    reachable = discrete_max_rate(chip.neuron, dt)
    if max_rate > reachable:
        return (f"its {chip.neuron.model.upper()} neuron (t_ref = {chip.neuron.t_ref:g} ms) fires at most "
                f"{reachable:g} Hz at dt = {dt:g} ms, below max_rate = {max_rate:g} Hz")
    if largest_fitting_hidden(n_in, hidden, n_out, chip, min_hidden) is None:
        need = core_lower_bound(n_in, min_hidden, n_out, chip.crossbar.n)
        return (f"the network needs at least {need} cores of {chip.crossbar.n}x{chip.crossbar.n} even with the "
                f"hidden layer pruned to min_hidden = {min_hidden} neurons; the chip has {chip.n_cores}")
    return None
