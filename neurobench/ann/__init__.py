"""Trained ANNs as numpy arrays (``Ann``) and their training in torch (``neurobench.ann.train``)."""

from .model import Activation, Ann, Task

__all__ = ["Activation", "Ann", "Task"]
