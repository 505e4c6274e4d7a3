"""Every paper report built at small parameters has its NeuroBench-style table
(``neurobench.metrics.table``) in ``metrics.json``: for each network the stage evaluates, the keys
``neurobench/<network>/<metric>`` of every metric defined for that kind of network."""

from __future__ import annotations

import json

import pytest

from neurobench.metrics.table import COLUMNS

UNDEFINED_FOR_ASYNC = {"ActivationSparsity", "Dense"}
# stage -> {network: metrics left out (NaN: undefined for that network, the report's note says why)}
ASYNC_TABLE = {f"{task}/{model}/{execution}": (UNDEFINED_FOR_ASYNC if execution != "layer-sync" else set())
               for task in ("saccade", "rows") for model in ("sync", "async-random", "async-momentum")
               for execution in ("layer-sync", "random-F2")}
TABLES = {
    "async": ASYNC_TABLE,
    "async_authors": ASYNC_TABLE,
    "conversion": {"mlp/ann": set(), "regression/ann": {"ClassificationAccuracy"}}
    | {f"mlp/{family}/{method}": set() for family in ("analog", "digital3") for method in ("lp", "baseline")}
    | {f"regression/{family}/{method}": {"ClassificationAccuracy"}
       for family in ("analog", "digital3_milp") for method in ("lp", "baseline")},
    "delays": {"delays": set(), "no_delays": set(), "pooled_k1": set()},
    "src": {model: set() for model in ("src_shallow", "src_deep", "lif_shallow", "src_events", "lif_events")},
    "analog": {"float": set(), "quantised": set()},
    "wireless": {"neurojscc": set()},
    "devices": {"ann": set(), "ideal": set(), "nominal/open_loop": set(), "nominal/verify": set()},
    "multicore": {name: set() for name in ("conv", "mlp", "deep mlp", "cnn", "sparse")},
    "federated": {"federated": set(), "centralised": set()},
}
# stage -> networks built once, not per replicate (a single row: no std)
ONCE = {"devices": {"ann", "ideal"}}


@pytest.mark.parametrize("stage", sorted(TABLES))
def test_built_report_has_the_neurobench_table(stage, built_reports):
    built_reports.stage(stage)
    values = json.loads((built_reports.reports / stage / "metrics.json").read_text())
    tabled = {key.split("/", 1)[1].rsplit("/", 1)[0] for key in values if key.startswith("neurobench/")}
    assert tabled == set(TABLES[stage]), sorted(tabled)
    for network, undefined in TABLES[stage].items():
        for metric in COLUMNS:
            key = f"neurobench/{network}/{metric}"
            if metric in undefined:
                assert key not in values, key
            else:
                assert isinstance(values[key], float), key
                # the small builds have 2 replicates
                assert (f"{key}_std" in values) == (network not in ONCE.get(stage, ())), key
    assert all(0.0 <= values[k] <= 1.0 for k in values
               if k.startswith("neurobench/") and k.endswith(("Sparsity", "Accuracy")))
