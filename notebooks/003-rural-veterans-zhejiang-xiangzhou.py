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
# # Rural medical security, veterans, Zhejiang's pilot and Xiangzhou (seed document 003)
#
# Document 003 [@seed003] is a web collection of five texts on medical security (医疗保障制度范文第1-5篇):
#
# * **§1** an essay (c. 2003) on rural medical security "yesterday, today and tomorrow": the
#   collapse of the old cooperative medical system, statistics on costs and health, and an estimate
#   of the rural people impoverished by illness.
# * **§2** an essay on medical reform in China as compulsory institutional change. Context only,
#   no rules.
# * **§3** a province's **measures for the medical security of entitled groups** (veterans,
#   martyrs' survivors and others): a secondary payer on top of the basic schemes
#   (`data/schemes/veterans-medical-subsidy.yaml`).
# * **§4** a province's (Zhejiang's) **guidance on urban resident medical security pilots**: the
#   minimum standards local designs must meet (`data/schemes/zhejiang-resident-pilot.yaml`).
# * **§5** **Xiangzhou District (Zhuhai)**: free treatment of minor illnesses, the urban-rural
#   resident insurance's financing, and medical assistance (`data/schemes/xiangzhou-resident.yaml`).
#
# Numbers from rules are computed by `healthcover` from the scheme files, which cite article, line
# and original words. §1's statistics are descriptive; they are shown as the document states them,
# and its arithmetic is recomputed. Values marked *assumed* are not in the text.

# %% tags=["parameters"]
pension_annual = 6_000.0  # an entitled person's annual pension or subsidy standard (assumed, E19)
average_wage = 30_000.0  # previous year's provincial average wage (assumed, E19)
red_army_people = 15  # dispersed Red Army personnel in a county (assumed, E19)
migrants = 100_000  # migrant workers insured in Xiangzhou (assumed)
max_amount = 40_000  # largest annual assistance amount in the routing chart (CNY)

# %%
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

import healthcover as hc
from healthcover import poverty
from healthcover.constraints import check_design
from healthcover.secondary import (assistance_route, compose, migrant_assistance_fund,
                                   outpatient_allowance, red_army_funding)

pd.set_option("display.max_colwidth", 110)
pd.set_option("display.max_rows", 200)
COLUMNS = ["parameter", "cell", "value", "kind", "permitted", "unit", "article", "lines", "quote", "note"]

# %% [markdown]
# ## §1 Rural medical security: the statistics as the document states them
#
# Each figure with its years, line and the original words. Where a quote can be checked against the
# cleaned seed copy beside the repository (`../shared/seeds`), the last column says so.

# %%
stats = pd.DataFrame([
    ("rural infant mortality", "20% → 3.38%", "1949 → 2001", "L11", "全国农村婴儿死亡率从20%下降到3.38%"),
    ("rural maternal mortality", "1.5% → 0.06%", "1949 → 2001", "L11", "农村孕产妇死亡率从1.5%下降到0.06%"),
    ("infectious disease incidence", "20% → 0.19%", "1949 → 2001", "L11", "传染病发病率从20%下降到0.19%"),
    ("rural life expectancy", "35 → 69.55 years", "1949 → 2000", "L11", "农村人口平均期望寿命从1949年的35岁上升到2000年的69.55岁"),
    ("cooperative medical coverage of villages", "90%", "1970s", "L13", "农村合作医疗的覆盖率达到全国行政村(生产大队)的90%"),
    ("cooperative medical coverage of villages", "5%", "1985", "L17", "农村合作医疗覆盖率陡降至5%"),
    ("rural areas with no medical security", "more than 90%", "early 1990s", "L17", "农村医疗保障制度在90%以上的农村地区成为空白"),
    ("Zhejiang cooperative medical coverage", "18%", "1993", "L17", "浙江省1993年农村合作医疗覆盖率也只艰难地爬升到18%"),
    ("cooperative medical coverage of villages", "17%", "end of 1997", "L17", "合作医疗的覆盖率也仅占全国行政村的17%"),
    ("rural residents in cooperative medical care", "9.6%", "end of 1997", "L17", "农村居民参加合作医疗的比例仅为9.6%"),
    ("villages with remnants of cooperative care", "about 10%", "c. 2002", "L17", "大约只有10%的行政村还"),
    ("farmers' average net income", "686.31 → 2210.34 yuan, 'grew 2.2 times'", "1990 → 1999", "L23", "农民平均纯收入由686.31元增加到2210.34元,增长了2.2倍"),
    ("outpatient / inpatient cost per visit", "10.9 → 79 and 473.3 → 2891 yuan, 'grew 6.2 and 5.1 times'", "1990 → 1999", "L23", "分别由10.9元和473.3元增加到79元和2891元,增长了6.2倍和5.1倍"),
    ("ill farmers not seeing a doctor for lack of money", "4% → 7%", "1985 → 1993", "L23", "农民生病无钱就诊的比例由1985年的4%上升到1993年的7%"),
    ("needed admission, not admitted for lack of money", "13.4% → 24.5%", "1985 → 1993", "L23", "需要住院因无钱而未住院的比例由1985年的13.4%上升到1993年的24.5%"),
    ("Hao Mo survey: rural medical demand", "shrank 50-70% (relative)", "15 years", "L23", "相对萎缩了50~70%"),
    ("Hao Mo survey: financial risk per visit", "17-30 x that of urban residents", "c. 2002", "L23", "农村居民的经济风险约17~30倍于城镇居民"),
    ("two-week prevalence", "69.0‰ → 128.2‰", "1985 → 1993", "L25", "两周患病率从69.0‰提高到128.2‰"),
    ("chronic disease prevalence", "86.0‰ → 130.7‰", "1985 → 1993", "L25", "慢性病患病率从86.0‰提高到130.7‰"),
    ("work days lost to illness", "5.4 → 6.8", "1985 → 1993", "L25", "因病休工天数从5.4天提高到6.8天"),
    ("bed days due to illness", "2.4 → 3.2", "1985 → 1993", "L25", "因病卧床天数从2.4天提高到3.2天"),
    ("WHO health-financing fairness", "4th from last of 191", "2000", "L37", "把中国排在倒数第4位"),
    ("central social security spending", "860 亿 yuan", "2002", "L37", "2002年中央财政共安排社会保障支出860亿元"),
    ("of which not reaching farmers", "668 亿 = 77.7%", "2002", "L37", "上述三项与农民无缘的支出共668亿元,占支出总额的77.7%"),
    ("social security fund deficit", "100多亿 → nearly 400 亿 yuan", "1998 → 2000", "L37", "已由1998年的100多亿元扩大到2000年的近400亿元"),
], columns=["statistic", "as stated", "years", "line", "quote"])
seed = next(iter(sorted((Path.cwd().parent.parent / "shared" / "seeds").glob("003_*.txt"))), None)
if seed is not None:
    lines = seed.read_text(encoding="utf-8").split("\n")
    stats["quote on its line"] = [q in lines[int(line[1:]) - 1] for line, q in zip(stats.line, stats.quote)]
stats

# %% [markdown]
# **The text's arithmetic, recomputed.** "增长了N倍" means grew *by* N times (final = (N + 1) x
# initial, D-23); the three growth claims hold on that reading. The central spending breakdown adds
# up: 46 + 512 + 110 = 668 亿 = 77.7% of 860, and 668 + 96 + 96 = 860.

# %%
growth = pd.DataFrame([("net income", 686.31, 2210.34, 2.2), ("outpatient cost", 10.9, 79, 6.2), ("inpatient cost", 473.3, 2891, 5.1)],
                      columns=["series", "1990", "1999", "stated N"])
growth["computed N (final/initial - 1)"] = (growth["1999"] / growth["1990"] - 1).round(2)
growth["misreading: N x initial"] = (growth["stated N"] * growth["1990"]).round(1)
growth

# %%
pd.Series({"46 + 512 + 110 (亿)": 46 + 512 + 110, "share of 860": round((46 + 512 + 110) / 860, 4),
           "668 + 96 + 96 (亿)": 668 + 96 + 96})

# %% [markdown]
# ## §1 The illness-induced-poverty estimate, with `healthcover.poverty`
#
# 24,149万 rural households x 3.86% poor x 35% impoverished by illness x 4 persons = 1,305.01196万
# persons (the text: 「(24149×3.86%×35%×4=1305.01196)」, "about 13.05 million a year").

# %%
poverty.estimate_steps()

# %%
poverty.sensitivity()[["parameter", "scenario", "value", "estimate", "change"]]

# %%
poverty.tornado_chart(poverty.tornado())

# %%
pd.DataFrame({"caveat": list(poverty.CAVEATS), "text": list(poverty.CAVEATS.values())})

# %% [markdown]
# ## §3 Entitled groups' medical subsidy: every parameter with its citation
#
# Disabled servicemen of grades 1-6 join the employee scheme (their own contribution paid by local
# finance) and get a subsidy whose rate the text leaves blank; the Art. 8 groups in URBMI or NCMS get
# at least 50-80% of the inpatient cost left after the basic scheme and an outpatient lump sum;
# the Art. 9 groups are funded at 8% of the provincial average wage. A bound (`at_least`) is the
# document's floor; a locality may pay more.

# %%
vet = hc.load_scheme("veterans-medical-subsidy")
vet.codes_table()

# %%
hc.parameter_sources(vet)

# %%
groups = [c for c in vet.categories if vet.meta.categories[c].attributes["article"] == "art8"]
floors = pd.DataFrame([{"group": vet.meta.categories[c].en, "zh": vet.meta.categories[c].zh,
                        "floor": vet.value("benefits.inpatient.rate", category=c)} for c in groups])
alt.Chart(floors).mark_bar().encode(
    y=alt.Y("zh:N", sort="-x", title=None), x=alt.X("floor:Q", axis=alt.Axis(format="%"), title="at least this share of the remaining inpatient cost"),
    tooltip=["group", "zh", alt.Tooltip("floor:Q", format=".0%")],
).properties(width=380, height=260, title="Art. 8: minimum subsidy rates on the inpatient cost left after URBMI / NCMS")

# %% [markdown]
# **D-11: what is the 70% a share of?** A grade-8 war-disabled veteran in NCMS: 20,000, of which
# 2,000 outside the catalogue; NCMS paid 9,000. Reading (a), the file's, takes everything left
# (11,000); reading (b) only the in-catalogue part (9,000). Run directly on the remainder:

# %%
left = pd.DataFrame({"person_id": [1], "date": ["2009-03-01"], "care": ["inpatient"], "facility": [""],
                     "cost": [11000.0], "covered_cost": [9000.0], "category": ["war_disabled_7_10"]})
pd.DataFrame([
    {"reading": opt, "document": doc,
     "library": hc.load_scheme("veterans-medical-subsidy", overrides={"readings.inpatient_base": opt}).adjudicate(
         left if opt == "covered_remainder" else left.drop(columns="covered_cost"))["fund_paid"].item()}
    for opt, doc in (("remainder", 7700), ("covered_remainder", 6300))
])

# %% [markdown]
# **Composed with a basic scheme.** `compose(basic, secondary)` runs the basic scheme, then the
# subsidy on what it leaves. With Dazu's tier 2 (seed 004 §4) as the basic scheme, E01's county
# admission of 10,000 (Dazu pays 4,900) for each Art. 8 group:

# %%
dazu = hc.load_scheme("dazu-resident", "tier2")
persons = pd.DataFrame({"person_id": range(len(groups)), "category": "adult", "secondary_category": groups})
claims = pd.DataFrame({"person_id": range(len(groups)), "date": "2024-03-01", "care": "inpatient",
                       "facility": "county", "cost": 10000.0})
both = compose(dazu, vet).adjudicate(claims, persons)
composed = both.assign(group=groups)[["group", "fund_paid", "secondary_paid", "oop"]]
composed

# %%
alt.Chart(composed.melt("group", ["fund_paid", "secondary_paid", "oop"], var_name="payer", value_name="CNY")).mark_bar().encode(
    y=alt.Y("group:N", title=None, sort=groups), x=alt.X("CNY:Q", stack=True, title="an admission of 10,000 (CNY)"),
    color=alt.Color("payer:N", sort=["fund_paid", "secondary_paid", "oop"],
                    scale=alt.Scale(range=["#4c78a8", "#54a24b", "#f58518"])),
).properties(width=420, height=260, title="Dazu tier 2, then the entitled groups' subsidy")

# %% [markdown]
# **E19.** Red Army funding is 8% of the previous year's provincial average wage (*assumed*
# 30,000): 2,400 a head, 36,000 for 15 people. The outpatient lump sum of a martyr's survivor with
# an annual pension of 6,000 (*assumed*) is at least 600 a year (D-12: on the annual amount).

# %%
red = pd.DataFrame({"person_id": range(red_army_people), "category": "red_army_dispersed", "average_wage": average_wage})
survivor = pd.DataFrame({"person_id": [1], "category": ["martyr_survivor"], "pension_annual": [pension_annual]})
pd.DataFrame([
    ("Red Army funding per head", 2400, red_army_funding(red).iloc[0]),
    (f"Red Army funding, {red_army_people} people", 36000, red_army_funding(red).sum()),
    ("outpatient lump sum a year", 600, outpatient_allowance(survivor).iloc[0]),
], columns=["E19", "document (with the assumed inputs)", "library"])

# %% [markdown]
# The lump sum in use: 包干使用,超支不补,结余转下年度使用 (a lump sum, no top-up when overspent, the
# rest carried forward). Dazu's chronic outpatient benefit (50%, at most 700 a year) first, then
# the lump sum of 600 a year on what is left; nothing is spent in 2025, so 2026 has 1,200.

# %%
lump = pd.DataFrame({"person_id": 1, "care": "chronic_outpatient", "facility": "county",
                     "date": ["2024-02-01", "2024-03-01", "2024-06-01", "2026-05-01"],
                     "cost": [1400.0, 400.0, 500.0, 2000.0]})
who = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                    "pension_annual": [pension_annual]})
compose(dazu, vet).adjudicate(lump, who)[["fund_paid", "basic_oop", "secondary_paid", "secondary_reason", "oop"]].assign(date=lump.date)

# %% [markdown]
# **Each person's lump sum is their own.** The credits run from the person's own entitlement
# (`entitled_from`, a persons column; without it, the year of the person's own first claim), never
# from other people's claims: the same survivor entitled from March 2025 gets nothing in 2024, and
# 600 a year from 2025 on; adjudicated alone or beside another survivor whose claims start in 2020,
# the results are the same (`tests/test_independence.py` checks this for every scheme).

# %%
entitled = who.assign(entitled_from="2025-03-01")
other = pd.DataFrame({"person_id": [2], "category": ["adult"], "secondary_category": ["martyr_survivor"],
                      "pension_annual": [pension_annual]})
early = pd.DataFrame({"person_id": 2, "care": "chronic_outpatient", "facility": "county",
                      "date": ["2020-02-01"], "cost": [300.0]})
both_people = compose(dazu, vet).adjudicate(pd.concat([lump, early], ignore_index=True), pd.concat([entitled, other]))
alone = compose(dazu, vet).adjudicate(lump, entitled)
pd.DataFrame({"date": lump.date, "alone": alone.secondary_paid.to_numpy(),
              "beside another survivor": both_people.secondary_paid.iloc[:len(lump)].to_numpy()})

# %% [markdown]
# **Several identities (Art. 21): one benefit, the highest.** A war-disabled veteran (at least 70%)
# who is also a martyr's survivor (at least 80%) gets the survivor's benefit:

# %%
two_ids = pd.DataFrame({"person_id": [1], "category": ["adult"], "secondary_category": ["war_disabled_7_10"],
                        "secondary_identities": ["martyr_survivor"]})
compose(dazu, vet).adjudicate(claims.head(1).assign(person_id=1), two_ids)[["fund_paid", "secondary_category", "secondary_paid", "oop"]]

# %% [markdown]
# **Readings and gaps.** The grades 1-6 rate is blank: composing with an employee scheme raises,
# naming the parameter, until a rate is assumed.

# %%
pd.DataFrame([{"reading": k, "question": r.question, "used": r.used, "options": " | ".join(r.options)}
              for k, r in vet.meta.readings.items()])

# %%
pd.DataFrame({"gap": vet.meta.gaps})

# %%
try:
    vet.value("benefits.inpatient.rate", category="disabled_1_6")
except hc.HealthcoverError as err:
    print(err)

# %% [markdown]
# ## §4 Zhejiang's pilot guidance: the minimum standards
#
# A guideline, not a scheme: minors' financing at least 80 yuan a year; government subsidies at
# least one third of the financing level (per person, D-26 (a); in aggregate selectable); a pooled
# fund only, no personal accounts; the government pays the individual part of disabled people
# unable to work and of dibao recipients; benefits not below the local NCMS, financing for a level
# not above the employee scheme.

# %%
zj = hc.load_scheme("zhejiang-resident-pilot")
hc.parameter_sources(zj)

# %% [markdown]
# **Checking designs against it.** `check_design` reads the standards from the file. Two designs
# from the other documents, for illustration only (they are not Zhejiang's): Dazu's tier 1 keeps
# 50 yuan of the urban special subsidy on an account and has urban dibao adults pay 10; Jilin's
# county scheme has dibao and severely disabled adults pay 38. No NCMS or employee scheme of the
# same place is in the library, so the benefit comparisons are listed as not checked.

# %%
dazu_t1 = hc.load_scheme("dazu-resident", "tier1", overrides={"contributions.subsidy_special_level": "local"})
dazu_check = check_design(dazu_t1, groups={"urban_special": "dibao", "rural_dibao": "dibao", "rural_wubao": "dibao",
                                           "urban_special_minor": "minor", "rural_dibao_minor": "minor",
                                           "rural_wubao_minor": "minor", "nonlocal_minor": "minor"})
dazu_check

# %%
jilin = hc.load_scheme("jilin-resident-2008", "county")
jilin_check = check_design(jilin, groups={"student": "minor", "dibao_student": "minor", "dibao": "dibao",
                                          "severely_disabled": "disabled", "low_income_elderly": "elderly",
                                          "adult": "other"})
pd.concat({"Dazu tier 1": dazu_check, "Jilin county": jilin_check}).groupby(level=0).passes.value_counts(dropna=False).unstack(fill_value=0)

# %%
agg = check_design(dazu_t1, overrides={"readings.subsidy_floor_basis": "aggregate"})
agg[agg.rule == "subsidy_share_floor"]

# %%
pd.DataFrame({"gap": zj.meta.gaps})

# %% [markdown]
# ## §5 Xiangzhou: financing, free minor-illness treatment, medical assistance

# %%
xz = hc.load_scheme("xiangzhou-resident")
hc.parameter_sources(xz)

# %% [markdown]
# **Financing.** 400 yuan a year for general members and 175 for special groups, from fixed
# individual contributions and fixed city and district subsidies; the split is not stated (G-10),
# so the library refuses to guess it. The totals the document does fix are computed with
# `missing="nan"` (the split stays NaN). With an *assumed* individual part of 150 (special groups 0)
# the city and district pay the rest:

# %%
members = pd.DataFrame({"person_id": [1, 2], "category": ["general", "special"]})
try:
    xz.contributions(members)
except hc.HealthcoverError as err:
    print(err)

# %%
xz.contributions(members, missing="nan")[["total", "individual", "subsidy_local", "subsidy_total", "pooled_fund"]].set_index(members.category)

# %%
assumed = hc.load_scheme("xiangzhou-resident", overrides={"contributions.individual.general": 150,
                                                          "contributions.individual.special": 0,
                                                          "contributions.subsidy_local": "residual"})
assumed.contributions(members)[["total", "individual", "subsidy_local", "pooled_fund"]].set_index(members.category)

# %% [markdown]
# **Coverage target and the free minor-illness pilot.** Coverage at least 90% by 2010; the listed
# items are free at the 4 pilot communities' services (not elsewhere); the resident insurance's
# benefit rules are the city's, not in this text:

# %%
visit = pd.DataFrame({"person_id": [1, 1, 1], "date": "2008-12-15", "care": ["minor_illness", "minor_illness", "inpatient"],
                      "facility": ["pilot_community", "other", "other"], "cost": [35.0, 35.0, 8000.0], "category": "general"})
print("coverage target:", xz.leaf("parameters.coverage_target").permitted(), "by 2010")
xz.adjudicate(visit.head(2))

# %%
try:
    xz.adjudicate(visit.tail(1))
except hc.HealthcoverError as err:
    print(err)

# %% [markdown]
# **Medical-assistance approval (D-13).** From 15,000 a year (inclusive) the district approves;
# above 20,000 or from 30,000, "depending on the target group", the city decides. Which group has
# which threshold is not stated; both are shown. Between 20,000 and 30,000 the route depends on
# it (the digest's 25,000: city under "above 20,000", district under "from 30,000"); below 15,000
# the approver is not stated.

# %%
amounts = np.arange(0, max_amount + 500, 500, dtype=float)
routes = pd.concat([assistance_route(amounts, group_threshold=g) for g in ("lower", "upper")], ignore_index=True)
routes[routes.amount.isin([14_500, 15_000, 20_000, 25_000, 30_000])][["group_threshold", "amount", "route", "reviewer", "approver"]]

# %%
try:
    assistance_route([25_000])
except hc.HealthcoverError as err:
    print(err)

# %%
alt.Chart(routes).mark_rect().encode(
    x=alt.X("amount:Q", bin=alt.Bin(step=500), title="annual cumulative assistance (CNY)"),
    y=alt.Y("group_threshold:N", title="target group's threshold", sort=["lower", "upper"],
            axis=alt.Axis(labelExpr="datum.value == 'lower' ? '超过20000元' : '30000元以上'")),
    color=alt.Color("route:N", sort=["not_stated", "district", "city"],
                    scale=alt.Scale(domain=["not_stated", "district", "city"], range=["#d9d9d9", "#9ecae1", "#3182bd"])),
    tooltip=["amount", "route", "approver"],
).properties(width=520, height=90, title="Xiangzhou: who approves medical assistance (D-13)")

# %% [markdown]
# **The migrant workers' assistance fund**: 20 yuan a year per migrant worker insured in the
# major-disease or basic schemes; for 100,000 such workers (*assumed*):

# %%
pd.Series({"migrants (assumed)": migrants, "per head (L281)": xz.value("parameters.assistance.migrant_fund_per_head"),
           "fund a year": migrant_assistance_fund(migrants)})

# %%
pd.DataFrame({"gap": xz.meta.gaps})
