"""Temporal BPTT training: Spiking Recurrent Cell vs the snnTorch LIF baseline, samples per second.

    .venv/bin/python benchmarks/temporal.py           # full run (about a minute)
    .venv/bin/python benchmarks/temporal.py --quick   # tiny sizes, checks the script works

One optimiser step (forward over T steps, backward through time, Adam) of
``neurobench.models.src.SRCNet`` and ``neurobench.models.lif.LIFNet`` (same sizes, same
readout), float32, torch on one thread (the harness's determinism setting), on random Bernoulli
input frames of the SRC stage's shape (64 inputs, 10 silent + 30 stimulus steps by default).
Cases: the shallow 64-100-10 and the 4-hidden-layer net of ``params.yaml``'s ``src`` section,
batch 64. Reported: training samples per second (best of repeats), peak traced memory of one
step (Python allocations of tensors are not traced: read the process's peak RSS below it).

Delay layer (issue 12 Part B): forward + backward of one multi-tap projection
``neurobench.models.delays.DelayLinear`` (a causal convolution in time, dilation = stride)
against a naive per-tap implementation (one shifted product per tap, summed), same weights, for the SHD-like
``delay=(150, 6)`` (25 taps) on 48 -> 48 neurons and the delay stage's ``(13, 1)`` on 64 -> 32,
T = 50 steps, batch 64: time per forward+backward, throughput in samples/s, speed-up, and the
largest difference between the two outputs (they compute the same sum).
"""

from __future__ import annotations

import numpy as np
import torch
from harness import arg_parser, best_of, machine, memory_line, print_table, progress, traced_peak

from neurobench.models.delays import DelayLinear, DelayParams
from neurobench.models.lif import LIFNet
from neurobench.models.src import SRCNet, SRCParams
from neurobench.training.common import single_thread


def one_step(model, x, y, opt) -> None:
    loss = torch.nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if hasattr(model, "clamp_"):
        model.clamp_()


def naive_delay_forward(layer: DelayLinear, s: torch.Tensor) -> torch.Tensor:
    """The same projection tap by tap: sum_k shift(s, d_k) @ W_k^T (zeros before the start)."""
    w = layer.effective_weight()
    out = torch.zeros(s.shape[0], s.shape[1], w.shape[0], dtype=s.dtype)
    for k, d in enumerate(layer.taps.tolist()):
        shifted = torch.nn.functional.pad(s, (0, 0, d, 0))[:, : s.shape[1]]
        out = out + shifted @ w[:, :, k].T
    return out


def delay_rows(quick: bool, repeats: int) -> list[dict]:
    """Forward + backward of ``DelayLinear`` vs the naive per-tap loop (module docstring)."""
    batch, n_steps = (8, 12) if quick else (64, 50)
    cases = {"48->48, delay=(150,6)": (48, 48, DelayParams(max_delay=150, stride=6)),
             "64->32, delay=(13,1)": (64, 32, DelayParams(max_delay=13, stride=1))}
    rows = []
    gen = torch.Generator().manual_seed(1)
    for name, (n_in, n_out, delay) in cases.items():
        layer = DelayLinear(n_in, n_out, delay, generator=gen)
        s = (torch.rand(batch, n_steps, n_in, generator=gen) < 0.1).float()
        with torch.no_grad():
            diff = float((layer(s) - naive_delay_forward(layer, s)).abs().max())
        for impl, fwd in (("DelayLinear (dilated conv1d)", layer), ("naive per-tap loop",
                                                                    lambda x, m=layer: naive_delay_forward(m, x))):
            progress(f"delay {name} {impl}")

            def step(f=fwd):
                layer.weight.grad = None
                f(s).square().sum().backward()

            t = best_of(step, repeats, warmup=1)
            rows.append({"projection": name, "taps": delay.n_taps, "implementation": impl, "T (steps)": n_steps,
                         "batch": batch, "fwd+bwd (s)": t.seconds, "samples/s": batch / t.seconds,
                         "max |difference|": diff})
    by = {(r["projection"], r["implementation"]): r for r in rows}
    for r in rows:
        r["speed-up vs naive"] = by[(r["projection"], "naive per-tap loop")]["fwd+bwd (s)"] / r["fwd+bwd (s)"]
    return rows


def main() -> None:
    args = arg_parser(__doc__).parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    batch, n_steps = (8, 12) if args.quick else (64, 40)
    widths = {"64-100-10": (100,), "64-4x100-10": (100, 100, 100, 100)}
    if args.quick:
        widths = {"64-16-10": (16,), "64-4x16-10": (16, 16, 16, 16)}
    print(machine("torch", "snntorch", cpus_used="torch on 1 thread"))
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(batch, n_steps, 64, generator=gen) < 0.25).float()
    y = torch.from_numpy(np.arange(batch) % 10)
    rows = []
    with single_thread():
        for name, hidden in widths.items():
            for kind in ("SRC", "LIF"):
                progress(f"{kind} {name}")
                model = (SRCNet(64, hidden, 10, SRCParams(relu_bypass=True), generator=gen) if kind == "SRC"
                         else LIFNet(64, hidden, 10, generator=gen))
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                t = best_of(lambda m=model, o=opt: one_step(m, x, y, o), repeats, warmup=1)
                _, peak = traced_peak(lambda m=model, o=opt: one_step(m, x, y, o))
                rows.append({"network": name, "neuron": kind, "T (steps)": n_steps, "batch": batch,
                             "step (s)": t.seconds, "samples/s": batch / t.seconds, "traced peak, Python only (MB)": peak / 1e6})
    by = {(r["network"], r["neuron"]): r for r in rows}
    for r in rows:
        r["SRC / LIF time"] = by[(r["network"], "SRC")]["step (s)"] / by[(r["network"], "LIF")]["step (s)"]
    print_table(rows)
    with single_thread():
        print_table(delay_rows(args.quick, repeats))
    print(memory_line())


if __name__ == "__main__":
    main()
