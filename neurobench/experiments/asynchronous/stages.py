"""The study's computations: training every model, evaluating every execution, stopping early.

* ``train_models``: the layer-synchronized snnTorch baseline and one unlayered-backprop model per
  training strategy (``model_names``), same architecture, seed and epochs (``train_model``: one
  of them; ``train_study``: for every task);
* ``evaluate_grid``: every model under layer-synchronized execution and under every scheduling
  strategy and ``F`` (event-driven path), one row of per-sample means each, plus per-sample
  latencies for distributions (``evaluate_study``: for every task);
* ``early_stopping``: accuracy against forward steps (budgets on the drained run, and the
  stopping modes ``first_output`` / ``after_output`` run for real; ``early_stopping_study``);
* ``replicate_section`` / ``run_replicates``: the study ``n_seeds`` times, replicate ``r`` with
  every seed field replaced by ``child_seed(seed, r)``, one executor task per trained model
  (``training_task``) and per evaluated task (``evaluation_task``);
* ``clock_crosscheck``: the layer-synchronized run of the trained models against the clock
  simulator under the matching convention (``neurobench.sim.layersync.clock_agreement``);
* ``neurobench_rows``: the NeuroBench-style table's rows from the grid already evaluated;
* ``save_models``: the trained networks as ``<models_dir>/<task>/<model>.npz``.

Units: frame lengths in ms; steps are forward steps; spikes and synaptic events are counts per
sample.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ... import metrics
from ...executor import ExecutorParams, Session, session_of
from ...metrics import table
from ...network import Dense, Network
from ...neurons import NeuronParams
from ...sim.asynchronous import AsyncConfig, simulate_async
from ...schema import replace as replace_params
from ...seeds import child_seed
from ...serialize import save_network
from ...sim.layersync import clock_agreement, simulate_layersync
from ...training import TrainConfig, TrainResult, train_async, train_sync
from .params import AsyncSection
from .tasks import SHORT_NAMES, StudyData, load_study_data

__all__ = [
    "LAYER_SYNC",
    "STOP_METRICS",
    "clock_crosscheck",
    "early_stopping",
    "early_stopping_study",
    "evaluate_grid",
    "evaluate_study",
    "evaluate_task",
    "evaluation_task",
    "grid_mean",
    "latency_forward_group",
    "model_names",
    "neurobench_rows",
    "replicate_section",
    "run_replicate",
    "run_replicates",
    "save_models",
    "summarize",
    "train_model",
    "train_models",
    "train_study",
    "train_task_model",
    "training_task",
]

LAYER_SYNC = "layer-sync"
"""``execution`` of the rows run by the zero-delay layer-synchronized loop."""
STOP_METRICS = ("accuracy", "forward_steps", "spikes_per_sample")


def model_names(strategies) -> list[str]:
    """The models the study trains, in report order: ``"sync"`` then ``"async-<strategy>"`` for
    each training strategy."""
    return ["sync", *(f"async-{strategy}" for strategy in strategies)]


def train_model(x, y, neurons: NeuronParams, config: TrainConfig, frame_dt: float, train_forward_group: int,
                model: str, prioritize_input: bool = True, n_classes: int = 10) -> TrainResult:
    """One model of ``model_names`` trained on frames ``x`` of ``frame_dt`` ms: ``"sync"`` the
    layer-synchronized snnTorch model (without the asynchronous-only regulariser, refractory
    dropout), ``"async-<strategy>"`` unlayered backprop under that strategy with groups of
    ``train_forward_group`` spikes."""
    if model == "sync":
        return train_sync(x, y, neurons, replace(config, refractory_dropout=0.0), frame_dt, n_classes)
    if not model.startswith("async-"):
        raise ValueError(f"model must be 'sync' or 'async-<strategy>', got {model!r}")
    cfg = AsyncConfig(forward_group=train_forward_group, prioritize_input=prioritize_input, frame_dt=frame_dt)
    return train_async(x, y, neurons, config, cfg, model.removeprefix("async-"), n_classes)


def train_models(x, y, neurons: NeuronParams, config: TrainConfig, frame_dt: float, train_forward_group: int,
                 strategies, prioritize_input: bool = True, n_classes: int = 10) -> dict[str, TrainResult]:
    """``{"sync": layer-synchronized snnTorch model, "async-<strategy>": unlayered backprop}``
    on frames ``x`` of ``frame_dt`` ms (``train_model`` for each of ``model_names``): every model
    shares architecture, seed, epochs and optimiser."""
    return {model: train_model(x, y, neurons, config, frame_dt, train_forward_group, model, prioritize_input,
                               n_classes)
            for model in model_names(strategies)}


def summarize(record, labels) -> dict[str, float]:
    """Per-sample means of one asynchronous (or layer-sync) run: accuracy, spikes, spike density
    (spikes per neuron), synaptic events, neuron updates (every neuron once per frame), forward
    steps, and forward steps / network spikes to the first (correct) output spike;
    ``no_output_spike`` is the fraction of samples without one.

    ``accuracy`` is our decoder's (``metrics.predict``: a silent sample is wrong, a tie goes to
    the first output spike), the one the papers' claims are read against;
    ``accuracy_neurobench`` is NeuroBench's ``ClassificationAccuracy`` (argmax of the output
    spike counts: a silent sample predicts class 0, a tie the lowest index), the one of the
    NeuroBench-style table."""
    labels = np.asarray(labels)
    lat = metrics.first_output_latency(record, labels)
    decided = ~np.isnan(lat["steps_to_output"])
    correct = ~np.isnan(lat["steps_to_correct"])
    return {
        "accuracy": metrics.classification_accuracy(metrics.predict(record), labels),
        "accuracy_neurobench": metrics.classification_accuracy(
            metrics.predict(record, convention="neurobench"), labels),
        "spikes_per_sample": float(record.spikes_per_sample().mean()),
        "spike_density": float(metrics.spikes_per_neuron(record).mean()),
        "synops_per_sample": float(record.synops.sum(axis=1).mean()),
        "neuron_updates_per_sample": float(record.n_neurons * record.forward_steps.shape[1]),
        "forward_steps": float(record.forward_steps.sum(axis=1).mean()),
        "steps_to_output": float(np.nanmean(lat["steps_to_output"])) if decided.any() else np.nan,
        "spikes_to_output": float(np.nanmean(lat["spikes_to_output"])) if decided.any() else np.nan,
        "steps_to_correct": float(np.nanmean(lat["steps_to_correct"])) if correct.any() else np.nan,
        "spikes_to_correct": float(np.nanmean(lat["spikes_to_correct"])) if correct.any() else np.nan,
        "no_output_spike": float(np.mean(~decided)),
    }


def evaluate_grid(models: dict[str, Network], x, y, strategies, forward_groups, frame_dt: float,
                  prioritize_input: bool = True, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every model layer-synchronized and under every strategy x F (drained runs).

    Returns (summary rows: model, execution, F, metrics of ``summarize``; per-sample latencies:
    model, execution, F, sample, spikes_to_output, spikes_to_correct, steps_to_correct).
    """
    rows, per_sample = [], []
    y = np.asarray(y)

    def add(name, execution, F, rec):
        rows.append({"model": name, "execution": execution, "F": F, **summarize(rec, y)})
        lat = metrics.first_output_latency(rec, y)
        per_sample.append(pd.DataFrame({"model": name, "execution": execution, "F": F, "sample": np.arange(len(y)),
                                        **{k: lat[k] for k in ("spikes_to_output", "spikes_to_correct", "steps_to_correct")}}))

    for name, net in models.items():
        add(name, LAYER_SYNC, 0, simulate_layersync(net, x, frame_dt))
        for strategy in strategies:
            for F in forward_groups:
                cfg = AsyncConfig(forward_group=int(F), prioritize_input=prioritize_input, frame_dt=frame_dt)
                add(name, strategy, int(F), simulate_async(net, x, cfg, strategy, seed=seed))
    return pd.DataFrame(rows), pd.concat(per_sample, ignore_index=True)


def early_stopping(models: dict[str, Network], x, y, strategy: str, forward_group: int, frame_dt: float,
                   budgets, ks=(0, 5, 20), prioritize_input: bool = True, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy against forward steps.

    Returns (curve: model, budget, accuracy, decoding only output spikes up to each global step
    budget of the drained run; stops: model, stop, k, accuracy, forward_steps, spikes_per_sample
    for the drained run and the stopping modes run for real).
    """
    y = np.asarray(y)
    curve, stops = [], []
    for name, net in models.items():
        base = AsyncConfig(forward_group=forward_group, prioritize_input=prioritize_input, frame_dt=frame_dt)
        rec = simulate_async(net, x, base, strategy, seed=seed)
        for b, acc in zip(budgets, metrics.accuracy_vs_steps(rec, y, budgets)):
            curve.append({"model": name, "budget": int(b), "accuracy": acc})
        s = summarize(rec, y)
        stops.append({"model": name, "stop": "drain", "k": -1, **{m: s[m] for m in STOP_METRICS}})
        for k in ks:
            mode = "first_output" if k == 0 else "after_output"
            r = simulate_async(net, x, replace(base, stop=mode, steps_after_output=int(k)), strategy, seed=seed)
            s = summarize(r, y)
            stops.append({"model": name, "stop": mode, "k": int(k), **{m: s[m] for m in STOP_METRICS}})
    return pd.DataFrame(curve), pd.DataFrame(stops)


# --------------------------------------------------------------------------------------------
# the whole study, every task (what notebooks/async.ipynb runs)
# --------------------------------------------------------------------------------------------


def train_study(data: StudyData, cfg: AsyncSection) -> tuple[dict[str, dict[str, Network]], pd.DataFrame, dict]:
    """``train_models`` on the training split of every task.

    Returns (models: task -> model name -> ``Network``; histories: task, model, epoch, train
    accuracy, loss; timings: wall seconds ``train_s[task]`` and ``samples_per_s[task][model]``,
    not reproducible).
    """
    trained, seconds = {}, {}
    for name in data.tasks:
        for model in model_names(cfg.training.strategies):
            t0 = time.perf_counter()
            trained[name, model] = train_task_model(data, cfg, name, model)
            seconds[name, model] = time.perf_counter() - t0
    return _collect_training(data, cfg, trained, seconds)


def train_task_model(data: StudyData, cfg: AsyncSection, task: str, model: str) -> TrainResult:
    """``train_model`` of ``model`` on the training split of ``task`` as ``cfg`` says."""
    tc = cfg.training
    x, dt = data.tasks[task]
    return train_model(x[data.train_idx], data.y[data.train_idx], cfg.neuron, tc.train_config(), dt,
                       tc.forward_group, model, cfg.prioritize_input, data.n_classes)


def _collect_training(data: StudyData, cfg: AsyncSection, trained: dict[tuple[str, str], TrainResult],
                      seconds: dict[tuple[str, str], float]) -> tuple[dict[str, dict[str, Network]], pd.DataFrame, dict]:
    """``train_study``'s returns from the results ``trained[task, model]`` and their wall
    seconds, in task and ``model_names`` order whatever order they were computed in."""
    models, histories, timings = {}, [], {}
    names = model_names(cfg.training.strategies)
    for name in data.tasks:
        timings[f"train_s[{name}]"] = sum(seconds[name, k] for k in names)
        models[name] = {k: trained[name, k].network for k in names}
        for k in names:
            r = trained[name, k]
            timings[f"samples_per_s[{name}][{k}]"] = r.samples_per_s
            histories += [{"task": name, "model": k, "epoch": e + 1, "train accuracy": a, "loss": loss}
                          for e, (a, loss) in enumerate(zip(r.train_accuracy, r.loss))]
    return models, pd.DataFrame(histories), timings


def evaluate_study(data: StudyData, models: dict[str, dict[str, Network]],
                   cfg: AsyncSection) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``evaluate_grid`` on the test split of every task.

    Returns (grid and per-sample latencies, each with a ``task`` column; timings
    ``evaluate_s[task]`` in wall seconds).
    """
    parts = [evaluate_task(data, models[name], cfg, name) for name in data.tasks]
    return _collect_evaluation(list(data.tasks), parts)


def evaluate_task(data: StudyData, models: dict[str, Network], cfg: AsyncSection, task: str
                  ) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """``evaluate_grid`` of ``task``'s models on its test split: (grid, per-sample latencies,
    wall seconds)."""
    t0 = time.perf_counter()
    x, dt = data.tasks[task]
    grid, lat = evaluate_grid(models, x[data.test_idx], data.y[data.test_idx], cfg.strategies, cfg.forward_groups,
                              dt, cfg.prioritize_input, cfg.schedule_seed)
    return grid, lat, time.perf_counter() - t0


def _collect_evaluation(tasks: list[str], parts: list[tuple[pd.DataFrame, pd.DataFrame, float]]
                        ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``evaluate_study``'s returns from ``evaluate_task``'s of ``tasks``, in that order."""
    grids = [grid.assign(task=name) for name, (grid, _, _) in zip(tasks, parts)]
    latencies = [lat.assign(task=name) for name, (_, lat, _) in zip(tasks, parts)]
    timings = {f"evaluate_s[{name}]": seconds for name, (_, _, seconds) in zip(tasks, parts)}
    return pd.concat(grids, ignore_index=True), pd.concat(latencies, ignore_index=True), timings


def latency_forward_group(cfg: AsyncSection) -> int:
    """F of the latency and early-stopping figures: ``latency_forward_group`` if it is one of
    the evaluated ``forward_groups``, else the first of them."""
    return cfg.latency_forward_group if cfg.latency_forward_group in cfg.forward_groups else cfg.forward_groups[0]


def early_stopping_study(data: StudyData, models: dict[str, dict[str, Network]], grid: pd.DataFrame,
                         cfg: AsyncSection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``early_stopping`` on the test split of every task with the first strategy and the F of
    ``latency_forward_group``; budgets: 25 forward-step counts from 0 to one past the most
    forward steps a drained run of the grid took at that F.

    Returns (curve, stop table), each with a ``task`` column.
    """
    F = latency_forward_group(cfg)
    curves, stops = [], []
    y = data.y[data.test_idx]
    for name, (x, dt) in data.tasks.items():
        max_steps = int(grid[(grid.task == name) & (grid.F == F)].forward_steps.max()) + 1
        budgets = np.unique(np.linspace(0, max_steps, 25).astype(int))
        c, s = early_stopping(models[name], x[data.test_idx], y, cfg.strategies[0], F, dt, budgets,
                              cfg.steps_after_output, cfg.prioritize_input, cfg.schedule_seed)
        curves.append(c.assign(task=name))
        stops.append(s.assign(task=name))
    return pd.concat(curves, ignore_index=True), pd.concat(stops, ignore_index=True)


# --------------------------------------------------------------------------------------------
# replicates, the clock-simulator cross-check, saved models
# --------------------------------------------------------------------------------------------


def replicate_section(cfg: AsyncSection, r: int) -> AsyncSection:
    """``cfg`` for replicate ``r``: every seed field (``split_seed``, ``saccade_seed``,
    ``schedule_seed``, ``training.seed``) replaced by ``child_seed(seed, r)``."""
    training = replace_params(cfg.training, seed=child_seed(cfg.training.seed, r))
    return replace_params(cfg, split_seed=child_seed(cfg.split_seed, r), saccade_seed=child_seed(cfg.saccade_seed, r),
                          schedule_seed=child_seed(cfg.schedule_seed, r), training=training)


def run_replicate(task: tuple[AsyncSection, int]):
    """Replicate ``r`` of the study (the task ``(cfg, r)``, ``replicate_section``) in this
    process: its data, trained models, training history, evaluation grid, latencies and timings
    (wall seconds). ``run_replicates`` computes the same, split into finer tasks."""
    cfg, r = task
    rcfg = replicate_section(cfg, r)
    data = load_study_data(rcfg)
    models, hist, t_train = train_study(data, rcfg)
    grid, lat, t_eval = evaluate_study(data, models, rcfg)
    return data, models, hist, grid, lat, {**t_train, **t_eval}


def training_task(task: tuple[AsyncSection, int, str, str]) -> tuple[TrainResult, float]:
    """One model of one task of replicate ``r`` trained (the executor's task ``(cfg, r, task,
    model)``): its ``TrainResult`` and wall seconds. Pure (``neurobench.executor``'s contract):
    every seed is derived from ``(cfg, r)``."""
    cfg, r, name, model = task
    rcfg = replicate_section(cfg, r)
    t0 = time.perf_counter()
    result = train_task_model(load_study_data(rcfg), rcfg, name, model)
    return result, time.perf_counter() - t0


def evaluation_task(task: tuple[AsyncSection, int, str, dict[str, Network]]):
    """``evaluate_task`` of replicate ``r``'s trained ``models`` of one task (the executor's
    task ``(cfg, r, task, models)``). Pure: every seed is derived from ``(cfg, r)``."""
    cfg, r, name, models = task
    rcfg = replicate_section(cfg, r)
    return evaluate_task(load_study_data(rcfg), models, rcfg, name)


def run_replicates(cfg: AsyncSection, executor: ExecutorParams | Session = ExecutorParams()):
    """Train and evaluate the study ``cfg.n_seeds`` times, run where ``executor`` says (the
    results are identical for every executor, and to :func:`run_replicate`'s).

    Two maps of finer tasks than a replicate, so that 3 replicates keep 2 workers busy: every
    (replicate, task, model) training (:func:`training_task`; the unlayered-backprop models,
    the longest, first), then every (replicate, task) evaluation (:func:`evaluation_task`).

    Returns (replicates: list of (StudyData, models) per replicate; histories and grid with a
    ``replicate`` column; latencies of every replicate with a ``replicate`` column; timings in
    wall seconds, keys suffixed ``[r<replicate>]``, not reproducible).
    """
    data = [load_study_data(replicate_section(cfg, r)) for r in range(cfg.n_seeds)]
    names = model_names(cfg.training.strategies)
    jobs = [(r, name, model) for model in names[1:] + names[:1] for r in range(cfg.n_seeds)
            for name in data[r].tasks]
    with session_of(executor) as session:
        results = dict(zip(jobs, session.map(training_task, [(cfg, *job) for job in jobs], "async: training")))
        trained = []  # per replicate: models, histories, timings
        for r in range(cfg.n_seeds):
            keys = [(name, model) for name in data[r].tasks for model in names]
            trained.append(_collect_training(data[r], replicate_section(cfg, r),
                                             {key: results[r, *key][0] for key in keys},
                                             {key: results[r, *key][1] for key in keys}))
        evals = [(r, name) for r in range(cfg.n_seeds) for name in data[r].tasks]
        parts = dict(zip(evals, session.map(evaluation_task, [(cfg, r, name, trained[r][0][name]) for r, name in evals],
                                            "async: evaluation")))
    replicates, histories, grids, latencies, timings = [], [], [], [], {}
    for r, (models, hist, t_train) in enumerate(trained):
        grid, lat, t_eval = _collect_evaluation(list(data[r].tasks), [parts[r, name] for name in data[r].tasks])
        replicates.append((data[r], models))
        histories.append(hist.assign(replicate=r))
        grids.append(grid.assign(replicate=r))
        latencies.append(lat.assign(replicate=r))
        timings.update({f"{k}[r{r}]": v for k, v in {**t_train, **t_eval}.items()})
    return (replicates, pd.concat(histories, ignore_index=True), pd.concat(grids, ignore_index=True),
            pd.concat(latencies, ignore_index=True), timings)


def clock_crosscheck(data: StudyData, models: dict[str, dict[str, Network]], n_samples: int) -> pd.DataFrame:
    """``neurobench.sim.layersync.clock_agreement`` of every trained model on the first
    ``n_samples`` test samples of its task: one row per task and model with ``spikes``,
    ``mismatches``, ``agreement``, ``prediction_agreement`` and ``naive_count_agreement``."""
    rows = []
    idx = data.test_idx[:n_samples]
    for name, (x, dt) in data.tasks.items():
        for model, net in models[name].items():
            rows.append({"task": name, "model": model, **clock_agreement(net, x[idx], dt)})
    return pd.DataFrame(rows)


def save_models(models: dict[str, dict[str, Network]], folder: str | Path) -> list[Path]:
    """Write every trained network with ``neurobench.serialize.save_network`` to
    ``<folder>/<task>/<model>.npz`` (task: ``saccade`` or ``rows``; model: ``sync``,
    ``async-random``, ...); returns the paths written."""
    paths = []
    for name, nets in models.items():
        for model, net in nets.items():
            path = Path(folder) / SHORT_NAMES[name] / f"{model}.npz"
            path.parent.mkdir(parents=True, exist_ok=True)
            paths.append(save_network(path, net))
    return paths


def grid_mean(grid: pd.DataFrame) -> pd.DataFrame:
    """The grid averaged over replicates: one row per task, model, execution and F with the mean
    of every metric and ``accuracy_std`` (sample std over replicates, 0 for one replicate)."""
    keys = [k for k in ("task", "model", "execution", "F") if k in grid]
    values = [c for c in grid.columns if c not in keys and c != "replicate"]
    groups = grid.groupby(keys, sort=False, as_index=False)
    mean = groups[values].mean()
    std = groups["accuracy"].std(ddof=1)["accuracy"].fillna(0.0)
    return mean.assign(accuracy_std=std.to_numpy())


def neurobench_rows(replicates, grid: pd.DataFrame, cfg: AsyncSection) -> dict[str, list[dict]]:
    """Rows of the NeuroBench-style table (``neurobench.metrics.table``) for every task and
    trained model, from the networks and the ``grid`` that ``run_replicates`` already computed
    (nothing is simulated again), one row per replicate:

    * ``<short task>/<model>/layer-sync``: the zero-delay layer-synchronized loop, frames as the time
      steps (a clock SNN in snnTorch's own time): ``ActivationSparsity = 1 - spikes per neuron /
      frames`` (one spike per neuron and frame at most), ``Effective_ACs`` the delivered
      synaptic events, ``Dense = frames * synapses`` (dense layers);
    * ``<short task>/<model>/<strategy>-F<F>``: the event-driven run of the first strategy at the F of
      ``latency_forward_group``, an ``async SNN`` row (``ActivationSparsity`` and ``Dense`` NaN).

    ``ClassificationAccuracy`` is the grid's ``accuracy_neurobench`` (NeuroBench's argmax of the
    output spike counts, ``summarize``), not the decoder accuracy the claims use; the note says so.
    """
    F, strategy = latency_forward_group(cfg), cfg.strategies[0]
    acc_note = table.ARGMAX_NOTE
    rows: dict[str, list[dict]] = {}
    for r, (data, models) in enumerate(replicates):
        for task, (x, _) in data.tasks.items():
            n_frames = int(x.shape[1])
            for model, net in models[task].items():
                if not all(isinstance(layer, Dense) for layer in net.layers):
                    raise ValueError(f"neurobench_rows expects dense networks; {task}/{model} has "
                                     f"{[type(layer).__name__ for layer in net.layers]}")
                static = table.static_metrics(net)
                g = grid[(grid.replicate == r) & (grid.task == task) & (grid.model == model)]
                sync = g[g.execution == LAYER_SYNC].iloc[0]
                synapses = sum(int(layer.weight.size) for layer in net.layers)
                rows.setdefault(f"{SHORT_NAMES[task]}/{model}/{LAYER_SYNC}", []).append(table.row(
                    "clock SNN", static, 1.0 - sync.spike_density / n_frames, sync.synops_per_sample, 0.0,
                    float(n_frames * synapses), sync.accuracy_neurobench,
                    f"layer-synchronized loop: frames are the time steps; {acc_note}"))
                ev = g[(g.execution == strategy) & (g.F == F)].iloc[0]
                rows.setdefault(f"{SHORT_NAMES[task]}/{model}/{strategy}-F{F}", []).append(table.row(
                    "async SNN", static, float("nan"), ev.synops_per_sample, 0.0, float("nan"), ev.accuracy_neurobench,
                    f"event-driven run: no time steps, so ActivationSparsity and Dense are undefined; {acc_note}"))
    return rows
