"""params.yaml validation: every bad input stops with one message naming the key path."""

from __future__ import annotations

import copy

import pytest
import yaml

from neurobench import config
from neurobench.config import ConfigError


@pytest.fixture
def params(repo_root):
    return yaml.safe_load((repo_root / "params.yaml").read_text())


def write(tmp_path, params) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return str(path)


def test_committed_params_file_is_valid(repo_root):
    assert config.main([str(repo_root / "params.yaml")]) == 0
    for section in config.SECTIONS:
        config.load_section(section, repo_root / "params.yaml")


def test_defaults_of_every_section_are_valid():
    for name in config.SECTIONS:
        config.validate(name, {})


def expect_error(section, values, *fragments):
    with pytest.raises(ConfigError) as info:
        config.validate(section, values)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_unknown_dataset_names_the_known_ones(params):
    params["data"]["dataset"] = "imagenet"
    expect_error("data", params["data"], "data.dataset", "'imagenet'", "digits", "mnist")


@pytest.mark.parametrize("dt", [0.0, -1.0])
def test_time_step_must_be_positive(params, dt):
    params["simulator"]["dt"] = dt
    expect_error("simulator", params["simulator"], f"simulator.dt = {dt}", "greater than 0", "ms")


@pytest.mark.parametrize("v_th", [0.0, -0.5])
def test_threshold_must_be_positive(params, v_th):
    params["simulator"]["neuron"]["v_th"] = v_th
    expect_error("simulator", params["simulator"], "simulator.neuron.v_th", "greater than 0", "mV")


def test_zero_simulation_steps_is_rejected(params):
    params["simulator"]["n_steps"] = 0
    expect_error("simulator", params["simulator"], "simulator.n_steps = 0", "greater than or equal to 1")
    params["data"]["encoding"]["n_steps"] = 0
    expect_error("data", params["data"], "data.encoding.n_steps = 0")


def test_encoder_rate_above_one_per_step_is_rejected(params):
    params["data"]["encoding"]["dt"] = 2.0
    params["data"]["encoding"]["max_rate"] = 600.0
    expect_error("data", params["data"], "data.encoding.max_rate = 600.0", "1/dt = 500 Hz")
    params["simulator"]["max_rate"] = 1001.0
    expect_error("simulator", params["simulator"], "simulator.max_rate", "1000 Hz")


def test_rate_exactly_one_per_step_is_allowed(params):
    params["simulator"]["max_rate"] = 1000.0
    assert config.validate("simulator", params["simulator"]).max_rate == 1000.0


def test_unknown_key_lists_allowed_keys(params):
    params["simulator"]["neuron"]["tau"] = 5.0
    expect_error("simulator", params["simulator"], "simulator.neuron.tau is not a known key", "tau_m")


@pytest.mark.parametrize(
    "path, value",
    [(("simulator", "n_steps"), "100"), (("simulator", "dt"), "fast"), (("simulator", "batch_size"), 2.5),
     (("simulator", "neuron", "model"), "izhikevich"), (("data", "split_seed"), True)],
)
def test_wrong_type_names_the_key(params, path, value):
    values = copy.deepcopy(params[path[0]])
    target = values
    for key in path[1:-1]:
        target = target[key]
    target[path[-1]] = value
    expect_error(path[0], values, ".".join(path))


def test_missing_section_names_the_section(params, tmp_path):
    del params["simulator"]
    with pytest.raises(ConfigError, match="section 'simulator' is missing; sections present: .*data"):
        config.load_section("simulator", write(tmp_path, params))


def test_file_that_is_not_yaml(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data: [unclosed\nsimulator: {dt: 1.0\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        config.load_params(path)
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a YAML mapping"):
        config.load_params(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the parameter file"):
        config.load_params(tmp_path / "nope.yaml")


def test_command_line_check_exits_non_zero_with_one_message(params, tmp_path, capsys):
    params["simulator"]["dt"] = -1.0
    assert config.main([write(tmp_path, params)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "simulator.dt = -1.0" in err


def test_duplicate_key_is_rejected_with_its_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data: {dataset: digits}\nsimulator:\n  dt: 1.0\n  dt: 2.0\n")
    with pytest.raises(ConfigError, match=r"duplicate key 'dt' \(first given at line 3\)"):
        config.load_params(path)


@pytest.mark.parametrize("rename, message", [
    (("simulator", "simulater"), "unknown section 'simulater' (did you mean 'simulator'?)"),
    (("simulator", None), "section 'simulator' is missing"),
])
def test_command_line_check_rejects_missing_and_misspelled_sections(params, tmp_path, capsys, rename, message):
    old, new = rename
    values = params.pop(old)
    if new is not None:
        params[new] = values
    assert config.main([write(tmp_path, params)]) == 2
    assert message in capsys.readouterr().err


def test_yaml_exponent_read_as_text_names_the_range_and_the_pitfall(params):
    params["simulator"]["n_steps"] = "1e12"  # what PyYAML makes of `n_steps: 1e12`
    expect_error("simulator", params["simulator"], "simulator.n_steps = '1e12'", "<= 100000", "1.0e+12")


def test_misspelled_key_suggests_the_close_one(params):
    params["simulator"]["neuron"]["tau_mm"] = 5.0
    expect_error("simulator", params["simulator"], "simulator.neuron.tau_mm is not a known key (did you mean 'tau_m'?)")


def test_tau_syn_equal_to_tau_m_is_caught_by_the_schema(params):
    # the rule lives once, in NeuronParams; the checker reports it under the section's key
    params["simulator"]["neuron"].update(model="lif", tau_syn=20.0, tau_m=20.0)
    expect_error("simulator", params["simulator"], "simulator.neuron", "tau_syn = 20.0 must differ from tau_m")


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist", "nmnist", "shd", "dvs_gesture"])
def test_known_dataset_absent_offline_is_rejected_before_any_stage(params, tmp_path, dataset):
    params["data"].update(dataset=dataset, root=str(tmp_path / "raw"))
    expect_error("data", params["data"], f"dataset '{dataset}' is not available offline", "not found",
                 str(tmp_path / "raw"))


def test_bad_constraint_family_leaf_names_its_path_once_with_its_own_range(params):
    params["conversion"]["families"]["digital4"]["bits"] = 0
    message = expect_error("conversion", params["conversion"], "conversion.families.digital4.bits = 0", ">= 2",
                           "weight resolution")
    assert message.count(";") == 0 and "conversions" not in message  # one error, no cascade
    params["conversion"]["families"]["digital4"] = {"family": "digital", "bitz": 4}
    expect_error("conversion", params["conversion"], "conversion.families.digital4.bitz is not a known key",
                 "did you mean 'bits'?")


# --- notebook_section: what a stage notebook runs with (papermill's values, or params.yaml by hand) ---

def repo_like(tmp_path, params):
    """A folder laid out like the repository: params.yaml and dvc.yaml at its root, notebooks/ below."""
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "notebooks").mkdir()
    return tmp_path


def test_notebook_section_with_values_validates_them_as_given(params):
    values = copy.deepcopy(params["simulator"])
    values["dt"] = 0.5
    cfg = config.notebook_section("simulator", values)
    assert cfg == config.validate("simulator", values) and cfg.dt == 0.5
    values["dt"] = -1.0
    with pytest.raises(ConfigError, match="simulator.dt = -1.0"):
        config.notebook_section("simulator", values)


def test_notebook_section_with_values_keeps_relative_paths(params):
    cfg = config.notebook_section("conversion", params["conversion"])
    assert cfg.models_dir == params["conversion"]["models_dir"]


def test_empty_notebook_section_reads_the_repository_params_file(params, tmp_path, monkeypatch):
    params["simulator"]["n_steps"] = 37
    params["conversion"]["epochs"] = {"mlp": 3, "cnn": 4, "regression": 5}
    root = repo_like(tmp_path, params)
    monkeypatch.chdir(root / "notebooks")  # where JupyterLab runs a notebook
    assert config.notebook_section("simulator", {}).n_steps == 37
    conversion = config.notebook_section("conversion", {})
    assert conversion.epochs.model_dump() == {"mlp": 3, "cnn": 4, "regression": 5}
    assert conversion.families == config.validate("conversion", params["conversion"]).families


def test_empty_notebook_section_resolves_folder_paths_against_the_root(params, tmp_path, monkeypatch):
    params["conversion"]["models_dir"] = "models/conversion"
    params["data"]["root"] = "data/raw"
    params["asynchronous"]["root"] = "elsewhere/raw"
    root = repo_like(tmp_path, params)
    monkeypatch.chdir(root / "notebooks")
    assert config.notebook_section("conversion", {}).models_dir == str(root.resolve() / "models" / "conversion")
    assert config.notebook_section("data", {}).root == str(root.resolve() / "data" / "raw")
    assert config.notebook_section("asynchronous", {}).root == str(root.resolve() / "elsewhere" / "raw")
    # a key left out takes the schema default, resolved the same way; absolute paths stay as they are
    del params["data"]["root"]
    params["conversion"]["models_dir"] = str(tmp_path / "abs" / "models")
    (tmp_path / "second").mkdir()
    repo_like(tmp_path / "second", params)
    monkeypatch.chdir(tmp_path / "second" / "notebooks")
    assert config.notebook_section("data", {}).root == str((tmp_path / "second").resolve() / "data" / "raw")
    assert config.notebook_section("conversion", {}).models_dir == str(tmp_path / "abs" / "models")
    # the result is the frozen schema object, nothing created on disk
    with pytest.raises(Exception):
        config.notebook_section("data", {}).root = "x"
    assert not (tmp_path / "second" / "notebooks" / "models").exists()


def test_empty_notebook_section_from_the_root_itself_and_with_start(params, tmp_path, monkeypatch):
    root = repo_like(tmp_path, params)
    monkeypatch.chdir(root)
    assert config.notebook_section("data", {}).root == str(root.resolve() / "data" / "raw")
    monkeypatch.chdir(tmp_path.parent)
    assert config.notebook_section("data", {}, start=root / "notebooks").root == str(root.resolve() / "data" / "raw")


def test_empty_notebook_section_names_the_file_on_a_bad_value(params, tmp_path, monkeypatch):
    params["simulator"]["dt"] = -1.0
    root = repo_like(tmp_path, params)
    monkeypatch.chdir(root / "notebooks")
    with pytest.raises(ConfigError, match=r"params.yaml: simulator.dt = -1.0") as info:
        config.notebook_section("simulator", {})
    assert str(root.resolve()) in str(info.value)


def test_empty_notebook_section_without_a_repository_root(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text("simulator: {}\n")  # no dvc.yaml beside it: not the root
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="holds params.yaml and dvc.yaml"):
        config.notebook_section("simulator", {})


def test_empty_notebook_section_missing_from_the_file(params, tmp_path, monkeypatch):
    del params["multicore"]
    root = repo_like(tmp_path, params)
    monkeypatch.chdir(root / "notebooks")
    with pytest.raises(ConfigError, match="section 'multicore' is missing"):
        config.notebook_section("multicore", {})


@pytest.mark.parametrize("section, values, fragment", [
    ("asynchronous", {"forward_groups": [4, 0]}, "asynchronous.forward_groups.1 = 0"),
    ("asynchronous", {"steps_after_output": [-1]}, "asynchronous.steps_after_output.0 = -1"),
    ("conversion", {"evaluate": {"steps": [10, 0]}}, "conversion.evaluate.steps.1 = 0"),
    ("endurance", {"rram": {"temperatures": [300.0, -4.0]}}, "endurance.rram.temperatures.1 = -4.0"),
    ("multicore", {"hop_ns_sweep": [1.0, -2.0]}, "multicore.hop_ns_sweep.1 = -2.0"),
    ("src", {"network": {"hidden": [0]}}, "src.network.hidden.0 = 0"),
])
def test_a_bad_list_element_is_named_by_its_index(section, values, fragment):
    """List parameters share the element types of neurobench.schema (AtLeastOne, NonNegative, ...):
    the error names the element, its value and the bound."""
    message = expect_error(section, values, fragment)
    assert "greater than" in message
