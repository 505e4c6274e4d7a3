"""Helpers shared by the experiment stages: geometric means, the random test network, and the
summaries of a per-replicate results table."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..network import Network, RandomNetworkParams, random_network
from ..neurons import NeuronParams

__all__ = ["accuracy_summary", "geometric_mean", "random_test_network", "replicate_means"]


def geometric_mean(values) -> float:
    """``exp(mean(log(values)))`` of positive values (an array, list or pandas Series)."""
    return float(np.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def random_test_network(input_shape: Sequence[int], neuron: NeuronParams,
                        network: RandomNetworkParams | None = None, n_classes: int = 10) -> Network:
    """The random-weight conv -> avg-pool -> dense network of ``network`` (default: the
    simulator stage's 4@3x3 conv, 2x2 pool, weight gain 1.5, seed 0) on ``input_shape`` inputs."""
    p = RandomNetworkParams() if network is None else network
    return random_network(tuple(input_shape), p.conv_channels, p.kernel_size, p.pool, n_classes, neuron,
                          seed=p.weight_seed, weight_gain=p.weight_gain)


def stage_command(section: str, description: str, run, argv: list[str] | None = None,
                  argument: tuple[str, str, Callable[[Any, str], None]] | None = None) -> int:
    """The ``main`` of a DVC stage command that is not a notebook (``python -m ... [ARG]
    [--params F] [--progress]``): validate section ``section`` and the ``executor`` section of
    the params file, then ``run(cfg, progress, executor)``; with ``argument`` (name, help,
    check), one positional argument more: ``check(cfg, value)`` raises ValueError for a value
    that is not allowed (before any compute), then ``run(cfg, progress, executor, value)``.

    Returns the exit status: 0, or 2 with one ``error: ...`` line naming the key when the params
    file is invalid (nothing is computed then).
    """
    import argparse
    import sys

    from .. import config

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--params", default=str(config.DEFAULT_PARAMS), help="params file (default: params.yaml)")
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    if argument is not None:
        parser.add_argument(argument[0], help=argument[1])
    args = parser.parse_args(argv)
    try:
        cfg = config.load_section(section, args.params)
        executor = config.load_section("executor", args.params)
    except config.ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    extra = []
    if argument is not None:
        value = getattr(args, argument[0])
        try:
            argument[2](cfg, value)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        extra = [value]
    run(cfg, args.progress, executor, *extra)
    return 0


def accuracy_summary(results: pd.DataFrame, prefixes: tuple[str, ...]) -> pd.DataFrame:
    """Every accuracy column of ``results`` (one row per replicate; columns starting with one of
    ``prefixes``, fractions) as mean (%) and sample std (pp) over replicates, one row per column."""
    cols = [c for c in results.columns if c.startswith(prefixes)]
    t = (100.0 * results[cols]).agg(["mean", "std"]).T.fillna(0.0)
    return t.rename(columns={"mean": "accuracy (%)", "std": "std (pp)"}).rename_axis("model")


def replicate_means(results: pd.DataFrame) -> dict[str, float]:
    """The means over replicates of every numeric column of ``results`` but ``replicate`` (the
    headline numbers of ``metrics.json``)."""
    means = results.drop(columns="replicate").mean(numeric_only=True)
    return {str(k): float(v) for k, v in means.items()}
