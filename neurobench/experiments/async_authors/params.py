"""The ``async_authors`` stage's params section: the training setting of the authors' public
example (asynctorch, N-MNIST) applied to our study.

Only what differs from the ``asynchronous`` section lives here; data, tasks, evaluation grid,
energy proxy and seeds are read from ``asynchronous`` (one definition each), so the two reports
differ in the training setting and nothing else. The authors train a 64-64-64 fully connected
network with Adam at learning rate 1e-3, batch 256, for one epoch of 60,000 samples (235
optimiser steps), threshold 0.3 and Xavier-uniform weights. On our 1,348 training digits 45
epochs at batch 256 give about the same number of optimiser steps (≈ 240).
"""

from __future__ import annotations

from pydantic import Field

from ...schema import Params
from ..asynchronous.params import AsyncTrainingSection


def _authors_training() -> AsyncTrainingSection:
    return AsyncTrainingSection(hidden=[64, 64, 64], epochs=45, batch_size=256, lr=1e-3)


class AuthorsNeuronSection(Params):
    """The neuron parameters the authors' setting changes (the rest is ``asynchronous.neuron``)."""

    v_th: float = Field(0.3, gt=0, description="firing threshold in mV (authors: 0.3 with Xavier-uniform weights)")


class AsyncAuthorsSection(Params):
    """The ``async_authors`` stage: the ``asynchronous`` study with the authors' training setting."""

    training: AsyncTrainingSection = Field(default_factory=_authors_training,
                                           description="training of every model (authors: 64-64-64, lr 1e-3, "
                                                       "batch 256, ≈ 235 optimiser steps)")
    neuron: AuthorsNeuronSection = Field(default_factory=AuthorsNeuronSection)
    n_seeds: int = Field(3, ge=1, le=100, description="replicates; replicate r uses child_seed(seed, r) of every "
                                                      "seed field (as in asynchronous)")
    default_claims: str = Field("reports/async/claims.json", min_length=1,
                                description="claims.json of the async stage (our default setting), shown beside")


SECTION_SCHEMA = AsyncAuthorsSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
