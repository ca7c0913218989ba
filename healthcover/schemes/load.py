"""Read a scheme file, check all of it, and turn its parameter trees into tables.

Reading is strict about the YAML itself (:func:`healthcover.sources.read_yaml`): bytes that
are not UTF-8, a key given twice in one mapping, aliases that expand beyond 200,000 nodes (a
"billion laughs"), deep nesting and tags that build Python objects are errors naming the file
(and the line). Then every parameter is checked against the format of
:mod:`healthcover.schemes.model`: rule names, units and the domain of every value.

Every problem found in a file is reported at once, one line each, naming the file, the field
path and the bad value, so a file can be fixed in one pass.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from pydantic import ValidationError

from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import MAX_DEPTH, MAX_EXPANDED_NODES, data_dirs, read_yaml  # noqa: F401 (re-exported)
from healthcover.schemes.model import (
    APPROX,
    AT_LEAST,
    AT_MOST,
    BANDS,
    BENEFIT_RULES,
    CODE,
    CONTRIBUTION_RULES,
    FACTORS,
    CORE_DIMENSIONS,
    COUNT,
    ENGINE_PARAMETERS,
    EXACT,
    FLAG,
    MONEY,
    NON_NEGATIVE,
    NOT_STATED,
    RANGE,
    RESIDUAL,
    SHARE,
    SHARE_OF_TOTAL,
    UNIT_DOMAINS,
    Leaf,
    Parameter,
    RuleSpec,
    SchemeMeta,
    Source,
    unit_domain,
)

#: Top-level sections that hold parameter trees.
TREES = ("parameters", "contributions", "benefits", "fund")
_PARAM_KEYS = {"description", "unit", "source", "by", "values", "value", "effective", "note"}
_LEAF_KEYS = {
    "value", "range", "default", "at_least", "at_most", "approx", "not_stated", "note",
    "source", "share_of_total", "above", "below",
}
#: Contribution components that may be a residual or a share of the standard.
COMPONENTS = ("individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local")


def scheme_dirs() -> list[Path]:
    """Folders searched for ``<scheme-id>.yaml``: the installed package data, then the repo."""
    return [d / "schemes" for d in data_dirs() if (d / "schemes").is_dir()]


def list_scheme_files() -> dict[str, Path]:
    """Scheme id -> file, for every bundled scheme (package data wins over the repo copy)."""
    found: dict[str, Path] = {}
    for d in reversed(scheme_dirs()):
        for p in sorted(d.glob("*.yaml")):
            found[p.stem] = p
    return dict(sorted(found.items()))


def find_scheme_file(scheme: str | Path) -> Path:
    """A bundled scheme id, or a path to the user's own file."""
    if not isinstance(scheme, (str, Path)):
        raise HealthcoverError(
            f"load_scheme: scheme must be a scheme id or the path of a .yaml file; received {type(scheme).__name__}"
        )
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


# --------------------------------------------------------------------------- reading


@lru_cache(maxsize=64)
def _read_cached(path: str, mtime_ns: int, size: int) -> tuple[SchemeMeta, dict[str, Parameter]]:
    return _read(Path(path))


def read_scheme_file(path: Path) -> tuple[SchemeMeta, dict[str, Parameter]]:
    """Parse and check one file (cached by path, modification time and size)."""
    st = path.stat()
    return _read_cached(str(path), st.st_mtime_ns, st.st_size)


def read_scheme_text(path: Path, text: str) -> tuple[SchemeMeta, dict[str, Parameter]]:
    """Parse and check a scheme file's text (e.g. one shipped to a worker without the file)."""
    return _read(path, text)


def _read(path: Path, text: str | None = None) -> tuple[SchemeMeta, dict[str, Parameter]]:
    raw = read_yaml(path, text)
    if not isinstance(raw, dict):
        raise HealthcoverError(f"{path}: expected a mapping at the top level, got {type(raw).__name__}")
    problems: list[str] = []
    try:
        meta = SchemeMeta.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            problems.append(f"{path}: {loc} = {_short(err.get('input'))}: {err['msg']}")
        raise HealthcoverError("\n".join(problems)) from None
    if meta.id != path.stem:
        problems.append(f"{path}: id = {meta.id!r}: must equal the file name ({path.stem!r})")
    if meta.variants and meta.default_variant not in meta.variants:
        problems.append(
            f"{path}: default_variant = {meta.default_variant!r}: allowed: {allowed(meta.variants)}"
        )
    if not meta.variants and meta.default_variant is not None:
        problems.append(f"{path}: default_variant = {meta.default_variant!r}: the scheme defines no variants")
    domains = _domains(meta, path, problems)
    params: dict[str, Parameter] = {}
    for tree in TREES:
        _walk(getattr(meta, tree), tree, meta, domains, path, params, problems)
    for care in meta.benefits:
        if care not in meta.care:
            problems.append(f"{path}: benefits.{care}: '{care}' is not a care type of this scheme; "
                            f"allowed: {allowed(meta.care)}")
    if problems:
        raise HealthcoverError("\n".join(problems))
    return meta, params


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def domains_of(meta: SchemeMeta) -> dict[str, list[str]]:
    """Codes each dimension may take; category attributes become dimensions too."""
    domains = {
        "variant": list(meta.variants),
        "category": list(meta.categories),
        "facility": list(meta.facilities),
        "care": list(meta.care),
    }
    for code in meta.categories.values():
        for a, v in code.attributes.items():
            if a in CORE_DIMENSIONS:
                continue
            domains.setdefault(a, [])
            if v not in domains[a]:
                domains[a].append(v)
    return domains


def _domains(meta: SchemeMeta, path: Path, problems: list[str]) -> dict[str, list[str]]:
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
    return domains_of(meta)


def rule_spec(path: str) -> RuleSpec | None:
    """The engine's rule at a parameter path (``benefits.<care>.<rule>``, ``contributions.<rule>``
    or an engine parameter), or None for a parameter recorded for readers."""
    parts = path.split(".")
    if parts[0] == "benefits" and len(parts) == 3:
        return BENEFIT_RULES.get(parts[2])
    if parts[0] == "contributions" and len(parts) == 2:
        return CONTRIBUTION_RULES.get(parts[1])
    return ENGINE_PARAMETERS.get(path)


def _walk(node: Any, where: str, meta, domains, path, params, problems) -> None:
    if not isinstance(node, dict):
        problems.append(f"{path}: {where} = {_short(node)}: expected a parameter or a group of parameters")
        return
    if "values" in node or "value" in node:
        p = _parameter(node, where, meta, domains, path, problems)
        if p is not None:
            params[where] = p
        return
    depth = where.count(".")
    if (where.startswith("benefits.") and depth >= 2) or (where.startswith("contributions.") and depth >= 1):
        problems.append(f"{path}: {where}: a parameter needs 'value' or 'values' (a table)")
        return
    for key, child in node.items():
        if where.startswith("benefits.") and depth == 1 and str(key) not in BENEFIT_RULES:
            problems.append(f"{path}: {where}.{key}: unknown benefit rule; the engine reads "
                            f"{allowed(BENEFIT_RULES)}")
            continue
        if where == "contributions" and str(key) not in CONTRIBUTION_RULES:
            problems.append(f"{path}: {where}.{key}: unknown contribution rule; allowed: "
                            f"{allowed(CONTRIBUTION_RULES)}")
            continue
        _walk(child, f"{where}.{key}", meta, domains, path, params, problems)


def _source(raw: Any, where: str, path: Path | str, problems: list[str]) -> Source | None:
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
    if "values" in node and "value" in node:
        problems.append(f"{path}: {where}: give either value or values, not both")
    if "source" not in node:
        problems.append(f"{path}: {where}.source: missing; every parameter cites its document")
        return None
    source = _source(node["source"], f"{where}.source", path, problems)
    if "description" not in node:
        problems.append(f"{path}: {where}.description: missing")
    unit = node.get("unit")
    spec = rule_spec(where)
    domain = spec.domain if spec is not None else unit_domain(unit)
    if unit is None:
        problems.append(f"{path}: {where}.unit: missing; give the unit (e.g. 'CNY per admission', 'share')")
    elif unit_domain(unit) is None and spec is None:  # an engine rule's domain is its own
        problems.append(f"{path}: {where}.unit = {unit!r}: unknown unit; a unit starts with one of "
                        f"{allowed(UNIT_DOMAINS)}")
    elif spec is not None and unit_domain(unit) is not None and not _compatible(spec.domain, unit_domain(unit)):
        problems.append(f"{path}: {where}.unit = {unit!r}: this rule is a {spec.domain}, the unit says "
                        f"{unit_domain(unit)}")
    by = node.get("by") or []
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, list):
        problems.append(f"{path}: {where}.by = {_short(by)}: expected a list of dimensions")
        return None
    for d in by:
        if d not in domains:
            problems.append(f"{path}: {where}.by = {d!r}: unknown dimension; allowed: {allowed(domains)}")
            return None
        if not domains[d]:
            problems.append(f"{path}: {where}.by = {d!r}: the scheme defines no {d} codes")
            return None
    if len(set(by)) != len(by):
        problems.append(f"{path}: {where}.by = {by!r}: a dimension is given twice")
        return None
    effective = node.get("effective")
    if effective is not None and not isinstance(effective, _dt.date):
        problems.append(f"{path}: {where}.effective = {_short(effective)}: expected a date YYYY-MM-DD")
        effective = None
    raw_values = node["values"] if "values" in node else node["value"]
    cells: dict[tuple[str, ...], Leaf] = {}
    check = LeafCheck(domain, spec, where)
    _expand(raw_values, list(by), (), f"{where}.values", domains, cells, path, problems, check)
    if source is None:
        return None
    return Parameter(
        path=where,
        description=str(node.get("description", "")),
        unit=unit,
        source=source,
        by=tuple(by),
        cells=cells,
        effective=effective or meta.dates.effective,
        note=node.get("note"),
    )


def _compatible(rule_domain: str, domain: str | None) -> bool:
    numeric = {MONEY, NON_NEGATIVE, COUNT}
    if rule_domain == domain:
        return True
    if rule_domain == NON_NEGATIVE and domain == SHARE:  # a share of a wage is a multiple of it
        return True
    return rule_domain in numeric and domain in numeric


def _expand(node, dims: list[str], prefix: tuple, where: str, domains, cells, path, problems,
            check: "LeafCheck | None" = None) -> None:
    """Fill ``cells`` from a nested table; keys may list codes ("a, b") or be "*" (the rest)."""
    if not dims:
        leaf = parse_leaf(node, where, path, problems, check)
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
            _expand(child, rest, prefix + (code,), f"{where}.{code}", domains, cells, path, problems, check)
    if star is not None:
        for code in domains[dim]:
            if code not in seen:
                _expand(star, rest, prefix + (code,), f"{where}.*", domains, cells, path, problems, check)


# --------------------------------------------------------------------------- leaves


class LeafCheck:
    """The domain a parameter's values must lie in (from its rule or its unit)."""

    def __init__(self, domain: str | None, spec: RuleSpec | None, path: str):
        self.domain = domain
        self.spec = spec
        self.component = path.startswith("contributions.") and path.split(".")[-1] in COMPONENTS

    def value(self, x: Any) -> str | None:
        """None if ``x`` is allowed, else what is allowed (for the message)."""
        d, spec = self.domain, self.spec
        if d is None:
            return None
        if self.component and x == RESIDUAL:
            return None
        if d in (SHARE, MONEY, NON_NEGATIVE, COUNT):
            if not _is_num(x):
                return _domain_words(d, spec)
            if math.isnan(x):
                return _domain_words(d, spec)
            if d == SHARE:
                return None if 0 <= x <= 1 else _domain_words(d, spec)
            if x < 0:
                return _domain_words(d, spec)
            if math.isinf(x) and not (spec is not None and spec.limit):
                return _domain_words(d, spec)
            return None
        if d == FLAG:
            return None if isinstance(x, bool) else "true or false"
        if d == CODE:
            if not isinstance(x, str):
                return "a code (a word)" + (f": {allowed(spec.options)}" if spec and spec.options else "")
            if spec is not None and spec.options and x not in spec.options:
                return allowed(spec.options)
            return None
        if d == BANDS:
            return band_problem(x)
        if d == FACTORS:
            return factors_problem(x)
        return None

    def number(self, x: Any) -> str | None:
        """For bounds and defaults of ranges: a number in the domain."""
        if not _is_num(x) or math.isnan(x):
            return "a number"
        if self.domain in (SHARE, MONEY, NON_NEGATIVE, COUNT):
            return self.value(x)
        return None


def _domain_words(domain: str, spec: RuleSpec | None) -> str:
    limit = spec is not None and spec.limit
    return {
        SHARE: "a share between 0 and 1",
        MONEY: "an amount in yuan >= 0" + (" (.inf: no limit)" if limit else ", finite"),
        NON_NEGATIVE: "a finite number >= 0",
        COUNT: "a finite number >= 0",
    }[domain]


def band_problem(bands: Any) -> str | None:
    """None for a valid band list ``[[upper, rate], ..., [null, rate]]`` (1-3 bands, uppers
    rising, rates in [0, 1]), else what is allowed."""
    rule = "1 to 3 bands [[upper, rate], ..., [null, rate]] with rising uppers and rates in [0, 1]"
    if not isinstance(bands, (list, tuple)) or not 1 <= len(bands) <= 3:
        return rule
    last = 0.0
    for i, band in enumerate(bands):
        if not (isinstance(band, (list, tuple)) and len(band) == 2):
            return rule
        upper, rate = band
        if not _is_num(rate) or not 0 <= rate <= 1:
            return rule
        if i < len(bands) - 1:
            if not _is_num(upper) or not math.isfinite(upper) or upper <= last:
                return rule
            last = upper
        elif upper is not None:
            return rule + " (the last upper is null: no end)"
    return None


def factors_problem(factors: Any) -> str | None:
    """None for a valid list of factors ``[f1, f2, ...]`` (1-12 shares in [0, 1]), else what is
    allowed."""
    rule = "a list of 1 to 12 factors in [0, 1] ([f1, f2, ...]; the last repeats)"
    if not isinstance(factors, (list, tuple)) or not 1 <= len(factors) <= 12:
        return rule
    if not all(_is_num(f) and not math.isnan(f) and 0 <= f <= 1 for f in factors):
        return rule
    return None


def parse_leaf(node: Any, where: str, path: Path | str, problems: list[str],
               check: LeafCheck | None = None) -> Leaf | None:
    """A leaf: a bare value, or a mapping with range/at_least/at_most/approx/not_stated."""
    check = check or LeafCheck(None, None, where)

    def bad(field: str, value: Any, rule: str) -> None:
        problems.append(f"{path}: {where}{field} = {_short(value)}: allowed: {rule}")

    if node == RESIDUAL and not isinstance(node, dict):
        if not check.component:
            problems.append(f"{path}: {where} = 'residual': only a contribution component "
                            f"({allowed(COMPONENTS)}) may be the residual")
            return None
        return Leaf(kind=RESIDUAL)
    if not isinstance(node, dict):
        if node is None:
            problems.append(f"{path}: {where} = None: write {{not_stated: true}} for a blank in the document")
            return None
        rule = check.value(node)
        if rule is not None:
            bad("", node, rule)
            return None
        return Leaf(kind=EXACT, value=_number(node))
    extra = set(node) - _LEAF_KEYS
    if extra:
        problems.append(f"{path}: {where}.{sorted(extra)[0]}: unknown key; allowed: {allowed(sorted(_LEAF_KEYS))}")
        return None
    source = None
    if "source" in node:
        source = _source(node["source"], f"{where}.source", path, problems)
    note = node.get("note")
    rel = {}
    for key in ("above", "below"):
        if key in node:
            if not isinstance(node[key], str) or not node[key]:
                bad(f".{key}", node[key], "the code of another cell of this parameter (its last dimension)")
                return None
            rel[key] = node[key]
    leaf = _parse_leaf_kind(node, where, path, problems, check, bad, source, note)
    return replace(leaf, **rel) if (leaf is not None and rel) else leaf


def _parse_leaf_kind(node, where, path, problems, check, bad, source, note) -> Leaf | None:
    if node.get("not_stated"):
        if node["not_stated"] is not True:
            bad(".not_stated", node["not_stated"], "true")
            return None
        return Leaf(kind=NOT_STATED, note=note, source=source)
    if "share_of_total" in node:
        return _share_leaf(node, where, path, problems, check, source, note)
    if "range" in node:
        rng = node["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) and not math.isnan(x) for x in rng)
                and rng[0] <= rng[1]):
            problems.append(f"{path}: {where}.range = {_short(rng)}: expected [low, high] numbers with low <= high")
            return None
        for x in rng:
            rule = check.number(x)
            if rule is not None:
                bad(".range", rng, rule)
                return None
        if "default" not in node:
            problems.append(f"{path}: {where}.default: missing; a range left to cities needs a documented default")
            return None
        d = node["default"]
        if not _is_num(d) or math.isnan(d) or not (rng[0] <= d <= rng[1]):
            problems.append(f"{path}: {where}.default = {_short(d)}: outside the range [{rng[0]}, {rng[1]}]")
            return None
        return Leaf(kind=RANGE, value=_number(d), lo=float(rng[0]), hi=float(rng[1]), note=note, source=source)
    for kind in (AT_LEAST, AT_MOST):
        if kind in node:
            bound = node[kind]
            d = node.get("default", bound)
            if not _is_num(bound) or not _is_num(d) or math.isnan(bound) or math.isnan(d):
                problems.append(f"{path}: {where}.{kind} = {_short(bound)}: expected a number")
                return None
            for field, x in ((f".{kind}", bound), (".default", d)):
                rule = check.number(x)
                if rule is not None:
                    bad(field, x, rule)
                    return None
            if (kind == AT_LEAST and d < bound) or (kind == AT_MOST and d > bound):
                problems.append(f"{path}: {where}.default = {_short(d)}: violates {kind} {bound}")
                return None
            lo, hi = (float(bound), None) if kind == AT_LEAST else (None, float(bound))
            return Leaf(kind=kind, value=_number(d), lo=lo, hi=hi, note=note, source=source)
    if "approx" in node:
        rule = check.number(node["approx"])
        if rule is not None:
            bad(".approx", node["approx"], rule)
            return None
        return Leaf(kind=APPROX, value=_number(node["approx"]), note=note, source=source)
    if "value" in node:
        if node["value"] == RESIDUAL and check.component:
            return Leaf(kind=RESIDUAL, note=note, source=source)
        rule = check.value(node["value"])
        if rule is not None:
            bad(".value", node["value"], rule)
            return None
        return Leaf(kind=EXACT, value=_number(node["value"]), note=note, source=source)
    problems.append(
        f"{path}: {where} = {_short(node)}: a leaf needs one of value, range, at_least, at_most, "
        "approx, not_stated, share_of_total"
    )
    return None


def _share_leaf(node, where, path, problems, check, source, note) -> Leaf | None:
    """``{share_of_total: s}``, optionally bounded: ``at_most``, ``at_least`` or ``range`` (the
    document's bound on the share, e.g. "the subsidy is at least 80%": the individual pays at
    most 0.2 of the standard); ``s`` is the share used."""
    s = node["share_of_total"]
    if not check.component:
        problems.append(f"{path}: {where}.share_of_total: only a contribution component "
                        f"({allowed(COMPONENTS)}) may be a share of the standard")
        return None
    if not _is_num(s) or not 0 <= s <= 1:
        problems.append(f"{path}: {where}.share_of_total = {_short(s)}: expected a share in [0, 1]")
        return None
    lo = hi = None
    if "range" in node:
        rng = node["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_num(x) and 0 <= x <= 1 for x in rng)
                and rng[0] <= rng[1]):
            problems.append(f"{path}: {where}.range = {_short(rng)}: expected [low, high] shares with low <= high")
            return None
        lo, hi = float(rng[0]), float(rng[1])
    for key in ("at_least", "at_most"):
        if key in node:
            b = node[key]
            if not _is_num(b) or not 0 <= b <= 1:
                problems.append(f"{path}: {where}.{key} = {_short(b)}: expected a share in [0, 1]")
                return None
            if key == "at_least":
                lo = float(b)
            else:
                hi = float(b)
    if "default" in node or "value" in node or "approx" in node:
        problems.append(f"{path}: {where}: a share_of_total leaf gives the share used as share_of_total "
                        "(no default, value or approx)")
        return None
    if (lo is not None and s < lo - 1e-12) or (hi is not None and s > hi + 1e-12):
        problems.append(f"{path}: {where}.share_of_total = {_short(s)}: outside its own bound "
                        f"[{'' if lo is None else lo}, {'' if hi is None else hi}]")
        return None
    return Leaf(kind=SHARE_OF_TOTAL, value=float(s), lo=lo, hi=hi, note=note, source=source)


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _number(x: Any) -> Any:
    return float(x) if _is_num(x) else x


def resolve_key(key: str, params: Mapping[str, Parameter]) -> tuple[str | None, tuple[str, ...]]:
    """Split an override key into a parameter path and table keys (longest path first)."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in params:
            return head, tuple(parts[n:])
    return None, ()
