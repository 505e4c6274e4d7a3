"""Neuromorphic wireless links (Skatchkovsky, Jang, Simeone 2020; NeuroJSCC).

* ``channel``: the L-tap multipath channel with AWGN at a chosen SNR, rake combining and hard
  detection, shared by both links;
* ``ir_link``: impulse radio, one pulse per spike, with a straight-through detector so that an
  SNN trains through it;
* ``frame``: the frame-based digital baseline, n-bit quantised features sent by BPSK;
* ``jscc``: the NeuroJSCC chain, encoder SNN -> impulse radio -> decoder SNN.

Submodules are imported explicitly (``from neurobench.wireless.channel import ...``).
"""
