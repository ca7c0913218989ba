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
# # Seed document 002: a county laid-off plan, Bazhou's employee plan, and a county's 2022 targets
#
# Document 002 [@seed002] is a web page collecting five unrelated texts:
#
# * **§1** a county plan (a fill-in template, in an autonomous region) to insure urban laid-off
#   workers on the urban-resident financing standards: four categories, subsidies by level, payment
#   and lapse rules, no benefit rules (`data/schemes/county-laidoff-resident.yaml`);
# * **§2** an essay on urban employee insurance reform: statistics only, no rules;
# * **§3** Bazhou city's (Langfang, Hebei) urban employee implementation plan, Art. 1-22: payroll
#   bases, late fee, closure buy-out and arrears rules; the employer rate and the personal-account
#   shares are blank and the text stops before the benefit rules (`data/schemes/bazhou-employee.yaml`);
# * **§4** a county's COVID-19 plan for a political meeting: no insurance rules;
# * **§5** a Guangdong county medical security bureau's 2022 work plan: administrative targets,
#   shown below as the document states them.
#
# Every number is computed by `healthcover` from the scheme files; *assumed* marks values the
# documents leave blank and an example needs.

# %% tags=["parameters"]
average_wage = 20_000  # previous-year city average wage (CNY): assumed (DIGEST E16)
assumed_employer_rate = 0.06  # Bazhou's employer rate is not stated (G-01): an assumption
assumed_share_to_30 = 0.25  # Bazhou's account share of the employer part, age 30 or under: blank (G-02), assumed
assumed_share_31_45 = 0.30  # ages 31-45 (the line is missing, G-02): assumed
assumed_share_46_up = 0.35  # age 46 and over: blank (G-02), assumed
assumed_pension_share = 0.04  # retirees' account share of their pension is blank (G-02): assumed
county_people = 200  # people in difficulty in the county (DIGEST E12, assumed)
max_cost = 10_000  # largest cost in the arrears chart (CNY)

# %%
import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover import employee

pd.set_option("display.max_colwidth", 120)
county = hc.load_scheme("county-laidoff-resident")
bazhou = hc.load_scheme("bazhou-employee")

# %% [markdown]
# ## §1 The county laid-off plan
#
# ### Every parameter, with its citation and quote

# %%
county.codes_table()

# %%
hc.parameter_sources(county)

# %% [markdown]
# ### Per person: individual part and subsidies by level (三(二)1-4)
#
# Central government, the autonomous region (`subsidy_provincial`) and the prefecture and county
# (`subsidy_local`). The parts add up to the financing levels of 三(一) (60 and 160) and to the
# subsidy totals the text states.

# %%
persons = pd.DataFrame({"person_id": range(4), "category": county.categories})
per_person = county.contributions(persons).set_index(persons["category"])
per_person.assign(stated_subsidy=[county.value("contributions.subsidy_stated_total", category=c) for c in county.categories])[
    ["total", "individual", "subsidy_central", "subsidy_provincial", "subsidy_local", "subsidy_total", "stated_subsidy"]]

# %% [markdown]
# ### The county's totals (DIGEST E12)
#
# The template writes the totals as letters, permuted between categories (C-02). For category 3
# with 200 people: individual y = 12,000; subsidy f = 20,000 (central h = 10,000, region g = 4,000,
# county j = 6,000); total z = 32,000.

# %%
county.contributions(pd.DataFrame({"person_id": range(county_people), "category": "hardship"})).sum()[
    ["individual", "subsidy_total", "subsidy_central", "subsidy_provincial", "subsidy_local", "total"]]

# %% [markdown]
# ### Who is "in difficulty"? (DIGEST D-10)
#
# 「家庭人均收入低于當地最低工資標準、年滿60周歲的老年人」 reads as one group (low-income people aged
# 60+, the reading used) or two (low-income people, and everyone aged 60+). A 65-year-old with
# adequate income pays 120 with a subsidy of 40 under the first, 60 with 100 under the second.

# %%
rows = []
for reading in county.meta.readings["hardship_elderly"].options:
    cat = employee.laidoff_resident_category(child=[False], age=[65], dibao=False, disabled=False,
                                             income_per_head=[5000], minimum_wage=3000, reading=reading)
    c = county.contributions(pd.DataFrame({"person_id": [1], "category": cat})).iloc[0]
    rows.append({"reading": reading, "category": cat[0], "individual": c["individual"], "subsidy": c["subsidy_total"]})
pd.DataFrame(rows)

# %% [markdown]
# ### Payment and lapse
#
# One payment a year in a window the text does not give; a late payer has no benefits next year;
# someone re-joining after a lapse starts in July of the year after paying.

# %%
pd.Series(employee.resident_benefit_start(["2009-11-20", "2009-11-20"], [False, True]),
          index=["regular payment", "re-joining after a lapse"], name="benefits from")

# %%
pd.DataFrame({"gap": county.meta.gaps})

# %% [markdown]
# ## §3 Bazhou's employee plan
#
# ### Every parameter, with its citation and quote

# %%
bazhou.codes_table()

# %%
hc.parameter_sources(bazhou)

# %% [markdown]
# ### Contribution bases (DIGEST E16)
#
# Employees pay 2% of last year's wage, on a base clamped to 60%-300% of last year's city average
# wage. The employer rate is not in the text, so the library refuses to compute contributions ...

# %%
e16 = pd.DataFrame({"person_id": [1, 2, 3], "category": "employee", "wage": [75000, 9000, 30000],
                    "average_wage": average_wage, "age": [50, 25, 38]})
try:
    bazhou.contributions(e16)
except hc.HealthcoverError as err:
    print(err)

# %% [markdown]
# ... until an assumption is given. The employee's part (1,200, 240 and 600 with an average wage
# of 20,000) does not depend on it; the employer part and the accounts do. Art. 21 credits the
# employer part to the account **by age** (30 or under, 31-45, 46 and over, the age on the previous
# 31 December, `persons.age`), and retirees get a share of their own previous-year pension, on at
# least the average wage; all the shares are blank (the 31-45 line is missing altogether), so they
# are assumed here.

# %%
by_age = [[30, assumed_share_to_30], [45, assumed_share_31_45], [None, assumed_share_46_up]]
assumed = hc.load_scheme("bazhou-employee", overrides={
    "contributions.rate_employer": assumed_employer_rate,
    "contributions.rate_employer.flexible": 0,
    "contributions.rate_individual.flexible": assumed_employer_rate + 0.02,
    "contributions.personal_account_share_employer_by_age.employee": by_age,
    "contributions.personal_account_share_employer_by_age.private_unit": by_age,
    "contributions.personal_account_share_employer_by_age.laid_off": by_age,
    "contributions.personal_account_share_individual.flexible": 0,
    "contributions.personal_account_share_of_pension.retiree": assumed_pension_share,
})
assumed.contributions(e16).assign(age=e16["age"])[["age", "base", "individual", "employer", "personal_account", "pooled_fund"]]

# %%
bazhou.parameter_table("contributions.personal_account")[["parameter", "cell", "kind", "value", "lines", "quote", "note"]]

# %% [markdown]
# Fixed bases (Art. 8-10): new and private units on the average wage, laid-off workers on 60% of it
# (paid by the re-employment centre), mobile and re-employed laid-off workers on the average wage at
# both rates, paid themselves; retirees pay nothing.

# %%
others = pd.DataFrame({"person_id": range(5), "category": ["private_unit", "laid_off", "flexible", "retiree", "retiree"],
                       "wage": [90000, 0, 5000, 0, 0], "average_wage": average_wage, "age": [35, 50, 28, 66, 70],
                       "pension": [0, 0, 0, 15000, 30000]})
assumed.contributions(others).set_index(others["category"])[["base", "individual", "employer", "personal_account"]]

# %%
wages = np.arange(0, 4.01 * average_wage, average_wage / 20)
grid = pd.DataFrame({"person_id": range(len(wages)), "category": "employee", "wage": wages, "average_wage": average_wage,
                     "age": 40})
bases = grid.assign(**assumed.contributions(grid)[["base", "individual"]])
alt.Chart(bases).mark_line().encode(
    x=alt.X("wage:Q", title="previous-year wage (CNY)"),
    y=alt.Y("individual:Q", title="employee's 2% (CNY)"),
).properties(width=420, height=220, title="Bazhou Art. 8: the base is clamped to 60%-300% of the average wage")

# %% [markdown]
# ### Late fee (Art. 16; DIGEST E17, D-09)
#
# 2‰ a day, simple, from the date the arrears arose, once the labour bureau's deadline is missed.
# 10,000 settled 30 days late: 600. Due 10 March, ordered by 30 April: paid 25 April costs nothing
# under the literal reading (used) and 920 if the fee always accrues; paid 20 May costs 1,420 under both.

# %%
employee.late_fee(10000, 30)

# %%
pd.concat({r: employee.late_fee_between(10000, "2024-03-10", ["2024-04-25", "2024-05-20"], "2024-04-30", reading=r)
           for r in bazhou.meta.readings["late_fee_accrual"].options})

# %% [markdown]
# ### Closure buy-out (Art. 11; DIGEST D-08)
#
# One year for each employee on the books (average wage x both rates: needs the employer rate) and,
# for retirees, contributions up to age 70 at the city's average medical cost of retirees (an
# external datum; 2,500 *assumed*). A retiree aged 63: 17,500 (whole years) or 20,000 (including
# the year of turning 70).

# %%
pd.concat({r: employee.closure_buyout_retirees([63, 68, 72], 2500, reading=r)
           for r in bazhou.meta.readings["buyout_retiree_years"].options})

# %%
employee.closure_buyout(n_staff=10, average_wage=average_wage, retiree_ages=[63, 68, 72],
                        retiree_annual_cost=2500, scheme=assumed)

# %% [markdown]
# ### Arrears (Art. 17; DIGEST D-07)
#
# Benefits stop from the month after the arrears until back-payment (the employer bears the costs
# meanwhile); afterwards, within that year, the fund does not pay "the part of a later one-off
# medical expense above 3,000". The benefit rules themselves are missing (the text stops at Art. 23),
# so the chart assumes the fund pays everything it may consider (no deductible, 100%): what it
# shows is the 3,000 rule under its three readings, computed by `adjudicate` on the admitted cost.

# %%
pd.DataFrame({
    "claim date": ["2024-03-25", "2024-04-02", "2024-06-20"],
    "suspended": employee.arrears_suspended(["2024-03-25", "2024-04-02", "2024-06-20"], "2024-03-10", "2024-06-15"),
})

# %%
pd.DataFrame({r: employee.arrears_admitted_cost([5000, 2000, 2000], person_id=[1, 2, 2],
                                                date=["2024-07-01", "2024-07-01", "2024-08-01"], reading=r)
              for r in bazhou.meta.readings["arrears_threshold"].options},
             index=["one episode of 5,000", "two episodes of 2,000 (1st)", "two episodes of 2,000 (2nd)"])

# %%
benefits_assumed = hc.load_scheme("bazhou-employee", overrides={
    "benefits.inpatient.deductible": 0, "benefits.inpatient.rate": 1.0, "benefits.inpatient.annual_limit": 1e9})
costs = np.arange(0, max_cost + 100, 100, dtype=float)
curves = []
for reading in bazhou.meta.readings["arrears_threshold"].options:
    claims = pd.DataFrame({"person_id": np.arange(len(costs)), "category": "employee", "date": pd.Timestamp("2024-07-01"),
                           "care": "inpatient", "facility": "-", "cost": costs})
    claims["covered_cost"] = employee.arrears_admitted_cost(costs, person_id=claims["person_id"], date=claims["date"], reading=reading)
    curves.append(claims.assign(fund_paid=benefits_assumed.adjudicate(claims)["fund_paid"], reading=reading))
alt.Chart(pd.concat(curves)).mark_line().encode(
    x=alt.X("cost:Q", title="one-off medical expense after back-payment (CNY)"),
    y=alt.Y("fund_paid:Q", title="fund may pay at most (CNY)"),
    color=alt.Color("reading:N", title="Art. 17 reading (D-07)"),
    strokeDash="reading:N",
).properties(width=420, height=240, title="Bazhou Art. 17: the 3,000-yuan rule (benefit rules assumed: 100%, no deductible)")

# %%
pd.DataFrame({"gap": bazhou.meta.gaps})

# %%
pd.DataFrame([{"scheme": sch.id, "reading": k, "question": r.question, "options": "; ".join(r.options), "used": r.used}
              for sch in (county, bazhou) for k, r in sch.meta.readings.items()])

# %% [markdown]
# ## §5 A county's 2022 medical security targets, as the document states them
#
# Targets of a plan, not rules of a scheme: nothing here is computed. Lines are those of the
# cleaned copy of 002; quotes are verbatim (with the site's pinyin annotations).

# %%
pd.DataFrame([
    {"target": "basic medical insurance coverage", "value": "stable at 98% or more", "section": "二(四)", "line": "L231",
     "quote": "基本醫(yī)療保險參保覆蓋率穩(wěn)定在98%以上"},
    {"target": "revised medical service price items", "value": "96 items priced and published", "section": "二(三)", "line": "L210",
     "quote": "按規(guī)定程序制定96項(xiàng)修訂項(xiàng)目價格并公布實(shí)施"},
    {"target": "medical security coding standards", "value": "15 standards implemented", "section": "二(四)", "line": "L223",
     "quote": "等15項(xiàng)醫(yī)療保障信息業(yè)務(wù)編碼標(biāo)準(zhǔn)貫徹執(zhí)行工作"},
    {"target": "basic service price monitoring", "value": "quarterly", "section": "二(三)", "line": "L210",
     "quote": "以季度為期,按時報送基本醫(yī)療服務(wù)價格情況"},
    {"target": "payment reform", "value": "DRG/DIP (no number)", "section": "二(三)", "line": "L202",
     "quote": "開展drg/dip支付方式改革"},
    {"target": "timetable", "value": "mobilise in March; implement March-December; review end of December to early 2023",
     "section": "三", "line": "L263-L265", "quote": "(二)推進(jìn)落實(shí)階段(3-12月)"},
])
