"""Goodness of fit of fitted severities by parametric bootstrap (issue 14, item 7).

The p-values come from ``scipy.stats.goodness_of_fit``: checked against direct calls with the
same seed, for calibration under the null (where the classical KS p-value with estimated
parameters is far too large), for power, seeding and the smallest p-value."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import healthcover as hc
import healthcover.actuarial as act

LOGN = act.Lognormal.from_mean_cv(3000, 1.5)


def costs(n, seed, law=LOGN):
    return law.sample(n, np.random.default_rng(seed))


@pytest.mark.parametrize("family, dist", [("lognormal", stats.lognorm), ("gamma", stats.gamma)])
def test_p_values_are_scipys_goodness_of_fit(family, dist):
    """Chunked and pooled as one run: identical to a direct call with the same seed."""
    x = costs(300, 5)
    fit = act.fit_severity(x, family, n_bootstrap=250, seed=11, progress=False)
    for statistic, got in (("ad", fit.ad_pvalue), ("ks", fit.ks_pvalue)):
        ref = stats.goodness_of_fit(dist, x, known_params={"loc": 0}, statistic=statistic,
                                    n_mc_samples=250, rng=np.random.default_rng(11))
        assert got == ref.pvalue, statistic
    ref_ks = stats.kstest(x, fit.severity.cdf).statistic
    assert fit.ks_stat == pytest.approx(ref_ks, rel=1e-12)


def test_seeded_and_reproducible():
    x = costs(400, 1)
    a = act.fit_severity(x, "lognormal", n_bootstrap=99, seed=3, progress=False)
    b = act.fit_severity(x, "lognormal", n_bootstrap=99, seed=3, progress=False)
    c = act.fit_severity(x, "lognormal", n_bootstrap=99, seed=np.random.default_rng(3), progress=False)
    assert (a.ks_pvalue, a.ad_pvalue) == (b.ks_pvalue, b.ad_pvalue) == (c.ks_pvalue, c.ad_pvalue)
    assert a.n_bootstrap == 99 and a.row()["n_bootstrap"] == 99


def test_calibrated_under_the_null_where_the_table_p_value_is_not():
    """Lognormal data, lognormal fitted: bootstrap p-values are about uniform (a test at 10%
    rejects about 10%), the classical KS p-value with the fitted parameters is biased upwards."""
    boot, naive = [], []
    for seed in range(60):
        x = costs(150, 100 + seed)
        fit = act.fit_severity(x, "lognormal", n_bootstrap=99, seed=seed, progress=False)
        boot.append(fit.ks_pvalue)
        naive.append(stats.kstest(x, fit.severity.cdf).pvalue)
    boot, naive = np.array(boot), np.array(naive)
    assert 0.3 < boot.mean() < 0.7 and 0.0 < (boot < 0.1).mean() < 0.25
    assert naive.mean() > 0.7 and (naive < 0.1).mean() < 0.03 and naive.mean() - boot.mean() > 0.15


def test_power_and_the_smallest_p_value():
    gamma_costs = costs(2_000, 2, act.Gamma.from_mean_cv(3000, 0.5))
    fit = act.fit_severity(gamma_costs, "lognormal", n_bootstrap=199, seed=0, progress=False)
    assert fit.ad_pvalue == fit.ks_pvalue == pytest.approx(1 / 200)
    ok = act.fit_severity(gamma_costs, "gamma", n_bootstrap=199, seed=0, progress=False)
    assert ok.ad_pvalue > 0.01


def test_pareto_tailed_bootstrap_refits_the_threshold():
    law = act.ParetoTailed.from_mean_cv(3000, 1.5, alpha=3.5, weight=0.1)
    x = costs(2_000, 7, law)
    fit = act.fit_severity(x, "pareto_tailed", tail_quantile=0.9, n_bootstrap=99, seed=1, progress=False)
    assert fit.severity.alpha == pytest.approx(3.5, rel=0.2)
    assert 0.01 < fit.ad_pvalue <= 1 and 0.01 < fit.ks_pvalue <= 1
    # the spliced body by Newton from sufficient statistics agrees with a direct likelihood search
    body = np.log(x[x <= fit.severity.threshold])
    c = np.log(fit.severity.threshold)

    def nll(p):
        mu, sg = p[0], np.exp(p[1])
        return -np.sum(stats.norm.logpdf(body, mu, sg) - stats.norm.logcdf(c, mu, sg))

    from scipy import optimize
    ref = optimize.minimize(nll, [body.mean(), np.log(body.std())], method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    assert fit.severity.body.mu == pytest.approx(ref.x[0], abs=1e-6)
    assert fit.severity.body.sigma == pytest.approx(np.exp(ref.x[1]), rel=1e-6)


def test_claim_model_table_carries_the_bootstrap_p_values():
    rng = np.random.default_rng(4)
    who = rng.integers(0, 5_000, 400)
    import pandas as pd

    claims = pd.DataFrame({"person_id": who, "care": "inpatient", "facility": "county",
                           "cost": LOGN.sample(who.size, rng)})
    model, gof = act.fit_claim_model(claims, 5_000, n_bootstrap=49, seed=2, progress=False)
    row = gof.iloc[0]
    assert {"ks_pvalue", "ad_pvalue", "n_bootstrap"} <= set(gof.columns) and row["n_bootstrap"] == 49
    assert 0 < row["ad_pvalue"] <= 1
    again = act.fit_claim_model(claims, 5_000, n_bootstrap=49, seed=2, progress=False)[1]
    assert again["ad_pvalue"].tolist() == gof["ad_pvalue"].tolist()


def test_bootstrap_arguments_are_checked():
    x = costs(50, 0)
    with pytest.raises(hc.HealthcoverError, match=r"n_bootstrap = 0 is not allowed"):
        act.fit_severity(x, n_bootstrap=0)
    with pytest.raises(hc.HealthcoverError, match=r"n_bootstrap = 1,000,000 is not allowed; n_bootstrap must be at most"):
        act.fit_severity(x, n_bootstrap=1_000_000)
    with pytest.raises(hc.HealthcoverError, match=r"progress = 'yes' is not allowed"):
        act.fit_severity(x, progress="yes")
    with pytest.raises(hc.HealthcoverError, match=r"seed = 1.5 is not allowed"):
        act.fit_severity(x, seed=1.5)
