"""The ``delays`` stage: hardware-aware training with synaptic delays (Patiño-Saucedo et al.
2024), run by ``notebooks/delays.ipynb``.

* ``params``: the ``delays`` section of ``params.yaml`` (``DelaysSection``);
* ``tasks``: the delayed-coincidence task built from the digits (E-DEL-6);
* ``stages``: data, training with and without delays, pooling to top-k with fine-tuning, the
  quantisation legs, the memory models over k and measured activity, the clock vs Brian2 check;
* ``claims``: the paper's claims beside the measurements and the headline numbers.

Submodules are imported explicitly (``from neurobench.experiments.delays.stages import ...``).
"""
