r"""Claim frequency (number of claims a year) distributions of the (a, b, 0) class.

Each gives its probability generating function in the form the aggregate-loss code needs,
:math:`\ln P_N(z)` as a function of :math:`z - 1` (which keeps precision when
:math:`z \to 1` and the expected count is large), its Panjer coefficients and cumulants.

.. math::
    \text{Poisson}(\lambda):\ \ln P(z) = \lambda (z - 1);\qquad
    \text{NB}(r, \beta):\ \ln P(z) = -r \ln\bigl(1 - \beta (z - 1)\bigr)

with NB mean :math:`r\beta` and variance :math:`r\beta(1 + \beta)`.
Source: Klugman, Panjer & Willmot, *Loss Models* (5th ed.), section 6.5 and appendix B.2.
"""
from __future__ import annotations

import math

import numpy as np

from healthcover import checks as chk
from healthcover.errors import HealthcoverError

__all__ = ["Frequency", "Poisson", "NegativeBinomial"]

#: The largest expected number of claims a year accepted (a trillion: about 700 claims a
#: year for every person alive; beyond it counts lose precision in float64).
MAX_CLAIMS = 1e12
_WHY = "expected claims a year"


class Frequency:
    """Base class: annual number of claims."""

    mean: float

    @property
    def variance(self) -> float:
        raise NotImplementedError

    @property
    def third_cumulant(self) -> float:
        raise NotImplementedError

    def log_pgf_zm1(self, zm1):
        r""":math:`\ln P_N(z)` given :math:`z - 1` (complex arrays allowed)."""
        raise NotImplementedError

    def pgf(self, z):
        return np.exp(self.log_pgf_zm1(np.asarray(z) - 1.0))

    def log_pgf_ratio(self, zm1, dz):
        r""":math:`\ln P_N(z + \Delta z) - \ln P_N(z)` given :math:`z - 1` and :math:`\Delta z`,
        without cancellation when :math:`\Delta z` is small (the continuous part of a payment
        whose atoms carry most of the mass)."""
        raise NotImplementedError

    def prob_zero(self) -> float:
        """P(N = 0)."""
        return math.exp(float(np.real(self.log_pgf_zm1(-1.0))))

    def thinned(self, p: float) -> "Frequency":
        r"""The number of claims of a kind that each claim is with probability ``p``
        (independently): Poisson(:math:`\lambda p`), NB(:math:`r, \beta p`). Source: Klugman,
        Panjer & Willmot, *Loss Models*, section 8.6 (the number of payments)."""
        raise NotImplementedError

    def kept_given_none(self, keep: float, drop: float) -> "Frequency":
        r"""The number of claims of one kind (probability ``keep`` each) given that no claim
        of another kind (probability ``drop``) occurred.

        Its PGF is :math:`P_N(1 - \text{keep} - \text{drop} + \text{keep}\, z) / P_N(1 - \text{drop})`:
        Poisson(:math:`\lambda\,\text{keep}`) (kinds are independent),
        NB(:math:`r, \beta\,\text{keep} / (1 + \beta\,\text{drop})`).
        """
        raise NotImplementedError

    def _scipy(self):
        """The frozen ``scipy.stats`` distribution (pmf, ppf, isf over count ranges)."""
        raise NotImplementedError

    def panjer_ab(self) -> tuple[float, float]:
        """(a, b) with p_k = (a + b / k) p_{k-1}."""
        raise NotImplementedError

    def sample(self, size, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def scaled(self, factor: float) -> "Frequency":
        """Claims of ``factor`` times as many insured (independent persons alike)."""
        raise NotImplementedError

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance)


class Poisson(Frequency):
    r"""Poisson number of claims, :math:`P(N = k) = e^{-\lambda}\lambda^k / k!`."""

    def __init__(self, mean: float):
        self.mean = chk.positive_at_most("Poisson", "mean", mean, MAX_CLAIMS, why=_WHY)

    def __repr__(self) -> str:
        return f"Poisson(mean={self.mean:.6g})"

    @property
    def variance(self):
        return self.mean

    @property
    def third_cumulant(self):
        return self.mean

    def log_pgf_zm1(self, zm1):
        return self.mean * zm1

    def log_pgf_ratio(self, zm1, dz):
        return self.mean * dz

    def thinned(self, p):
        p = chk.in_range("Poisson.thinned", "p", p, 0.0, 1.0, lo_open=True)
        return Poisson(self.mean * p)

    def kept_given_none(self, keep, drop):
        keep = chk.in_range("Poisson.kept_given_none", "keep", keep, 0.0, 1.0, lo_open=True)
        chk.in_range("Poisson.kept_given_none", "drop", drop, 0.0, 1.0)
        return Poisson(self.mean * keep)

    def _scipy(self):
        from scipy import stats
        return stats.poisson(self.mean)

    def panjer_ab(self):
        return 0.0, self.mean

    def pmf(self, k):
        from scipy import stats
        return stats.poisson.pmf(k, self.mean)

    def sample(self, size, rng):
        return rng.poisson(self.mean, size)

    def scaled(self, factor):
        factor = chk.positive("Poisson.scaled", "factor", factor)
        return Poisson(self.mean * factor)


class NegativeBinomial(Frequency):
    r"""Negative binomial number of claims with size :math:`r` and scale :math:`\beta`.

    .. math:: P(N = k) = \binom{k + r - 1}{k} \left(\frac{1}{1+\beta}\right)^r
              \left(\frac{\beta}{1+\beta}\right)^k

    A Poisson whose mean is gamma-distributed (heterogeneous risks or a common shock).
    """

    def __init__(self, r: float, beta: float):
        self.r = chk.positive_at_most("NegativeBinomial", "r", r, MAX_CLAIMS)
        self.beta = chk.positive_at_most("NegativeBinomial", "beta", beta, MAX_CLAIMS)
        self.mean = self.r * self.beta
        if self.mean > MAX_CLAIMS:
            raise HealthcoverError(
                f"NegativeBinomial: r = {self.r:g} and beta = {self.beta:g} give a mean of {self.mean:g} claims a year; "
                f"the mean r x beta must be at most {MAX_CLAIMS:.0e}"
            )

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "NegativeBinomial":
        r""":math:`\beta = \sigma^2/m - 1`, :math:`r = m/\beta`; needs :math:`cv > 1/\sqrt{m}`."""
        func = "NegativeBinomial.from_mean_cv"
        mean = chk.positive_at_most(func, "mean", mean, MAX_CLAIMS, why=_WHY)
        cv = chk.positive_at_most(func, "cv", cv, 1e6)
        var = (cv * mean) ** 2
        if var <= mean * (1 + 1e-12):
            raise HealthcoverError(
                f"{func}: cv = {cv:g} gives variance {var:g} <= mean {mean:g}; a negative binomial needs "
                f"cv > 1/sqrt(mean) = {1 / math.sqrt(mean):.6g} (use Poisson for cv = 1/sqrt(mean))"
            )
        beta = var / mean - 1.0
        return cls(mean / beta, beta)

    @classmethod
    def from_mean_dispersion(cls, mean: float, dispersion: float) -> "NegativeBinomial":
        r"""Variance :math:`= m (1 + \text{dispersion})`, i.e. :math:`\beta` = dispersion."""
        func = "NegativeBinomial.from_mean_dispersion"
        mean = chk.positive_at_most(func, "mean", mean, MAX_CLAIMS, why=_WHY)
        beta = chk.positive(func, "dispersion", dispersion)
        return cls(mean / beta, beta)

    def __repr__(self) -> str:
        return f"NegativeBinomial(r={self.r:.6g}, beta={self.beta:.6g}; mean={self.mean:.6g}, cv={self.sd / self.mean:.4g})"

    @property
    def variance(self):
        return self.r * self.beta * (1.0 + self.beta)

    @property
    def third_cumulant(self):
        b = self.beta
        return self.r * b * (1.0 + b) * (1.0 + 2.0 * b)

    def log_pgf_zm1(self, zm1):
        # Re(1 - beta (z - 1)) >= 1 for |z| <= 1, so the principal log is the right branch.
        return -self.r * np.log1p(-self.beta * np.asarray(zm1))

    def log_pgf_ratio(self, zm1, dz):
        # (1 - b(z + dz - 1)) / (1 - b(z - 1)) = 1 - b dz / (1 - b(z - 1)); Re(1 - b(z - 1)) >= 1
        return -self.r * np.log1p(-self.beta * np.asarray(dz) / (1.0 - self.beta * np.asarray(zm1)))

    def thinned(self, p):
        p = chk.in_range("NegativeBinomial.thinned", "p", p, 0.0, 1.0, lo_open=True)
        return NegativeBinomial(self.r, self.beta * p)

    def kept_given_none(self, keep, drop):
        func = "NegativeBinomial.kept_given_none"
        keep = chk.in_range(func, "keep", keep, 0.0, 1.0, lo_open=True)
        drop = chk.in_range(func, "drop", drop, 0.0, 1.0)
        return NegativeBinomial(self.r, self.beta * keep / (1.0 + self.beta * drop))

    def _scipy(self):
        from scipy import stats
        return stats.nbinom(self.r, 1.0 / (1.0 + self.beta))

    def panjer_ab(self):
        a = self.beta / (1.0 + self.beta)
        return a, (self.r - 1.0) * a

    def pmf(self, k):
        from scipy import stats
        return stats.nbinom.pmf(k, self.r, 1.0 / (1.0 + self.beta))

    def sample(self, size, rng):
        return rng.negative_binomial(self.r, 1.0 / (1.0 + self.beta), size)

    def scaled(self, factor):
        factor = chk.positive("NegativeBinomial.scaled", "factor", factor)
        return NegativeBinomial(self.r * factor, self.beta)
