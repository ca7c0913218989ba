"""Contributions, benefit design and the fund projection: the documents' reserve, surplus,
overspend and interest rules against hand-computed multi-year examples (DIGEST E10, E15,
D-17, D-18; seed 000 interest rules)."""
from __future__ import annotations

import numpy as np
import pytest

import healthcover as hc
import healthcover.actuarial as act

M = 1e6


def constant(rules, claims, years, income=20 * M, **kw):
    return act.project_fund(None, rules, years=years, members=1, contributions={"pooled": income},
                            claims=[claims] * years, **kw).table()


# --- Jilin risk reserve (seed 001 (七)2; DIGEST 001-35, 001-36, E15) ----------------------------
def test_e15_jilin_reserve_at_5_percent():
    t = constant(act.FundRules.jilin(0.05), claims=18 * M, years=5)
    assert list(t["risk_reserve"] / M) == pytest.approx([1.0, 2.0, 3.0, 3.0, 3.0])
    assert list(t["risk_draw"] / M) == pytest.approx([1.0, 1.0, 1.0, 0.0, 0.0])


def test_e15_jilin_reserve_at_2_percent_tops_up_in_year_8():
    t = constant(act.FundRules.jilin(0.02), claims=18 * M, years=10)
    assert t.loc[7, "risk_reserve"] == pytest.approx(2.8 * M)
    assert t.loc[8, "risk_draw"] == pytest.approx(0.2 * M)       # only what reaches 15%
    assert t.loc[8, "risk_reserve"] == pytest.approx(3.0 * M)
    assert t.loc[9, "risk_draw"] == 0.0 and t.loc[10, "risk_draw"] == 0.0


def test_jilin_draw_comes_only_from_the_years_surplus():
    t = constant(act.FundRules.jilin(0.05), claims=19.6 * M, years=2)   # surplus 0.4m < 1m
    assert list(t["risk_draw"] / M) == pytest.approx([0.4, 0.4])
    assert list(t["pool"]) == pytest.approx([0.0, 0.0])


def test_jilin_draw_range_is_checked():
    with pytest.raises(hc.HealthcoverError, match=r"reserve_draw = 0.06 is outside the allowed range \[0.02, 0.05\]"):
        act.FundRules.jilin(0.06)
    assert act.FundRules.jilin(0.06, allow_out_of_range=True).reserve_draw == 0.06


# --- Dazu risk fund (seed 004 Art. 26(二); DIGEST 004.4-45, D-17) ----------------------------
def test_d17_reading_a_exceeds():
    # claims leave no surplus after the 10% set-aside, as in D-17's example
    t = constant(act.FundRules.dazu(), claims=18 * M, years=6)
    assert list(t["risk_reserve"] / M)[:4] == pytest.approx([1, 2, 3, 4])   # 3m equals 15%: drawn again
    assert t.loc[5, "risk_draw"] == 0.0
    assert list(t["catastrophe_reserve"] / M) == pytest.approx([1, 2, 3, 4, 5, 6])  # no cap stated


def test_d17_reaches_reading():
    t = constant(act.FundRules.dazu(cap_rule="reaches"), claims=18 * M, years=5)
    assert list(t["risk_draw"] / M) == pytest.approx([1, 1, 1, 0, 0])


# --- Dazu surplus and overspend (004.4-47, -48, -50; E10, D-18) --------------------------------
def test_e10_surplus_half_to_risk_fund_half_to_next_year():
    # income 20m, set-asides 2m, claims 17.7m: surplus 300,000
    t = constant(act.FundRules.dazu(), claims=17.7 * M, years=1)
    assert t.loc[1, "surplus"] == pytest.approx(300_000)
    assert t.loc[1, "to_risk_fund"] == pytest.approx(150_000)
    assert t.loc[1, "pool"] == pytest.approx(150_000)
    assert t.loc[1, "risk_reserve"] == pytest.approx(1 * M + 150_000)


def test_e10_township_overspend():
    d = act.share_overspend(100_000, level="township")
    assert (d["government"], d["facilities"]) == (40_000, 60_000)
    t = constant(act.FundRules.dazu(overspend="township"), claims=18.1 * M, years=1)
    assert (t.loc[1, "government"], t.loc[1, "facilities"]) == pytest.approx((40_000, 60_000))


@pytest.mark.parametrize("reading, centre, facilities", [("a", 300_000, 700_000), ("b", 0, 1_000_000)])
def test_d18_overspend_beyond_the_risk_fund(reading, centre, facilities):
    rules = act.FundRules.dazu(overspend_reading=reading)
    d = act.share_overspend(1_000_000, level="county", risk_fund=300_000, rules=rules)
    assert (d["centre"], d["facilities"]) == (centre, facilities)
    # the same inside a projection: no set-aside this year (the reserve is already above 15% of
    # income 1m, and no catastrophe share), risk fund 300,000, overspend 1m
    rules = rules.replace(catastrophe_reserve_share=0.0)
    t = act.project_fund(None, rules, years=1, members=1, contributions={"pooled": 1 * M},
                         claims=[2 * M], opening_risk_reserve=300_000).table()
    assert t.loc[1, "deficit"] == pytest.approx(1 * M)
    assert (t.loc[1, "from_reserves"], t.loc[1, "facilities"]) == pytest.approx((centre, facilities))
    assert t.loc[1, "risk_reserve"] == pytest.approx(300_000 - centre)


def test_d18_within_the_risk_fund_is_40_60():
    d = act.share_overspend(500_000, risk_fund=300_000)
    assert (d["centre"], d["facilities"]) == (200_000, 300_000)


# --- Liaoning interest (seed 000 II(5)6; DIGEST 000-27..29) -------------------------------------
def test_liaoning_interest_rule():
    rules = act.FundRules(demand_rate=0.0035, carried_rate=0.0275)
    t = constant(rules, claims=900, years=2, income=1000)
    # year 1: income 1000 at 0.35% = 3.5; nothing carried. Pool 1000 + 3.5 - 900 = 103.5
    assert t.loc[1, "interest"] == pytest.approx(3.5)
    assert t.loc[1, "pool"] == pytest.approx(103.5)
    # year 2: 3.5 on the new income + 103.5 at 2.75% carried
    assert t.loc[2, "interest"] == pytest.approx(3.5 + 103.5 * 0.0275)
    assert t.loc[2, "pool"] == pytest.approx(103.5 + 1000 + 3.5 + 103.5 * 0.0275 - 900)


def test_rules_from_schemes():
    dz = act.FundRules.from_scheme(hc.load_scheme("dazu-resident"))
    assert (dz.reserve, dz.risk_reserve_cap, dz.surplus_to_risk_fund, dz.cap_rule, dz.overspend_reading) == \
        ("dazu", 0.15, 0.5, "exceeds", "a")
    dz_b = act.FundRules.from_scheme(hc.load_scheme(
        "dazu-resident", overrides={"readings.overspend_beyond_risk_fund": "all_to_facilities",
                                    "readings.risk_fund_base": "annual_income_reaches"}))
    assert (dz_b.overspend_reading, dz_b.cap_rule) == ("b", "reaches")
    jl = act.FundRules.from_scheme(hc.load_scheme("jilin-resident-2008"), demand_rate=0.0035)
    assert (jl.reserve, jl.reserve_draw, jl.reserve_target, jl.demand_rate) == ("jilin", 0.05, 0.15, 0.0035)


# --- model-driven projections ------------------------------------------------------------------
def _county_model():
    return act.ClaimModel.single(act.Poisson(8000), act.Lognormal.from_mean_cv(3000, 1.5),
                                 act.Benefit(200, 0.5, limit=60_000))


def test_deterministic_projection_uses_exact_expected_claims():
    m = _county_model()
    p = act.project_fund(m, act.FundRules.dazu(), years=3, members=100_000,
                         contributions={"individual": 60, "central": 40, "provincial": 30, "local": 10},
                         contribution_growth={"central": 0.1}, member_growth=0.01, claims_inflation=0.05)
    t = p.table()
    assert t.loc[1, "claims"] == pytest.approx(m.mean)
    assert t.loc[2, "claims"] == pytest.approx(m.scaled(frequency=1.01, severity=1.05).mean)
    assert t.loc[2, "income"] == pytest.approx(101_000 * (60 + 44 + 30 + 10))
    assert p.income_by_level.loc[3, "central"] == pytest.approx(102_010 * 40 * 1.1 ** 2)


def test_stochastic_projection_is_seeded_and_fans():
    m = _county_model()
    kw = dict(years=4, members=100_000, contributions={"pooled": 118}, stochastic=True, n_paths=500, seed=9)
    p1 = act.project_fund(m, act.FundRules.jilin(0.05), **kw)
    p2 = act.project_fund(m, act.FundRules.jilin(0.05), **kw)
    np.testing.assert_array_equal(p1.data["balance"], p2.data["balance"])
    fan = p1.fan("balance")
    assert list(fan.columns) == ["year", "mean", "q05", "q25", "q50", "q75", "q95"]
    assert (fan["q05"] <= fan["q50"]).all() and (fan["q50"] <= fan["q95"]).all()
    claims = p1.data["claims"][:, 0]
    assert abs(claims.mean() - m.mean) < 5 * m.sd / np.sqrt(claims.size)
    risk = p1.risk()
    assert ((risk["P(deficit)"] >= 0) & (risk["P(deficit)"] <= 1)).all()
    chart = p1.chart("balance").to_dict()
    assert "layer" in chart


def test_projection_rejects_bad_inputs():
    with pytest.raises(hc.HealthcoverError, match=r"contribution_growth names level\(s\) subsidy"):
        act.project_fund(_county_model(), act.FundRules(), members=10, contributions={"pooled": 100},
                         contribution_growth={"subsidy": 0.1})
    with pytest.raises(hc.HealthcoverError, match=r"contributions\['pooled'\] = -5 is not allowed"):
        act.project_fund(_county_model(), act.FundRules(), members=10, contributions={"pooled": -5})
    with pytest.raises(hc.HealthcoverError, match=r"FundRules: demand_rate = -0.01 is outside the allowed range"):
        act.FundRules(demand_rate=-0.01)
    with pytest.raises(hc.HealthcoverError, match=r"cap_rule = 'equals' is not allowed; allowed: exceeds, reaches"):
        act.FundRules.dazu(cap_rule="equals")


# --- contributions and design -----------------------------------------------------------------
def test_premiums_and_required_contribution():
    m = _county_model()
    assert act.pure_premium(m, 100_000) == pytest.approx(m.mean / 100_000)
    assert act.loaded_premium(m, 100_000, loading=0.1, expense=2) == pytest.approx(1.1 * m.mean / 100_000 + 2)
    r = act.required_contribution(m, 100_000, target=0.05, individual=60)
    assert r["P(deficit)"] == pytest.approx(0.05, abs=1e-10)
    assert r["subsidy"] == pytest.approx(r["contribution"] - 60)
    assert r["contribution"] > r["pure_premium"]


def test_design_rate_for_a_margin_and_deductible_for_a_deficit_target():
    m = _county_model()
    income = 1.02 * m.mean
    d = act.design_benefit(m, "rate", income=income, bounds=(0.3, 0.7), margin=0.05)
    assert d.model.mean == pytest.approx(0.95 * income, rel=1e-10)
    assert 0.3 <= d.value <= 0.7
    d2 = act.design_benefit(m, "deductible", income=income, bounds=(0, 2000), deficit_target=0.05)
    assert d2.prob_deficit == pytest.approx(0.05, abs=1e-8)


def test_design_respects_the_permitted_range_from_a_scheme():
    s = hc.load_scheme("jilin-resident-2008", variant="city")
    lo, hi = act.permitted_range(s, "benefits.inpatient.rate", facility="city", category="adult")
    assert (lo, hi) == (0.3, 0.7)
    m = act.ClaimModel.single(act.Poisson(8000), act.Lognormal.from_mean_cv(6000, 1.5),
                              act.Benefit.from_scheme(s, "inpatient", facility="city", category="adult"))
    with pytest.raises(hc.HealthcoverError, match=r"no rate in the permitted range \[0.3, 0.7\] meets .* rate = 0.7 gives"):
        act.design_benefit(m, "rate", income=3 * m.mean, bounds=(lo, hi), margin=0.05)
    with pytest.raises(hc.HealthcoverError, match=r"fixed by the document at 0.15"):
        act.permitted_range(s, "fund.risk_reserve_target")


def test_sweep_is_monotone_in_the_deductible():
    m = _county_model()
    df = act.sweep(m, "deductible", np.linspace(0, 1000, 21), income=1.02 * m.mean, progress=False)
    assert (np.diff(df["mean"]) < 0).all() and (np.diff(df["VaR 99.5%"]) < 0).all()
    assert (np.diff(df["P(S > income)"]) <= 1e-12).all()
    assert (df["TVaR 99.5%"] > df["VaR 99.5%"]).all()
