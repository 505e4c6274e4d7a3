"""neurobench: a reproducible workbench for neural networks on neuromorphic hardware.

The core is small and importable: data and spike encoders (`neurobench.data`), neuron models
and their rate functions (`neurobench.neurons`), the layered network graph
(`neurobench.network`), a clock-driven simulator and its Brian2 reference
(`neurobench.sim`), NeuroBench-style metrics (`neurobench.metrics`), the typed
`params.yaml` schema (`neurobench.config`) and the papermill/DVC report pipeline
(`neurobench.pipeline`).
"""

__version__ = "0.1.0"
