"""The ``wireless`` stage: neuromorphic sensing, SNN and impulse-radio remote inference
(NeuroJSCC; Skatchkovsky, Jang, Simeone 2020), run by ``notebooks/wireless.ipynb``.

* ``params``: the ``wireless`` section of ``params.yaml`` (``WirelessSection``);
* ``stages``: the saccade events, the NeuroJSCC chain trained with the channel in the loop, the
  frame-based BPSK baseline, and their accuracy against SNR, time to decision and energy;
* ``claims``: the paper's claims beside the measurements and the headline numbers.

Submodules are imported explicitly (``from neurobench.experiments.wireless.stages import ...``).
"""
