"""Every NeuroBench metric, ours against NeuroBench 2.3.0 itself, on the same spike trains.

    .venv/bin/python benchmarks/neurobench_crosscheck.py            # prints the table
    .venv/bin/python benchmarks/neurobench_crosscheck.py --write    # also writes neurobench_crosscheck.md

Not part of CI and not run by the tests (it builds a virtual environment). PyPI's ``neurobench``
installs the same import name as this package, so it can never share our environment: the
script creates a separate one (``--venv``, default ``/tmp/neurobench-2.3.0-venv``) with
``neurobench==2.3.0`` and ``snntorch==1.0.0`` installed ``--no-deps`` next to a CPU build of
torch (the local wheel of our torch version, found in the pip find-links directories; never a
CUDA download), numpy and tqdm. NeuroBench's other hard dependencies (torchaudio, tonic, numba,
llvmlite) serve its data sets and pre-processors, which the metrics never import.

Two networks with random weights and no biases, IF neurons (reset by subtraction, v_th = 1 mV,
0.99 mV behind the pooling so that no potential equals the threshold, delta synapses), Bernoulli input spikes (two batches, one sample silent): (a) a dense 64-32-10
net, (b) a conv net 1x8x8 -> Conv2d 4@3x3 (padding 1) -> AvgPool2d 2 -> Dense 10, each layer
followed by its spiking population. In the separate environment the same weights become an
snnTorch ``nn.Sequential`` (``Linear``/``Conv2d``/``AvgPool2d``, each followed by
``snn.Leaky(beta=1)``), run by NeuroBench's ``Benchmark`` with ``SNNTorchModel`` and
``ChooseMaxCount``; its results and the spike trains of every layer come back as JSON/npz.

Ours, per network: "ours (neurobench)" = ``convention="neurobench"`` on the clock simulator's
run of ``pad_input(x, L)`` aligned by ``zero_delay_record`` (``docs/metrics.md``);
"ours (workbench)" = the default convention on a native run of the same ``T`` steps (one step of
delay per layer, so the last layers' final spikes fall outside the run). "spikes identical"
compares every layer's aligned spike train with snnTorch's.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from neurobench import metrics
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.sim.clock import simulate

NB_VERSION = metrics.NEUROBENCH_VERSION
SNNTORCH_VERSION = "1.0.0"
BATCH, BATCHES, T, SEED = 16, 2, 25, 7
NEURONS = NeuronParams(model="if", v_th=1.0, reset="subtract")
# Pooled inputs arrive in quarters (1/k**2): with v_th = 1 a potential would hit the threshold
# exactly, where ours (v >= v_th) and snnTorch (mem > v_th) differ by definition; 0.99 stays
# >= 0.01 mV away from every reachable potential in 25 steps.
POOL_NEURONS = NeuronParams(model="if", v_th=0.99, reset="subtract")

CHILD = r'''
import json, sys
import numpy as np, torch, snntorch as snn
from torch import nn
from neurobench.benchmarks import Benchmark
from neurobench.models import SNNTorchModel
from neurobench.processors.postprocessors import ChooseMaxCount
from neurobench.metrics.static import Footprint, ParameterCount, ConnectionSparsity
from neurobench.metrics.workload import (ActivationSparsity, ActivationSparsityByLayer,
    ClassificationAccuracy, MembraneUpdates, NeuronOperations, SynapticOperations)

torch.manual_seed(0)
case = np.load(sys.argv[1])
layers, kinds = [], [str(k) for k in case["kinds"]]
leaky = lambda last, th: snn.Leaky(beta=1.0, threshold=th, reset_mechanism="subtract",
                                   init_hidden=True, output=last)
for i, kind in enumerate(kinds):
    last, th = i == len(kinds) - 1, float(case["v_th"][i])
    if kind == "dense":
        w = torch.tensor(case[f"w{i}"], dtype=torch.float32)
        if i == 0 or kinds[i - 1] != "dense":
            layers.append(nn.Flatten())
        lin = nn.Linear(w.shape[1], w.shape[0], bias=False)
        lin.weight.data = w
        layers += [lin, leaky(last, th)]
    elif kind == "conv":
        w = torch.tensor(case[f"w{i}"], dtype=torch.float32)
        conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], padding=int(case[f"pad{i}"]), bias=False)
        conv.weight.data = w
        layers += [conv, leaky(last, th)]
    else:
        layers += [nn.AvgPool2d(int(case[f"k{i}"])), leaky(last, th)]
net = nn.Sequential(*layers)
x = torch.tensor(case["x"], dtype=torch.float32)
y = torch.tensor(case["y"], dtype=torch.int64)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=int(case["batch"]))
bench = Benchmark(SNNTorchModel(net), loader, [], [ChooseMaxCount()],
                  [[Footprint, ParameterCount, ConnectionSparsity],
                   [ClassificationAccuracy, ActivationSparsity, ActivationSparsityByLayer,
                    SynapticOperations, MembraneUpdates, NeuronOperations]])
results = bench.run(quiet=True)

# the spike trains of every neuron module, recorded by our own hooks on a fresh pass
trains = {}
neurons = [m for m in net if isinstance(m, snn.SpikingNeuron)]
def keep(j):
    def hook(module, inputs, out):
        spk = out[0] if isinstance(out, tuple) else out
        trains.setdefault(j, []).append(spk.detach().reshape(spk.shape[0], -1).numpy().copy())
    return hook
for j, m in enumerate(neurons):
    m.register_forward_hook(keep(j))
with torch.no_grad():
    snn.utils.reset(net)
    for t in range(x.shape[1]):
        net(x[:, t])
np.savez(sys.argv[3], **{f"s{j}": np.stack(v, axis=1) for j, v in trains.items()})
json.dump({k: (dict(v) if isinstance(v, dict) else v) for k, v in results.items()},
          open(sys.argv[2], "w"), indent=1)
'''


def find_torch_wheel() -> str:
    """The local CPU wheel of our torch version in the pip find-links directories."""
    import torch

    version = torch.__version__
    dirs = os.environ.get("PIP_FIND_LINKS", "").split() + ["/opt/wheels"]
    for d in dirs:
        for path in sorted(glob.glob(os.path.join(d, f"torch-{version.replace('+', '[+]')}-*.whl"))):
            return path
    raise SystemExit(f"no local wheel torch-{version}-*.whl in {dirs}: put the CPU wheel of our torch "
                     "there (a plain `pip install torch` on Linux downloads the CUDA build)")


def ensure_venv(venv: Path) -> Path:
    """Create ``venv`` with NeuroBench 2.3.0 unless it already imports; returns its python."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", f"import neurobench, snntorch; assert neurobench.__version__ == '{NB_VERSION}'"]
    # from outside our checkout: `python -c` puts the working directory first on sys.path
    outside = {"cwd": tempfile.gettempdir(), "env": {**os.environ, "PYTHONPATH": ""}}
    if python.exists() and subprocess.run(probe, capture_output=True, **outside).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run(pip + [find_torch_wheel()], check=True)
    subprocess.run(pip + ["--no-deps", "--no-warn-conflicts", f"neurobench=={NB_VERSION}",
                          f"snntorch=={SNNTORCH_VERSION}"], check=True)
    subprocess.run(pip + [f"numpy=={np.__version__}", "tqdm"], check=True)
    subprocess.run(probe, check=True, **outside)
    return python


def float32_weights(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    """He-scaled normal weights, rounded to float32 so torch and numpy hold the same values."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32).astype(np.float64)


def networks() -> dict[str, Network]:
    rng = np.random.default_rng(SEED)
    dense = Network((64,), (Dense(1.2 * float32_weights(rng, (32, 64), 64)),
                            Dense(1.5 * float32_weights(rng, (10, 32), 32))), NEURONS)
    conv_w = float32_weights(rng, (4, 1, 3, 3), 9)
    conv_w[conv_w < -0.6] = 0.0  # a few zero weights: connection sparsity and fan-out see them
    conv = Network((1, 8, 8), (Conv2d(2.0 * conv_w, None, padding=1), AvgPool2d(2),
                               Dense(2.0 * float32_weights(rng, (10, 64), 64))), (NEURONS, POOL_NEURONS, NEURONS))
    return {"dense 64-32-10": dense, "conv 1x8x8-c4-pool2-10": conv}


def case_file(net: Network, x: np.ndarray, y: np.ndarray, path: Path) -> None:
    arrays = {"x": x.astype(np.float32), "y": y, "batch": BATCH,
              "v_th": np.array([p.v_th for p in net.neurons], dtype=np.float32)}
    kinds = []
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Dense):
            kinds.append("dense")
            arrays[f"w{i}"] = layer.weight.astype(np.float32)
        elif isinstance(layer, Conv2d):
            kinds.append("conv")
            arrays[f"w{i}"], arrays[f"pad{i}"] = layer.weight.astype(np.float32), layer.padding
        else:
            kinds.append("pool")
            arrays[f"k{i}"] = layer.kernel_size
    np.savez(path, kinds=np.array(kinds), **arrays)


def ours(net: Network, x: np.ndarray, y: np.ndarray) -> tuple[dict, dict, list[np.ndarray]]:
    """Our metrics: NeuroBench convention on the aligned padded run, workbench on a native run."""
    n_layers = len(net.layers)
    padded = simulate(net, metrics.pad_input(x, n_layers), record_spikes=True, record_v=True)
    rec = metrics.zero_delay_record(padded, net, x.shape[1])
    native = simulate(net, x, record_spikes=True, record_v=True)
    values = {}
    for name, r, conv in (("neurobench", rec, "neurobench"), ("workbench", native, "workbench")):
        syn = metrics.synaptic_operations(r, net, convention=conv)
        ops = metrics.neuron_operations(r, net)
        values[name] = {
            "Footprint": metrics.footprint(net, convention=conv),
            "ParameterCount": metrics.parameter_count(net, conv),
            "ConnectionSparsity": metrics.connection_sparsity(net, conv),
            "ClassificationAccuracy": metrics.classification_accuracy(metrics.predict(r, convention=conv), y),
            "ActivationSparsity": metrics.activation_sparsity(r),
            **{f"ActivationSparsityByLayer[{i}]": v for i, v in enumerate(metrics.activation_sparsity_by_layer(r))},
            "Effective_MACs": syn["Effective_MACs"],
            "Effective_ACs": syn["Effective_ACs"],
            "Dense": syn["Dense"],
            "MembraneUpdates": metrics.membrane_updates(r)["total"],
            "Effective Neuron Ops": ops["Effective Neuron Ops"],
            "Neuron Dense Ops": ops["Neuron Dense Ops"],
        }
    trains = [layer.spikes.reshape(layer.spikes.shape[0], layer.spikes.shape[1], -1) for layer in rec.layers]
    return values["neurobench"], values["workbench"], trains


def theirs(python: Path, net: Network, x: np.ndarray, y: np.ndarray, tmp: Path) -> tuple[dict, list[np.ndarray]]:
    case, out, spikes, child = tmp / "case.npz", tmp / "results.json", tmp / "spikes.npz", tmp / "child.py"
    case_file(net, x, y, case)
    child.write_text(CHILD)
    # run from the temporary directory: our checkout must not shadow the other `neurobench`
    subprocess.run([str(python), str(child), str(case), str(out), str(spikes)], check=True, cwd=tmp,
                   env={**os.environ, "PYTHONPATH": ""})
    res = json.loads(out.read_text())
    flat = {k: v for k, v in res.items() if not isinstance(v, dict)}
    for i, v in enumerate(res["ActivationSparsityByLayer"].values()):
        flat[f"ActivationSparsityByLayer[{i}]"] = v
    flat.update(res["SynapticOperations"])
    flat.update(res["NeuronOperations"])
    z = np.load(spikes)
    return flat, [z[f"s{j}"] for j in range(len(net.layers))]


def fmt(v) -> str:
    if isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1):
        return f"{int(v)}"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def table(name: str, nb: dict, wb: dict, th: dict, same_trains: bool) -> list[str]:
    lines = [f"### {name}", "", f"Spike trains of every layer identical after alignment: **{same_trains}**", "",
             f"| metric | ours (neurobench) | ours (workbench, native run) | NeuroBench {NB_VERSION} | equal |",
             "|---|---|---|---|---|"]
    for key in nb:
        equal = np.isclose(nb[key], th[key], rtol=1e-12, atol=0.0)
        lines.append(f"| {key} | {fmt(nb[key])} | {fmt(wb[key])} | {fmt(th[key])} | {'yes' if equal else '**no**'} |")
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / f"neurobench-{NB_VERSION}-venv")
    parser.add_argument("--write", action="store_true", help="write benchmarks/neurobench_crosscheck.md")
    args = parser.parse_args()
    python = ensure_venv(args.venv)
    rng = np.random.default_rng(SEED + 1)
    lines = [f"# NeuroBench {NB_VERSION} cross-check", "",
             "Written by `benchmarks/neurobench_crosscheck.py --write` (see its docstring and "
             "`docs/metrics.md`). Batch "
             f"{BATCH} x {BATCHES} batches, T = {T} steps, Bernoulli input (p = 0.2, sample 0 silent, "
             f"label 0), random labels, snnTorch {SNNTORCH_VERSION}, torch CPU.", ""]
    all_equal = True
    for name, net in networks().items():
        x = (rng.random((BATCH * BATCHES, T) + net.input_shape) < 0.2).astype(np.float64)
        x[0] = 0.0
        y = rng.integers(0, net.sizes[-1], BATCH * BATCHES)
        y[0] = 0  # the silent sample: NeuroBench's argmax predicts class 0, our decoder abstains
        nb, wb, our_trains = ours(net, x, y)
        with tempfile.TemporaryDirectory() as tmp:
            th, their_trains = theirs(python, net, x, y, Path(tmp))
        same = all(np.array_equal(a.astype(bool), b.astype(bool)) for a, b in zip(our_trains, their_trains))
        lines += table(name, nb, wb, th, same)
        all_equal &= same and all(np.isclose(nb[k], th[k], rtol=1e-12, atol=0.0) for k in nb)
    lines.append(f"All metrics equal in the neurobench convention: **{all_equal}**")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(__file__).with_name("neurobench_crosscheck.md").write_text(text)


if __name__ == "__main__":
    main()
