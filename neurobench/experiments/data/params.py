"""The ``data`` stage's params section: which data set, how it is split, encoded and shown."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from ...data import DATASETS, dataset_unavailable
from ...data.encoders import EncodingParams
from ...schema import Folder, Params


class DataSection(Params):
    """The ``data`` stage: which data set, how it is split, how it is encoded and shown.

    The data set must be registered and, since nothing is downloaded at run time, its files
    must be under ``root`` already: both are checked before any stage computes.
    """

    dataset: str = Field("digits", description="data set name")
    root: Folder = Field("data/raw", description="folder of downloaded data sets")
    test_fraction: float = Field(0.25, gt=0, lt=1, description="share of samples held out for testing")
    split_seed: int = Field(0, ge=0, description="seed of the stratified train/test split")
    n_examples: int = Field(8, ge=1, le=64, description="samples shown per figure")
    encoding: EncodingParams = Field(default_factory=EncodingParams)

    @field_validator("dataset")
    @classmethod
    def _dataset_is_registered(cls, name: str) -> str:
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
        return name

    @model_validator(mode="after")
    def _dataset_files_are_present(self) -> "DataSection":
        why = dataset_unavailable(self.dataset, self.root)
        if why is not None:
            raise ValueError(f"dataset {self.dataset!r} is not available offline: {why}")
        return self


SECTION_SCHEMA = DataSection
"""The schema of this stage's ``params.yaml`` section (found by ``neurobench.config.SECTIONS``)."""
