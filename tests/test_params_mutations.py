"""A table of broken ``params.yaml`` files: each is rejected with exit status 2 and one message
that names the key path, before any stage computes, and leaves ``reports/`` untouched.

Every mutation is run through both entry points a user meets: the checker
(``python -m neurobench.config``) and a stage run (``python -m neurobench.pipeline run STAGE``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from neurobench import config, pipeline

REPO = Path(__file__).resolve().parents[1]
PARAMS_TEXT = (REPO / "params.yaml").read_text()
PARAMS = config.load_params(REPO / "params.yaml")  # parsed once, by the checker's own loader
def _set(path: str, value):
    """A mutation that sets ``section.key...`` to ``value`` (a new key if it does not exist)."""
    def mutate(params):
        keys = path.split(".")
        target = params
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    mutate.section = path.split(".")[0]
    return mutate


def _delete(path: str):
    def mutate(params):
        keys = path.split(".")
        target = params
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]
    return mutate


def _rename_section(old: str, new: str):
    def mutate(params):
        params[new] = params.pop(old)
    return mutate


# (class, id, mutation of the dict or of the text, the stage run, fragments the message must hold)
DICT, TEXT = "dict", "text"
MUTATIONS = [
    # wrong types
    ("type", "n_steps_string", DICT, _set("simulator.n_steps", "100"), "simulator", ["simulator.n_steps = '100'"]),
    ("type", "dt_word", DICT, _set("simulator.dt", "fast"), "simulator", ["simulator.dt = 'fast'"]),
    ("type", "batch_float", DICT, _set("simulator.batch_size", 2.5), "simulator", ["simulator.batch_size = 2.5"]),
    ("type", "seed_bool", DICT, _set("data.split_seed", True), "data", ["data.split_seed = True"]),
    ("type", "neuron_model", DICT, _set("simulator.neuron.model", "izhikevich"), "simulator",
     ["simulator.neuron.model = 'izhikevich'", "'if' or 'lif'"]),
    ("type", "networks_not_list", DICT, _set("conversion.networks", "mlp"), "conversion", ["conversion.networks = 'mlp'"]),
    ("type", "epochs_float", DICT, _set("conversion.epochs.mlp", 10.5), "conversion", ["conversion.epochs.mlp = 10.5"]),
    ("type", "hidden_item_string", DICT, _set("asynchronous.training.hidden", [64, "32"]), "async",
     ["asynchronous.training.hidden.1 = '32'"]),
    ("type", "bias_scheme", DICT, _set("endurance.crossbar.bias", "V/4"), "endurance", ["endurance.crossbar.bias = 'V/4'"]),
    ("type", "buffer_word", DICT, _set("multicore.buffer_depth", "two"), "multicore", ["multicore.buffer_depth = 'two'"]),
    ("type", "section_not_mapping", DICT, _set("simulator", 5), "simulator", ["section 'simulator' must be a mapping"]),
    # out of range
    ("range", "dt_zero", DICT, _set("simulator.dt", 0.0), "simulator", ["simulator.dt = 0.0", "greater than 0"]),
    ("range", "dt_negative", DICT, _set("simulator.dt", -1.0), "simulator", ["simulator.dt = -1.0", "ms"]),
    ("range", "threshold_zero", DICT, _set("simulator.neuron.v_th", 0.0), "simulator", ["simulator.neuron.v_th = 0.0", "mV"]),
    ("range", "test_fraction", DICT, _set("data.test_fraction", 1.5), "data", ["data.test_fraction = 1.5"]),
    ("range", "rate_above_one_per_step", DICT, _set("simulator.max_rate", 1001.0), "simulator",
     ["simulator.max_rate = 1001.0", "1000 Hz"]),
    ("range", "percentile", DICT, _set("conversion.percentile", 101.0), "conversion", ["conversion.percentile = 101.0"]),
    ("range", "conversion_no_seeds", DICT, _set("conversion.n_seeds", 0), "conversion", ["conversion.n_seeds = 0"]),
    ("type", "conversion_readout", DICT, _set("conversion.evaluate.readout", "membrane"), "conversion",
     ["conversion.evaluate.readout = 'membrane'"]),
    ("range", "conversion_negative_penalty", DICT, _set("conversion.penalty.penalties", [0.0, -0.1]), "conversion",
     ["conversion.penalty.penalties"]),
    ("range", "crossbar_one", DICT, _set("endurance.crossbar.n", 1), "endurance", ["endurance.crossbar", "n = 1"]),
    ("range", "endurance_no_seeds", DICT, _set("endurance.n_seeds", 0), "endurance", ["endurance.n_seeds = 0"]),
    ("range", "endurance_cold_tiles", DICT, _set("endurance.thermal.t_edge_k", 0.0), "endurance",
     ["endurance.thermal.t_edge_k = 0.0"]),
    ("range", "endurance_negative_exponent", DICT, _set("endurance.drivers.exponents", [2.0, -1.0]), "endurance",
     ["endurance.drivers.exponents"]),
    ("range", "no_cores", DICT, _set("multicore.n_cores", 0), "multicore", ["multicore.n_cores = 0"]),
    ("range", "no_seeds", DICT, _set("multicore.n_seeds", 0), "multicore", ["multicore.n_seeds = 0"]),
    ("range", "cost_factor_zero", DICT, _set("multicore.cost_factors", [0.0, 2.0]), "multicore",
     ["multicore.cost_factors.0 = 0.0", "greater than 0"]),
    ("range", "learning_rate", DICT, _set("asynchronous.training.lr", 2.0), "async", ["asynchronous.training.lr = 2.0"]),
    ("range", "digital_bits_zero", DICT, _set("conversion.families.digital4.bits", 0), "conversion",
     ["conversion.families.digital4.bits = 0"]),
    ("range", "negative_cap", DICT, _set("asynchronous.max_train", -1), "async", ["asynchronous.max_train = -1"]),
    ("range", "async_no_seeds", DICT, _set("asynchronous.n_seeds", 0), "async", ["asynchronous.n_seeds = 0"]),
    ("range", "async_negative_energy", DICT, _set("asynchronous.energy.syn_op_pj", -1.0), "async",
     ["asynchronous.energy.syn_op_pj = -1.0"]),
    ("type", "async_surrogate", DICT, _set("asynchronous.training.surrogate", "relu"), "async",
     ["asynchronous.training.surrogate = 'relu'"]),
    ("range", "tau_syn_equals_tau_m", DICT, _set("simulator.neuron", {"model": "lif", "tau_m": 20.0, "tau_syn": 20.0}),
     "simulator", ["simulator.neuron", "tau_syn = 20.0 must differ from tau_m"]),
    # NaN and infinity
    ("nan_inf", "dt_nan", DICT, _set("simulator.dt", float("nan")), "simulator", ["simulator.dt = nan"]),
    ("nan_inf", "rate_inf", DICT, _set("simulator.max_rate", float("inf")), "simulator", ["simulator.max_rate = inf"]),
    ("nan_inf", "lif_tau_inf", DICT, _set("simulator.neuron", {"model": "lif", "tau_m": float("inf")}), "simulator",
     ["simulator.neuron", "tau_m must be a finite value"]),
    ("nan_inf", "endurance_inf", DICT, _set("endurance.pcm.e_ref", float("inf")), "endurance", ["endurance.pcm.e_ref = inf"]),
    ("nan_inf", "wireless_snr_inf", DICT, _set("wireless.train_snr_db", float("inf")), "wireless",
     ["wireless.train_snr_db = inf"]),
    ("range", "wireless_no_taps", DICT, _set("wireless.channel.n_taps", 0), "wireless",
     ["wireless.channel.n_taps = 0"]),
    ("range", "src_zero_width", DICT, _set("src.network.hidden", [0]), "src", ["src.network.hidden.0 = 0"]),
    ("range", "delays_no_seeds", DICT, _set("delays.n_seeds", 0), "delays", ["delays.n_seeds = 0"]),
    ("range", "authors_negative_threshold", DICT, _set("async_authors.neuron.v_th", -0.3), "async_authors",
     ["async_authors.neuron.v_th = -0.3"]),
    ("range", "devices_threshold_above_set", DICT, _set("devices.device.v_th_p", 2.0), "devices", ["v_th_p"]),
    ("range", "federated_no_devices", DICT, _set("federated.fl.n_devices", 0), "federated",
     ["federated.fl.n_devices = 0"]),
    ("range", "analog_zero_gain", DICT, _set("analog.mac.gain", 0.0), "analog", ["analog.mac.gain = 0.0"]),
    ("range", "executor_no_workers", DICT, _set("executor.workers", 0), "conversion", ["executor.workers = 0"]),
    ("range", "interop_no_steps", DICT, _set("interop.n_steps", 0), "interop", ["interop.n_steps = 0"]),
    ("range", "deploy_unknown_sync", DICT, _set("deploy.chips.pcm_analog.sync", "never"), "deploy",
     ["deploy.chips", "sync", "'never'"]),
    # unknown and misspelled keys
    ("key", "unknown_neuron_key", DICT, _set("simulator.neuron.tau", 5.0), "simulator",
     ["simulator.neuron.tau is not a known key", "tau_m"]),
    ("key", "misspelled_n_steps", DICT, _set("simulator.n_step", 100), "simulator",
     ["simulator.n_step is not a known key (did you mean 'n_steps'?)"]),
    ("key", "misspelled_encoding_key", DICT, _set("data.encoding.max_rat", 200.0), "data",
     ["data.encoding.max_rat is not a known key (did you mean 'max_rate'?)"]),
    ("key", "misspelled_pruning_key", DICT, _set("conversion.pruning.sizez", [1]), "conversion",
     ["conversion.pruning.sizez is not a known key (did you mean 'sizes'?)"]),
    ("key", "unknown_mesh_key", DICT, _set("endurance.mesh.hops", 3), "endurance", ["endurance.mesh.hops is not a known key"]),
    # missing and misspelled sections
    ("section", "missing_simulator", DICT, _delete("simulator"), "simulator", ["section 'simulator'", "missing"]),
    ("section", "missing_endurance", DICT, _delete("endurance"), "endurance", ["section 'endurance'", "missing"]),
    ("section", "misspelled_simulator", DICT, _rename_section("simulator", "simulater"), "simulator",
     ["unknown section 'simulater' (did you mean 'simulator'?)"]),
    ("section", "unknown_section", DICT, _set("extras", {"a": 1}), "data", ["unknown section 'extras'"]),
    # duplicate keys, YAML syntax, tabs, empty files
    ("yaml", "duplicate_section", TEXT, lambda text: text + "\ndata: {dataset: digits}\n", "data",
     ["duplicate key 'data'"]),
    ("yaml", "duplicate_nested_key", TEXT, lambda text: text.replace("\nsimulator:\n", "\nsimulator:\n  dt: 2.0\n", 1),
     "simulator", ["duplicate key 'dt'"]),
    ("yaml", "unclosed_bracket", TEXT, lambda text: text.replace("epochs: {mlp: 60", "epochs: {mlp: [60", 1), "conversion",
     ["not valid YAML at line"]),
    ("yaml", "tab_indent", TEXT, lambda text: text.replace("\n  dt: 1.0", "\n\tdt: 1.0", 1), "data", ["not valid YAML at line"]),
    ("yaml", "empty_file", TEXT, lambda text: "", "data", ["must be a YAML mapping"]),
    ("yaml", "only_a_comment", TEXT, lambda text: "# nothing here\n", "data", ["must be a YAML mapping"]),
    ("yaml", "a_list", TEXT, lambda text: "- data\n- simulator\n", "data", ["must be a YAML mapping"]),
    # absurd sizes (and the YAML float pitfall)
    ("size", "n_steps_exponent_text", DICT, _set("simulator.n_steps", "1e12"), "simulator",
     ["simulator.n_steps = '1e12'", "<= 100000", "YAML read this as text"]),
    ("size", "n_steps_huge", DICT, _set("simulator.n_steps", 10**12), "simulator", ["simulator.n_steps = 1000000000000"]),
    ("size", "batch_huge", DICT, _set("simulator.batch_size", 10**9), "simulator", ["simulator.batch_size = 1000000000"]),
    ("size", "crossbar_huge", DICT, _set("endurance.crossbar.n", 10**6), "endurance", ["endurance.crossbar.n = 1000000"]),
    ("size", "calibration_huge", DICT, _set("conversion.calibration_samples", 10**9), "conversion",
     ["conversion.calibration_samples = 1000000000"]),
    # data that is known but absent offline
    ("data", "mnist_absent", DICT, _set("data.dataset", "mnist"), "data", ["dataset 'mnist' is not available offline"]),
]


def _write_mutated(tmp_path: Path, kind: str, mutate) -> Path:
    path = tmp_path / "params.yaml"
    if kind == TEXT:
        path.write_text(mutate(PARAMS_TEXT))
    else:
        params = copy.deepcopy(PARAMS)
        mutate(params)
        path.write_text(yaml.dump(params, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False))
    return path


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_table_covers_every_class_with_at_least_40_mutations():
    classes = {m[0] for m in MUTATIONS}
    assert len(MUTATIONS) >= 40
    assert classes == {"type", "range", "nan_inf", "key", "section", "yaml", "size", "data"}


def test_every_params_section_has_a_mutation():
    """A new paper's section is covered as soon as it is registered (neurobench.config.SECTIONS)."""
    from neurobench import config

    mutated = {m[3].section for m in MUTATIONS if hasattr(m[3], "section")}
    assert set(config.SECTIONS) <= mutated, sorted(set(config.SECTIONS) - mutated)


@pytest.mark.parametrize("cls, name, kind, mutate, stage, fragments", MUTATIONS, ids=[m[1] for m in MUTATIONS])
def test_mutation_is_rejected_once_naming_the_key_and_reports_stay(tmp_path, capsys, cls, name, kind, mutate, stage,
                                                                 fragments):
    params_path = _write_mutated(tmp_path, kind, mutate)
    reports = tmp_path / "reports"
    (reports / stage).mkdir(parents=True)
    (reports / stage / "metrics.json").write_text('{"previous": 1}\n')
    (reports / f"{stage}.html").write_text("previous report")
    before = _snapshot(reports)

    assert config.main([str(params_path)]) == 2
    checker = capsys.readouterr().err
    assert checker.count("\n") == 1 and checker.startswith("error: "), checker
    for fragment in fragments:
        assert fragment in checker, checker

    assert pipeline.main(["run", stage, "--params", str(params_path), "--reports", str(reports)]) == 2
    runner = capsys.readouterr().err
    assert runner.count("\n") == 1 and runner.startswith("error: "), runner
    assert _snapshot(reports) == before
