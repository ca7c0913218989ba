# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The same patients under every scheme
#
# A standard set of episodes (a primary-care visit, admissions of growing cost at the lowest,
# county and highest facility level, a year of special-disease outpatient care) run through every
# bundled scheme (`hc.list_schemes()`), each variant, for an ordinary adult member with no other
# claims in the year. Each scheme uses its own codes: the lowest facility level it lists, `county`
# where it has one, and its highest level. Nothing is assumed: where a document leaves a rule
# blank, the episode is listed with the library's reason instead of a number. Secondary payers are
# shown composed with a basic scheme.

# %% tags=["parameters"]
year = 2024  # benefit year of the episodes
admission_costs = [2_000, 10_000, 50_000, 200_000]  # eligible inpatient costs (CNY)
visit_cost = 10.0  # a primary-care visit (the general diagnosis fee, seed 004 §2)
dialysis_sessions = 12  # special-disease outpatient sessions over the year
dialysis_cost = 500.0  # cost of one session (CNY)

# %%
import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover.secondary import compose

pd.set_option("display.max_colwidth", 160)
pd.set_option("display.max_rows", 200)

# %% [markdown]
# ## The episodes, in each scheme's own codes

# %%
ADULT = ("adult", "general", "employee", "member", "insured")
VISIT = ("general_diagnosis", "minor_illness", "general_outpatient", "outpatient")


def episodes(s):
    """Standard episodes as claims of the scheme (one person per episode), or None where the
    scheme has no such care type."""
    facs = s.facilities or [""]
    county = "county" if "county" in facs else facs[len(facs) // 2]
    visit = next((c for c in VISIT if c in s.care_types), None)
    out = {"visit": [(visit, facs[0], visit_cost)] if visit else None}
    for cost in admission_costs:
        for label, fac in (("lowest", facs[0]), ("county", county), ("highest", facs[-1])):
            if cost >= 50_000 and label == "lowest":
                continue
            out[f"admission {cost:,} ({label})"] = [("inpatient", fac, cost)] if "inpatient" in s.care_types else None
    out["special outpatient"] = ([("special_outpatient", county, dialysis_cost)] * dialysis_sessions
                                 if "special_outpatient" in s.care_types else None)
    return out


def run(s, adjudicate=None, category=None):
    category = category or next((c for c in ADULT if c in s.categories), s.categories[0])
    rows = []
    for name, claims in episodes(s).items():
        row = {"episode": name, "category": category}
        if claims is None:
            rows.append({**row, "status": "no such care type"})
            continue
        dates = pd.date_range(f"{year}-01-15", periods=len(claims), freq=pd.DateOffset(months=1))
        df = pd.DataFrame(claims, columns=["care", "facility", "cost"]).assign(person_id=1, date=dates)
        persons = pd.DataFrame({"person_id": [1], "category": [category], "secondary_category": ["martyr_survivor"]})
        try:
            r = (adjudicate or s.adjudicate)(df, persons)
        except hc.HealthcoverError as err:
            rows.append({**row, "status": "not computable", "reason": str(err).split("\n")[0]})
            continue
        rows.append({**row, "status": "computed", "cost": df.cost.sum(), "fund_paid": r.fund_paid.sum(),
                     "secondary_paid": r["secondary_paid"].sum() if "secondary_paid" in r else 0.0,
                     "oop": r.oop.sum()})
    return pd.DataFrame(rows)


results, skipped = [], []
for sid in hc.list_schemes():
    meta = hc.load_scheme(sid).meta
    if meta.kind == "guideline":
        skipped.append((sid, meta.kind, "a guideline: minimum standards for local designs, no claim rules (see healthcover.constraints.check_design)"))
        continue
    if meta.kind == "secondary":
        skipped.append((sid, meta.kind, "a secondary payer: shown below composed with a basic scheme"))
        continue
    if not meta.care:
        skipped.append((sid, meta.kind, "the document has no benefit rules (no care types): " + "; ".join(meta.gaps[:1])))
        continue
    for variant in list(meta.variants) or [None]:
        s = hc.load_scheme(sid, variant)
        results.append(run(s).assign(scheme=sid, variant=variant or ""))

vet_basic = hc.load_scheme("dazu-resident", "tier2")
both = compose(vet_basic, "veterans-medical-subsidy")
results.append(run(vet_basic, both.adjudicate).assign(scheme="dazu-resident + veterans-medical-subsidy",
                                                      variant="tier2, martyr's survivor"))
table = pd.concat(results, ignore_index=True)
table["scheme / variant"] = table.scheme + np.where(table.variant != "", " (" + table.variant + ")", "")

# %% [markdown]
# ## Schemes without computable claim rules

# %%
pd.DataFrame(skipped, columns=["scheme", "kind", "why not compared"])

# %% [markdown]
# ## Who pays what
#
# Fund (basic scheme), secondary payer and patient, in yuan, for every computed episode.

# %%
computed = table[table.status == "computed"]
computed.pivot_table(index="episode", columns="scheme / variant", values="oop", sort=False).round(2)

# %%
computed.pivot_table(index="episode", columns="scheme / variant", values="fund_paid", sort=False).round(2)

# %%
wide = computed.assign(fund_share=computed.fund_paid / computed.cost,
                       covered_share=(computed.fund_paid + computed.secondary_paid) / computed.cost)
wide.pivot_table(index="episode", columns="scheme / variant", values="covered_share", sort=False).round(3)

# %% [markdown]
# ## What could not be computed, and why
#
# Each reason is the library's own message: the parameter the document leaves blank, with its
# source, and how to supply an assumption. (Episodes of a care type a scheme does not have, such
# as an admission under the diagnosis fee, are simply absent.)

# %%
table[table.status == "not computable"][["scheme / variant", "episode", "reason"]]

# %% [markdown]
# ## Chart: the patient's share of each admission

# %%
adm = computed[computed.episode.str.startswith("admission")].melt(
    ["scheme / variant", "episode"], ["fund_paid", "secondary_paid", "oop"], var_name="payer", value_name="CNY")
alt.Chart(adm).mark_bar().encode(
    y=alt.Y("scheme / variant:N", title=None),
    x=alt.X("CNY:Q", stack="normalize", axis=alt.Axis(format="%"), title="share of the cost"),
    color=alt.Color("payer:N", sort=["fund_paid", "secondary_paid", "oop"],
                    scale=alt.Scale(domain=["fund_paid", "secondary_paid", "oop"], range=["#4c78a8", "#54a24b", "#f58518"])),
    row=alt.Row("episode:N", title=None, sort=list(dict.fromkeys(adm.episode)), header=alt.Header(labelAngle=0, labelAlign="left")),
    tooltip=["scheme / variant", "episode", "payer", alt.Tooltip("CNY:Q", format=",.2f")],
).properties(width=420, height=alt.Step(14), title="Who pays for an admission, scheme by scheme")
