"""A trained ANN as plain numpy arrays: the input of ANN-to-SNN conversion.

The layers are ``neurobench.network``'s own ``Dense``, ``Conv2d`` and ``AvgPool2d`` (here their
weights and biases are in ANN units), each followed by an activation: ``"relu"`` for hidden
layers, ``"linear"`` for the output layer. The converter keeps the layer structure and replaces
only the numbers, so the SNN it returns is a ``neurobench.network.Network`` of the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..network import AvgPool2d, Conv2d, Dense, Layer, Network, checked_shape

Activation = Literal["relu", "linear"]
Task = Literal["classification", "regression"]


@dataclass(frozen=True, eq=False)
class Ann:
    """A feed-forward ANN: ``layers[i]`` followed by ``activations[i]``."""

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    activations: tuple[Activation, ...]
    task: Task = "classification"
    name: str = "ann"

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_shape", checked_shape("Ann input_shape", self.input_shape))
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "activations", tuple(self.activations))
        if len(self.activations) != len(self.layers):
            raise ValueError(f"Ann has {len(self.layers)} layers but {len(self.activations)} activations")
        for i, act in enumerate(self.activations):
            if act not in ("relu", "linear"):
                raise ValueError(f"Ann activation {i} must be 'relu' or 'linear', got {act!r}")
        self.shapes  # the shapes must chain

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """Shapes of the input and of every layer's output."""
        return Network(self.input_shape, self.layers).shapes

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Activations of every layer for inputs ``x`` (n, *input_shape), each (n, n_out) flattened."""
        x = np.asarray(x, dtype=np.float64)
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"Ann input must have shape (n, {self.input_shape}), got {x.shape}")
        net = Network(self.input_shape, self.layers)
        out, h = [], x.reshape(len(x), -1)
        for i, act in enumerate(self.activations):
            pre = np.asarray(net.weight_matrix(i) @ h.T).T + net.bias(i)
            h = np.maximum(pre, 0.0) if act == "relu" else pre
            out.append(h)
        return out

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Class decisions (argmax of the output) or regression outputs."""
        y = self.forward(x)[-1]
        return y.argmax(axis=1) if self.task == "classification" else y[:, 0]


__all__ = ["Activation", "Ann", "AvgPool2d", "Conv2d", "Dense", "Task"]
