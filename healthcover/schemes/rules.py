"""A scheme's rules for one variant: checked, resolved, compiled and immutable.

:func:`load_rules` reads a file once (cached by path, modification time and size), checks all
of it (every variant, every reading) and compiles the variant asked for. Overrides never change
a scheme: :meth:`SchemeRules.with_overrides` returns a new one, as a reform derives a new rule
set from a baseline that stays as it was.

The calculators live above this layer (:mod:`healthcover.claims`,
:mod:`healthcover.contributions`); :class:`healthcover.Scheme` joins the two.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from healthcover.errors import HealthcoverError, NotStatedError, allowed
from healthcover.schemes.compile import Compiled, cell_key, compile_rules, fmt_key
from healthcover.schemes.load import (
    domains_of,
    find_scheme_file,
    list_scheme_files,
    read_scheme_file,
    read_scheme_text,
)
from healthcover.schemes.model import Leaf, Parameter, SchemeMeta
from healthcover.schemes.overrides import apply_overrides, flatten

__all__ = ["SchemeRules", "load_rules", "check_file"]

Layer = tuple[tuple[tuple[str, Any], ...], bool]  # (override items, allow_out_of_range)


def check_file(path: Path) -> tuple[SchemeMeta, dict[str, Parameter]]:
    """Read ``path`` and check all of it: the file, every variant compiled with the file's
    values and every option of every reading. Raises one error listing every problem."""
    meta, params = read_scheme_file(path)
    st = path.stat()
    _checked(str(path), st.st_mtime_ns, st.st_size, None)
    return meta, params


_CHECKED: dict[tuple, None] = {}


def _checked(path: str, mtime: int, size: int, text: str | None) -> None:
    key = (path, mtime, size, hash(text))
    if key in _CHECKED:
        return
    p = Path(path)
    meta, params = read_scheme_file(p) if text is None else read_scheme_text(p, text)
    problems: list[str] = []
    domains = domains_of(meta)
    for variant in list(meta.variants) or [None]:
        _, found = compile_rules(meta, params, variant, p.name)
        problems += found
        for name, reading in meta.readings.items():
            for option, sets in reading.sets.items():
                if option not in reading.options:
                    problems.append(f"{p}: readings.{name}.sets.{option}: not an option; allowed: "
                                    f"{allowed(reading.options)}")
                    continue
                try:
                    changed = apply_overrides(params, sets, variant=variant, domains=domains,
                                              allow_out_of_range=True, file=p.name)
                except HealthcoverError as exc:
                    problems += [f"{p}: readings.{name}.sets.{option}: {line}" for line in str(exc).splitlines()]
                    continue
                _, found = compile_rules(meta, changed, variant, p.name)
                problems += [f"{line} [with reading {name}={option}]" for line in found]
    problems = list(dict.fromkeys(problems))
    if problems:
        raise HealthcoverError("\n".join(problems))
    _CHECKED[key] = None


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _layer(overrides: Mapping[str, Any] | None, allow: bool) -> Layer | None:
    if overrides is None:
        return None
    if not isinstance(overrides, Mapping):
        raise HealthcoverError(
            f"overrides must be a mapping {{'parameter.path': value}}; received {type(overrides).__name__}"
        )
    if not overrides:
        return None
    return tuple((k, _freeze(v)) for k, v in flatten(overrides)), bool(allow)


_BUILT: "OrderedDict[str, tuple]" = OrderedDict()
_BUILT_MAX = 256


class SchemeRules:
    """A scheme resolved for one variant: parameters, readings, overrides and compiled tables.

    Immutable: attributes cannot be set; :meth:`with_overrides` returns a new object."""

    __slots__ = ("_file", "_text", "_meta", "_params", "_variant", "_readings", "_layers", "_compiled")

    def __init__(self, *args, **kwargs):
        raise TypeError("use healthcover.load_scheme(...) (or SchemeRules.load) to get a scheme")

    @classmethod
    def load(cls, scheme_id: str | Path, variant: str | None = None,
             overrides: Mapping[str, Any] | None = None, *, allow_out_of_range: bool = False):
        """Load a scheme by id or path for one variant; see :func:`healthcover.load_scheme`."""
        if variant is not None and not isinstance(variant, str):
            raise HealthcoverError(f"load_scheme: variant must be a variant's name (a string) or None; "
                                   f"received {type(variant).__name__}")
        path = find_scheme_file(scheme_id)
        check_file(path)
        meta, _ = read_scheme_file(path)
        if meta.variants:
            variant = meta.default_variant if variant is None else variant
            if variant not in meta.variants:
                raise HealthcoverError(
                    f"unknown variant {variant!r} of scheme {meta.id}; allowed: {allowed(meta.variants)}"
                )
        elif variant is not None:
            raise HealthcoverError(f"scheme {meta.id} has no variants; got variant={variant!r}")
        if not isinstance(allow_out_of_range, bool):
            raise HealthcoverError(f"allow_out_of_range must be True or False; received {allow_out_of_range!r}")
        layers = tuple(x for x in [_layer(overrides, allow_out_of_range)] if x is not None)
        return cls._build(path, None, variant, layers)

    @classmethod
    def _build(cls, path: Path, text: str | None, variant: str | None, layers: tuple[Layer, ...]):
        st = path.stat() if text is None else None
        cache_key = json.dumps([cls.__qualname__, str(path), st.st_mtime_ns if st else hash(text),
                                variant, layers], default=repr)
        hit = _BUILT.get(cache_key)
        if hit is None:
            hit = _resolve(path, text, variant, layers)
            _BUILT[cache_key] = hit
            if len(_BUILT) > _BUILT_MAX:
                _BUILT.popitem(last=False)
        else:
            _BUILT.move_to_end(cache_key)
        meta, params, readings, compiled = hit
        obj = object.__new__(cls)
        for name, value in (("_file", path), ("_text", text), ("_meta", meta), ("_params", params),
                            ("_variant", variant), ("_readings", readings), ("_layers", layers),
                            ("_compiled", compiled)):
            object.__setattr__(obj, name, value)
        return obj

    def __getattr__(self, name):
        # Only reached for the slots an unpickled scheme fills on demand (see _restore).
        if name in ("_meta", "_params", "_readings"):
            meta, params, readings, _ = _resolve(self._file, self._text, self._variant, self._layers)
            for n, v in (("_meta", meta), ("_params", params), ("_readings", readings)):
                object.__setattr__(self, n, v)
            return object.__getattribute__(self, name)
        raise AttributeError(name)

    def __setattr__(self, name, value):
        raise AttributeError(f"a scheme is immutable; use with_overrides(...) for a changed one ({name})")

    def __delattr__(self, name):
        raise AttributeError("a scheme is immutable")

    def __reduce__(self):
        # Small and self-contained: the compiled tables plus what rebuilds the rest on demand
        # (a bundled id, or the file's text for a file a worker may not have).
        bundled = self._text is None and list_scheme_files().get(self._file.stem) == self._file
        text = None if bundled else (self._text if self._text is not None else self._file.read_text(encoding="utf-8"))
        return (_restore, (type(self), self._file.stem if bundled else str(self._file), text, self._variant,
                           self._layers, self._compiled))

    def with_overrides(self, overrides: Mapping[str, Any], *, allow_out_of_range: bool = False):
        """A new scheme with ``overrides`` applied on top of this one's (this one is unchanged).

        Values are normalised (NumPy scalars, numeric strings) and checked against the same
        domains as the file and against the document's ranges and bounds, unless
        ``allow_out_of_range=True``.

        >>> from healthcover import load_scheme
        >>> base = load_scheme("dazu-resident", variant="tier2")
        >>> reform = base.with_overrides({"benefits.inpatient.rate.adult.county": "0.6"})
        >>> base.value("benefits.inpatient.rate", facility="county", category="adult"), \\
        ...     reform.value("benefits.inpatient.rate", facility="county", category="adult")
        (0.5, 0.6)
        """
        if not isinstance(allow_out_of_range, bool):
            raise HealthcoverError(f"allow_out_of_range must be True or False; received {allow_out_of_range!r}")
        layer = _layer(overrides, allow_out_of_range)
        if layer is None:
            return self
        return type(self)._build(self._file, self._text, self._variant, self._layers + (layer,))

    # --- identity ------------------------------------------------------------------------
    @property
    def meta(self) -> SchemeMeta:
        return self._meta

    @property
    def file(self) -> Path:
        return self._file

    @property
    def id(self) -> str:
        return self._meta.id

    @property
    def title(self) -> str:
        return self._meta.title.en

    @property
    def variant(self) -> str | None:
        return self._variant

    @property
    def categories(self) -> list[str]:
        return list(self._meta.categories)

    @property
    def facilities(self) -> list[str]:
        return list(self._meta.facilities)

    @property
    def care_types(self) -> list[str]:
        return list(self._meta.care)

    @property
    def variants(self) -> list[str]:
        return list(self._meta.variants)

    @property
    def readings(self) -> Mapping[str, str]:
        return MappingProxyType(dict(self._readings))

    @property
    def overrides(self) -> Mapping[str, Any]:
        """Every override applied (readings included), later ones winning."""
        out: dict[str, Any] = {}
        for items, _ in self._layers:
            out.update(items)
        return MappingProxyType(out)

    @property
    def compiled(self) -> Compiled:
        """The tables the engine reads (see :mod:`healthcover.schemes.compile`)."""
        return self._compiled

    @property
    def domains(self) -> dict[str, list[str]]:
        return domains_of(self._meta)

    def label(self, dimension: str, code: str, lang: str = "en") -> str:
        """The name of a code in ``lang`` (``zh`` or ``en``), e.g. ``label("category", "rural_dibao")``."""
        table = {"variant": self._meta.variants, "category": self._meta.categories,
                 "facility": self._meta.facilities, "care": self._meta.care}.get(dimension)
        if table is None or code not in table:
            return str(code)
        return getattr(table[code], "zh" if lang == "zh" else "en")

    def __repr__(self) -> str:
        v = f", variant={self._variant!r}" if self._variant else ""
        n = len(self.overrides)
        o = f", {n} override(s)" if n else ""
        return f"<Scheme {self.id}{v}{o}>"

    def _repr_html_(self) -> str:
        from healthcover.display import scheme_html

        return scheme_html(self)

    # --- parameters ----------------------------------------------------------------------
    @property
    def parameters(self) -> Mapping[str, Parameter]:
        return MappingProxyType(self._params)

    def has(self, path: str) -> bool:
        return path in self._params

    def param(self, path: str) -> Parameter:
        try:
            return self._params[path]
        except KeyError:
            near = [k for k in self._params if k.startswith(str(path).split(".")[0])]
            raise HealthcoverError(
                f"scheme {self.id} has no parameter {path!r}; parameters here: {allowed(near or list(self._params))}"
            ) from None

    def reading(self, name: str) -> str:
        """The reading used for an ambiguous passage (the file's, or an override)."""
        if name not in self._readings:
            raise HealthcoverError(f"scheme {self.id} has no reading {name!r}; readings: {allowed(self._readings)}")
        return self._readings[name]

    def cell_key(self, p: Parameter, dims: Mapping[str, str]) -> tuple[str, ...]:
        """The table key of ``p`` for the given codes (variant and category attributes filled in)."""
        full = {"variant": self._variant, **dims}
        domains = self.domains
        for d, code in dims.items():
            if d in domains and code not in domains[d]:
                raise HealthcoverError(f"{d} {code!r} is not a {d} of {self.id}; allowed: {allowed(domains[d])}")
        key = cell_key(self._meta, p, full)
        if key is None:
            need = [d for d in p.by if full.get(d) is None]
            raise HealthcoverError(f"{p.path} is set by {allowed(p.by)}; give {need[0]}=...")
        return key

    def leaf(self, path: str, **dims: str) -> Leaf | None:
        p = self.param(path)
        return p.cells.get(self.cell_key(p, dims))

    def value(self, path: str, **dims: str) -> Any:
        """The value used for one cell; a value the document leaves blank needs an override."""
        p = self.param(path)
        key = self.cell_key(p, dims)
        leaf = p.cells.get(key)
        if leaf is None:
            raise HealthcoverError(
                f"{self._file.name}: {path} has no value for {fmt_key(p.by, key)} in scheme {self.id}"
            )
        if not leaf.usable:
            raise self.not_stated_error(p, key, leaf)
        return leaf.value

    def not_stated_error(self, p: Parameter, key: tuple[str, ...], leaf: Leaf) -> NotStatedError:
        from healthcover.schemes.compile import _blank

        return _blank(self._meta, self._variant, p, key, leaf, self._file.name).error()

    def citation(self, path: str, **dims: str) -> str:
        p = self.param(path)
        try:
            return p.citation(self.cell_key(p, dims))
        except HealthcoverError:
            return p.source.cite()

    def parameter_table(self, prefix: str = "") -> pd.DataFrame:
        """Every parameter cell of this variant: value used, kind, permitted range, unit, source."""
        rows = []
        for path, p in self._params.items():
            if not path.startswith(prefix):
                continue
            for key, leaf in p.cells.items():
                if "variant" in p.by and key[p.by.index("variant")] != self._variant:
                    continue
                src = leaf.source or p.source
                rows.append({
                    "parameter": path,
                    "cell": fmt_key(tuple(d for d in p.by if d != "variant"),
                                    tuple(k for k, d in zip(key, p.by) if d != "variant")),
                    "description": p.description,
                    "value": leaf.value,
                    "kind": leaf.kind,
                    "permitted": leaf.permitted(),
                    "unit": p.unit,
                    "effective": p.effective,
                    "overridden": leaf.overridden,
                    "outside_document": leaf.overridden and not leaf.within(leaf.value),
                    "doc": src.doc,
                    "article": src.article,
                    "lines": src.lines,
                    "quote": src.quote,
                    "note": leaf.note or p.note,
                })
        return pd.DataFrame(rows)

    def codes_table(self) -> pd.DataFrame:
        """Variants, categories, facilities and care types with their Chinese and English names."""
        rows = []
        for dim, codes in (("variant", self._meta.variants), ("category", self._meta.categories),
                           ("facility", self._meta.facilities), ("care", self._meta.care)):
            for code, c in codes.items():
                rows.append({"dimension": dim, "code": code, "zh": c.zh, "en": c.en, "note": c.note})
        return pd.DataFrame(rows)

    def blanks(self) -> pd.DataFrame:
        """Cells of this variant the document leaves blank (each needs an assumption to be used):
        parameter, cell, citation, note and the override key that supplies a value."""
        t = self.parameter_table()
        if t.empty:
            return t
        t = t[(t["kind"] == "not_stated") & ~t["overridden"]]
        return pd.DataFrame({
            "parameter": t["parameter"], "cell": t["cell"],
            "citation": [self.citation(p) for p in t["parameter"]],
            "note": t["note"],
        }).reset_index(drop=True)


def _resolve(path: Path, text: str | None, variant: str | None, layers: tuple[Layer, ...]):
    meta, params = read_scheme_file(path) if text is None else read_scheme_text(path, text)
    domains = domains_of(meta)
    readings = {k: r.used for k, r in meta.readings.items()}
    plain: list[tuple[dict[str, Any], bool]] = []
    for items, allow in layers:
        ov: dict[str, Any] = {}
        for key, value in items:
            if key.startswith("readings."):
                name = key.split(".", 1)[1]
                if name not in meta.readings:
                    raise HealthcoverError(
                        f"override {key!r}: scheme {meta.id} has no reading {name!r}; readings: "
                        f"{allowed(meta.readings) or '(none)'}"
                    )
                if not isinstance(value, str) or value not in meta.readings[name].options:
                    raise HealthcoverError(
                        f"override {key!r} = {value!r}: allowed: {allowed(meta.readings[name].options)}"
                    )
                readings[name] = value
            else:
                ov[key] = list(value) if isinstance(value, tuple) else value
        plain.append((ov, allow))
    # A reading other than the file's is a set of overrides the file itself declares.
    implied: dict[str, Any] = {}
    for name, option in readings.items():
        if option != meta.readings[name].used:
            implied.update(meta.readings[name].sets.get(option, {}))
    if implied:
        params = apply_overrides(params, implied, variant=variant, domains=domains,
                                 allow_out_of_range=True, file=path)
    for ov, allow in plain:
        if ov:
            params = apply_overrides(params, ov, variant=variant, domains=domains,
                                     allow_out_of_range=allow, file=path)
    # An override with allow_out_of_range=True lifts the document's bounds across cells too.
    relaxed = any(allow and ov for ov, allow in plain)
    compiled, problems = compile_rules(meta, params, variant, path.name, relaxed=relaxed)
    if problems:
        raise HealthcoverError("\n".join(problems))
    return meta, params, MappingProxyType(readings), compiled


def _restore(cls, source: str, text: str | None, variant, layers, compiled):
    """Unpickle: the compiled tables at once (all a worker's engine needs); the parameters are
    read again from the bundled file or the shipped text only when something asks for them."""
    obj = object.__new__(cls)
    path = find_scheme_file(source) if text is None else Path(source)
    for name, value in (("_file", path), ("_text", text), ("_variant", variant), ("_layers", layers),
                        ("_compiled", compiled)):
        object.__setattr__(obj, name, value)
    return obj


def load_rules(scheme_id: str | Path, variant: str | None = None,
               overrides: Mapping[str, Any] | None = None, *, allow_out_of_range: bool = False) -> SchemeRules:
    """The rules of a scheme without the calculators (see :func:`healthcover.load_scheme`)."""
    return SchemeRules.load(scheme_id, variant, overrides, allow_out_of_range=allow_out_of_range)
