"""NeuroJSCC's claims beside our measurements (``neurobench.claims.Claim`` rows) and the headline
numbers of ``metrics.json``.

The papers (NEUROCOMM-III, NeuroJSCC) give no numbers that are available (spec §3.3, P-WL-5):
their claims are qualitative. E-WL-3 is our target: the SNN link approaches its noiseless
accuracy as the SNR grows, and reaches a decision with fewer channel uses (and less energy)
than the frame-based digital baseline at equal accuracy, or the report says where it does not.
"""

from __future__ import annotations

import pandas as pd

from ...claims import Claim

__all__ = ["SOURCE", "headline_metrics", "wireless_claims"]

SOURCE = "Skatchkovsky, Jang, Simeone 2020 (NeuroJSCC arXiv:2009.01527; NEUROCOMM-III), abstracts; spec E-WL-3"
CHAIN_NOTE = ("surrogate-gradient LIF encoder/decoder trained by BPTT with a straight-through detector (the paper: "
              "probabilistic GLM SNNs, variational learning); 8x8 digits as saccade events instead of DVS recordings")


def wireless_claims(results: pd.DataFrame, noiseless_gap_pp: float, snr_max: float, snr_min: float,
                    fraction: float, frame_bits_note: str) -> list[Claim]:
    """Claims rows from ``run_replicates``' results (one row per replicate): the SNN link's gap to
    its noiseless accuracy at the highest SNR, its gain from the lowest to the highest SNR, the
    SNN-over-frame ratios of channel uses and of energy needed to reach the equal-accuracy level
    (``fraction`` of the lower best accuracy), and both systems' accuracies as context."""
    seeds = tuple(int(r) for r in results.replicate)
    pp = 100.0
    return [
        Claim(key="snn_noiseless_gap", statement=f"SNN link at {snr_max:g} dB approaches its noiseless accuracy "
              f"(gap <= {noiseless_gap_pp:g} pp)", source=SOURCE, unit="pp",
              measured=tuple(pp * (results.snn_acc_noiseless - results.snn_acc_max_snr)),
              target=noiseless_gap_pp, higher_is_better=False, seeds=seeds, note=CHAIN_NOTE),
        Claim(key="snn_snr_gain", statement=f"SNN link accuracy grows with SNR ({snr_min:g} -> {snr_max:g} dB)",
              source=SOURCE, unit="pp", measured=tuple(pp * (results.snn_acc_max_snr - results.snn_acc_min_snr)),
              target=0.0, seeds=seeds, note="our channel: L-tap exponential profile, Gaussian block fading, rake "
              "receiver with perfect channel knowledge; the paper's channel parameters are not available"),
        Claim(key="uses_ratio", statement="SNN decides with fewer channel uses than the frame baseline at equal "
              f"accuracy (SNN / frame <= 1; level {fraction:g} x the lower best accuracy)", source=SOURCE, unit="x",
              measured=tuple(results.uses_ratio), target=1.0, higher_is_better=False, seeds=seeds,
              note=f"one channel use per output neuron and step (no sensing latency counted for the frame: it is "
                   f"taken as captured at once); frame baseline: {frame_bits_note}"),
        Claim(key="energy_ratio", statement="SNN needs less energy than the frame baseline at equal accuracy "
              "(pulses / BPSK symbols <= 1)", source=SOURCE + " (NeuroComm: energy)", unit="x",
              measured=tuple(results.energy_ratio), target=1.0, higher_is_better=False, seeds=seeds,
              note="energy = pulses sent (IR) or BPSK symbols sent (frame), each of energy 1; circuit energy "
                   "not counted"),
        Claim(key="snn_accuracy_noiseless", statement="SNN link accuracy, noiseless channel", source="ours",
              unit="%", measured=tuple(pp * results.snn_acc_noiseless), seeds=seeds, note=CHAIN_NOTE),
        Claim(key="frame_accuracy_noiseless", statement="frame baseline accuracy, error-free channel",
              source="ours", unit="%", measured=tuple(pp * results.frame_acc_noiseless), seeds=seeds,
              note=f"logistic regression on {frame_bits_note}"),
    ]


def headline_metrics(results: pd.DataFrame) -> dict[str, float]:
    """The means over replicates of every numeric column but ``replicate`` (``metrics.json``);
    a column undefined in every replicate (NaN: a level never reached) is left out."""
    means = results.drop(columns="replicate").mean(numeric_only=True).dropna()
    return {str(k): float(v) for k, v in means.items()}
