"""The ``analog`` stage: analog vector-matrix inference on BrainScaleS-2 (Weis et al. 2020),
run by ``notebooks/analog.ipynb``.

* ``params``: the ``analog`` section of ``params.yaml`` (``AnalogSection``);
* ``stages``: data, float training, deployment on simulated chip instances, mismatch-aware
  fine-tuning, the sweeps (E2d), the characterisation (E2c), MNIST (E2a) when present;
* ``claims``: the paper's claims and our targets beside the measurements.

Submodules are imported explicitly (``from neurobench.experiments.analog.stages import ...``).
"""
