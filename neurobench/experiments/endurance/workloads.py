"""Workloads of the endurance stage: the workbench's own networks with simulated activity.

Every workload that comes from a network of this workbench gets its spike counts from
``neurobench.sim`` (clock-driven simulator) on the embedded scikit-learn digits test images
(8 x 8 px, the conversion stage's split: 20 % test, split seed 0), per inference (mean over
``samples`` images):

* the **LP-converted networks** the conversion stage saves under ``<conversion.models_dir>/snn``
  (``<network>__<family>.npz``: the LP converter's networks; the ``__baseline`` and ``prune__``
  files are left out), regular rate code at ``max_rate`` Hz;
* the **async-trained networks** saved as ``Network`` files under the async folder (every
  ``.npz`` found there, searched recursively), regular rate code;
* the simulator stage's **random conv network** (built in code, seeded), Poisson inputs.

A folder that does not exist (a notebook opened before the models are built) is skipped with a
note that the report shows; a network whose input does not take 8 x 8 digits (e.g. the
regression network's 10 features) is skipped with a note too. Nothing here raises for a missing
model.

The generated shapes of ``neurobench.mapping.workloads`` carry synthetic spike counts: they are
kept only where the paper's workload has no network here (``REPLACED_BY``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...data import encoders
from ...data import load_dataset, train_test_split
from ...hardware.workload import Workload
from ...mapping.workloads import workload_from_network
from ...network import Conv2d, Network, RandomNetworkParams
from ...neurons import NeuronParams
from ...serialize import load_network
from ...sim import simulate, static
from ..common import random_test_network

__all__ = ["REPLACED_BY", "SimulatedSet", "digits_images", "input_images", "kind_of", "network_workloads",
           "random_cnn_workload", "saved_networks"]

DIGITS_SPLIT = (0.2, 0)
"""(test fraction, split seed) of the digits images: the conversion stage's default split."""

REPLACED_BY = {"digit_mlp": "mlp", "lenet": "cnn"}
"""Generated (synthetic) workload -> kind of workbench network that stands for the paper's
workload (DigitRecogMLP, LeNet); the generated one is dropped when such a network is mapped."""


@dataclass
class SimulatedSet:
    """Workloads with simulated activity and the notes on what was skipped and why."""

    workloads: list[Workload] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    """Kinds ("mlp", "cnn") of the networks mapped (see ``REPLACED_BY``)."""

    def extend(self, other: "SimulatedSet") -> None:
        """Append ``other``'s workloads, notes and kinds."""
        self.workloads += other.workloads
        self.notes += other.notes
        self.kinds |= other.kinds


def digits_images(samples: int) -> np.ndarray:
    """The first ``samples`` digits test images, (samples, 1, 8, 8) in [0, 1] (``DIGITS_SPLIT``)."""
    ds = load_dataset("digits")
    _, test = train_test_split(ds, *DIGITS_SPLIT)
    x = np.asarray(ds.x[test], dtype=np.float64)[:samples]
    return x.reshape(len(x), 1, 8, 8)


def input_images(network: Network, images: np.ndarray) -> np.ndarray | None:
    """``images`` (batch, 1, 8, 8) shaped for ``network``'s input: flattened or as they are when it
    takes 64 values, repeated over channels when it takes ``k x 64`` values (e.g. two event
    polarities), None when it takes neither."""
    n_in = int(np.prod(network.input_shape))
    pixels = images.reshape(len(images), -1)
    if n_in % pixels.shape[1]:
        return None
    reps = n_in // pixels.shape[1]
    return np.tile(pixels, (1, reps)).reshape(len(images), *network.input_shape)


def kind_of(network: Network) -> str:
    """"cnn" when the network has a convolution, else "mlp"."""
    return "cnn" if any(isinstance(layer, Conv2d) for layer in network.layers) else "mlp"


def saved_networks(folder: str | Path, lp_only: bool) -> tuple[list[tuple[str, Network]], list[str]]:
    """The ``(name, Network)`` pairs saved in ``folder`` (sorted by name) and notes on what was
    skipped. ``lp_only``: only ``<network>__<family>.npz`` (the LP converter's files of the
    conversion stage); otherwise every ``.npz`` under ``folder``. A missing folder gives no
    networks and one note; an unreadable file is skipped with a note."""
    folder = Path(folder)
    if not folder.is_dir():
        return [], [f"{folder}: folder not found, its networks are not mapped (build them first: "
                    "`dvc repro` runs the stage that saves them)"]
    paths = sorted(folder.rglob("*.npz"))
    if lp_only:
        paths = [p for p in paths if p.stem.count("__") == 1 and not p.stem.startswith("prune__")]
    out, notes = [], []
    for path in paths:
        try:
            out.append((path.relative_to(folder).with_suffix("").as_posix().replace("/", "__"), load_network(path)))
        except ValueError as err:
            notes.append(f"{path}: not a saved network ({err}); skipped")
    if not paths:
        notes.append(f"{folder}: no saved networks found")
    return out, notes


def network_workloads(folder: str | Path, prefix: str, origin: str, lp_only: bool, images: np.ndarray,
                      n_steps: int, dt: float, max_rate: float) -> SimulatedSet:
    """Workloads ``<prefix>_<name>`` of the networks saved in ``folder`` with spike counts
    simulated on ``images`` (regular rate code, ``n_steps`` steps of ``dt`` ms, ``max_rate`` Hz
    for a pixel of value 1); ``origin`` names where they come from in their topology."""
    networks, notes = saved_networks(folder, lp_only)
    out = SimulatedSet(notes=notes)
    for name, net in networks:
        x = input_images(net, images)
        if x is None:
            out.notes.append(f"{prefix}_{name}: input shape {tuple(net.input_shape)} does not take 8 x 8 digits; skipped")
            continue
        record = static.run(net, x, n_steps=n_steps, dt=dt, max_rate=max_rate)
        kind = kind_of(net)
        out.kinds.add(kind)
        out.workloads.append(workload_from_network(net, record, name=f"{prefix}_{name}",
                                                   topology=f"{origin} {kind.upper()}"))
    return out


def random_cnn_workload(images: np.ndarray, n_steps: int, dt: float, max_rate: float, seed: int) -> Workload:
    """The simulator stage's random conv network (conv 4@3x3 -> avg-pool 2 -> dense 10, He weights
    x 1.5, LIF, weights seeded by ``seed``) on Poisson-coded ``images`` (seed spawned from ``seed``)."""
    from ...seeds import child_seed

    net = random_test_network(images.shape[1:], NeuronParams(model="lif"), RandomNetworkParams(weight_seed=seed))
    record = simulate(net, encoders.poisson(images, n_steps, dt, max_rate, child_seed(seed, 0)), dt)
    return workload_from_network(net, record, name="snn_random_cnn", topology="random conv-pool-dense (simulated)")
