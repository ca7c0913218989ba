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

The calculator reads a scheme's compiled contribution tables
(:class:`~healthcover.schemes.compile.ContributionTables`), one entry per category.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from healthcover import checks as v
from healthcover.errors import HealthcoverError, HealthcoverWarning, allowed
from healthcover.money import round_fen as _fen
from healthcover.schemes.compile import (
    ABSENT,
    AMOUNT,
    BLANK_KIND,
    RESIDUAL_KIND,
    SHARE_KIND,
    Compiled,
    ContributionTables,
)

COLUMNS = [
    "total", "individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local",
    "personal_account", "pooled_fund",
]
COMPONENTS = ["individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local"]
LEVELS = {"central": "subsidy_central", "provincial": "subsidy_provincial", "local": "subsidy_local"}


def contributions(tables: Compiled | ContributionTables, persons: pd.DataFrame, *,
                  missing: str = "raise") -> pd.DataFrame:
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
    t = tables.contributions if isinstance(tables, Compiled) else tables
    if not isinstance(t, ContributionTables):
        raise HealthcoverError("contributions: the first argument is a scheme's compiled tables "
                               "(scheme.compiled); call scheme.contributions(persons)")
    v.choice("contributions", "missing", missing, ("raise", "nan"))
    v.frame(persons, "persons")
    v.require_columns(persons, ["person_id", "category"], "persons")
    v.unique_ids(persons["person_id"], "persons", "person_id")
    cat = v.codes(persons["category"], t.categories, "persons", "category", f"category of {t.scheme_id}")
    calc = _Calc(t, cat, missing)
    if t.basis_blank is not None:
        raise t.basis_blank.error()
    if t.basis == "flat":
        out = _flat(calc)
    else:
        out = _payroll(calc, persons)
    if calc.unstated:
        warnings.warn(
            f"{t.scheme_id}: not stated in the document, so NaN where needed: {allowed(dict.fromkeys(calc.unstated))}; "
            "supply assumptions with overrides to compute them",
            HealthcoverWarning, stacklevel=3,
        )
    for c in COLUMNS[1:7]:
        out[c] = _fen(out.get(c, np.zeros(len(cat))))
    levels = out["subsidy_central"] + out["subsidy_provincial"] + out["subsidy_local"]
    # A total the document fixes stays computed when its split is not stated (issue 12 item 3):
    # the subsidies add up even where the paying level is unknown, and a flat scheme's total is
    # its financing standard plus the personal account.
    subsidies = _fen(out.pop("subsidy_sum")) if "subsidy_sum" in out else levels
    subsidies = np.where(np.isnan(subsidies), levels, subsidies)
    total = out["individual"] + out["employer"] + subsidies
    if "standard" in out:
        fixed = out.pop("standard") + out["personal_account"]
        total = np.where(np.isnan(total), fixed, total)
        subsidies = np.where(np.isnan(subsidies), total - out["individual"] - out["employer"], subsidies)
    out["total"] = _fen(total)
    out["pooled_fund"] = _fen(out["total"] - out["personal_account"])
    out["subsidy_total"] = _fen(subsidies)
    frame = pd.DataFrame({c: out[c] for c in COLUMNS + ["subsidy_total"]}, index=persons.index)
    for extra in ("base", "outpatient_account"):
        if extra in out:
            frame[extra] = _fen(out[extra])
    return frame


class _Calc:
    """Per-person lookups of the compiled tables, with the blanks a person needs."""

    def __init__(self, t: ContributionTables, cat: np.ndarray, missing: str):
        self.t, self.cat, self.missing = t, cat, missing
        self.unstated: list[str] = []
        self.present = np.bincount(cat, minlength=len(t.categories)) > 0

    def get(self, rule: str) -> tuple[np.ndarray, np.ndarray]:
        """(kind, number) per person; a blank some person needs raises, or gives NaN."""
        kind, num = self.t.components[rule]
        blank = (kind == BLANK_KIND) & self.present
        if blank.any():
            k = int(np.flatnonzero(blank)[0])
            if self.missing == "raise":
                raise self.t.blanks[(rule, k)].error()
            self.unstated += [f"contributions.{rule} ({self.t.categories[i]})" for i in np.flatnonzero(blank)]
        return kind[self.cat], num[self.cat]

    def has(self, rule: str) -> np.ndarray:
        """Per person: whether the rule has a cell for the person's category."""
        return (self.t.components[rule][0] != ABSENT)[self.cat]


def _flat(calc: _Calc) -> dict[str, np.ndarray]:
    t, cat = calc.t, calc.cat
    n = len(cat)
    _, standard = calc.get("standard")
    _, pa = calc.get("personal_account")
    out: dict[str, np.ndarray] = {}
    residual_of = np.full(n, -1)
    known = np.zeros(n)
    for j, comp in enumerate(COMPONENTS):
        kind, num = calc.get(comp)
        amount = np.where(kind == SHARE_KIND, num * standard, np.where(kind == AMOUNT, num, 0.0))
        amount = np.where(kind == BLANK_KIND, np.nan, amount)
        residual_of = np.where(kind == RESIDUAL_KIND, j, residual_of)
        out[comp] = np.where(kind == RESIDUAL_KIND, 0.0, amount)
        known += out[comp]
    skind, special = calc.get("subsidy_special")
    special = np.where(skind == AMOUNT, special, np.where(skind == BLANK_KIND, np.nan, 0.0))
    has_special = special != 0
    levels_before = out["subsidy_central"] + out["subsidy_provincial"] + out["subsidy_local"]
    if has_special.any():
        if t.special_level_blank is not None:
            if calc.missing == "nan":
                # The amount is known but not which level pays it: no subsidy column can be filled.
                calc.unstated.append("contributions.subsidy_special_level")
                for comp in LEVELS.values():
                    out[comp] = np.where(has_special, np.nan, out[comp])
            else:
                raise t.special_level_blank.error()
        else:
            level = LEVELS[t.special_level]
            out[level] = out[level] + np.where(np.isnan(special), 0.0, special)
    known += special  # the amount is stated even where its paying level is not
    rest = standard + pa - known
    for j, comp in enumerate(COMPONENTS):
        out[comp] = np.where(residual_of == j, rest, out[comp])
    negative = (residual_of >= 0) & (rest < -1e-9)
    if negative.any():  # only reachable through a blank filled in per category (checked at load otherwise)
        i = int(np.flatnonzero(negative)[0])
        raise HealthcoverError(
            f"{t.file_name}: the residual {COMPONENTS[residual_of[i]]} of category "
            f"{t.categories[cat[i]]} would be {rest[i]:.2f} (< 0): the other parts exceed the standard"
        )
    out["personal_account"] = pa
    # What the document fixes even where a split is blank: the subsidies in all (the special
    # subsidy counted whichever level pays it) and the financing standard.
    residual_sub = np.zeros(n)
    for j, comp in enumerate(COMPONENTS):
        if comp.startswith("subsidy_"):
            residual_sub += np.where(residual_of == j, rest, 0.0)
    out["subsidy_sum"] = levels_before + residual_sub + np.where(np.isnan(special), np.nan, special)
    _, std_amount = calc.get("standard")
    std_kind = t.components["standard"][0][cat]
    out["standard"] = np.where(std_kind == AMOUNT, std_amount, np.nan)
    if (t.components["outpatient_account"][0] != ABSENT).any():
        out["outpatient_account"] = calc.get("outpatient_account")[1]
    return out


def _payroll(calc: _Calc, persons: pd.DataFrame) -> dict[str, np.ndarray]:
    t = calc.t
    v.require_columns(persons, ["wage", "average_wage"], "persons",
                      f"{t.scheme_id} is payroll-based: give each person's wage and the average wage")
    wage = v.money(persons, "wage", "persons")
    avg = v.money(persons, "average_wage", "persons")
    _, floor = calc.get("base_floor")
    _, cap = calc.get("base_cap")
    base = wage.copy()
    base = np.where(calc.has("base_floor"), np.maximum(base, floor * avg), base)
    base = np.where(calc.has("base_cap"), np.minimum(base, cap * avg), base)
    _, share = calc.get("base_share_of_average_wage")
    base = np.where(calc.has("base_share_of_average_wage"), share * avg, base)
    _, r_ind = calc.get("rate_individual")
    _, r_emp = calc.get("rate_employer")
    individual = _fen(r_ind * base)
    employer = _fen(r_emp * base)
    _, pa_i = calc.get("personal_account_share_individual")
    pa_e = _employer_account_share(calc, persons)
    account = pa_i * individual + pa_e * employer
    account = account + _pension_credit(calc, persons, avg)
    out = {
        "base": base,
        "individual": individual,
        "employer": employer,
        "personal_account": account,
    }
    for comp in ("subsidy_central", "subsidy_provincial", "subsidy_local"):
        out[comp] = calc.get(comp)[1]
    return out


def _employer_account_share(calc: _Calc, persons: pd.DataFrame) -> np.ndarray:
    """Share of the employer contribution credited to each person's account: by age where the
    category has age bands (Bazhou Art. 21: 30 or under, 31-45, 46 and over, the age on 31
    December of the previous year, ``persons.age``), else the category's share."""
    t = calc.t
    _, flat = calc.get("personal_account_share_employer")
    kind, _ = calc.get("personal_account_share_employer_by_age")
    by_age = kind != ABSENT
    if not by_age.any():
        return flat
    stated = kind == AMOUNT
    share = np.where(by_age, np.nan, flat)
    if stated.any():
        v.require_columns(persons, ["age"], "persons",
                          f"{t.scheme_id} credits the employer part by age: give each person's age on 31 December "
                          "of the previous year")
        age = v.count_column(persons, "age", "persons", maximum=150, why="age in whole years")
        uppers, shares = t.age_uppers[calc.cat], t.age_shares[calc.cat]
        band = (age > np.where(np.isnan(uppers[:, 0]), np.inf, uppers[:, 0])).astype(np.int64)
        band += age > np.where(np.isnan(uppers[:, 1]), np.inf, uppers[:, 1])
        share = np.where(stated, shares[np.arange(len(age)), band], share)
    return share


def _pension_credit(calc: _Calc, persons: pd.DataFrame, avg: np.ndarray) -> np.ndarray:
    """A credit to the personal account as a share of the person's pension (Bazhou Art. 21,
    retirees: 「以本人上年度退休費用為計算基數」, the base at least the average wage:
    ``personal_account_pension_floor``), ``persons.pension`` being the previous year's."""
    t = calc.t
    kind, share = calc.get("personal_account_share_of_pension")
    has = kind != ABSENT
    if not has.any():
        return np.zeros(len(calc.cat))
    stated = kind == AMOUNT
    credit = np.where(has, np.nan, 0.0)
    if stated.any():
        v.require_columns(persons, ["pension"], "persons",
                          f"{t.scheme_id} credits retirees' accounts from their pension: give each person's "
                          "previous-year pension (0 for people without one)")
        pension = v.money(persons, "pension", "persons")
        fkind, floor = calc.get("personal_account_pension_floor")
        base = np.where(fkind == AMOUNT, np.maximum(pension, floor * avg), pension)
        credit = np.where(stated, share * base, credit)
    return credit
