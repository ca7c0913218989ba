"""Bad arguments to the actuarial API give one-sentence HealthcoverErrors (issue 11, item 5):
strings, NaN, inf, negatives, True/False, zero steps, wrong types; never a raw exception."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import healthcover as hc
import healthcover.actuarial as act

LOGN = act.Lognormal.from_mean_cv(3000, 1.5)
BEN = act.Benefit(200, 0.5, limit=60_000)
MODEL = act.ClaimModel.single(act.Poisson(50), LOGN, BEN)
RULES = act.FundRules.dazu()
FUND = dict(members=1_000, contributions={"individual": 300.0})
BAD = ["x", float("nan"), float("inf"), -float("inf"), -1.0, 0.0, True, None, [1, 2], 1e300]


@pytest.fixture(scope="module")
def dazu():
    return hc.load_scheme("dazu-resident", variant="tier2")


@pytest.fixture(scope="module")
def claims():
    rng = np.random.default_rng(1)
    return pd.DataFrame({"person_id": np.arange(60) % 40, "care": "inpatient", "facility": "county",
                         "cost": LOGN.sample(60, rng)})


S = act.aggregate_loss(MODEL)

# one entry per argument: a call taking the bad value
CALLS = {
    "Benefit.deductible": lambda v: act.Benefit(deductible=v),
    "Benefit.rate": lambda v: act.Benefit(rate=v),
    "Benefit.limit": lambda v: act.Benefit(limit=v),
    "Benefit.cost_limit": lambda v: act.Benefit(cost_limit=v),
    "Benefit.bands": lambda v: act.Benefit(bands=v),
    "Benefit.bands.upper": lambda v: act.Benefit(bands=[(v, 0.5)]),
    "Benefit.bands.rate": lambda v: act.Benefit(bands=[(1000, v)]),
    "Benefit.pay": lambda v: BEN.pay(v),
    "Payment.severity": lambda v: act.Payment(v, BEN),
    "Lognormal.mu": lambda v: act.Lognormal(v, 1.0),
    "Lognormal.sigma": lambda v: act.Lognormal(7.0, v),
    "Lognormal.from_mean_cv": lambda v: act.Lognormal.from_mean_cv(3000, v),
    "Gamma.shape": lambda v: act.Gamma(v, 100.0),
    "Gamma.scale": lambda v: act.Gamma(2.0, v),
    "Pareto.alpha": lambda v: act.Pareto(v, 100.0),
    "Pareto.scale": lambda v: act.Pareto(3.0, v),
    "Mixture.weights": lambda v: act.Mixture([LOGN, LOGN], [v, 0.5]),
    "Mixture.components": lambda v: act.Mixture(v, [1.0]),
    "Truncated.upper": lambda v: act.Truncated(LOGN, 0.0, v),
    "ParetoTailed.body": lambda v: act.ParetoTailed(v, 1e4, 3.0),
    "ParetoTailed.alpha": lambda v: act.ParetoTailed(LOGN, 1e4, v),
    "Severity.scaled": lambda v: LOGN.scaled(v),
    "Poisson.mean": lambda v: act.Poisson(v),
    "NegativeBinomial.r": lambda v: act.NegativeBinomial(v, 2.0),
    "NegativeBinomial.beta": lambda v: act.NegativeBinomial(2.0, v),
    "NegativeBinomial.from_mean_cv": lambda v: act.NegativeBinomial.from_mean_cv(100.0, v),
    "Frequency.scaled": lambda v: act.Poisson(10.0).scaled(v),
    "ClaimModel.lines": lambda v: act.ClaimModel(v),
    "ClaimModel.scaled": lambda v: MODEL.scaled(frequency=v),
    "ClaimModel.with_benefit": lambda v: MODEL.with_benefit(v),
    "aggregate_loss.tail": lambda v: act.aggregate_loss(MODEL, tail=v),
    "aggregate_loss.h": lambda v: act.aggregate_loss(MODEL, "fft", h=v),
    "aggregate_loss.n": lambda v: act.aggregate_loss(MODEL, "fft", n=v),
    "aggregate_loss.tilt": lambda v: act.aggregate_loss(MODEL, "fft", tilt=v),
    "aggregate_loss.richardson": lambda v: act.aggregate_loss(MODEL, "fft", richardson=v),
    "S.ppf": lambda v: S.ppf(v),
    "S.cdf": lambda v: S.cdf(v if not isinstance(v, float) or math.isnan(v) else "x"),
    "S.tvar": lambda v: S.tvar(v),
    "S.summary.income": lambda v: S.summary(income=v if not isinstance(v, float) else "x"),
    "S.frame.n": lambda v: S.frame(v),
    "S.sample.size": lambda v: S.sample(v),
    "S.sample.rng": lambda v: S.sample(5, v if v is not None else "x"),
    "panjer.h": lambda v: act.panjer(MODEL, v),
    "monte_carlo.n_sims": lambda v: act.monte_carlo(MODEL, v),
    "monte_carlo.seed": lambda v: act.monte_carlo(MODEL, 10, seed=v if v is not None else "x"),
    "required_contribution.insured": lambda v: act.required_contribution(MODEL, v),
    "required_contribution.target": lambda v: act.required_contribution(MODEL, 100, v),
    "required_contribution.other_income": lambda v: act.required_contribution(MODEL, 100, other_income=v),
    "required_contribution.agg": lambda v: act.required_contribution(MODEL, 100, agg=v if v is not None else "x"),
    "required_contribution.model": lambda v: act.required_contribution(v, 100),
    "design_benefit.income": lambda v: act.design_benefit(MODEL, "rate", income=v, bounds=(0.3, 0.9), margin=0.05),
    "design_benefit.bounds": lambda v: act.design_benefit(MODEL, "rate", income=1e5, bounds=(v, 0.9), margin=0.05),
    "design_benefit.margin": lambda v: act.design_benefit(MODEL, "rate", income=1e5, bounds=(0.3, 0.9), margin=v),
    "design_benefit.deficit_target": lambda v: act.design_benefit(MODEL, "rate", income=1e5, bounds=(0.3, 0.9),
                                                                  deficit_target=v),
    "design_benefit.parameter": lambda v: act.design_benefit(MODEL, v, income=1e5, bounds=(0.3, 0.9), margin=0.05),
    "design_benefit.model": lambda v: act.design_benefit(v, "rate", income=1e5, bounds=(0.3, 0.9), margin=0.05),
    "sweep.values": lambda v: act.sweep(MODEL, "rate", [v]),
    "sweep.levels": lambda v: act.sweep(MODEL, "rate", [0.5], levels=[v]),
    "sweep.income": lambda v: act.sweep(MODEL, "rate", [0.5], income=v if not isinstance(v, float) else "x"),
    "sweep.progress": lambda v: act.sweep(MODEL, "rate", [0.5], progress=v if not isinstance(v, bool) else "x"),
    "project_fund.years": lambda v: act.project_fund(MODEL, RULES, years=v, **FUND),
    "project_fund.members": lambda v: act.project_fund(MODEL, RULES, members=v, contributions={"i": 300}),
    "project_fund.contributions": lambda v: act.project_fund(MODEL, RULES, members=1000, contributions=v),
    "project_fund.contribution": lambda v: act.project_fund(MODEL, RULES, members=1000, contributions={"i": v}),
    "project_fund.growth": lambda v: act.project_fund(MODEL, RULES, contribution_growth={"individual": v}, **FUND),
    "project_fund.growth_map": lambda v: act.project_fund(MODEL, RULES, contribution_growth=v if v is not None else 1,
                                                          **FUND),
    "project_fund.ageing": lambda v: act.project_fund(MODEL, RULES, ageing=v, **FUND),
    "project_fund.opening_pool": lambda v: act.project_fund(MODEL, RULES, opening_pool=v, **FUND),
    "project_fund.n_paths": lambda v: act.project_fund(MODEL, RULES, stochastic=True, n_paths=v, **FUND),
    "project_fund.seed": lambda v: act.project_fund(MODEL, RULES, stochastic=True, n_paths=10,
                                                    seed=v if v is not None else "x", **FUND),
    "project_fund.stochastic": lambda v: act.project_fund(MODEL, RULES, stochastic=v if v is not True else "x",
                                                          **FUND),
    "project_fund.claims": lambda v: act.project_fund(MODEL, RULES, years=2, claims=[v, 1.0], **FUND),
    "project_fund.rules": lambda v: act.project_fund(MODEL, v, **FUND),
    "FundRules.demand_rate": lambda v: act.FundRules(demand_rate=v),
    "FundRules.reserve_covers_deficit": lambda v: act.FundRules(reserve_covers_deficit=v if v is not True else "x"),
    "FundRules.jilin": lambda v: act.FundRules.jilin(v),
    "share_overspend.overspend": lambda v: act.share_overspend(v),
    "share_overspend.rules": lambda v: act.share_overspend(100.0, rules=v if v is not None else "x"),
    "FundRules.from_scheme": lambda v: act.FundRules.from_scheme(v),
    "Benefit.from_scheme": lambda v: act.Benefit.from_scheme(v),
    "fit_severity.costs": lambda v: act.fit_severity([v] + [100.0] * 20),
    "fit_severity.n_bootstrap": lambda v: act.fit_severity(np.arange(1, 40.0), n_bootstrap=v),
    "fit_severity.seed": lambda v: act.fit_severity(np.arange(1, 40.0), seed=v if v is not None else "x"),
    "fit_frequency.counts": lambda v: act.fit_frequency([v] + [0, 1] * 10),
    "payment_frame.n": lambda v: act.payment_frame(MODEL.lines[0].payment, v),
    "deficit_frame.incomes": lambda v: act.deficit_frame(S, [v] if not isinstance(v, float) or math.isnan(v) else "x"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_bad_values_give_healthcover_errors(name):
    """Every bad value either is refused with a HealthcoverError or (where the value is in
    fact allowed, e.g. limit=inf) gives an answer without NaN: never a raw exception."""
    call = CALLS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow or NaN on the way
        for v in BAD:
            try:
                call(v)
            except hc.HealthcoverError as e:
                msg = str(e)
                assert "\n" not in msg and "Traceback" not in msg, (name, v, msg)
            except Exception as e:  # noqa: BLE001 - the assertion names it
                pytest.fail(f"{name}({v!r}) raised {type(e).__name__}: {e}")


@pytest.mark.parametrize("call, match", [
    (lambda: act.Benefit(deductible=2e12), r"Benefit: deductible = 2e\+12 is not allowed; deductible must be at most 1e\+12 yuan"),
    (lambda: act.Benefit(limit=float("nan")), r"Benefit: limit is NaN; give a number"),
    (lambda: act.Benefit(bands=5), r"Benefit: bands = 5 is not allowed; give a list of up to 3 \(upper, rate\) pairs"),
    (lambda: BEN.pay(-5), r"Benefit.pay: cost = -5 is not allowed; a cost must be >= 0"),
    (lambda: BEN.replace(rat=0.5), r"Benefit.replace: rat is not a benefit field; fields: deductible, rate"),
    (lambda: act.Lognormal(40, 1), r"Lognormal: mu = 40 is outside the allowed range .*median cost exp\(mu\)"),
    (lambda: act.Lognormal(7, 12), r"Lognormal: sigma = 12 is not allowed; sigma must be > 0 and at most 10"),
    (lambda: act.Pareto(0.05, 100), r"Pareto: alpha = 0.05 is not allowed; alpha must be at least 0.1"),
    (lambda: act.Gamma(2.0, 1e12), r"Gamma: shape = 2 and scale = 1e\+12 give a mean cost of 2e\+12"),
    (lambda: act.NegativeBinomial(1e7, 1e7), r"NegativeBinomial: r = 1e\+07 and beta = 1e\+07 give a mean of 1e\+14"),
    (lambda: act.ClaimModel(5), r"ClaimModel: lines must be a list of ClaimLine; got int"),
    (lambda: act.ClaimLine(act.Poisson(1), LOGN, None), r"ClaimLine: benefit must be a Benefit; got NoneType"),
    (lambda: act.ClaimLine(act.Poisson(1), LOGN, BEN, care=5), r"ClaimLine: care = 5 is not allowed"),
    (lambda: MODEL.with_benefit(None), r"with_benefit: benefit must be a Benefit or a function of the line"),
    (lambda: act.aggregate_loss(MODEL, "fft", h=1e6), r"h = 1e\+06 leaves fewer than 16 lattice cells"),
    (lambda: act.aggregate_loss(MODEL, "fft", n=4), r"n = 4 is not allowed; n must be from 16 to"),
    (lambda: act.aggregate_loss(MODEL, richardson="yes"), r"richardson = 'yes' is not allowed; give True or False"),
    (lambda: act.monte_carlo(act.ClaimModel.single(act.Poisson(1e6), LOGN), 10_000),
     r"monte_carlo: n_sims = 10,000 years of 1e\+06 expected claims is 1e\+10 claims"),
    (lambda: S.sample(0), r"sample: size = 0 is not allowed; size must be a positive integer"),
    (lambda: S.frame(10, lo=5.0, hi=1.0), r"frame: lo = 5 and hi = 1 must be finite with lo <= hi"),
    (lambda: act.required_contribution(MODEL, 100, agg=act.aggregate_loss(MODEL.scaled(2.0))),
     r"agg must be aggregate_loss\(model\) of this model; got the distribution of another model"),
    (lambda: act.design_benefit(MODEL, lambda r: 5, income=1e5, bounds=(0.3, 0.9), margin=0.05),
     r"<lambda>\(0.3\) must return a ClaimModel; it returned int"),
    (lambda: act.sweep(MODEL, "rate", []), r"sweep: values must be one or more finite numbers; got 0 value"),
    (lambda: act.sweep(MODEL, "rate", [0.5], method="mc"), r"sweep: method = 'mc' is not allowed"),
    (lambda: act.project_fund(MODEL, RULES, years=10_000, **FUND), r"years = 10000 is not allowed; years must be at most 1000"),
    (lambda: act.project_fund(MODEL, RULES, members=1000, contributions=[300]),
     r"contributions must map paying levels to amounts per member"),
    (lambda: act.project_fund(MODEL, RULES, stochastic=True, n_paths=10, seed=-1, **FUND),
     r"project_fund: seed = -1 is not allowed; allowed: None, a whole number >= 0 or a numpy.random.Generator"),
    (lambda: act.project_fund(MODEL, RULES, years=2, claims=[1.0, -1.0], **FUND), r"claims has a negative amount"),
    (lambda: act.FundRules(reserve_covers_deficit="no"), r"reserve_covers_deficit = 'no' is not allowed; give True or False"),
    (lambda: act.FundRules.jilin(0.03, targt=0.1), r"FundRules.jilin: targt is not a fund rule; rules: demand_rate"),
    (lambda: act.FundRules.jilin(0.03, reserve="dazu"), r"reserve is set by the Jilin rules"),
    (lambda: act.share_overspend(float("inf")), r"share_overspend: overspend = inf is not allowed; amounts must be finite"),
    (lambda: act.share_overspend(100.0, rules="dazu"), r"share_overspend: rules must be a FundRules; got str"),
    (lambda: act.FundRules.from_scheme("dazu-resident"),
     r"FundRules.from_scheme: scheme must be a scheme from healthcover.load_scheme; got str"),
    (lambda: act.Benefit.from_scheme(None), r"Benefit.from_scheme: scheme must be a scheme from healthcover.load_scheme"),
    (lambda: act.fit_severity(np.arange(1, 40.0), n_bootstrap=0), r"n_bootstrap = 0 is not allowed; n_bootstrap must be a positive integer"),
    (lambda: act.fit_severity(np.arange(1, 40.0), seed="x"), r"fit_severity: seed = 'x' is not allowed"),
    (lambda: act.fit_severity([2e12] * 20), r"costs has 20 value\(s\) above 1e\+12 yuan"),
    (lambda: act.deficit_chart(S, target=2.0), r"deficit_chart: target = 2 is outside the allowed range"),
    (lambda: act.GilPelaez("model"), r"GilPelaez: model must be a ClaimModel; got str"),
])
def test_messages_say_what_is_allowed(call, match):
    with pytest.raises(hc.HealthcoverError, match=match):
        call()


def test_fund_rules_from_scheme_names_unknown_overrides(dazu):
    with pytest.raises(hc.HealthcoverError, match=r"FundRules.from_scheme: demand_rat is not a fund rule"):
        act.FundRules.from_scheme(dazu, demand_rat=0.01)
    with pytest.raises(hc.HealthcoverError, match=r"FundRules: demand_rate is NaN"):
        act.FundRules.from_scheme(dazu, demand_rate=float("nan"))


def test_benefit_from_scheme_checks_its_cell_names(dazu):
    with pytest.raises(hc.HealthcoverError, match=r"Benefit.from_scheme: facility = 3 is not allowed; give the cell's code as text"):
        act.Benefit.from_scheme(dazu, "inpatient", facility=3, category="adult")
    with pytest.raises(hc.HealthcoverError, match=r"Benefit.from_scheme: care = None is not allowed"):
        act.Benefit.from_scheme(dazu, None)


def test_fit_claim_model_names_rows_and_arguments(claims, dazu):
    bad = claims.copy()
    bad.loc[3, "person_id"] = np.nan
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims row 3: person_id is missing"):
        act.fit_claim_model(bad, 100)
    bad = claims.copy()
    bad.loc[[2, 7], "facility"] = None
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims rows 2, 7: facility is missing"):
        act.fit_claim_model(bad, 100)
    bad = claims.assign(cost=claims["cost"].where(claims.index != 5, -1.0))
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims row 5: cost -1.0 is negative"):
        act.fit_claim_model(bad, 100)
    bad = claims.assign(cost=claims["cost"].where(claims.index != 4, 0.0))
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims row 4: cost is 0"):
        act.fit_claim_model(bad, 100)
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: by = 5 must be one or more column names"):
        act.fit_claim_model(claims, 100, by=5)
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims is missing column\(s\) ward"):
        act.fit_claim_model(claims, 100, by="ward")
    with pytest.raises(hc.HealthcoverError, match=r"benefit must be a Benefit, a function \(care, facility\) -> Benefit or a scheme"):
        act.fit_claim_model(claims, 100, benefit=0.5)
    with pytest.raises(hc.HealthcoverError, match=r"benefit\('inpatient', 'county'\) must return a Benefit; it returned float"):
        act.fit_claim_model(claims, 100, benefit=lambda care, facility: 0.5)
    with pytest.raises(hc.HealthcoverError, match=r"fit_claim_model: claims must be a pandas DataFrame; received None"):
        act.fit_claim_model(None, 100)
    # a huge number of insured is a count table, not an array of zeros
    model, gof = act.fit_claim_model(claims, 10**9, by="facility", n_bootstrap=19)
    assert model.lines[0].frequency.mean == pytest.approx(60)
