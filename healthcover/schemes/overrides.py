"""Overrides: local choices and reforms, normalised and checked before they reach a scheme.

An override addresses a parameter by its dotted path plus table keys
(``{"benefits.inpatient.deductible.county": 300}``); a shorter key sets every cell below it;
the variant key may be left out; a mapping value sets nested cells. Values are normalised the
way users pass them (NumPy scalars, numeric strings such as ``"300"``, tuples of bands) and
checked against the same domains as the file (a share in [0, 1], money finite and >= 0, a code
from its set) and against the document's range or bound, which only
``allow_out_of_range=True`` lifts. Every problem is reported at once.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np

from healthcover.errors import HealthcoverError, allowed
from healthcover.schemes.load import LeafCheck, resolve_key, rule_spec
from healthcover.schemes.model import (
    BANDS,
    CODE,
    COUNT,
    FACTORS,
    FLAG,
    MONEY,
    NON_NEGATIVE,
    NOT_STATED,
    RESIDUAL,
    SHARE,
    SHARE_OF_TOTAL,
    Parameter,
    unit_domain,
)

__all__ = ["apply_overrides", "normalise_value", "flatten"]

_NUMERIC = (SHARE, MONEY, NON_NEGATIVE, COUNT)


def flatten(overrides: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """``(dotted key, value)`` pairs of a possibly nested mapping of overrides."""
    if not isinstance(overrides, Mapping):
        raise HealthcoverError(
            f"overrides must be a mapping {{'parameter.path': value}}; received {type(overrides).__name__}"
        )
    for k, v in overrides.items():
        if not isinstance(k, str):
            raise HealthcoverError(f"override key {k!r}: keys are dotted parameter paths (strings)")
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, Mapping):
            yield from flatten(v, key)
        else:
            yield key, v


def normalise_value(value: Any, domain: str | None) -> Any:
    """The plain Python value of an override (``np.float32(0.5)`` -> 0.5, ``"300"`` -> 300.0,
    bands as lists); raises ``ValueError`` with what is allowed when it cannot be read."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if domain in _NUMERIC:
        if isinstance(value, bool):
            raise ValueError("a number (True/False is not an amount or a share)")
        if isinstance(value, str) and value.strip() == RESIDUAL:
            return RESIDUAL
        if isinstance(value, str):
            text = value.strip().replace(",", "").replace("_", "")
            try:
                value = float(text)
            except ValueError:
                raise ValueError("a number") from None
        if isinstance(value, int):
            value = float(value)
        if not isinstance(value, float):
            if value == RESIDUAL:
                return value
            raise ValueError("a number")
        return value
    if domain == FLAG:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ValueError("true or false")
    if domain == BANDS:
        if isinstance(value, (list, tuple)):
            out = []
            for band in value:
                if isinstance(band, np.ndarray):
                    band = band.tolist()
                if not isinstance(band, (list, tuple)) or len(band) != 2:
                    raise ValueError("bands [[upper, rate], ..., [null, rate]]")
                upper, rate = (x.item() if isinstance(x, np.generic) else x for x in band)
                if isinstance(upper, float) and math.isinf(upper):
                    upper = None
                out.append([None if upper is None else _plain_number(upper),
                            _plain_number(rate)])
            return out
        raise ValueError("bands [[upper, rate], ..., [null, rate]]")
    if domain == FACTORS:
        if isinstance(value, (list, tuple)):
            try:
                return [_plain_number(x.item() if isinstance(x, np.generic) else
                                      (float(x.strip()) if isinstance(x, str) else x)) for x in value]
            except ValueError:
                raise ValueError("factors [f1, f2, ...] in [0, 1]") from None
        raise ValueError("factors [f1, f2, ...] in [0, 1]")
    if domain == CODE and not isinstance(value, str):
        raise ValueError("a code (a word)")
    return value


def _plain_number(x: Any) -> Any:
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    return x


def apply_overrides(
    params: Mapping[str, Parameter],
    overrides: Mapping[str, Any] | None,
    *,
    variant: str | None,
    domains: Mapping[str, list[str]],
    allow_out_of_range: bool,
    file: Any,
) -> dict[str, Parameter]:
    """New parameters with the overridden cells; every value normalised and checked."""
    if not overrides:
        return dict(params)
    cells = {k: dict(p.cells) for k, p in params.items()}
    problems: list[str] = []
    for key, value in flatten(overrides):
        pname, rest = resolve_key(key, params)
        if pname is None:
            problems.append(
                f"override {key!r}: no such parameter; parameters start with "
                f"{allowed(sorted({k.split('.')[0] for k in params}))} (see Scheme.parameter_table())"
            )
            continue
        p = params[pname]
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
                continue
            spec = rule_spec(pname)
            domain = spec.domain if spec is not None else unit_domain(p.unit)
            check = LeafCheck(domain, spec, pname)
            try:
                v = normalise_value(value, domain)
            except ValueError as exc:
                problems.append(f"override {key!r} = {value!r}: allowed: {exc}")
                continue
            for cell in hit:
                leaf = cells[pname][cell]
                if leaf.kind == SHARE_OF_TOTAL and v != RESIDUAL:
                    # an override of a share of the standard is the new share
                    rule = None if isinstance(v, float) and 0 <= v <= 1 else "a share of the standard in [0, 1]"
                elif v == RESIDUAL and not check.component:
                    rule = f"{check.domain or 'a value'} (only a contribution component may be the residual)"
                else:
                    rule = check.value(v)
                if rule is not None:
                    problems.append(f"override {key!r} = {value!r}: allowed: {rule}")
                    break
                if leaf.kind not in (NOT_STATED,) and domain is None and leaf.value is not None \
                        and type(leaf.value) is not type(v) and not (_is_num(leaf.value) and _is_num(v)):
                    problems.append(f"override {key!r} = {value!r}: expected {type(leaf.value).__name__} "
                                    f"like {leaf.value!r}")
                    break
                if not allow_out_of_range and not leaf.within(v):
                    src = leaf.source or p.source
                    where = f"{file}: {pname}" + ("." + ".".join(cell) if cell else "")
                    problems.append(
                        f"{where} = {_show(value)} is outside the document's {leaf.permitted()} "
                        f"({src.cite()}); pass allow_out_of_range=True to explore it as a reform"
                    )
                    break
                cells[pname][cell] = leaf.with_override(v)
    if problems:
        raise HealthcoverError("\n".join(problems))
    return {k: (p.with_cells(cells[k]) if cells[k] != dict(p.cells) else p) for k, p in params.items()}


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)
