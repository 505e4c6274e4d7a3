"""`python -m neurobench.plan`: the stages dvc repro would run, downstream ones included."""

from neurobench.plan import downstream_plan, stage_graph, status_reasons


def dvc_project(tmp_path, text: str, params: str = ""):
    """A DVC project (no git) in ``tmp_path`` with ``text`` as its dvc.yaml; returns its path."""
    from dvc.repo import Repo

    Repo.init(str(tmp_path), no_scm=True).close()
    if params:
        (tmp_path / "params.yaml").write_text(params)
    path = tmp_path / "dvc.yaml"
    path.write_text(text)
    return path

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
    path = dvc_project(tmp_path, DVC_YAML)
    assert stage_graph(path) == {"a": [], "b": ["a"], "c": [], "index": ["a", "b"]}


def test_plan_adds_every_stage_downstream_of_a_changed_one(tmp_path):
    path = dvc_project(tmp_path, DVC_YAML)
    status = {"a": [{"changed deps": {"x.py": "modified", "y.py": "modified", "z.py": "modified", "w.py": "new"}},
                    {"changed outs": {"models/a": "deleted"}}],
              "dvc.yaml:c": ["always changed"]}
    reasons = status_reasons(status)
    assert reasons == {"a": "changed deps (x.py, y.py, z.py, ...); outputs deleted", "c": "always changed"}
    assert downstream_plan(stage_graph(path), reasons) == {
        "a": "changed deps (x.py, y.py, z.py, ...); outputs deleted", "b": "after a", "c": "always changed",
        "index": "after a, b"}
    assert downstream_plan(stage_graph(path), {}) == {}


def test_graph_resolves_foreach_instances_and_templated_paths(tmp_path):
    path = dvc_project(tmp_path, """
stages:
  chip:
    foreach: ${chips}
    do:
      cmd: x ${key}
      params: ["chips.${key}"]
      outs: ["${folder}/${key}"]
  report:
    cmd: x
    deps: ["${folder}"]
    outs: [reports/r.html]
""", "folder: models/deploy\nchips:\n  a: {v: 1}\n  b: {v: 2}\n")
    assert stage_graph(path) == {"chip@a": [], "chip@b": [], "report": ["chip@a", "chip@b"]}
