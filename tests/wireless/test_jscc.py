"""The NeuroJSCC chain: running logits end at forward's logits, pulses count spikes, training
through the channel reaches the encoder, same seeds give bit-identical chains."""

from __future__ import annotations

import numpy as np
import torch

from neurobench.training.bptt import BPTTParams, train_bptt
from neurobench.wireless.channel import ChannelParams
from neurobench.wireless.jscc import NeuroJSCC, NeuroJSCCParams, decode_over_time

P = NeuroJSCCParams(encoder_hidden=8, n_channels=4, decoder_hidden=8)


def _chain(snr_db=6.0, seed=0) -> NeuroJSCC:
    return NeuroJSCC(10, 3, P, ChannelParams(), snr_db, torch.Generator().manual_seed(seed), link_seed=1)


def _data(n=60, t=6):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    x = (rng.random((n, t, 10)) < 0.1).astype(np.uint8)
    x[np.arange(n), :, y * 3] = 1  # the class drives its own inputs
    return x, y


def test_running_logits_end_at_forward_and_pulses_count_spikes():
    x, _ = _data(5)
    model = _chain(snr_db=None)
    with torch.no_grad():
        model.decoder.out_bias.copy_(torch.tensor([0.3, -0.2, 0.1]))
    logits, sent, errors = decode_over_time(model, x, None, seed=0)
    with torch.no_grad():
        xt = torch.from_numpy(x.astype(np.float32))
        np.testing.assert_allclose(logits[:, -1], model(xt).double().numpy(), rtol=1e-5, atol=1e-5)
        spikes = model.encode(xt)
    np.testing.assert_array_equal(sent[:, -1], spikes.sum((1, 2)).numpy())
    assert logits.shape == (5, 6, 3) and (errors == 0).all()
    _, noisy_sent, noisy = decode_over_time(model, x, -10.0, seed=0)
    assert noisy.sum() > 0
    np.testing.assert_array_equal(noisy_sent, sent)  # energy: pulses sent, whatever was detected


def test_training_through_the_channel_moves_the_encoder_and_is_reproducible():
    x, y = _data()
    params = BPTTParams(epochs=2, batch_size=20, lr=1e-2, val_fraction=0.0, seed=0)
    a, b = _chain(), _chain()
    before = a.enc_weights[0].detach().clone()
    train_bptt(a, x, y, params)
    train_bptt(b, x, y, params)
    assert not torch.equal(a.enc_weights[0], before)  # the gradient crossed the detector
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(pa, pb)
    la, _, _ = decode_over_time(a, x, 4.0, seed=3)
    lb, _, _ = decode_over_time(b, x, 4.0, seed=3)
    np.testing.assert_array_equal(la, lb)
