"""The shared BPTT harness: it learns a separable temporal toy task, is bit-reproducible per
seed, stops early, keeps the best epoch, and round-trips checkpoints through npz."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from pydantic import ValidationError

from neurobench.models.lif import LIFNet
from neurobench.data import train_test_split
from neurobench.models.src import SRCNet, SRCParams
from neurobench.seeds import child_seed
from neurobench.training.bptt import BPTTParams, batch_indices, evaluate, load_checkpoint, save_checkpoint, train_bptt


def _toy_task(n: int = 120, seed: int = 0):
    """Two classes of spike frames (n, 20, 8): class c drives inputs 4c..4c+3 at rate 0.5."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = np.zeros((n, 20, 8), dtype=np.uint8)
    for k, c in enumerate(y):
        x[k, 5:, 4 * c : 4 * c + 4] = rng.random((15, 4)) < 0.5
    return x, y


def _src(seed: int = 0) -> SRCNet:
    # bias starting at its clamp bias_max: training pushes it up, the clamp holds it
    return SRCNet(8, (6,), 2, p=SRCParams(bias_init=-4.0), generator=torch.Generator().manual_seed(seed))


def test_src_learns_a_separable_toy_task_and_is_bit_reproducible():
    x, y = _toy_task()
    params = BPTTParams(epochs=8, batch_size=20, lr=0.02, val_fraction=0.0, seed=3)
    untrained = evaluate(_src(), x, y)
    a, b = _src(), _src()
    ra, rb = train_bptt(a, x, y, params), train_bptt(b, x, y, params)
    assert evaluate(a, x, y) >= 0.95 and untrained <= 0.6
    assert [h["loss"] for h in ra.history] == [h["loss"] for h in rb.history]
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    c = _src()
    train_bptt(c, x, y, params.model_copy(update={"seed": 4}))  # another batch order: other weights
    assert not torch.equal(a.weights[0], c.weights[0])
    assert float(a.biases[0].detach().max()) == a.p.bias_max  # the clamp ran after each step


def test_lif_baseline_learns_the_toy_task():
    x, y = _toy_task()
    net = LIFNet(8, (6,), 2, generator=torch.Generator().manual_seed(0))
    train_bptt(net, x, y, BPTTParams(epochs=8, batch_size=20, lr=0.02, val_fraction=0.0))
    assert evaluate(net, x, y) >= 0.95


def test_early_stopping_keeps_the_best_validation_epoch():
    x, y = _toy_task()
    y = np.random.default_rng(5).permutation(y)  # unlearnable labels: validation accuracy only fluctuates
    net = _src()
    res = train_bptt(net, x, y, BPTTParams(epochs=6, batch_size=20, lr=0.05, val_fraction=0.25, patience=2, seed=1))
    val = [h["val_accuracy"] for h in res.history]
    assert res.best_epoch == 1 + int(np.argmax(val)) and res.best_epoch < len(val)  # the best is not the last
    assert res.stopped_early and len(val) == res.best_epoch + 2  # patience 2
    # the model holds the best epoch's parameters: its validation accuracy is the best one
    _, val_idx = train_test_split(y, 0.25, child_seed(1, 0))
    assert evaluate(net, x[val_idx], y[val_idx]) == max(val) > val[-1]


def test_batches_cover_every_sample_once_and_depend_on_the_generator_only():
    b1 = batch_indices(10, 4, torch.Generator().manual_seed(0))
    assert [len(b) for b in b1] == [4, 4, 2] and sorted(torch.cat(b1).tolist()) == list(range(10))
    b2 = batch_indices(10, 4, torch.Generator().manual_seed(0))
    assert all(torch.equal(p, q) for p, q in zip(b1, b2))


def test_checkpoint_round_trip_is_npz_without_pickle(tmp_path):
    net = _src(1)
    path = save_checkpoint(tmp_path / "src.npz", net)
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == set(net.state_dict())
    other = load_checkpoint(path, _src(2))
    for p, q in zip(net.parameters(), other.parameters()):
        assert torch.equal(p, q)


def test_bad_training_parameters_name_the_key():
    for kw, key in (({"epochs": 0}, "epochs"), ({"val_fraction": 1.0}, "val_fraction"), ({"lr": 0}, "lr"),
                    ({"batch_size": -1}, "batch_size")):
        with pytest.raises(ValidationError, match=key):
            BPTTParams(**kw)
    with pytest.raises(ValueError, match="frames"):
        train_bptt(_src(), np.zeros((4, 8)), np.zeros(4, dtype=int))
