"""Each DVC stage's code dependencies, computed from the code so ``dvc.yaml`` cannot drift.

A stage depends on every file of ``neurobench`` that its command can import: the module its
``cmd`` runs (``python -m neurobench.X ...``) and, for ``python -m neurobench.pipeline run
STAGE``, the code cells of ``notebooks/STAGE.ipynb``, followed transitively through every
``import`` statement -- function-local and relative imports included, and the ``__init__.py`` of
every package on the way, since importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py``.
The analysis is static (``ast``): nothing is imported, so it works on a half-edited tree.

Two kinds of import that are not ``import`` statements are followed too:

* a string constant that is exactly a module name, ``"neurobench.x.y"`` or
  ``"neurobench.x.y:Attribute"`` (e.g. the argument of ``importlib.import_module``);
* the params sections (``neurobench.config.SECTIONS``, by convention the schema of section
  ``S`` is ``neurobench/experiments/S/params.py``): a stage depends only on the schema modules of
  the sections it reads, i.e. the top-level keys of its ``params:`` in ``dvc.yaml`` and the names
  in its notebook's ``parameters`` cell.

Anything computed more dynamically than that is invisible here: keep imports static.

Input files named in ``params.yaml`` are dependencies too: a section's schema module may list,
in a tuple ``INPUT_FILES``, the keys of the section (dotted, within it) whose value can be the
path of a file the results are computed from (``deploy``'s ``network.source``, a NIR network).
A stage that reads such a key (its ``params:`` in ``dvc.yaml`` names the key or a parent of it,
or its notebook receives the whole section) depends on the file the key names in
``params.yaml`` when that file exists. ``write`` adds it to the stage's ``deps``; it is kept
as written from then on, like any entry outside ``neurobench/`` (remove it by hand when the key
no longer names it).

The closure is listed as files relative to the repository root, sorted. A package directory
replaces its files when every file under it is in the closure, but only when ``.dvcignore``
ignores ``__pycache__``: DVC hashes every file of a directory dependency, and the bytecode
Python writes there would make the directory look modified. In ``dvc.yaml`` every ``deps``
entry under ``neurobench/`` is owned by this module; other entries (the notebook, other stages'
outputs) are kept as written, and a pipeline stage's notebook is added when missing.

A ``foreach`` stage is analysed through its ``do`` block (one deps list for every instance).

``python -m neurobench.deps check``   exit status 1 and the differences when ``dvc.yaml`` is stale
``python -m neurobench.deps write``   rewrite only the ``deps:`` lists of ``dvc.yaml``
``python -m neurobench.deps show STAGE``   print one stage's computed deps
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

PACKAGE = "neurobench"
REPO_ROOT = Path(__file__).resolve().parents[1]
DVC_YAML = REPO_ROOT / "dvc.yaml"

EXPERIMENTS = "experiments"
"""Subpackage whose ``<section>/params.py`` holds the schema of params section ``<section>``
(the convention of ``neurobench.config.discover_sections``)."""

INPUT_FILES = "INPUT_FILES"
"""Name of the tuple, in a section's schema module, of the section's keys that may name an input
file (see the module docstring)."""
PARAMS_YAML = "params.yaml"

PIPELINE = "neurobench.pipeline"
NOTEBOOKS = "notebooks"

_MODULE_STRING = re.compile(rf"^{PACKAGE}(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*)?$")
_SKIP_NAMES = {"__pycache__", ".ipynb_checkpoints"}


class DepsError(RuntimeError):
    """dvc.yaml or a source file cannot be analysed."""


# --------------------------------------------------------------------------------------------
# the package's modules and their imports


def _is_skipped(path: Path) -> bool:
    return path.name in _SKIP_NAMES or path.name.startswith(".") or path.suffix in {".pyc", ".pyo"}


@dataclass
class Package:
    """The modules of ``neurobench`` as they are on disk now (namespace packages included)."""

    root: Path = REPO_ROOT

    @cached_property
    def _walk(self) -> tuple[dict[str, Path], set[str]]:
        modules: dict[str, Path] = {}
        packages: set[str] = set()

        def walk(directory: Path, name: str) -> None:
            packages.add(name)
            for path in sorted(directory.iterdir()):
                if _is_skipped(path):
                    continue
                if path.is_dir() and path.name.isidentifier():
                    walk(path, f"{name}.{path.name}")
                elif path.suffix == ".py" and path.stem.isidentifier():
                    modules[name if path.stem == "__init__" else f"{name}.{path.stem}"] = path

        walk(self.root / PACKAGE, PACKAGE)
        return modules, packages

    @property
    def files(self) -> dict[str, Path]:
        """Module name -> its source file (``__init__.py`` for a regular package)."""
        return self._walk[0]

    @property
    def packages(self) -> set[str]:
        """Names of packages: directories under ``neurobench`` (with or without ``__init__``)."""
        return self._walk[1]

    def exists(self, module: str) -> bool:
        return module in self.files or module in self.packages

    def with_parents(self, module: str) -> set[str]:
        """``module`` and the packages containing it (those exist when ``module`` does)."""
        parts = module.split(".")
        return {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & (
            set(self.files) | self.packages)

    @cached_property
    def registry(self) -> dict[str, str]:
        """Params section -> schema module: ``neurobench/experiments/<section>/params.py``."""
        return {path.parent.name: f"{PACKAGE}.{EXPERIMENTS}.{path.parent.name}.params"
                for path in sorted((self.root / PACKAGE / EXPERIMENTS).glob("*/params.py"))
                if path.parent.name.isidentifier()}

    def input_file_keys(self, section: str) -> list[str]:
        """The keys of ``section`` that may name an input file: the literal tuple
        :data:`INPUT_FILES` of the section's schema module (empty when it has none)."""
        module = self.registry.get(section)
        if module is None or module not in self.files:
            return []
        for node in self._tree(module).body:
            if isinstance(node, ast.Assign):
                targets = node.targets
            elif isinstance(node, ast.AnnAssign):
                targets = [node.target]
            else:
                continue
            named = any(isinstance(t, ast.Name) and t.id == INPUT_FILES for t in targets)
            if named and node.value is not None:
                try:
                    keys = ast.literal_eval(node.value)
                except ValueError:
                    keys = None
                if not isinstance(keys, tuple) or not all(isinstance(k, str) for k in keys):
                    raise DepsError(f"{self.files[module].relative_to(self.root)}: {INPUT_FILES} must be a "
                                    "literal tuple of strings")
                return list(keys)
        return []

    @cached_property
    def params(self) -> dict:
        """``params.yaml`` beside ``dvc.yaml``, read as the stages read it
        (``neurobench.config.load_params``); empty when there is none."""
        from .config import ConfigError, load_params

        path = self.root / PARAMS_YAML
        if not path.is_file():
            return {}
        try:
            return load_params(path)
        except ConfigError as exc:
            raise DepsError(str(exc)) from None

    def _tree(self, module: str) -> ast.Module:
        path = self.files[module]
        try:
            return ast.parse(path.read_text(), filename=str(path))
        except SyntaxError as exc:
            raise DepsError(f"cannot parse {path.relative_to(self.root)}: {exc}") from exc

    def imports(self, module: str) -> set[str]:
        """Modules of ``neurobench`` that ``module``'s source imports, parents included."""
        if module not in self.files:
            return set()
        tree = self._tree(module)
        package = module if self.files[module].name == "__init__.py" else module.rpartition(".")[0]
        return self._resolve(_imported_names(tree, package))

    def source_imports(self, source: str, where: str) -> set[str]:
        """Modules of ``neurobench`` imported by top-level code (a script, a notebook)."""
        try:
            tree = ast.parse(source, filename=where)
        except SyntaxError as exc:
            raise DepsError(f"cannot parse {where}: {exc}") from exc
        return self._resolve(_imported_names(tree, ""))

    def _resolve(self, names: set[tuple[str, str | None]]) -> set[str]:
        found: set[str] = set()
        for base, name in names:
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            target = f"{base}.{name}" if name and self.exists(f"{base}.{name}") else base
            # a module that does not exist (yet) is someone's half-done move: it cannot be a
            # dependency, and the import itself will fail loudly at run time.
            found |= self.with_parents(target)
        return found

    def closure(self, roots: set[str]) -> set[str]:
        seen: set[str] = set()
        todo = sorted(m for root in roots for m in self.with_parents(root))
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            todo.extend(sorted(self.imports(module) - seen))
        return seen

    @property
    def collapse(self) -> bool:
        """Whether whole packages may be listed as directories (see the module docstring)."""
        ignore = self.root / ".dvcignore"
        lines = ignore.read_text().splitlines() if ignore.is_file() else []
        return any(line.strip().strip("/").removeprefix("**/") == "__pycache__" for line in lines)

    def paths(self, modules: set[str]) -> list[str]:
        """Files of ``modules`` as sorted repository paths (whole packages as one directory
        when :attr:`collapse`).

        Non-Python files (package data) under a package directory count as used when that
        package is in ``modules``.
        """
        root = self.root
        used: set[Path] = {self.files[m] for m in modules if m in self.files}
        for package in modules & self.packages:
            directory = root.joinpath(*package.split("."))
            used |= {p for p in directory.iterdir()
                     if p.is_file() and p.suffix != ".py" and not _is_skipped(p)}

        def all_files(directory: Path) -> list[Path]:
            return [p for p in directory.rglob("*") if p.is_file() and not any(
                _is_skipped(q) for q in [p, *p.relative_to(directory).parents[:-1]])]

        listed: list[str] = []

        def collect(directory: Path) -> None:
            files = all_files(directory)
            if self.collapse and files and all(f in used for f in files):
                listed.append(directory.relative_to(root).as_posix())
                return
            for path in sorted(directory.iterdir()):
                if _is_skipped(path):
                    continue
                if path.is_dir():
                    collect(path)
                elif path in used:
                    listed.append(path.relative_to(root).as_posix())

        collect(root / PACKAGE)
        return sorted(listed)


def _imported_names(tree: ast.AST, package: str) -> set[tuple[str, str | None]]:
    """(module, name or None): ``from a import b`` -> ("a", "b"), ``import a.b`` -> ("a.b", None)."""
    names: set[tuple[str, str | None]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(alias.name, None) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".") if package else []
                if node.level - 1 > len(parts) - 1:
                    continue  # beyond the top-level package: not ours
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names |= {(base, None if alias.name == "*" else alias.name) for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_STRING.match(node.value):
                names.add((node.value.partition(":")[0], None))
    return names


# --------------------------------------------------------------------------------------------
# notebooks


def notebook_code(path: Path) -> str:
    """The code cells of a notebook as one Python source (IPython magics turned into calls)."""
    cells = json.loads(path.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c.get("cell_type") == "code"]
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # without IPython, drop magic and shell lines
        return "\n".join(
            "\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!")))
            for src in sources if not src.lstrip().startswith("%%"))
    manager = TransformerManager()
    return "\n".join(manager.transform_cell(src) for src in sources)


def notebook_parameters(path: Path) -> set[str]:
    """Names assigned in the notebook's cell tagged ``parameters`` (what papermill injects)."""
    names: set[str] = set()
    for cell in json.loads(path.read_text())["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "code" and "parameters" in tags:
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return names


# --------------------------------------------------------------------------------------------
# stages


@dataclass
class Stage:
    name: str
    cmd: list[str]
    deps: list[str]
    params: set[str] = field(default_factory=set)
    """Top-level params sections the stage declares."""
    param_keys: list[str] = field(default_factory=list)
    """The params keys it declares, as written (``section`` or ``section.key.subkey``)."""


def load_stages(dvc_yaml: Path = DVC_YAML) -> dict[str, Stage]:
    spec = yaml.safe_load(dvc_yaml.read_text()) or {}
    stages = {}
    for name, body in (spec.get("stages") or {}).items():
        body = _template_body(body)
        if not isinstance(body, dict) or "cmd" not in body:
            continue  # matrix templates are not analysed
        cmds = body["cmd"] if isinstance(body["cmd"], list) else [body["cmd"]]
        deps = body.get("deps") or []
        if not all(isinstance(d, str) for d in deps):
            raise DepsError(f"{dvc_yaml.name}: stage {name!r} has a deps entry that is not a path")
        params: set[str] = set()
        param_keys: list[str] = []
        for entry in body.get("params") or []:
            keys = ([entry] if isinstance(entry, str)
                    else [k for ks in entry.values() for k in (ks or [])])
            params |= {str(k).split(".")[0] for k in keys}
            param_keys += [str(k) for k in keys]
        stages[name] = Stage(name, [str(c) for c in cmds], list(deps), params, param_keys)
    return stages


def _template_body(body):
    """A ``foreach`` stage's ``do`` block (its command, deps and params, with ``${key}`` /
    ``${item}`` placeholders that never name a module or a params section), else ``body``."""
    if isinstance(body, dict) and "foreach" in body and isinstance(body.get("do"), dict):
        return body["do"]
    return body


def is_managed(dep: str) -> bool:
    """Entries of ``deps`` that this module computes: everything under ``neurobench/``."""
    return dep == PACKAGE or dep.startswith(PACKAGE + "/")


def stage_roots(stage: Stage, package: Package) -> tuple[set[str], list[str], set[str]] | None:
    """(root modules, notebooks the stage needs, params sections its notebooks receive whole)
    from its cmd; None when no cmd runs neurobench."""
    roots: set[str] = set()
    notebooks: list[str] = []
    sections = set(stage.params)
    received: set[str] = set()
    analysed = False
    for cmd in stage.cmd:
        words = shlex.split(cmd)
        if "-m" not in words[:-1]:
            continue
        module, args = words[words.index("-m") + 1], words[words.index("-m") + 2:]
        if not (module == PACKAGE or module.startswith(PACKAGE + ".")):
            continue
        analysed = True
        if module not in package.files and f"{module}.__main__" not in package.files:
            raise DepsError(f"its cmd runs {module}, which does not exist")
        roots |= {module, f"{module}.__main__"} & set(package.files)
        if module == PIPELINE and args[:1] == ["run"] and len(args) > 1:
            notebook = f"{NOTEBOOKS}/{args[1]}.ipynb"
            notebooks.append(notebook)
            path = package.root / notebook
            if not path.is_file():
                raise DepsError(f"its notebook {notebook} does not exist")
            roots |= package.source_imports(notebook_code(path), notebook)
            received |= notebook_parameters(path)
    if not analysed:
        return None
    sections |= received
    registry = package.registry
    roots |= {registry[s] for s in sections if s in registry and package.exists(registry[s])}
    return roots, notebooks, received


def _lookup(params: dict, dotted: str):
    """The value at ``dotted`` (``a.b.c``) in nested ``params``, None when a key is missing."""
    value = params
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def input_files(stage: Stage, package: Package, received: set[str]) -> list[str]:
    """The existing files that the params keys the stage reads name (the keys listed in each
    section's :data:`INPUT_FILES`), as written in ``params.yaml``, in section order."""
    files: list[str] = []
    for section in sorted(stage.params | received):
        for key in package.input_file_keys(section):
            full = f"{section}.{key}"
            read = section in received or any(full == k or full.startswith(k + ".") for k in stage.param_keys)
            value = _lookup(package.params, full)
            if read and isinstance(value, str) and (package.root / value).is_file() and value not in files:
                files.append(value)
    return files


def stage_deps(stage: Stage, package: Package) -> list[str] | None:
    """The ``deps`` list the stage should have (None: the stage runs no neurobench module)."""
    found = stage_roots(stage, package)
    if found is None:
        return None
    roots, notebooks, received = found
    kept = [d for d in stage.deps if not is_managed(d)]
    kept = [n for n in notebooks if n not in kept] + kept
    kept += [f for f in input_files(stage, package, received) if f not in kept]
    return kept + package.paths(package.closure(roots))


def analyse(dvc_yaml: Path = DVC_YAML) -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, str]]:
    """Stage -> (its deps in dvc.yaml, the deps it should have), for every stage running a
    neurobench module; and stage -> why it cannot be analysed (a missing module or notebook)."""
    package = Package(dvc_yaml.resolve().parent)
    result, errors = {}, {}
    for name, stage in load_stages(dvc_yaml).items():
        try:
            wanted = stage_deps(stage, package)
        except DepsError as exc:
            errors[name] = str(exc)
            continue
        if wanted is not None:
            result[name] = (stage.deps, wanted)
    return result, errors


def compute(dvc_yaml: Path = DVC_YAML) -> dict[str, tuple[list[str], list[str]]]:
    """:func:`analyse`'s first part; DepsError when a stage cannot be analysed."""
    result, errors = analyse(dvc_yaml)
    if errors:
        raise DepsError("; ".join(f"stage {name!r}: {why}" for name, why in errors.items()))
    return result


def differences(dvc_yaml: Path = DVC_YAML) -> list[str]:
    """One line per stale entry of dvc.yaml (empty when it is up to date)."""
    result, errors = analyse(dvc_yaml)
    lines = [f"{name}: cannot analyse: {why}" for name, why in errors.items()]
    for name, (have, want) in result.items():
        if have == want:
            continue
        missing = [d for d in want if d not in have]
        extra = [d for d in have if d not in want]
        lines += [f"{name}: missing {d}" for d in missing]
        lines += [f"{name}: not imported {d}" for d in extra]
        if not missing and not extra:
            lines.append(f"{name}: deps out of order (or repeated)")
    return lines


# --------------------------------------------------------------------------------------------
# rewriting dvc.yaml: only the lines of each deps list change


def rewrite(text: str, wanted: dict[str, list[str]]) -> str:
    """``text`` (dvc.yaml) with the ``deps`` lists of the stages in ``wanted`` replaced."""
    root = yaml.compose(text)
    stages_node = _get(root, "stages")
    if stages_node is None:
        return text
    lines = text.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, new lines)
    for key, body in stages_node.value:
        if key.value not in wanted or not isinstance(body, yaml.MappingNode):
            continue
        template = _get(body, "do") if _get(body, "foreach") is not None else None
        body = template if isinstance(template, yaml.MappingNode) else body
        new = wanted[key.value]
        deps_key, deps = next(((k, v) for k, v in body.value if k.value == "deps"), (None, None))
        if deps is None or (isinstance(deps, yaml.ScalarNode) and deps.value in ("", None)):
            cmd_key = next(k for k, v in body.value if k.value == "cmd")
            indent = " " * cmd_key.start_mark.column
            at = _next_key_line(body, "cmd", len(lines))
            if deps_key is not None:
                raise DepsError(f"stage {key.value!r}: empty deps; write them as a list")
            edits.append((at, at, [f"{indent}deps:\n"] + [f"{indent}  - {d}\n" for d in new]))
            continue
        if not isinstance(deps, yaml.SequenceNode) or deps.flow_style:
            raise DepsError(f"stage {key.value!r}: deps must be a block list to be rewritten")
        first = deps.value[0].start_mark.line
        last = deps.value[-1].end_mark.line
        dash = lines[first].index("-")
        prefix = lines[first][:dash]
        # comments: a trailing one stays on its entry, whole-line ones stay above their entry
        notes: dict[str, tuple[list[str], str]] = {}
        pending: list[str] = []
        item_lines = {item.start_mark.line: item for item in deps.value}
        for number in range(first, last + 1):
            line = lines[number]
            if number in item_lines:
                item = item_lines[number]
                on_line = item.end_mark.line == number
                rest = line[item.end_mark.column:].rstrip("\n") if on_line else ""
                notes[item.value] = (pending, rest if rest.strip().startswith("#") else "")
                pending = []
            elif line.strip().startswith("#"):
                pending.append(line)
        block = []
        for dep in new:
            above, trailing = notes.get(dep, ([], ""))
            block += above + [f"{prefix}- {dep}{trailing}\n"]
        edits.append((first, last + 1, block + pending))
    for start, end, block in sorted(edits, reverse=True):
        lines[start:end] = block
    return "".join(lines)


def _get(node, name: str):
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == name:
                return value
    return None


def _next_key_line(body: yaml.MappingNode, after: str, default: int) -> int:
    keys = [k for k, _ in body.value]
    index = next(i for i, k in enumerate(keys) if k.value == after)
    return keys[index + 1].start_mark.line if index + 1 < len(keys) else body.end_mark.line


def write(dvc_yaml: Path = DVC_YAML) -> tuple[list[str], dict[str, str]]:
    """Rewrite the stale ``deps`` lists of ``dvc_yaml``.

    Returns the names of the stages changed and the stages left alone because they cannot be
    analysed (stage -> why).
    """
    result, errors = analyse(dvc_yaml)
    changed = {name: want for name, (have, want) in result.items() if have != want}
    if changed:
        text = dvc_yaml.read_text()
        new = rewrite(text, changed)
        if yaml.safe_load(new) != _with_deps(yaml.safe_load(text), changed):
            raise DepsError("rewriting dvc.yaml would change more than its deps lists; not written")
        dvc_yaml.write_text(new)
    return sorted(changed), errors


def _with_deps(spec: dict, deps: dict[str, list[str]]) -> dict:
    for name, want in deps.items():
        _template_body(spec["stages"][name])["deps"] = want
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neurobench.deps",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dvc-yaml", type=Path, default=DVC_YAML)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check", help="exit 1 and list the differences when dvc.yaml's deps are stale")
    sub.add_parser("write", help="rewrite the deps lists of dvc.yaml")
    show = sub.add_parser("show", help="print the deps a stage should have")
    show.add_argument("stage")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            problems = differences(args.dvc_yaml)
            for line in problems:
                print(line)
            if problems:
                print(f"{args.dvc_yaml.name} is stale: run `python -m neurobench.deps write`",
                      file=sys.stderr)
                return 1
            print(f"{args.dvc_yaml.name}: every stage's deps match its import closure")
        elif args.command == "write":
            changed, errors = write(args.dvc_yaml)
            print(f"rewrote deps of: {', '.join(changed)}" if changed else "no deps list changed")
            for name, why in errors.items():
                print(f"error: stage {name!r} left as it is: {why}", file=sys.stderr)
            if errors:
                return 1
        else:
            result, errors = analyse(args.dvc_yaml)
            if args.stage not in result:
                why = errors.get(args.stage, "it does not run a neurobench module")
                print(f"error: stage {args.stage!r} is not analysed: {why}", file=sys.stderr)
                return 2
            print("\n".join(result[args.stage][1]))
    except DepsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
