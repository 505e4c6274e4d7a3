"""Simulators: the fast clock-driven engine and Brian2 as the reference (``neurobench.sim.brian``).

* ``clock``: ``simulate``, the clock-driven engine (Brian2's schedule); ``brian``: the reference;
  ``record``: ``SimRecord`` / ``LayerRecord``, what both return; ``compare``: their agreement;
* ``coefficients``: ``StepCoefficients`` and ``leak_factor``, the per-step neuron coefficients
  every engine (and ``neurobench.training``) uses;
* asynchronous execution (Koopman et al. 2024): ``asynchronous.simulate_async`` (event-driven),
  ``async_torch.run_async_torch`` (dense, differentiable), ``layersync.simulate_layersync``
  (the zero-delay layer-synchronized loop), sharing ``events`` (``AsyncConfig``,
  ``AsyncGraph``, ``AsyncRecord``, ``EventState``) and ``schedulers``.

The simulators never import ``neurobench.metrics``; decoding a record is a metric.
"""

from .clock import simulate
from .record import LayerRecord, SimRecord

__all__ = ["LayerRecord", "SimRecord", "simulate"]
