"""Wireless links: channel throughput and the NeuroJSCC chain's training and inference speed.

    .venv/bin/python benchmarks/wireless.py           # full run (about a minute)
    .venv/bin/python benchmarks/wireless.py --quick   # tiny sizes, checks the script works

Channel: ``neurobench.wireless.channel.transmit`` (multipath, AWGN, rake) on batches of symbols,
channel uses per second, for L = 1, 3 and 8 taps; BPSK's measured bit error rate on a flat
channel beside ``Q(sqrt(2 Eb/N0))``. Chain: ``NeuroJSCC`` at the stage's default sizes (288 saccade
inputs, 64 + 32 encoder, 64 decoder, 30 steps) on random Bernoulli inputs, samples per second
for one training step (forward with the channel, backward, Adam) and for inference through the
channel (``decode_over_time``). torch runs on one thread. Timings on a shared machine vary: best
of repeats.
"""

from __future__ import annotations

import numpy as np
import torch
from harness import arg_parser, best_of, machine, memory_line, print_table

from neurobench.wireless.channel import ChannelParams, bpsk_ber, draw_taps, transmit
from neurobench.wireless.jscc import NeuroJSCC, NeuroJSCCParams, decode_over_time


def channel_rows(quick: bool, repeats: int) -> list[dict]:
    batch, n = (16, 1000) if quick else (256, 4000)
    rows = []
    for taps in (1, 3, 8):
        p = ChannelParams(n_taps=taps)
        gen = torch.Generator().manual_seed(0)
        x = (torch.rand((batch, n), generator=gen) < 0.2).double()
        h = draw_taps(p, batch, gen)
        t = best_of(lambda: transmit(x, h, 8.0, gen), repeats)
        rows.append({"taps": taps, "symbols": batch * n, "s": t.seconds, "channel uses / s": batch * n / t.seconds})
    return rows


def ber_rows(quick: bool) -> list[dict]:
    n = 20_000 if quick else 1_000_000
    gen = torch.Generator().manual_seed(1)
    bits = torch.randint(0, 2, (1, n), generator=gen)
    h = draw_taps(ChannelParams(n_taps=1, fading="none"), 1, gen)
    rows = []
    for snr in (0.0, 4.0, 8.0):
        ber = float(((transmit(2.0 * bits.double() - 1.0, h, snr, gen) > 0).long() != bits).double().mean())
        rows.append({"Eb/N0 (dB)": snr, "bits": n, "BER measured": ber, "Q(sqrt(2 Eb/N0))": float(bpsk_ber(snr))})
    return rows


def chain_rows(quick: bool, repeats: int) -> list[dict]:
    batch, steps, n_in = (16, 10, 288) if quick else (64, 30, 288)
    model = NeuroJSCC(n_in, 10, NeuroJSCCParams(), ChannelParams(), 8.0, torch.Generator().manual_seed(0), 1)
    gen = torch.Generator().manual_seed(2)
    x = (torch.rand((batch, steps, n_in), generator=gen) < 0.05).float()
    y = torch.randint(0, 10, (batch,), generator=gen)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_step():
        model.train()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    t_train = best_of(train_step, repeats, warmup=1)
    xn = x.numpy().astype(np.uint8)
    t_inf = best_of(lambda: decode_over_time(model, xn, 8.0, 0), repeats, warmup=1)
    return [{"path": "train step (forward + channel + backward + Adam)", "batch": batch, "steps": steps,
             "s": t_train.seconds, "samples / s": batch / t_train.seconds},
            {"path": "inference through the channel (decode_over_time)", "batch": batch, "steps": steps,
             "s": t_inf.seconds, "samples / s": batch / t_inf.seconds}]


def main(argv: list[str] | None = None) -> int:
    args = arg_parser(__doc__).parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    torch.set_num_threads(1)
    print(f"# Wireless benchmark ({'quick' if args.quick else 'full'}): "
          f"{machine('numpy', 'torch', 'snntorch', cpus_used='one used')}")
    print()
    print_table(channel_rows(args.quick, repeats))
    print()
    print_table(ber_rows(args.quick), floatfmt=".4g")
    print()
    print_table(chain_rows(args.quick, repeats))
    print()
    print(memory_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
