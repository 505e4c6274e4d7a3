"""A seed sweep: one training run of a stand-in ANN per replicate, fanned out through
``neurobench.executor``.

Replicate ``r`` of root seed ``train_seed`` trains with ``neurobench.seeds.child_seed(train_seed,
r)`` on the split seeded by ``data_seed`` (the study's convention): the seed comes from the
task's identity ``(train_seed, r)``, never from the worker or the order in which tasks run, and
``neurobench.ann.train.train`` is deterministic on CPU (one torch thread, deterministic
algorithms), so every executor kind gives bit-identical weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ann import Ann
from ..ann.train import DATA_OF_KIND, KINDS, evaluate, load_data, train
from ..executor import ExecutorParams, Session, map_tasks
from ..seeds import child_seed

__all__ = ["SeedResult", "SeedTask", "seed_sweep", "seed_tasks", "train_seed"]


@dataclass(frozen=True)
class SeedTask:
    """One training run: network ``kind`` trained with ``seed`` on the split of ``data_seed``,
    ``epochs`` epochs, ``hidden`` units (and ``channels`` for the cnn; None: the kind's default)."""

    kind: str
    replicate: int
    seed: int
    data_seed: int
    epochs: int
    hidden: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class SeedResult:
    """A trained replicate: its task, the exported ANN, its test score (accuracy, or R^2 for the
    regression) and the mean training loss per epoch."""

    task: SeedTask
    ann: Ann
    test_score: float
    loss: tuple[float, ...]


def train_seed(task: SeedTask) -> SeedResult:
    """Train one replicate (a pure task: everything it computes follows from ``task``)."""
    x_tr, y_tr, x_te, y_te = load_data(DATA_OF_KIND[task.kind], seed=task.data_seed)
    result = train(task.kind, x_tr, y_tr, seed=task.seed, epochs=task.epochs, hidden=task.hidden,
                   channels=task.channels)
    return SeedResult(task, result.ann, evaluate(result.ann, x_te, y_te), tuple(result.loss))


def seed_tasks(kind: str, n_seeds: int, train_seed_root: int = 0, data_seed: int = 0, epochs: int = 5,
               hidden: int | None = None, channels: int | None = None) -> list[SeedTask]:
    """The ``n_seeds`` tasks of a sweep; replicate ``r`` trains with ``child_seed(train_seed_root, r)``."""
    if kind not in KINDS:
        raise ValueError(f"kind = {kind!r} is not allowed: must be one of {list(KINDS)}")
    if n_seeds < 1:
        raise ValueError(f"n_seeds = {n_seeds} is not allowed: must be >= 1")
    if epochs < 0:
        raise ValueError(f"epochs = {epochs} is not allowed: must be >= 0")
    return [SeedTask(kind, r, child_seed(train_seed_root, r), data_seed, epochs, hidden, channels)
            for r in range(n_seeds)]


def seed_sweep(tasks: list[SeedTask], executor: ExecutorParams | Session = ExecutorParams()) -> list[SeedResult]:
    """Train every task as ``executor`` says (settings, or an open session); results in task order."""
    return map_tasks(train_seed, tasks, executor, desc="seed sweep: replicates")
