"""The deploy flow on a tiny network and two tiny chips; impossible candidates; bad params; determinism."""

import numpy as np
import pytest
from pydantic import ValidationError

from neurobench import config
from neurobench.experiments.deploy import flow
from neurobench.experiments.deploy.check import core_lower_bound
from neurobench.experiments.deploy.params import DeploySection
from neurobench.experiments.deploy.results import compute_candidates
from neurobench.experiments.deploy.stages import candidate_rows, headline_metrics

TINY = {"network": {"hidden": 12, "epochs": 2, "min_hidden": 4}, "calibration_samples": 30, "n_steps": 16,
        "test_samples": 30, "timing_samples": 3, "brian_samples": 1, "pso": {"particles": 3, "iterations": 2},
        "n_seeds": 1}
CHIPS = {
    "pcm": {"kind": "spiking", "constraints": {"family": "analog", "w_min": -4.0, "w_max": 4.0},
            "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "dependency", "device": {"kind": "pcm"}},
    "rram": {"kind": "spiking", "constraints": {"family": "digital", "bits": 4, "method": "round"},
             "noc": {"rows": 1, "cols": 2}, "crossbar": {"n": 64}, "sync": "barrier", "device": {"kind": "rram"}},
}


def tiny(**changes) -> DeploySection:
    return config.validate("deploy", {**TINY, "chips": CHIPS, **changes})


@pytest.fixture(scope="module")
def trained():
    return flow.train_network(tiny())


def test_each_step_returns_the_next_steps_input(trained, tmp_path):
    cfg = tiny()
    chip = cfg.chips["rram"]
    deployed = flow.convert_for(trained, "rram", chip, cfg)
    assert isinstance(deployed, flow.Deployed) and deployed.hidden == 12
    simulated = flow.simulate_deployed(deployed, cfg, brian=True)
    assert isinstance(simulated, flow.Simulated) and simulated.brian["identical"]
    assert 0.5 < simulated.accuracy <= 1 and simulated.workload.n_samples == 3
    placed = flow.place(simulated, cfg)
    assert isinstance(placed, flow.Placed) and placed.mapping.clustering.n_clusters <= 2
    timed = flow.time_and_energy(placed)
    assert isinstance(timed, flow.Timed)
    # barrier policy: the makespan of all samples over their number
    assert timed.latency_ns == pytest.approx(timed.schedule.makespan_ns / 3)
    worn = flow.wear_and_programming(timed)
    assert isinstance(worn, flow.Worn) and 0 < worn.lifetime < np.inf
    # programming cost closed form: cells x pulses x (pulse + verify) energy
    p = chip.device.programming
    nonzero = int(np.count_nonzero(placed.mapped.graph.weight))
    assert worn.programming.cells == nonzero
    assert worn.programming.energy_pj == pytest.approx(nonzero * p.pulses_per_cell * (p.pulse_pj + p.verify_pj))
    path = flow.export_nir(worn, tmp_path / "rram.nir", cfg.dt)
    assert path.is_file()


def test_impossible_candidate_named_before_compute():
    one_core = {**CHIPS["pcm"], "noc": {"rows": 1, "cols": 1}}
    with pytest.raises(ValidationError, match="chip 'small' is impossible: the network needs at least 2 cores"):
        DeploySection.model_validate({**TINY, "chips": {"small": one_core}})
    digital_on_2bit = {**CHIPS["rram"], "device": {"kind": "rram", "bits_per_cell": 2}}
    with pytest.raises(ValidationError, match="chip 'coarse' is impossible: 4-bit digital weights need 4 bits"):
        DeploySection.model_validate({**TINY, "chips": {"coarse": digital_on_2bit}})
    analog_on_digital = {**CHIPS["pcm"], "device": {"kind": "rram"}}
    with pytest.raises(ValidationError, match="chip 'x' is impossible: analog weights need an analog cell"):
        DeploySection.model_validate({**TINY, "chips": {"x": analog_on_digital}})


def test_core_estimate_counts_partial_sums():
    # 64 -> 48 -> 10 on 32x32: 48 (1 + 2) columns -> 5 crossbars; 10 (1 + 2) -> 1
    assert core_lower_bound(64, 48, 10, 32) == 6
    assert core_lower_bound(64, 48, 10, 64) == 2


def test_bad_params_name_the_key():
    with pytest.raises(config.ConfigError, match="sync"):
        config.validate("deploy", {"chips": {"a": {**CHIPS["pcm"], "sync": "lockstep"}}})
    with pytest.raises(config.ConfigError, match="min_hidden"):
        config.validate("deploy", {"network": {"hidden": 8, "min_hidden": 9}})
    with pytest.raises(config.ConfigError, match="factors"):
        config.validate("deploy", {"sweep": {"factors": [0.0, 1.0]}})


def test_same_params_same_metrics():
    cfg = tiny(chips={"rram": CHIPS["rram"]})
    a = headline_metrics(candidate_rows(r := compute_candidates(cfg, cfg.chips)), r)
    b = headline_metrics(candidate_rows(s := compute_candidates(cfg, cfg.chips)), s)
    assert a == b
