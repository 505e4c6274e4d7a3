"""Trainable spiking models defined by their discrete-time dynamics (torch), beside ``ann``.

* ``src``: the Spiking Recurrent Cell (De Geeter, Ernst, Drion 2023, arXiv:2306.03623): its
  parameters ``SRCParams``, state ``SRCState``, the pure step function ``src_step``, shallow and
  deep networks ``SRCNet`` with a linear non-spiking readout, ``count_spikes``;
* ``lif``: the snnTorch ``Leaky`` baseline of the same size and readout (``LIFNet``);
* ``surrogate``: snnTorch's surrogate spike functions, picklable (``SpikeSurrogate``): the one
  place the models here and ``neurobench.training`` get them;
* ``src_brian``: the same forward map as difference equations in Brian2 (``src_brian_forward``),
  the cross-check of the torch forward;
* ``delays``: multi-tap synaptic delay projections (``DelayLinear``), LIF layers, networks
  (``DelayNet``), delay pooling to top-k and dynamic top-k (Patiño-Saucedo et al. 2024);
* ``delay_export``: a pooled delay network as a ``Network`` with per-synapse delays, run by the
  clock simulator and Brian2.

Units: these models are discrete-time; every time is a number of steps (one step per input
frame), never ms. Submodules import torch or Brian2; import them explicitly.
"""
