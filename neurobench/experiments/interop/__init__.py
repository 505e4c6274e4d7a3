"""The ``interop`` stage: every network of the pipeline through NIR (Pedersen et al. 2024), run by
``notebooks/interop.ipynb``.

* ``params``: the ``interop`` section of ``params.yaml`` (``InteropSection``);
* ``stages``: the networks (the conversion stage's ``seed<r>`` folders, the async stage's folder,
  tiny seeded networks when a folder is empty), export to ``.nir``, the round trip, Brian2,
  snnTorch (matched with explicit delays, native), the agreement table and the convention sweep;
* ``claims``: the claims rows and the headline numbers.

Submodules are imported explicitly (``from neurobench.experiments.interop.stages import ...``).
"""
