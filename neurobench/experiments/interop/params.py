"""The ``interop`` stage's params section ``interop``: which networks go through NIR, where the
``.nir`` files go, and the input spikes every framework is fed (``dt`` in ms)."""

from __future__ import annotations

from pydantic import Field

from ...schema import Folder, Params


class InteropSection(Params):
    """The ``interop`` stage: export every converted and trained network to NIR and run it in every
    framework here (``neurobench.interop``)."""

    conversion_dir: Folder = Field("models/conversion/snn", description="the conversion stage's networks: "
                                   "replicate r reads every .npz of <conversion_dir>/seed<r>")
    async_dir: Folder = Field("models/async", description="the async stage's trained networks (every .npz under it)")
    nir_dir: Folder = Field("models/nir", description="where the .nir files are written")
    n_steps: int = Field(30, ge=1, le=10_000, description="simulated time steps per sample")
    samples: int = Field(4, ge=1, le=1000, description="input samples (batch) per network")
    input_rate: float = Field(0.2, gt=0, le=1, description="probability of an input spike per input and step")
    dt: float = Field(1.0, gt=0, le=100, description="time step in ms (the graphs' metadata dt)")
    seed: int = Field(0, ge=0, description="root seed of the input spikes (replicate r: child_seed(seed, r)) and of "
                      "the tiny fallback networks")
    n_seeds: int = Field(3, ge=1, le=100, description="replicates: replicate r exports the conversion stage's "
                         "seed<r> networks (and the async networks, with its own input spikes)")
    brian_networks: int = Field(1, ge=0, le=1000, description="networks run in Brian2 per replicate and origin "
                                "(conversion, async): the smallest ones (Brian2 is slow)")
    sweep_networks: int = Field(2, ge=0, le=100, description="networks of replicate 0 per neuron kind (IF, LIF) "
                                "in the convention sweep")


SECTION_SCHEMA = InteropSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
