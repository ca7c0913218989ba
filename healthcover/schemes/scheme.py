"""The Scheme object: one scheme file, one variant, any overrides, ready to compute."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, NotStatedError, allowed
from healthcover.schemes.load import (
    apply_overrides,
    find_scheme_file,
    list_scheme_files,
    read_scheme_file,
)
from healthcover.schemes.model import Leaf, Parameter, SchemeMeta


def list_schemes() -> list[str]:
    """Ids of the bundled schemes (files ``data/schemes/<scheme-id>.yaml``)."""
    return list(list_scheme_files())


def load_scheme(
    scheme_id: str | Path,
    variant: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    allow_out_of_range: bool = False,
) -> "Scheme":
    """Load a scheme by id (or from the path of your own file), for one variant.

    Parameters
    ----------
    scheme_id : a bundled id (see :func:`list_schemes`) or a path to a ``.yaml`` file.
    variant : e.g. ``"tier2"``; defaults to the file's ``default_variant``.
    overrides : local choices or a reform, ``{"benefits.inpatient.deductible.county": 300}``;
        readings are switched with ``{"readings.<name>": "<option>"}``.
    allow_out_of_range : accept override values outside the document's ranges and bounds
        (for exploring reforms); they stay marked as outside in :meth:`Scheme.parameter_table`.

    Examples
    --------
    >>> s = load_scheme("dazu-resident", variant="tier2")
    >>> s.value("benefits.inpatient.deductible", facility="county")
    200.0
    """
    path = find_scheme_file(scheme_id)
    meta, params = read_scheme_file(path)
    if meta.variants:
        variant = meta.default_variant if variant is None else variant
        if variant not in meta.variants:
            raise HealthcoverError(
                f"unknown variant {variant!r} of scheme {meta.id}; allowed: {allowed(meta.variants)}"
            )
    elif variant is not None:
        raise HealthcoverError(f"scheme {meta.id} has no variants; got variant={variant!r}")
    overrides = dict(overrides or {})
    readings = {k: r.used for k, r in meta.readings.items()}
    for key in [k for k in overrides if k.startswith("readings.")]:
        name = key.split(".", 1)[1]
        value = overrides.pop(key)
        if name not in meta.readings:
            raise HealthcoverError(
                f"override {key!r}: scheme {meta.id} has no reading {name!r}; readings: {allowed(meta.readings) or '(none)'}"
            )
        if value not in meta.readings[name].options:
            raise HealthcoverError(
                f"override {key!r} = {value!r}: allowed: {allowed(meta.readings[name].options)}"
            )
        readings[name] = value
    scheme = Scheme(meta, params, variant, path, readings)
    # A reading other than the file's is a set of overrides the file itself declares.
    implied: dict[str, Any] = {}
    for name, option in readings.items():
        if option != meta.readings[name].used:
            implied.update(meta.readings[name].sets.get(option, {}))
    if implied:
        scheme._params = apply_overrides(
            scheme._params, implied, variant=variant, domains=scheme.domains,
            allow_out_of_range=True, file=path,
        )
    if overrides:
        scheme._params = apply_overrides(
            scheme._params, overrides, variant=variant, domains=scheme.domains,
            allow_out_of_range=allow_out_of_range, file=path,
        )
        scheme.overrides = dict(overrides)
    return scheme


class Scheme:
    """A scheme, resolved for one variant: parameters, contributions and claims."""

    def __init__(self, meta: SchemeMeta, params: dict[str, Parameter], variant: str | None,
                 file: Path, readings: dict[str, str]):
        self.meta = meta
        self._params = params
        self.variant = variant
        self.file = file
        self.readings = readings
        self.overrides: dict[str, Any] = {}
        self.domains: dict[str, list[str]] = {
            "variant": list(meta.variants),
            "category": list(meta.categories),
            "facility": list(meta.facilities),
            "care": list(meta.care),
        }
        for code in meta.categories.values():
            for a, v in code.attributes.items():
                self.domains.setdefault(a, [])
                if v not in self.domains[a]:
                    self.domains[a].append(v)

    # --- identity ------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title.en

    @property
    def categories(self) -> list[str]:
        return list(self.meta.categories)

    @property
    def facilities(self) -> list[str]:
        return list(self.meta.facilities)

    @property
    def care_types(self) -> list[str]:
        return list(self.meta.care)

    @property
    def variants(self) -> list[str]:
        return list(self.meta.variants)

    def __repr__(self) -> str:
        v = f", variant={self.variant!r}" if self.variant else ""
        o = f", {len(self.overrides)} override(s)" if self.overrides else ""
        return f"<Scheme {self.id}{v}{o}>"

    def _repr_html_(self) -> str:
        from healthcover.display import scheme_html
        return scheme_html(self)

    # --- parameters ----------------------------------------------------------------------
    @property
    def parameters(self) -> dict[str, Parameter]:
        return self._params

    def has(self, path: str) -> bool:
        return path in self._params

    def param(self, path: str) -> Parameter:
        try:
            return self._params[path]
        except KeyError:
            near = [k for k in self._params if k.startswith(path.split(".")[0])]
            raise HealthcoverError(
                f"scheme {self.id} has no parameter {path!r}; parameters here: {allowed(near or list(self._params))}"
            ) from None

    def reading(self, name: str) -> str:
        """The reading used for an ambiguous passage (the file's, or an override)."""
        if name not in self.readings:
            raise HealthcoverError(f"scheme {self.id} has no reading {name!r}; readings: {allowed(self.readings)}")
        return self.readings[name]

    def cell_key(self, p: Parameter, dims: Mapping[str, str]) -> tuple[str, ...]:
        """The table key of ``p`` for the given codes (variant and category attributes filled in)."""
        key = []
        for d in p.by:
            if d == "variant":
                code = dims.get("variant", self.variant)
            elif d in dims:
                code = dims[d]
            elif "category" in dims and d in self.meta.categories.get(dims["category"], _NO_ATTRS).attributes:
                code = self.meta.categories[dims["category"]].attributes[d]
            else:
                raise HealthcoverError(f"{p.path} is set by {allowed(p.by)}; give {d}=...")
            if code not in self.domains[d]:
                raise HealthcoverError(f"{d} {code!r} is not a {d} of {self.id}; allowed: {allowed(self.domains[d])}")
            key.append(code)
        return tuple(key)

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
                f"{self.file.name}: {path} has no value for {_fmt_key(p.by, key)} in scheme {self.id}"
            )
        if not leaf.usable:
            raise self.not_stated_error(p, key, leaf)
        return leaf.value

    def not_stated_error(self, p: Parameter, key: tuple[str, ...], leaf: Leaf) -> HealthcoverError:
        src = leaf.source or p.source
        dims = [(d, k) for d, k in zip(p.by, key) if d != "variant"]  # the variant is the scheme's
        cell = ".".join(k for _, k in dims)
        okey = p.path + (f".{cell}" if cell else "")
        note = f" ({leaf.note})" if leaf.note else ""
        return NotStatedError(
            f"{self.file.name}: {p.path} ({_fmt_key(p.by, key) or 'all'}) is not stated in the document "
            f"[{src.cite()}]{note}; supply an explicit assumption, e.g. "
            f"load_scheme({self.id!r}{', variant=' + repr(self.variant) if self.variant else ''}, "
            f"overrides={{{okey!r}: ...}})",
            scheme_id=self.id, variant=self.variant, path=p.path,
            cell=_fmt_key(*zip(*dims)) if dims else "",
            citation=src.cite(), note=leaf.note or "",
        )

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
                if "variant" in p.by and key[p.by.index("variant")] != self.variant:
                    continue
                src = leaf.source or p.source
                rows.append({
                    "parameter": path,
                    "cell": _fmt_key(tuple(d for d in p.by if d != "variant"),
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
        for dim, codes in (("variant", self.meta.variants), ("category", self.meta.categories),
                           ("facility", self.meta.facilities), ("care", self.meta.care)):
            for code, c in codes.items():
                rows.append({"dimension": dim, "code": code, "zh": c.zh, "en": c.en, "note": c.note})
        return pd.DataFrame(rows)

    def cell_array(self, path: str, axes: tuple[str, ...], **fixed: str) -> tuple[np.ndarray, np.ndarray]:
        """Dense lookup table of a numeric parameter over ``axes`` (e.g. category x facility).

        Returns ``(values, status)``: values as float (NaN where no cell), status 0 = usable,
        1 = not stated, 2 = no cell. The claims engine indexes these with integer codes.
        """
        p = self.param(path)
        shape = tuple(len(self.domains_for(a)) for a in axes)
        values = np.full(shape, np.nan)
        status = np.full(shape, 2, dtype=np.int8)
        for idx in np.ndindex(*shape) if shape else [()]:
            dims = dict(fixed)
            dims.update({a: self.domains_for(a)[i] for a, i in zip(axes, idx)})
            try:
                key = self.cell_key(p, dims)
            except HealthcoverError:
                continue
            leaf = p.cells.get(key)
            if leaf is None:
                continue
            if not leaf.usable:
                status[idx] = 1
                continue
            values[idx] = float(leaf.value)
            status[idx] = 0
        return values, status

    def domains_for(self, axis: str) -> list[str]:
        return self.domains[axis]

    # --- computations --------------------------------------------------------------------
    def contributions(self, persons: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """Per person: total, individual, employer, subsidies by level, personal account, pooled fund
        (see :func:`healthcover.contributions.contributions`)."""
        from healthcover.contributions import contributions

        return contributions(self, persons, **kwargs)

    def adjudicate(self, claims: pd.DataFrame, persons: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
        """Per claim: eligible cost, deductible, rate, fund paid, out of pocket, limit reason."""
        from healthcover.claims import adjudicate

        return adjudicate(self, claims, persons, **kwargs)


    def payment_curve(self, costs, **kwargs) -> pd.DataFrame:
        """Fund payment as one claim's cost grows, by facility (see
        :func:`healthcover.claims.payment_curve`)."""
        from healthcover.claims import payment_curve

        return payment_curve(self, costs, **kwargs)


class _NoAttrs:
    attributes: dict = {}


_NO_ATTRS = _NoAttrs()


def _fmt_key(by: tuple[str, ...], key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={k}" for d, k in zip(by, key))
