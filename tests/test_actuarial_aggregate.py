"""The exact distribution of a fund's annual payments: moments, closed forms, and the
methods against each other (Fourier, lattice FFT, Panjer, an independent Gil-Pelaez
reference, a large seeded Monte Carlo within its standard errors). No timing assertions."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

import healthcover as hc
import healthcover.actuarial as act

LOGN = act.Lognormal.from_mean_cv(3000, 1.5)
COUNTY_BENEFIT = act.Benefit(deductible=200, rate=0.5, limit=60_000)


def county(lam=8000, freq=None):
    return act.ClaimModel.single(freq or act.Poisson(lam), LOGN, COUNTY_BENEFIT)


def test_compound_poisson_moments_exact():
    sev = act.Gamma.from_mean_cv(2500, 1.2)
    m = act.ClaimModel.single(act.Poisson(400), sev)  # Benefit() pays the whole cost: Y = X
    k1, k2, k3 = m.cumulants()
    assert k1 == pytest.approx(400 * sev.moment(1), rel=1e-13)   # E[S] = lambda E[X]
    assert k2 == pytest.approx(400 * sev.moment(2), rel=1e-12)   # Var[S] = lambda E[X^2]
    assert k3 == pytest.approx(400 * sev.moment(3), rel=1e-12)


def test_compound_negative_binomial_moments_exact():
    sev = LOGN
    nb = act.NegativeBinomial(r=50.0, beta=4.0)
    m = act.ClaimModel.single(nb, sev)
    k1, k2, _ = m.cumulants()
    ex, ex2 = sev.moment(1), sev.moment(2)
    assert k1 == pytest.approx(50 * 4 * ex, rel=1e-13)                       # E[S] = r beta E[X]
    assert k2 == pytest.approx(50 * 4 * ex2 + 50 * 4 ** 2 * ex ** 2, rel=1e-12)  # r beta E[X^2] + r beta^2 E[X]^2


@pytest.mark.parametrize("freq", [act.Poisson(8000), act.NegativeBinomial.from_mean_cv(8000, 0.05)],
                         ids=["poisson", "negbin"])
def test_distribution_reproduces_exact_moments(freq):
    m = county(freq=freq)
    agg = act.aggregate_loss(m, "fourier")
    x, pdf, _ = agg.grid(1 << 12)
    dx = x[1] - x[0]
    mean = np.sum(x * pdf) * dx
    var = np.sum((x - mean) ** 2 * pdf) * dx
    third = np.sum((x - mean) ** 3 * pdf) * dx
    k1, k2, k3 = m.cumulants()
    assert np.sum(pdf) * dx == pytest.approx(1.0, abs=1e-10)
    assert mean == pytest.approx(k1, rel=1e-11)
    assert var == pytest.approx(k2, rel=1e-8)
    assert third == pytest.approx(k3, rel=1e-6)


def test_closed_form_poisson_exponential():
    """S compound Poisson(lambda) with exponential(theta) claims has density
    e^{-lambda - x/theta} sqrt(lambda/(theta x)) I_1(2 sqrt(lambda x/theta)) for x > 0."""
    lam, theta = 200.0, 1000.0
    m = act.ClaimModel.single(act.Poisson(lam), act.Gamma(1.0, theta))
    agg = act.aggregate_loss(m, tail=1e-14)  # errors of the order of tail (default 1e-10)
    assert agg.method == "fourier"

    def dens(x):
        z = 2.0 * math.sqrt(lam * x / theta)
        return math.exp(-lam - x / theta + z) * math.sqrt(lam / (theta * x)) * special.ive(1, z)

    for x in (150_000.0, 200_000.0, 250_000.0):
        exact_pdf = dens(x)
        exact_cdf = math.exp(-lam) + integrate.quad(dens, 1e-9, x, limit=500, epsabs=0, epsrel=1e-13)[0]
        assert float(agg.pdf(x)) == pytest.approx(exact_pdf, rel=1e-9)
        assert float(agg.cdf(x)) == pytest.approx(exact_cdf, abs=1e-12)


def test_closed_form_geometric_exponential():
    """Compound geometric(beta) of exponential(theta): P(S = 0) = 1/(1+beta) and
    P(S > x) = beta/(1+beta) exp(-x / (theta (1+beta))). S has an atom: the lattice method."""
    beta, theta = 3.0, 1000.0
    m = act.ClaimModel.single(act.NegativeBinomial(1.0, beta), act.Gamma(1.0, theta))
    agg = act.aggregate_loss(m)
    assert agg.method == "fft+richardson"
    with pytest.raises(hc.HealthcoverError, match=r"method='fourier' does not apply .* use method='fft'"):
        act.aggregate_loss(m, "fourier")
    fine = act.aggregate_loss(m, "fft", h=2.0)
    for x in (500.0, 4000.0, 20000.0):
        exact = beta / (1 + beta) * math.exp(-x / (theta * (1 + beta)))
        assert float(fine.sf(x)) == pytest.approx(exact, rel=1e-6)


def test_fft_and_panjer_agree_on_the_same_lattice():
    m = county(lam=60)
    h = 100.0
    pj = act.panjer(m, h)
    ff = act.aggregate_loss(m, "fft", h=h, richardson=False, tail=1e-15)
    k0 = int(round(ff.x0 / h))
    common = min(pj.masses.size - k0, ff.masses.size)
    np.testing.assert_allclose(ff.masses[:common], pj.masses[k0:k0 + common], rtol=0, atol=1e-13)
    assert pj.masses.sum() == pytest.approx(1.0, abs=1e-10)


def test_panjer_handles_underflowing_start():
    # g_0 = exp(-8000 (1 - p_0)) underflows: the recursion rescales as it runs
    m = county(lam=8000)
    pj = act.panjer(m, 1000.0)
    assert pj.masses.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.sum(pj.x * pj.masses) == pytest.approx(m.mean, rel=1e-9)


@pytest.fixture(scope="module")
def county_methods():
    m = county()
    income = m.mean + 2 * m.sd
    return m, income, act.aggregate_loss(m, "fourier"), act.GilPelaez(m, panels=60)


def test_fourier_matches_independent_reference(county_methods):
    m, income, four, ref = county_methods
    assert float(four.sf(income)) == pytest.approx(float(ref.sf(income)[0]), rel=1e-9)
    assert float(four.ppf(0.995)) == pytest.approx(ref.ppf(0.995), rel=1e-10)
    assert float(four.tvar(0.995)) == pytest.approx(ref.tvar(0.995), rel=1e-10)


def test_lattice_with_richardson_reaches_1e6(county_methods):
    m, income, four, _ = county_methods
    lat = act.aggregate_loss(m, "fft", n=1 << 16)
    assert lat.method == "fft+richardson"
    assert float(lat.sf(income)) == pytest.approx(float(four.sf(income)), rel=1e-6)
    for q in (0.95, 0.99, 0.995):
        assert float(lat.ppf(q)) == pytest.approx(float(four.ppf(q)), rel=1e-7)
        assert float(lat.tvar(q)) == pytest.approx(float(four.tvar(q)), rel=1e-7)
    # without extrapolation the O(h^2) error shows
    plain = act.aggregate_loss(m, "fft", n=1 << 16, richardson=False)
    assert abs(float(plain.sf(income)) / float(four.sf(income)) - 1) > 1e-5


@pytest.mark.parametrize("freq", [act.Poisson(200), act.NegativeBinomial.from_mean_cv(200, 0.15)],
                         ids=["poisson", "negbin"])
def test_fourier_against_seeded_monte_carlo(freq):
    m = county(freq=freq)
    agg = act.aggregate_loss(m)
    income = m.mean + 1.5 * m.sd
    mc = act.monte_carlo(m, n_sims=100_000, seed=20261122)
    se = mc.standard_errors(income=income)
    est = mc.summary(income=income)
    exact = agg.summary(income=income)
    for key in ["mean", "VaR 95.0%", "VaR 99.0%", "TVaR 95.0%", "TVaR 99.0%", "P(S > income)"]:
        assert abs(est[key] - exact[key]) < 4.5 * se[key], key


def test_several_lines_fourier_panjer_lattice():
    s = hc.load_scheme("dazu-resident", variant="tier2")
    lines = []
    for facility, n, mean in [("township", 3000, 900.0), ("county", 2500, 4000.0), ("above_county", 400, 15000.0)]:
        b = act.Benefit.from_scheme(s, "inpatient", facility=facility, category="adult")
        lines.append(act.ClaimLine(act.Poisson(n), act.Lognormal.from_mean_cv(mean, 1.3), b,
                                   care="inpatient", facility=facility))
    m = act.ClaimModel(lines)
    four = act.aggregate_loss(m)
    lat = act.aggregate_loss(m, "fft", n=1 << 16)
    pj = act.panjer(m, 100.0)
    assert four.method == "fourier"
    for q in (0.5, 0.95, 0.995):
        assert float(lat.ppf(q)) == pytest.approx(float(four.ppf(q)), rel=1e-7)
        assert float(pj.ppf(q)) == pytest.approx(float(four.ppf(q)), rel=1e-4)
    tab = m.table()
    assert tab["share_of_fund"].sum() == pytest.approx(1.0)


def test_heavy_tail_without_cap():
    m = act.ClaimModel.single(act.Poisson(8000), act.Lognormal.from_mean_cv(3000, 4.0), act.Benefit(200, 0.5))
    four = act.aggregate_loss(m)
    assert four.method == "fourier"
    lat = act.aggregate_loss(m, "fft", n=1 << 18)
    # the lattice converges slowly on this tail; it agrees to its own accuracy
    assert float(lat.tvar(0.995)) == pytest.approx(float(four.tvar(0.995)), rel=1e-4)
    assert float(four.tvar(0.995)) > float(four.ppf(0.995)) > m.mean


def test_result_interface():
    m = county()
    agg = act.aggregate_loss(m)
    s = agg.summary(income=m.mean * 1.02)
    assert list(s.index) == ["mean", "sd", "skewness", "VaR 95.0%", "VaR 99.0%", "VaR 99.5%",
                             "TVaR 95.0%", "TVaR 99.0%", "TVaR 99.5%", "income", "P(S > income)"]
    assert s["TVaR 99.5%"] > s["VaR 99.5%"] > s["VaR 99.0%"] > s["VaR 95.0%"] > s["mean"]
    assert float(agg.cdf(agg.ppf(0.3))) == pytest.approx(0.3, abs=1e-13)
    df = agg.frame(200)
    assert (np.diff(df["cdf"]) >= -1e-15).all() and (df["pdf"] >= 0).all()
    draws = agg.sample(200_000, rng=7)
    assert abs(draws.mean() - m.mean) < 5 * m.sd / math.sqrt(draws.size)
    assert float(agg.prob_deficit(m.mean)) == pytest.approx(float(agg.sf(m.mean)))


@pytest.mark.parametrize("call, match", [
    (lambda: act.aggregate_loss("county"), r"model must be a ClaimModel; got str"),
    (lambda: act.aggregate_loss(county(), method="simulate"), r"method = 'simulate' is not allowed; allowed: auto, fourier, fft"),
    (lambda: act.aggregate_loss(county(), tail=0.5), r"tail = 0.5 is outside the allowed range"),
    (lambda: act.panjer(county(), h=-1), r"panjer: h = -1 is not allowed; h must be > 0"),
    (lambda: act.monte_carlo(county(), n_sims=0), r"n_sims = 0 is not allowed; n_sims must be a positive integer"),
])
def test_aggregate_rejects_bad_inputs(call, match):
    with pytest.raises(hc.HealthcoverError, match=match):
        call()


def test_automatic_lattice_refines_a_grid_too_coarse_for_a_heavy_tail():
    """A tiny tail widens the window to the one-big-claim bound; a fixed 2^16 grid then had
    steps far above typical payments and a 15% error in P(S > income). The grid must refine
    until the lattice variance matches the exact one (or refuse)."""
    import healthcover.actuarial as act

    m = act.ClaimModel.single(act.Poisson(800), act.Lognormal.from_mean_cv(3000, 4.0),
                              act.Benefit(deductible=200, rate=0.5))
    income = m.mean + 2 * m.sd
    exact = act.aggregate_loss(m)  # Fourier inversion
    lattice = act.aggregate_loss(m, method="fft", tail=1e-13)
    assert lattice.info["n"] > 1 << 16
    assert abs(lattice.sf(income) / exact.sf(income) - 1) < 1e-5
