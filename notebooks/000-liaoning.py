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
# # Liaoning 1999: the urban employee basic medical insurance reform (seed document 000)
#
# Document 000 is a Spanish machine translation of the Liaoning provincial government's opinions
# on reforming urban employees' medical insurance (Liao Zheng Fa [1999] No. 14, 1 April 1999; [@seed000]),
# which applied the State Council's 1998 decision. It is a guideline for the cities, which are the
# pooling units: rates, account shares, the deductible and the ceiling are "around" targets that
# each city fixes, and the patients' share between deductible and ceiling is not given at all. The
# scheme file is `data/schemes/liaoning-employee-1999.yaml`; quotes are the translation's words.

# %% tags=["parameters"]
average_wage = 10_000  # local average annual wage (CNY): an assumption (DIGEST D-01), not in the text
wage = 12_000  # an employee's wage (CNY), assumed
assumed_rate = 0.9  # pooled-fund share between deductible and ceiling: not stated, assumed (D-01)
max_cost = 80_000  # largest cost in the chart (CNY)
cost_step = 1_000

# %%
import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover import employee

pd.set_option("display.max_colwidth", 120)
s = hc.load_scheme("liaoning-employee-1999")
s

# %% [markdown]
# ## Codes and every parameter, with its citation and quote
#
# `approx` marks the document's "around" (alrededor, aproximadamente, generalmente): the value
# used is the target, and a city's own value replaces it by an override. `not_stated` marks a
# blank, which the library will not fill.

# %%
s.codes_table()

# %%
hc.parameter_sources(s)

# %% [markdown]
# ## Contributions (II(2), II(3), II(6))
#
# Employer about 6% of payroll, employee about 2% of wages; the employee's whole contribution and
# about 30% of the employer's (on the employee's own wage) go to the personal account; laid-off
# workers in re-employment centres contribute on 60% of last year's average wage; retirees pay nothing.
#
# For retirees the document says only that the share of the employer contribution credited to
# their accounts "should be higher than" active employees' (L40); it gives neither the share, nor
# its base, nor whether employers contribute for retirees at all. Those cells are *not stated*:
# `contributions()` raises for a retiree, and with `missing="nan"` it computes what the document
# fixes (the retiree's own 0) and leaves the rest NaN, never 0.

# %%
persons = pd.DataFrame({
    "person_id": [1, 2, 3],
    "category": ["employee", "laid_off", "retiree"],
    "wage": [wage, 0, 0],
    "average_wage": average_wage,
})
hc.reader_table(s.contributions(persons, missing="nan").set_index(persons["category"]), s)

# %%
retiree_rows = s.parameter_table().query("cell == 'category=retiree' and parameter.str.startswith('contributions')")
retiree_rows[["parameter", "kind", "value", "permitted", "article", "lines", "quote", "note"]]

# %% [markdown]
# The bound "higher than active employees'" is enforced on a city's choice: a retiree share at or
# below the employees' (about 30%) is refused, quoting L40, unless it is explored as a reform.

# %%
for share in (0.4, 0.25):
    try:
        city = s.with_overrides({"contributions.personal_account_share_employer.retiree": share})
        print(f"retiree share {share}: accepted")
    except hc.HealthcoverError as err:
        print(f"retiree share {share}: {err}")

# %% [markdown]
# ## The pooled fund: a deductible of about 10% and a ceiling of about 4 times the average wage
#
# The amounts depend on the city's wage, so the file keeps them as shares of it
# (`benefits.inpatient.deductible_share_of_average_wage`, `annual_limit_multiple_of_average_wage`)
# and the engine reads each person's `average_wage`: one population can mix cities. For one city,
# `employee.wage_linked_overrides` turns the shares into amounts, which take precedence.

# %%
s.parameter_table("benefits.inpatient")[["parameter", "kind", "value", "permitted", "lines", "quote"]]

# %%
wage_linked = employee.wage_linked_overrides(average_wage)
wage_linked

# %%
two_cities = pd.DataFrame({"person_id": [1, 2], "category": "employee", "average_wage": [average_wage, 2 * average_wage]})
one_claim_each = pd.DataFrame({"person_id": [1, 2], "date": "1999-11-01", "care": "inpatient", "facility": "-",
                               "cost": 60000.0})
(hc.load_scheme("liaoning-employee-1999", overrides={"benefits.inpatient.rate": assumed_rate})
 .adjudicate(one_claim_each, two_cities)
 .assign(average_wage=two_cities["average_wage"].to_numpy())[["average_wage", "deductible", "fund_paid", "oop"]])

# %% [markdown]
# **DIGEST D-01.** With an average wage of 10,000, 90% in the band (*assumed*) and an eligible
# annual cost of 60,000: if the ceiling caps the cost counted (the translation twice speaks of
# medical *expenses*; the reading the file uses) the fund pays (40,000 - 1,000) x 90% = 35,100; if
# it caps the fund's payment, 40,000.

# %%
claim = pd.DataFrame([{"person_id": 1, "date": "1999-11-01", "care": "inpatient", "facility": "-", "cost": 60000}])
assumed = {**wage_linked, "benefits.inpatient.rate": assumed_rate}
pd.concat({
    basis: hc.load_scheme("liaoning-employee-1999", overrides={**assumed, "readings.annual_limit_basis": basis})
    .adjudicate(claim, persons)[["deductible", "fund_paid", "oop", "limit_reason"]]
    for basis in ("cost", "fund")
})

# %% [markdown]
# **Deductible per admission or per year (II(4)).** A city that splits the fund's scope into
# inpatient and outpatient sets a deductible per admission (and may lower it for repeat
# admissions, with no schedule given); one that splits by amount sets it on the year's costs.

# %%
two = pd.DataFrame([{"person_id": 1, "date": d, "care": "inpatient", "facility": "-", "cost": 5000}
                    for d in ("1999-11-01", "1999-12-01")])
pd.concat({
    split: hc.load_scheme("liaoning-employee-1999", overrides={**assumed, "readings.pooling_split": split})
    .adjudicate(two, persons)[["deductible", "fund_paid"]]
    for split in s.meta.readings["pooling_split"].options
})

# %% [markdown]
# The deductibles of repeat admissions "may be reduced successively" (L28), with no schedule: the
# file reduces nothing by default (`deductible_repeat_factors = [1]`); a city gives its factors,
# here 1, 0.5 and 0.25 of the first deductible for a year's 1st, 2nd and later admissions.

# %%
four = pd.DataFrame([{"person_id": 1, "date": d, "care": "inpatient", "facility": "-", "cost": 5000}
                     for d in ("1999-03-01", "1999-06-01", "1999-09-01", "1999-12-01")])
pd.concat({
    str(factors): hc.load_scheme("liaoning-employee-1999", overrides={
        "benefits.inpatient.rate": assumed_rate, "benefits.inpatient.deductible_repeat_factors": factors})
    .adjudicate(four, persons)[["deductible", "fund_paid"]]
    for factors in ([1.0], [1.0, 0.5, 0.25])
})

# %% [markdown]
# ## Gaps, readings and what needs an assumption

# %%
pd.DataFrame({"gap": s.meta.gaps})

# %%
pd.DataFrame([{"reading": k, "question": r.question, "options": "; ".join(r.options), "used": r.used}
              for k, r in s.meta.readings.items()])

# %%
try:
    hc.load_scheme("liaoning-employee-1999", overrides=wage_linked).adjudicate(claim, persons)
except hc.HealthcoverError as err:
    print(err)

# %% [markdown]
# ## What the pooled fund pays as cost grows
#
# The document names no facility levels, so the curves compare the two readings of the ceiling,
# with the wage-linked amounts and the assumed 90% share above.

# %%
costs = np.arange(0, max_cost + cost_step, cost_step, dtype=float)
curves = []
for basis in ("cost", "fund"):
    scheme = hc.load_scheme("liaoning-employee-1999", overrides={**assumed, "readings.annual_limit_basis": basis})
    grid = pd.DataFrame({"person_id": np.arange(len(costs)), "category": "employee", "date": pd.Timestamp("1999-11-01"),
                         "care": "inpatient", "facility": "-", "cost": costs})
    curves.append(grid.assign(fund_paid=scheme.adjudicate(grid, grid[["person_id", "category"]])["fund_paid"],
                              ceiling=f"caps the {basis}"))

alt.Chart(pd.concat(curves)).mark_line().encode(
    x=alt.X("cost:Q", title="eligible annual cost (CNY)"),
    y=alt.Y("fund_paid:Q", title="pooled fund pays (CNY)"),
    color=alt.Color("ceiling:N", title="the ceiling (D-01)"),
).properties(width=420, height=260, title=f"Liaoning 1999 with an average wage of {average_wage:,} (assumed)")
