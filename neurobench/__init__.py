"""neurobench: a reproducible workbench for neural networks on neuromorphic hardware.

The package is layered (``docs/architecture.md``; the direction is checked by import-linter):

* foundations: ``units`` (unit constants), ``schema`` (``Params``, the base of every parameter
  object), ``seeds`` (SeedSequence spawning), ``io`` (atomic files);
* models: ``neurons`` (IF/LIF parameters, rate functions), ``network`` (the layer graph),
  ``serialize`` (npz files of networks and ANNs);
* ``data``: data sets, splits and spike encoders;
* ``sim``: the clock-driven simulator, its Brian2 reference, asynchronous event-driven engines;
* ``metrics``: NeuroBench-style metrics and output decoders;
* ``ann``: trained ANNs;
* the papers' methods: ``conversion`` (ANN-to-SNN by layer-wise LPs), ``training``
  (unlayered backprop), ``hardware`` (crossbars, device laws, mesh, workloads, many-core
  model), ``mapping`` (partitioning and placement on crossbar tiles);
* ``experiments``: one subpackage per stage (params schema, stage logic, claims);
* ``config`` (the ``params.yaml`` registry and check), ``pipeline`` (papermill/DVC stage
  runner), ``report`` and ``index_page`` (report helpers), ``deps`` (DVC deps from imports).
"""

__version__ = "0.1.0"
