"""The claims type: mean ± std over seeds, the decision on the mean, numbers-only metrics."""

import json
import math

import pytest

from neurobench import claims as C
from neurobench import index_page, report


def speedup(measured=(1.2, 1.1, 1.3), **kw):
    args = dict(key="speedup", statement="1.86x speedup over the global barrier", source="Chen et al. 2024, abstract",
                unit="x", paper=1.86, target=1.0, measured=measured)
    args.update(kw)
    return C.Claim(**args)


def test_mean_std_and_decision_on_the_mean():
    c = speedup((1.2, 1.1, 1.3))
    assert c.n == 3 and c.mean == pytest.approx(1.2) and c.std == pytest.approx(0.1)  # sample std, ddof = 1
    assert c.met is True
    assert speedup((0.9, 1.0, 1.05)).met is False  # mean 0.983 < 1 although one seed is above
    assert speedup((0.9,), target=None).met is None
    assert speedup((0.5, 0.7), target=0.6, higher_is_better=False).met is True
    assert speedup((0.1 + 0.2 - 0.3, -(0.1 + 0.2 - 0.3)), target=0.0).met is True  # 0 up to rounding
    assert speedup((-1e-6, -1e-6), target=0.0).met is False


def test_nan_seeds_are_left_out_of_mean_and_count():
    c = speedup((1.0, float("nan"), 2.0))
    assert c.n == 2 and c.mean == 1.5
    assert math.isnan(speedup((float("nan"),)).mean) and speedup((float("nan"),)).met is None


@pytest.mark.parametrize("field, value, match", [
    ("key", "Speed Up", "snake_case"), ("statement", " ", "non-empty"), ("measured", (), "one number per seed"),
    ("measured", (1.0, float("inf")), "infinities"), ("paper", float("nan"), "finite"), ("target", "1", "finite number"),
    ("seeds", (1, 2), "seeds has 2 entries"),
])
def test_bad_fields_are_rejected_by_name(field, value, match):
    with pytest.raises(ValueError, match=match) as err:
        speedup(**{field: value})
    assert f"Claim.{field}" in str(err.value) or field == "measured" or field == "seeds"


def test_metrics_are_numbers_only_and_keys_unique():
    m = C.claims_metrics([speedup(), speedup(key="energy", target=None, paper=None)])
    assert m == pytest.approx({"claim_speedup_mean": 1.2, "claim_speedup_std": 0.1, "claim_speedup_n": 3,
                               "claim_speedup_paper": 1.86, "claim_speedup_target": 1.0, "claim_speedup_met": 1,
                               "claim_energy_mean": 1.2, "claim_energy_std": 0.1, "claim_energy_n": 3})
    assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in m.values())
    with pytest.raises(ValueError, match="repeated: \\['speedup'\\]"):
        C.claims_metrics([speedup(), speedup()])


def test_frame_shows_paper_beside_mean_and_std():
    row = C.claims_frame([speedup()]).iloc[0]
    assert row["paper"] == "1.86 x" and row["ours (mean ± std)"] == "1.20 ± 0.10 x"
    assert row["seeds"] == 3 and row["target"] == "≥ 1.00 x" and row["met"] == "yes"
    assert C.format_measure(0.98765, 0.01234, "fraction") == "0.988 ± 0.012"
    assert C.format_measure(41.07, 2.5, "%") == "41.1 ± 2.5 %"
    assert C.format_measure(float("nan")) == "n/a"
    # a mean that is zero up to rounding noise takes its decimals from the spread, never "-0"
    assert C.format_measure(3.7e-15, 0.27855153, "pp") == "0.000 ± 0.279 pp"
    assert C.format_measure(-3.7e-15, 0.30354, "pp") == "0.000 ± 0.304 pp"
    assert C.format_measure(0.0, 0.0, "count") == "0.00 ± 0.00 count"


def test_claims_json_feeds_the_index_page(tmp_path):
    reports, notebooks = tmp_path / "reports", tmp_path / "notebooks"
    (reports / "multicore").mkdir(parents=True)
    notebooks.mkdir()
    report.save_metrics(reports / "multicore", {"speedup": 1.2, **C.claims_metrics([speedup()])})
    path = report.save_claims(reports / "multicore", [speedup()])
    records = json.loads(path.read_text())
    assert records[0]["measured"] == [1.2, 1.1, 1.3] and records[0]["met"] is True
    page = index_page.build_index(reports, notebooks, tmp_path / "missing.yaml").read_text()
    assert "1.86x speedup over the global barrier" in page and "Chen et al. 2024, abstract" in page
    assert "1.20 ± 0.10 x (n = 3)" in page and "≥ 1.00 x" in page
    assert "claim speedup mean" not in page  # claim numbers are in the claims table, not the headline list


@pytest.mark.parametrize("claim", [
    speedup(),
    speedup(measured=(0.5, float("nan")), paper=None, target=None),
    speedup(key="energy", unit="pJ", higher_is_better=False, target=10.0, measured=(12.0, 13.0, 14.0)),
], ids=["met", "no-target", "lower-is-better-missed"])
def test_report_table_and_index_page_format_a_claim_identically(claim):
    """One formatting for both places: the report's frame and the index page's HTML table."""
    row = C.claims_frame([claim]).iloc[0]
    html_table = index_page.claims_table_html(C.claims_records([claim]))
    shown = [cell.split(">", 1)[1].split("</td>", 1)[0] for cell in html_table.split("<td")[1:]]
    assert shown[1:] == [row["paper"], f"{row['ours (mean ± std)']} (n = {row['seeds']})", row["target"], row["met"]]
