r"""Pooled funds: a year's inpatient payments against the fund's income, the chance of a deficit,
the contribution that meets a target, and ten years under the document's reserve rules, for
every scheme the synthetic population runs through.

Every calculation is :mod:`healthcover.actuarial`'s: the per-admission benefit from the scheme
(:meth:`~healthcover.actuarial.Benefit.from_scheme`), the exact distribution of the year's
payments (:func:`~healthcover.actuarial.aggregate_loss`), the contribution for a deficit target
(:func:`~healthcover.actuarial.required_contribution`), the reserve, surplus and overspend rules
(:meth:`~healthcover.actuarial.FundRules.from_scheme`) and the projection
(:func:`~healthcover.actuarial.project_fund`). What the documents do not give is data: the funds
(members, admissions and their costs, ``data/dashboards/funds.yaml``) and the blanks of each
scheme (its population mapping, ``data/populations``), every number with its source.

    import healthcover as hc
    r = hc.funds.solvency("liaoning-employee-1999")
    r.summary            # measure, value: income for claims, expected payments, P(deficit), ...
    r.assumptions        # every assumption used, with its source

The income available for claims is the projection's first year: the pooled income less what
the rules set aside before claims are paid (Dazu's reserves, Art. 26) and less a household
outpatient account that does not pay admissions. An employee scheme's members contribute on
the average wage of the population mapping (Liaoning's deductible and ceiling are shares of it).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthcover import actuarial as act
from healthcover import data as _data
from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import Cited, Source, read_cited, read_data

__all__ = ["FUNDS_FILE", "TARGETS", "YEARS", "N_PATHS", "SEED", "Fund", "ClaimAssumption", "SolvencyResult",
           "funds", "unavailable_funds", "fund_scheme", "solvency", "settings"]

FUNDS_FILE = "data/dashboards/funds.yaml"
#: Accepted probabilities of a deficit offered by the dashboard.
TARGETS = (0.01, 0.025, 0.05, 0.10)
YEARS = 10
N_PATHS = 1_000
SEED = 2026
#: Defaults of the projection's growth rates (assumptions the dashboard offers as sliders).
CLAIMS_INFLATION = 0.04
SUBSIDY_GROWTH = 0.10
INDIVIDUAL_GROWTH = 0.05


@dataclass(frozen=True)
class ClaimAssumption:
    """Admissions at one facility level: share of the fund's admissions, mean eligible cost per
    admission (CNY) and its coefficient of variation (lognormal)."""

    facility: str | None
    share: float
    mean_cost: float
    cv: float


@dataclass(frozen=True)
class Fund:
    """A pooled fund to study: its scheme and default variant, the insured category, members,
    admissions per member a year and their costs by facility level, and the assumptions behind
    them (``source``; ``claims_from`` is ``"stated"`` or ``"population"``)."""

    scheme_id: str
    variant: str | None
    title: dict
    members: float
    admission_rate: float
    lines: tuple[ClaimAssumption, ...]
    category: str
    note: dict
    source: Source
    claims_from: str = "stated"
    assumptions: dict = field(default_factory=dict)  # override key -> Cited

    @property
    def mean_cost(self) -> float:
        return float(sum(x.share * x.mean_cost for x in self.lines))


def _check(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise HealthcoverError(f"{FUNDS_FILE}: {where}: {msg}")


@functools.lru_cache(maxsize=1)
def settings() -> dict[str, Cited]:
    """The assumptions every fund shares (interest, member growth, ageing), cited."""
    return read_cited(read_data("dashboards", "funds.yaml")["settings"], f"{FUNDS_FILE}: settings")


def _population_lines(scheme_id: str) -> tuple[float, tuple[ClaimAssumption, ...]]:
    """Admissions per person a year and their costs by the scheme's facility level, from the
    synthetic population's calibration (need less forgone admissions; the level mix and relative
    costs; the lognormal dispersion as a CV) through the scheme's population mapping."""
    a, c = _data.ASSUMPTIONS, _data.CALIBRATION
    rate = float(a["admission_need_rate"].value) * (1.0 - float(c["forgone_admission"].value))
    levels = a["inpatient_levels"].value
    shares = np.array([levels[x][0] for x in levels], dtype=float)
    shares /= shares.sum()
    rel = np.array([levels[x][1] for x in levels], dtype=float)
    means = rel * float(c["inpatient_cost"].value) / float(np.dot(shares, rel))
    sigma = float(a["inpatient_sigma"].value)
    cv = math.sqrt(math.exp(sigma**2) - 1.0)
    mapping = _data.population_mapping(scheme_id)
    lines = tuple(ClaimAssumption(mapping.facilities.get(level) or None, float(s), float(m), cv)
                  for level, s, m in zip(levels, shares, means))
    return rate, lines


@functools.lru_cache(maxsize=1)
def funds() -> dict[str, Fund]:
    """The funds studied, one per scheme the synthetic population runs through
    (``data/dashboards/funds.yaml``, checked against the schemes)."""
    from healthcover.scheme import load_scheme

    raw = read_data("dashboards", "funds.yaml")
    _check(isinstance(raw, dict) and isinstance(raw.get("funds"), dict), "funds", "a mapping of scheme id -> fund")
    out = {}
    for sid, f in raw["funds"].items():
        where = f"funds.{sid}"
        scheme = load_scheme(sid)
        source = Source.model_validate(f.get("source") or {})
        _check(source.is_assumption and bool(source.note) and bool(source.note_zh), where,
               "cite the fund's assumptions (source: {doc: assumption, note: ..., note_zh: ...})")
        variant = f.get("variant")
        _check(variant in (scheme.variants or [None]), where,
               f"variant {variant!r} is not a variant of {sid}; allowed: {allowed(scheme.variants or ['null'])}")
        category = f.get("category")
        _check(category in scheme.categories, where,
               f"category {category!r} is not a category of {sid}; allowed: {allowed(scheme.categories)}")
        members = f.get("members")
        _check(isinstance(members, (int, float)) and members > 0, where, f"members must be a positive number; received {members!r}")
        for lang in ("zh", "en"):
            _check(bool((f.get("title") or {}).get(lang)) and bool((f.get("note") or {}).get(lang)), where,
                   f"title and note need {lang}")
        if f.get("claims") == "population":
            rate, lines = _population_lines(sid)
            claims_from = "population"
        else:
            _check("lines" in f and "admission_rate" in f, where,
                   "give admission_rate and lines, or claims: population")
            rate = float(f["admission_rate"])
            lines = []
            for i, x in enumerate(f["lines"]):
                fac = x.get("facility")
                _check(fac in scheme.facilities, f"{where}.lines[{i}]",
                       f"facility {fac!r} is not a facility of {sid}; allowed: {allowed(scheme.facilities)}")
                lines.append(ClaimAssumption(fac, float(x["share"]), float(x["mean_cost"]), float(x["cv"])))
            lines = tuple(lines)
            claims_from = "stated"
        _check(0 < rate < 5, where, f"admissions per member a year must lie in (0, 5); received {rate!r}")
        total = sum(x.share for x in lines)
        _check(abs(total - 1.0) < 1e-6, where, f"the lines' shares must add up to 1; they add up to {total:g}")
        assumed = read_cited(f.get("assumptions") or {}, f"{FUNDS_FILE}: {where}.assumptions")
        for key, c in assumed.items():
            _check(c.source.is_assumption and bool(c.source.note_zh), f"{where}.assumptions.{key}",
                   "an assumption cites why, in English and Chinese (note, note_zh)")
        out[sid] = Fund(sid, variant, dict(f["title"]), float(members), rate, lines, category, dict(f["note"]),
                        source, claims_from, assumed)
    return out


def unavailable_funds() -> pd.DataFrame:
    """The schemes without a fund here and why (``scheme_id``, ``title_zh``, ``title_en``,
    ``reason_zh``, ``reason_en``): those the synthetic population does not run through."""
    table = _data.population_schemes()
    table = table[~table["runnable"]].drop_duplicates("scheme_id")
    return table[["scheme_id", "title_zh", "title_en", "reason_zh", "reason_en"]].reset_index(drop=True)


def _fund(scheme_id: str) -> Fund:
    available = funds()
    if scheme_id not in available:
        why = unavailable_funds().set_index("scheme_id")
        reason = f": {why.at[scheme_id, 'reason_en']}" if scheme_id in why.index else ""
        raise HealthcoverError(f"fund solvency: no fund set up for scheme {scheme_id!r}{reason}; "
                               f"allowed: {allowed(available)}")
    return available[scheme_id]


@functools.lru_cache(maxsize=16)
def fund_scheme(scheme_id: str, variant: str | None = None):
    """The fund's scheme for ``variant`` (default: the fund's) and the assumptions filled in:
    ``(scheme, assumptions table)``, the table with ``key``, ``value``, ``unit``, ``description``,
    ``citation``, ``note``, ``note_zh``, ``derived_from`` and ``source``."""
    fund = _fund(scheme_id)
    variant = fund.variant if variant is None else variant
    scheme, table = _data.scheme_for_population(scheme_id, variant=variant, assumptions=True)
    mapping = _data.population_mapping(scheme_id)
    notes = {k: c for group in mapping.assumptions.values() for k, c in group.items()}
    rows = []
    for r in table.itertuples():
        c = notes.get(r.key)
        src = c.source if c is not None else (mapping.wage["average_wage"].source if "average_wage" in mapping.wage else None)
        rows.append({"key": r.key, "value": r.value, "unit": r.unit, "description": r.description,
                     "citation": r.citation, "note": r.assumption, "note_zh": getattr(src, "note_zh", None),
                     "derived_from": r.derived_from, "source": src})
    if fund.assumptions:
        scheme = scheme.with_overrides({k: c.value for k, c in fund.assumptions.items()})
        for k, c in fund.assumptions.items():
            rows.append({"key": k, "value": c.value, "unit": c.unit, "description": c.description,
                         "citation": c.cite(), "note": c.note, "note_zh": c.source.note_zh, "derived_from": "",
                         "source": c.source})
    cols = ["key", "value", "unit", "description", "citation", "note", "note_zh", "derived_from", "source"]
    return scheme, pd.DataFrame(rows, columns=cols)


@dataclass
class SolvencyResult:
    """What :func:`solvency` returns; every table is a DataFrame.

    ``summary``: measure, value (money in CNY, probabilities as shares). ``distribution``:
    payments (CNY) and density (per CNY). ``deficit``: per_member (CNY available for claims per
    member) and p_deficit. ``fan``: year, mean, q05..q95 of the fund balance (pool and reserves,
    CNY). ``risk``: by year, the library's ``Projection.risk()``. ``marks``: income, VaR at the
    target, contribution per member now and needed. ``levels``: the pooled income per member by
    paying level. ``assumptions``: the scheme's and the fund's assumptions (see
    :func:`fund_scheme`). ``other_payer``: ``"subsidy"`` (government) or ``"employer"``.
    """

    fund: Fund
    scheme: Any
    model: Any
    rules: Any
    summary: pd.DataFrame
    distribution: pd.DataFrame
    deficit: pd.DataFrame
    fan: pd.DataFrame
    risk: pd.DataFrame
    marks: dict
    levels: dict = field(default_factory=dict)
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    other_payer: str = "subsidy"

    def value(self, measure: str) -> float:
        s = self.summary.set_index("measure")
        if measure not in s.index:
            raise HealthcoverError(f"SolvencyResult.value: measure {measure!r}; allowed: {allowed(s.index)}")
        return float(s.at[measure, "value"])


def _per_member(scheme, fund: Fund) -> pd.Series:
    """One member's contributions under the scheme (at the assumed average wage for payroll)."""
    person = {"person_id": [1], "category": [fund.category]}
    mapping = _data.population_mapping(fund.scheme_id)
    if "average_wage" in mapping.wage:
        w = float(mapping.wage["average_wage"].value)
        person |= {"wage": [w], "average_wage": [w]}
    return scheme.contributions(pd.DataFrame(person)).iloc[0]


def _probability(p: Any) -> float:
    """A probability from a numerical inversion, its rounding error (about 1e-16) kept in [0, 1]."""
    return float(min(max(float(p), 0.0), 1.0))


def solvency(scheme_id: str = "dazu-resident", variant: str | None = None, *, members: float | None = None,
             admission_rate: float | None = None, mean_cost: float | None = None, target: float = 0.05,
             claims_inflation: float = CLAIMS_INFLATION, subsidy_growth: float = SUBSIDY_GROWTH,
             individual_growth: float = INDIVIDUAL_GROWTH, years: int = YEARS, n_paths: int = N_PATHS,
             seed: int = SEED) -> SolvencyResult:
    """One fund's year and ``years`` years, from the actuarial library.

    Parameters
    ----------
    scheme_id, variant : a fund of :func:`funds` (variant default: the fund's).
    members : insured members; admission_rate : admissions per member a year; mean_cost : mean
        eligible cost per admission (CNY), the facility mix's costs scaled to it.
    target : the accepted probability of a deficit in one year.
    claims_inflation, individual_growth : yearly growth of the cost per admission and of the
        individual contributions; subsidy_growth : of every other payer's (government subsidies,
        or an employee scheme's employers).
    """
    fund = _fund(scheme_id)
    scheme, assumed = fund_scheme(scheme_id, variant)
    members = float(members or fund.members)
    if not (members > 0 and math.isfinite(members)):
        raise HealthcoverError(f"solvency: members must be a positive number; received {members!r}")
    rate = float(admission_rate if admission_rate is not None else fund.admission_rate)
    if not (0 < rate < 5):
        raise HealthcoverError(f"solvency: admission_rate must lie in (0, 5) admissions per member a year; received {rate!r}")
    scale = float(mean_cost or fund.mean_cost) / fund.mean_cost
    if not (scale > 0 and math.isfinite(scale)):
        raise HealthcoverError(f"solvency: mean_cost must be a positive amount in CNY; received {mean_cost!r}")
    dims = {"category": fund.category}
    lines = [
        act.ClaimLine(act.Poisson(members * rate * x.share), act.Lognormal.from_mean_cv(x.mean_cost * scale, x.cv),
                      act.Benefit.from_scheme(scheme, "inpatient", **dims, **({"facility": x.facility} if x.facility else {})),
                      care="inpatient", facility=x.facility or "", category=fund.category)
        for x in fund.lines
    ]
    model = act.ClaimModel(lines)

    # Income per member by paying level, from the scheme's contributions; personal accounts and a
    # household outpatient account (Dazu) do not pay admissions.
    pp = _per_member(scheme, fund)
    pooled = float(pp["pooled_fund"])
    outpatient = float(pp.get("outpatient_account", 0.0) or 0.0)
    total = float(pp["total"])
    if not pooled > 0:
        raise HealthcoverError(f"solvency: {scheme_id} puts nothing into the pooled fund for {fund.category}")
    share = (pooled - outpatient) / total  # of each payer's contribution, the part that pays admissions
    payers = {"individual": float(pp["individual"]), "employer": float(pp.get("employer", 0.0) or 0.0),
              "central": float(pp["subsidy_central"]), "provincial": float(pp["subsidy_provincial"]),
              "local": float(pp["subsidy_local"])}
    levels = {k: v * share for k, v in payers.items() if v > 0}
    st = settings()
    rules = act.FundRules.from_scheme(scheme, demand_rate=float(st["demand_rate"].value),
                                      carried_rate=float(st["carried_rate"].value))
    growth = {k: (individual_growth if k == "individual" else subsidy_growth) for k in levels}
    kw = {"members": members, "contributions": levels, "contribution_growth": growth,
          "member_growth": float(st["member_growth"].value), "ageing": float(st["ageing"].value),
          "claims_inflation": claims_inflation}

    # The year: income available for claims is the first year's income less what the rules set
    # aside before claims are paid. Dazu sets its reserves aside at the start of the year (Art. 26,
    # step 3 of project_fund); Jilin draws its reserve from a surplus after claims ((七)2, step 5).
    first = act.project_fund(model, rules, years=1, **kw).table().iloc[0]
    set_aside = float(first["catastrophe_draw"] + first["risk_draw"]) if rules.reserve == "dazu" else 0.0
    income = float(first["income"]) - set_aside
    S = act.aggregate_loss(model)
    need = act.required_contribution(model, members, target, agg=S)
    # From "available for claims per member" to the contribution standard: the same ratio as now.
    gross = total * members / income
    standard_needed = float(need["contribution"]) * gross
    other_now = total - float(pp["individual"])
    var = float(S.ppf(1.0 - target))

    proj = act.project_fund(model, rules, years=years, stochastic=True, n_paths=n_paths, seed=seed, **kw)
    fan = proj.fan("balance")
    risk = proj.risk()
    d = proj.data
    summary = pd.DataFrame([
        ("income_for_claims", income),
        ("expected_payments", S.mean),
        ("sd_payments", S.sd),
        ("p_deficit", _probability(S.sf(income))),
        ("var_target", var),
        ("per_member_now", income / members),
        ("per_member_needed", float(need["contribution"])),
        ("standard_now", total),
        ("standard_needed", standard_needed),
        ("subsidy_now", other_now),
        ("subsidy_needed", max(standard_needed - float(pp["individual"]), 0.0)),
        ("p_deficit_year10", float(risk["P(deficit)"].iloc[-1])),
        ("p_facilities_any", float((d["facilities"] > 0).any(axis=1).mean())),
        ("p_unfunded_any", float((d["unfunded"] > 0).any(axis=1).mean())),
        ("balance_year10", float(fan["q50"].iloc[-1])),
    ], columns=["measure", "value"])

    frame = S.frame(200)
    distribution = pd.DataFrame({"payments": frame["x"], "density": frame["pdf"]})
    per_member = np.linspace(S.mean / members * 0.97, float(S.ppf(0.9999)) / members, 120)
    deficit = pd.DataFrame({"per_member": per_member, "p_deficit": np.clip(S.sf(per_member * members), 0.0, 1.0)})
    marks = {"income": income, "var": var, "now": income / members, "needed": float(need["contribution"]),
             "target": float(target)}
    other = "employer" if payers["employer"] > 0 else "subsidy"
    return SolvencyResult(fund, scheme, model, rules, summary, distribution, deficit, fan, risk, marks,
                          levels, assumed, other)
