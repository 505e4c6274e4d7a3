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
  multiply-accumulate array running the ANN directly, no conversion: the noisy MAC of
  ``neurobench.analog`` (Weis et al. 2020: 5-bit inputs, 6-bit weights, int8 outputs, trial
  noise, fixed pattern per chip instance), ``cols`` neuron columns of ``mac.chunk_rows`` signed
  inputs each (an excitatory/inhibitory row pair per input), every layer's weights held at once
  in the synapses' SRAM; its timing, power and SRAM-write figures are :class:`MacCost`
  (``neurobench.experiments.deploy.mac``).

Devices (``device.kind``):

* :class:`PcmDevice`: PCM cells; write endurance from the programming current
  (``neurobench.hardware.endurance.PcmEndurance``), worn by every presynaptic spike (eSpine's
  activation ``pre``);
* :class:`RramDevice`: RRAM cells; read disturb (``neurobench.hardware.rram.RramReadParams``)
  at a chip ``temperature`` in K;
* :class:`GatedSynapseDevice`: the gated synapse of Jones & Jha 2020 (``neurobench.devices``,
  stage ``devices``): weights written by simulated program-and-verify pulses, retention from its
  volatile decay (``neurobench.experiments.deploy.gated``).

Every device says what its cells can hold (``analog``: a continuous conductance;
``bits_per_cell``: levels of one cell, ``2^bits``) and how they are programmed
(``neurobench.hardware.programming.ProgrammingParams``).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from ...analog.mac import MACParams
from ...conversion.constraints import Analog, ChipConstraints, Digital, Hybrid
from ...devices.gated_synapse import GatedSynapseParams
from ...devices.programming import ProgramParams
from ...hardware.crossbar import CrossbarParams
from ...hardware.endurance import PcmEndurance
from ...hardware.mesh import MeshParams
from ...hardware.multicore import CostModel
from ...hardware.programming import ProgrammingParams
from ...hardware.rram import RramReadParams
from ...neurons import NeuronParams
from ...schema import Params

__all__ = [
    "AnalogMacChip", "Chip", "Device", "GatedSynapseDevice", "MacCost", "PcmDevice", "RramDevice", "SpikingChip",
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


def _gated_synapse() -> GatedSynapseParams:
    return GatedSynapseParams(tau_decay=1.0e13)


class GatedSynapseDevice(Params):
    """The gated synapse (Jones & Jha 2020, reconstructed in ``neurobench.devices``): a signed weight
    level ``k`` in ``-K..K`` (``K = 2^bits_per_cell - 1``) on a differential pair of devices, written by
    ``write`` (program-and-verify pulses of the device model); read through its channel, so reads do
    not disturb the state; the state decays with ``synapse.tau_decay`` (retention). Energies [inferred]:
    the device model gives pulses and times, not energies."""

    kind: Literal["gated"] = "gated"
    synapse: GatedSynapseParams = Field(default_factory=_gated_synapse,
                                        description="device laws (tau_decay in ns: the retention, [inferred])")
    write: ProgramParams = Field(default_factory=ProgramParams, description="pulse scheme of the writes")
    verify: bool = Field(True, description="program-and-verify (true) or open-loop pulse counts (false)")
    pulse_pj: float = Field(1.0, ge=0, description="energy of one gate pulse in pJ [inferred]")
    read_pj: float = Field(0.1, ge=0, description="energy of one verify read in pJ [inferred]")
    analog: bool = Field(True, description="a cell holds a continuous conductance")
    bits_per_cell: int = Field(6, ge=1, le=16, description="levels one cell distinguishes, 2^bits (K = 2^bits - 1 "
                                                          "per sign)")


Device = Annotated[Union[PcmDevice, RramDevice, GatedSynapseDevice], Field(discriminator="kind")]
"""Field type of one synaptic device: the ``kind`` key selects the class."""

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


def _bss2_mac() -> MACParams:
    return MACParams(gain=0.0018, sigma_trial=1.6, sigma_fp_gain=0.05, sigma_fp_offset=1.0)


class MacCost(Params):
    """Time, power and weight-write figures of the analog MAC array."""

    pass_ns: float = Field(5000.0, gt=0, description="one integration pass of the array (one send of one layer) "
                                                     "in ns [inferred]")
    power_w: float = Field(0.7, gt=0, description="ASIC power while inferring in W: Stradmann et al. 2022 measured "
                                                  "192 uJ over 276 us per sample on BrainScaleS-2")
    write_gbit_s: float = Field(1.0, gt=0, description="weight upload bandwidth into the synapse SRAM in Gbit/s "
                                                       "[inferred]")
    write_pj_per_bit: float = Field(0.1, ge=0, description="SRAM write energy per bit in pJ [inferred]")


class AnalogMacChip(Params):
    """A BrainScaleS-2-like analog MAC array running the ANN directly (module docstring)."""

    kind: Literal["analog_mac"] = "analog_mac"
    description: str = Field("", description="one line for the report")
    mac: MACParams = Field(default_factory=_bss2_mac, description="the noisy MAC (neurobench.analog); chip_seed and "
                                                                  "noise_seed are roots, replicate r uses child_seed")
    cols: int = Field(512, ge=1, description="neuron columns of the array (one column per output and chunk)")
    shift: int = Field(2, ge=0, le=8, description="ReLU re-quantisation shift between layers: next input = "
                                                  "floor(y / 2^shift)")
    max_n_sends: int = Field(64, ge=1, le=1024, description="most repetitions of a layer's input")
    cost: MacCost = Field(default_factory=MacCost, description="time, power and weight-write figures")


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
        "gated_synapse": SpikingChip(
            description="analog gated-synapse crossbars, 2x2 cores of 64x64, dependency-driven cores",
            constraints=Analog(w_min=-4.0, w_max=4.0), noc=MeshParams(rows=2, cols=2),
            crossbar=CrossbarParams(n=64), sync="dependency", device=GatedSynapseDevice()),
        "brainscales2_mac": AnalogMacChip(description="BrainScaleS-2-like analog MAC running the ANN directly"),
    }
