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
# # Fund solvency: the exact distribution of a fund's payments and its reserves over ten years
#
# Every document asks the pooled fund to "set spending by income, balance, and keep a small
# surplus" (以收定支、收支平衡、略有结余) and to hold risk reserves. The average cost alone does
# not say how often the fund runs short. This notebook computes, with `healthcover.actuarial`:
#
# 1. a **county fund under Dazu tier 2** (seed 004 §4 [@seed004]): the fund's payment per admission, the
#    exact distribution of the year's payments, the probability of a deficit against income, and
#    the contribution that brings that probability under 5%;
# 2. a **city fund under Jilin 2008** (seed 001 [@seed001]), by facility level, with the same questions and
#    the reimbursement rate that balances income within the document's permitted range;
# 3. **ten-year projections** of both funds under their documents' reserve rules (Dazu: 5% + 5%
#    reserves, the 15% stop, surplus halves and 40/60 overspend sharing; Jilin: 2-5% a year until
#    15% of income), deterministic and with annual payments drawn from the exact distribution.
#
# The distributions are exact: the characteristic function of the payment per claim is integrated
# through the scheme's benefit formula and inverted as a Fourier series (errors about 1e-12, no
# sampling) [@klugman2019, ch. 9; @fang2008; @embrechts2009], cross-checked by Panjer's
# recursion [@panjer1981] on a lattice of mean-preserving discretised payments [@gerber1982]. Claim counts and costs are **assumptions** set in the next cell, not figures from
# the documents; the benefit rules and the fund rules come from the scheme files.

# %% tags=["parameters"]
county_members = 80_000  # insured in the county fund (assumption)
county_admissions = 8_000  # inpatient admissions a year at the county hospital (assumption)
county_cost_mean = 3_000.0  # mean eligible cost per admission, CNY (assumption)
county_cost_cv = 1.5  # coefficient of variation of the cost (assumption)
city_members = 1_000_000  # insured adults in the city fund (assumption)
city_admission_rate = 0.08  # admissions per insured a year (assumption)
deficit_target = 0.05  # the probability of a deficit the fund accepts
years = 10
n_paths = 2_000  # simulated years per projection year (draws from the exact distribution)
seed = 2026
member_growth = 0.01  # a year (assumption)
claims_inflation = 0.04  # growth of the cost per admission a year (assumption)
ageing = 0.01  # growth of admissions per insured a year from ageing (assumption)
subsidy_growth = 0.10  # growth of the government subsidies a year (assumption)
individual_growth = 0.05  # growth of the individual contribution a year (assumption)
demand_rate = 0.0035  # demand-deposit rate for the year's income (assumption; seed 000 rule)
carried_rate = 0.0275  # 3-year deposit rate for balances carried over (assumption; seed 000 rule)

# %%
import pandas as pd

import healthcover as hc

act = hc.actuarial
pd.set_option("display.float_format", lambda v: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}")

# %% [markdown]
# ## 1. A county fund under Dazu tier 2
#
# An adult admitted to the county hospital: deductible 200 yuan, 50% of the rest, and the annual
# limit of 60,000 yuan applied per admission (exact for one admission a year, a prudent upper
# bound otherwise). The fund pays `min(max(x - 200, 0) x 0.5, 60,000)` for a cost `x`.

# %%
dazu = hc.load_scheme("dazu-resident", variant="tier2")
county_benefit = act.Benefit.from_scheme(dazu, "inpatient", facility="county", category="adult")
county_cost = act.Lognormal.from_mean_cv(county_cost_mean, county_cost_cv)
county = act.ClaimModel.single(act.Poisson(county_admissions), county_cost, county_benefit,
                               care="inpatient", facility="county", category="adult")
print(county_benefit)
county.table()

# %% [markdown]
# The payment per admission has an atom at 0 (costs under the deductible) and one at the cap:

# %%
pay = county.lines[0].payment
pd.Series({"P(payment = 0)": float(pay.cdf(0.0)), "P(payment = 60,000)": float(pay.sf(59_999.99)),
           "mean payment": pay.mean, "sd payment": pay.variance ** 0.5})

# %%
act.payment_chart(pay, title="Dazu tier 2, county hospital: fund payment per admission")

# %% [markdown]
# **Income.** Each insured pays into the fund the tier-2 standard of 200 yuan (120 individual, 40
# central, 30 municipal, 10 county); 40 of it is the household outpatient account and 10% of the
# fund goes to the risk fund (Art. 26(二)), so the inpatient pool has `(200 - 40) x 0.9` per insured.

# %%
persons = pd.DataFrame({"person_id": [1], "category": ["adult"]})
dazu_pp = dazu.contributions(persons).iloc[0]
dazu_rules = act.FundRules.from_scheme(dazu, demand_rate=demand_rate, carried_rate=carried_rate)
inpatient_share = (dazu_pp["pooled_fund"] - dazu_pp["outpatient_account"]) / dazu_pp["pooled_fund"]
county_income = county_members * dazu_pp["pooled_fund"] * inpatient_share * (
    1 - dazu_rules.catastrophe_reserve_share - dazu_rules.risk_reserve_share)
county_S = act.aggregate_loss(county)
county_S.summary(income=county_income)

# %%
act.aggregate_chart(county_S, income=county_income, title="County fund: annual payments S")

# %%
act.deficit_chart(county_S, target=deficit_target, title="County fund: P(payments > income)")

# %% [markdown]
# **The contribution that keeps P(deficit) under 5%**, per insured and into the inpatient pool,
# and the same grossed up to the whole tier-2 standard (outpatient account and risk fund on top);
# with the individual part fixed at 120 yuan the rest is the subsidy the fund needs.

# %%
need = act.required_contribution(county, county_members, deficit_target)
gross = need["contribution"] / inpatient_share / (1 - dazu_rules.catastrophe_reserve_share
                                                  - dazu_rules.risk_reserve_share)
pd.concat([need, pd.Series({"standard needed (gross)": gross, "standard now": dazu_pp["pooled_fund"],
                            "subsidy needed": gross - dazu_pp["individual"],
                            "subsidy now": dazu_pp["subsidy_total"]})])

# %% [markdown]
# ## 2. A city fund under Jilin 2008, by facility level
#
# Admissions spread over the four levels of the scheme file; each level's benefit (deductible,
# rate, the 45,000-yuan ceiling on the cost counted, applied per admission) comes from the file's
# defaults. Mean costs by level are assumptions.

# %%
jilin = hc.load_scheme("jilin-resident-2008", variant="city")
mix = pd.DataFrame({
    "facility": ["community", "county", "city", "province"],
    "share_of_admissions": [0.20, 0.30, 0.35, 0.15],  # assumption
    "mean_cost": [2_000.0, 4_000.0, 7_000.0, 12_000.0],  # assumption
    "cv": [1.2, 1.3, 1.3, 1.4],  # assumption
})
city_lines = [
    act.ClaimLine(act.Poisson(city_members * city_admission_rate * r.share_of_admissions),
                  act.Lognormal.from_mean_cv(r.mean_cost, r.cv),
                  act.Benefit.from_scheme(jilin, "inpatient", facility=r.facility, category="adult"),
                  care="inpatient", facility=r.facility, category="adult")
    for r in mix.itertuples()
]
city = act.ClaimModel(city_lines)
city.table()

# %%
jilin_pp = jilin.contributions(persons).iloc[0]
city_income = city_members * jilin_pp["pooled_fund"]
city_S = act.aggregate_loss(city)
city_S.summary(income=city_income)

# %%
act.aggregate_chart(city_S, income=city_income, title="City fund: annual payments S")

# %%
act.required_contribution(city, city_members, deficit_target, individual=jilin_pp["individual"])

# %% [markdown]
# **Inverse design.** Jilin leaves each pooling area a rate between 30% and 70% (001 (五)3). The
# rate at every level, moved together, that leaves a 5% expected surplus on this income, found
# within the permitted range read from the scheme file:

# %%
lo, hi = act.permitted_range(jilin, "benefits.inpatient.rate", facility="city", category="adult")


def city_with_rate(rate):
    return city.with_benefit(lambda line: line.benefit.replace(rate=rate))


design = act.design_benefit(city, city_with_rate, income=city_income, bounds=(lo, hi), margin=0.05)
design.as_series()

# %% [markdown]
# ## 3. Ten years under the reserve rules
#
# Members grow, the membership ages, costs inflate and subsidies grow (assumptions above);
# contributions stay as the documents set them. Interest follows the Liaoning rule (seed 000:
# the year's income at the demand rate, balances carried over at the 3-year rate) with assumed
# rates, since neither resident document states one.
#
# **County fund, Dazu rules** (Art. 26): 5% to the major-disease reserve and 5% to the risk
# reserve each year, the latter stopping once it exceeds 15% of the year's income (D-17 reading
# (a)); half of a surplus to the risk fund, half to next year's pool; an overspend 40% on the
# county centre (from the risk fund) and 60% on the designated hospitals (D-18 reading (a)).

# %%
county_levels = {
    "individual": dazu_pp["individual"] * inpatient_share,
    "central": dazu_pp["subsidy_central"] * inpatient_share,
    "provincial": dazu_pp["subsidy_provincial"] * inpatient_share,
    "local": dazu_pp["subsidy_local"] * inpatient_share,
}
subsidy_paths = {"individual": individual_growth,
                 **{k: subsidy_growth for k in ("central", "provincial", "local")}}
county_kw = dict(years=years, members=county_members, contributions=county_levels,
                 contribution_growth=subsidy_paths, member_growth=member_growth, ageing=ageing,
                 claims_inflation=claims_inflation)
county_det = act.project_fund(county, dazu_rules, **county_kw)
county_det.table()[["income", "claims", "catastrophe_draw", "risk_draw", "surplus", "to_risk_fund",
                    "deficit", "from_reserves", "facilities", "pool", "risk_reserve",
                    "catastrophe_reserve"]]

# %%
county_sto = act.project_fund(county, dazu_rules, stochastic=True, n_paths=n_paths, seed=seed, **county_kw)
county_sto.risk()

# %%
county_sto.chart("balance", title="County fund: pool and reserves (5-95% and 25-75% bands, median)")

# %% [markdown]
# **City fund, Jilin rules** (001 (七)2): each year 5% of the pooled income (the file's default
# within 2-5%) from the year's surplus into a risk reserve kept at 15% of the year's income; a
# deficit is met from the carried pool, then the reserve, then by the government (unfunded).

# %%
jilin_rules = act.FundRules.from_scheme(jilin, demand_rate=demand_rate, carried_rate=carried_rate)
city_levels = {"individual": jilin_pp["individual"], "central": jilin_pp["subsidy_central"],
               "provincial": jilin_pp["subsidy_provincial"], "local": jilin_pp["subsidy_local"]}
city_kw = dict(years=years, members=city_members, contributions=city_levels,
               contribution_growth=subsidy_paths, member_growth=member_growth, ageing=ageing,
               claims_inflation=claims_inflation)
city_det = act.project_fund(city, jilin_rules, **city_kw)
city_det.table()[["income", "interest", "claims", "risk_draw", "surplus", "deficit", "from_pool",
                  "from_reserves", "unfunded", "pool", "risk_reserve"]]

# %%
city_sto = act.project_fund(city, jilin_rules, stochastic=True, n_paths=n_paths, seed=seed, **city_kw)
city_sto.risk()

# %%
city_sto.chart("balance", title="City fund: pool and risk reserve (5-95% and 25-75% bands, median)")

# %% [markdown]
# **Reading the results.** The exact distributions show how thin a county pool is: the
# standard deviation of a year's payments is about 2% of their mean, so a few per cent of
# income separate a comfortable surplus from a deficit in most years. The projections show what
# the documents' rules do with that: Dazu's set-asides build reserves whatever the year brings
# and push overspends onto hospitals, while Jilin's reserve fills only from surpluses and stops
# at 15% of income. Change the assumptions in the first cell (or run the notebook with
# papermill) to test other funds.
