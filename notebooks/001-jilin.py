# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Jilin 2008: the urban resident basic medical insurance pilot (seed document 001)
#
# Document 001 [@seed001] is the Jilin provincial government's notice of 19 April 2008 (吉政辦發[2008]12號)
# forwarding ten provincial bodies' implementation opinions on the urban resident scheme,
# effective 1 April 2008. It sets flat contributions by area (prefecture-level cities, counties,
# Changchun), splits the government subsidy between central, provincial and city/county budgets
# by category of resident, and gives the benefit rules, mostly as ranges that each pooling area
# fills in. The scheme file is `data/schemes/jilin-resident-2008.yaml`; every number below is
# computed by `healthcover` from it, and every rule cites the article, line and original words.

# %% tags=["parameters"]
variant = "city"  # city (prefecture-level cities except Changchun), county or changchun
max_cost = 80_000  # largest eligible cost in the chart (CNY)
cost_step = 1_000  # chart resolution (CNY)

# %%
import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc

pd.set_option("display.max_colwidth", 120)
s = hc.load_scheme("jilin-resident-2008", variant)
s

# %% [markdown]
# ## Codes: areas, categories, facility levels, care types

# %%
s.codes_table()

# %% [markdown]
# ## Every parameter, with its citation and quote
#
# `kind` says how the document states a value: `exact`, a `range` left to the pooling area (with
# the default the file documents), a bound (`at_least` / `at_most`), or `not_stated` (a blank:
# using it needs an explicit assumption). Quotes are verbatim from the cleaned copy, so they keep
# the source site's pinyin annotations (「繳費(fèi)」 = 繳費).

# %%
hc.parameter_sources(s)

# %% [markdown]
# ## Contributions and subsidies by area and category
#
# (四)1 gives the standards (240 / 190 / at most 300 for adults, 90 / 90 / at most 120 for students
# and children) and the individual parts of ordinary adults and students; (四)2 gives the subsidy
# split by level for five categories. The individual part of the subsidised categories is not
# stated; the file implies it (the standard less the subsidy; for categories (2) and (3) at most
# 20% of the standard, since their subsidy is "at least 80%"). Changchun is shown at its caps.

# %%
cats = s.categories
persons = pd.DataFrame({"person_id": range(len(cats)), "category": cats})
table = pd.concat(
    {v: hc.load_scheme("jilin-resident-2008", v).contributions(persons).set_index(persons["category"])
     for v in s.variants},
    names=["variant", "category"],
)
table[["total", "individual", "subsidy_central", "subsidy_provincial", "subsidy_local", "subsidy_total"]]

# %% [markdown]
# The document's own examples (DIGEST E11, E13, E14): a county student pays 20 with a subsidy of
# 70 (40 + 18 + 12), a county dibao child gets the category (1) subsidy of 80 **instead** (就高不就低)
# and pays 10; an adult on dibao in a city gets at least 192 (city/county at least 86, individual
# at most 48), in a county at least 152 (46, 38); a low-income person aged 60+ gets 130 and pays 60
# in a county, 110 in a city.

# %%
table.loc[[("county", "student"), ("county", "dibao_student"), ("city", "dibao"), ("county", "dibao"),
           ("county", "low_income_elderly"), ("city", "low_income_elderly")],
          ["total", "individual", "subsidy_local", "subsidy_total"]]

# %% [markdown]
# ### A contradiction: the adult subsidy of 80 or 70 (DIGEST C-01)
#
# 240 - 160 = 190 - 110 = 80, and the subsidy standard is "at least 80"; but 2008 is funded "at 70",
# and the split for other residents adds to 40 + 18 + 12 = 70. Ten yuan per adult has no payer in
# the text. The file records three readings; **the code uses `local_tops_up`** (the city/county
# budget pays 22 instead of 12).

# %%
adult = pd.DataFrame({"person_id": [1], "category": ["adult"]})
pd.concat({
    (v, r): hc.load_scheme("jilin-resident-2008", v, overrides={"readings.adult_subsidy_gap": r}).contributions(adult).iloc[0]
    for v in ("city", "county") for r in s.meta.readings["adult_subsidy_gap"].options
}, axis=1).T[["total", "individual", "subsidy_central", "subsidy_provincial", "subsidy_local", "subsidy_total"]]

# %% [markdown]
# ## The document's rules, recomputed
#
# `claim` builds a one-person, one-claim table; values the document leaves to cities are set
# through `overrides` where an example assumes them (marked *assumed* in the DIGEST).

# %%
def claims_of(*rows):
    return pd.DataFrame([{"person_id": 1, "date": d, "care": c, "facility": f, "cost": x} for d, c, f, x in rows])


def run(rows, category="adult", variant=variant, **overrides):
    scheme = hc.load_scheme("jilin-resident-2008", variant, overrides=overrides)
    out = scheme.adjudicate(claims_of(*rows), pd.DataFrame({"person_id": [1], "category": [category]}))
    return out[["eligible_cost", "deductible", "rate", "fund_paid", "oop", "limit_reason"]]


# %% [markdown]
# **D-01: the ceiling caps the eligible cost counted, not the fund's payment.** (五)2 defines
# 最高支付限額 as the year's total of eligible inpatient and outpatient major-disease **cost**
# (醫療費總額). City adult, county hospital, eligible cost 60,000, deductible 600 and 60% *assumed*:
# the text gives (45,000 - 600) x 60% = 26,640; the fund-cap misreading 35,640.

# %%
d01 = {"benefits.inpatient.deductible.adult.county": 600, "benefits.inpatient.rate.adult.county": 0.6}
pd.concat({
    "cost cap (text)": run([("2008-06-01", "inpatient", "county", 60000)], variant="city", **d01),
    "fund cap (misreading)": run([("2008-06-01", "inpatient", "county", 60000)], variant="city",
                                 **d01, **{"readings.annual_limit_basis": "fund_misreading"}),
})

# %% [markdown]
# **D-02: the inpatient deductible per admission (used) or once a year.** Two county admissions of
# 5,000, deductible 500 and 60% *assumed*: 5,400 or 5,700.

# %%
d02 = {"benefits.inpatient.deductible.adult.county": 500, "benefits.inpatient.rate.adult.county": 0.6}
two = [("2008-06-01", "inpatient", "county", 5000), ("2008-09-01", "inpatient", "county", 5000)]
pd.Series({
    "per admission": run(two, variant="county", **d02)["fund_paid"].sum(),
    "once a year": run(two, variant="county", **d02, **{"readings.inpatient_deductible_frequency": "per_year"})["fund_paid"].sum(),
}, name="fund_paid")

# %% [markdown]
# **D-05: 300-900 for the three hospital levels.** (a) each level chooses inside the range, or (b)
# county 300 and province 900. A provincial admission of 5,000 at 60% *assumed*: 2,460 under (b),
# 2,580 if a city sets the provincial level at 700 under (a). The file's defaults (300 / 600 / 900)
# make the two readings agree until a city overrides.

# %%
p60 = {"benefits.inpatient.rate.adult.province": 0.6}
pd.concat({
    "(b) endpoints": run([("2008-06-01", "inpatient", "province", 5000)], **p60, **{"readings.hospital_deductible_levels": "endpoints"}),
    "(a) province at 700": run([("2008-06-01", "inpatient", "province", 5000)], **p60,
                               **{"benefits.inpatient.deductible.adult.province": 700}),
})

# %% [markdown]
# **Outpatient major disease: one deductible a year** (「門診大病一個年度內只設一次起付標準」), and a
# benefit year that may span two calendar years (可跨年度計算): 12 dialysis sessions of 500 from
# May 2008 at a county hospital (defaults: deductible 300, 60%) give (6,000 - 300) x 60% = 3,420.

# %%
dialysis = claims_of(*[(d, "special_outpatient", "county", 500) for d in pd.date_range("2008-05-05", periods=12, freq="MS")])
out = hc.load_scheme("jilin-resident-2008", "county").adjudicate(
    dialysis.assign(benefit_year=2008), pd.DataFrame({"person_id": [1], "category": ["adult"]}))
out[["deductible", "fund_paid"]].sum()

# %% [markdown]
# ## The document's bounds on a city's choices
#
# (五)3 (L86) puts every fund rate between 30% and 70% (students and children 50%-90%), outpatient
# major diseases at least 50%, and allows at most 3 cost bands. A city's bands are checked against
# the same range as its rates, and an outpatient major-disease rate above 70% is refused, each with
# the rule quoted, unless the city's design is explored as a reform (`allow_out_of_range=True`).

# %%
tries = {
    "inpatient bands 20% / 60%": {"benefits.inpatient.bands.adult.county": [[10000, 0.2], [None, 0.6]]},
    "outpatient major disease at 75%": {"benefits.special_outpatient.rate.adult.county": 0.75},
    "student bands 50% / 95%": {"benefits.inpatient.bands.student.county": [[10000, 0.5], [None, 0.95]]},
    "inpatient bands 40% / 60% / 70% (D-03)": {"benefits.inpatient.bands.adult.county": [[10000, 0.4], [30000, 0.6], [None, 0.7]]},
}
for label, overrides in tries.items():
    try:
        s.with_overrides(overrides)
        print(f"{label}: accepted\n")
    except hc.HealthcoverError as err:
        print(f"{label}:\n  {err}\n")

# %% [markdown]
# The subsidy of other dibao recipients and disabled people (categories (2) and (3)) is **at least**
# 80% of the standard (L60, L62): a floor, not an exact split. So the individual pays at most 20%
# (the file uses 20%, city 48), an area may subsidise more (individual 10%: 24), and no combination
# of overrides may bring the subsidies below 80% (`contributions.subsidy_ratio_floor` is read).

# %%
dibao = pd.DataFrame({"person_id": [1], "category": ["dibao"]})
for label, overrides in {"the file": {}, "individual 10%": {"contributions.individual.dibao": 0.1},
                         "individual 30%": {"contributions.individual.dibao": 0.3},
                         "local part fixed at 50": {"contributions.subsidy_local.dibao": 50,
                                                    "contributions.individual.dibao": "residual"}}.items():
    try:
        c = s.with_overrides(overrides).contributions(dibao).iloc[0]
        print(f"{label}: individual {c.individual:g}, subsidy {c.subsidy_total:g} of {c.total:g}")
    except hc.HealthcoverError as err:
        print(f"{label}:\n  {err}")

# %% [markdown]
# **D-03: "average payment ratio at least 50%" (70% for students and children).** The file measures
# it as the cost-weighted ratio of what the fund pays to the eligible cost between the deductibles
# and the ceiling (the base the 30%-70% rates apply to) over a reference population's claims
# (reading `average_rate` = `realised_ratio`; `covered_ratio` and `simple_mean` are selectable), and
# `healthcover.constraints.average_rate` / `check_design` check a design against the floor. A city
# gives its county hospitals three bands (0-10,000 at 40%, 10,000-30,000 at 60%, above at 70%,
# *assumed*): whether the average passes depends on the claims it is measured on, here the synthetic
# population mapped to Jilin's codes, over all facility levels and over the county hospitals'
# admissions alone; the simple mean of the rates set needs no claims. The file's default single rates
# are all at or above the floors.

# %%
from healthcover.constraints import average_rate, check_design

bands = [[10000, 0.4], [30000, 0.6], [None, 0.7]]
city = s.with_overrides({"benefits.inpatient.bands.adult.county": bands})
population = hc.for_scheme(hc.synthetic_population(n_households=2_000, seed=2008), "jilin-resident-2008")
reference = population.claims[population.claims["care"].isin(["inpatient", "special_outpatient"])]
pd.concat({
    "file's defaults": average_rate(s, reference, population.persons),
    "city with bands": average_rate(city, reference, population.persons),
    "city with bands, simple mean": average_rate(city, method="simple_mean"),
})[["group", "method", "average", "floor", "passes", "claims", "citation"]]

# %%
county_only = reference[reference["facility"] == "county"]
check_design(city, against="jilin-resident-2008", episodes=county_only, persons=population.persons).query(
    "rule == 'average_rate_floor'")[["category", "guideline_category", "required", "actual", "passes", "note"]]

# %% [markdown]
# **Accident outpatient care is for school students (中小學生) only** (L72), not for children not yet
# at school, though they share the students' contributions and rates; the other reading
# (`students_and_children`) is selectable. With an assumed deductible of 0 and ceiling of 60,000
# (not stated), an 800-yuan visit:

# %%
acc = {"benefits.accident_outpatient.deductible": 0, "benefits.accident_outpatient.annual_limit": 60000}
who = pd.DataFrame({"person_id": [1, 2, 3], "category": ["student", "child", "dibao_child"]})
visits = pd.DataFrame({"person_id": [1, 2, 3], "date": "2008-06-01", "care": "accident_outpatient",
                       "facility": "community", "cost": 800.0})
pd.concat({
    r: s.with_overrides({**acc, "readings.accident_outpatient_scope": r}).adjudicate(visits, who)
    .assign(category=who["category"].to_numpy())[["category", "fund_paid", "limit_reason"]]
    for r in s.meta.readings["accident_outpatient_scope"].options
})

# %% [markdown]
# ## Risk reserve (DIGEST E15)
#
# 2-5% of pooled-fund income a year from the year's surplus, until the reserve reaches 15% of annual
# income. With a constant income of 20 million (*assumed*): the target is 3 million, reached in
# 3 years at 5% and in 8 at 2% (the last draw only what is missing).

# %%
income, years = 20_000_000, np.arange(1, 11)
target = s.value("fund.risk_reserve_target") * income
lo, hi = s.leaf("fund.risk_reserve_draw").lo, s.leaf("fund.risk_reserve_draw").hi
pd.DataFrame({f"draw {r:.0%}": np.minimum(years * r * income, target) for r in (lo, hi)}, index=years).rename_axis("year")

# %% [markdown]
# ## Gaps, readings and what needs an assumption

# %%
pd.DataFrame({"gap": s.meta.gaps})

# %%
pd.DataFrame([{"reading": k, "question": r.question, "options": "; ".join(r.options), "used": r.used}
              for k, r in s.meta.readings.items()])

# %% [markdown]
# Changchun's adults have no stated ceiling (C-07), and students' accident outpatient care has no
# stated deductible: the library refuses to guess.

# %%
for variant_, category, care in (("changchun", "adult", "inpatient"), ("city", "student", "accident_outpatient")):
    try:
        hc.load_scheme("jilin-resident-2008", variant_).adjudicate(
            claims_of(("2008-06-01", care, "community", 1000)), pd.DataFrame({"person_id": [1], "category": [category]}))
    except hc.HealthcoverError as err:
        print(f"{variant_} {category} {care}:\n  {err}\n")

# %% [markdown]
# ## What the fund pays as cost grows, by facility level
#
# One admission a year, this area's defaults (deductibles and rates inside the document's ranges);
# the kink is the ceiling on eligible cost (45,000 for city adults, 40,000 for county adults,
# 60,000 for students and children).

# %%
costs = np.arange(0, max_cost + cost_step, cost_step, dtype=float)
grid = pd.DataFrame([(c, f, x) for c in ("adult", "student") for f in s.facilities for x in costs],
                    columns=["category", "facility", "cost"])
grid["person_id"] = np.arange(len(grid))
grid["date"], grid["care"] = pd.Timestamp("2008-06-01"), "inpatient"
paid = s.adjudicate(grid, grid[["person_id", "category"]])
curve = grid.assign(fund_paid=paid["fund_paid"], oop=paid["oop"])

alt.Chart(curve).mark_line().encode(
    x=alt.X("cost:Q", title="eligible inpatient cost (CNY)"),
    y=alt.Y("fund_paid:Q", title="fund pays (CNY)"),
    color=alt.Color("facility:N", sort=s.facilities, title="facility level"),
    column=alt.Column("category:N", title=None),
).properties(width=320, height=240, title=f"Jilin 2008, {variant}: fund payment by facility level")
