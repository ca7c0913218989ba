r"""Fitting claim models to claims data by maximum likelihood, with goodness of fit shown.

Severity (cost per claim): ``lognormal`` and ``gamma`` by ``scipy.stats`` maximum likelihood
(location fixed at 0); ``pareto_tailed``: a Pareto tail above a high quantile with the Hill
estimator :math:`\hat\alpha = n_u / \sum_{x_i > u} \ln(x_i/u)` (its MLE), spliced to a
lognormal body fitted by maximum likelihood truncated at :math:`u` (from the body's
sufficient statistics: count, mean and variance of :math:`\ln x`).

Goodness of fit: the Kolmogorov-Smirnov statistic
:math:`D = \max_i \max(i/n - F(x_{(i)}), F(x_{(i)}) - (i-1)/n)` and the Anderson-Darling

.. math:: A^2 = -n - \frac1n \sum_{i=1}^n (2i - 1)\bigl[\ln F(x_{(i)}) + \ln(1 - F(x_{(n+1-i)}))\bigr],

with p-values by **parametric bootstrap** (``scipy.stats.goodness_of_fit``): samples of the
data's size are drawn from the fitted distribution, the family is refitted to each (the
Pareto threshold re-estimated at the same sample quantile), and the p-value is the share of
bootstrap statistics at least the observed one, :math:`(1 + \#\{T^*_b \ge T\})/(B + 1)`. The
tables' p-values of KS and AD with *estimated* parameters are biased (far too large: the
fitted curve is closer to the data than the true one); the bootstrap is not. Seeded
(``seed=``); ``n_bootstrap`` samples (999 by default; the smallest p-value it can show is
1/(B+1)).

Frequency (claims per insured and year): Poisson (MLE: the mean) and negative binomial
(MLE of r given the mean), with a Pearson chi-square test on the count table (cells pooled
until each expects at least 5).

Sources: Klugman, Panjer & Willmot, *Loss Models*, ch. 13 and 16; Stephens (1974), "EDF
statistics for goodness of fit", *JASA* 69, 730-737; Stute, Gonzáles Manteiga & Presedo
Quindimil (1993), "Bootstrap based goodness-of-fit-tests", *Metrika* 40, 243-256 (the
parametric bootstrap with estimated parameters).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from healthcover import checks as chk
from healthcover.actuarial.benefit import Benefit
from healthcover.actuarial.frequency import MAX_CLAIMS, Frequency, NegativeBinomial, Poisson
from healthcover.actuarial.model import ClaimLine, ClaimModel
from healthcover.actuarial.severity import Gamma, Lognormal, ParetoTailed, Severity
from healthcover.errors import HealthcoverError, rows_preview
from healthcover.money import MAX_YUAN

__all__ = ["SeverityFit", "FrequencyFit", "fit_severity", "fit_frequency", "fit_claim_model",
           "anderson_darling"]

_SEVERITY_FAMILIES = ("lognormal", "gamma", "pareto_tailed")
_FREQUENCY_FAMILIES = ("poisson", "negative_binomial")
_MAX_BOOTSTRAP = 100_000
_CHUNK = 100               # bootstrap samples per goodness_of_fit call (bounded memory, a bar)
_BAR_WORK = 5_000_000      # bootstrap samples x observations above which a bar shows


def anderson_darling(x: np.ndarray, cdf: Callable) -> float:
    """Anderson-Darling statistic A^2 of the sample ``x`` against a fitted CDF."""
    x = np.sort(np.asarray(x, dtype=float))
    return float(_edf_statistics(cdf(x))[0])


def _edf_statistics(F: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A^2, D) along the last axis from the fitted CDF at the sorted observations."""
    n = F.shape[-1]
    F = np.clip(F, 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    ad = -n - np.sum((2 * i - 1) * (np.log(F) + np.log1p(-F[..., ::-1])), axis=-1) / n
    ks = np.maximum(np.max(i / n - F, axis=-1), np.max(F - (i - 1) / n, axis=-1))
    return ad, ks


# --------------------------------------------------------------------------- the spliced family
def _spliced_cdf(x, mu, sigma, u, alpha, w):
    """CDF of a lognormal body truncated at u (weight 1 - w) and a Pareto tail above u."""
    x = np.asarray(x, dtype=float)
    c = special.ndtr((np.log(u) - mu) / sigma)
    with np.errstate(divide="ignore"):
        body = (1 - w) * special.ndtr((np.log(np.maximum(x, 1e-300)) - mu) / sigma) / c
        tail = 1 - w * np.exp(alpha * np.log(u / np.maximum(x, u)))
    return np.where(x <= u, body, tail)


class _ParetoTailedGen(stats.rv_continuous):
    """:class:`ParetoTailed` with a lognormal body as a ``scipy.stats`` family, so that
    ``goodness_of_fit`` can draw from it and refit it (threshold at ``tail_quantile``, a class
    attribute: scipy re-creates the instance when it freezes it)."""

    tail_quantile = 0.9

    @classmethod
    def family(cls, tail_quantile: float) -> "_ParetoTailedGen":
        sub = type("_ParetoTailedAt", (cls,), {"tail_quantile": tail_quantile})
        return sub(a=0.0, name="pareto_tailed", shapes="mu, sigma, u, alpha, w")

    def _argcheck(self, mu, sigma, u, alpha, w):
        return np.isfinite(mu) & (sigma > 0) & (u > 0) & (alpha > 0) & (w > 0) & (w < 1)

    def _cdf(self, x, mu, sigma, u, alpha, w):
        return _spliced_cdf(x, mu, sigma, u, alpha, w)

    def _pdf(self, x, mu, sigma, u, alpha, w):
        c = special.ndtr((np.log(u) - mu) / sigma)
        z = (np.log(x) - mu) / sigma
        body = (1 - w) * np.exp(-0.5 * z * z) / (x * sigma * math.sqrt(2 * math.pi) * c)
        tail = w * alpha * np.exp(alpha * np.log(u / x)) / x
        return np.where(x <= u, body, tail)

    def _ppf(self, q, mu, sigma, u, alpha, w):
        c = special.ndtr((np.log(u) - mu) / sigma)
        with np.errstate(divide="ignore", invalid="ignore"):
            body = np.exp(mu + sigma * special.ndtri(np.minimum(q / (1 - w), 1.0) * c))
            tail = u * np.exp(np.log(w / np.maximum(1 - q, 1e-300)) / alpha)
        return np.where(q <= 1 - w, body, tail)

    def fit(self, data, *args, **kwds):
        mu, sigma, u, alpha, w = _fit_spliced(np.asarray(data, dtype=float), self.tail_quantile, "fit_severity")
        return mu, sigma, u, alpha, w, 0.0, 1.0


def _fit_spliced(x: np.ndarray, tail_quantile: float, func: str):
    """(mu, sigma, u, alpha, w): Hill tail above the ``tail_quantile`` sample quantile, body
    by truncated-lognormal maximum likelihood from its sufficient statistics."""
    u = float(np.quantile(x, tail_quantile))
    top = x[x > u]
    body = x[x <= u]
    if top.size < 20 or body.size < 10:
        raise HealthcoverError(
            f"{func}: tail_quantile = {tail_quantile:g} leaves {top.size} exceedance(s) of {u:g}; "
            f"at least 20 are needed (lower tail_quantile or give more data)"
        )
    alpha = top.size / float(np.sum(np.log(top / u)))
    w = top.size / x.size
    lb = np.log(body)
    m, v = float(lb.mean()), float(lb.var())
    c = math.log(u)

    def parts(mu, ls):
        """Negative log-likelihood per body observation (up to a constant), its gradient and
        Hessian in (mu, ln sigma), from the body's count, mean and variance of ln x."""
        sg = math.exp(ls)
        t = (c - mu) / sg
        log_cdf = float(special.log_ndtr(t))
        lam = math.exp(-0.5 * t * t - 0.5 * math.log(2 * math.pi) - log_cdf)  # phi(t) / Phi(t)
        dlam = -lam * (t + lam)
        q = (v + (m - mu) ** 2) / (sg * sg)
        f = ls + 0.5 * q + log_cdf
        g = np.array([-(m - mu) / (sg * sg) - lam / sg, 1.0 - q - lam * t])
        h_mm = (1.0 + dlam) / (sg * sg)
        h_ml = 2.0 * (m - mu) / (sg * sg) + (dlam * t + lam) / sg
        h_ll = 2.0 * q + dlam * t * t + lam * t
        return f, g, np.array([[h_mm, h_ml], [h_ml, h_ll]])

    # Newton's method with a backtracking line search (a few dozen float operations a step:
    # the bootstrap refits this body a thousand times)
    p = np.array([m, math.log(max(math.sqrt(v), 1e-3))])
    f, g, hess = parts(*p)
    converged = False
    for _ in range(100):
        try:
            step = -np.linalg.solve(hess, g)
            if not np.dot(step, g) < 0:
                raise np.linalg.LinAlgError
        except np.linalg.LinAlgError:
            step = -g  # not a descent direction: steepest descent
        t_step = 1.0
        while t_step > 1e-12:
            cand = p + t_step * step
            fc = parts(*cand)[0]
            if math.isfinite(fc) and fc <= f + 1e-4 * t_step * float(np.dot(g, step)):
                break
            t_step *= 0.5
        p = cand
        f, g, hess = parts(*p)
        if np.max(np.abs(g)) < 1e-12 or np.max(np.abs(t_step * step)) < 1e-14:
            converged = True
            break
    if not converged:
        res = optimize.minimize(lambda z: parts(*z)[0], p, method="Nelder-Mead",
                                options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 4000})
        p = res.x
    mu, ls = p
    return float(mu), math.exp(ls), u, alpha, w


# --------------------------------------------------------------------------- parametric bootstrap
def _bootstrap_pvalues(family: str, x: np.ndarray, n_bootstrap: int, seed, tail_quantile: float,
                       progress: bool | None) -> tuple[float, float]:
    """Bootstrap p-values (KS, AD) with ``scipy.stats.goodness_of_fit``, in chunks of
    ``_CHUNK`` samples (bounded memory; a progress bar on long runs), pooled exactly as one
    run: :math:`(1 + \\#\\{T^* \\ge T\\})/(B + 1)`."""
    from tqdm.auto import tqdm

    rng = chk.rng_from_seed("fit_severity", "seed", seed)
    if family == "lognormal":
        dist, known = stats.lognorm, {"loc": 0.0}

        def cdf(sorted_x, params):
            s, loc, scale = params
            return special.ndtr((np.log(sorted_x) - np.log(scale)) / s)
    elif family == "gamma":
        dist, known = stats.gamma, {"loc": 0.0}

        def cdf(sorted_x, params):
            a, loc, scale = params
            return special.gammainc(a, sorted_x / scale)
    else:
        dist, known = _ParetoTailedGen.family(tail_quantile), {"loc": 0.0, "scale": 1.0}

        def cdf(sorted_x, params):
            return _spliced_cdf(sorted_x, *params[:5])

    ks_values: list[np.ndarray] = []

    def statistic(frozen, data, axis):
        # the AD statistic drives goodness_of_fit; KS from the same samples is kept aside
        params = [np.asarray(p, dtype=float) for p in frozen.args]
        ad, ks = _edf_statistics(cdf(np.sort(np.moveaxis(data, axis, -1), axis=-1), params))
        ks_values.append(np.atleast_1d(ks).ravel())
        return ad

    show = progress if progress is not None else n_bootstrap * x.size >= _BAR_WORK
    null_ad, null_ks = [], []
    observed = None
    with tqdm(total=n_bootstrap, desc=f"goodness of fit ({family})", disable=not show, leave=False) as bar:
        done = 0
        while done < n_bootstrap:
            size = min(_CHUNK, n_bootstrap - done)
            ks_values.clear()
            res = stats.goodness_of_fit(dist, x, known_params=known, statistic=statistic,
                                        n_mc_samples=size, rng=rng)
            observed = (float(res.statistic), float(ks_values[0][0]))
            null_ad.append(np.asarray(res.null_distribution).ravel())
            null_ks.append(np.concatenate(ks_values[1:]))
            done += size
            bar.update(size)

    def pvalue(null, obs):
        gamma = abs(np.finfo(float).eps * 100 * obs)  # ties as scipy's monte_carlo_test
        return float((np.sum(null >= obs - gamma) + 1.0) / (null.size + 1.0))

    return pvalue(np.concatenate(null_ks), observed[1]), pvalue(np.concatenate(null_ad), observed[0])


# --------------------------------------------------------------------------- results
@dataclass
class SeverityFit:
    """A fitted severity with its log-likelihood, AIC, BIC and goodness-of-fit statistics
    (p-values by parametric bootstrap with ``n_bootstrap`` samples)."""

    family: str
    severity: Severity
    n: int
    n_params: int
    loglik: float
    ks_stat: float
    ks_pvalue: float
    ad_stat: float
    ad_pvalue: float = float("nan")
    n_bootstrap: int = 0

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        return self.n_params * math.log(self.n) - 2 * self.loglik

    def row(self) -> dict:
        return {"family": self.family, "n": self.n, "params": self.n_params, "loglik": self.loglik,
                "aic": self.aic, "bic": self.bic, "ks_stat": self.ks_stat, "ks_pvalue": self.ks_pvalue,
                "ad_stat": self.ad_stat, "ad_pvalue": self.ad_pvalue, "n_bootstrap": self.n_bootstrap,
                "mean": self.severity.mean, "cv": self.severity.cv, "severity": repr(self.severity)}


@dataclass
class FrequencyFit:
    """A fitted claim-count distribution (per exposure unit) with a chi-square test."""

    family: str
    frequency: Frequency
    n: int
    n_params: int
    loglik: float
    chi2: float
    df: int
    pvalue: float
    table: pd.DataFrame = field(repr=False)

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.loglik

    def row(self) -> dict:
        return {"family": self.family, "n": self.n, "params": self.n_params, "loglik": self.loglik,
                "aic": self.aic, "chi2": self.chi2, "df": self.df, "pvalue": self.pvalue,
                "mean": self.frequency.mean, "variance": self.frequency.variance,
                "frequency": repr(self.frequency)}


# --------------------------------------------------------------------------- severity
def _costs(func: str, costs) -> np.ndarray:
    x = chk.sample(func, "costs", costs, positive_only=True, min_size=10)
    big = np.flatnonzero(x > MAX_YUAN)
    if big.size:
        raise HealthcoverError(
            f"{func}: costs has {big.size} value(s) above {MAX_YUAN:.0e} yuan (positions "
            f"{', '.join(map(str, big[:5]))}: {', '.join(f'{x[i]:g}' for i in big[:5])}); a cost must be at most that"
        )
    return x


def _bootstrap_args(func: str, n_bootstrap, progress) -> int:
    n_bootstrap = chk.positive_int(func, "n_bootstrap", n_bootstrap)
    if n_bootstrap > _MAX_BOOTSTRAP:
        raise HealthcoverError(
            f"{func}: n_bootstrap = {n_bootstrap:,} is not allowed; n_bootstrap must be at most {_MAX_BOOTSTRAP:,}"
        )
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: progress = {progress!r} is not allowed; give True, False or None")
    return n_bootstrap


def fit_severity(costs, family: str = "lognormal", *, tail_quantile: float = 0.9,
                 n_bootstrap: int = 999, seed: int | np.random.Generator | None = 0,
                 progress: bool | None = None):
    """Fit a severity by maximum likelihood, with bootstrap goodness of fit.

    ``family`` is one of ``lognormal``, ``gamma``, ``pareto_tailed`` or ``"all"`` (a comparison
    table, best AIC first, with the fits in the ``fit`` column). ``tail_quantile`` places the
    Pareto threshold at that sample quantile (at least 20 exceedances are needed).
    ``n_bootstrap`` samples from the fitted distribution give the KS and AD p-values
    (``scipy.stats.goodness_of_fit``), seeded by ``seed``; a progress bar shows on long runs
    (``progress=None``: from 5 million simulated costs). Measured on this project's 2-core
    machine: 999 samples of 20,000 costs take about 2-4 s per family
    (``benchmarks/bench_actuarial.py``).
    """
    func = "fit_severity"
    x = _costs(func, costs)
    chk.choice(func, "family", family, _SEVERITY_FAMILIES + ("all",))
    tail_quantile = chk.probability(func, "tail_quantile", tail_quantile)
    n_bootstrap = _bootstrap_args(func, n_bootstrap, progress)
    chk.rng_from_seed(func, "seed", seed)  # checked before any work
    kw = dict(tail_quantile=tail_quantile, n_bootstrap=n_bootstrap, seed=seed, progress=progress)
    if family == "all":
        fits = [fit_severity(x, f, **kw) for f in _SEVERITY_FAMILIES]
        df = pd.DataFrame([f.row() for f in fits])
        df["fit"] = fits
        return df.sort_values("aic").reset_index(drop=True)
    if family == "lognormal":
        s, _, scale = stats.lognorm.fit(x, floc=0)
        sev, n_params = Lognormal(math.log(scale), s), 2
    elif family == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        sev, n_params = Gamma(a, scale), 2
    else:
        mu, sigma, u, alpha, w = _fit_spliced(x, tail_quantile, func)
        sev, n_params = ParetoTailed(Lognormal(mu, sigma), u, alpha, w), 4
    ll = float(np.sum(sev.logpdf(x)))
    ad, ks = _edf_statistics(sev.cdf(np.sort(x)))
    ks_p, ad_p = _bootstrap_pvalues(family, x, n_bootstrap, seed, tail_quantile, progress)
    return SeverityFit(family, sev, x.size, n_params, ll, float(ks), ks_p, float(ad), ad_p, n_bootstrap)


# --------------------------------------------------------------------------- frequency
def _count_table(values: np.ndarray, counts: np.ndarray, pmf: Callable, n_params: int):
    """Observed and expected counts by k, pooled from the right until each cell expects >= 5.

    ``values`` are the distinct claim counts observed and ``counts`` how many insured had each."""
    n = float(counts.sum())
    kmax = int(values.max())
    ks = np.arange(kmax + 1)
    obs = np.zeros(kmax + 1)
    obs[values.astype(np.int64)] = counts
    exp = n * pmf(ks)
    exp[-1] += n * max(0.0, 1.0 - pmf(ks).sum())  # the last cell is "k or more"
    # pool from the right: cells [lo, hi] with hi = kmax meaning "lo or more"
    cells: list[list[float]] = []  # [lo, hi, observed, expected]
    acc_o = acc_e = 0.0
    hi = kmax
    for i in range(kmax, -1, -1):
        acc_o += obs[i]
        acc_e += exp[i]
        if acc_e >= 5 or i == 0:
            cells.append([i, hi, acc_o, acc_e])
            acc_o = acc_e = 0.0
            hi = i - 1
    cells = cells[::-1]
    if len(cells) > 1 and cells[0][3] < 5:  # a small first cell joins the next
        nxt = cells[1]
        cells[1] = [cells[0][0], nxt[1], nxt[2] + cells[0][2], nxt[3] + cells[0][3]]
        cells = cells[1:]

    def label(lo, hi):
        if hi == kmax:
            return f"{lo}+"
        return f"{lo}" if lo == hi else f"{lo}-{hi}"

    labels = [label(int(c[0]), int(c[1])) for c in cells]
    o, e = np.array([c[2] for c in cells]), np.array([c[3] for c in cells])
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(np.sum(np.where(e > 0, (o - e) ** 2 / e, 0.0)))
    df = max(len(o) - 1 - n_params, 0)
    # no degrees of freedom left (all counts in one or two cells): no test, p-value 1
    p = float(stats.chi2.sf(chi2, df)) if df > 0 else 1.0
    table = pd.DataFrame({"claims": labels, "observed": o, "expected": e})
    return chi2, df, p, table


def _fit_frequency_table(values: np.ndarray, counts: np.ndarray, family: str, func: str) -> FrequencyFit:
    """Fit from a table: ``counts[i]`` insured had ``values[i]`` claims."""
    n = float(counts.sum())
    m = float(np.dot(values, counts) / n)
    if m <= 0:
        raise HealthcoverError(f"{func}: counts are all zero; no claim rate can be fitted")
    if m > MAX_CLAIMS:
        raise HealthcoverError(f"{func}: the mean count {m:g} is above {MAX_CLAIMS:.0e} claims per insured")
    if family == "poisson":
        ll = float(np.dot(counts, stats.poisson.logpmf(values, m)))
        chi2, df, p, table = _count_table(values, counts, lambda x: stats.poisson.pmf(x, m), 1)
        return FrequencyFit(family, Poisson(m), int(n), 1, ll, chi2, df, p, table)
    var = float(np.dot(counts, (values - m) ** 2) / n)
    if var <= m:
        raise HealthcoverError(
            f"{func}: the counts' variance {var:.6g} does not exceed their mean {m:.6g}; a negative "
            f"binomial needs overdispersion (fit a Poisson)"
        )

    def nll(log_r):
        r = math.exp(log_r)
        return -float(np.dot(counts, stats.nbinom.logpmf(values, r, r / (r + m))))

    res = optimize.minimize_scalar(nll, bounds=(-12.0, 12.0), method="bounded", options={"xatol": 1e-10})
    r = math.exp(res.x)
    freq = NegativeBinomial(r, m / r)
    chi2, df, p, table = _count_table(values, counts, lambda x: stats.nbinom.pmf(x, r, r / (r + m)), 2)
    return FrequencyFit(family, freq, int(n), 2, -float(res.fun), chi2, df, p, table)


def fit_frequency(counts, family: str = "poisson"):
    """Fit claims per insured (one value per insured and year, zeros included).

    ``family``: ``poisson``, ``negative_binomial`` or ``"all"`` (comparison table).
    """
    func = "fit_frequency"
    k = chk.sample(func, "counts", counts, positive_only=False, integer=True, min_size=10)
    chk.choice(func, "family", family, _FREQUENCY_FAMILIES + ("all",))
    values, n_k = np.unique(k, return_counts=True)
    if family == "all":
        fits = [fit_frequency(k, f) for f in _FREQUENCY_FAMILIES if f == "poisson" or k.var() > k.mean()]
        df = pd.DataFrame([f.row() for f in fits])
        df["fit"] = fits
        return df.sort_values("aic").reset_index(drop=True)
    return _fit_frequency_table(values, n_k.astype(float), family, func)


# --------------------------------------------------------------------------- claim model
def fit_claim_model(claims: pd.DataFrame, insured: int, *, by: Sequence[str] = ("care", "facility"),
                    severity: str = "lognormal", frequency: str = "poisson",
                    benefit: Benefit | Callable[..., Benefit] | Any | None = None,
                    category: str | None = None, years: float = 1.0, n_bootstrap: int = 999,
                    seed: int | np.random.Generator | None = 0,
                    progress: bool | None = None) -> tuple[ClaimModel, pd.DataFrame]:
    """A claim model by cell (care type x facility level by default) fitted to a claims table.

    Parameters
    ----------
    claims : one row per claim with ``cost``, ``person_id`` (for counts per person) and the
        ``by`` columns.
    insured : number of insured persons the claims come from (persons without claims count
        as zeros).
    benefit : a :class:`Benefit` for every cell, a function ``(care, facility) -> Benefit``,
        or a scheme (``Benefit.from_scheme(scheme, care, facility=..., category=category)``).
    years : exposure years per insured in the data (claims per year = counts / years).
    n_bootstrap, seed, progress : the severities' bootstrap goodness of fit
        (:func:`fit_severity`); each cell is seeded from ``seed`` in turn.

    Returns
    -------
    (ClaimModel, goodness-of-fit table with one row per cell).
    """
    func = "fit_claim_model"
    table = "fit_claim_model: claims"
    chk.frame(claims, table)
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, (list, tuple)) or not by or not all(isinstance(c, str) for c in by):
        raise HealthcoverError(f"{func}: by = {by!r} must be one or more column names, e.g. ('care', 'facility')")
    by = list(by)
    chk.require_columns(claims, ["cost", "person_id", *by], table)
    chk.choice(func, "severity", severity, _SEVERITY_FAMILIES)
    chk.choice(func, "frequency", frequency, _FREQUENCY_FAMILIES)
    insured = chk.positive_int(func, "insured", insured)
    if insured > 1e10:
        raise HealthcoverError(f"{func}: insured = {insured:,} is not allowed; insured must be at most 1e10")
    years = chk.positive(func, "years", years)
    if category is not None and not isinstance(category, str):
        raise HealthcoverError(f"{func}: category = {category!r} is not allowed; give the category's code as text")
    scheme_like = all(hasattr(benefit, a) for a in ("has", "value", "leaf", "id"))
    if not (benefit is None or isinstance(benefit, Benefit) or scheme_like or callable(benefit)):
        raise HealthcoverError(
            f"{func}: benefit must be a Benefit, a function (care, facility) -> Benefit or a scheme; "
            f"got {type(benefit).__name__}"
        )
    n_bootstrap = _bootstrap_args(func, n_bootstrap, progress)
    rng = chk.rng_from_seed(func, "seed", seed)
    if len(claims) == 0:
        raise HealthcoverError(f"{func}: claims has no rows")
    cost = chk.money(claims, "cost", table)
    zero = np.flatnonzero(cost <= 0)
    if zero.size:
        raise HealthcoverError(
            f"{table} {rows_preview(zero)}: cost is 0; a severity is fitted to positive costs (drop claims of no cost)"
        )
    for col in ["person_id", *by]:
        missing = claims[col].isna().to_numpy()
        if missing.any():
            raise HealthcoverError(
                f"{table} {rows_preview(np.flatnonzero(missing))}: {col} is missing; every claim needs a {col}"
            )
    lines, rows = [], []
    for key, cell in claims.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(by, (str(v) for v in key)))
        sfit = fit_severity(cell["cost"].to_numpy(dtype=float), severity, n_bootstrap=n_bootstrap,
                            seed=rng, progress=progress)
        per_person = cell.groupby("person_id").size().to_numpy()
        if per_person.size > insured:
            raise HealthcoverError(
                f"{func}: cell {labels} has claims from {per_person.size} persons but insured = {insured}"
            )
        values, n_k = np.unique(per_person, return_counts=True)
        values = np.concatenate([[0.0], values.astype(float)])
        n_k = np.concatenate([[float(insured - per_person.size)], n_k.astype(float)])
        if insured < 10:
            raise HealthcoverError(f"{func}: insured = {insured} is not allowed; at least 10 insured are needed")
        ffit = _fit_frequency_table(values[n_k > 0], n_k[n_k > 0], frequency, "fit_frequency")
        f_year = ffit.frequency.scaled(insured / years)
        care, facility = labels.get("care", ""), labels.get("facility", "")
        if benefit is None:
            ben = Benefit()
        elif isinstance(benefit, Benefit):
            ben = benefit
        elif scheme_like:
            dims = {"facility": facility} if facility else {}
            if category:
                dims["category"] = category
            ben = Benefit.from_scheme(benefit, care or "inpatient", **dims)
        else:
            ben = benefit(care, facility)
            if not isinstance(ben, Benefit):
                raise HealthcoverError(
                    f"{func}: benefit({care!r}, {facility!r}) must return a Benefit; it returned {type(ben).__name__}"
                )
        lines.append(ClaimLine(f_year, sfit.severity, ben, care=care, facility=facility,
                               category=category or ""))
        rows.append({**labels, "claims": len(cell), "severity": severity,
                     "mean_cost": sfit.severity.mean, "cv": sfit.severity.cv,
                     "ks_stat": sfit.ks_stat, "ks_pvalue": sfit.ks_pvalue, "ad_stat": sfit.ad_stat,
                     "ad_pvalue": sfit.ad_pvalue, "n_bootstrap": n_bootstrap,
                     "frequency": frequency, "claims_per_insured": ffit.frequency.mean / years,
                     "chi2": ffit.chi2, "chi2_df": ffit.df, "chi2_pvalue": ffit.pvalue})
    return ClaimModel(lines), pd.DataFrame(rows)
