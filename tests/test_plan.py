"""`python -m neurobench.plan`: the stages dvc repro would run, downstream ones included."""

from neurobench.plan import downstream_plan, stage_graph, status_reasons

DVC_YAML = """
stages:
  a:
    cmd: x
    outs: [models/a, {reports/a.html: {persist: true}}]
    metrics: [{reports/a/metrics.json: {persist: true}}]
  b:
    cmd: x
    deps: [models/a/seed0, src.py]
    outs: [reports/b.html]
  c:
    cmd: x
    deps: [other.py]
    outs: [reports/c.html]
  index:
    cmd: x
    deps: [reports/a/metrics.json, reports/b.html]
    outs: [reports/index.html]
"""


def test_graph_links_a_dependency_inside_another_stages_output(tmp_path):
    path = tmp_path / "dvc.yaml"
    path.write_text(DVC_YAML)
    assert stage_graph(path) == {"a": [], "b": ["a"], "c": [], "index": ["a", "b"]}


def test_plan_adds_every_stage_downstream_of_a_changed_one(tmp_path):
    path = tmp_path / "dvc.yaml"
    path.write_text(DVC_YAML)
    status = {"a": [{"changed deps": {"x.py": "modified", "y.py": "modified", "z.py": "modified", "w.py": "new"}},
                    {"changed outs": {"models/a": "deleted"}}],
              "dvc.yaml:c": ["always changed"]}
    reasons = status_reasons(status)
    assert reasons == {"a": "changed deps (x.py, y.py, z.py, ...); outputs deleted", "c": "always changed"}
    assert downstream_plan(stage_graph(path), reasons) == {
        "a": "changed deps (x.py, y.py, z.py, ...); outputs deleted", "b": "after a", "c": "always changed",
        "index": "after a, b"}
    assert downstream_plan(stage_graph(path), {}) == {}
