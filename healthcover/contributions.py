r"""Contributions and government subsidies per person, for flat-rate and payroll schemes.

Flat-rate resident schemes (Dazu Art. 13-14, Jilin (四)):

.. math:: \text{residual} = \text{standard} + \text{personal account} - \sum \text{other components}

where the residual component is the one the document defines as "what is left" (Dazu: the
individual pays the standard less fiscal subsidies, Art. 13).

Payroll employee schemes (Liaoning II(2), Bazhou Art. 7-9):

.. math:: \text{base} = \min(\max(w, f\bar w), c\bar w), \quad
          \text{individual} = r_i\,\text{base}, \quad \text{employer} = r_e\,\text{base}

with floor ``f`` and cap ``c`` as multiples of the average wage :math:`\bar w`; a fixed base
(laid-off workers at 60% of the average wage) replaces it where the document says so.
"""
from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.errors import HealthcoverError, allowed
from healthcover.money import round_fen as _fen
from healthcover.schemes.model import NOT_STATED, RESIDUAL, SHARE_OF_TOTAL

if TYPE_CHECKING:
    from healthcover.schemes.scheme import Scheme

COLUMNS = [
    "total", "individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local",
    "personal_account", "pooled_fund",
]
COMPONENTS = ["individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local"]
LEVELS = {"central": "subsidy_central", "provincial": "subsidy_provincial", "local": "subsidy_local"}


def contributions(scheme: "Scheme", persons: pd.DataFrame, *, missing: str = "raise") -> pd.DataFrame:
    """Contributions of each person for one year, in input order (see the module docstring).

    Returns the columns ``total, individual, employer, subsidy_central, subsidy_provincial,
    subsidy_local, personal_account, pooled_fund`` (zero where not applicable), plus
    ``subsidy_total`` and, where the scheme has them, ``base`` and ``outpatient_account``.
    Money is rounded to the fen; ``total`` is the sum of the rounded parts.

    A value the document leaves blank (e.g. Bazhou's employer rate) raises, naming it and its
    source, unless an override supplies it; with ``missing="nan"`` the columns that depend on
    it are NaN instead (and a warning lists them), so the parts the document does fix can still
    be computed.
    """
    if missing not in ("raise", "nan"):
        raise HealthcoverError(f"contributions: missing = {missing!r}; allowed: raise, nan")
    unstated: list[str] = []
    get = functools.partial(_per_category, missing=missing, unstated=unstated)
    v.require_columns(persons, ["person_id", "category"], "persons")
    v.unique_ids(persons["person_id"], "persons", "person_id")
    cat = v.codes(persons["category"], scheme.categories, "persons", "category",
                  f"category of {scheme.id}")
    basis = scheme.value("contributions.basis") if scheme.has("contributions.basis") else "flat"
    if basis == "flat":
        out = _flat(scheme, cat, get)
    elif basis == "payroll":
        out = _payroll(scheme, persons, cat, get)
    else:
        raise HealthcoverError(f"{scheme.file.name}: contributions.basis = {basis!r}; allowed: flat, payroll")
    if unstated:
        warnings.warn(
            f"{scheme.id}: not stated in the document, so NaN where needed: {allowed(dict.fromkeys(unstated))}; "
            "supply assumptions with overrides to compute them",
            stacklevel=3,
        )
    for c in COLUMNS[1:7]:
        out[c] = _fen(out.get(c, np.zeros(len(cat))))
    subsidies = out["subsidy_central"] + out["subsidy_provincial"] + out["subsidy_local"]
    out["total"] = np.round(out["individual"] + out["employer"] + subsidies, 2)
    out["pooled_fund"] = np.round(out["total"] - out["personal_account"], 2)
    out["subsidy_total"] = np.round(subsidies, 2)
    frame = pd.DataFrame({c: out[c] for c in COLUMNS + ["subsidy_total"]}, index=persons.index)
    for extra in ("base", "outpatient_account"):
        if extra in out:
            frame[extra] = _fen(out[extra])
    return frame


def _per_category(scheme: "Scheme", path: str, cat: np.ndarray, missing: str = "raise",
                  unstated: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(kind code, number) per category of a contribution component. A not-stated cell that
    some person falls in raises, or with ``missing="nan"`` gives NaN and is listed in
    ``unstated``. Kind: 0 number, 1 residual, 2 share of standard."""
    unstated = [] if unstated is None else unstated
    ncat = len(scheme.categories)
    kind = np.zeros(ncat, dtype=np.int8)
    num = np.zeros(ncat)
    if not scheme.has(path):
        return kind[cat], num[cat]
    p = scheme.param(path)
    present = np.bincount(cat, minlength=ncat) > 0
    for i, code in enumerate(scheme.categories):
        key = scheme.cell_key(p, {"category": code})
        leaf = p.cells.get(key)
        if leaf is None:
            continue
        if leaf.kind == NOT_STATED and not leaf.overridden:
            if present[i]:
                if missing == "raise":
                    raise scheme.not_stated_error(p, key, leaf)
                unstated.append(f"{path} ({code})")
                num[i] = np.nan
            continue
        if leaf.value == RESIDUAL or (leaf.kind == RESIDUAL and not leaf.overridden):
            kind[i] = 1
        elif leaf.kind == SHARE_OF_TOTAL:  # an override of a share is the new share
            if not 0 <= float(leaf.value) <= 1:
                raise HealthcoverError(
                    f"{scheme.file.name}: {path} for category {code} = {leaf.value!r}; "
                    "allowed: a share of the financing standard between 0 and 1"
                )
            kind[i], num[i] = 2, float(leaf.value)
        else:
            num[i] = float(leaf.value)
    return kind[cat], num[cat]


def _flat(scheme: "Scheme", cat: np.ndarray, get) -> dict[str, np.ndarray]:
    n = len(cat)
    _, standard = get(scheme, "contributions.standard", cat)
    _, pa = get(scheme, "contributions.personal_account", cat)
    out: dict[str, np.ndarray] = {}
    residual_of = np.full(n, -1)
    known = np.zeros(n)
    for j, comp in enumerate(COMPONENTS):
        kind, num = get(scheme, f"contributions.{comp}", cat)
        amount = np.where(kind == 2, num * standard, num)
        both = (kind == 1) & (residual_of >= 0)
        if both.any():
            i = int(np.flatnonzero(both)[0])
            raise HealthcoverError(
                f"{scheme.file.name}: contributions: two residual components for category "
                f"{scheme.categories[cat[i]]} ({COMPONENTS[residual_of[i]]} and {comp}); only one payer can cover the rest"
            )
        residual_of = np.where(kind == 1, j, residual_of)
        out[comp] = np.where(kind == 1, 0.0, amount)
        known += out[comp]
    _, special = get(scheme, "contributions.subsidy_special", cat)
    if (special != 0).any():
        leaf = scheme.leaf("contributions.subsidy_special_level")
        if leaf is not None and not leaf.usable and get.keywords["missing"] == "nan":
            # The amount is known but not which level pays it: no subsidy column can be filled.
            get.keywords["unstated"].append("contributions.subsidy_special_level")
            for comp in LEVELS.values():
                out[comp] = np.where(special != 0, np.nan, out[comp])
            level = None
        else:
            level = scheme.value("contributions.subsidy_special_level")
    if (special != 0).any() and level is not None:
        if level not in LEVELS:
            raise HealthcoverError(
                f"contributions.subsidy_special_level = {level!r}; allowed: {allowed(LEVELS)}"
            )
        out[LEVELS[level]] = out[LEVELS[level]] + special
    known += special  # the amount is stated even where its paying level is not
    rest = standard + pa - known
    for j, comp in enumerate(COMPONENTS):
        out[comp] = np.where(residual_of == j, rest, out[comp])
    negative = (residual_of >= 0) & (rest < -1e-9)
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise HealthcoverError(
            f"{scheme.file.name}: the residual {COMPONENTS[residual_of[i]]} of category "
            f"{scheme.categories[cat[i]]} would be {rest[i]:.2f} (< 0): the other parts exceed the standard"
        )
    out["personal_account"] = pa
    if scheme.has("contributions.outpatient_account"):
        out["outpatient_account"] = get(scheme, "contributions.outpatient_account", cat)[1]
    return out


def _payroll(scheme: "Scheme", persons: pd.DataFrame, cat: np.ndarray, get) -> dict[str, np.ndarray]:
    v.require_columns(persons, ["wage", "average_wage"], "persons",
                      f"{scheme.id} is payroll-based: give each person's wage and the average wage")
    wage = v.money(persons, "wage", "persons")
    avg = v.money(persons, "average_wage", "persons")
    k_floor, floor = get(scheme, "contributions.base_floor", cat)
    k_cap, cap = get(scheme, "contributions.base_cap", cat)
    has_floor = _has_cells(scheme, "contributions.base_floor", cat)
    has_cap = _has_cells(scheme, "contributions.base_cap", cat)
    base = wage.copy()
    base = np.where(has_floor, np.maximum(base, floor * avg), base)
    base = np.where(has_cap, np.minimum(base, cap * avg), base)
    fixed = _has_cells(scheme, "contributions.base_share_of_average_wage", cat)
    _, share = get(scheme, "contributions.base_share_of_average_wage", cat)
    base = np.where(fixed, share * avg, base)
    _, r_ind = get(scheme, "contributions.rate_individual", cat)
    _, r_emp = get(scheme, "contributions.rate_employer", cat)
    individual = _fen(r_ind * base)
    employer = _fen(r_emp * base)
    _, pa_i = get(scheme, "contributions.personal_account_share_individual", cat)
    _, pa_e = get(scheme, "contributions.personal_account_share_employer", cat)
    out = {
        "base": base,
        "individual": individual,
        "employer": employer,
        "personal_account": pa_i * individual + pa_e * employer,
    }
    for comp in ("subsidy_central", "subsidy_provincial", "subsidy_local"):
        out[comp] = get(scheme, f"contributions.{comp}", cat)[1]
    return out


def _has_cells(scheme: "Scheme", path: str, cat: np.ndarray) -> np.ndarray:
    """Per person: whether the parameter has a cell for the person's category."""
    ncat = len(scheme.categories)
    has = np.zeros(ncat, dtype=bool)
    if scheme.has(path):
        p = scheme.param(path)
        for i, code in enumerate(scheme.categories):
            has[i] = scheme.cell_key(p, {"category": code}) in p.cells
    return has[cat]
