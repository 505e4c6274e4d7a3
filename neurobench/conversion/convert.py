"""ANN-to-SNN conversion by per-layer least-error problems (after Mern et al., our reconstruction).

``Converter`` is configured up front and validated, like a scikit-learn estimator;
``fit(ann, calibration_x)`` returns a ``neurobench.network.Network`` that the clock simulator
and the Brian2 backend both run. Layer by layer:

1. the already converted layers are simulated on the calibration inputs (regular rate code,
   ``n_steps`` steps of ``dt`` ms), giving the SNN's *own* presynaptic rates, so that errors do
   not compound;
2. the ANN's activations of this layer become target drives through the clock simulator's
   discrete-time inverse rate function at ``dt`` (``neurobench.neurons.discrete_inverse_rate``,
   via ``neurobench.conversion.targets``); silent samples only bound the drive. The measured
   presynaptic spikes per step enter the drive through ``synaptic_gain`` (the simulator's own
   per-spike charge: delta or current-based synapses alike);
3. one problem per postsynaptic neuron (per output channel for a convolution, over sampled
   image positions) is solved under the chip constraints with HiGHS
   (``neurobench.conversion.solve``), where the ``executor`` says (``neurobench.executor``).

Average pooling is kept as a layer of pooling neurons; max pooling is rejected.

Node pruning (``prune={layer: k}``): when the layer after a pruned hidden ``Dense`` layer is
converted, ``neurobench.conversion.prune.select_neurons`` picks ``k`` of the hidden neurons from
their measured rates and the next layer's targets; the hidden layer loses the other neurons
(rows of its weights) and the next layer's synapses are solved from the survivors only.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from ..ann import Ann
from ..data.encoders import regular
from ..executor import ExecutorParams, Session, session_of
from ..network import AvgPool2d, Conv2d, Dense, Network
from ..neurons import NeuronParams, discrete_max_rate
from ..schema import replace
from ..seeds import child_seed
from ..sim import simulate
from ..units import max_rate_hz, rate_hz
from .constraints import Analog, Digital, digital_scale
from .layer import default_workers, solve_layer
from .normalize import normalize
from .prune import METHODS as PRUNE_METHODS
from .prune import Selection, check_selection_args, select_neurons
from .solve import check_penalty
from .targets import conv_patches, onset_drive, rate_targets, sample_positions, synaptic_gain


@dataclass
class LayerReport:
    """What the solver did for one layer."""

    index: int
    kind: str
    n_inputs: int
    n_neurons: int
    n_rows: int
    statuses: dict[str, int] = field(default_factory=dict)
    objective: float = 0.0
    solve_seconds: float = 0.0
    total_seconds: float = 0.0
    alpha: float = float("nan")
    offset: float = 0.0
    weight_step: float | None = None  # mV, the digital grid step of the layer
    mip_gap: float | None = None  # largest final relative MIP gap of the layer's MILPs (None: no MILP)


def _silence_dead(weights: np.ndarray, bias: np.ndarray, silent: np.ndarray, constraints):
    """Neurons silent on every calibration row get no synapses and no bias (when 0 is an allowed
    weight): any drive at or below onset solves their problem exactly, but the LP returns an
    arbitrary vertex (e.g. strong inhibition against a large bias) that fires while the inputs'
    currents build up at the start of a run."""
    dead = np.all(silent, axis=0)
    if isinstance(constraints, Analog):
        lo, hi = constraints.bounds
        if not lo <= 0 <= hi:
            return weights, bias
    if dead.any():
        weights, bias = weights.copy(), bias.copy()
        weights[dead] = 0.0
        bias[dead] = 0.0
    return weights, bias


class Converter:
    """Convert a trained ``Ann`` into a ``Network`` of spiking neurons.

    Parameters
    ----------
    objective : "l1", "linf" or "ls"
        Per-neuron error norm.
    constraints : constraint family from ``neurobench.conversion.constraints``
        Analog, Digital or Hybrid chip constraints (default: analog weights in [-8, 8] mV).
    neuron : NeuronParams
        SNN neuron model (default IF with reset by subtraction, v_th = 1 mV).
    dt : float
        Time step in ms.
    n_steps : int
        Steps of each calibration simulation.
    input_rate : float
        Rate in Hz of an input pixel of value 1 (regular rate code), at most 1000 / dt.
    max_rate : float
        Rate in Hz that a layer's ``percentile``-th activation is mapped to, at most 1000 / dt.
    percentile : float
        Activation percentile that defines each layer's scale (99.9 as in data-based
        normalisation).
    conv_positions : int
        Output positions sampled per calibration image for convolution problems.
    seed : int
        Seed of the position sampling.
    executor : ExecutorParams, Session, an object with ``submit``, or None
        Where the per-neuron problems run (``neurobench.executor``): ``ExecutorParams`` (one
        session opened for the whole fit: ``kind="local"`` in this process, ``"process"`` a
        process pool, ``"dask"`` a cluster), an open ``Session`` (left open), or any object
        with ``submit(fn, *args)`` (a ``ProcessPoolExecutor``, a Dask client's executor), used
        as is. None (default): a process pool over the usable cores
        (``ExecutorParams(kind="process", workers=default_workers())``). The results are the
        same for every executor.
    progress : bool
        Show tqdm progress bars.
    prune : dict {layer index: k}, optional
        Keep only ``k`` neurons of each listed hidden ``Dense`` layer (the next layer must be
        ``Dense`` too); the selection is in ``selections_``.
    prune_method : "group_lp", "greedy", "random" or "milp"
        How the kept neurons are chosen (``neurobench.conversion.prune``).
    prune_time_limit : float
        Seconds per HiGHS call of the selection.
    """

    def __init__(
        self,
        objective: str = "l1",
        constraints=None,
        neuron: NeuronParams | None = None,
        dt: float = 1.0,
        n_steps: int = 200,
        input_rate: float = 500.0,
        max_rate: float = 500.0,
        percentile: float = 99.9,
        conv_positions: int = 16,
        seed: int = 0,
        executor: ExecutorParams | Session | Any = None,
        progress: bool = False,
        prune: dict[int, int] | None = None,
        prune_method: str = "group_lp",
        prune_time_limit: float = 60.0,
    ) -> None:
        self.objective = objective
        self.constraints = constraints if constraints is not None else Analog(w_min=-8.0, w_max=8.0)
        self.neuron = neuron if neuron is not None else NeuronParams(model="if", reset="subtract")
        self.dt = dt
        self.n_steps = n_steps
        self.input_rate = input_rate
        self.max_rate = max_rate
        self.percentile = percentile
        self.conv_positions = conv_positions
        self.seed = seed
        self.executor = executor
        self.progress = progress
        self.prune = dict(prune or {})
        self.prune_method = prune_method
        self.prune_time_limit = prune_time_limit

    def _validate(self, ann: Ann, calibration_x: np.ndarray) -> np.ndarray:
        ok = self.executor is None or isinstance(self.executor, (ExecutorParams, Session))
        if not ok and (isinstance(self.executor, str) or not callable(getattr(self.executor, "submit", None))):
            raise ValueError(
                f"executor = {self.executor!r} is not allowed: must be neurobench.executor.ExecutorParams "
                "(kind 'local', 'process' or 'dask'), an open neurobench.executor.Session, an object with "
                "submit(fn, *args) such as a concurrent.futures.ProcessPoolExecutor, or None (a process pool)")
        if self.objective not in ("l1", "linf", "ls"):
            raise ValueError(f"objective must be 'l1', 'linf' or 'ls', got {self.objective!r}")
        if not (self.dt > 0):
            raise ValueError(f"dt must be > 0 ms, got {self.dt}")
        if self.n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {self.n_steps}")
        limit = max_rate_hz(self.dt)
        for name in ("input_rate", "max_rate"):
            value = getattr(self, name)
            if not 0 < value <= limit:
                raise ValueError(f"{name} must lie in (0, {limit:g}] Hz for dt = {self.dt} ms, got {value}")
        reachable = discrete_max_rate(self.neuron, self.dt)
        if self.max_rate > reachable:
            raise ValueError(
                f"max_rate = {self.max_rate:g} Hz is not reachable: the {self.neuron.model.upper()} neuron "
                f"with t_ref = {self.neuron.t_ref:g} ms fires at most {reachable:g} Hz at dt = {self.dt:g} ms; "
                "lower max_rate (or the neuron's t_ref, or dt)")
        check_penalty(self.objective, self.constraints)
        if not 0 < self.percentile <= 100:
            raise ValueError(f"percentile must lie in (0, 100], got {self.percentile}")
        if self.conv_positions < 1:
            raise ValueError(f"conv_positions must be >= 1, got {self.conv_positions}")
        for i, layer in enumerate(ann.layers):
            if not isinstance(layer, (Dense, Conv2d, AvgPool2d)):
                raise ValueError(
                    f"layer {i} ({type(layer).__name__}) is not supported by rate conversion; "
                    "use average pooling instead of max pooling"
                )
        self._validate_prune(ann)
        x = np.asarray(calibration_x, dtype=np.float64)
        if x.ndim < 2 or tuple(x.shape[1:]) != ann.input_shape:
            raise ValueError(f"calibration_x must have shape (n, {ann.input_shape}), got {x.shape}")
        if x.min() < 0 or x.max() > 1:
            raise ValueError("calibration_x must lie in [0, 1] (it is rate coded)")
        return x

    def _validate_prune(self, ann: Ann) -> None:
        if self.prune_method not in PRUNE_METHODS:
            raise ValueError(f"prune_method = {self.prune_method!r} is not allowed: must be one of {list(PRUNE_METHODS)}")
        if not self.prune_time_limit > 0:
            raise ValueError(f"prune_time_limit must be > 0 s, got {self.prune_time_limit}")
        last = len(ann.layers) - 1
        for index, k in self.prune.items():
            ok = isinstance(index, (int, np.integer)) and 0 <= index < last
            if not ok or not isinstance(ann.layers[index], Dense) or not isinstance(ann.layers[index + 1], Dense):
                raise ValueError(
                    f"prune layer {index!r} is not allowed: must be the index of a hidden Dense layer "
                    f"followed by a Dense layer (0..{last - 1})"
                )
            check_selection_args(ann.layers[index].weight.shape[0], k, self.prune_method)

    @property
    def gain(self) -> float:
        """Drive in mV/ms per unit weight of one presynaptic spike per step
        (``neurobench.conversion.targets.synaptic_gain``: ``1 / dt`` for IF neurons with delta
        synapses, ``tau_syn / dt`` with current-based ones)."""
        return synaptic_gain(self.neuron, self.dt)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """The deterministic input spike trains the converter calibrates on (and evaluates with)."""
        return regular(x, self.n_steps, self.dt, self.input_rate)

    def _rates(self, input_spikes: np.ndarray, input_shape, layers: list) -> np.ndarray:
        """Measured spikes per step of the last converted population (or of the input)."""
        if not layers:
            return input_spikes.mean(axis=1, dtype=np.float64).reshape(len(input_spikes), -1)
        partial = Network(input_shape, tuple(layers), self.neuron)
        record = simulate(partial, input_spikes, self.dt)
        return record.layers[-1].spike_count / self.n_steps

    def fit(self, ann: Ann, calibration_x: np.ndarray) -> Network:
        """Convert ``ann`` using ``calibration_x`` (n, *ann.input_shape) in [0, 1]; return the SNN."""
        x = self._validate(ann, calibration_x)
        with self._submitter() as submitter:  # one session for every layer: start-up is paid once
            return self._fit(ann, x, submitter)

    @contextlib.contextmanager
    def _submitter(self) -> Iterator[Any]:
        """What ``solve_layer`` submits the neuron chunks to: an open session (one map per layer,
        chunks sized for its workers; a local one solves in this process, one neuron per task),
        or the caller's own object with ``submit``."""
        executor = self.executor
        if executor is None:
            executor = ExecutorParams(kind="process", workers=default_workers())
        if not isinstance(executor, (ExecutorParams, Session)):
            yield executor
            return
        with session_of(executor) as session:
            yield session

    def _fit(self, ann: Ann, x: np.ndarray, executor) -> Network:
        spikes = self.encode(x)
        activations = ann.forward(x)
        shapes = ann.shapes
        if isinstance(self.constraints, Digital) and self.constraints.scale is None:
            self._reference_ = normalize(
                ann, x, max_rate=self.max_rate, dt=self.dt, percentile=self.percentile, v_th=self.neuron.v_th
            )
        layers: list = []
        self.layer_reports_: list[LayerReport] = []
        self.solutions_: list = []
        self.selections_: dict[int, Selection] = {}
        for i, layer in enumerate(ann.layers):
            start = time.perf_counter()
            if isinstance(layer, AvgPool2d):
                layers.append(AvgPool2d(layer.kernel_size))
                self.layer_reports_.append(LayerReport(i, "AvgPool2d", int(np.prod(shapes[i])), int(np.prod(shapes[i + 1])), 0))
                continue
            rates = self._rates(spikes, ann.input_shape, layers)
            targets = rate_targets(
                activations[i], self.neuron, self.max_rate, self.percentile, shift=ann.activations[i] == "linear",
                dt=self.dt,
            )
            if isinstance(layer, Dense):
                inputs, z, silent = rates * self.gain, targets.z, targets.silent
            else:
                inputs, z, silent = self._conv_rows(layer, rates, shapes[i], shapes[i + 1], targets, i)
            constraints = self._layer_constraints(i)
            if inputs.shape[0] <= inputs.shape[1]:
                warnings.warn(
                    f"layer {i}: {inputs.shape[0]} calibration rows for {inputs.shape[1]} inputs per neuron; "
                    "the per-neuron problems are underdetermined (many weight vectors fit the rows "
                    "equally well, and the one returned generalises poorly): use more calibration "
                    "samples (or conv_positions)", stacklevel=3)
            if i - 1 in self.prune:
                inputs = self._prune_previous(layers, i - 1, inputs, z, silent, constraints)
            weights, bias, solutions = solve_layer(
                inputs, z, silent, onset_drive(self.neuron), self.objective, constraints,
                executor=executor, layer=i, progress=self.progress,
            )
            weights, bias = _silence_dead(weights, bias, silent, constraints)
            if isinstance(layer, Dense):
                layers.append(Dense(weights, bias))
            else:
                layers.append(Conv2d(weights.reshape(layer.weight.shape), bias, layer.stride, layer.padding))
            report = LayerReport(
                i, type(layer).__name__, inputs.shape[1], weights.shape[0], inputs.shape[0],
                alpha=targets.alpha, offset=targets.offset,
                weight_step=constraints.scale if isinstance(constraints, Digital) else None,
            )
            for sol in solutions:
                report.statuses[sol.status] = report.statuses.get(sol.status, 0) + 1
                report.objective += sol.objective
                report.solve_seconds += sol.solve_seconds
            gaps = [sol.mip_gap for sol in solutions if sol.mip_gap is not None]
            report.mip_gap = float(max(gaps)) if gaps else None
            report.total_seconds = time.perf_counter() - start
            self.layer_reports_.append(report)
            self.solutions_.append(solutions)
        self.network_ = Network(ann.input_shape, tuple(layers), self.neuron)
        out = self.layer_reports_[-1]
        self.readout_scale_, self.readout_offset_ = out.alpha, out.offset
        return self.network_

    def _prune_previous(self, layers: list, index: int, inputs, z, silent, constraints) -> np.ndarray:
        """Keep ``prune[index]`` neurons of converted layer ``index``; return the kept inputs."""
        w_min, w_max = constraints.bounds if isinstance(constraints, Analog) else (-np.inf, np.inf)
        if isinstance(constraints, Digital):
            top = constraints.scale * (2 ** (constraints.bits - 1) - 1)
            w_min, w_max = -top, top
        selection = select_neurons(
            inputs, z, silent, self.prune[index], self.prune_method, i_th=onset_drive(self.neuron),
            # layer index's two streams from the one root: 2i for pruning, 2i + 1 for conv positions
            w_min=w_min, w_max=w_max, seed=child_seed(self.seed, 2 * index), time_limit=self.prune_time_limit,
        )
        self.selections_[index] = selection
        hidden = layers[index]
        layers[index] = Dense(hidden.weight[selection.keep], hidden.bias[selection.keep])
        self.layer_reports_[index].n_neurons = len(selection.keep)
        return inputs[:, selection.keep]

    def _layer_constraints(self, index: int):
        """The constraints of one layer: a digital family without a scale gets one shared grid.

        The grid step is ``P / (2^(b-1) - 1)`` where ``P`` is the 99th percentile of ``|w|`` of
        the data-normalised conversion of the same layer (``neurobench.conversion.normalize``,
        same rate mapping), so every neuron of the layer uses the same weight levels, as a
        digital chip would. The LP's own unconstrained weights are a poor guide: its vertex
        solutions put many weights at their bounds.
        """
        c = self.constraints
        if not isinstance(c, Digital) or c.scale is not None:
            return c
        weights = self._reference_.layers[index].weight
        top = np.percentile(np.abs(weights[weights != 0]), 99.0)
        return replace(c, scale=digital_scale(np.array([top]), c.bits))

    def _conv_rows(self, layer: Conv2d, rates, in_shape, out_shape, targets, index: int):
        """Problem rows of a convolution: sampled (image, position) patches, one column per channel."""
        n = len(rates)
        patches = conv_patches(rates.reshape(n, *in_shape), layer.weight.shape[2:], layer.stride, layer.padding)
        pos = sample_positions(n, out_shape[1:], self.conv_positions, child_seed(self.seed, 2 * index + 1))
        inputs = patches[pos[:, 0], pos[:, 1], pos[:, 2]] * self.gain
        z = targets.z.reshape(n, *out_shape)[pos[:, 0], :, pos[:, 1], pos[:, 2]]
        silent = targets.silent.reshape(n, *out_shape)[pos[:, 0], :, pos[:, 1], pos[:, 2]]
        return inputs, z, silent

    def decode(self, spike_count: np.ndarray) -> np.ndarray:
        """ANN-unit outputs from output spike counts over ``n_steps``: rate / alpha + offset."""
        return rate_hz(spike_count, self.n_steps, self.dt) / self.readout_scale_ + self.readout_offset_
