"""Point masses of the fund's annual payments S, levels, and degenerate models (issue 11).

Closed forms are computed here from scipy's lognormal and the frequency's own formula, not
from the package's partial moments: P(S = 0) = P_N(P(Y = 0)) and, where one claim can reach
the cap L, P(S = k L) from the thinned count of capped claims."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

import healthcover as hc
import healthcover.actuarial as act

MEAN, CV = 3000.0, 1.5
LOGN = act.Lognormal.from_mean_cv(MEAN, CV)
SCIPY_LOGN = stats.lognorm(LOGN.sigma, scale=math.exp(LOGN.mu))  # the same law, scipy's code
DED, RATE, CAP = 200.0, 0.5, 20_000.0
BEN = act.Benefit(deductible=DED, rate=RATE, limit=CAP)
X_CAP = DED + CAP / RATE          # the cost at which the payment reaches the cap
P0 = SCIPY_LOGN.cdf(DED)          # P(Y = 0): cost below the deductible
PL = SCIPY_LOGN.sf(X_CAP)         # P(Y = L): the cap binds


def model(freq, benefit=BEN, severity=LOGN):
    return act.ClaimModel.single(freq, severity, benefit)


def nb_atom(r, beta, p0, pv, k):
    """P(K = k claims at one fixed amount, every other claim paid 0) for NB(r, beta):
    coefficient of z^k in P_N(p0 + pv z) = c^-r C(k+r-1, k) (beta pv / c)^k, c = 1 + beta (1 - p0)."""
    c = 1.0 + beta * (1.0 - p0)
    return c ** -r * special.binom(k + r - 1, k) * (beta * pv / c) ** k


# --- P(S = 0) and P(S = k cap) against closed forms ---------------------------------------------
@pytest.mark.parametrize("lam", [1e-3, 0.05, 0.3, 1.0, 3.0, 10.0])
def test_poisson_atom_at_zero_and_at_the_cap(lam):
    S = act.aggregate_loss(model(act.Poisson(lam)))
    p_zero = math.exp(-lam * (1.0 - P0))
    assert S.cdf(0.0) == pytest.approx(p_zero, rel=1e-12)
    assert S.point_mass(0.0) == pytest.approx(p_zero, rel=1e-12)
    assert S.cdf(-1e-9) == 0.0
    for k in (1, 2):  # k capped claims, every other claim below the deductible
        exact = p_zero * (lam * PL) ** k / math.factorial(k)
        if exact > 1e-14:
            assert S.point_mass(k * CAP) == pytest.approx(exact, rel=1e-9)
            # the CDF jumps by exactly that mass at k L
            jump = S.cdf(k * CAP) - S.cdf(k * CAP * (1 - 1e-13))
            assert jump == pytest.approx(exact, rel=1e-6, abs=1e-13)


@pytest.mark.parametrize("r, beta", [(0.5, 2.0), (2.0, 0.5), (0.7, 3.0), (5.0, 0.1)])
def test_negative_binomial_atom_at_zero_and_at_the_cap(r, beta):
    S = act.aggregate_loss(model(act.NegativeBinomial(r, beta)))
    p_zero = (1.0 + beta * (1.0 - P0)) ** -r
    assert S.cdf(0.0) == pytest.approx(p_zero, rel=1e-12)
    for k in (1, 2):
        assert S.point_mass(k * CAP) == pytest.approx(nb_atom(r, beta, P0, PL, k), rel=1e-9)


def test_several_lines_and_a_rate_zero_band():
    """Two Poisson lines with the same cap, and a band paying nothing between two rising ones:
    its flat payment is an atom of S too."""
    band = act.Benefit(deductible=DED, bands=[(1_000, 0.5), (2_000, 0.0), (None, 0.5)], limit=CAP)
    flat_value = 500.0                                   # 0.5 x 1,000, paid for costs in (1,200, 2,200]
    p_flat = SCIPY_LOGN.cdf(DED + 2_000) - SCIPY_LOGN.cdf(DED + 1_000)
    x_cap = DED + 2_000 + (CAP - 500.0) / 0.5           # where the third band reaches the cap
    p_cap = SCIPY_LOGN.sf(x_cap)
    lines = [act.ClaimLine(act.Poisson(0.4), LOGN, band, facility="a"),
             act.ClaimLine(act.Poisson(0.6), LOGN, band, facility="b")]
    S = act.aggregate_loss(act.ClaimModel(lines))
    lam = 1.0
    p_zero = math.exp(-lam * (1 - P0))
    assert S.cdf(0.0) == pytest.approx(p_zero, rel=1e-12)
    assert S.point_mass(flat_value) == pytest.approx(p_zero * lam * p_flat, rel=1e-9)
    assert S.point_mass(2 * flat_value) == pytest.approx(p_zero * (lam * p_flat) ** 2 / 2, rel=1e-9)
    assert S.point_mass(CAP) == pytest.approx(p_zero * lam * p_cap, rel=1e-9)
    # NB: one claim at the flat amount, every other paid 0: p_flat P_N'(p0)
    r, beta = 1.5, 0.8
    S_nb = act.aggregate_loss(model(act.NegativeBinomial(r, beta), benefit=band))
    p_one = p_flat * r * beta * (1 + beta * (1 - P0)) ** (-r - 1)
    assert S_nb.point_mass(flat_value) == pytest.approx(p_one, rel=1e-9)


def test_quantiles_inside_the_atom_at_zero_are_zero_and_tvar_is_exact():
    lam = 1.0
    m = model(act.Poisson(lam))
    S = act.aggregate_loss(m)
    p_zero = S.prob_zero
    assert S.ppf(p_zero / 2) == 0.0 and S.ppf(p_zero) == 0.0
    assert S.ppf(min(p_zero + 1e-6, 0.999)) > 0.0
    q = np.array([1e-9, 0.1, p_zero, 0.5, 0.9, 0.99, 0.999999])
    v = S.ppf(q)
    assert (v >= 0).all() and (np.diff(v) >= 0).all()
    # VaR inside the atom at 0: TVaR = E[S] / (1 - q) exactly
    assert S.tvar(0.2) == pytest.approx(m.mean / 0.8, rel=1e-12)
    assert S.summary()["VaR 95.0%"] >= 0


def test_small_fund_against_seeded_monte_carlo():
    m = model(act.Poisson(2.0))
    S = act.aggregate_loss(m)
    mc = act.monte_carlo(m, n_sims=200_000, seed=20261207)
    se = mc.standard_errors(levels=(0.5, 0.9, 0.99))
    est, exact = mc.summary(levels=(0.5, 0.9, 0.99)), S.summary(levels=(0.5, 0.9, 0.99))
    for key in ["mean", "VaR 90.0%", "VaR 99.0%", "TVaR 50.0%", "TVaR 90.0%", "TVaR 99.0%"]:
        assert abs(est[key] - exact[key]) < 4.5 * se[key], key
    for x in (0.0, 500.0, 5_000.0, CAP, 30_000.0):
        p = float(S.cdf(x))
        assert abs(float(mc.cdf(x)) - p) < 4.5 * math.sqrt(p * (1 - p) / mc.n) + 1e-12, x


def test_panjer_keeps_the_same_atoms():
    m = model(act.Poisson(1.5))
    S = act.aggregate_loss(m)
    pj = act.panjer(m, 10.0)
    assert pj.cdf(0.0) == pytest.approx(S.cdf(0.0), rel=1e-12)
    assert pj.point_mass(CAP) == pytest.approx(S.point_mass(CAP), rel=1e-9)
    for x in (1_000.0, 10_000.0, 25_000.0):
        assert float(pj.cdf(x)) == pytest.approx(float(S.cdf(x)), abs=2e-4)


def test_cdf_is_consistent_with_the_exact_mean():
    """E[S] = integral of P(S > x): bracketed by left and right Riemann sums of the
    (non-increasing) survival function, plus the exact stop-loss beyond the grid."""
    for freq in (act.Poisson(0.5), act.NegativeBinomial(0.8, 2.0), act.Poisson(40.0)):
        m = model(freq)
        S = act.aggregate_loss(m)
        hi = float(S.ppf(1 - 1e-10))
        x = np.linspace(0.0, hi, 20_001)
        sf = np.asarray(S.sf(x))
        dx = x[1] - x[0]
        lower, upper = sf[1:].sum() * dx, sf[:-1].sum() * dx
        body = m.mean - float(S.stop_loss(hi))
        assert lower - 1e-6 * m.mean <= body <= upper + 1e-6 * m.mean, freq


# --- levels and points ----------------------------------------------------------------------------
S_COUNTY = act.aggregate_loss(model(act.Poisson(1.0)))


@pytest.mark.parametrize("q, shown", [(2.0, "2"), (1.0, "1"), (0.0, "0"), (-0.1, "-0.1"), (float("nan"), "nan")])
@pytest.mark.parametrize("method", ["ppf", "tvar", "value_at_risk"])
def test_levels_outside_the_open_unit_interval_are_refused(method, q, shown):
    with pytest.raises(hc.HealthcoverError,
                       match=rf"\.(ppf|tvar): q = {shown} is not allowed; allowed: a level strictly between 0 and 1"):
        getattr(S_COUNTY, method)(q)


def test_bad_levels_and_points_name_the_position_and_value():
    with pytest.raises(hc.HealthcoverError, match=r"ppf: q\[1\] = 1 is not allowed"):
        S_COUNTY.ppf([0.5, 1.0])
    with pytest.raises(hc.HealthcoverError, match=r"ppf: q = 'x' is not a number"):
        S_COUNTY.ppf("x")
    with pytest.raises(hc.HealthcoverError, match=r"ppf: q = True is not a number"):
        S_COUNTY.ppf(True)
    with pytest.raises(hc.HealthcoverError, match=r"cdf: x is NaN; give a number"):
        S_COUNTY.cdf(float("nan"))
    with pytest.raises(hc.HealthcoverError, match=r"stop_loss: v\[2\] is NaN"):
        S_COUNTY.stop_loss([0.0, 1.0, float("nan")])
    with pytest.raises(hc.HealthcoverError, match=r"summary: levels = 1 is outside the allowed range"):
        S_COUNTY.summary(levels=(0.5, 1.0))
    # infinities are points: S is below +inf and above -inf
    assert S_COUNTY.cdf(np.inf) == 1.0 and S_COUNTY.cdf(-np.inf) == 0.0
    assert S_COUNTY.stop_loss(np.inf) == 0.0


# --- degenerate models ----------------------------------------------------------------------------
def test_tiny_frequency_just_works():
    lam = 1e-3
    m = model(act.Poisson(lam))
    S = act.aggregate_loss(m)
    assert S.cdf(0.0) == pytest.approx(math.exp(-lam * (1 - P0)), rel=1e-12)
    assert S.ppf(0.99) == 0.0
    assert S.tvar(0.99) == pytest.approx(m.mean / 0.01, rel=1e-12)
    s = S.summary(income=1_000.0)
    assert np.isfinite(s.to_numpy(dtype=float)).all()


@pytest.mark.parametrize("lam", [1e-12, 1e-300])
def test_vanishing_frequency_gives_the_discrete_answer(lam):
    S = act.aggregate_loss(model(act.Poisson(lam)))
    assert isinstance(S, act.DiscreteLoss)
    assert S.cdf(0.0) == pytest.approx(1.0, abs=1e-11)
    assert S.ppf(0.999) == 0.0
    assert np.isfinite(S.summary().to_numpy(dtype=float)).all()


def test_huge_frequency():
    m = model(act.Poisson(1e9))
    S = act.aggregate_loss(m)
    assert S.method == "fourier"
    z = float(special.ndtri(0.995))
    assert S.ppf(0.995) == pytest.approx(m.mean + z * m.sd, rel=1e-5)  # normal to this accuracy
    with pytest.raises(hc.HealthcoverError, match=r"Poisson: mean = 1e\+13 is not allowed; mean must be > 0 and at most 1e\+12"):
        act.Poisson(1e13)


@pytest.mark.parametrize("benefit, severity", [
    (act.Benefit(rate=0.0), LOGN),                                            # the fund pays nothing
    (act.Benefit(deductible=5_000, rate=0.5), act.Truncated(LOGN, 0, 4_000)),  # every cost below the deductible
    (act.Benefit(deductible=1e12, rate=0.5), act.Pareto(4.0, 100.0)),          # (up to 1e-40 of them)
    (act.Benefit(bands=[(1_000, 0.0), (None, 0.0)]), LOGN),                    # bands paying 0
], ids=["rate-0", "deductible-above-support", "deductible-far-above", "zero-bands"])
def test_a_fund_that_pays_nothing_gives_s_equal_zero(benefit, severity):
    m = model(act.Poisson(500.0), benefit=benefit, severity=severity)
    S = act.aggregate_loss(m)
    assert isinstance(S, act.DiscreteLoss) and S.method == "atoms"
    assert S.cdf(0.0) == pytest.approx(1.0, abs=1e-12)
    assert S.ppf(0.999999) == 0.0 and S.tvar(0.99) == pytest.approx(m.mean / 0.01, abs=1e-9)
    assert np.isfinite(S.summary(income=0.0).to_numpy(dtype=float)).all()
    assert np.isfinite(m.table().drop(columns=["care", "facility", "category"]).to_numpy(dtype=float)).all()
    assert act.aggregate_loss(m, "fourier").method == "atoms"  # the right answer, whatever the method


def test_every_claim_paid_one_fixed_amount():
    """A cost cap below every cost: each claim pays exactly rate x (cap - deductible), so
    S = that amount x N, a scaled Poisson."""
    b = act.Benefit(deductible=50, rate=0.5, cost_limit=150)
    m = model(act.Poisson(30.0), benefit=b, severity=act.Pareto(3.0, 1_000.0))
    S = act.aggregate_loss(m)
    assert isinstance(S, act.DiscreteLoss)
    k = np.arange(0, 80)
    np.testing.assert_allclose(S.point_mass(50.0 * k), stats.poisson.pmf(k, 30.0), rtol=1e-9, atol=1e-15)
    assert S.ppf(0.5) == 50.0 * stats.poisson.ppf(0.5, 30.0)


def test_heavy_tail_without_finite_variance_says_what_to_change():
    m = model(act.Poisson(100.0), benefit=act.Benefit(200, 0.5), severity=act.Pareto(1.5, 100.0))
    with pytest.raises(hc.HealthcoverError,
                       match=r"aggregate_loss: the fund's payment per claim on line 'claims' .* has an infinite "
                             r"variance .* give the benefit a per-claim limit= or cost_limit="):
        act.aggregate_loss(m)
    with pytest.raises(hc.HealthcoverError, match=r"monte_carlo: .* infinite variance"):
        act.monte_carlo(m)


@pytest.mark.parametrize("alpha", [0.8, 1.5, 2.5])
def test_heavy_tail_with_a_cap_is_computed(alpha):
    m = model(act.Poisson(50.0), benefit=act.Benefit(200, 0.5, limit=100_000), severity=act.Pareto(alpha, 100.0))
    S = act.aggregate_loss(m)
    # the payment's mean by quadrature of the benefit over the Pareto density (independent)
    pdf = lambda x: alpha * 100.0 ** alpha / x ** (alpha + 1)  # noqa: E731
    x_cap = 200 + 100_000 / 0.5
    ey = integrate.quad(lambda x: 0.5 * (x - 200) * pdf(x), 200, x_cap, limit=200)[0] + 100_000 * (100.0 / x_cap) ** alpha
    assert m.mean == pytest.approx(50.0 * ey, rel=1e-9)
    mc = act.monte_carlo(m, n_sims=100_000, seed=3)
    se = mc.standard_errors(levels=(0.9, 0.99))
    for key in ["VaR 90.0%", "TVaR 90.0%", "VaR 99.0%"]:
        assert abs(mc.summary(levels=(0.9, 0.99))[key] - S.summary(levels=(0.9, 0.99))[key]) < 4.5 * se[key], key


def test_infinite_third_moment():
    """alpha in (2, 3]: finite variance, infinite skewness. Computed where the Fourier series
    converges (agreeing with Monte Carlo); otherwise an error saying what to change, at once."""
    m = model(act.Poisson(200.0), benefit=act.Benefit(200, 0.5), severity=act.Pareto(2.9, 1_000.0))
    S = act.aggregate_loss(m)
    s = S.summary(levels=(0.5, 0.95))
    assert S.method == "fourier" and math.isinf(s["skewness"])
    assert np.isfinite(s.drop("skewness").to_numpy(dtype=float)).all()
    mc = act.monte_carlo(m, n_sims=40_000, seed=5)
    se, est = mc.standard_errors(levels=(0.5, 0.95)), mc.summary(levels=(0.5, 0.95))
    for key in ["VaR 50.0%", "VaR 95.0%"]:
        assert abs(est[key] - s[key]) < 4.5 * se[key], key
    heavier = model(act.Poisson(2_000.0), benefit=act.Benefit(200, 0.5), severity=act.Pareto(2.5, 1_000.0))
    with pytest.raises(hc.HealthcoverError, match=r"infinite third moment .* give the benefit a per-claim limit="):
        act.aggregate_loss(heavier)
    capped = heavier.with_benefit(act.Benefit(200, 0.5, limit=1e6))
    assert act.aggregate_loss(capped).ppf(0.995) > capped.mean


def test_fourier_on_request_names_the_point_masses():
    with pytest.raises(hc.HealthcoverError, match=r"method='fourier' does not apply .*P\(S = 0\) = 0\.37.*use method='fft'"):
        act.aggregate_loss(model(act.Poisson(1.0)), "fourier")


def test_thinning():
    assert act.Poisson(10.0).thinned(0.3).mean == pytest.approx(3.0)
    nb = act.NegativeBinomial(2.0, 5.0).thinned(0.2)
    assert (nb.r, nb.beta) == (2.0, pytest.approx(1.0))
    given = act.NegativeBinomial(2.0, 5.0).kept_given_none(0.2, 0.5)
    assert given.beta == pytest.approx(5.0 * 0.2 / (1 + 5.0 * 0.5))
    with pytest.raises(hc.HealthcoverError, match=r"Poisson.thinned: p = 0 is outside the allowed range \(0, 1\]"):
        act.Poisson(1.0).thinned(0.0)
