"""Networks to and from NIR, the Neuromorphic Intermediate Representation (``nir`` 1.0.8).

NIR graphs are continuous-time and unit-free; our networks are the clock simulator's exact
discretisation with times in ms and potentials in mV. :func:`to_nir` writes one node chain per
layer (``layer<i>.flatten``, ``layer<i>.synapse``, ``layer<i>.scale``, ``layer<i>.neuron``
between ``input`` and ``output``) and records what NIR itself leaves open in the metadata:
on the graph ``dt`` (ms), ``time_unit`` "ms", ``voltage_unit`` "mV", ``discretization`` "exact"
and ``synaptic_delay_steps`` 1 (a spike reaches the next layer in the step after it is emitted,
as in Brian2); on every neuron node ``reset`` ("zero" or "subtract") and ``t_ref`` (ms).

How our neurons map onto NIR's equations (``docs/interop.md`` derives each line):

===================  =================================================================
ours                 NIR
===================  =================================================================
IF, delta synapses   ``Affine``/``Conv2d`` (bias = our bias, mV/ms) -> ``IF(r=1)``
LIF, delta synapses  ``Affine``/``Conv2d`` (bias) -> ``LIF(tau=tau_m, r=tau_m, v_leak=0)``
LIF, current syn.    ``Linear``/``Conv2d`` (no bias) -> ``CubaLIF(tau_syn, tau_mem=tau_m,
                     r=tau_m, w_in=tau_syn, v_leak=bias * tau_m)``
AvgPool2d(k, s)      ``AvgPool2d(k)`` when s = 1, else ``SumPool2d(k)`` -> ``Scale(s / k^2)``
Dense with delays    per delay ``d`` used: ``Delay(d dt)`` -> ``Affine``/``Linear`` (that delay's
                     weights; the bias on one branch), all into the neuron node, which sums them
===================  =================================================================

A ``Delay(d dt)`` counts the steps our ``Dense.delay = d`` adds to the one-step synaptic delay
(graph metadata ``delay_nodes``, :data:`DELAY_MEANING`); delay-free layers keep the chain names.

Whatever NIR cannot express exactly raises :class:`NirError` naming the node (an IF neuron with
current-based synapses, for example): never a silent approximation. :func:`from_nir` reads the
same graphs back, folding ``r``, ``tau`` and ``w_in`` into the weights, and reads graphs written
by other tools as long as they are feed-forward chains of these primitives (or parallel
``[Delay ->] Affine/Linear`` branches into a neuron node) with uniform neuron parameters per layer.
A graph with ``synaptic_delay_steps`` 0 (``snn_torch.with_delays``) holds the one-step shift in
its ``Delay`` nodes: one step less of each reads as ``Dense.delay``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nir
import numpy as np

from ..ann import Ann
from ..network import AvgPool2d, Conv2d, Dense, Network
from ..neurons import NeuronParams

__all__ = ["CONVENTIONS", "DELAY_MEANING", "SNNTORCH_DT", "NirError", "from_nir", "read_nir", "to_nir", "write_nir"]

SYNAPTIC_DELAY_STEPS = 1
"""Steps between a spike and its arrival at the next layer in our simulators (and Brian2's)."""

DELAY_MEANING = "extra: Delay(d * dt) adds d steps to synaptic_delay_steps (Dense.delay = d)"
"""Graph metadata ``delay_nodes`` of a network with synaptic delays: what a ``Delay`` node counts."""

CONVENTIONS = ("neurobench", "snntorch")
"""How :func:`from_nir` reads a graph's neuron parameters (see :func:`from_nir`)."""

SNNTORCH_DT = 1e-4
"""The step snnTorch 1.0.0's ``export_to_nir`` assumes (``tau = dt / (1 - beta)``, ``r = tau / dt``)."""


class NirError(ValueError):
    """A network or NIR graph that cannot be converted exactly; the message names the node."""


def _full(shape, value: float) -> np.ndarray:
    return np.full(tuple(int(s) for s in shape), float(value))


def _neuron_node(name: str, p: NeuronParams, bias: np.ndarray, shape, dt: float) -> nir.NIRNode:
    meta = {"reset": p.reset, "t_ref": float(p.t_ref), "dt": float(dt)}
    if p.model == "if":
        if p.tau_syn > 0:
            raise NirError(f"{name}: an IF neuron with current-based synapses (tau_syn = {p.tau_syn} ms) has no NIR "
                           "primitive (CubaLIF needs a finite tau_mem); use delta synapses or LIF")
        return nir.IF(r=_full(shape, 1.0), v_threshold=_full(shape, p.v_th), v_reset=_full(shape, 0.0), metadata=meta)
    if p.tau_syn == 0:
        return nir.LIF(tau=_full(shape, p.tau_m), r=_full(shape, p.tau_m), v_leak=_full(shape, 0.0),
                       v_threshold=_full(shape, p.v_th), v_reset=_full(shape, 0.0), metadata=meta)
    return nir.CubaLIF(tau_syn=_full(shape, p.tau_syn), tau_mem=_full(shape, p.tau_m), r=_full(shape, p.tau_m),
                       v_leak=np.asarray(bias, dtype=float).reshape(shape) * p.tau_m, v_threshold=_full(shape, p.v_th),
                       v_reset=_full(shape, 0.0), w_in=_full(shape, p.tau_syn), metadata=meta)


def to_nir(network: Network, dt: float) -> nir.NIRGraph:
    """The NIR graph of ``network`` simulated with time step ``dt`` (ms); see the module docstring
    for the mapping and the metadata. Raises :class:`NirError` naming the node for anything NIR
    cannot express exactly."""
    if isinstance(network, Ann):  # e.g. the ANN the analog stage runs on the BrainScaleS-2 MAC
        first = next((i for i, a in enumerate(network.activations) if a == "relu"), 0)
        raise NirError(f"layer{first}.activation: an ANN ({network.activations[first]}) has no NIR primitive (NIR "
                       "describes spiking and linear dynamics, with no rectifier): export the network converted to "
                       "spikes (neurobench.conversion) instead")
    if not (isinstance(dt, (int, float)) and np.isfinite(dt) and dt > 0):
        raise NirError(f"dt = {dt!r} must be a time step > 0 in ms")
    nodes: dict[str, nir.NIRNode] = {"input": nir.Input(input_type={"input": np.array(network.input_shape)})}
    edges: list[tuple[str, str]] = []
    prev = "input"  # the node whose output feeds the next layer

    def link(name: str, node: nir.NIRNode) -> str:
        nodes[name] = node
        edges.append((prev, name))
        return name

    for i, (layer, p) in enumerate(zip(network.layers, network.neurons)):
        in_shape, out_shape = network.shapes[i], network.shapes[i + 1]
        bias = network.bias(i)  # with current synapses it drives the membrane (CubaLIF's v_leak)
        neuron = f"layer{i}.neuron"
        if isinstance(layer, Dense):
            if len(in_shape) > 1:
                prev = link(f"layer{i}.flatten", nir.Flatten(input_type={"input": np.array(in_shape)}, start_dim=0))
            if layer.delay is not None:
                for name in _delay_branches(nodes, edges, prev, i, layer, p, dt):
                    edges.append((name, neuron))
                nodes[neuron] = _neuron_node(neuron, p, bias, out_shape, dt)
                prev = neuron
                continue
            if p.tau_syn > 0:
                prev = link(f"layer{i}.synapse", nir.Linear(weight=layer.weight.copy()))
            else:
                prev = link(f"layer{i}.synapse", nir.Affine(weight=layer.weight.copy(), bias=layer.bias.copy()))
        elif isinstance(layer, Conv2d):
            conv_bias = np.zeros(layer.weight.shape[0]) if p.tau_syn > 0 else layer.bias.copy()
            prev = link(f"layer{i}.synapse", nir.Conv2d(
                input_shape=tuple(int(s) for s in in_shape[1:]), weight=layer.weight.copy(),
                stride=(layer.stride, layer.stride), padding=(layer.padding, layer.padding),
                dilation=(1, 1), groups=1, bias=conv_bias))
        elif isinstance(layer, AvgPool2d):
            k = layer.kernel_size
            pool = dict(kernel_size=np.array([k, k]), stride=np.array([k, k]), padding=np.array([0, 0]))
            if layer.scale == 1.0:
                prev = link(f"layer{i}.synapse", nir.AvgPool2d(**pool))
            else:
                prev = link(f"layer{i}.synapse", nir.SumPool2d(**pool))
                prev = link(f"layer{i}.scale", nir.Scale(scale=_full(out_shape, layer.scale / k**2)))
        else:  # pragma: no cover - Network admits only the three layer types
            raise NirError(f"layer{i}: {type(layer).__name__} has no NIR export")
        prev = link(neuron, _neuron_node(neuron, p, bias, out_shape, dt))
    link("output", nir.Output(output_type={"output": np.array(network.shapes[-1])}))
    metadata = {"dt": float(dt), "time_unit": "ms", "voltage_unit": "mV", "discretization": "exact",
                "synaptic_delay_steps": SYNAPTIC_DELAY_STEPS, "producer": "neurobench"}
    if network.has_delays:
        metadata["delay_nodes"] = DELAY_MEANING
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=True)


def _delay_branches(nodes: dict, edges: list, source: str, i: int, layer: Dense, p: NeuronParams,
                    dt: float) -> list[str]:
    """Add the branches ``layer<i>.delay<d>`` -> ``layer<i>.synapse<d>`` of a Dense layer with
    delays, one per distinct delay ``d`` (steps) of its non-zero weights, fed by ``source``;
    return the synapse node names (each feeds the layer's neuron node, which sums them). The
    first branch carries the bias (``Affine``), the others are ``Linear``; with current synapses
    every branch is ``Linear`` (the bias goes to ``v_leak``)."""
    used = np.unique(layer.delay[layer.weight != 0])
    used = used if used.size else np.zeros(1, dtype=np.int64)
    names = []
    for b, d in enumerate(int(d) for d in used):
        mask = layer.delay == d
        weight = np.where(mask, layer.weight, 0.0)
        delay_name, synapse_name = f"layer{i}.delay{d}", f"layer{i}.synapse{d}"
        nodes[delay_name] = nir.Delay(delay=_full((layer.weight.shape[1],), d * float(dt)))
        if b == 0 and p.tau_syn == 0:
            nodes[synapse_name] = nir.Affine(weight=weight, bias=layer.bias.copy())
        else:
            nodes[synapse_name] = nir.Linear(weight=weight)
        edges += [(source, delay_name), (delay_name, synapse_name)]
        names.append(synapse_name)
    return names


def write_nir(path: str | Path, network: Network, dt: float) -> Path:
    """Write ``to_nir(network, dt)`` to the HDF5 file ``path`` (``nir.write``); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nir.write(str(path), to_nir(network, dt))
    return path


def read_nir(path: str | Path, dt: float | None = None, convention: str = "neurobench",
             reset: str | None = None) -> Network:
    """The network of the NIR file ``path`` (``nir.read`` then :func:`from_nir` with ``dt``,
    ``convention`` and ``reset``)."""
    try:
        graph = nir.read(str(path))
    except Exception as err:  # h5py raises OSError, KeyError, ... for files that are not NIR
        raise NirError(f"{path}: not a readable NIR file ({type(err).__name__}: {err})") from None
    return from_nir(graph, dt, convention, reset)


# ------------------------------------------------------------------------------------ import


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value.item())
    return value


def _chain(graph: nir.NIRGraph) -> list[str]:
    """The node names from the single Input to the single Output, checking the graph is a chain."""
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NirError(f"the graph needs exactly one Input and one Output node, found inputs {inputs} and outputs {outputs}")
    successors: dict[str, list[str]] = {k: [] for k in graph.nodes}
    for src, dst in graph.edges:
        if src not in graph.nodes or dst not in graph.nodes:
            raise NirError(f"edge ({src!r}, {dst!r}) names a node that is not in the graph")
        successors[src].append(dst)
    chain, seen = [inputs[0]], {inputs[0]}
    while chain[-1] != outputs[0]:
        nxt = successors[chain[-1]]
        if len(nxt) != 1:
            raise NirError(f"node {chain[-1]!r} has {len(nxt)} successors {nxt}: only feed-forward chains are supported")
        if nxt[0] in seen:
            raise NirError(f"the graph is cyclic at node {nxt[0]!r}: recurrent graphs are not supported")
        chain.append(nxt[0])
        seen.add(nxt[0])
    if len(seen) != len(graph.nodes) or len(graph.edges) != len(chain) - 1:
        extra = sorted(set(graph.nodes) - seen)
        raise NirError(f"nodes {extra} are not on the Input -> Output chain: only feed-forward chains are supported")
    return chain


NEURON_TYPES = (nir.IF, nir.LIF, nir.CubaLIF)
PATH_TYPES = (nir.Flatten, nir.Delay, nir.Affine, nir.Linear, nir.Conv2d, nir.AvgPool2d, nir.SumPool2d, nir.Scale)
"""The nodes a layer's paths may hold between its source and its neuron node."""


def _segments(graph: nir.NIRGraph) -> tuple[str, list[tuple[str, list[list[str]]]], str]:
    """(Input name, one ``(neuron node, paths)`` per layer, Output name) of a feed-forward graph.

    ``paths`` lists, for each input a neuron node sums, the node names from the layer's source
    (Input or the previous neuron node, excluded) to the neuron (excluded). A graph without
    fan-in at a neuron node is a chain (:func:`_chain`, one path per layer); otherwise a neuron
    node may sum parallel branches that leave one fan-out node (the source itself or the last
    node of a chain shared by all branches), the pattern :func:`to_nir` writes for delays."""
    predecessors: dict[str, list[str]] = {k: [] for k in graph.nodes}
    successors: dict[str, list[str]] = {k: [] for k in graph.nodes}
    for src, dst in graph.edges:
        if src not in graph.nodes or dst not in graph.nodes:
            raise NirError(f"edge ({src!r}, {dst!r}) names a node that is not in the graph")
        successors[src].append(dst)
        predecessors[dst].append(src)
    if not any(len(predecessors[k]) > 1 for k, n in graph.nodes.items() if isinstance(n, NEURON_TYPES)):
        chain = _chain(graph)
        layers, path = [], []
        for name in chain[1:-1]:
            if isinstance(graph.nodes[name], NEURON_TYPES):
                if not path:
                    raise NirError(f"{name}: a neuron node needs synapse nodes before it")
                layers.append((name, [path]))
                path = []
            elif isinstance(graph.nodes[name], PATH_TYPES):
                path.append(name)
            else:
                raise NirError(f"{name}: {type(graph.nodes[name]).__name__} nodes are not supported")
        if path:
            raise NirError(f"nodes {path} end the graph without a neuron node")
        return chain[0], layers, chain[-1]
    inputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    outputs = [k for k, n in graph.nodes.items() if isinstance(n, nir.Output)]
    if len(inputs) != 1 or len(outputs) != 1:
        raise NirError(f"the graph needs exactly one Input and one Output node, found inputs {inputs} and outputs {outputs}")
    seen = {outputs[0]}

    def single(name: str, links: dict, what: str) -> str:
        if len(links[name]) != 1:
            raise NirError(f"node {name!r} has {len(links[name])} {what} {links[name]}: only feed-forward chains, "
                           "and parallel branches summed by a neuron node, are supported")
        return links[name][0]

    def visit(name: str) -> None:
        if name in seen:
            raise NirError(f"the graph is cyclic at node {name!r}: recurrent graphs are not supported")
        seen.add(name)

    def is_source(name: str) -> bool:
        return isinstance(graph.nodes[name], (nir.Input, *NEURON_TYPES))

    layers: list[tuple[str, list[list[str]]]] = []
    neuron = single(outputs[0], predecessors, "predecessors")
    while True:
        if not isinstance(graph.nodes[neuron], NEURON_TYPES):
            raise NirError(f"{neuron}: {type(graph.nodes[neuron]).__name__} before the Output, where a neuron node "
                           "must end the last layer")
        visit(neuron)
        branches, forks = [], set()
        for node in predecessors[neuron]:
            branch = []
            while not is_source(node) and len(successors[node]) == 1:
                visit(node)
                branch.insert(0, node)
                node = single(node, predecessors, "predecessors")
            branches.append(branch)
            forks.add(node)
        if not predecessors[neuron] or any(not b for b in branches) and len(branches) > 1:
            raise NirError(f"{neuron}: a neuron node needs synapse nodes before it (on every input)")
        if len(forks) != 1:
            raise NirError(f"{neuron}: its {len(branches)} inputs come from different nodes {sorted(forks)}; parallel "
                           "branches into a neuron node must leave one common node")
        fork = forks.pop()
        if len(successors[fork]) != len(branches):
            raise NirError(f"node {fork!r} has {len(successors[fork])} successors {successors[fork]}, of which "
                           f"{len(branches)} reach {neuron!r}: only feed-forward graphs are supported")
        prefix = []
        node = fork
        while not is_source(node):
            visit(node)
            prefix.insert(0, node)
            node = single(node, predecessors, "predecessors")
            if not is_source(node) and len(successors[node]) != 1:
                single(node, successors, "successors")
        layers.insert(0, (neuron, [prefix + b for b in branches]))
        if isinstance(graph.nodes[node], nir.Input):
            visit(node)
            break
        if node != fork and len(successors[node]) != 1:
            raise NirError(f"node {node!r} has {len(successors[node])} successors {successors[node]}: only feed-forward "
                           "graphs are supported")
        neuron = node
    if len(seen) != len(graph.nodes) or any(predecessors[inputs[0]]) or any(successors[outputs[0]]):
        extra = sorted(set(graph.nodes) - seen)
        raise NirError(f"nodes {extra} are not on a path from Input to Output: only feed-forward graphs are supported")
    return inputs[0], layers, outputs[0]


def _delay_steps(name: str, node: nir.Delay, dt: float, n_in: int) -> np.ndarray:
    """The delay of NIR ``Delay`` node ``name`` in whole steps of ``dt`` ms per (flattened) input."""
    delay = np.asarray(node.delay, dtype=float).ravel()
    if delay.size == 1:
        delay = np.full(n_in, delay[0])
    if delay.size != n_in:
        raise NirError(f"{name}: {delay.size} delays for the layer's {n_in} inputs")
    steps = np.round(delay / dt)
    bad = ~np.isfinite(delay) | (delay < 0) | ~np.isclose(steps * dt, delay, rtol=1e-9, atol=1e-12)
    if bad.any():
        raise NirError(f"{name}: delay {delay[bad][0]} ms is not a whole number >= 0 of steps of dt = {dt} ms")
    return steps.astype(np.int64)


def _path_delay(graph: nir.NIRGraph, path: list[str], dt: float, n_in: int, offset: int
                ) -> tuple[list[str], np.ndarray | None]:
    """(the path's synapse nodes, its extra delay in steps per input beyond the one-step
    synaptic delay, None without Delay nodes). ``offset`` = 1 - ``synaptic_delay_steps``: the
    steps of a Delay that our one-step delivery already holds (1 in a graph with explicit
    delays, ``snn_torch.with_delays``). Delay nodes must come before the path's synapse nodes
    (a delay after them would also delay the bias)."""
    ops, total, delays = [], np.zeros(n_in, dtype=np.int64), []
    for name in path:
        node = graph.nodes[name]
        if isinstance(node, nir.Delay):
            if ops:
                raise NirError(f"{name}: a Delay after the synapse nodes {ops} is not supported: put it before them "
                               "(between the previous neuron node and the weights)")
            total = total + _delay_steps(name, node, dt, n_in)
            delays.append(name)
        elif not isinstance(node, nir.Flatten):
            ops.append(name)
    extra = total - offset
    if np.any(extra < 0):
        raise NirError(f"{(delays or ops or path)[0]}: delay of {int(total.min())} steps before the synapses, but the graph "
                       f"has synaptic_delay_steps = {1 - offset} (explicit delays): every layer needs >= {offset}")
    return ops, (extra if delays else None)


def _uniform(name: str, field: str, value) -> float:
    arr = np.asarray(value, dtype=float)
    if arr.size == 0 or not np.all(arr == arr.flat[0]):
        raise NirError(f"{name}: {field} must be the same for every neuron of the layer (got values from "
                       f"{arr.min() if arr.size else 'none'} to {arr.max() if arr.size else 'none'})")
    return float(arr.flat[0])


def _neuron_params(name: str, node: nir.NIRNode) -> tuple[NeuronParams, float, float, np.ndarray]:
    """(our neuron parameters, the factor folded into the weights, the factor folded into the
    synapse bias, an extra constant drive per neuron in mV/ms) of a NIR neuron node."""
    raw = getattr(node, "metadata", None)
    if isinstance(raw, np.ndarray):  # snnTorch's export stores a dict inside an object array
        raw = raw.item() if raw.size == 1 else None
    meta = {k: _text(v) for k, v in (raw if isinstance(raw, dict) else {}).items()}
    reset = meta.get("reset", "zero")
    if reset not in ("zero", "subtract"):
        raise NirError(f"{name}: metadata reset = {reset!r} must be 'zero' or 'subtract'")
    t_ref = float(meta.get("t_ref", 0.0))
    v_th = _uniform(name, "v_threshold", node.v_threshold)
    if node.v_reset is not None and np.any(np.asarray(node.v_reset) != 0):
        raise NirError(f"{name}: v_reset must be 0 (our neurons reset to 0 mV or by subtraction)")
    try:
        if isinstance(node, nir.IF):
            r = _uniform(name, "r", node.r)
            return NeuronParams(model="if", v_th=v_th, reset=reset, t_ref=t_ref, tau_syn=0.0), r, r, 0.0
        if isinstance(node, nir.LIF):
            tau, r = _uniform(name, "tau", node.tau), _uniform(name, "r", node.r)
            drive = np.asarray(node.v_leak, dtype=float).ravel() / tau
            return (NeuronParams(model="lif", v_th=v_th, reset=reset, t_ref=t_ref, tau_m=tau, tau_syn=0.0),
                    r / tau, r / tau, drive)
        if isinstance(node, nir.CubaLIF):
            tau_syn, tau_mem = _uniform(name, "tau_syn", node.tau_syn), _uniform(name, "tau_mem", node.tau_mem)
            r, w_in = _uniform(name, "r", node.r), _uniform(name, "w_in", node.w_in)
            drive = np.asarray(node.v_leak, dtype=float).ravel() / tau_mem
            return (NeuronParams(model="lif", v_th=v_th, reset=reset, t_ref=t_ref, tau_m=tau_mem, tau_syn=tau_syn),
                    (r / tau_mem) * (w_in / tau_syn), float("nan"), drive)
    except ValueError as err:
        if isinstance(err, NirError):
            raise
        raise NirError(f"{name}: {err}") from None
    raise NirError(f"{name}: {type(node).__name__} is not a supported neuron node (IF, LIF, CubaLIF)")


def _snntorch_neuron(name: str, node: nir.NIRNode, p: NeuronParams, dt: float
                     ) -> tuple[NeuronParams, float, float, np.ndarray]:
    """A LIF node written by snnTorch (forward Euler at ``SNNTORCH_DT``: ``beta = 1 - SNNTORCH_DT / tau``,
    an input held for one step, gain ``r SNNTORCH_DT / tau``, added after the leak) as our neuron
    stepped at ``dt`` ms: ``tau_m = -dt / ln(beta)`` (so our leak per step is ``beta``), weights
    times ``gain / beta`` (our input arrives before the leak), a synapse bias per step ``gain b``
    (so times ``gain / c_b``)."""
    if not isinstance(node, nir.LIF):
        raise NirError(f"{name}: the snntorch convention reads LIF nodes (snn.Leaky) only, not {type(node).__name__}")
    tau, r = _uniform(name, "tau", node.tau), _uniform(name, "r", node.r)
    if np.any(np.asarray(node.v_leak, dtype=float) != 0):
        raise NirError(f"{name}: v_leak must be 0 in the snntorch convention (snn.Leaky has no leak potential)")
    beta = 1.0 - SNNTORCH_DT / tau
    if not 0.0 < beta < 1.0:
        raise NirError(f"{name}: tau = {tau} gives beta = 1 - {SNNTORCH_DT} / tau = {beta}, outside (0, 1)")
    gain = r * SNNTORCH_DT / tau
    ours = NeuronParams(**{**p.model_dump(), "tau_m": float(-dt / np.log(beta))})
    c_b = ours.tau_m * (1.0 - beta)
    return ours, gain / beta, gain / c_b, np.zeros(np.size(node.v_threshold))


def _layer(i: int, names: list[str], ops: list[nir.NIRNode], neuron_name: str, weight_factor: float,
           bias_factor: float, drive: np.ndarray, in_shape: tuple[int, ...]):
    """Our layer from the synapse nodes ``ops`` (after Flatten nodes are dropped)."""
    kinds = [type(op).__name__ for op in ops]
    where = f"{neuron_name} (nodes {names})"

    def synapse_bias(bias) -> np.ndarray | None:
        if bias is None:
            return None
        bias = np.asarray(bias, dtype=float)
        if np.isnan(bias_factor):
            if np.any(bias != 0):
                raise NirError(f"{names[0]}: a bias into a CubaLIF synapse is low-pass filtered by it, which our "
                               "neurons cannot express exactly: put a constant drive into v_leak instead")
            return np.zeros_like(bias)
        return bias * bias_factor

    if kinds in (["Affine"], ["Linear"]):
        op = ops[0]
        weight = np.asarray(op.weight, dtype=float)
        if weight.ndim != 2 or weight.shape[1] != int(np.prod(in_shape)):
            raise NirError(f"{names[0]}: weight shape {weight.shape} does not take the {int(np.prod(in_shape))} "
                           f"inputs of shape {in_shape}")
        bias = synapse_bias(getattr(op, "bias", None))
        bias = np.zeros(weight.shape[0]) if bias is None else bias
        return Dense(weight * weight_factor, bias + drive)
    if kinds == ["Conv2d"]:
        op = ops[0]
        stride, padding = np.atleast_1d(op.stride), np.atleast_1d(op.padding)
        if isinstance(op.padding, str):
            raise NirError(f"{names[0]}: padding {op.padding!r} is not supported: give it as integers")
        if len(set(stride.tolist())) != 1 or len(set(padding.tolist())) != 1:
            raise NirError(f"{names[0]}: stride {stride.tolist()} and padding {padding.tolist()} must be equal along "
                           "both axes")
        if np.any(np.atleast_1d(op.dilation) != 1) or int(op.groups) != 1:
            raise NirError(f"{names[0]}: dilation {np.atleast_1d(op.dilation).tolist()} and groups {op.groups} must be 1")
        weight = np.asarray(op.weight, dtype=float)
        bias = synapse_bias(op.bias)
        bias = np.zeros(weight.shape[0]) if bias is None else np.broadcast_to(bias, (weight.shape[0],)).astype(float)
        layer = Conv2d(weight * weight_factor, bias, stride=int(stride[0]), padding=int(padding[0]))
        if np.ndim(drive) and np.any(drive != 0):
            per_channel = np.asarray(drive).reshape(weight.shape[0], -1)
            if not np.all(per_channel == per_channel[:, :1]):
                raise NirError(f"{where}: v_leak must be the same within each channel of a convolution")
            layer = Conv2d(layer.weight, layer.bias + per_channel[:, 0], stride=layer.stride, padding=layer.padding)
        return layer
    if kinds in (["AvgPool2d"], ["SumPool2d"], ["SumPool2d", "Scale"], ["AvgPool2d", "Scale"]):
        op = ops[0]
        kernel, stride = np.atleast_1d(op.kernel_size), np.atleast_1d(op.stride)
        if len(set(kernel.tolist())) != 1 or not np.array_equal(np.broadcast_to(stride, kernel.shape), kernel) \
                or np.any(np.atleast_1d(op.padding) != 0):
            raise NirError(f"{names[0]}: only non-overlapping square pooling is supported (kernel = stride, padding 0); "
                           f"got kernel {kernel.tolist()}, stride {stride.tolist()}, padding {np.atleast_1d(op.padding).tolist()}")
        k = int(kernel[0])
        scale = 1.0 if kinds[0] == "AvgPool2d" else float(k * k)
        if len(ops) == 2:
            scale *= _uniform(names[1], "scale", ops[1].scale)
        if np.ndim(drive) and np.any(drive != 0):
            raise NirError(f"{where}: a pooling layer's neurons cannot have a constant drive (v_leak) here")
        return AvgPool2d(k, scale * weight_factor)
    raise NirError(f"{where}: the synapse chain {kinds} is not supported (Affine, Linear, Conv2d, AvgPool2d, "
                   "SumPool2d [-> Scale], each optionally after Flatten)")


def _delayed_layer(graph: nir.NIRGraph, i: int, paths: list[list[str]], neuron_name: str, weight_factor: float,
                   bias_factor: float, drive: np.ndarray, in_shape: tuple[int, ...], dt: float, offset: int):
    """Our layer from the paths into neuron node ``neuron_name`` (:func:`_segments`): one path is
    the chain :func:`_layer` reads, with a ``Dense.delay`` when it passes ``Delay`` nodes; several
    paths must each hold one ``Affine``/``Linear``, summed into one ``Dense`` whose delay is each
    synapse's branch's (:func:`_path_delay`), and must not share a synapse."""
    n_in = int(np.prod(in_shape))
    read = [_path_delay(graph, path, dt, n_in, offset) for path in paths]
    if len(paths) == 1:
        (ops, extra), = read
        layer = _layer(i, ops, [graph.nodes[k] for k in ops], neuron_name, weight_factor, bias_factor, drive, in_shape)
        if extra is None or (not extra.any() and (offset or not isinstance(layer, Dense))):
            return layer  # no Delay node, or only the explicit convention's shift, or a zero delay before a Conv
        delays = [k for k in paths[0] if isinstance(graph.nodes[k], nir.Delay)]
        if not isinstance(layer, Dense):
            raise NirError(f"{delays[0]}: a delay of {int(extra.max())} steps before a {type(graph.nodes[ops[0]]).__name__} "
                           "layer: only Dense (Affine/Linear) layers carry synaptic delays")
        delay = np.where(layer.weight != 0, extra[None, :], 0)
        return Dense(layer.weight, layer.bias, delay=delay)
    weight = bias = delay = None
    owner = None
    for b, (path, (ops, extra)) in enumerate(zip(paths, read)):
        kinds = [type(graph.nodes[k]).__name__ for k in ops]
        if kinds not in (["Affine"], ["Linear"]):
            raise NirError(f"{(ops or path or [neuron_name])[0]}: a branch into {neuron_name} holds {kinds or 'no synapse'}: "
                           "parallel branches must each be [Delay ->] Affine or Linear")
        part = _layer(i, ops, [graph.nodes[ops[0]]], neuron_name, weight_factor, bias_factor,
                      drive if b == 0 else 0.0, in_shape)
        extra = np.zeros(n_in, dtype=np.int64) if extra is None else extra
        nonzero = part.weight != 0
        if weight is None:
            weight, bias, delay = np.zeros_like(part.weight), np.zeros_like(part.bias), np.zeros(part.weight.shape, np.int64)
            owner = np.full(part.weight.shape, -1)
        clash = nonzero & (owner >= 0)
        if clash.any():
            post, pre = (int(a[0]) for a in np.nonzero(clash))
            raise NirError(f"{ops[0]}: the synapse from input {pre} to neuron {post} of {neuron_name} is also in branch "
                           f"{read[owner[post, pre]][0][0]}: parallel branches must not overlap")
        owner[nonzero] = b
        weight = weight + part.weight
        bias = bias + part.bias
        delay = np.where(nonzero, extra[None, :], delay)
    if offset and not delay.any():
        return Dense(weight, bias)
    return Dense(weight, bias, delay=delay)


def from_nir(graph: nir.NIRGraph, dt: float | None = None, convention: str = "neurobench",
             reset: str | None = None) -> Network:
    """Our :class:`~neurobench.network.Network` of a feed-forward NIR graph, to be simulated with
    time step ``dt`` ms (default: the graph's ``metadata['dt']``; giving a different one is an
    error, and a graph without one needs it).

    ``convention``: "neurobench" reads NIR's continuous-time equations exactly (a spike is an
    impulse: weight gain ``r / tau``); "snntorch" reads a graph written by snnTorch's
    ``export_to_nir`` as the discrete network snnTorch runs (:func:`_snntorch_neuron`: forward
    Euler at ``SNNTORCH_DT``, an input held for one step, weight gain ``r dt / tau``), one
    snnTorch step per step of ``dt`` ms (default 1 ms; such graphs carry no ``dt``). What stays
    different is our schedule: a spike reaches the next layer one step later, reset to zero
    drops the input of the spike step, reset by subtraction happens before the leak
    (``docs/interop.md``). ``reset`` ("zero" or "subtract") overrides every neuron's reset, for
    graphs that do not state it (snnTorch writes ``v_reset = 0`` whatever its reset mechanism).

    Each layer is a chain of synapse nodes ending in an ``IF``, ``LIF`` or ``CubaLIF`` node whose
    parameters are uniform over the layer; ``r``, ``tau`` and ``w_in`` are folded into the
    weights and ``v_leak`` into the bias. Synaptic delays: parallel ``[Delay ->] Affine/Linear``
    branches into one neuron node (or a ``Delay`` in the chain before an ``Affine``/``Linear``)
    become one ``Dense`` with ``delay`` = each synapse's branch delay / ``dt`` minus
    ``1 - synaptic_delay_steps`` (metadata, default 1: ours; 0: ``with_delays``' explicit
    one-step shift, which then reads as no delay). Raises :class:`NirError` naming the node for
    anything else (unsupported node, cycle, branch, mismatched shapes, missing ``dt``, a delay not
    a whole number of steps, overlapping branches, a ``Delay`` after the weights or before a
    convolution or pooling)."""
    if convention not in CONVENTIONS:
        raise NirError(f"convention = {convention!r} must be one of {CONVENTIONS}")
    if reset not in (None, "zero", "subtract"):
        raise NirError(f"reset = {reset!r} must be None (the graph's), 'zero' or 'subtract'")
    stored = _text((graph.metadata or {}).get("dt")) if isinstance(graph.metadata, dict) else None
    if convention == "snntorch" and dt is None and stored is None:
        dt = 1.0
    if dt is None and stored is None:
        raise NirError("the graph has no metadata 'dt' (NIR graphs are continuous-time): pass dt in ms")
    if dt is not None and stored is not None and not np.isclose(float(dt), float(stored)):
        raise NirError(f"dt = {dt} ms differs from the graph's metadata dt = {float(stored)} ms")
    dt = float(stored if dt is None else dt)
    raw_steps = _text(graph.metadata.get("synaptic_delay_steps", SYNAPTIC_DELAY_STEPS)) \
        if isinstance(graph.metadata, dict) else SYNAPTIC_DELAY_STEPS
    if raw_steps not in (0, 1):
        raise NirError(f"metadata synaptic_delay_steps = {raw_steps!r} must be 0 (explicit Delay nodes) or 1 (ours)")
    offset = 1 - int(raw_steps)
    first, segments, last = _segments(graph)
    input_shape = tuple(int(s) for s in np.atleast_1d(graph.nodes[first].input_type["input"]))
    layers, neurons, shape = [], [], input_shape
    for name, paths in segments:
        node = graph.nodes[name]
        p, weight_factor, bias_factor, drive = _neuron_params(name, node)
        if reset is not None:
            p = NeuronParams(**{**p.model_dump(), "reset": reset})
        if convention == "snntorch":
            p, weight_factor, bias_factor, drive = _snntorch_neuron(name, node, p, dt)
        for path in paths:
            for op in path:
                if not isinstance(graph.nodes[op], PATH_TYPES):
                    raise NirError(f"{op}: {type(graph.nodes[op]).__name__} nodes are not supported")
        try:
            layer = _delayed_layer(graph, len(layers), paths, name, weight_factor, bias_factor, drive, shape, dt,
                                   offset)
            shape = layer.output_shape(shape)
        except NirError:
            raise
        except ValueError as err:
            raise NirError(f"{name} (nodes {sum(paths, [])}): {err}") from None
        neuron_shape = tuple(int(s) for s in np.shape(node.v_threshold))
        if neuron_shape and int(np.prod(neuron_shape)) != int(np.prod(shape)):
            raise NirError(f"{name}: {int(np.prod(neuron_shape))} neurons, but its synapses give {int(np.prod(shape))} "
                           f"outputs of shape {shape}")
        layers.append(layer)
        neurons.append(p)
    if not layers:
        raise NirError("the graph has no layers between Input and Output")
    out_shape = tuple(int(s) for s in np.atleast_1d(graph.nodes[last].output_type["output"]))
    if int(np.prod(out_shape)) != int(np.prod(shape)):
        raise NirError(f"{last}: output shape {out_shape} does not match the last layer's {shape}")
    return Network(input_shape, tuple(layers), tuple(neurons))
