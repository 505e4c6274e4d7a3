"""The ``federated`` stage: federated learning of GLM SNNs (Skatchkovsky, Jang, Simeone 2020,
FL-SNN), run by ``notebooks/federated.ipynb``.

* ``params``: the ``federated`` section of ``params.yaml`` (``FederatedSection``);
* ``stages``: the digits encoded into spikes, E-FL-1 (federated vs separate vs centralised, two
  classes over two devices and ten classes over K devices), E-FL-2 (accuracy vs tau and vs the
  uplink budget), the uplink count over quantisations;
* ``claims``: the paper's claims beside the measurements and the headline numbers.
* ``deploy``: the two-class study as a Flower deployment, server and clients from the command
  line (``python -m neurobench.experiments.federated.deploy server|client``).

Submodules are imported explicitly (``from neurobench.experiments.federated.stages import ...``).
"""
