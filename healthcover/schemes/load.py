"""Read a scheme file, check it, and turn its parameter trees into tables.

Every problem found in a file is reported at once, one line each, naming the file, the field
path and the bad value, so a file can be fixed in one pass.
"""
from __future__ import annotations

import datetime as _dt
import itertools
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from pydantic import ValidationError

from healthcover.errors import HealthcoverError, allowed
from healthcover.schemes.model import (
    AT_LEAST,
    AT_MOST,
    APPROX,
    CORE_DIMENSIONS,
    EXACT,
    NOT_STATED,
    RANGE,
    RESIDUAL,
    SHARE_OF_TOTAL,
    Leaf,
    Parameter,
    SchemeMeta,
    Source,
)

#: Top-level sections that hold parameter trees.
TREES = ("parameters", "contributions", "benefits", "fund")
_PARAM_KEYS = {"description", "unit", "source", "by", "values", "value", "effective", "note"}
_LEAF_KEYS = {
    "value", "range", "default", "at_least", "at_most", "approx", "not_stated", "note",
    "source", "share_of_total",
}


def scheme_dirs() -> list[Path]:
    """Folders searched for ``<scheme-id>.yaml``: the installed package data, then the repo."""
    dirs = []
    try:
        packaged = resources.files("healthcover") / "_data" / "schemes"
        if packaged.is_dir():
            dirs.append(Path(str(packaged)))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - odd installs
        pass
    repo = Path(__file__).resolve().parents[2] / "data" / "schemes"
    if repo.is_dir() and repo not in dirs:
        dirs.append(repo)
    return dirs


def list_scheme_files() -> dict[str, Path]:
    """Scheme id -> file, for every bundled scheme (package data wins over the repo copy)."""
    found: dict[str, Path] = {}
    for d in reversed(scheme_dirs()):
        for p in sorted(d.glob("*.yaml")):
            found[p.stem] = p
    return dict(sorted(found.items()))


def find_scheme_file(scheme: str | Path) -> Path:
    """A bundled scheme id, or a path to the user's own file."""
    p = Path(scheme)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise HealthcoverError(f"scheme file {p} does not exist")
        return p
    files = list_scheme_files()
    if str(scheme) not in files:
        raise HealthcoverError(
            f"unknown scheme '{scheme}'; bundled schemes: {allowed(files)} "
            "(or pass the path of your own .yaml file)"
        )
    return files[str(scheme)]


# libyaml's safe loader parses the same YAML about ten times faster (a dashboard kernel's
# start reads several scheme files); the pure-Python one where PyYAML was built without it.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=64)
def _read_cached(path: str, mtime: float) -> tuple[SchemeMeta, dict[str, Parameter]]:
    return _read(Path(path))


def read_scheme_file(path: Path) -> tuple[SchemeMeta, dict[str, Parameter]]:
    """Parse and check one file (cached by path and modification time)."""
    return _read_cached(str(path), path.stat().st_mtime)


def _read(path: Path) -> tuple[SchemeMeta, dict[str, Parameter]]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        raise HealthcoverError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise HealthcoverError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    problems: list[str] = []
    try:
        meta = SchemeMeta.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            value = err.get("input")
            shown = _short(value)
            problems.append(f"{path}: {loc} = {shown}: {err['msg']}")
        raise HealthcoverError("\n".join(problems)) from None
    if meta.id != path.stem:
        problems.append(f"{path}: id = {meta.id!r}: must equal the file name ({path.stem!r})")
    if meta.variants and meta.default_variant not in meta.variants:
        problems.append(
            f"{path}: default_variant = {meta.default_variant!r}: allowed: {allowed(meta.variants)}"
        )
    domains = _domains(meta, path, problems)
    params: dict[str, Parameter] = {}
    for tree in TREES:
        _walk(getattr(meta, tree), tree, meta, domains, path, params, problems)
    if problems:
        raise HealthcoverError("\n".join(problems))
    return meta, params


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _domains(meta: SchemeMeta, path: Path, problems: list[str]) -> dict[str, list[str]]:
    """Codes each dimension may take; category attributes become dimensions too."""
    domains = {
        "variant": list(meta.variants),
        "category": list(meta.categories),
        "facility": list(meta.facilities),
        "care": list(meta.care),
    }
    attrs = sorted({a for c in meta.categories.values() for a in c.attributes})
    for a in attrs:
        if a in CORE_DIMENSIONS:
            problems.append(f"{path}: categories.*.attributes.{a}: '{a}' is a reserved dimension name")
            continue
        missing = [k for k, c in meta.categories.items() if a not in c.attributes]
        if missing:
            problems.append(
                f"{path}: categories.{missing[0]}.attributes.{a}: missing; every category must "
                f"give attribute '{a}' (missing in {allowed(missing)})"
            )
        domains[a] = sorted({c.attributes[a] for c in meta.categories.values() if a in c.attributes})
    return domains


def _walk(node: Any, where: str, meta, domains, path, params, problems) -> None:
    if not isinstance(node, dict):
        problems.append(f"{path}: {where} = {_short(node)}: expected a parameter or a group of parameters")
        return
    if "values" in node or "value" in node:
        p = _parameter(node, where, meta, domains, path, problems)
        if p is not None:
            params[where] = p
        return
    for key, child in node.items():
        _walk(child, f"{where}.{key}", meta, domains, path, params, problems)


def _source(raw: Any, where: str, path: Path, problems: list[str]) -> Source | None:
    try:
        return Source.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"])
            problems.append(f"{path}: {where}.{loc} = {_short(err.get('input'))}: {err['msg']}")
        return None


def _parameter(node: dict, where: str, meta: SchemeMeta, domains, path, problems) -> Parameter | None:
    extra = set(node) - _PARAM_KEYS
    if extra:
        problems.append(f"{path}: {where}.{sorted(extra)[0]}: unknown key; allowed: {allowed(sorted(_PARAM_KEYS))}")
    if "source" not in node:
        problems.append(f"{path}: {where}.source: missing; every parameter cites its document")
        return None
    source = _source(node["source"], f"{where}.source", path, problems)
    if "description" not in node:
        problems.append(f"{path}: {where}.description: missing")
    by = node.get("by") or []
    if isinstance(by, str):
        by = [by]
    for d in by:
        if d not in domains:
            problems.append(f"{path}: {where}.by = {d!r}: unknown dimension; allowed: {allowed(domains)}")
            return None
        if not domains[d]:
            problems.append(f"{path}: {where}.by = {d!r}: the scheme defines no {d} codes")
            return None
    effective = node.get("effective")
    if effective is not None and not isinstance(effective, _dt.date):
        problems.append(f"{path}: {where}.effective = {_short(effective)}: expected a date YYYY-MM-DD")
        effective = None
    raw_values = node["values"] if "values" in node else node["value"]
    cells: dict[tuple[str, ...], Leaf] = {}
    _expand(raw_values, list(by), (), f"{where}.values", domains, cells, path, problems)
    if source is None:
        return None
    return Parameter(
        path=where,
        description=str(node.get("description", "")),
        unit=node.get("unit"),
        source=source,
        by=tuple(by),
        cells=cells,
        effective=effective or meta.dates.effective,
        note=node.get("note"),
    )


def _expand(node, dims: list[str], prefix: tuple, where: str, domains, cells, path, problems) -> None:
    """Fill ``cells`` from a nested table; keys may list codes ("a, b") or be "*" (the rest)."""
    if not dims:
        leaf = parse_leaf(node, where, path, problems)
        if leaf is not None:
            cells[prefix] = leaf
        return
    dim, rest = dims[0], dims[1:]
    if not isinstance(node, dict):
        problems.append(
            f"{path}: {where} = {_short(node)}: expected a table keyed by {dim} "
            f"({allowed(domains[dim])})"
        )
        return
    seen: set[str] = set()
    star = None
    for key, child in node.items():
        key = str(key)
        if key == "*":
            star = child
            continue
        for code in (c.strip() for c in key.split(",")):
            if code not in domains[dim]:
                problems.append(
                    f"{path}: {where}.{code}: '{code}' is not a {dim} of this scheme; "
                    f"allowed: {allowed(domains[dim])}"
                )
                continue
            if code in seen:
                problems.append(f"{path}: {where}.{code}: given twice")
            seen.add(code)
            _expand(child, rest, prefix + (code,), f"{where}.{code}", domains, cells, path, problems)
    if star is not None:
        for code in domains[dim]:
            if code not in seen:
                _expand(star, rest, prefix + (code,), f"{where}.*", domains, cells, path, problems)


def parse_leaf(node: Any, where: str, path: Path | str, problems: list[str]) -> Leaf | None:
    """A leaf: a bare value, or a mapping with range/at_least/at_most/approx/not_stated."""
    if node == RESIDUAL:
        return Leaf(kind=RESIDUAL)
    if not isinstance(node, dict):
        if node is None:
            problems.append(f"{path}: {where} = None: write {{not_stated: true}} for a blank in the document")
            return None
        return Leaf(kind=EXACT, value=_number(node))
    extra = set(node) - _LEAF_KEYS
    if extra:
        problems.append(f"{path}: {where}.{sorted(extra)[0]}: unknown key; allowed: {allowed(sorted(_LEAF_KEYS))}")
        return None
    source = None
    if "source" in node:
        source = _source(node["source"], f"{where}.source", path, problems) if isinstance(path, Path) else Source.model_validate(node["source"])
    note = node.get("note")
    if node.get("not_stated"):
        return Leaf(kind=NOT_STATED, note=note, source=source)
    if "range" in node:
        rng = node["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) for x in rng) and rng[0] <= rng[1]):
            problems.append(f"{path}: {where}.range = {_short(rng)}: expected [low, high] numbers with low <= high")
            return None
        if "default" not in node:
            problems.append(f"{path}: {where}.default: missing; a range left to cities needs a documented default")
            return None
        d = node["default"]
        if not _is_num(d) or not (rng[0] <= d <= rng[1]):
            problems.append(f"{path}: {where}.default = {_short(d)}: outside the range [{rng[0]}, {rng[1]}]")
            return None
        return Leaf(kind=RANGE, value=_number(d), lo=float(rng[0]), hi=float(rng[1]), note=note, source=source)
    for kind in (AT_LEAST, AT_MOST):
        if kind in node:
            bound = node[kind]
            d = node.get("default", bound)
            if not _is_num(bound) or not _is_num(d):
                problems.append(f"{path}: {where}.{kind} = {_short(bound)}: expected a number")
                return None
            if (kind == AT_LEAST and d < bound) or (kind == AT_MOST and d > bound):
                problems.append(f"{path}: {where}.default = {_short(d)}: violates {kind} {bound}")
                return None
            lo, hi = (float(bound), None) if kind == AT_LEAST else (None, float(bound))
            return Leaf(kind=kind, value=_number(d), lo=lo, hi=hi, note=note, source=source)
    if "approx" in node:
        return Leaf(kind=APPROX, value=_number(node["approx"]), note=note, source=source)
    if "share_of_total" in node:
        s = node["share_of_total"]
        if not _is_num(s) or not 0 <= s <= 1:
            problems.append(f"{path}: {where}.share_of_total = {_short(s)}: expected a share in [0, 1]")
            return None
        return Leaf(kind=SHARE_OF_TOTAL, value=float(s), note=note, source=source)
    if "value" in node:
        return Leaf(kind=EXACT, value=_number(node["value"]), note=note, source=source)
    problems.append(
        f"{path}: {where} = {_short(node)}: a leaf needs one of value, range, at_least, at_most, "
        "approx, not_stated, share_of_total"
    )
    return None


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _number(x: Any) -> Any:
    return float(x) if _is_num(x) else x


# --- overrides -------------------------------------------------------------------------------


def apply_overrides(
    params: Mapping[str, Parameter],
    overrides: Mapping[str, Any] | None,
    *,
    variant: str | None,
    domains: Mapping[str, list[str]],
    allow_out_of_range: bool,
    file: Path,
) -> dict[str, Parameter]:
    """Return new parameters with overridden cells; reject values outside the document's bounds.

    A key is a parameter path followed by table keys (``benefits.inpatient.deductible.county``);
    a shorter key sets every cell below it; the variant key may be left out. A mapping value sets
    nested cells (``{"benefits.inpatient.deductible": {"county": 300}}``).
    """
    if not overrides:
        return dict(params)
    out = {k: _copy(p) for k, p in params.items()}
    problems: list[str] = []
    for key, value in _flatten(overrides):
        pname, rest = _split_key(key, out)
        if pname is None:
            problems.append(
                f"override {key!r}: no such parameter; parameters start with "
                f"{allowed(sorted({k.split('.')[0] for k in out}))} (see Scheme.parameter_table())"
            )
            continue
        p = out[pname]
        keys = list(rest)
        if p.by and p.by[0] == "variant" and variant is not None and (not keys or keys[0] not in domains["variant"]):
            keys.insert(0, variant)
        for i, k in enumerate(keys):
            if i >= len(p.by):
                problems.append(f"override {key!r}: {pname} has only the dimensions {allowed(p.by) or '(none)'}")
                break
            if k not in domains[p.by[i]]:
                problems.append(
                    f"override {key!r}: '{k}' is not a {p.by[i]} of this scheme; allowed: {allowed(domains[p.by[i]])}"
                )
                break
        else:
            hit = [c for c in p.cells if c[: len(keys)] == tuple(keys)]
            if not hit:
                problems.append(f"override {key!r}: {pname} has no cell there")
            for cell in hit:
                leaf = p.cells[cell]
                # A number may replace a number, a blank, a share (the new share) or a residual
                # (it becomes an amount); "residual" makes any contribution cell the residual.
                if _is_num(value) and leaf.value is not None and not _is_num(leaf.value) \
                        and leaf.kind != NOT_STATED and leaf.value != RESIDUAL:
                    problems.append(f"override {key!r} = {value!r}: expected {type(leaf.value).__name__} like {leaf.value!r}")
                    continue
                v = _number(value)
                if not allow_out_of_range and not leaf.within(v):
                    src = leaf.source or p.source
                    where = f"{file}: {pname}" + ("." + ".".join(cell) if cell else "")
                    problems.append(
                        f"{where} = {value!r} is outside the document's {leaf.permitted()} "
                        f"({src.cite()}); pass allow_out_of_range=True to explore it as a reform"
                    )
                    continue
                p.cells[cell] = leaf.with_override(v)
    if problems:
        raise HealthcoverError("\n".join(problems))
    return out


def _copy(p: Parameter) -> Parameter:
    return Parameter(p.path, p.description, p.unit, p.source, p.by, dict(p.cells), p.effective, p.note)


def _flatten(overrides: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    for k, v in overrides.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            yield from _flatten(v, key)
        else:
            yield key, v


def _split_key(key: str, params: Mapping[str, Parameter]) -> tuple[str | None, tuple[str, ...]]:
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in params:
            return head, tuple(parts[n:])
    return None, ()


def product_keys(domains: Mapping[str, list[str]], dims: tuple[str, ...]) -> list[tuple[str, ...]]:
    return list(itertools.product(*(domains[d] for d in dims)))
