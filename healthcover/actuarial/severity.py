r"""Claim severity (cost per claim) distributions.

Each distribution gives exact partial moments

.. math:: M_k(a, b) = E[X^k \, 1\{a < X \le b\}], \qquad k = 0, 1, 2, 3,

from which the benefit module derives the exact moments, limited expected values and
stop-loss transforms of the fund's payment per claim, and Gauss-Legendre nodes in
:math:`t = \ln x` from which it computes the payment's characteristic function.

Families: :class:`Lognormal`, :class:`Gamma`, :class:`Pareto` (single-parameter), finite
:class:`Mixture`, :class:`Truncated`, and :class:`ParetoTailed` (a body spliced to a Pareto
tail). ``Lognormal.from_mean_cv`` and friends build a distribution from a stated mean and
coefficient of variation, the form in which the synthetic population is calibrated.

Source: Klugman, Panjer & Willmot, *Loss Models* (5th ed., 2019), ch. 5 and appendix A
(limited moments of the lognormal, gamma and Pareto distributions).
"""
from __future__ import annotations

import functools
import math
from typing import Sequence

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import optimize, special

from healthcover import checks as chk
from healthcover.errors import HealthcoverError
from healthcover.money import MAX_YUAN

__all__ = [
    "Severity", "Lognormal", "Gamma", "Pareto", "Mixture", "Truncated", "ParetoTailed",
]

# Gauss-Legendre rule used on every panel: 16 nodes integrate a smooth panel whose integrand
# turns through at most _PHASE_PER_PANEL radians to about machine precision (error < 1e-15
# up to 16 radians for a pure oscillation).
_GL_N = 16
_GL_X, _GL_W = leggauss(_GL_N)
_PHASE_PER_PANEL = 12.0
# Probability mass below which the quadrature range is cut (the remainder is kept as an atom
# by the caller, so no mass is lost).
_TAIL_EPS = 1e-18
# Parameter ranges: a claim's cost is at most MAX_YUAN (1e12 yuan); beyond these the
# quantiles the quadrature needs (1e-18 tails) leave the floating-point range.
_LOG_MAX = math.log(MAX_YUAN)
_SIGMA_MAX = 10.0        # lognormal: cv = sqrt(e^(sigma^2) - 1) up to e^50
_SHAPE_RANGE = (1e-3, 1e6)   # gamma: cv from 1e-3 to about 32
_ALPHA_RANGE = (0.1, 1000.0)  # Pareto tail index


_LOG_HUGE = math.log(np.finfo(float).max)


def _exp(x):
    """exp that gives inf (not an error or a warning) where the result leaves the float range
    (without an errstate context: this sits on the hot path of every partial moment)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > _LOG_HUGE, np.inf, np.exp(np.minimum(x, _LOG_HUGE)))


def _as_float(x):
    return np.asarray(x, dtype=float)


def _checked(method, where: str, kind: str):
    """``method`` with its argument checked: costs (no NaN) or probabilities (0 to 1)."""
    @functools.wraps(method)
    def wrapper(self, value):
        arr = chk.points(where, "q" if kind == "level" else "x", value)
        if kind == "level" and ((arr < 0) | (arr > 1)).any():
            bad = float(np.ravel(arr)[np.flatnonzero(np.ravel((arr < 0) | (arr > 1)))[0]])
            raise HealthcoverError(f"{where}: q = {bad:g} is not allowed; a probability must be from 0 to 1")
        return method(self, arr)

    return wrapper


_EVALUATIONS = {"cdf": "cost", "sf": "cost", "logpdf": "cost", "ppf": "level", "isf": "level"}


class Severity:
    """A positive, continuous claim-cost distribution (base class).

    Subclasses implement ``cdf``, ``sf``, ``logpdf``, ``lower_moment``, ``upper_moment``,
    ``ppf``, ``isf``, ``sample``, ``scaled``, ``support`` and ``_t_width``. Their ``cdf``,
    ``sf``, ``logpdf`` (costs, NaN refused) and ``ppf``, ``isf`` (probabilities from 0 to 1)
    check their argument.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, kind in _EVALUATIONS.items():
            if name in cls.__dict__:
                setattr(cls, name, _checked(cls.__dict__[name], f"{cls.__name__}.{name}", kind))

    #: (lowest, highest) value with positive density
    support: tuple[float, float] = (0.0, math.inf)

    # --- to implement --------------------------------------------------------------------
    def cdf(self, x):
        raise NotImplementedError

    def sf(self, x):
        raise NotImplementedError

    def logpdf(self, x):
        raise NotImplementedError

    def lower_moment(self, k: int, x):
        r""":math:`E[X^k 1\{X \le x\}]`."""
        raise NotImplementedError

    def upper_moment(self, k: int, x):
        r""":math:`E[X^k 1\{X > x\}]`."""
        raise NotImplementedError

    def ppf(self, q):
        raise NotImplementedError

    def isf(self, q):
        raise NotImplementedError

    def sample(self, size, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def scaled(self, factor: float) -> "Severity":
        """The distribution of ``factor * X`` (cost inflation)."""
        raise NotImplementedError

    def _t_width(self) -> float:
        """Panel width in t = ln x on which the log-density is smooth (about one scale)."""
        raise NotImplementedError

    # --- derived -------------------------------------------------------------------------
    def pdf(self, x):
        return np.exp(self.logpdf(x))

    def partial_moment(self, k: int, lo, hi):
        r""":math:`E[X^k 1\{lo < X \le hi\}]`, computed from the side that keeps precision."""
        lo, hi = _as_float(lo), _as_float(hi)
        with np.errstate(invalid="ignore"):
            u_lo = self.upper_moment(k, lo)
            l_hi = self.lower_moment(k, hi)
            up = u_lo - self.upper_moment(k, hi)
            low = l_hi - self.lower_moment(k, lo)
        # The difference of the smaller terms keeps precision: the k-th moment's weight sits
        # near the mode of x^k f(x), far above the median for a wide law (a lognormal with
        # sigma = 5 has E[X^2] from x near e^(mu + 2 sigma^2)); a tail without the k-th
        # moment (upper terms infinite) has only the lower form.
        out = np.where(np.isfinite(up) & (u_lo <= l_hi), up, low)
        return np.where(hi > lo, np.maximum(out, 0.0), 0.0)

    @property
    def median(self) -> float:
        m = self.__dict__.get("_median")
        if m is None:
            m = self.__dict__["_median"] = float(self.ppf(0.5))
        return m

    def moment(self, k: int) -> float:
        r""":math:`E[X^k]` (``inf`` where it does not exist)."""
        return float(self.upper_moment(k, 0.0))

    @property
    def mean(self) -> float:
        return self.moment(1)

    @property
    def variance(self) -> float:
        m1, m2 = self.moment(1), self.moment(2)
        return m2 - m1 * m1 if math.isfinite(m2) else math.inf

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance)

    @property
    def cv(self) -> float:
        return self.sd / self.mean

    def limited_mean(self, x):
        r"""Limited expected value :math:`E[X \wedge x]`."""
        x = _as_float(x)
        return self.lower_moment(1, x) + np.where(x > 0, x, 0.0) * self.sf(np.maximum(x, 0.0))

    def stop_loss(self, x):
        r"""Stop-loss transform :math:`E[(X - x)_+]`."""
        x = np.maximum(_as_float(x), 0.0)
        return np.maximum(self.upper_moment(1, x) - x * self.sf(x), 0.0)

    # --- quadrature ----------------------------------------------------------------------
    def quadrature(self, lo: float, hi: float, omega: float = 0.0,
                   eps: float = _TAIL_EPS) -> tuple[np.ndarray, np.ndarray]:
        r"""Nodes ``x`` and weights ``w`` with :math:`\sum w\,h(x) \approx \int_{lo}^{hi} h\,dF`.

        Composite 16-point Gauss-Legendre in :math:`t = \ln x` on panels of about one scale
        of the log-density; a panel is split further (into equal lengths in x) so that
        :math:`e^{i\omega x}` turns through at most 12 radians on each piece. The range is cut
        where the mass left outside is below ``eps``; that mass is kept as two end nodes (at
        the cut points), so the weights sum to :math:`F(hi) - F(lo)`.
        """
        s_lo, s_hi = self.support
        lo = max(lo, s_lo)
        hi = min(hi, s_hi)
        q_lo = float(self.ppf(eps))
        q_hi = float(self.isf(eps))
        a = max(lo, q_lo)
        b = min(hi, q_hi)
        if not (b > a) or a <= 0 and b <= 0:
            return np.empty(0), np.empty(0)
        if a <= 0:
            a = min(q_lo, b * 1e-12) if q_lo > 0 else b * 1e-12
        ta, tb = math.log(a), math.log(b)
        width = self._t_width()
        n = max(1, math.ceil((tb - ta) / width))
        edges = np.linspace(ta, tb, n + 1)
        xa, xb = np.exp(edges[:-1]), np.exp(edges[1:])
        m = np.maximum(1, np.ceil(omega * (xb - xa) / _PHASE_PER_PANEL)).astype(np.int64)
        if m.max() > 1:
            # Split fast-turning panels into pieces of equal length in x (equal phase).
            idx = np.repeat(np.arange(n), m)
            j = np.arange(m.sum()) - np.repeat(np.cumsum(m) - m, m)
            step = (xb - xa)[idx] / m[idx]
            sa = xa[idx] + j * step
            sb = np.where(j == m[idx] - 1, xb[idx], xa[idx] + (j + 1) * step)
            lo_t, hi_t = np.log(sa), np.log(sb)
        else:
            lo_t, hi_t = edges[:-1], edges[1:]
        half = 0.5 * (hi_t - lo_t)
        mid = 0.5 * (hi_t + lo_t)
        t = (mid[:, None] + half[:, None] * _GL_X[None, :]).ravel()
        x = np.exp(t)
        w = (half[:, None] * _GL_W[None, :]).ravel() * np.exp(t + self.logpdf(x))
        # mass cut off below a and above b, as nodes at the cut points
        cut_lo = float(self.partial_moment(0, lo, a)) if a > lo else 0.0
        cut_hi = float(self.partial_moment(0, b, hi)) if hi > b else 0.0
        return np.concatenate([[a], x, [b]]), np.concatenate([[cut_lo], w, [cut_hi]])


# =========================================================================================
class Lognormal(Severity):
    r"""Lognormal severity: :math:`\ln X \sim N(\mu, \sigma^2)`.

    .. math:: E[X^k 1\{X \le x\}] = e^{k\mu + k^2\sigma^2/2}\,
              \Phi\!\left(\frac{\ln x - \mu - k\sigma^2}{\sigma}\right)

    Source: Klugman, Panjer & Willmot, *Loss Models*, appendix A.4.1.1.
    """

    def __init__(self, mu: float, sigma: float):
        self.mu = chk.in_range("Lognormal", "mu", mu, -_LOG_MAX, _LOG_MAX,
                               why=f"the median cost exp(mu) must be from 1e-12 to {MAX_YUAN:.0e} yuan")
        self.sigma = chk.positive_at_most("Lognormal", "sigma", sigma, _SIGMA_MAX,
                                          why="sigma = 10 is already a coefficient of variation of e^50")

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Lognormal":
        r""":math:`\sigma^2 = \ln(1 + cv^2)`, :math:`\mu = \ln m - \sigma^2/2`."""
        mean = chk.positive_at_most("Lognormal.from_mean_cv", "mean", mean, MAX_YUAN)
        cv = chk.positive_at_most("Lognormal.from_mean_cv", "cv", cv, 1e6)
        s2 = math.log1p(cv * cv)
        return cls(math.log(mean) - 0.5 * s2, math.sqrt(s2))

    def __repr__(self) -> str:
        return f"Lognormal(mu={self.mu:.6g}, sigma={self.sigma:.6g}; mean={self.mean:.6g}, cv={self.cv:.4g})"

    def _z(self, x):
        # x <= 0 maps to a z of about -700/sigma: Phi(z) = 0 without a log(0) warning
        return (np.log(np.maximum(_as_float(x), 1e-300)) - self.mu) / self.sigma

    def cdf(self, x):
        return special.ndtr(self._z(x))

    def sf(self, x):
        return special.ndtr(-self._z(x))

    def logpdf(self, x):
        x = _as_float(x)
        with np.errstate(divide="ignore"):
            lx = np.log(x)
        z = (lx - self.mu) / self.sigma
        return -0.5 * z * z - lx - math.log(self.sigma * math.sqrt(2 * math.pi))

    def _log_scale_k(self, k):
        return k * self.mu + 0.5 * k * k * self.sigma ** 2

    # in logs: e^(k mu + k^2 sigma^2 / 2) overflows for a wide lognormal where the partial
    # moment below a cap is finite (the normal tail factor is then tiny)
    def lower_moment(self, k, x):
        return _exp(self._log_scale_k(k) + special.log_ndtr(self._z(x) - k * self.sigma))

    def upper_moment(self, k, x):
        return _exp(self._log_scale_k(k) + special.log_ndtr(k * self.sigma - self._z(x)))

    def moment(self, k):
        return float(_exp(self._log_scale_k(k)))

    def ppf(self, q):
        return np.exp(self.mu + self.sigma * special.ndtri(q))

    def isf(self, q):
        return np.exp(self.mu - self.sigma * special.ndtri(q))

    def sample(self, size, rng):
        return rng.lognormal(self.mu, self.sigma, size)

    def scaled(self, factor):
        factor = chk.positive("Lognormal.scaled", "factor", factor)
        return Lognormal(self.mu + math.log(factor), self.sigma)

    def _t_width(self):
        return self.sigma


# =========================================================================================
class Gamma(Severity):
    r"""Gamma severity with shape :math:`\alpha` and scale :math:`\theta`.

    .. math:: E[X^k 1\{X \le x\}] = \theta^k \frac{\Gamma(\alpha + k)}{\Gamma(\alpha)}
              P(\alpha + k, x/\theta)

    with :math:`P` the regularised lower incomplete gamma function.
    Source: Klugman, Panjer & Willmot, *Loss Models*, appendix A.3.2.1.
    """

    def __init__(self, shape: float, scale: float):
        self.shape = chk.positive_at_most("Gamma", "shape", shape, _SHAPE_RANGE[1],
                                          why="a coefficient of variation 1/sqrt(shape) of at least 1e-3")
        self.scale = chk.positive("Gamma", "scale", scale)
        if self.shape * self.scale > MAX_YUAN or self.scale > MAX_YUAN:
            raise HealthcoverError(
                f"Gamma: shape = {self.shape:g} and scale = {self.scale:g} give a mean cost of "
                f"{self.shape * self.scale:g}; the mean and the scale must be at most {MAX_YUAN:.0e} yuan"
            )

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Gamma":
        r""":math:`\alpha = 1/cv^2`, :math:`\theta = m\,cv^2`."""
        mean = chk.positive_at_most("Gamma.from_mean_cv", "mean", mean, MAX_YUAN)
        cv = chk.positive_at_most("Gamma.from_mean_cv", "cv", cv, 1e6)
        if cv < 1e-3:
            raise HealthcoverError(f"Gamma.from_mean_cv: cv = {cv:g} is not allowed; cv must be at least 1e-3")
        return cls(1.0 / (cv * cv), mean * cv * cv)

    def __repr__(self) -> str:
        return f"Gamma(shape={self.shape:.6g}, scale={self.scale:.6g}; mean={self.mean:.6g}, cv={self.cv:.4g})"

    def cdf(self, x):
        return special.gammainc(self.shape, np.maximum(_as_float(x), 0.0) / self.scale)

    def sf(self, x):
        return special.gammaincc(self.shape, np.maximum(_as_float(x), 0.0) / self.scale)

    def logpdf(self, x):
        x = _as_float(x)
        with np.errstate(divide="ignore"):
            return ((self.shape - 1) * np.log(x) - x / self.scale - special.gammaln(self.shape)
                    - self.shape * math.log(self.scale))

    def _scale_k(self, k):
        with np.errstate(over="ignore"):
            return self.scale ** k * special.poch(self.shape, k)

    def lower_moment(self, k, x):
        return self._scale_k(k) * special.gammainc(self.shape + k, np.maximum(_as_float(x), 0.0) / self.scale)

    def upper_moment(self, k, x):
        return self._scale_k(k) * special.gammaincc(self.shape + k, np.maximum(_as_float(x), 0.0) / self.scale)

    def moment(self, k):
        return float(self._scale_k(k))

    def ppf(self, q):
        return self.scale * special.gammaincinv(self.shape, q)

    def isf(self, q):
        return self.scale * special.gammainccinv(self.shape, q)

    def sample(self, size, rng):
        return rng.gamma(self.shape, self.scale, size)

    def scaled(self, factor):
        factor = chk.positive("Gamma.scaled", "factor", factor)
        return Gamma(self.shape, self.scale * factor)

    def _t_width(self):
        return min(1.0, 1.0 / math.sqrt(self.shape))


# =========================================================================================
class Pareto(Severity):
    r"""Single-parameter Pareto tail on :math:`[x_m, \infty)`: :math:`S(x) = (x_m/x)^\alpha`.

    .. math:: E[X^k 1\{X > x\}] = \frac{\alpha\, x_m^\alpha\, x^{k-\alpha}}{\alpha - k}
              \quad (k < \alpha,\ x \ge x_m)

    Source: Klugman, Panjer & Willmot, *Loss Models*, appendix A.5.1.4.
    """

    def __init__(self, alpha: float, scale: float):
        self.alpha = chk.positive_at_most("Pareto", "alpha", alpha, _ALPHA_RANGE[1])
        if self.alpha < _ALPHA_RANGE[0]:
            raise HealthcoverError(
                f"Pareto: alpha = {self.alpha:g} is not allowed; alpha must be at least {_ALPHA_RANGE[0]:g} "
                "(a tail this heavy has quantiles beyond the floating-point range)"
            )
        self.scale = chk.positive_at_most("Pareto", "scale", scale, MAX_YUAN)
        self.support = (self.scale, math.inf)

    def __repr__(self) -> str:
        return f"Pareto(alpha={self.alpha:.6g}, scale={self.scale:.6g})"

    def cdf(self, x):
        y = np.maximum(_as_float(x), self.scale)
        return -np.expm1(self.alpha * np.log(self.scale / y))

    def sf(self, x):
        y = np.maximum(_as_float(x), self.scale)
        return np.exp(self.alpha * np.log(self.scale / y))

    def logpdf(self, x):
        x = _as_float(x)
        with np.errstate(divide="ignore"):
            out = math.log(self.alpha) + self.alpha * math.log(self.scale) - (self.alpha + 1) * np.log(x)
        return np.where(x >= self.scale, out, -np.inf)

    def upper_moment(self, k, x):
        y = np.maximum(_as_float(x), self.scale)
        if k >= self.alpha:
            return np.full_like(y, np.inf)
        # a s^a y^(k-a) / (a - k), as s^k (s/y)^(a-k): no overflow of s^a for a large alpha
        a, s = self.alpha, self.scale
        with np.errstate(divide="ignore"):  # y = inf: log 0 = -inf, the moment above is 0
            return a / (a - k) * s ** k * np.exp((a - k) * np.log(s / y))

    def lower_moment(self, k, x):
        y = np.maximum(_as_float(x), self.scale)
        a, s = self.alpha, self.scale
        if k == a:
            return a * s ** k * np.log(y / s)
        # a s^a (y^(k-a) - s^(k-a)) / (k - a), written to keep precision near y = s
        return a * s ** k * np.expm1((k - a) * np.log(y / s)) / (k - a)

    def moment(self, k):
        if k >= self.alpha:
            return math.inf
        with np.errstate(over="ignore"):
            return float(self.alpha * np.float64(self.scale) ** k / (self.alpha - k))

    def ppf(self, q):
        return self.scale * np.exp(-np.log1p(-_as_float(q)) / self.alpha)

    def isf(self, q):
        return self.scale * np.exp(-np.log(_as_float(q)) / self.alpha)

    def sample(self, size, rng):
        return self.scale * (1.0 + rng.pareto(self.alpha, size))

    def scaled(self, factor):
        factor = chk.positive("Pareto.scaled", "factor", factor)
        return Pareto(self.alpha, self.scale * factor)

    def _t_width(self):
        return min(1.0, 2.0 / self.alpha)


# =========================================================================================
class Truncated(Severity):
    r"""``base`` conditioned on :math:`lower < X \le upper`.

    .. math:: E[X^k 1\{X \le x\} \mid l < X \le u] = M_k(l, \min(x, u)) / (F(u) - F(l))
    """

    def __init__(self, base: Severity, lower: float = 0.0, upper: float = math.inf):
        if not isinstance(base, Severity):
            raise HealthcoverError(f"Truncated: base must be a Severity; got {type(base).__name__}")
        self.base = base
        self.lower = chk.in_range("Truncated", "lower", lower, 0.0, MAX_YUAN)
        self.upper = chk.positive("Truncated", "upper", upper, allow_inf=True)
        if self.upper <= self.lower:
            raise HealthcoverError(
                f"Truncated: upper = {self.upper:g} must exceed lower = {self.lower:g}"
            )
        self.mass = float(base.partial_moment(0, self.lower, self.upper))
        if not self.mass > 0:
            raise HealthcoverError(
                f"Truncated: the base distribution has no mass in ({self.lower:g}, {self.upper:g}]"
            )
        self.support = (max(self.lower, base.support[0]), min(self.upper, base.support[1]))

    def __repr__(self) -> str:
        return f"Truncated({self.base!r}, lower={self.lower:g}, upper={self.upper:g})"

    def cdf(self, x):
        x = _as_float(x)
        return self.base.partial_moment(0, self.lower, np.clip(x, self.lower, self.upper)) / self.mass

    def sf(self, x):
        x = _as_float(x)
        return self.base.partial_moment(0, np.clip(x, self.lower, self.upper), self.upper) / self.mass

    def logpdf(self, x):
        x = _as_float(x)
        inside = (x > self.lower) & (x <= self.upper)
        return np.where(inside, self.base.logpdf(x) - math.log(self.mass), -np.inf)

    def lower_moment(self, k, x):
        x = _as_float(x)
        return self.base.partial_moment(k, self.lower, np.clip(x, self.lower, self.upper)) / self.mass

    def upper_moment(self, k, x):
        x = _as_float(x)
        return self.base.partial_moment(k, np.clip(x, self.lower, self.upper), self.upper) / self.mass

    def moment(self, k):
        return float(self.base.partial_moment(k, self.lower, self.upper)) / self.mass

    def ppf(self, q):
        f_lo = self.base.cdf(self.lower)
        return np.clip(self.base.ppf(f_lo + _as_float(q) * self.mass), self.support[0], self.support[1])

    def isf(self, q):
        s_hi = self.base.sf(self.upper)
        return np.clip(self.base.isf(s_hi + _as_float(q) * self.mass), self.support[0], self.support[1])

    def sample(self, size, rng):
        return self.ppf(rng.random(size))

    def scaled(self, factor):
        factor = chk.positive("Truncated.scaled", "factor", factor)
        return Truncated(self.base.scaled(factor), self.lower * factor, self.upper * factor)

    def _t_width(self):
        return self.base._t_width()

    def quadrature(self, lo, hi, omega=0.0, eps=_TAIL_EPS):
        x, w = self.base.quadrature(max(lo, self.lower), min(hi, self.upper), omega, eps * self.mass)
        return x, w / self.mass


# =========================================================================================
class Mixture(Severity):
    r"""Finite mixture :math:`F = \sum_i w_i F_i` with :math:`w_i > 0`, :math:`\sum w_i = 1`."""

    def __init__(self, components: Sequence[Severity], weights: Sequence[float]):
        if isinstance(components, Severity) or not isinstance(components, (list, tuple)):
            raise HealthcoverError(
                f"Mixture: components must be a list of severities; got {type(components).__name__}"
            )
        components = list(components)
        w = chk.points("Mixture", "weights", weights).ravel()
        if len(components) == 0 or len(components) != w.size:
            raise HealthcoverError(
                f"Mixture: {len(components)} component(s) but {w.size} weight(s); give one weight per component"
            )
        for i, c in enumerate(components):
            if not isinstance(c, Severity):
                raise HealthcoverError(f"Mixture: component {i} must be a Severity; got {type(c).__name__}")
        if np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise HealthcoverError(f"Mixture: weights = {w.tolist()} are not allowed; every weight must be > 0")
        if abs(w.sum() - 1.0) > 1e-9:
            raise HealthcoverError(
                f"Mixture: weights sum to {w.sum():.12g}; they must sum to 1 (inconsistent mixture)"
            )
        self.components = components
        self.weights = w / w.sum()
        self.support = (min(c.support[0] for c in components), max(c.support[1] for c in components))

    def __repr__(self) -> str:
        parts = ", ".join(f"{w:.4g}*{c!r}" for w, c in zip(self.weights, self.components))
        return f"Mixture({parts})"

    def _sum(self, name, *args):
        return sum(w * getattr(c, name)(*args) for w, c in zip(self.weights, self.components))

    def cdf(self, x):
        return self._sum("cdf", x)

    def sf(self, x):
        return self._sum("sf", x)

    def logpdf(self, x):
        x = _as_float(x)
        stacks = np.stack([np.log(w) + c.logpdf(x) for w, c in zip(self.weights, self.components)])
        return special.logsumexp(stacks, axis=0)

    def lower_moment(self, k, x):
        return self._sum("lower_moment", k, x)

    def upper_moment(self, k, x):
        return self._sum("upper_moment", k, x)

    def partial_moment(self, k, lo, hi):
        return self._sum("partial_moment", k, lo, hi)

    def moment(self, k):
        return float(sum(w * c.moment(k) for w, c in zip(self.weights, self.components)))

    def _invert(self, q, upper: bool):
        """Bisection in ln x (vectorised): the x with cdf(x) = q (or sf(x) = q)."""
        q = _as_float(q)
        if upper:
            lo = np.min([c.isf(q) for c in self.components], axis=0)
            hi = np.max([c.isf(q) for c in self.components], axis=0)
        else:
            lo = np.min([c.ppf(q) for c in self.components], axis=0)
            hi = np.max([c.ppf(q) for c in self.components], axis=0)
        lo = np.maximum(lo, 1e-300)
        llo, lhi = np.log(lo), np.log(hi)
        for _ in range(100):
            mid = 0.5 * (llo + lhi)
            xm = np.exp(mid)
            below = (self.sf(xm) > q) if upper else (self.cdf(xm) < q)
            llo = np.where(below, mid, llo)
            lhi = np.where(below, lhi, mid)
            if np.all(lhi - llo < 1e-14):
                break
        return np.exp(0.5 * (llo + lhi))

    def ppf(self, q):
        return self._invert(q, upper=False)

    def isf(self, q):
        return self._invert(q, upper=True)

    def sample(self, size, rng):
        size = int(np.prod(size)) if np.ndim(size) else int(size)
        which = rng.choice(len(self.components), size=size, p=self.weights)
        out = np.empty(size)
        for i, c in enumerate(self.components):
            sel = which == i
            out[sel] = c.sample(int(sel.sum()), rng)
        return out

    def scaled(self, factor):
        return Mixture([c.scaled(factor) for c in self.components], self.weights)

    def _t_width(self):
        return min(c._t_width() for c in self.components)

    def quadrature(self, lo, hi, omega=0.0, eps=_TAIL_EPS):
        xs, ws = [], []
        for w, c in zip(self.weights, self.components):
            x, wc = c.quadrature(lo, hi, omega, eps)
            xs.append(x)
            ws.append(w * wc)
        return np.concatenate(xs), np.concatenate(ws)


# =========================================================================================
class ParetoTailed(Mixture):
    r"""A body spliced to a single-parameter Pareto tail at ``threshold``.

    .. math:: f(x) = (1 - w)\, \frac{f_b(x)}{F_b(u)}\, 1\{x \le u\}
              + w\, \frac{\alpha u^\alpha}{x^{\alpha + 1}}\, 1\{x > u\}

    With ``weight=None`` the tail keeps the body's own mass above the threshold,
    :math:`w = 1 - F_b(u)`, so the CDF is the body's up to :math:`u`.
    Source: Klugman, Panjer & Willmot, *Loss Models*, section 5.2.6 (spliced models).
    """

    def __init__(self, body: Severity, threshold: float, alpha: float, weight: float | None = None):
        if not isinstance(body, Severity):
            raise HealthcoverError(f"ParetoTailed: body must be a Severity (Lognormal, Gamma, ...); got {type(body).__name__}")
        threshold = chk.positive_at_most("ParetoTailed", "threshold", threshold, MAX_YUAN)
        alpha = chk.positive_at_most("ParetoTailed", "alpha", alpha, _ALPHA_RANGE[1])
        if weight is None:
            weight = float(body.sf(threshold))
        weight = chk.probability("ParetoTailed", "weight", weight)
        self.body, self.threshold, self.alpha, self.weight = body, threshold, alpha, weight
        super().__init__([Truncated(body, 0.0, threshold), Pareto(alpha, threshold)],
                         [1.0 - weight, weight])

    def __repr__(self) -> str:
        return (f"ParetoTailed(body={self.body!r}, threshold={self.threshold:.6g}, "
                f"alpha={self.alpha:.4g}, weight={self.weight:.4g})")

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float, alpha: float, weight: float = 0.05) -> "ParetoTailed":
        r"""A lognormal body with a Pareto tail above the body's :math:`1 - w` quantile,
        with :math:`(\mu, \sigma)` solved so that the whole has the stated mean and CV.

        The tail must leave room for the body: :math:`\alpha > 2` (finite variance) and a CV
        the Pareto tail alone does not exceed.
        """
        func = "ParetoTailed.from_mean_cv"
        mean = chk.positive_at_most(func, "mean", mean, MAX_YUAN)
        cv = chk.positive_at_most(func, "cv", cv, 1e6)
        alpha = chk.in_range(func, "alpha", alpha, 2.0, _ALPHA_RANGE[1], lo_open=True,
                             why="a finite variance needs alpha > 2")
        weight = chk.probability(func, "weight", weight)
        zq = float(special.ndtri(1.0 - weight))

        def build(p):
            mu, log_s = p
            s = math.exp(log_s)
            return cls(Lognormal(mu, s), math.exp(mu + s * zq), alpha, weight)

        def eqs(p):
            try:
                d = build(p)
                with np.errstate(all="ignore"):
                    out = [math.log(d.mean / mean), math.log(d.cv / cv)]
            except (HealthcoverError, ValueError, OverflowError, ZeroDivisionError):
                return [1e3, 1e3]  # outside the parameter range: push the solver back
            return out if all(math.isfinite(v) for v in out) else [1e3, 1e3]

        start = Lognormal.from_mean_cv(mean, cv)
        if start.sigma >= _SIGMA_MAX:
            start = Lognormal(start.mu, _SIGMA_MAX / 2)
        sol = optimize.root(eqs, [start.mu, math.log(start.sigma)], method="hybr")
        if not sol.success or max(abs(v) for v in eqs(sol.x)) > 1e-10:
            raise HealthcoverError(
                f"{func}: no lognormal body gives mean = {mean:g} and cv = {cv:g} with a Pareto tail "
                f"alpha = {alpha:g} holding weight = {weight:g}; lower the weight or raise alpha or cv"
            )
        return build(sol.x)
