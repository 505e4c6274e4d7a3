"""Networks and ANNs survive a round trip through their .npz files, exactly."""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
import pytest

from neurobench.ann import Ann
from neurobench.network import AvgPool2d, Conv2d, Dense, Network
from neurobench.neurons import NeuronParams
from neurobench.serialize import NetworkFileError, load_ann, load_network, save_ann, save_network


def layers(rng):
    return (
        Conv2d(rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3), stride=1, padding=1),
        AvgPool2d(2, scale=0.9),
        Dense(rng.normal(size=(10, 48)), rng.normal(size=10)),
    )


def test_network_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    neurons = (NeuronParams(model="lif", v_th=1.5, reset="zero", tau_m=10.0, t_ref=2.0, tau_syn=3.0), NeuronParams(), NeuronParams(model="if", v_th=0.5))
    net = Network((1, 8, 8), layers(rng), neurons)
    back = load_network(save_network(tmp_path / "net.npz", net))
    assert back.input_shape == net.input_shape and back.neurons == net.neurons
    for a, b in zip(net.layers, back.layers):
        assert type(a) is type(b)
    for i in range(3):
        for x, y in zip(net.connectivity(i), back.connectivity(i)):
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(net.bias(i), back.bias(i))
    assert back.layers[0].padding == 1 and back.layers[1].scale == 0.9


def test_ann_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(1)
    ann = Ann((1, 8, 8), layers(rng), ("relu", "relu", "linear"), "classification", "cnn")
    back = load_ann(save_ann(tmp_path / "ann.npz", ann))
    x = rng.random((4, 1, 8, 8))
    np.testing.assert_array_equal(ann.forward(x)[-1], back.forward(x)[-1])
    assert (back.name, back.task, back.activations) == ("cnn", "classification", ("relu", "relu", "linear"))


def test_wrong_kind_and_corrupt_files_name_the_path(tmp_path):
    rng = np.random.default_rng(2)
    path = save_ann(tmp_path / "ann.npz", Ann((4,), (Dense(rng.normal(size=(2, 4))),), ("linear",)))
    with pytest.raises(ValueError, match="ann.npz: not a readable neurobench network file"):
        load_network(path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="bad.npz: not a readable neurobench ann file"):
        load_ann(bad)


# ---- malformed files: one error type, naming the file and what is wrong ---------------------


def small_network() -> Network:
    return Network((4,), (Dense(np.arange(8.0).reshape(2, 4) / 10, np.array([0.1, 0.2])),), NeuronParams(model="if"))


def contents(path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of a file written by save_network / save_ann."""
    with np.load(path) as archive:
        return json.loads(str(archive["__meta__"])), {k: archive[k] for k in archive.files if k != "__meta__"}


def write(path, header, arrays) -> None:
    """The file format by hand: np.savez of a JSON ``__meta__`` string and the layer arrays."""
    meta = header if isinstance(header, str) else json.dumps(header)
    np.savez(path, __meta__=np.array(meta), **arrays)


def expect(path, what: str, loader=load_network, kind="network"):
    with pytest.raises(NetworkFileError) as err:
        loader(path)
    message = str(err.value)
    assert message.startswith(f"{path}: not a readable neurobench {kind} file ("), message
    assert re.search(what, message), message
    assert isinstance(err.value, ValueError)


def test_empty_truncated_and_non_npz_files(tmp_path):
    good = save_network(tmp_path / "good.npz", small_network())
    data = good.read_bytes()
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    expect(empty, r"empty file \(0 bytes\)")
    for keep in (5, 100, len(data) // 2, len(data) - 10):
        cut = tmp_path / f"cut{keep}.npz"
        cut.write_bytes(data[:keep])
        expect(cut, r"corrupt or truncated \.npz \(BadZipFile")
    text = tmp_path / "text.npz"
    text.write_text('{"format": "neurobench-network/1"}')
    expect(text, r"not an \.npz archive \(a zip file starts with b'PK\\x03\\x04', this one with b'\{\"fo'\)")
    bare = tmp_path / "bare.npz"
    with open(bare, "wb") as fh:
        np.save(fh, np.zeros(3))
    expect(bare, r"is a single \.npy array, not an \.npz archive")
    with pytest.raises(FileNotFoundError, match="no neurobench network file at"):
        load_network(tmp_path / "missing.npz")


def test_headers_that_are_missing_not_json_or_not_objects(tmp_path):
    header, arrays = contents(save_network(tmp_path / "good.npz", small_network()))
    path = tmp_path / "h.npz"
    np.savez(path, **arrays)
    expect(path, r"no __meta__ header among its arrays \['layer0\.weight', 'layer0\.bias'\]")
    np.savez(path, __meta__=np.arange(3), **arrays)
    expect(path, r"__meta__ must be a string, got a int64 array of shape \(3,\)")
    write(path, "{'format': 'neurobench-network/1'", arrays)
    expect(path, r"__meta__ header is not JSON \(Expecting property name enclosed in double quotes")
    write(path, [header], arrays)
    expect(path, r"__meta__ header must be a JSON object, got list")


@pytest.mark.parametrize("key", ["input_shape", "layers", "neurons"])
def test_network_header_missing_a_key(tmp_path, key):
    header, arrays = contents(save_network(tmp_path / "good.npz", small_network()))
    del header[key]
    write(tmp_path / "k.npz", header, arrays)
    expect(tmp_path / "k.npz", rf"header lacks {key}\)")


@pytest.mark.parametrize("key", ["activations", "task", "name"])
def test_ann_header_missing_a_key(tmp_path, key):
    ann = Ann((4,), small_network().layers, ("linear",), "regression", "reg")
    header, arrays = contents(save_ann(tmp_path / "good.npz", ann))
    del header[key]
    write(tmp_path / "k.npz", header, arrays)
    expect(tmp_path / "k.npz", rf"header lacks {key}\)", load_ann, "ann")


def test_wrong_kind_wrong_format_and_wrong_values(tmp_path):
    ann_path = save_ann(tmp_path / "ann.npz", Ann((4,), small_network().layers, ("linear",)))
    expect(ann_path, r"holds 'ann' in format 'neurobench-network/1', expected a 'network' in format neurobench-network/1")
    net_path = save_network(tmp_path / "net.npz", small_network())
    expect(net_path, r"holds 'network' in format .*, expected a 'ann'", load_ann, "ann")
    header, arrays = contents(net_path)
    path = tmp_path / "w.npz"
    write(path, {**header, "format": "neurobench-network/0"}, arrays)
    expect(path, r"holds 'network' in format 'neurobench-network/0', expected")
    write(path, {**header, "input_shape": [4.0]}, arrays)
    expect(path, r"header input_shape must hold integers, got \[4\.0\]")
    write(path, {**header, "neurons": {"model": "if"}}, arrays)
    expect(path, r"header neurons must be a list")
    write(path, {**header, "neurons": [{**header["neurons"][0], "tau_m": -1.0}]}, arrays)
    expect(path, r"neuron parameters 0: tau_m: Input should be greater than 0 \(got -1\.0\)\)$")
    ann_header, ann_arrays = contents(ann_path)
    write(path, {**ann_header, "task": "ranking"}, ann_arrays)
    expect(path, r"task 'ranking' is not 'classification' or 'regression'", load_ann, "ann")
    write(path, {**ann_header, "activations": ["tanh"]}, ann_arrays)
    expect(path, r"Ann activation 0 must be 'relu' or 'linear', got 'tanh'", load_ann, "ann")


def test_unknown_layers_fields_and_missing_or_misshapen_arrays(tmp_path):
    header, arrays = contents(save_network(tmp_path / "good.npz", small_network()))
    path = tmp_path / "l.npz"
    write(path, {**header, "layers": [{"type": "Recurrent"}]}, arrays)
    expect(path, r"layer 0: \{'type': 'Recurrent'\} is not one of the layer types \['AvgPool2d', 'Conv2d', 'Dense'\]")
    write(path, {**header, "layers": [{"type": "Dense", "stride": 2}]}, arrays)
    expect(path, r"layer 0 \(Dense\): unknown fields \['stride'\]")
    write(path, header, {"layer0.bias": arrays["layer0.bias"]})
    expect(path, r"layer 0 \(Dense\): array layer0\.weight is missing")
    write(path, header, {**arrays, "layer0.weight": np.zeros(8)})
    expect(path, r"layer 0 \(Dense\): Dense\.weight must have 2 dimensions, got shape \(8,\)")
    write(path, header, {**arrays, "layer0.bias": np.zeros(3)})
    expect(path, r"layer 0 \(Dense\): Dense\.bias has 3 entries, weight has 2 rows")
    write(path, header, {**arrays, "layer0.weight": np.zeros((2, 5))})
    expect(path, r"layer 0 \(Dense\): Dense layer expects 5 inputs, got shape \(4,\)")
    write(path, {**header, "layers": [{"type": "AvgPool2d", "kernel_size": 2.5, "scale": 1.0}]}, {})
    expect(path, r"layer 0 \(AvgPool2d\): AvgPool2d\.kernel_size = 2\.5 \(float\) is not allowed")


def test_array_header_claiming_ten_trillion_values_is_refused_before_allocating(tmp_path):
    header, _ = contents(save_network(tmp_path / "good.npz", small_network()))
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:  # what np.savez writes, with a lying array header
        for name, arr in (("__meta__", np.array(json.dumps(header))), ("layer0.bias", np.zeros(2))):
            with archive.open(f"{name}.npy", "w") as fh:
                np.lib.format.write_array(fh, arr)
        head = io.BytesIO()
        np.lib.format.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
        archive.writestr("layer0.weight.npy", head.getvalue() + bytes(64))
    expect(path, r"member layer0\.weight\.npy: \.npy data truncated: shape \(10000000000000,\) needs "
                 r"80000000000128 bytes with its header, the array has 192")
