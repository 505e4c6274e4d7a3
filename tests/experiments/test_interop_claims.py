"""The interop stage: the comparison cells, the claims on hand-made cases, the params section's
checks, a tiny run over tiny stand-ins (exports, agreement, reproducibility) and the small built
report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurobench import config
from neurobench.experiments.interop.claims import headline_metrics, interop_claims
from neurobench.experiments.interop.stages import (COLUMNS, Agreement, Case, agreement_table, compare_counts,
                                                   networks_of, run_replicates, status_counts, tiny_networks)
from neurobench.seeds import child_seed

pytest.importorskip("nirtorch")  # snnTorch's NIR import needs it; not a project dependency


def test_compare_counts_identical_differs_and_mismatched_layers():
    a = [np.array([[1, 2, 3]]), np.array([[0, 4]])]
    assert compare_counts(a, [x.copy() for x in a]) == Agreement("identical", 5, 5, 0)
    b = [np.array([[1, 5, 3]]), np.array([[0, 3]])]
    assert compare_counts(a, b) == Agreement("differs", 3, 5, 3)
    assert compare_counts(a, b).text() == "differs (3/5, max 3)"
    bad = compare_counts(a, [np.array([[1, 2, 3]])])
    assert bad.status == "differs" and "layer shapes" in bad.reason
    assert Agreement("unsupported", reason="TypeError: x").text() == "unsupported (TypeError: x)"


def _case(r: int, kind: str, **statuses) -> Case:
    agreements = {key: Agreement("identical", 10, 10, 0) for key in COLUMNS}
    for key, status in statuses.items():
        agreements[key] = Agreement(status, 7 if status == "differs" else 0, 10 if status == "differs" else 0,
                                    2 if status == "differs" else 0)
    return Case(r, "conversion" if kind == "IF" else "async", f"n{r}", kind, "subtract" if kind == "IF" else "zero",
                10, 20, 30, agreements)


def test_claims_are_fractions_per_replicate_and_decided_on_the_mean():
    cases = [_case(0, "IF"), _case(0, "IF", snntorch_matched="differs"), _case(0, "LIF", snntorch_own_reset="differs",
                                                                              snntorch_native="unsupported"),
             _case(1, "IF", brian2="not run", snntorch_matched="unsupported"), _case(1, "LIF", round_trip="differs", snntorch_own_reset="differs")]
    claims = {c.key: c for c in interop_claims(cases, "toy")}
    assert claims["round_trip_identical"].measured == (1.0, 0.5) and not claims["round_trip_identical"].met
    assert claims["snntorch_if_identical"].measured == (0.5, 0.0) and claims["snntorch_if_identical"].seeds == (0, 1)
    assert claims["snntorch_lif_identical"].measured == (1.0, 1.0) and claims["snntorch_lif_identical"].met
    assert claims["brian2_identical"].measured == (1.0, 1.0)  # the network not run is left out
    assert claims["snntorch_lif_own_reset_neurons"].measured == (0.7, 0.7)
    assert claims["snntorch_native_runs"].measured == pytest.approx((2 / 3, 1.0))
    assert claims["snntorch_native_runs"].met is None
    m = headline_metrics(cases)
    assert m["networks"] == 5 and m["if_networks"] == 3 and m["brian2_run"] == 4
    assert m["snntorch_matched_identical_fraction"] == pytest.approx(0.6)
    assert m["snntorch_native_unsupported_fraction"] == pytest.approx(0.2)
    counts = status_counts(cases)
    assert counts.loc[COLUMNS["brian2"], "not run"] == 1 and counts.loc[COLUMNS["round_trip"], "identical"] == 4


def test_bad_section_values_stop_with_one_message_naming_the_key():
    for values, key in (({"n_seeds": 0}, r"interop\.n_seeds"), ({"n_steps": 0}, r"interop\.n_steps"),
                        ({"input_rate": 1.5}, r"interop\.input_rate"), ({"dt": 0}, r"interop\.dt"),
                        ({"brian_networks": -1}, r"interop\.brian_networks"), ({"folder": "x"}, r"folder")):
        with pytest.raises(config.ConfigError, match=key):
            config.validate("interop", values)


def _tiny_cfg(tmp_path, **kw):
    values = {"conversion_dir": str(tmp_path / "none"), "async_dir": str(tmp_path / "none"),
              "nir_dir": str(tmp_path / "nir"), "n_steps": 15, "samples": 2, "n_seeds": 2, "brian_networks": 0, **kw}
    return config.validate("interop", values)


def test_empty_folders_fall_back_to_tiny_seeded_networks_with_a_note(tmp_path):
    networks, notes = networks_of(_tiny_cfg(tmp_path), 1)
    assert [(o, n) for o, n, _ in networks] == [("conversion", "seed1/tiny_cnn"), ("conversion", "seed1/tiny_mlp"),
                                               ("async", "async/tiny_lif_mlp")]
    assert len(notes) == 2 and all("tiny seeded" in n for n in notes)
    first = tiny_networks("conversion", child_seed(0, 101))[0][1]
    np.testing.assert_array_equal(networks[0][2].layers[0].weight, first.layers[0].weight)


def test_saved_networks_are_read_from_the_replicates_folder(tmp_path):
    from neurobench.serialize import save_network

    net = tiny_networks("conversion", 7)[1][1]
    save_network(tmp_path / "conv" / "seed0" / "mlp__analog.npz", net)
    save_network(tmp_path / "async" / "rows" / "sync.npz", tiny_networks("async", 7)[0][1])
    (tmp_path / "conv" / "seed0" / "broken.npz").write_bytes(b"not a network")
    cfg = config.validate("interop", {"conversion_dir": str(tmp_path / "conv"), "async_dir": str(tmp_path / "async")})
    networks, notes = networks_of(cfg, 0)
    assert [(o, n) for o, n, _ in networks] == [("conversion", "seed0/mlp__analog"), ("async", "async/rows/sync")]
    np.testing.assert_array_equal(networks[0][2].layers[0].weight, net.layers[0].weight)
    assert len(notes) == 1 and "broken.npz" in notes[0]
    assert [n for _, n, _ in networks_of(cfg, 1)[0]][:2] == ["seed1/tiny_cnn", "seed1/tiny_mlp"]


@pytest.mark.slow
def test_a_tiny_run_exports_every_network_and_agrees_everywhere_it_should(tmp_path):
    cfg = _tiny_cfg(tmp_path, brian_networks=1)
    cases, _ = run_replicates(cfg)
    assert len(cases) == 6 and {c.kind for c in cases} == {"IF", "LIF"}
    assert sorted(p.relative_to(tmp_path / "nir").as_posix() for p in (tmp_path / "nir").rglob("*.nir")) == [
        "async/tiny_lif_mlp.nir", "seed0/tiny_cnn.nir", "seed0/tiny_mlp.nir", "seed1/tiny_cnn.nir",
        "seed1/tiny_mlp.nir"]
    assert all(c.spikes > 0 for c in cases)
    for c in cases:
        assert c.agreements["round_trip"].status == "identical", c.name
        assert c.agreements["snntorch_matched"].status == "identical", c.name
    assert sum(c.agreements["brian2"].status == "identical" for c in cases) == 4  # 1 per origin and replicate
    lif = [c for c in cases if c.kind == "LIF"]
    assert all(c.agreements["snntorch_own_reset"].status == "differs" for c in lif)
    if_ = [c for c in cases if c.kind == "IF"]
    assert all(c.agreements["snntorch_native"].status == "unsupported" for c in if_)  # snnTorch 1.0.0's IF import
    table = agreement_table(cases)
    assert list(table.columns[-5:]) == list(COLUMNS.values()) and len(table) == 6
    # the same params give the same numbers
    again, _ = run_replicates(cfg)
    assert json.dumps(headline_metrics(again)) == json.dumps(headline_metrics(cases))


def test_built_report_claims(built_reports):
    """The small pipeline's own converted and trained networks (as under dvc repro, the conversion
    and async stages run first) all go through NIR, Brian2 and snnTorch identically."""
    built_reports.stage("conversion")
    built_reports.stage("async")
    built_reports.stage("interop")
    out = built_reports.reports / "interop"
    m = json.loads((out / "metrics.json").read_text())
    assert all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in m.values())
    for key in ("round_trip_identical", "snntorch_if_identical", "snntorch_lif_identical", "brian2_identical"):
        assert m[f"claim_{key}_n"] == 2 and m[f"claim_{key}_mean"] == 1.0 and m[f"claim_{key}_met"] == 1, key
    models = built_reports.root / "models"
    n_async = len(list((models / "async").rglob("*.npz")))
    expected = sum(len(list((models / "conversion" / "snn" / f"seed{r}").glob("*.npz"))) + n_async for r in range(2))
    assert n_async > 0 and m["networks"] == expected and m["round_trip_identical_fraction"] == 1.0
    assert list((models / "nir" / "async").rglob("*.nir"))
    claims = json.loads((out / "claims.json").read_text())
    assert {c["key"] for c in claims} >= {"round_trip_identical", "snntorch_lif_own_reset_neurons"}
