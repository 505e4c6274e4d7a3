"""The forward map of a trained SRC network as difference equations in Brian2 (the cross-check).

Every layer (hidden SRCs and the readout) is one clock-driven ``NeuronGroup`` holding the whole
batch (sample ``b``, neuron ``k`` -> index ``b * n + k``), its state updated by a
``run_regularly`` operation on a clock of ``dt = 1`` step (Brian2 needs a time unit: one step is
written as 1 ms; nothing here is physical time). The input frames enter through a
``TimedArray``; layer ``l`` reads layer ``l - 1``'s output of the same step through a summed
variable ``I_in = sum_pre w * s_pre`` of a ``Synapses`` object. Within one step the operations run
in the ``groups`` slot in the order input (order -2), then for every layer its summed variable
(order ``2 l - 1``, Brian2's rule: its target's order minus one) and its update (order
``2 l``), so that layer ``l`` sees ``s_{l-1}[t]`` exactly as ``SRCNet.forward`` does. The
update is ``neurobench.models.src``'s, statement by statement (H(0) = 0).

``src_brian_forward`` returns the logits and the fast variable ``h`` of every hidden layer,
to be compared with ``SRCNet.forward(x, record=True)`` in float64.
"""

from __future__ import annotations

import numpy as np

from .src import SPIKE_LEVEL, SRCParams

__all__ = ["src_brian_forward"]

_SRC_UPDATE = """
i_int = alpha * i_int + I_in
dep = int(h > spike_level)
z_s = z_hyp + (z_dep - z_hyp) * dep
hs_new = z_s * hs + (1 - z_s) * h
h = z * h + (1 - z) * tanh(rho * tanh(i_int / rho) + r * h + r_s * hs + b)
hs = hs_new
s = h * int(h > 0)
"""
_READOUT_SUM = "o = o + I_in"
_READOUT_LAST = "o = readout_alpha * o + I_in"


def src_brian_forward(arrays: dict[str, np.ndarray], p: SRCParams, x, readout: str = "sum",
                      readout_alpha: float = 0.9) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run the SRC network of ``arrays`` (``SRCNet.arrays()``: ``w0..wL``, ``b0..b{L-1}``,
    ``b_out``) on input frames ``x`` (batch, T, n_in) in Brian2 (numpy target, float64).

    Returns (logits (batch, n_out), [h of every hidden layer, (batch, T, n)]).
    """
    import brian2 as b2

    x = np.asarray(x, dtype=np.float64)
    batch, n_steps, n_in = x.shape
    n_layers = sum(1 for k in arrays if k.startswith("w"))
    weights = [np.asarray(arrays[f"w{k}"], dtype=np.float64) for k in range(n_layers)]
    biases = [np.asarray(arrays[f"b{k}"], dtype=np.float64) for k in range(n_layers - 1)]
    if readout not in ("sum", "last"):
        raise ValueError(f"readout must be 'sum' or 'last', got {readout!r}")
    step = b2.ms  # one step
    clock = b2.Clock(dt=1 * step)
    # frame t of sample b, input k: values[t, b * n_in + k]
    stimulus = b2.TimedArray(x.transpose(1, 0, 2).reshape(n_steps, batch * n_in), dt=1 * step)
    source = b2.NeuronGroup(batch * n_in, "s : 1", clock=clock, order=-2, name="src_input")
    source.run_regularly("s = stimulus(t, i)", when="groups", order=-2)
    namespace = {"stimulus": stimulus, "alpha": p.alpha, "rho": p.rho, "r": p.r, "r_s": p.r_s, "z": p.z,
                 "z_hyp": p.z_hyp, "z_dep": p.z_dep, "spike_level": SPIKE_LEVEL, "readout_alpha": float(readout_alpha)}
    objects, monitors, groups = [source], [], []
    for k, w in enumerate(weights):
        n_post, n_pre = w.shape
        hidden = k < n_layers - 1
        eqs = ("i_int : 1\nh : 1\nhs : 1\ns : 1\nb : 1\nI_in : 1" if hidden else "o : 1\nI_in : 1")
        group = b2.NeuronGroup(batch * n_post, eqs, clock=clock, order=2 * k, name=f"src_layer{k}")
        if hidden:
            group.b = np.tile(biases[k], batch)
        code = _SRC_UPDATE if hidden else (_READOUT_SUM if readout == "sum" else _READOUT_LAST)
        group.run_regularly(code, when="groups", order=2 * k)
        syn = b2.Synapses(source, group, "w : 1\nI_in_post = w * s_pre : 1 (summed)", clock=clock,
                          name=f"src_synapses{k}")
        pre = np.tile(np.arange(n_pre), n_post)
        post = np.repeat(np.arange(n_post), n_pre)
        offsets = np.repeat(np.arange(batch), n_pre * n_post)
        syn.connect(i=np.tile(pre, batch) + offsets * n_pre, j=np.tile(post, batch) + offsets * n_post)
        syn.w = np.tile(w[post, pre], batch)
        objects += [group, syn]
        groups.append(group)
        if hidden:
            monitors.append(b2.StateMonitor(group, "h", record=True, when="end", clock=clock))
        source = group
    net = b2.Network(*objects, *monitors)
    previous = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    try:
        net.run(n_steps * step, namespace=namespace)
    finally:
        b2.prefs.codegen.target = previous
    n_out = weights[-1].shape[0]
    logits = np.asarray(groups[-1].o[:], dtype=np.float64).reshape(batch, n_out) + arrays["b_out"]
    hs = [np.asarray(m.h[:], dtype=np.float64).reshape(batch, w.shape[0], n_steps).transpose(0, 2, 1)
          for m, w in zip(monitors, weights)]
    return logits, hs
