"""The ``async`` stage: layer-synchronized vs asynchronous execution and unlayered backprop
(Koopman et al. 2024, arXiv:2408.05098), run by ``notebooks/async.ipynb``.

* ``params``: the ``asynchronous`` section of ``params.yaml`` (``AsyncSection``);
* ``tasks``: the spatial (saccade events) and temporal (row by row) digit tasks and the split;
* ``stages``: training, the evaluation grid over strategies and ``F``, early stopping;
* ``claims``: the paper's claims beside the measurements, static model metrics, and the
  headline numbers of ``metrics.json``.

Submodules are imported explicitly (``from neurobench.experiments.asynchronous.stages import
...``) so that validating the params section does not import torch.
"""
