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
# # Dazu's resident cooperative insurance and the general diagnosis fee (seed document 004)
#
# Document 004 [@seed004] is a web collection of five unrelated texts (篇1-篇5):
#
# * **§1** an essay on accounting for medical insurance funds in designated hospitals: it proposes
#   accrual instead of cash accounting and booking the reimbursement a hospital absorbs beyond its
#   global budget as "hospital subsidy income" of the fund. Recommendations, no numbers.
# * **§2** a provincial notice merging registration, consultation and injection fees into a
#   **general diagnosis fee** of 10 yuan a visit at government primary facilities, 3 paid by an
#   insured patient and 7 by the fund (`data/schemes/general-diagnosis-fee.yaml`).
# * **§3** an essay on supervising social security funds in a county. Context only.
# * **§4** **Dazu County's urban-rural resident cooperative medical insurance measures**, two
#   financing tiers with deductibles, rates and limits by facility level
#   (`data/schemes/dazu-resident.yaml`).
# * **§5** a bulletin on how several provinces set up work-injury insurance administration; its one
#   rule is Beijing's re-review of single admissions above 50,000 yuan.
#
# Every number below is computed by `healthcover` from the scheme files, which cite the article,
# line and original words of each rule. The document's worked examples are the digest's E01-E10
# and E18 (`../shared/seeds/DIGEST.md`), recomputed here and compared with the document's figures.

# %% tags=["parameters"]
variant = "tier2"  # Dazu financing tier shown in the parameter table: tier1 or tier2
max_cost = 120_000  # largest eligible inpatient cost in the chart (CNY)
cost_step = 1_000  # chart resolution (CNY)

# %%
import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover.actuarial import FundRules, share_overspend

pd.set_option("display.max_colwidth", 110)
pd.set_option("display.max_rows", 200)
s = hc.load_scheme("dazu-resident", variant)
s

# %% [markdown]
# ## §4 Dazu: codes, and every parameter with its citation
#
# `kind` says how the document states a value: `exact`, a bound (`at_least` / `at_most`), or
# `not_stated` (a blank: using it needs an explicit assumption). Change `variant` above to see the
# other tier's cells.

# %%
s.codes_table()

# %%
hc.parameter_sources(s)

# %% [markdown]
# ## §4 Dazu: the document's examples, recomputed
#
# `claims_of` builds a claims table; each example runs through `Scheme.adjudicate`. The column
# `document` is the figure the text (via the digest's arithmetic) gives; `library` is computed.

# %%
def claims_of(*rows, category="adult", years_enrolled=1):
    """(date, care, facility, cost[, special_exam_cost]) rows of one person."""
    df = pd.DataFrame([dict(zip(["date", "care", "facility", "cost", "special_exam_cost"], r)) for r in rows])
    if "special_exam_cost" in df:
        df["special_exam_cost"] = df["special_exam_cost"].fillna(0.0)
    persons = pd.DataFrame({"person_id": [1], "category": [category], "years_enrolled": [years_enrolled]})
    return df.assign(person_id=1), persons


def fund(tier, *rows, overrides=None, **who):
    claims, persons = claims_of(*rows, **who)
    return hc.load_scheme("dazu-resident", tier, overrides=overrides).adjudicate(claims, persons)


examples = {
    "E01 tier-2 adult, county hospital, 10,000": (fund("tier2", ("2024-03-01", "inpatient", "county", 10000)), 4900),
    "E02 tier 1, township centre, 2,000": (fund("tier1", ("2024-03-01", "inpatient", "township", 2000)), 1182),
    "E03 tier-2 minor, central township, 3,000": (fund("tier2", ("2024-03-01", "inpatient", "central_township", 3000), category="minor"), 2030),
    "E04 tier 1 above county, 150,000 (limit 30,000)": (fund("tier1", ("2024-03-01", "inpatient", "above_county", 150000)), 30000),
    "E05 tier 2, 8,000 incl. an approved MRI of 1,000": (fund("tier2", ("2024-03-01", "inpatient", "county", 8000, 1000)), 3650),
}
pd.DataFrame([{"example": k, "document": doc, "library": r["fund_paid"].sum(), "patient": r["oop"].sum(),
               "limit_reason": ", ".join(r["limit_reason"].astype(str))} for k, (r, doc) in examples.items()]
             ).assign(agrees=lambda d: d.document == d.library)

# %% [markdown]
# **E06-E09, contributions and subsidies** through `Scheme.contributions`. The government level
# that pays the rural special subsidy (10 or 20 yuan) is not stated (G-14): the library refuses it
# without an assumption, shown first; the examples then assume the county pays it.

# %%
rural = pd.DataFrame({"person_id": [1], "category": ["rural_wubao"]})
try:
    hc.load_scheme("dazu-resident", "tier1").contributions(rural)
except hc.HealthcoverError as err:
    print(err)

# %%
cats = ["adult", "minor", "urban_special", "urban_special_minor", "rural_wubao", "rural_dibao", "nonlocal"]
people = pd.DataFrame({"person_id": range(len(cats)), "category": cats})
contrib = pd.concat({t: hc.load_scheme("dazu-resident", t, overrides={"contributions.subsidy_special_level": "local"})
                     .contributions(people).set_index(people["category"]) for t in ("tier1", "tier2")},
                    names=["tier", "category"])
contrib[["total", "individual", "subsidy_central", "subsidy_provincial", "subsidy_local", "personal_account",
         "pooled_fund", "outpatient_account"]]

# %%
c = contrib["individual"]
checks = pd.DataFrame([
    ("E06 individual, tier 1 / tier 2", "20 / 120", f"{c['tier1', 'adult']:g} / {c['tier2', 'adult']:g}"),
    ("E06 household of 4 in tier 2: premiums, account", "480, 160",
     f"{4 * c['tier2', 'adult']:g}, {4 * contrib.loc[('tier2', 'adult'), 'outpatient_account']:g}"),
    ("E06 the same household in tier 1", "80, 80",
     f"{4 * c['tier1', 'adult']:g}, {4 * contrib.loc[('tier1', 'adult'), 'outpatient_account']:g}"),
    ("E07 urban dibao adult, tier 1: individual, account, central/city/county", "10, 50, 70/52.5/17.5",
     "{:g}, {:g}, {:g}/{:g}/{:g}".format(c["tier1", "urban_special"], *contrib.loc[("tier1", "urban_special"),
         ["personal_account", "subsidy_central", "subsidy_provincial", "subsidy_local"]])),
    ("E07 urban dibao adult, tier 2: individual", "60", f"{c['tier2', 'urban_special']:g}"),
    ("E08 urban severely disabled child, tier 2: central/city/county", "45/71.25/23.75",
     "{:g}/{:g}/{:g}".format(*contrib.loc[("tier2", "urban_special_minor"), ["subsidy_central", "subsidy_provincial", "subsidy_local"]])),
    ("E09 wubao / rural dibao individual, tier 1", "0 / 10", f"{c['tier1', 'rural_wubao']:g} / {c['tier1', 'rural_dibao']:g}"),
    ("E09 wubao / rural dibao individual, tier 2", "100 / 110", f"{c['tier2', 'rural_wubao']:g} / {c['tier2', 'rural_dibao']:g}"),
], columns=["example", "document", "library"])
checks.assign(agrees=checks.document == checks.library)

# %% [markdown]
# **E10, overspend and surplus** (Art. 26(三)-(四)), with the file's `fund.*` shares through
# `healthcover.actuarial`: a township 100,000 over its quota; a county-pool surplus of 300,000.

# %%
rules = FundRules.from_scheme(s)
town = share_overspend(100_000, level="township", rules=rules)
surplus = 300_000
pd.DataFrame([
    ("township government", 40_000, town["government"]),
    ("designated facilities", 60_000, town["facilities"]),
    ("surplus to the risk fund", 150_000, surplus * s.value("fund.surplus_to_risk_fund")),
    ("surplus to next year's pool", 150_000, surplus * s.value("fund.surplus_to_next_year")),
], columns=["E10", "document", "library"]).assign(agrees=lambda d: d.document == d.library)

# %% [markdown]
# ## §4 Dazu: readings D-14 to D-21, side by side
#
# Where the text allows more than one reading, the file names the one it uses and the others can be
# chosen with `overrides={"readings.<name>": "<option>"}`.

# %%
pd.DataFrame([{"reading": k, "question": r.question, "options": " | ".join(f"{o}: {t}" for o, t in r.options.items()),
               "used": r.used} for k, r in s.meta.readings.items()])

# %% [markdown]
# **D-14, the continuity bonus** (「从第三年起每两年相应提高1%」): the fund's payment on E01 (tier-2
# adult, county hospital, 10,000) by consecutive years insured, under R1 (the file's), R2 and R3.

# %%
years = np.arange(1, 15)
bonus = pd.DataFrame({
    name: [fund("tier2", ("2024-03-01", "inpatient", "county", 10000), years_enrolled=int(n),
                overrides={"readings.enrolment_bonus": name})["fund_paid"].item() for n in years]
    for name in ("R1", "R2", "R3")
}, index=pd.Index(years, name="consecutive years"))
bonus.T

# %%
alt.Chart(bonus.reset_index().melt("consecutive years", var_name="reading", value_name="fund_paid")).mark_line(
    point=True, interpolate="step-after").encode(
    x=alt.X("consecutive years:Q"), y=alt.Y("fund_paid:Q", title="fund pays on 10,000 (CNY)", scale=alt.Scale(zero=False)),
    color="reading:N",
).properties(width=420, height=220, title="D-14: continuity bonus readings (digest example: 5th year 5,096 / 4,998 / 4,998)")

# %% [markdown]
# **D-15 to D-21**, each reading computed (digest figures in `document`). D-16 (b), a flat 500
# whatever the cost, is not computable as a claim payment: the engine never pays more than the
# cost, so it is shown as the text's arithmetic only. D-21's misreading (the self-paid 500 also
# meeting the deductible) is not an option of the file either.

# %%
dialysis = [(d.strftime("%Y-%m-%d"), "special_outpatient", "county", 500)
            for d in pd.date_range("2024-01-05", periods=12, freq=pd.DateOffset(months=1))]
two = [("2024-03-01", "inpatient", "county", 5000), ("2024-06-01", "inpatient", "county", 5000)]
rows = [
    ("D-15 chronic outpatient 1,600, limit on the fund (used)", 700, fund("tier2", ("2024-01-05", "chronic_outpatient", "township", 1600))),
    ("D-15 ... limit on the cost counted", 350, fund("tier2", ("2024-01-05", "chronic_outpatient", "township", 1600), overrides={"readings.chronic_limit": "cost_cap"})),
    ("D-16 TB 320, a cap (used)", 320, fund("tier1", ("2024-01-05", "tb_outpatient", "county", 320))),
    ("D-16 TB 800, a cap (used)", 500, fund("tier1", ("2024-01-05", "tb_outpatient", "county", 800))),
    ("D-19 two admissions of 5,000, per admission (used)", 4800, fund("tier2", *two)),
    ("D-19 ... once a year", 4900, fund("tier2", *two, overrides={"readings.deductible_frequency": "per_year"})),
    ("D-19 dialysis 12 x 500, once a year (used)", 2900, fund("tier2", *dialysis)),
    ("D-19 ... per visit", 1800, fund("tier2", *dialysis, overrides={"readings.special_outpatient_deductible_frequency": "per_visit"})),
    ("D-20 tier-1 dialysis 6,000, tier 2 only (used)", 0, fund("tier1", ("2024-01-05", "special_outpatient", "county", 6000))),
    ("D-20 ... both tiers", 2320, fund("tier1", ("2024-01-05", "special_outpatient", "county", 6000), overrides={"readings.tier2_only_items": "both_tiers"})),
    ("D-21 special exam 1,000 in 8,000, self-pay first (the text's order)", 3650, fund("tier2", ("2024-03-01", "inpatient", "county", 8000, 1000))),
]
readings_table = pd.DataFrame([(k, doc, r["fund_paid"].sum()) for k, doc, r in rows], columns=["case", "document", "library"])
readings_table.assign(agrees=readings_table.document == readings_table.library)

# %%
pd.DataFrame([
    ("D-16 (b) flat 500 on a cost of 320", "500 (more than the cost)", "not computed: fund + patient = cost"),
    ("D-21 misreading: 7,500 x 50%", "3,750", "not an option: the text fixes the order (先自付50%后)"),
], columns=["case", "text's arithmetic", "library"])

# %% [markdown]
# **D-17, the risk reserve** (5% of each year's fund income; stops once it *exceeds* 15%, or once
# it *reaches* it), with an annual fund of 20,000,000 (*assumed*): the draw continues in year 4
# under "exceeds" (3,000,000 equals but does not exceed the cap). **D-18, overspend beyond the risk
# fund**: 1,000,000 over with 300,000 in the risk fund.

# %%
income, yrs = 20_000_000, np.arange(1, 7)
draw, cap = s.value("fund.risk_reserve_share") * income, s.value("fund.risk_reserve_cap") * income
balance = {"exceeds (used)": [], "reaches": []}
for rule in balance:
    b = 0.0
    for _ in yrs:
        stop = b > cap if rule.startswith("exceeds") else b >= cap
        b += 0.0 if stop else draw
        balance[rule].append(b)
pd.DataFrame(balance, index=pd.Index(yrs, name="year"))

# %%
pd.DataFrame({
    name: share_overspend(1_000_000, level="county", risk_fund=300_000,
                          rules=FundRules.from_scheme(hc.load_scheme("dazu-resident", overrides={"readings.overspend_beyond_risk_fund": opt})))
    for name, opt in (("(a) excess to facilities (used)", "excess_to_facilities"), ("(b) literal 全额", "all_to_facilities"))
}).T[["centre", "facilities"]]

# %% [markdown]
# ## §4 Dazu: balances carried over, the special-subsidy account, psychiatric stays, care away
#
# **The household outpatient account carries over** (Art. 26(四), L491: 「门诊账户节余,转存至次年由参保
# 居民继续使用」): each year the household's insured members add 40 each (tier 2) to one account, used
# until exhausted (用完为止, L355), and what is left moves to the next year. The general outpatient
# rate is not stated (G-12; 50% *assumed* here). A household of two, tier 2:

# %%
account_claims = pd.DataFrame({
    "person_id": [1, 2, 1, 2], "care": "general_outpatient", "facility": ["township", "township", "county", "township"],
    "date": ["2024-03-01", "2025-05-01", "2025-08-01", "2026-02-01"], "cost": [60.0, 400.0, 100.0, 100.0]})
household = pd.DataFrame({"person_id": [1, 2], "category": ["adult", "minor"], "household_id": [9, 9]})
pd.concat({
    label: hc.load_scheme("dazu-resident", "tier2", overrides={"benefits.general_outpatient.rate": 0.5, **o})
    .adjudicate(account_claims, household)[["fund_paid", "limit_reason"]].assign(date=account_claims.date)
    for label, o in (("carried over (Art. 26(四))", {}),
                     ("each year's 80 only", {"benefits.general_outpatient.annual_limit_carry_forward": False}))
})

# %% [markdown]
# **The tier-1 special-subsidy account** (Art. 14(四)1, L267): an urban dibao adult (or severely
# disabled, or low-income aged 60+) in tier 1 pays 10, the special subsidy pays 10, and the other 50
# is held by the county centre 「可用于支付参保居民医疗支出的个人负担部分,当年有效」: it pays the
# person's own share of their claims in date order, this year only (`account_paid`;
# `fund_paid + account_paid + oop == cost`). Reading `special_account_base` says which share.

# %%
special = pd.DataFrame({"person_id": [1, 1, 1], "care": ["inpatient", "chronic_outpatient", "chronic_outpatient"],
                        "facility": ["county", "township", "township"],
                        "date": ["2024-03-01", "2024-06-01", "2025-02-01"], "cost": [1000.0, 200.0, 200.0]})
hc.load_scheme("dazu-resident", "tier1").adjudicate(special, pd.DataFrame({"person_id": [1], "category": ["urban_special"]}))[
    ["fund_paid", "account_paid", "oop"]].assign(care=special.care, date=special.date)

# %% [markdown]
# **Psychiatric stays** (Art. 23(四)2, L447): 「精神病人每人每年住院时间不超过3个月。在县外区县级精神病院
# 住院治疗,不予报销。」 The engine counts days of stay (`stay_days`; 3 months read as 90 days, reading
# `psychiatric_stay_days`), pays a stay that runs past them pro rata, and pays nothing for a
# county-level psychiatric hospital outside the county (`out_of_county`). Outpatient care away from
# the county is not paid either (Art. 23(七), L455), while an ordinary admission away is paid at the
# same-level standard.

# %%
stays = pd.DataFrame({
    "person_id": 1, "care": ["psychiatric_inpatient", "psychiatric_inpatient", "psychiatric_inpatient",
                             "psychiatric_inpatient", "chronic_outpatient", "inpatient"],
    "facility": ["county", "county", "county", "county", "county", "county"],
    "date": ["2024-03-01", "2024-07-01", "2024-10-01", "2024-11-01", "2024-12-01", "2024-12-10"],
    "cost": [12000.0, 12000.0, 3000.0, 5000.0, 400.0, 5000.0],
    "stay_days": [60, 60, 10, 20, 0, 0],
    "out_of_county": [False, False, False, True, True, True]})
hc.load_scheme("dazu-resident", "tier2").adjudicate(stays, pd.DataFrame({"person_id": [1], "category": ["adult"]}))[
    ["eligible_cost", "fund_paid", "limit_reason"]].assign(care=stays.care, days=stays.stay_days, away=stays.out_of_county)

# %% [markdown]
# **Deadlines are bounds**: 「住院需在三日内电话告之」 and 「出院后30日内到医保中心报销」 are recorded as
# at most 3 and 30 days, like every "within" in the scheme files.

# %%
s.parameter_table("parameters.out_of_county")[["parameter", "kind", "value", "permitted", "lines", "quote"]]

# %% [markdown]
# **Households choose one tier for two years; students registered outside the county enrol
# themselves** (Art. 16, L279, L281). `healthcover.enrolment.tier_choices` checks a household's
# choices; a student registered outside the county (category `nonlocal_student`, not bound by the
# household rule) finances the premium (reading `nonlocal_student_financing`: the whole level, or
# only the individual part).

# %%
from healthcover.enrolment import tier_choices

enrolment = pd.DataFrame({
    "household_id": [1, 1, 1, 1, 1, 2, 2, 2, 2],
    "person_id": [1, 2, 1, 2, 3, 4, 5, 4, 4],
    "year": [2024, 2024, 2025, 2025, 2025, 2024, 2024, 2025, 2026],
    "tier": ["tier1", "tier1", "tier2", "tier2", "tier1", "tier2", "tier2", "tier2", "tier1"],
    "category": ["adult", "minor", "adult", "minor", "nonlocal_student", "adult", "adult", "adult", "adult"]})
tier_choices(enrolment)

# %%
student = pd.DataFrame({"person_id": [1], "category": ["nonlocal_student"]})
pd.concat({(t, r): hc.load_scheme("dazu-resident", t, overrides={"readings.nonlocal_student_financing": r})
           .contributions(student).iloc[0][["total", "individual", "subsidy_total"]]
           for t in ("tier1", "tier2") for r in s.meta.readings["nonlocal_student_financing"].options}, axis=1).T

# %% [markdown]
# **Rural wubao and dibao members**: which level of government pays their special subsidy is not
# stated (G-14), but their totals are: with `missing="nan"` the level columns are NaN and the totals
# are computed (tier 1: 100 = 80 + 20 for wubao).

# %%
rural = pd.DataFrame({"person_id": [1, 2], "category": ["rural_wubao", "rural_dibao"]})
hc.load_scheme("dazu-resident", "tier1").contributions(rural, missing="nan")[
    ["total", "individual", "subsidy_central", "subsidy_local", "subsidy_total"]].set_index(rural.category)

# %% [markdown]
# ## §4 Dazu: what the fund pays as cost grows, by facility level, tier 1 vs tier 2
#
# One admission in the year for an adult, first year insured; the flat stretch is the annual
# reimbursement limit (30,000 in tier 1, 60,000 for tier-2 adults), which caps the fund's payment.

# %%
costs = np.arange(0, max_cost + cost_step, cost_step, dtype=float)
grid = pd.DataFrame([(f, x) for f in s.facilities for x in costs], columns=["facility", "cost"])
grid = grid.assign(person_id=np.arange(len(grid)), date=pd.Timestamp("2024-06-01"), care="inpatient", category="adult")
curve = pd.concat({t: grid.assign(fund_paid=hc.load_scheme("dazu-resident", t).adjudicate(grid)["fund_paid"])
                   for t in ("tier1", "tier2")}, names=["tier", None]).reset_index(level=0)

alt.Chart(curve).mark_line().encode(
    x=alt.X("cost:Q", title="eligible inpatient cost (CNY)"),
    y=alt.Y("fund_paid:Q", title="fund pays (CNY)"),
    color=alt.Color("facility:N", sort=s.facilities, title="facility level"),
    column=alt.Column("tier:N", title=None),
    tooltip=["tier", "facility", "cost", "fund_paid"],
).properties(width=320, height=240, title="Dazu: fund payment per admission by facility level")

# %% [markdown]
# ## §4 Dazu: gaps
#
# What the text leaves blank; the library raises `HealthcoverError` naming the parameter and its
# source when a calculation needs one, e.g. the general outpatient rate (G-12):

# %%
pd.DataFrame({"gap": s.meta.gaps})

# %%
try:
    fund("tier2", ("2024-01-05", "general_outpatient", "township", 30))
except hc.HealthcoverError as err:
    print(err)

# %% [markdown]
# ## §2 The general diagnosis fee
#
# One claim row is one visit, and a course of treatment is one visit (「每人次(含一个疗程)」, D-24).

# %%
fee = hc.load_scheme("general-diagnosis-fee")
hc.parameter_sources(fee)

# %% [markdown]
# **E18**: an insured patient's visit (or a 5-day infusion course) costs 10: patient 3, fund 7; an
# uninsured patient pays 10; 1,000 insured visits bring the facility 3,000 from patients and 7,000
# from the funds.

# %%
visits = pd.DataFrame({
    "person_id": range(1002), "date": "2013-05-01", "care": "general_diagnosis", "facility": "township",
    "cost": fee.value("parameters.fee_per_visit"), "category": ["insured", "uninsured"] + ["insured"] * 1000,
})
paid = fee.adjudicate(visits)
e18 = pd.DataFrame([
    ("insured visit or course: patient / fund", "3 / 7", f"{paid.oop[0]:g} / {paid.fund_paid[0]:g}"),
    ("uninsured visit: patient / fund", "10 / 0", f"{paid.oop[1]:g} / {paid.fund_paid[1]:g}"),
    ("1,000 insured visits: patients / funds", "3000 / 7000", f"{paid.oop[2:].sum():g} / {paid.fund_paid[2:].sum():g}"),
], columns=["E18", "document", "library"])
e18.assign(agrees=e18.document == e18.library)

# %%
who = paid.head(2).assign(patient=["insured", "uninsured"]).melt("patient", ["fund_paid", "oop"], var_name="payer", value_name="CNY")
alt.Chart(who).mark_bar().encode(
    y=alt.Y("patient:N", title=None), x=alt.X("CNY:Q", stack=True, title="general diagnosis fee per visit (CNY)"),
    color=alt.Color("payer:N", scale=alt.Scale(domain=["fund_paid", "oop"], range=["#4c78a8", "#f58518"])),
).properties(width=400, height=90, title="Who pays the 10-yuan fee")

# %%
pd.DataFrame([{"reading": k, "question": r.question, "used": r.used, "note": r.note} for k, r in fee.meta.readings.items()]
             + [{"reading": "gap", "question": g, "used": "", "note": ""} for g in fee.meta.gaps])

# %% [markdown]
# ## §1, §3, §5: no scheme rules
#
# §1 and §3 are essays without computable rules. §5 states one threshold, kept here as the text
# gives it (it belongs to work-injury insurance, outside the library's schemes):

# %%
pd.DataFrame([{"text": "§5 Beijing work-injury agency", "rule": "re-review of a single admission above 50,000 yuan",
               "lines": "L565", "quote": "负责单次住院费用超过5万元的大额工伤医疗费用的复审"}])
