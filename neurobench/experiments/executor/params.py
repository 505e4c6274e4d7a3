"""Schema of the ``executor`` section: :class:`neurobench.executor.ExecutorParams` itself."""

from __future__ import annotations

from ...executor import ExecutorParams

__all__ = ["ExecutorParams"]

SECTION_SCHEMA = ExecutorParams
"""The schema of the ``executor`` section (found by ``neurobench.config.SECTIONS``)."""
