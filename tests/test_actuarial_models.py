"""Claim models: severities (partial moments against quadrature), frequencies, the benefit
formula, the exact payment distribution, fitting, and the messages of bad inputs."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

import healthcover as hc
import healthcover.actuarial as act

SEVERITIES = {
    "lognormal": act.Lognormal.from_mean_cv(3000, 1.5),
    "gamma": act.Gamma.from_mean_cv(3000, 0.8),
    "pareto": act.Pareto(4.5, 2000),
    "mixture": act.Mixture([act.Lognormal.from_mean_cv(2000, 1.0), act.Gamma.from_mean_cv(20000, 0.5)],
                           [0.9, 0.1]),
    "pareto_tailed": act.ParetoTailed.from_mean_cv(3000, 1.5, alpha=3.5, weight=0.05),
}


def _quad_moment(sev, k, lo, hi):
    """E[X^k; lo < X <= hi] by adaptive quadrature in t = ln x (smooth, finite range)."""
    lo = max(lo, sev.support[0], float(sev.ppf(1e-30)))
    hi = min(hi, float(sev.isf(1e-100)))
    if not hi > lo:
        return 0.0
    pts = [math.log(p) for p in (getattr(sev, "threshold", None),) if p is not None and lo < p < hi]
    f = lambda t: math.exp((k + 1) * t) * float(sev.pdf(math.exp(t)))  # noqa: E731
    return integrate.quad(f, math.log(lo), math.log(hi), limit=500, points=pts or None,
                          epsabs=0, epsrel=1e-13)[0]


@pytest.mark.parametrize("name", SEVERITIES)
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_partial_moments_match_quadrature(name, k):
    sev = SEVERITIES[name]
    for lo, hi in [(0.0, 1500.0), (1500.0, 25000.0), (25000.0, math.inf)]:
        got = float(sev.partial_moment(k, lo, hi))
        want = _quad_moment(sev, k, lo, hi)
        assert got == pytest.approx(want, rel=1e-8, abs=1e-300), (name, k, lo, hi)


@pytest.mark.parametrize("name", SEVERITIES)
def test_cdf_sf_ppf_consistent(name):
    sev = SEVERITIES[name]
    q = np.array([1e-6, 0.1, 0.5, 0.9, 0.999999])
    x = sev.ppf(q)
    np.testing.assert_allclose(sev.cdf(x), q, rtol=1e-9)
    np.testing.assert_allclose(sev.sf(sev.isf(1 - q)), 1 - q, rtol=1e-8)


def test_from_mean_cv():
    for sev in (act.Lognormal.from_mean_cv(3000, 1.5), act.Gamma.from_mean_cv(3000, 1.5),
                act.ParetoTailed.from_mean_cv(3000, 1.5, alpha=3.0, weight=0.05)):
        assert sev.mean == pytest.approx(3000, rel=1e-9)
        assert sev.cv == pytest.approx(1.5, rel=1e-9)


@pytest.mark.parametrize("name", SEVERITIES)
def test_quadrature_nodes_integrate_moments(name):
    sev = SEVERITIES[name]
    x, w = sev.quadrature(500.0, 40000.0, omega=0.0)
    for k in (0, 1, 2):
        assert np.sum(w * x ** k) == pytest.approx(float(sev.partial_moment(k, 500.0, 40000.0)), rel=1e-12)


def test_severity_sampling_matches_mean():
    rng = np.random.default_rng(5)
    for sev in SEVERITIES.values():
        x = sev.sample(400_000, rng)
        se = sev.sd / math.sqrt(x.size)
        assert abs(x.mean() - sev.mean) < 5 * se


def test_frequencies():
    nb = act.NegativeBinomial.from_mean_cv(100, 0.2)
    assert nb.mean == pytest.approx(100)
    assert nb.sd / nb.mean == pytest.approx(0.2)
    k = np.arange(400)
    assert np.sum(k * nb.pmf(k)) == pytest.approx(100, rel=1e-12)
    assert np.sum((k - 100) ** 3 * nb.pmf(k)) == pytest.approx(nb.third_cumulant, rel=1e-9)
    z = np.exp(0.3j)
    assert nb.pgf(z) == pytest.approx(np.sum(nb.pmf(k) * z ** k), rel=1e-12)
    assert act.Poisson(7).pgf(0.5) == pytest.approx(math.exp(-3.5))
    assert nb.scaled(3).mean == pytest.approx(300)
    assert nb.scaled(3).variance == pytest.approx(3 * nb.variance)


# --- benefit formula ---------------------------------------------------------------------
def test_benefit_formula_single_rate():
    b = act.Benefit(deductible=200, rate=0.5, limit=60_000)
    cost = np.array([0, 150, 200, 5000, 120_200, 500_000])
    np.testing.assert_allclose(b.pay(cost), [0, 0, 0, 2400, 60_000, 60_000])
    assert b.max_payment == 60_000


def test_benefit_bands_and_cost_limit():
    # DIGEST D-03's bands over the amount above the deductible: 40% to 10,000, 60% to 30,000, 70% after
    b = act.Benefit(deductible=600, bands=[(10_000, 0.4), (30_000, 0.6), (None, 0.7)], cost_limit=45_000)
    assert float(b.pay(600 + 5_000)) == pytest.approx(2_000)
    assert float(b.pay(600 + 20_000)) == pytest.approx(4_000 + 6_000)
    assert float(b.pay(600 + 40_000)) == pytest.approx(4_000 + 12_000 + 7_000)
    # the cost counted stops at 45,000
    assert float(b.pay(100_000)) == pytest.approx(4_000 + 12_000 + 0.7 * (45_000 - 30_600))


@pytest.mark.parametrize("kwargs, match", [
    (dict(deductible=-1, rate=0.5), r"Benefit: deductible = -1 is not allowed; deductible must be >= 0"),
    (dict(rate=1.2), r"Benefit: rate = 1.2 is outside the allowed range \[0, 1\]"),
    (dict(rate=0.5, limit=0), r"Benefit: limit = 0 is not allowed; limit must be > 0"),
    (dict(bands=[(1, .1), (2, .2), (3, .3), (None, .4)]), r"bands has 4 bands; at most 3 are allowed"),
    (dict(bands=[(5000, .5), (4000, .6)]), r"bands\[1\] upper = 4000 must exceed the previous upper 5000"),
    (dict(deductible=500, rate=0.5, cost_limit=400), r"cost_limit = 400 must exceed deductible = 500"),
])
def test_benefit_rejects_bad_inputs(kwargs, match):
    with pytest.raises(hc.HealthcoverError, match=match):
        act.Benefit(**kwargs)


@pytest.mark.parametrize("call, match", [
    (lambda: act.Lognormal.from_mean_cv(3000, -1.5), r"Lognormal.from_mean_cv: cv = -1.5 is not allowed; cv must be > 0"),
    (lambda: act.Gamma(0, 1), r"Gamma: shape = 0 is not allowed"),
    (lambda: act.Poisson(-3), r"Poisson: mean = -3 is not allowed"),
    (lambda: act.NegativeBinomial.from_mean_cv(100, 0.05), r"cv = 0.05 gives variance 25 <= mean 100"),
    (lambda: act.Mixture([act.Pareto(2, 1), act.Pareto(3, 1)], [0.5, 0.6]), r"weights sum to 1.1; they must sum to 1"),
    (lambda: act.Payment(act.Pareto(0.9, 100), act.Benefit(rate=0.5)), r"infinite mean .* has no cap"),
    (lambda: act.ClaimLine(act.Poisson(1), "lognormal"), r"severity must be a Severity"),
])
def test_inconsistent_distributions_are_rejected(call, match):
    with pytest.raises(hc.HealthcoverError, match=match):
        call()


# --- the payment distribution ------------------------------------------------------------
PAYMENTS = [
    act.Payment(act.Lognormal.from_mean_cv(3000, 1.5), act.Benefit(200, 0.5, limit=60_000)),
    act.Payment(act.Gamma.from_mean_cv(8000, 1.2),
                act.Benefit(600, bands=[(10_000, 0.4), (30_000, 0.6), (None, 0.7)], cost_limit=45_000)),
    act.Payment(act.ParetoTailed.from_mean_cv(3000, 2.0, alpha=3.5), act.Benefit(1000, 0.35)),
]


@pytest.mark.parametrize("pay", PAYMENTS, ids=["county", "bands", "pareto-tail"])
def test_payment_moments_exact(pay):
    sev, b = pay.severity, pay.benefit
    top = float(sev.isf(1e-100))
    kinks = [float(x) for x in b._x[1:]] + [getattr(sev, "threshold", top)]
    lo0 = max(sev.support[0], float(sev.ppf(1e-30)))
    edges = sorted({lo0, top, *[x for x in kinks if lo0 < x < top]})
    for k in (1, 2, 3):
        f = lambda t: float(b.pay(math.exp(t))) ** k * math.exp(t) * float(sev.pdf(math.exp(t)))  # noqa: E731
        want = sum(integrate.quad(f, math.log(lo), math.log(hi), limit=400, epsabs=0, epsrel=1e-13)[0]
                   for lo, hi in zip(edges[:-1], edges[1:]))
        if math.isfinite(b.max_payment):
            want += b.max_payment ** k * float(sev.sf(top))
        assert pay.moment(k) == pytest.approx(want, rel=1e-8)


@pytest.mark.parametrize("pay", PAYMENTS, ids=["county", "bands", "pareto-tail"])
def test_payment_stop_loss_and_cdf(pay):
    rng = np.random.default_rng(11)
    y = pay.benefit.pay(pay.severity.sample(1_000_000, rng))
    for t in (0.0, 100.0, 1000.0, 5000.0):
        mc = np.maximum(y - t, 0).mean()
        se = np.maximum(y - t, 0).std() / 1000
        assert abs(pay.stop_loss(t)[0] - mc) < 5 * se
        assert abs(pay.cdf(t) - (y <= t).mean()) < 5 * math.sqrt(0.25 / y.size)
    assert pay.stop_loss(0.0)[0] == pytest.approx(pay.mean, rel=1e-12)


@pytest.mark.parametrize("pay", PAYMENTS, ids=["county", "bands", "pareto-tail"])
def test_discretisation_preserves_mass_and_mean(pay):
    h = 50.0
    p = pay.discretise(h)
    assert p.min() >= 0
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.sum(h * np.arange(p.size) * p) == pytest.approx(pay.mean, rel=1e-9)


def test_cf_nodes_are_a_probability_measure():
    pay = PAYMENTS[0]
    y, w = pay.cf_nodes(omega=1e-4)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    for k in (1, 2, 3):
        assert np.sum(w * y ** k) == pytest.approx(pay.moment(k), rel=1e-10)


# --- schemes -------------------------------------------------------------------------------
def test_benefit_from_dazu_scheme():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    b = act.Benefit.from_scheme(s, "inpatient", facility="county", category="adult")
    assert (b.deductible, b.rate, b.limit) == (200, 0.5, 60_000)
    assert act.Benefit.from_scheme(s, "inpatient", annual_limit_as="ignore", facility="county",
                                   category="adult").limit == math.inf


def test_benefit_from_jilin_scheme_uses_cost_ceiling_and_bands_override():
    s = hc.load_scheme("jilin-resident-2008", variant="city")
    b = act.Benefit.from_scheme(s, "inpatient", facility="city", category="adult")
    assert (b.deductible, b.rate, b.cost_limit) == (600, 0.55, 45_000)
    s2 = hc.load_scheme("jilin-resident-2008", variant="city",
                        overrides={"benefits.inpatient.bands.adult.city": [[10000, 0.4], [30000, 0.6], [None, 0.7]]})
    b2 = act.Benefit.from_scheme(s2, "inpatient", facility="city", category="adult")
    assert b2.bands == ((10000, 0.4), (30000, 0.6), (math.inf, 0.7))


# --- fitting -------------------------------------------------------------------------------
def test_fit_severity_recovers_parameters_and_reports_fit():
    rng = np.random.default_rng(2)
    true = act.Lognormal.from_mean_cv(3000, 1.5)
    x = true.sample(20_000, rng)
    fit = act.fit_severity(x, "lognormal")
    assert fit.severity.mu == pytest.approx(true.mu, abs=0.03)
    assert fit.severity.sigma == pytest.approx(true.sigma, abs=0.02)
    assert fit.ks_pvalue > 0.01 and fit.ad_stat < 2.5
    table = act.fit_severity(x, "all", n_bootstrap=199)
    assert table.loc[0, "family"] in {"lognormal", "pareto_tailed"}
    # bootstrap p-values: no bootstrap sample of a fitted gamma is as far from it as this
    # lognormal sample, so the p-value is the smallest 199 samples can show, 1/200
    gamma = table.set_index("family").loc["gamma"]
    assert gamma["ks_pvalue"] == gamma["ad_pvalue"] == pytest.approx(1 / 200)


def test_fit_frequency_chi_square():
    rng = np.random.default_rng(3)
    k = rng.negative_binomial(1.5, 1.5 / (1.5 + 0.2), 30_000)
    nb = act.fit_frequency(k, "negative_binomial")
    po = act.fit_frequency(k, "poisson")
    assert nb.frequency.mean == pytest.approx(k.mean())
    assert nb.pvalue > 0.01 > po.pvalue
    assert nb.table["observed"].sum() == k.size
    assert nb.table["expected"].sum() == pytest.approx(k.size)


def test_fit_claim_model_by_cell():
    rng = np.random.default_rng(4)
    rows = []
    insured = 20_000
    for facility, rate, mean in [("township", 0.05, 1200.0), ("county", 0.03, 6000.0)]:
        counts = rng.poisson(rate, insured)
        who = np.repeat(np.arange(insured), counts)
        cost = act.Lognormal.from_mean_cv(mean, 1.2).sample(who.size, rng)
        rows.append(pd.DataFrame({"person_id": who, "care": "inpatient", "facility": facility, "cost": cost}))
    claims = pd.concat(rows)
    s = hc.load_scheme("dazu-resident", variant="tier2")
    model, gof = act.fit_claim_model(claims, insured, benefit=s, category="adult")
    assert len(model.lines) == 2 and set(gof["facility"]) == {"township", "county"}
    county = [ln for ln in model.lines if ln.facility == "county"][0]
    assert county.benefit.deductible == 200 and county.benefit.rate == 0.5
    assert county.frequency.mean == pytest.approx(0.03 * insured, rel=0.05)
    assert {"ks_pvalue", "ad_stat", "chi2_pvalue"} <= set(gof.columns)


def test_fit_rejects_bad_data():
    with pytest.raises(hc.HealthcoverError, match=r"fit_severity: costs has 1 value\(s\) not allowed .*-5"):
        act.fit_severity([100.0] * 20 + [-5.0], "lognormal")
    with pytest.raises(hc.HealthcoverError, match=r"family = 'weibull' is not allowed; allowed: lognormal"):
        act.fit_severity(np.arange(1, 50.0), "weibull")
    with pytest.raises(hc.HealthcoverError, match=r"counts\[2\] = 0.5 is not a whole number"):
        act.fit_frequency([0, 1, 0.5] + [0] * 10)
