"""The one base of every parameter object: validated where it is defined, frozen once built.

Every parameter set of the workbench, from one neuron's constants to a whole ``params.yaml``
section, is a subclass of :class:`Params` defined next to the code it configures (for example
``neurobench.neurons.NeuronParams`` beside the neuron equations, ``ConversionSection`` beside
the conversion experiment). Each field states its type, its allowed range and its unit in one
place::

    class NeuronParams(Params):
        v_th: float = Field(1.0, gt=0, description="firing threshold in mV")

Rules that tie fields together are ``model_validator(mode="after")`` methods of the same class.

Inside the package, objects are built as usual (``NeuronParams(v_th=2.0)``), in pydantic's lax
mode, so numpy scalars are accepted. At the ``params.yaml`` boundary ``neurobench.config``
validates in strict mode: a YAML string ``'100'`` or ``1e12`` (PyYAML reads it as a string) is
not silently taken for a number. ``replace`` is the validated counterpart of
``dataclasses.replace``.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AtLeastOne", "Folder", "FolderPath", "NonNegative", "NonNegativeInt", "Params", "Positive", "replace", "to_dict"]

P = TypeVar("P", bound="Params")


class FolderPath:
    """Marks a ``str`` parameter as a folder path, relative to the repository root when not
    absolute (``neurobench.config.notebook_section`` resolves it for notebooks opened by hand)."""


Folder = Annotated[str, FolderPath()]
"""The type of a folder-path parameter: ``root: Folder = Field("data/raw", description=...)``."""

AtLeastOne = Annotated[int, Field(ge=1)]
"""An integer >= 1 (a width, a count of steps, a group size), as the element type of a list
parameter: ``sizes: list[AtLeastOne]``; a bad element is reported with its index
(``conversion.pruning.sizes.2 = 0 is not allowed: ...``)."""

NonNegativeInt = Annotated[int, Field(ge=0)]
"""An integer >= 0, as the element type of a list parameter (see :data:`AtLeastOne`)."""

NonNegative = Annotated[float, Field(ge=0)]
"""A float >= 0 (a cost, a drive), as the element type of a list parameter (see :data:`AtLeastOne`)."""

Positive = Annotated[float, Field(gt=0)]
"""A float > 0 (a temperature in K, a factor), as the element type of a list parameter."""


class Params(BaseModel):
    """Base of every parameter object: unknown keys forbidden, NaN/inf rejected, frozen.

    A field that may legitimately be infinite says so itself (``Field(..., allow_inf_nan=True)``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True)


def replace(params: P, **changes: Any) -> P:
    """A copy of ``params`` with ``changes`` applied and validated again (unlike ``model_copy``)."""
    return type(params).model_validate({**dict(params), **changes})


def to_dict(params: Params) -> dict[str, Any]:
    """``params`` as plain nested Python values (dicts, lists, numbers, strings)."""
    return params.model_dump(mode="python")
