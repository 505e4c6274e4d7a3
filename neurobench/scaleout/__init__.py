"""The workbench's fan-outs written against ``neurobench.executor``: the same work as the stages
run today, with its independent units mapped through an executor (local, process pool or Dask)
and bit-identical results on every kind.

* :mod:`.conversion`: a ``Converter`` whose per-neuron solves (chunks of a layer's neurons, the
  unit of ``neurobench.conversion.layer.solve_layer``) run through the executor;
* :mod:`.sweep`: a seed sweep, one training run of a stand-in ANN per replicate seed.

Nothing in the pipeline calls these yet (``docs/scaleout.md``, "Next").
"""

from .conversion import SubmitAdapter, convert
from .sweep import SeedResult, SeedTask, seed_sweep, seed_tasks, train_seed

__all__ = ["SeedResult", "SeedTask", "SubmitAdapter", "convert", "seed_sweep", "seed_tasks", "train_seed"]
