"""Layer parameters are checked on construction: one ValueError naming the argument, its value
and what is allowed; valid layers keep working and agree with PyTorch's layers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neurobench.network import AvgPool2d, Conv2d, Dense, Network

KERNEL_3x3 = np.ones((2, 1, 3, 3))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"stride": 1.5}, r"Conv2d\.stride = 1\.5 \(float\) is not allowed: must be an integer >= 1"),
        ({"stride": 2.0}, r"Conv2d\.stride = 2\.0 \(float\) is not allowed: must be an integer >= 1"),
        ({"stride": 0}, r"Conv2d\.stride = 0 is not allowed: must be an integer >= 1"),
        ({"stride": -2}, r"Conv2d\.stride = -2 is not allowed: must be an integer >= 1"),
        ({"stride": True}, r"Conv2d\.stride = True \(bool\) is not allowed"),
        ({"stride": "2"}, r"Conv2d\.stride = '2' \(str\) is not allowed"),
        ({"padding": 0.5}, r"Conv2d\.padding = 0\.5 \(float\) is not allowed: must be an integer >= 0 and <= 2"),
        ({"padding": 1.0}, r"Conv2d\.padding = 1\.0 \(float\) is not allowed"),
        ({"padding": -1}, r"Conv2d\.padding = -1 is not allowed: must be an integer >= 0 and <= 2"),
        ({"padding": 3}, r"Conv2d\.padding = 3 is not allowed: must be an integer >= 0 and <= 2 \(below the kernel size 3"),
        ({"padding": 10**6}, r"Conv2d\.padding = 1000000 is not allowed"),
        ({"padding": None}, r"Conv2d\.padding = None \(NoneType\) is not allowed"),
    ],
)
def test_conv2d_rejects_bad_stride_and_padding(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2d(KERNEL_3x3, **kwargs)


def test_conv2d_padding_is_bounded_by_the_smaller_kernel_side_and_kernels_are_not_empty():
    Conv2d(np.ones((1, 1, 2, 4)), padding=1)
    with pytest.raises(ValueError, match=r"Conv2d\.padding = 2 is not allowed: must be an integer >= 0 and <= 1 "
                                         r"\(below the kernel size 2"):
        Conv2d(np.ones((1, 1, 2, 4)), padding=2)
    with pytest.raises(ValueError, match=r"Conv2d\.weight has shape \(1, 1, 0, 3\)"):
        Conv2d(np.ones((1, 1, 0, 3)))


@pytest.mark.parametrize(
    "kernel_size, message",
    [
        (2.0, r"AvgPool2d\.kernel_size = 2\.0 \(float\) is not allowed: must be an integer >= 1"),
        (1.5, r"AvgPool2d\.kernel_size = 1\.5 \(float\) is not allowed"),
        (0, r"AvgPool2d\.kernel_size = 0 is not allowed: must be an integer >= 1"),
        (-2, r"AvgPool2d\.kernel_size = -2 is not allowed"),
        (False, r"AvgPool2d\.kernel_size = False \(bool\) is not allowed"),
    ],
)
def test_avgpool2d_rejects_bad_kernel_size(kernel_size, message):
    with pytest.raises(ValueError, match=message):
        AvgPool2d(kernel_size)


@pytest.mark.parametrize("scale", [float("nan"), float("inf"), "1", None, True])
def test_avgpool2d_rejects_a_scale_that_is_not_a_finite_number(scale):
    with pytest.raises(ValueError, match=r"AvgPool2d\.scale = .* is not allowed: must be a finite real number"):
        AvgPool2d(2, scale)


def test_numpy_integers_are_accepted_and_stored_as_python_ints():
    conv = Conv2d(KERNEL_3x3, stride=np.int64(2), padding=np.int32(1))
    pool = AvgPool2d(np.int64(2), np.float32(0.5))
    assert (conv.stride, conv.padding, pool.kernel_size, pool.scale) == (2, 1, 2, 0.5)
    assert all(type(v) is int for v in (conv.stride, conv.padding, pool.kernel_size)) and type(pool.scale) is float
    # (2, 5, 5) -> conv stride 2, padding 1 -> (2, 3, 3) -> pool 2 -> (2, 1, 1) -> dense
    net = Network((1, 5, 5), (conv, AvgPool2d(2), Dense(np.ones((1, 2)))))
    assert net.shapes == ((1, 5, 5), (2, 3, 3), (2, 1, 1), (1,))


@pytest.mark.parametrize("stride, padding", [(1, 0), (1, 2), (2, 1), (3, 2)])
def test_valid_conv_and_pool_layers_compute_what_torch_computes(stride, padding):
    """Every stride and padding accepted here is one ``torch.nn.Conv2d`` accepts with the same
    result; PyTorch also takes paddings >= the kernel size, which are refused here (output
    neurons that see only padding)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(stride + 10 * padding)
    weight, bias = rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    net = Network((3, 7, 6), (Conv2d(weight, bias, stride=stride, padding=padding),))
    x = rng.normal(size=(3, 7, 6))
    ours = net.weight_matrix(0) @ x.ravel() + net.bias(0)
    ref = torch.nn.functional.conv2d(torch.tensor(x[None]), torch.tensor(weight), torch.tensor(bias),
                                     stride=stride, padding=padding)[0].numpy()
    assert net.shapes[1] == ref.shape
    np.testing.assert_allclose(ours, ref.ravel(), rtol=1e-12, atol=1e-12)
    pooled = torch.nn.functional.avg_pool2d(torch.tensor(ref[None]), 2)[0].numpy()
    pool_net = Network(ref.shape, (AvgPool2d(2),))
    np.testing.assert_allclose(pool_net.weight_matrix(0) @ ref.ravel(), pooled.ravel(), rtol=1e-12)


@pytest.mark.parametrize("shape, fragment", [
    ((64.0,), "input_shape[0] = 64.0 (float)"),
    ((1, 8.5, 8), "input_shape[1] = 8.5"),
    ((0,), "input_shape[0] = 0"),
    ((-3,), "input_shape[0] = -3"),
    ((True,), "input_shape[0] = True"),
    ((), "at least one dimension"),
    (64, "must be a sequence"),
])
def test_network_and_ann_reject_non_integer_or_non_positive_input_shapes(shape, fragment):
    """An input shape was silently truncated by int() (8.5 -> 8) or accepted at 0; now one error."""
    from neurobench.ann.model import Ann

    dense = Dense(np.ones((2, 64)))
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Network(shape, (dense,))
    with pytest.raises(ValueError, match=re.escape(fragment)):
        Ann(shape, (dense,), ("linear",))
    assert Network((np.int64(64),), (dense,)).input_shape == (64,)
