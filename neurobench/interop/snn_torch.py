"""NIR graphs in snnTorch (``snntorch`` 1.0.0 through ``nirtorch``), and the delay convention.

**The delay convention.** Our clock simulator (like Brian2) delivers a spike to the next layer
in the step after it is emitted: layer ``l`` at step ``t`` sees the spikes of layer ``l - 1`` up
to step ``t - 1`` (and the input up to ``t - 1``). snnTorch runs its stack zero-delay within a
step: layer ``l`` at step ``t`` sees layer ``l - 1``'s spikes of step ``t`` itself. Both are the
same continuous-time NIR graph discretised differently. We map between them with explicit
one-step NIR ``Delay`` nodes (:func:`with_delays`): our network *is* the zero-delay network with a
``Delay(dt)`` in front of every layer, so snnTorch running the graph with those delays computes
what our simulator computes. Shifting inputs or counting windows instead would be exact only
without biases (a bias accumulates from step 0 in every layer, a shift moves the input but not
the bias), so it cannot map the converted networks, which all have biases.

**Running a graph in snnTorch.** :func:`snntorch_module` builds the torch module two ways:

* ``"native"``: ``snntorch.import_from_nir`` as shipped. In 1.0.0 it maps ``IF`` to
  ``snn.Leaky(beta=0.9, init_hidden=False)``, whose tuple output no following layer accepts
  under ``nirtorch`` 2.6 (an IF network does not run at all), and ``LIF``/``CubaLIF`` with a
  hard-coded ``dt = 1e-4`` (s, while our graphs are in ms), reset to zero, and no ``Delay``.
* ``"matched"``: ``nirtorch.nir_to_torch`` with snnTorch's own modules for the synapses
  (``snntorch.import_nir``'s mapping of ``Affine``, ``Linear``, ``Conv2d``, ``Flatten``,
  ``AvgPool2d``) and ``snn.Leaky`` for the neurons with our discretisation: ``IF`` ->
  ``beta = 1``, ``LIF`` -> ``beta = exp(-dt / tau)``, threshold ``v_threshold``, the reset mode
  of the node's metadata, ``reset_delay=True`` (the reset of a spike at step ``t`` applies at
  ``t + 1``, which is our reset by subtraction), float64, a ``Delay`` node as a one-step buffer.
  The synapse biases are scaled by ``c_b / a_v`` of ``neurobench.sim.coefficients`` (so that a
  step adds ``c_b b`` as ours does; the earlier ``c_b / (a_v dt)`` was right only for dt = 1 ms).
  ``reset_schedule="ours"`` (default) resets as we do: reset to zero drops the input delivered in
  the spike step (our schedule and Brian2's: synapses, then resets) where ``snn.Leaky`` keeps it,
  and reset by subtraction subtracts ``beta * threshold`` (we subtract before the leak, snnTorch
  after it); ``"snntorch"`` keeps snn.Leaky's own rules.

What still differs under ``"matched"``: snnTorch spikes on ``mem > threshold``, we on
``v >= v_th`` (ties; ``at_threshold=True`` makes them equal); torch sums a layer's input in BLAS
order and multiplies by ``beta`` before adding, we in ascending presynaptic index (last-bit
rounding, visible at exact ties only).

``snntorch.import_nir`` imports ``nirtorch``, which is not a project dependency: every function
here raises ``ImportError`` naming it when it is absent.
"""

from __future__ import annotations

import contextlib
import io
from typing import Literal

import nir
import numpy as np

from ..neurons import NeuronParams
from ..sim.coefficients import StepCoefficients
from .nir import NirError, _chain, _neuron_params, _text

__all__ = ["MODES", "RESET_SCHEDULES", "snntorch_module", "run_snntorch", "with_delays"]

MODES = ("native", "matched")
RESET_SCHEDULES = ("ours", "snntorch")
NEURON_NODES = (nir.IF, nir.LIF, nir.CubaLIF)


def _graph_dt(graph: nir.NIRGraph, dt: float | None) -> float:
    stored = _text((graph.metadata or {}).get("dt")) if isinstance(graph.metadata, dict) else None
    if dt is None and stored is None:
        raise NirError("the graph has no metadata 'dt' (NIR graphs are continuous-time): pass dt in ms")
    return float(stored if dt is None else dt)


def with_delays(graph: nir.NIRGraph, dt: float | None = None) -> nir.NIRGraph:
    """``graph`` (a feed-forward chain) with a ``Delay(delay=dt)`` node in front of every layer
    (after ``Input`` and after every neuron node): the zero-delay form of our one-step-per-layer
    convention (module docstring). The metadata gets ``synaptic_delay_steps`` 0 and ``delays``
    "explicit". ``dt`` in ms defaults to the graph's metadata ``dt``."""
    dt = _graph_dt(graph, dt)
    chain = _chain(graph)
    if any(isinstance(graph.nodes[k], nir.Delay) for k in chain):
        raise NirError("the graph already has Delay nodes: its delays are explicit")
    nodes: dict[str, nir.NIRNode] = {}
    order: list[str] = []
    for name, nxt in zip(chain, chain[1:] + [None]):
        nodes[name] = graph.nodes[name]
        order.append(name)
        node = graph.nodes[name]
        if (isinstance(node, nir.Input) or isinstance(node, NEURON_NODES)) \
                and not isinstance(graph.nodes[nxt], nir.Output):
            shape = np.array(node.input_type["input"] if isinstance(node, nir.Input) else np.shape(node.v_threshold))
            delay = nir.Delay(delay=np.full(tuple(int(s) for s in shape), float(dt)))
            nodes[f"{name}.delay"] = delay
            order.append(f"{name}.delay")
    metadata = dict(graph.metadata or {})
    metadata.update(dt=float(dt), synaptic_delay_steps=0, delays="explicit")
    return nir.NIRGraph(nodes=nodes, edges=list(zip(order[:-1], order[1:])), metadata=metadata, type_check=False)


def _torch():
    try:
        import nirtorch  # noqa: F401  (snntorch.import_nir needs it)
        import snntorch
        import snntorch.import_nir
        import torch
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(f"running NIR graphs in snnTorch needs snntorch and nirtorch ({err})") from None
    return torch, snntorch, nirtorch


def _delay_module(torch, steps: int):
    class OneStepDelay(torch.nn.Module):
        """Outputs its input of ``steps`` calls ago (zeros before): NIR ``Delay`` on a step grid."""

        def __init__(self):
            super().__init__()
            self.buffer: list = []

        def forward(self, x):
            self.buffer.append(x)
            if len(self.buffer) > steps:
                return self.buffer.pop(0)
            return torch.zeros_like(x)

    return OneStepDelay()


def _sum_pool_module(torch, node: nir.SumPool2d):
    kernel = tuple(int(k) for k in np.atleast_1d(node.kernel_size))
    stride = tuple(int(k) for k in np.atleast_1d(node.stride))
    padding = tuple(int(k) for k in np.atleast_1d(node.padding))

    class SumPool2d(torch.nn.Module):
        """NIR ``SumPool2d``: the sum over each window (``lp_pool2d`` with p = 1 would take |x|)."""

        def forward(self, x):
            area = float(np.prod(kernel)) if len(kernel) > 1 else float(kernel[0] ** 2)
            return torch.nn.functional.avg_pool2d(x, kernel, stride, padding, count_include_pad=True) * area

    return SumPool2d()


def _scale_module(torch, node: nir.Scale):
    scale = torch.as_tensor(np.asarray(node.scale, dtype=np.float64))

    class Scale(torch.nn.Module):
        """NIR ``Scale``: ``y = s x`` elementwise."""

        def __init__(self):
            super().__init__()
            self.register_buffer("scale", scale, persistent=False)

        def forward(self, x):
            return x * self.scale

    return Scale()


def _matched_neuron(snntorch, name: str, node: nir.NIRNode, dt: float, at_threshold: bool, drive: np.ndarray,
                    reset_schedule: str):
    p, weight_factor, _, v_leak_drive = _neuron_params(name, node)
    if p.tau_syn > 0:
        raise NirError(f"{name}: CubaLIF has no matched snnTorch neuron here (snn.Synaptic integrates with "
                       "forward Euler): only IF and LIF")
    if not np.isclose(weight_factor, 1.0) or np.any(np.asarray(v_leak_drive) != 0):
        raise NirError(f"{name}: matched mode needs r = 1 (IF) or r = tau (LIF) and v_leak = 0, got weight factor "
                       f"{weight_factor}")
    if p.t_ref > 0:
        raise NirError(f"{name}: a refractory period (t_ref = {p.t_ref} ms) has no snnTorch counterpart")
    beta = StepCoefficients.for_neuron(p, dt).a_v
    torch = _torch()[0]
    ours = reset_schedule == "ours"

    class Matched(snntorch.Leaky):
        """``snn.Leaky`` with, where set, our threshold rule (``mem >= threshold``, where snnTorch's
        Heaviside needs ``mem > threshold``) and our reset schedule (``reset_schedule="ours"``):
        reset to zero drops the input of the spike step and keeps only the per-step bias ``drive``
        (mV); reset by subtraction subtracts the threshold before the leak (``beta * threshold``)."""

        def fire(self, mem):
            if not at_threshold:
                return super().fire(mem)
            return (mem >= self.threshold).to(mem.dtype) * self.graded_spikes_factor

        def mem_reset(self, mem):
            if not at_threshold:
                return super().mem_reset(mem)
            return (mem >= self.threshold).to(mem.dtype)

        def _base_zero(self, input_):
            if not ours:
                return super()._base_zero(input_)
            return (1 - self.reset) * self._base_state_function(input_) + self.reset * self.drive

        def _base_sub(self, input_):
            if not ours:
                return super()._base_sub(input_)
            return self._base_state_function(input_) - self.reset * (self.threshold * float(beta))

    leaky = Matched(beta=float(beta), threshold=float(p.v_th), reset_mechanism=p.reset, init_hidden=True,
                    reset_delay=True)
    leaky.register_buffer("drive", torch.as_tensor(np.asarray(drive, dtype=np.float64)), persistent=False)

    class Decay(torch.nn.Module):
        """Our input arrives at the end of a step and leaks through the next one: times ``a_v``."""

        def forward(self, x):
            return x * float(beta) if beta != 1.0 else x

    class Float64Spikes(torch.nn.Module):
        """snnTorch's spike function returns float32: cast back for the float64 layers after it."""

        def forward(self, spk):
            return spk.to(torch.float64)

    return torch.nn.Sequential(Decay(), leaky, Float64Spikes())


def _step_coefficients(node: nir.NIRNode, dt: float) -> StepCoefficients:
    p = _neuron_params("neuron", node)[0]
    return StepCoefficients.for_neuron(NeuronParams(**{**p.model_dump(), "t_ref": 0.0}), dt)


def _matched_graph(graph: nir.NIRGraph, dt: float) -> tuple[nir.NIRGraph, dict[str, np.ndarray]]:
    """A copy of ``graph`` whose synapse biases are scaled by ``c_b / a_v`` of the neuron after
    them (the matched neuron multiplies its whole input by ``a_v``, so a step adds ``c_b b`` as
    ours does), and per neuron node its per-step bias drive ``c_b b`` in mV, shaped to broadcast
    over the neuron node's output (what reset to zero keeps under our schedule)."""
    chain = _chain(graph)
    nodes = dict(graph.nodes)
    drives: dict[str, np.ndarray] = {}
    pending: list[str] = []
    for name in chain:
        node = graph.nodes[name]
        if isinstance(node, NEURON_NODES):
            coef = _step_coefficients(node, dt)
            gain = coef.c_b / coef.a_v
            drive = np.zeros(())
            for syn in pending:
                op = nodes[syn]
                if isinstance(op, (nir.Affine, nir.Conv2d)) and op.bias is not None:
                    bias = np.asarray(op.bias, dtype=float)
                    drive = coef.c_b * (bias.reshape(-1, 1, 1) if isinstance(op, nir.Conv2d) else bias)
                    if gain != 1.0:
                        fields = {k: getattr(op, k) for k in op.__dataclass_fields__
                                  if k not in ("input_type", "output_type")}
                        fields["bias"] = bias * gain
                        nodes[syn] = type(op)(**fields)
            drives[name] = drive
            pending = []
        elif isinstance(node, (nir.Affine, nir.Conv2d)):
            pending.append(name)
    return (nir.NIRGraph(nodes=nodes, edges=list(graph.edges), metadata=dict(graph.metadata or {}), type_check=False),
            drives)


def snntorch_module(graph: nir.NIRGraph, mode: Literal["native", "matched"] = "matched", dt: float | None = None,
                    at_threshold: bool = True, reset_schedule: Literal["ours", "snntorch"] = "ours"):
    """The torch module that runs ``graph`` in snnTorch, one call per time step (module docstring
    for the two modes). ``dt`` (ms) defaults to the graph's metadata ``dt`` (``matched`` needs it).
    ``at_threshold`` (``matched`` only): spike at ``mem >= threshold`` as we do (else snnTorch's
    ``mem > threshold``). ``reset_schedule`` (``matched`` only): "ours" resets as our clock
    simulator and Brian2 do (reset to zero drops the input delivered in the spike step; reset by
    subtraction subtracts the threshold before the leak), "snntorch" keeps ``snn.Leaky``'s own
    rules (reset to zero keeps that input; the threshold is subtracted after the leak).
    Raises :class:`NirError` naming the node for what ``matched`` cannot run, ``ValueError`` for
    an unknown mode."""
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r} must be one of {MODES}")
    if reset_schedule not in RESET_SCHEDULES:
        raise ValueError(f"reset_schedule = {reset_schedule!r} must be one of {RESET_SCHEDULES}")
    torch, snntorch, nirtorch = _torch()
    if mode == "native":
        with contextlib.redirect_stdout(io.StringIO()):  # import_from_nir prints warnings
            return snntorch.import_nir.import_from_nir(nir.NIRGraph(nodes=dict(graph.nodes), edges=list(graph.edges),
                                                                    metadata=dict(graph.metadata or {}),
                                                                    type_check=False))
    dt = _graph_dt(graph, dt)
    names = {id(node): name for name, node in graph.nodes.items()}
    synapse = snntorch.import_nir._nir_to_snntorch_module

    def delay(node: nir.NIRNode):
        steps = np.asarray(node.delay, dtype=float) / dt
        if steps.size == 0 or not np.all(steps == steps.flat[0]) or steps.flat[0] != round(steps.flat[0]) \
                or steps.flat[0] < 1:
            raise NirError(f"{names[id(node)]}: delay {np.unique(node.delay).tolist()} ms must be a uniform whole "
                           f"number >= 1 of steps of dt = {dt} ms")
        return _delay_module(torch, int(steps.flat[0]))

    def neuron(node: nir.NIRNode):
        name = names[id(node)]
        return _matched_neuron(snntorch, name, node, dt, at_threshold, drives[name], reset_schedule)

    node_map = {
        nir.Affine: synapse, nir.Linear: synapse, nir.Conv2d: synapse, nir.AvgPool2d: synapse,
        # NIR's Flatten dims exclude the batch; snnTorch passes them to torch.nn.Flatten unchanged
        nir.Flatten: lambda n: torch.nn.Flatten(int(n.start_dim) + 1, int(n.end_dim) + (1 if n.end_dim >= 0 else 0)),
        nir.SumPool2d: lambda n: _sum_pool_module(torch, n),
        nir.Scale: lambda n: _scale_module(torch, n),
        nir.IF: neuron,
        nir.LIF: neuron,
        nir.CubaLIF: neuron,
        nir.Delay: delay,
    }
    graph, drives = _matched_graph(graph, dt)
    names = {id(node): name for name, node in graph.nodes.items()}
    return nirtorch.nir_to_torch(graph, node_map, dtype=torch.float64).double()


def run_snntorch(module, input_spikes: np.ndarray, spike_trains: bool = False) -> list[np.ndarray]:
    """Each spiking layer's spike counts (batch, neurons), in the order the layers run, of the
    snnTorch ``module`` fed ``input_spikes`` (batch, n_steps, *input_shape) one step per call
    from its initial state; ``spike_trains``: the spikes themselves instead, (batch, n_steps,
    neurons) bool. A module is stateful: build a fresh one per run."""
    torch, snntorch, _ = _torch()
    x = torch.as_tensor(np.asarray(input_spikes, dtype=np.float64))
    neurons = [m for m in module.modules() if isinstance(m, snntorch.SpikingNeuron)]
    steps: list[list] = [[] for _ in neurons]

    def hook(i):
        def record(_module, _inputs, output):
            spk = output[0] if isinstance(output, tuple) else output
            steps[i].append(spk.detach().reshape(spk.shape[0], -1).to(torch.float64))
        return record

    handles = [m.register_forward_hook(hook(i)) for i, m in enumerate(neurons)]
    dtype = next((q.dtype for q in module.parameters()), torch.float64)
    try:
        with torch.no_grad():
            for t in range(x.shape[1]):
                module(x[:, t].to(dtype))
    finally:
        for handle in handles:
            handle.remove()
    trains = [torch.stack(s, dim=1).numpy() for s in steps]
    if spike_trains:
        return [t != 0 for t in trains]
    return [np.rint(t.sum(axis=1)).astype(np.int64) for t in trains]
