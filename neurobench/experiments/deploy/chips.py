"""Chip candidates of the ``deploy`` stage: typed descriptions composed of the workbench's parameters.

A candidate is one entry of ``deploy.chips`` (a dict name -> chip). The ``kind`` tag selects the
class (:data:`Chip`, a discriminated union):

* :class:`SpikingChip` (``kind: spiking``): a many-core crossbar chip that runs the converted
  SNN. It is composed of existing parameter classes only: the weight constraint family
  (``neurobench.conversion.constraints``: ``analog`` / ``digital`` / ``hybrid``), the neuron
  model and reset (``neurobench.neurons.NeuronParams``), the mesh of cores and its spike cost
  proxies and endurance variation (``neurobench.hardware.mesh.MeshParams``: ``rows x cols``
  is the chip's fixed core budget, never grown), one crossbar per core
  (``neurobench.hardware.crossbar.CrossbarParams``: ``n`` rows and columns, so at most ``n``
  neurons with inputs and ``n`` presynaptic lines per core), the many-core timing and energy
  costs (``neurobench.hardware.multicore.CostModel``; its ``hop_ns``/``hop_pj`` also replace
  the mesh's for placement, so one hop has one cost), the synchronisation policy (``barrier``,
  ``tick`` or ``dependency``: ``neurobench.hardware.multicore.POLICIES``) and the synaptic
  device (:data:`Device`).
* :class:`AnalogMacChip` (``kind: analog_mac``): a BrainScaleS-2-like analog
  multiply-accumulate array running the ANN directly. **Pending**: the MAC model exists
  (``neurobench.analog``, stage ``analog``) but is not wired into this flow yet; the candidate
  is declared, validated and listed with status ``pending``, never computed.

Devices (``device.kind``):

* :class:`PcmDevice`: PCM cells; write endurance from the programming current
  (``neurobench.hardware.endurance.PcmEndurance``), worn by every presynaptic spike (eSpine's
  activation ``pre``);
* :class:`RramDevice`: RRAM cells; read disturb (``neurobench.hardware.rram.RramReadParams``)
  at a chip ``temperature`` in K;
* :class:`GatedSynapseDevice`: the gated-synapse device. **Pending**: its model exists
  (``neurobench.devices``, stage ``devices``) but is not wired into this flow yet.

Every device says what its cells can hold (``analog``: a continuous conductance;
``bits_per_cell``: levels of one cell, ``2^bits``) and how they are programmed
(``neurobench.hardware.programming.ProgrammingParams``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from ...conversion.constraints import Analog, ChipConstraints, Digital, Hybrid
from ...hardware.crossbar import CrossbarParams
from ...hardware.endurance import PcmEndurance
from ...hardware.mesh import MeshParams
from ...hardware.multicore import CostModel
from ...hardware.programming import ProgrammingParams
from ...hardware.rram import RramReadParams
from ...neurons import NeuronParams
from ...schema import Params

__all__ = [
    "AnalogMacChip", "Chip", "Device", "GatedSynapseDevice", "PcmDevice", "RramDevice", "SpikingChip",
    "SyncPolicy", "default_chips", "device_cannot_hold",
]

SyncPolicy = Literal["barrier", "tick", "dependency"]


class PcmDevice(Params):
    """PCM cells: write endurance law, what a cell holds, programming costs."""

    kind: Literal["pcm"] = "pcm"
    endurance: PcmEndurance = Field(default_factory=PcmEndurance, description="write endurance law")
    analog: bool = Field(True, description="a cell holds a continuous conductance")
    bits_per_cell: int = Field(4, ge=1, le=16, description="levels one cell distinguishes, 2^bits")
    programming: ProgrammingParams = Field(default_factory=ProgrammingParams)


class RramDevice(Params):
    """RRAM cells: read-disturb law at a chip temperature, what a cell holds, programming costs."""

    kind: Literal["rram"] = "rram"
    read: RramReadParams = Field(default_factory=RramReadParams, description="read-disturb law")
    temperature: float = Field(300.0, gt=0, description="chip temperature in K")
    analog: bool = Field(False, description="a cell holds a continuous conductance")
    bits_per_cell: int = Field(4, ge=1, le=16, description="levels one cell distinguishes, 2^bits")
    programming: ProgrammingParams = Field(default_factory=lambda: ProgrammingParams(
        pulses_per_cell=5.0, pulse_ns=20.0, verify_ns=20.0, pulse_pj=5.0, verify_pj=0.5))


class GatedSynapseDevice(Params):
    """The gated-synapse device (pending: its model, ``neurobench.devices``, is not wired into this flow yet)."""

    kind: Literal["gated"] = "gated"
    analog: bool = Field(True, description="a cell holds a continuous conductance")
    bits_per_cell: int = Field(6, ge=1, le=16, description="levels one cell distinguishes, 2^bits")
    programming: ProgrammingParams = Field(default_factory=ProgrammingParams)


Device = Annotated[Union[PcmDevice, RramDevice, GatedSynapseDevice], Field(discriminator="kind")]
"""Field type of one synaptic device: the ``kind`` key selects the class."""

PENDING_DEVICES = {"gated": "the gated-synapse model (neurobench.devices) is not wired into this flow yet"}


class SpikingChip(Params):
    """A many-core crossbar chip running the converted SNN (module docstring)."""

    kind: Literal["spiking"] = "spiking"
    description: str = Field("", description="one line for the report")
    constraints: ChipConstraints = Field(default_factory=lambda: Analog(w_min=-8.0, w_max=8.0),
                                         description="weight constraint family of the conversion")
    neuron: NeuronParams = Field(default_factory=NeuronParams, description="neuron model and reset")
    noc: MeshParams = Field(default_factory=lambda: MeshParams(rows=3, cols=3),
                            description="mesh of cores (rows x cols: the core budget), spike cost proxies, variation")
    crossbar: CrossbarParams = Field(default_factory=lambda: CrossbarParams(n=32), description="one crossbar per core")
    cost: CostModel = Field(default_factory=CostModel, description="many-core timing and energy costs")
    sync: SyncPolicy = Field("dependency", description="synchronisation policy: barrier | tick | dependency")
    buffer_depth: int | None = Field(2, ge=2, description="input buffer depth of the dependency policy in steps "
                                                          "(null: unbounded)")
    device: Device = Field(default_factory=PcmDevice, description="synaptic device")

    @property
    def n_cores(self) -> int:
        """Cores of the chip, ``noc.rows * noc.cols``."""
        return self.noc.rows * self.noc.cols

    @property
    def pending(self) -> str | None:
        """Why the candidate cannot be computed on this branch yet (None: it can)."""
        return PENDING_DEVICES.get(self.device.kind)


class AnalogMacChip(Params):
    """A BrainScaleS-2-like analog MAC array running the ANN directly (pending, module docstring)."""

    kind: Literal["analog_mac"] = "analog_mac"
    description: str = Field("", description="one line for the report")
    weight_bits: int = Field(6, ge=1, le=16, description="signed synapse weight resolution in bits")
    rows: int = Field(256, ge=1, description="synapse rows (inputs) of the array")
    cols: int = Field(512, ge=1, description="neuron columns (outputs) of the array")

    @property
    def pending(self) -> str | None:
        return "the analog MAC model (neurobench.analog) is not wired into this flow yet"


Chip = Annotated[Union[SpikingChip, AnalogMacChip], Field(discriminator="kind")]
"""Field type of one chip candidate: the ``kind`` key selects the class."""


def device_cannot_hold(constraints, device) -> str | None:
    """Why ``device`` cannot hold weights of the constraint family ``constraints`` (None: it can).

    Analog weights need an analog cell; ``b``-bit digital weights need ``bits_per_cell >= b``;
    hybrid weights are counts of identical synapses (any cell holds them).
    """
    if isinstance(constraints, Analog) and not device.analog:
        return f"analog weights need an analog cell, but the {device.kind} device is digital (analog: false)"
    if isinstance(constraints, Digital) and constraints.bits > device.bits_per_cell:
        return (f"{constraints.bits}-bit digital weights need {constraints.bits} bits per cell, the {device.kind} "
                f"device holds {device.bits_per_cell}")
    if isinstance(constraints, Hybrid):
        return None
    return None


def default_chips() -> dict[str, SpikingChip | AnalogMacChip]:
    """The shipped candidates (their values are also in ``params.yaml``)."""
    return {
        "pcm_analog": SpikingChip(
            description="analog PCM crossbars, 2x2 cores of 64x64, dependency-driven cores",
            constraints=Analog(w_min=-4.0, w_max=4.0), noc=MeshParams(rows=2, cols=2),
            crossbar=CrossbarParams(n=64), sync="dependency", device=PcmDevice()),
        "rram_digital4": SpikingChip(
            description="4-bit digital RRAM crossbars, 2x2 cores of 64x64, global barrier",
            constraints=Digital(bits=4, method="round"), noc=MeshParams(rows=2, cols=2),
            crossbar=CrossbarParams(n=64), sync="barrier", device=RramDevice()),
        "hybrid_pcm": SpikingChip(
            description="hybrid synapses (0-3 copies x 2 type weights) on 2-level PCM, 2x3 cores of 64x64, fixed tick",
            constraints=Hybrid(max_multiplicity=3, m_step="round", max_iter=4), noc=MeshParams(rows=2, cols=3),
            crossbar=CrossbarParams(n=64), sync="tick", device=PcmDevice(analog=False, bits_per_cell=1)),
        "brainscales2_mac": AnalogMacChip(description="BrainScaleS-2-like analog MAC running the ANN (pending)"),
    }
