r"""Fitting claim models to claims data by maximum likelihood, with goodness of fit shown.

Severity (cost per claim): ``lognormal`` and ``gamma`` by ``scipy.stats`` maximum likelihood
(location fixed at 0); ``pareto_tailed``: a Pareto tail above a high quantile with the Hill
estimator :math:`\hat\alpha = n_u / \sum_{x_i > u} \ln(x_i/u)` (its MLE), spliced to a
lognormal body fitted by maximum likelihood truncated at :math:`u`. Goodness of fit:
Kolmogorov-Smirnov (statistic and p-value; with estimated parameters the p-value is
conservative, i.e. too large) and Anderson-Darling

.. math:: A^2 = -n - \frac1n \sum_{i=1}^n (2i - 1)\bigl[\ln F(x_{(i)}) + \ln(1 - F(x_{(n+1-i)}))\bigr].

Frequency (claims per insured and year): Poisson (MLE: the mean) and negative binomial
(MLE of r given the mean), with a Pearson chi-square test on the count table (cells pooled
until each expects at least 5).

Sources: Klugman, Panjer & Willmot, *Loss Models*, ch. 13 and 16; Stephens (1974), "EDF
statistics for goodness of fit", *JASA* 69, 730-737.
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
from healthcover.actuarial.frequency import Frequency, NegativeBinomial, Poisson
from healthcover.actuarial.model import ClaimLine, ClaimModel
from healthcover.actuarial.severity import Gamma, Lognormal, ParetoTailed, Severity
from healthcover.errors import HealthcoverError

__all__ = ["SeverityFit", "FrequencyFit", "fit_severity", "fit_frequency", "fit_claim_model",
           "anderson_darling"]

_SEVERITY_FAMILIES = ("lognormal", "gamma", "pareto_tailed")
_FREQUENCY_FAMILIES = ("poisson", "negative_binomial")


def anderson_darling(x: np.ndarray, cdf: Callable) -> float:
    """Anderson-Darling statistic A^2 of the sample ``x`` against a fitted CDF."""
    x = np.sort(np.asarray(x, dtype=float))
    n = x.size
    F = np.clip(cdf(x), 1e-300, 1 - 1e-16)
    i = np.arange(1, n + 1)
    return float(-n - np.sum((2 * i - 1) * (np.log(F) + np.log1p(-F[::-1]))) / n)


@dataclass
class SeverityFit:
    """A fitted severity with its log-likelihood, AIC, BIC and goodness-of-fit statistics."""

    family: str
    severity: Severity
    n: int
    n_params: int
    loglik: float
    ks_stat: float
    ks_pvalue: float
    ad_stat: float

    @property
    def aic(self) -> float:
        return 2 * self.n_params - 2 * self.loglik

    @property
    def bic(self) -> float:
        return self.n_params * math.log(self.n) - 2 * self.loglik

    def row(self) -> dict:
        return {"family": self.family, "n": self.n, "params": self.n_params, "loglik": self.loglik,
                "aic": self.aic, "bic": self.bic, "ks_stat": self.ks_stat, "ks_pvalue": self.ks_pvalue,
                "ad_stat": self.ad_stat, "mean": self.severity.mean, "cv": self.severity.cv,
                "severity": repr(self.severity)}


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


def _severity_fit(family, x, sev, n_params) -> SeverityFit:
    ll = float(np.sum(sev.logpdf(x)))
    ks = stats.kstest(x, sev.cdf)
    return SeverityFit(family, sev, x.size, n_params, ll, float(ks.statistic), float(ks.pvalue),
                       anderson_darling(x, sev.cdf))


def fit_severity(costs, family: str = "lognormal", *, tail_quantile: float = 0.9):
    """Fit a severity by maximum likelihood.

    ``family`` is one of ``lognormal``, ``gamma``, ``pareto_tailed`` or ``"all"`` (a comparison
    table, best AIC first, with the fits in the ``fit`` column). ``tail_quantile`` places the
    Pareto threshold at that sample quantile (at least 20 exceedances are needed).
    """
    func = "fit_severity"
    x = chk.sample(func, "costs", costs, positive_only=True, min_size=10)
    if family == "all":
        fits = [fit_severity(x, f, tail_quantile=tail_quantile) for f in _SEVERITY_FAMILIES]
        df = pd.DataFrame([f.row() for f in fits])
        df["fit"] = fits
        return df.sort_values("aic").reset_index(drop=True)
    chk.choice(func, "family", family, _SEVERITY_FAMILIES + ("all",))
    if family == "lognormal":
        s, _, scale = stats.lognorm.fit(x, floc=0)
        return _severity_fit(family, x, Lognormal(math.log(scale), s), 2)
    if family == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        return _severity_fit(family, x, Gamma(a, scale), 2)
    # pareto_tailed
    tail_quantile = chk.probability(func, "tail_quantile", tail_quantile)
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

    def nll(p):
        mu, ls = p
        sg = math.exp(ls)
        z = (lb - mu) / sg
        return -(np.sum(-0.5 * z * z - ls) - body.size * special.log_ndtr((math.log(u) - mu) / sg))

    start = [lb.mean(), math.log(max(lb.std(), 1e-3))]
    res = optimize.minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12,
                                                                         "maxiter": 4000})
    mu, ls = res.x
    sev = ParetoTailed(Lognormal(mu, math.exp(ls)), u, alpha, w)
    return _severity_fit(family, x, sev, 4)


def _count_table(k: np.ndarray, pmf: Callable, n_params: int):
    """Observed and expected counts by k, pooled from the right until each cell expects >= 5."""
    n = k.size
    kmax = int(k.max())
    ks = np.arange(kmax + 1)
    obs = np.bincount(k.astype(np.int64), minlength=kmax + 1).astype(float)
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
    cells_o = [c[2] for c in cells]
    cells_e = [c[3] for c in cells]
    o, e = np.array(cells_o), np.array(cells_e)
    chi2 = float(np.sum((o - e) ** 2 / e))
    df = max(len(o) - 1 - n_params, 0)
    p = float(stats.chi2.sf(chi2, df)) if df > 0 else float("nan")
    table = pd.DataFrame({"claims": labels, "observed": o, "expected": e})
    return chi2, df, p, table


def fit_frequency(counts, family: str = "poisson"):
    """Fit claims per insured (one value per insured and year, zeros included).

    ``family``: ``poisson``, ``negative_binomial`` or ``"all"`` (comparison table).
    """
    func = "fit_frequency"
    k = chk.sample(func, "counts", counts, positive_only=False, integer=True, min_size=10)
    if family == "all":
        fits = [fit_frequency(k, f) for f in _FREQUENCY_FAMILIES if f == "poisson" or k.var() > k.mean()]
        df = pd.DataFrame([f.row() for f in fits])
        df["fit"] = fits
        return df.sort_values("aic").reset_index(drop=True)
    chk.choice(func, "family", family, _FREQUENCY_FAMILIES + ("all",))
    m = float(k.mean())
    if m <= 0:
        raise HealthcoverError(f"{func}: counts are all zero; no claim rate can be fitted")
    if family == "poisson":
        freq = Poisson(m)
        ll = float(np.sum(stats.poisson.logpmf(k, m)))
        chi2, df, p, table = _count_table(k, lambda x: stats.poisson.pmf(x, m), 1)
        return FrequencyFit(family, freq, k.size, 1, ll, chi2, df, p, table)
    if k.var(ddof=0) <= m:
        raise HealthcoverError(
            f"{func}: the counts' variance {k.var():.6g} does not exceed their mean {m:.6g}; a negative "
            f"binomial needs overdispersion (fit a Poisson)"
        )

    def nll(log_r):
        r = math.exp(log_r)
        return -float(np.sum(stats.nbinom.logpmf(k, r, r / (r + m))))

    res = optimize.minimize_scalar(nll, bounds=(-12.0, 12.0), method="bounded",
                                   options={"xatol": 1e-10})
    r = math.exp(res.x)
    freq = NegativeBinomial(r, m / r)
    chi2, df, p, table = _count_table(k, lambda x: stats.nbinom.pmf(x, r, r / (r + m)), 2)
    return FrequencyFit(family, freq, k.size, 2, -float(res.fun), chi2, df, p, table)


def fit_claim_model(claims: pd.DataFrame, insured: int, *, by: Sequence[str] = ("care", "facility"),
                    severity: str = "lognormal", frequency: str = "poisson",
                    benefit: Benefit | Callable[..., Benefit] | Any | None = None,
                    category: str | None = None, years: float = 1.0) -> tuple[ClaimModel, pd.DataFrame]:
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

    Returns
    -------
    (ClaimModel, goodness-of-fit table with one row per cell).
    """
    func = "fit_claim_model"
    if not isinstance(claims, pd.DataFrame):
        raise HealthcoverError(f"{func}: claims must be a pandas DataFrame; got {type(claims).__name__}")
    by = list(by)
    missing = [c for c in ["cost", "person_id", *by] if c not in claims.columns]
    if missing:
        raise HealthcoverError(
            f"{func}: claims is missing column(s) {', '.join(missing)}; it has {', '.join(map(str, claims.columns))}"
        )
    insured = chk.positive_int(func, "insured", insured)
    years = chk.positive(func, "years", years)
    lines, rows = [], []
    for key, cell in claims.groupby(by, sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        labels = dict(zip(by, (str(v) for v in key)))
        sfit = fit_severity(cell["cost"].to_numpy(), severity)
        per_person = cell.groupby("person_id").size().to_numpy()
        if per_person.size > insured:
            raise HealthcoverError(
                f"{func}: cell {labels} has claims from {per_person.size} persons but insured = {insured}"
            )
        counts = np.concatenate([per_person, np.zeros(insured - per_person.size)])
        ffit = fit_frequency(counts, frequency)
        f_year = ffit.frequency.scaled(insured / years)
        care, facility = labels.get("care", ""), labels.get("facility", "")
        if benefit is None:
            ben = Benefit()
        elif isinstance(benefit, Benefit):
            ben = benefit
        elif callable(benefit):
            ben = benefit(care, facility)
        else:  # a scheme
            dims = {"facility": facility} if facility else {}
            if category:
                dims["category"] = category
            ben = Benefit.from_scheme(benefit, care or "inpatient", **dims)
        lines.append(ClaimLine(f_year, sfit.severity, ben, care=care, facility=facility,
                               category=category or ""))
        rows.append({**labels, "claims": len(cell), "severity": severity,
                     "mean_cost": sfit.severity.mean, "cv": sfit.severity.cv,
                     "ks_stat": sfit.ks_stat, "ks_pvalue": sfit.ks_pvalue, "ad_stat": sfit.ad_stat,
                     "frequency": frequency, "claims_per_insured": ffit.frequency.mean / years,
                     "chi2": ffit.chi2, "chi2_df": ffit.df, "chi2_pvalue": ffit.pvalue})
    if not lines:
        raise HealthcoverError(f"{func}: claims has no rows")
    return ClaimModel(lines), pd.DataFrame(rows)
