"""The ``devices`` stage: the compact gated-synapse model (Jones & Jha 2020, reconstructed), run
by ``notebooks/devices.ipynb``.

* ``params``: the ``devices`` section of ``params.yaml`` (``DevicesSection``);
* ``stages``: the model checks E3a-E3d, the fit recovery E3e, and a 4-bit digits network written
  onto gated synapses with and without program-and-verify;
* ``claims``: the targets of spec B4 and the programming study as claims rows.

Submodules are imported explicitly (``from neurobench.experiments.devices.stages import ...``).
"""
