"""The ``src`` stage: the Spiking Recurrent Cell (De Geeter, Ernst, Drion 2023,
arXiv:2306.03623) trained by BPTT against an snnTorch LIF baseline, run by
``notebooks/src.ipynb``.

* ``params``: the ``src`` section of ``params.yaml`` (``SrcSection``);
* ``stages``: tasks (rate-coded digits, saccade events), training of every network over
  replicates, the single-neuron study, the torch vs Brian2 forward check, the stimulus sweep;
* ``claims``: the paper's claims beside the measurements and the headline numbers.

Submodules are imported explicitly (``from neurobench.experiments.src.stages import ...``).
"""
