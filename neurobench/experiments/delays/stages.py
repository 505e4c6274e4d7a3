"""What the ``delays`` notebook runs: data, training with and without delays, pooling to top-k
with fine-tuning, dynamic top-k, quantisation legs, memory models over k and measured activity,
the clock simulator vs Brian2 check of the pooled, exported network, and that network's NIR
export (``nir_round_trip``).

Every replicate ``r`` of ``run_replicates`` derives each of its seeds from the section's seed
fields with ``child_seed(seed, r)`` (``replicate_section``); torch runs single-threaded and draws
only from seeded generators, so the same params give the same numbers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ...data import load_dataset, train_test_split
from ...data.frames import frames_from_events
from ...data.sequential import rows_over_time
from ...executor import ExecutorParams, Session, session_of
from ...interop.nir import read_nir, write_nir
from ...hardware.delay_memory import activity_percentile, memory_over_activity, memory_over_k
from ...hardware.precision import QuantParams, quantize
from ...models.delay_export import clock_logits, to_network
from ...models.delays import DelayNet, DelayNetParams
from ...schema import replace as replace_params
from ...seeds import child_seed
from ...sim import simulate
from ...training.bptt import BPTTParams, evaluate, predict, train_bptt
from ...training.common import single_thread
from .params import DelaysSection
from .table import delay_row
from .tasks import coincidence_frames

__all__ = ["NIR_FILE", "TaskData", "brian_check", "build_net", "leg_name", "load_task", "memory_tables",
           "nir_round_trip", "nir_sentence", "quantized_copy", "replicate_section", "run_replicate", "run_replicates"]

NIR_FILE = "network_k1.nir"
"""The NIR file of replicate 0's k = 1 network, in the stage's output folder."""


@dataclass
class TaskData:
    """Frames (n, T, n_in) uint8, labels, split, and (coincidence) how to redraw the frames at
    another input intensity (``frames_at_gain``)."""

    x: np.ndarray
    y: np.ndarray
    n_classes: int
    train_idx: np.ndarray
    test_idx: np.ndarray
    images: np.ndarray | None = None

    def overview(self) -> pd.DataFrame:
        """Steps, inputs, classes, mean input spikes per test sample, train/test sizes."""
        return pd.DataFrame([{"steps": self.x.shape[1], "inputs": self.x.shape[2], "classes": self.n_classes,
                              "input spikes / sample": float(self.x[self.test_idx].sum(axis=(1, 2)).mean()),
                              "train": len(self.train_idx), "test": len(self.test_idx)}])


def replicate_section(cfg: DelaysSection, r: int) -> DelaysSection:
    """``cfg`` for replicate ``r``: ``split_seed``, ``init_seed``, ``coincidence.seed``,
    ``training.seed`` and ``finetune.seed`` replaced by ``child_seed(seed, r)``."""
    return replace_params(
        cfg, split_seed=child_seed(cfg.split_seed, r), init_seed=child_seed(cfg.init_seed, r),
        coincidence=replace_params(cfg.coincidence, seed=child_seed(cfg.coincidence.seed, r)),
        training=replace_params(cfg.training, seed=child_seed(cfg.training.seed, r)),
        finetune=replace_params(cfg.finetune, seed=child_seed(cfg.finetune.seed, r)))


def _cap(idx: np.ndarray, n: int) -> np.ndarray:
    return idx[:n] if n else idx


def coincidence_task(cfg: DelaysSection, gain: float = 1.0) -> TaskData:
    """The delayed-coincidence task on the digits (split by source image), ``p_max`` times ``gain``
    (capped at 1)."""
    d = load_dataset("digits", root=cfg.root, kind="static")
    images = np.asarray(d.x, dtype=np.float64).reshape(len(d.x), -1)
    c = cfg.coincidence
    x, y, src = coincidence_frames(images, c.n_per_image, c.lags, min(1.0, c.p_max * gain), c.jitter, c.tail, c.seed)
    img_train, img_test = train_test_split(d.y, cfg.test_fraction, cfg.split_seed)
    train = np.flatnonzero(np.isin(src, img_train))
    test = np.flatnonzero(np.isin(src, img_test))
    return TaskData(x, y, len(c.lags), _cap(train, cfg.max_train), _cap(test, cfg.max_test), images)


def shd_task(cfg: DelaysSection) -> TaskData:
    """SHD's own train/test split (files under ``cfg.root``), ``shd.bins`` frames of 700 channels."""
    parts = [load_dataset("shd", root=cfg.root, kind="events", split=s, max_samples=m or None)
             for s, m in (("train", cfg.max_train), ("test", cfg.max_test))]
    window = cfg.shd.duration / cfg.shd.bins
    frames = [frames_from_events(p.x, p.sensor_size, window, cfg.shd.duration) for p in parts]
    frames = [f.reshape(len(f), f.shape[1], -1) for f in frames]
    x = np.concatenate(frames)
    y = np.concatenate([p.y for p in parts]).astype(np.int64)
    n_train = len(frames[0])
    return TaskData(x, y, int(parts[0].n_classes), np.arange(n_train), n_train + np.arange(len(frames[1])))


def load_task(cfg: DelaysSection) -> TaskData:
    """The main task of ``cfg.task``."""
    return coincidence_task(cfg) if cfg.task == "coincidence" else shd_task(cfg)


def rows_task(cfg: DelaysSection) -> TaskData:
    """Row-by-row digits (``rows_over_time``), the same stratified split of the images."""
    d = load_dataset("digits", root=cfg.root, kind="static")
    x = rows_over_time(np.asarray(d.x, dtype=np.float64).reshape(len(d.x), 8, 8), cfg.rows_levels)
    train, test = train_test_split(d.y, cfg.test_fraction, cfg.split_seed)
    return TaskData(x, np.asarray(d.y, dtype=np.int64), int(d.n_classes), _cap(train, cfg.max_train),
                    _cap(test, cfg.max_test))


def build_net(p: DelayNetParams, n_in: int, n_out: int, seed: int) -> DelayNet:
    """A fresh ``DelayNet`` drawn from a generator seeded with ``seed``."""
    return DelayNet(n_in, n_out, p, torch.Generator().manual_seed(int(seed)))


def _fit(net: DelayNet, data: TaskData, training: BPTTParams, desc: str, progress: bool) -> tuple[float, list]:
    res = train_bptt(net, data.x[data.train_idx], data.y[data.train_idx], training, desc=desc, progress=progress)
    return evaluate(net, data.x[data.test_idx], data.y[data.test_idx], training.batch_size), res.history


def leg_name(q: QuantParams) -> str:
    """``uniform8``, ``loihi8``, ``bf16``."""
    return "bf16" if q.kind == "bf16" else f"{q.kind}{q.bits}"


def quantized_copy(net: DelayNet, q: QuantParams) -> DelayNet:
    """A copy of ``net`` whose hidden projections' kept weights are quantised by ``q`` (the readout
    stays float, as in the authors' code)."""
    out = copy.deepcopy(net)
    with torch.no_grad():
        for proj in out.projections[:-1]:
            w = proj.effective_weight().double().numpy()
            proj.weight.copy_(torch.from_numpy(quantize(w, q)).to(proj.weight.dtype))
    return out


def brian_check(net: DelayNet, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The k = 1 ``net`` exported (``to_network``) and run by the clock simulator and Brian2 on
    frames ``x``: ``brian_identical`` (1 when every layer's spikes and potentials are equal bit
    for bit), ``brian_spike_mismatches``, ``torch_clock_agreement`` (fraction of equal arg-max of
    the torch float64 logits and the clock's), ``clock_accuracy`` on those samples,
    ``brian_samples``, ``max_delay_steps``, ``brian_s`` (wall seconds, not reproducible)."""
    import time

    from ...sim.brian import simulate_brian

    network = to_network(net)
    logits, rec = clock_logits(network, x, simulate)
    t0 = time.perf_counter()
    b_logits, b_rec = clock_logits(network, x, simulate_brian)
    brian_s = time.perf_counter() - t0
    mismatches = sum(int((a.spikes != b.spikes).sum()) for a, b in zip(rec.layers, b_rec.layers))
    same_v = all(np.array_equal(a.v, b.v) for a, b in zip(rec.layers[:-1], b_rec.layers[:-1]))
    net64 = copy.deepcopy(net).double()
    torch_logits = predict(net64, x)
    return {"brian_identical": float(mismatches == 0 and same_v and np.array_equal(logits, b_logits)),
            "brian_spike_mismatches": float(mismatches),
            "torch_clock_agreement": float((torch_logits.argmax(1) == logits.argmax(1)).mean()),
            "clock_accuracy": float((logits.argmax(1) == y).mean()), "brian_samples": float(len(x)),
            "max_delay_steps": float(max(int(layer.delay.max()) for layer in network.layers)), "brian_s": brian_s}


def nir_round_trip(cfg: DelaysSection, first: dict, out) -> dict[str, float]:
    """Replicate 0's k = 1 network (``first["net_k1"]``, exported by ``to_network``) written to
    ``out / NIR_FILE`` (``write_nir``, dt = 1 ms: every delay becomes ``Delay -> Affine/Linear``
    branches, ``docs/interop.md``), read back (``read_nir``) and run by the clock simulator beside
    the exported network on the first ``brian_samples`` test frames. Returns ``nir_identical`` (1
    when every layer's spikes and potentials and the logits are equal bit for bit),
    ``nir_spike_mismatches``, ``nir_nodes`` and ``nir_delay_nodes`` (nodes of the graph, its
    ``Delay`` nodes), ``nir_max_delay_steps`` (of the read-back network), ``nir_bytes`` (file size)."""
    import nir

    network = to_network(first["net_k1"])
    path = write_nir(Path(out) / NIR_FILE, network, dt=1.0)
    back = read_nir(path)
    data = first["data"]
    x = data.x[data.test_idx][:cfg.brian_samples]
    logits, rec = clock_logits(network, x)
    b_logits, b_rec = clock_logits(back, x)
    mismatches = sum(int((a.spikes != b.spikes).sum()) for a, b in zip(rec.layers, b_rec.layers))
    same_v = all(np.array_equal(a.v, b.v) for a, b in zip(rec.layers, b_rec.layers))
    graph = nir.read(str(path))
    return {"nir_identical": float(mismatches == 0 and same_v and np.array_equal(logits, b_logits)),
            "nir_spike_mismatches": float(mismatches), "nir_nodes": float(len(graph.nodes)),
            "nir_delay_nodes": float(sum(isinstance(n, nir.Delay) for n in graph.nodes.values())),
            "nir_max_delay_steps": float(max(int(layer.delay.max()) for layer in back.layers
                                             if getattr(layer, "delay", None) is not None)),
            "nir_bytes": float(path.stat().st_size)}


def nir_sentence(check: dict[str, float]) -> str:
    """One Markdown sentence on :func:`nir_round_trip`'s result."""
    verdict = ("**identical** spikes and potentials in every layer" if check["nir_identical"] == 1.0 else
               f"**different**: {int(check['nir_spike_mismatches'])} spikes differ")
    return (f"NIR round trip (`{NIR_FILE}`, written, read back, clock simulator): {verdict}; "
            f"{int(check['nir_nodes'])} nodes, of which {int(check['nir_delay_nodes'])} `Delay` nodes (delays up to "
            f"{int(check['nir_max_delay_steps'])} steps), {check['nir_bytes'] / 1024:.1f} KiB.")


def memory_tables(cfg: DelaysSection, net: DelayNet, data: TaskData, input_activity: list[float]):
    """Memory of the input projection (``n_in`` presynaptic, ``hidden[0]`` postsynaptic, delays
    below ``network.delay.max_delay``): over ``memory_ks`` at the measured ``alpha_hat`` of the
    default input gain, and over the measured ``alpha_hat`` of every input gain. Returns (table
    over k, table over activity)."""
    n_pre, n_post = net.sizes[0], net.sizes[1]
    d_max = cfg.network.delay.max_delay
    base = input_activity[cfg.activity_gains.index(1.0) if 1.0 in cfg.activity_gains else -1]
    over_k = memory_over_k(n_pre, n_post, d_max, cfg.memory_ks, base, cfg.weight_bits, cfg.acc_bits)
    over_a = memory_over_activity(n_pre, n_post, d_max, input_activity, cfg.acc_bits)
    over_a.insert(0, "input gain", list(cfg.activity_gains))
    return over_k, over_a


def run_replicate(cfg: DelaysSection, r: int, progress: bool = False) -> tuple[dict, dict]:
    """Replicate ``r`` of the study (module docstring). Returns (one row of numbers; artefacts:
    histories, pooling curve, memory tables, the trained nets and the data)."""
    rcfg = replicate_section(cfg, r)
    data = load_task(rcfg)
    n_in, n_out = data.x.shape[2], data.n_classes
    row: dict = {"replicate": r}
    art: dict = {"data": data}
    histories = []

    net = build_net(rcfg.network, n_in, n_out, child_seed(rcfg.init_seed, 0))
    row["acc_delays"], hist = _fit(net, data, rcfg.training, "delays epochs", progress)
    histories += [{"model": "with delays", **h} for h in hist]
    plain = build_net(replace_params(rcfg.network, delay_on=""), n_in, n_out, child_seed(rcfg.init_seed, 0))
    row["acc_no_delays"], hist = _fit(plain, data, rcfg.training, "no-delay epochs", progress)
    histories += [{"model": "without delays", **h} for h in hist]
    art["net"] = net

    xt, yt = data.x[data.test_idx], data.y[data.test_idx]
    pooled_rows = [{"k": net.projections[0].n_taps, "stage": "after fine-tune", "accuracy": row["acc_delays"]},
                   {"k": net.projections[0].n_taps, "stage": "right after pooling", "accuracy": row["acc_delays"]}]
    for k in rcfg.pool_ks:
        pooled = copy.deepcopy(net)
        pooled.pool_(k, rcfg.pool_mode)
        row[f"acc_pool{k}_before"] = evaluate(pooled, xt, yt)
        row[f"acc_pool{k}"], _ = _fit(pooled, data, rcfg.finetune, f"fine-tune k={k}", progress)
        pooled_rows += [{"k": k, "stage": "right after pooling", "accuracy": row[f"acc_pool{k}_before"]},
                        {"k": k, "stage": "after fine-tune", "accuracy": row[f"acc_pool{k}"]}]
        if k == 1:
            art["net_k1"] = pooled
    art["pooling"] = pd.DataFrame(pooled_rows)

    if rcfg.dynamic_k:
        dyn = build_net(rcfg.network, n_in, n_out, child_seed(rcfg.init_seed, 0))
        dyn.set_dynamic_(rcfg.dynamic_k, rcfg.pool_mode)
        row["acc_dynamic"], _ = _fit(dyn, data, rcfg.training, "dynamic top-k epochs", progress)

    for q in rcfg.quant:
        row[f"acc_{leg_name(q)}"] = evaluate(quantized_copy(net, q), xt, yt)

    # activity measured on the trained network at every input gain (coincidence: redrawn frames)
    inputs, hidden = [], []
    for g in rcfg.activity_gains:
        xg = coincidence_task(rcfg, g).x[data.test_idx] if rcfg.task == "coincidence" else xt
        spikes = net.hidden_spikes(torch.from_numpy(xg.astype(np.float32)))
        inputs.append(activity_percentile(xg, rcfg.activity_percentile))
        hidden.append(activity_percentile(spikes[0], rcfg.activity_percentile))
    over_k, over_a = memory_tables(rcfg, net, data, inputs)
    over_a["hidden alpha_hat"] = hidden
    art["memory_k"], art["memory_activity"] = over_k, over_a
    at = rcfg.activity_gains.index(1.0) if 1.0 in rcfg.activity_gains else -1
    row["alpha_hat_input"], row["alpha_hat_hidden"] = inputs[at], hidden[at]
    row["scdq_growth"] = float(over_a["SCDQ (bit)"].iloc[-1] / max(over_a["SCDQ (bit)"].iloc[0], 1))
    row["ring_buffer_growth"] = float(over_a["ring buffer (bit)"].iloc[-1] / over_a["ring buffer (bit)"].iloc[0])

    nb = min(rcfg.brian_samples, len(xt))
    check = brian_check(art["net_k1"], xt[:nb], yt[:nb])
    art["brian_s"] = check.pop("brian_s")
    row.update(check)

    if rcfg.rows:
        rows = rows_task(rcfg)
        rnet = build_net(rcfg.rows_network, rows.x.shape[2], rows.n_classes, child_seed(rcfg.init_seed, 1))
        row["rows_acc_delays"], _ = _fit(rnet, rows, rcfg.training, "rows epochs", progress)
        rplain = build_net(replace_params(rcfg.rows_network, delay_on=""), rows.x.shape[2], rows.n_classes,
                           child_seed(rcfg.init_seed, 1))
        row["rows_acc_no_delays"], _ = _fit(rplain, rows, rcfg.training, "rows no-delay epochs", progress)
    row["n_train"], row["n_test"] = len(data.train_idx), len(data.test_idx)
    art["histories"] = pd.DataFrame(histories)
    art["neurobench"] = {"delays": delay_row(net, xt, row["acc_delays"]),
                         "no_delays": delay_row(plain, xt, row["acc_no_delays"], kind="clock SNN")}
    if "net_k1" in art:
        art["neurobench"]["pooled_k1"] = delay_row(art["net_k1"], xt, row["acc_pool1"])
    return row, art


def replicate_task(task: tuple[DelaysSection, int]) -> tuple[dict, dict]:
    """:func:`run_replicate` of the task ``(cfg, r)`` with torch on one thread: the executor's
    task function (pure: every seed is derived from ``(cfg, r)``)."""
    cfg, r = task
    with single_thread():
        return run_replicate(cfg, r, False)


def run_replicates(cfg: DelaysSection, executor: ExecutorParams | Session = ExecutorParams()
                   ) -> tuple[pd.DataFrame, dict]:
    """Every replicate of ``cfg.n_seeds`` (one task per replicate, run where ``executor`` says;
    the results are identical for every executor). Returns (one row per replicate; the artefacts
    of replicate 0, plus ``histories`` and ``pooling`` of every replicate, ``brian_s`` summed
    over replicates and ``neurobench``, the NeuroBench-style rows (``table.delay_row``) of the
    trained networks with delays, without delays and pooled to k = 1, one per replicate)."""
    with session_of(executor) as session:
        results = session.map(replicate_task, [(cfg, r) for r in range(cfg.n_seeds)], "delays: replicates")
    rows, first, histories, pooling, brian_s, nb = [], None, [], [], 0.0, {}
    for r, (row, art) in enumerate(results):
        rows.append(row)
        histories.append(art["histories"].assign(replicate=r))
        pooling.append(art["pooling"].assign(replicate=r))
        brian_s += art["brian_s"]
        for name, nb_row in art["neurobench"].items():
            nb.setdefault(name, []).append(nb_row)
        if r == 0:
            first = art
    first["histories"] = pd.concat(histories, ignore_index=True)
    first["pooling"] = pd.concat(pooling, ignore_index=True)
    first["brian_s"] = brian_s
    first["neurobench"] = nb
    return pd.DataFrame(rows), first
