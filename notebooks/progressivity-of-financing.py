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
# # Who pays? The progressivity of contributions and out-of-pocket payments
#
# A financing source is progressive when the better-off pay a larger share of their income
# (Kakwani index K > 0), regressive when the poor do (K < 0). This notebook computes, with
# `healthcover.protection.kakwani` (O'Donnell et al. 2008, ch. 16-17):
#
# 1. the Kakwani index of each scheme's contributions (`Scheme.contributions`), for persons
#    built to fit each scheme;
# 2. the Kakwani index of out-of-pocket payments (`hc.household_oop`) without insurance and
#    under each scheme that the synthetic population can be run through, with the
#    Reynolds-Smolensky index and the redistributive effect (the change in the Gini
#    coefficient of income after paying);
# 3. design-based standard errors (`hc.standard_errors`).
#
# Where a document leaves a rate blank, the notebook either computes what the document does
# fix (`missing="nan"`) or states an assumption in the parameters cell below.

# %% tags=["parameters"]
n_households = 4_000  # synthetic households (use 100_000+ for research)
seed = 2024  # population and wage seed
dazu_outpatient_rate = 0.3  # Dazu leaves the general-outpatient rate unstated (G-12): assumption
bazhou_employer_rate = 0.06  # Bazhou leaves the employer rate blank: assumption (Liaoning's rate)
average_wage = 7_000.0  # CNY a year, employee schemes' average wage: assumption
wage_sigma = 0.5  # log-scale spread of wages around it: assumption
export_dir = ""  # a folder to write the tables to (.dta, .xlsx, .csv); empty: none

# %%
import warnings

import numpy as np
import pandas as pd

import healthcover as hc

pd.set_option("display.max_colwidth", 300)  # the status notes below are sentences

# %% [markdown]
# ## 1. Contributions
#
# Residents pay a flat premium per person by category (children less than adults), so per
# head it falls as a share of income: regressive by construction. Employees pay a share of a
# wage base bounded below and above by multiples of the average wage. Persons are built per
# scheme from the seeded synthetic rural population (households of seed 003 §1) or, for the
# employee schemes, from a seeded wage distribution (the assumptions above). Generic
# categories map to each scheme's own; where the library has no mapping yet, the table below
# is the assumption used.

# %%
population = hc.data.synthetic_population(n_households, seed=seed)
households = population.households
extra_category_maps = {  # assumptions for schemes the library does not map yet
    "county-laidoff-resident": {"adult": "adult", "minor": "child"},
    "xiangzhou-resident": {"adult": "general", "minor": "general"},
}
category_maps = {**extra_category_maps, **hc.data.CATEGORY_MAPS}
overrides = {
    "dazu-resident": {"benefits.general_outpatient.rate": dazu_outpatient_rate},
    "bazhou-employee": {"contributions.rate_employer": bazhou_employer_rate},
}
pd.DataFrame({"assumption": {**{f"{k}: categories": str(v) for k, v in extra_category_maps.items()},
                             **{f"{k}: override": str(v) for k, v in overrides.items()}}})

# %%
rng = np.random.default_rng(seed)
workers = pd.DataFrame({"person_id": np.arange(1, n_households + 1), "category": "employee",
                        "wage": np.round(average_wage * rng.lognormal(-wage_sigma**2 / 2, wage_sigma,
                                                                      n_households), 2),
                        "average_wage": average_wage})


def persons_for(scheme):
    """(persons, payer table with income and weight columns, unit) for one scheme."""
    basis = scheme.value("contributions.basis") if scheme.has("contributions.basis") else "flat"
    if basis == "payroll":
        return workers, workers.assign(weight=1.0), "worker (income: wage)"
    cmap = category_maps.get(scheme.id)
    if cmap is None:
        raise hc.HealthcoverError(f"{scheme.id}: no category mapping for the synthetic population")
    persons = population.persons.assign(category=population.persons["category"].map(cmap))
    return persons, None, "person (income: consumption per head)"


rows, notes = {}, {}
for sid in hc.list_schemes():
    scheme = hc.load_scheme(sid, overrides=overrides.get(sid))
    try:
        persons, payers, unit = persons_for(scheme)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            paid = scheme.contributions(persons, missing="nan")
        blanks = "; ".join(str(w.message).split(": ", 1)[-1] for w in caught)
        if payers is None:  # residents: the household pays its members' premiums
            per_hh = paid["individual"].groupby(persons["household_id"].to_numpy()).sum(min_count=1)
            payers = households.assign(
                individual=households["household_id"].map(per_hh) / households["size"],
                income=households["consumption"] / households["size"],
                weight=households["weight"] * households["size"],
            )
        else:
            payers = payers.assign(individual=paid["individual"], employer=paid["employer"],
                                   income=payers["wage"])
        if payers["individual"].isna().any():
            raise hc.HealthcoverError(f"the individual contribution is not stated ({blanks})")
        k = hc.kakwani(payers, payment="individual", income="income", weight="weight")
        rows[(sid, "individual")] = {"unit": unit, **k}
        if "employer" in payers and payers["employer"].notna().all() and payers["employer"].sum() > 0:
            both = payers.assign(both=payers["individual"] + payers["employer"])
            rows[(sid, "individual + employer")] = {
                "unit": unit, **hc.kakwani(both, payment="both", income="income", weight="weight")}
        notes[sid] = blanks or "computed"
    except hc.HealthcoverError as exc:
        notes[sid] = f"not computed: {exc}"
contributions_table = pd.DataFrame(rows).T.rename_axis(["scheme", "payment"])
contributions_table.round(4)

# %% [markdown]
# "individual + employer" assumes the employer's contribution is borne by the worker, as
# incidence studies of payroll taxes usually do. Schemes without a row, and why:

# %%
pd.Series(notes, name="status").to_frame()

# %% [markdown]
# ## 2. Out-of-pocket payments and their redistributive effect
#
# The same households' illness spending, without insurance and under each scheme the
# population can be run through. OOP is a payment too: its Kakwani index says whether the
# poor pay a larger share of their consumption for care; the redistributive effect is the
# change in the Gini coefficient of consumption per head after paying (negative: paying for
# care makes the distribution less equal).

# %%
oop = hc.data.household_oop(population)
scenarios = {"no insurance": "oop_uninsured"}
reached = {}
for sid in hc.list_schemes():
    try:
        scheme = hc.load_scheme(sid, overrides=overrides.get(sid))
        oop[sid] = hc.data.household_oop(population, scheme)["oop_insured"].to_numpy()
        scenarios[sid] = sid
        reached[sid] = "run through the claims engine"
    except hc.HealthcoverError as exc:
        reached[sid] = f"not run: {str(exc)[:160]}"
per_head = oop.assign(income=oop["consumption"] / oop["size"],
                      pweight=oop["weight"] * oop["size"])
for label, col in scenarios.items():
    per_head[f"pay {label}"] = oop[col] / oop["size"]
oop_table = pd.DataFrame({
    label: hc.kakwani(per_head, payment=f"pay {label}", income="income", weight="pweight")
    for label, col in scenarios.items()
}).T.rename_axis("scenario")
oop_table.round(4)

# %%
pd.Series(reached, name="household_oop").to_frame()

# %% [markdown]
# ## 3. Standard errors
#
# The synthetic population is a simple random sample of households (each its own PSU), so
# the design has only weights; with a real survey (`hc.load_survey(path, preset="charls")`)
# pass its design (`df.attrs["design"]`) instead. Linearised standard errors of the Kakwani
# and Reynolds-Smolensky indices of OOP without insurance, and the jackknife for comparison:

# %%
design = hc.SurveyDesign(weight="pweight")
kw = dict(payment="pay no insurance", income="income")
se_table = pd.concat({
    "linearization": hc.standard_errors(hc.kakwani, per_head, design=design, **kw),
    "jackknife": hc.standard_errors(hc.kakwani, per_head, design=design, se="jackknife",
                                    progress=False, **kw),
}, names=["method"])
se_table.round(4)

# %% [markdown]
# ## 4. Tables to take away
#
# With `export_dir` set, the tables are written as Stata `.dta` (variable labels kept), one
# Excel workbook (a sheet per table) and CSV.

# %%
tables = {"contributions": contributions_table, "oop": oop_table, "standard_errors": se_table}
if export_dir:
    for path in hc.export(tables, export_dir):
        print(path)
