"""snnTorch's surrogate spike functions, picklable: the one place models and trainers get them.

Forward a Heaviside step of ``x = v - v_th``; backward snnTorch's surrogate derivative (default
slopes, ``x`` in the potential's units):

* ``atan``: ``1 / (pi (1 + (pi alpha x / 2)^2))`` with ``alpha = 2``;
* ``fast_sigmoid``: ``1 / (1 + 25 |x|)^2``;
* ``sigmoid``: the derivative of ``sigmoid(25 x)``.

snnTorch builds its surrogates as closures, which cannot cross to a worker process
(``neurobench.executor`` returns trained models from its tasks): :class:`SpikeSurrogate` keeps
only the name and builds snnTorch's closure on first use, so the function computed is snnTorch's
own, to the bit.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["SURROGATES", "SpikeSurrogate", "Surrogate"]

Surrogate = Literal["atan", "fast_sigmoid", "sigmoid"]

SURROGATES: tuple[str, ...] = get_args(Surrogate)
"""Names of the surrogate gradients :class:`SpikeSurrogate` builds (snnTorch's, default slopes)."""


class SpikeSurrogate:
    """snnTorch's surrogate spike function ``name`` (``SURROGATES``, default slope), picklable
    (module docstring). Raises ``ValueError`` for an unknown name."""

    def __init__(self, name: str) -> None:
        if name not in SURROGATES:
            raise ValueError(f"surrogate must be one of {SURROGATES}, got {name!r}")
        self.name, self._fn = name, None

    def __call__(self, x):
        if self._fn is None:
            from snntorch import surrogate

            self._fn = getattr(surrogate, self.name)()
        return self._fn(x)

    def __repr__(self) -> str:
        return f"SpikeSurrogate({self.name!r})"

    def __getstate__(self) -> dict:
        return {"name": self.name}

    def __setstate__(self, state: dict) -> None:
        self.name, self._fn = state["name"], None
