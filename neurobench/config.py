"""``params.yaml``: a registry of its sections and the one check that runs before any stage.

Each top-level section of ``params.yaml`` configures one stage (or a chain of stages) and its
schema lives beside the code it configures, as a :class:`neurobench.schema.Params` subclass
(``neurobench.experiments.<stage>.params``). This module only knows which class validates
which section, reads the YAML file, and turns every problem into one ``ConfigError`` whose
message names the key path, the value given and what is allowed, e.g.::

    params.yaml: simulator.dt = -1.0 is not allowed: must be > 0 (time step in ms)

Values from the file are validated in pydantic's strict mode: a YAML string (``'100'``, or
``1e12``, which PyYAML reads as a string) is never silently taken for a number.

Run ``python -m neurobench.config [params.yaml] [section ...]`` to check a file by hand; it
exits with status 2 and that message on the first invalid section.
"""

from __future__ import annotations

import difflib
import importlib
import re
import sys
import typing
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .schema import FolderPath, Params

DEFAULT_PARAMS = Path("params.yaml")

EXPERIMENTS_DIR = Path(__file__).resolve().parent / "experiments"
SCHEMA_ATTRIBUTE = "SECTION_SCHEMA"
"""Name of the module attribute that holds a section's schema class in its ``params.py``."""


def discover_sections(experiments_dir: Path = EXPERIMENTS_DIR) -> dict[str, str]:
    """Section name -> ``module:attribute`` of its schema, found by convention, not by a list.

    Every ``neurobench/experiments/<section>/params.py`` defines ``SECTION_SCHEMA``, the
    :class:`~neurobench.schema.Params` class of the ``params.yaml`` section ``<section>``. A new
    paper therefore registers its section by adding its experiment package; nothing shared
    changes (so no other stage's code dependencies change either). Sorted by name.
    """
    return {path.parent.name: f"neurobench.experiments.{path.parent.name}.params:{SCHEMA_ATTRIBUTE}"
            for path in sorted(experiments_dir.glob("*/params.py")) if path.parent.name.isidentifier()}


SECTIONS: dict[str, str] = discover_sections()
"""Section name -> ``module:attribute`` of its schema (imported on first use)."""

RUNTIME_SECTIONS: frozenset[str] = frozenset({"executor"})
"""Sections that say *where* a stage computes, never *what*: results are identical for every
value (``neurobench.executor``'s purity contract). A stage notebook may read them, but no stage
lists them under ``params:`` in ``dvc.yaml``, so changing them never makes DVC rerun a stage."""


class ConfigError(ValueError):
    """An invalid or unreadable ``params.yaml``; the message names the key path."""


@cache
def section_schema(section: str) -> type[Params]:
    """The schema class of params section ``section``."""
    if section not in SECTIONS:
        raise ConfigError(f"params.yaml: unknown section {section!r}; known sections: {', '.join(SECTIONS)}")
    module, name = SECTIONS[section].split(":")
    return getattr(importlib.import_module(module), name)


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def _allowed_range(field) -> str:
    """``field``'s numeric bounds as text, e.g. ``'>= 1 and <= 100000'`` ('' if it has none)."""
    if field is None:
        return ""
    bounds = [f"{sign} {getattr(m, name):g}" for m in field.metadata for name, sign in _BOUNDS
              if getattr(m, name, None) is not None]
    return " and ".join(bounds)


def _union_members(annotation) -> list[type[BaseModel]]:
    """The BaseModel members of a (possibly Annotated) union annotation."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _union_members(args[0])
    return [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]


def _resolve(model: type[BaseModel], loc) -> tuple[list[str], Any, Any]:
    """Walk an error location through the schema.

    Returns the user-facing key path (union tags that pydantic inserts are dropped), the schema
    type at the end of the walk (a model class, or None) and the ``FieldInfo`` of the last field.
    """
    path, current, field = [], model, None
    items = list(loc)
    while items:
        key = items.pop(0)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(key))
            path.append(str(key))
            current = field.annotation if field is not None else None
        elif typing.get_origin(current) in (dict, list):
            path.append(str(key))
            current = typing.get_args(current)[-1]
        else:
            path.append(str(key))
            current = None
        members = _union_members(current) if current is not None else []
        if members and items:  # a tagged union: pydantic puts the tag value next in the location
            tag = items[0]
            chosen = [m for m in members if any(
                typing.get_origin(f.annotation) is typing.Literal and tag in typing.get_args(f.annotation)
                for f in m.model_fields.values())]
            if chosen:
                items.pop(0)
                current = chosen[0]
    return path, current, field


def _describe(err: dict[str, Any], section: str, model: type[BaseModel]) -> str:
    """One line for one pydantic error: the key path, the value, what is allowed."""
    keys, _, field = _resolve(model, err["loc"])
    path = ".".join([section, *keys])
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        _, parent, _ = _resolve(model, err["loc"][:-1])
        allowed = sorted(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        maybe = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{path} is not a known key{maybe}; allowed keys here: {', '.join(allowed)}"
    if err["type"] == "missing":
        return f"{path} is missing"
    message = err["msg"].removeprefix("Value error, ")
    if isinstance(value, dict):  # a rule across several keys (a model validator): its message names them
        return f"{path}: {message}"
    allowed = _allowed_range(field)
    if allowed and allowed not in message:
        message += f" (allowed: {allowed})"
    hint = f" ({field.description})" if field is not None and field.description else ""
    if isinstance(value, str) and _NUMBER_TEXT.match(value.strip()):
        hint += ("; YAML read this as text, not a number: write an integer in full (1000000000000) "
                 "or a float with a dot and a signed exponent (1.0e+12)")
    return f"{path} = {value!r} is not allowed: {message}{hint}"


def validate(section: str, values: Any) -> Params:
    """Validate the dict ``values`` as params section ``section``; raise ``ConfigError`` if invalid."""
    model = section_schema(section)
    if not isinstance(values, dict):
        raise ConfigError(f"params.yaml: section {section!r} must be a mapping of keys to values, got {values!r}")
    try:
        return model.model_validate(values, strict=True)
    except ValidationError as exc:
        messages = [_describe(e, section, model) for e in exc.errors()]
        raise ConfigError("params.yaml: " + "; ".join(messages)) from None


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """PyYAML's safe loader (its libyaml build when present: about 10x faster on params.yaml than
    the pure-Python one), except that a key given twice in one mapping is an error (PyYAML keeps
    the last silently; DVC rejects the file)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first given at line {seen[key].line + 1})",
                    key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def load_params(path: str | Path = DEFAULT_PARAMS) -> dict[str, Any]:
    """Read ``params.yaml`` as a dict; a missing file, bad YAML (duplicate keys included) or a
    non-mapping raise ``ConfigError``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the parameter file ({exc.strerror})") from None
    try:
        params = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: must be a YAML mapping of sections, got {type(params).__name__}")
    return params


def check_unknown_sections(params: dict[str, Any], path: str | Path = DEFAULT_PARAMS) -> None:
    """No top-level key of ``params`` is outside the registry; else ``ConfigError`` naming it
    (with the closest known section, for a misspelling such as ``simulater``)."""
    for name in params:
        if name not in SECTIONS:
            close = difflib.get_close_matches(str(name), list(SECTIONS), n=1)
            maybe = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{path}: unknown section {name!r}{maybe}; known sections: {', '.join(SECTIONS)}")


def check_sections(params: dict[str, Any], path: str | Path = DEFAULT_PARAMS) -> None:
    """Every registered section is present and no other top-level key is; else ``ConfigError``
    naming the unknown or missing section."""
    check_unknown_sections(params, path)
    missing = [name for name in SECTIONS if name not in params]
    if missing:
        raise ConfigError(f"{path}: section {missing[0]!r} is missing; every stage needs its section "
                          f"({', '.join(SECTIONS)})")


def load_section(section: str, path: str | Path = DEFAULT_PARAMS) -> Params:
    """Load and validate one section of ``params.yaml``."""
    return section_of(load_params(path), section, path)


def section_of(params: dict[str, Any], section: str, path: str | Path = DEFAULT_PARAMS,
               reader: str | None = None) -> Params:
    """Validate one section of ``params``, read from ``path`` (named in the errors; a missing
    section's error also names ``reader``, the notebook or step that needs it, when given)."""
    if section not in params:
        needed = f" (read by {reader})" if reader else ""
        raise ConfigError(f"{path}: section {section!r}{needed} is missing; "
                          f"sections present: {', '.join(params) or 'none'}")
    try:
        return validate(section, params[section])
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("params.yaml:", f"{path}:", 1)) from None


def notebook_section(section: str, values: Any, start: str | Path | None = None) -> Params:
    """The params section a stage notebook runs with: what papermill injected, or, for a notebook
    opened by hand, the repository's ``params.yaml``.

    Run by ``neurobench.pipeline``, the notebook's parameters cell receives the validated
    ``section`` as a non-empty dict ``values``: it is validated again and returned, as
    :func:`validate` does. Opened by hand in JupyterLab the parameters cell is empty
    (``section = {}``, working directory ``notebooks/``): the repository root is then the
    nearest folder, from ``start`` (default: the working directory) upwards, holding both
    ``params.yaml`` and ``dvc.yaml``, and its ``params.yaml`` section is returned, so that the
    notebook explores the pipeline's own parameters rather than the schema's defaults. Relative
    folder paths of that section (fields typed ``neurobench.schema.Folder``: ``data.root``,
    ``asynchronous.root``, ``conversion.models_dir``; nested sections included, defaults too) are made absolute against the root before validation, so they name
    the same folders as under ``dvc repro`` (which runs in the root) and the section's own checks
    (e.g. that a data set is present under ``data.root``) look in the right place. No root found
    raises ``ConfigError``.
    """
    if values:
        return validate(section, values)
    here = Path.cwd() if start is None else Path(start)
    here = here.resolve()
    root = next((d for d in (here, *here.parents) if (d / "params.yaml").is_file() and (d / "dvc.yaml").is_file()),
                None)
    if root is None:
        raise ConfigError(f"params.yaml: section {section!r} is empty and no folder from {here} upwards holds "
                          "params.yaml and dvc.yaml (the repository root); pass the section's values")
    path = root / "params.yaml"
    raw = load_params(path).get(section)
    if raw is None:
        raise ConfigError(f"{path}: section {section!r} is missing")
    if not isinstance(raw, dict):
        return load_section(section, path)  # its message names the problem

    def resolve(model: type[BaseModel], given: dict[str, Any]) -> dict[str, Any]:
        out = dict(given)
        for key, field in model.model_fields.items():
            value = out.get(key, field.default)
            if any(isinstance(m, FolderPath) for m in field.metadata) and isinstance(value, str):
                if value and not Path(value).is_absolute():
                    out[key] = str(root / value)
            elif isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel) \
                    and isinstance(out.get(key), dict):
                out[key] = resolve(field.annotation, out[key])
        return out

    try:
        return validate(section, resolve(section_schema(section), raw))
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("params.yaml:", f"{path}:", 1)) from None


def main(argv: list[str] | None = None) -> int:
    """Check sections of a params file: ``python -m neurobench.config [params.yaml] [section ...]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    path = Path(args.pop(0)) if args and args[0].endswith((".yaml", ".yml")) else DEFAULT_PARAMS
    try:
        params = load_params(path)
        if not args:
            check_sections(params, path)
        sections = args or list(SECTIONS)
        for section in sections:
            section_of(params, section, path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{path}: {', '.join(sections)} valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
