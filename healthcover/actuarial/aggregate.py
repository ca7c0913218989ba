r"""The exact distribution of a fund's annual payments :math:`S`.

Three methods, one result interface (:class:`AggregateLoss`):

``"fourier"`` (default where it applies)
    Fourier-series inversion of the exact characteristic function on a window
    :math:`[a, a + W)` that holds all but a negligible mass of :math:`S`:

    .. math::
        \varphi_S(u) = P_N\bigl(\varphi_Y(u)\bigr),\qquad
        f(a + y) \approx \frac1W\Bigl(1 + 2\sum_{j=1}^{J}\Re\,\psi_j e^{-iu_j y}\Bigr),\quad
        u_j = \frac{2\pi j}{W},\ \psi_j = \varphi_S(u_j) e^{-iu_j a},

    integrated term by term for the CDF and the stop-loss transform. :math:`\varphi_Y` is
    computed by Gauss-Legendre quadrature of the severity through the benefit formula (atoms
    exactly), so the only errors are the mass outside the window (bounded by Chernoff's
    inequality for capped benefits) and the truncation at :math:`J` terms, chosen where
    :math:`|\varphi_S|` has decayed below ``1e-15``. For a capped benefit and a fund of
    thousands of claims, :math:`J` is a few tens.

``"fft"``
    The classical lattice method: payments discretised on :math:`0, h, 2h, \dots` by
    mean-preserving linear dispersal (:meth:`Payment.discretise`), one FFT, the frequency
    PGF, one inverse FFT. The lattice window is placed around the mean (aliasing moves
    mass by multiples of :math:`nh`, which maps back into the window exactly when the window
    holds :math:`S`), optionally with exponential tilting; Richardson extrapolation over
    :math:`h` and :math:`2h` removes the :math:`O(h^2)` error of the dispersal.

``"panjer"``
    Panjer's recursion on the same lattice from 0: the cross-check of ``"fft"``.

**Point masses.** A payment :math:`Y = g(X)` has atoms where :math:`g` is flat: at 0 (a cost
below the deductible, a rate of 0) and at the caps. :math:`S` then has atoms too: it is
discrete exactly when no claim lands on a rising piece of :math:`g`. Splitting each payment
into its atoms (total mass :math:`\alpha_l`) and the rest, the discrete part of :math:`S` has
mass :math:`\delta = \prod_l P_{N_l}(\alpha_l)` and is computed exactly by thinning: given
that no claim of line :math:`l` is paid on a rising piece, the number of claims at a nonzero
atom of total mass :math:`s_l` is Poisson(:math:`\lambda_l s_l`) (independently for each
atom) or NB(:math:`r, \beta s_l / (1 + \beta (1 - \alpha_l))`) split multinomially, so e.g.

.. math:: P(S = 0) = \prod_l P_{N_l}(P(Y_l = 0)),\qquad
          P(S = kL) = e^{-\lambda(1 - p_0)} \frac{(\lambda p_L)^k}{k!}

for one Poisson line with cap :math:`L` (:math:`p_0 = P(Y = 0)`, :math:`p_L = P(Y = L)`).
The continuous part, with transform
:math:`\varphi_S - \varphi_D = \varphi_D \operatorname{expm1}\bigl(\sum_l \ln P_{N_l}(z_{D,l} + z_{C,l}) - \ln P_{N_l}(z_{D,l})\bigr)`
(no cancellation), goes through the lattice; its CDF is added to the exact atoms, so
``cdf(0)`` is :math:`P(S = 0)`, a quantile inside an atom is the atom's value and no
quantile is negative. Where :math:`\delta` is below ``tail / 100`` the atoms are negligible
and the Fourier method applies as before; where the continuous part is at most ``tail`` (a
claim paid on a rising piece is that rare), the result is the discrete distribution itself,
with the exact mean (:class:`DiscreteLoss`; e.g. ``Benefit(rate=0)``: S = 0).

:func:`monte_carlo` simulates (seeded) and reports standard errors: a validation path only.

Sources: Embrechts & Frei (2009), "Panjer recursion versus FFT for compound distributions",
*Math. Meth. Oper. Res.* 69, 497-508 (aliasing, tilting); Grübel & Hermesmeier (1999),
"Computation of compound distributions I: aliasing errors and exponential tilting", *ASTIN
Bulletin* 29, 197-214; Panjer (1981), *ASTIN Bulletin* 12, 22-26; Fang & Oosterlee (2008),
*SIAM J. Sci. Comput.* 31, 826-848 (Fourier-series inversion on a window); Klugman, Panjer &
Willmot, *Loss Models* (5th ed.), section 8.6 (thinning: the number of payments).
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import fft as sfft
from scipy import special

from healthcover import checks as chk
from healthcover.actuarial.frequency import NegativeBinomial, Poisson
from healthcover.actuarial.model import ClaimModel
from healthcover.errors import HealthcoverError

__all__ = [
    "AggregateLoss", "FourierLoss", "LatticeLoss", "RichardsonLoss", "DiscreteLoss", "MonteCarloLoss",
    "aggregate_loss", "panjer", "monte_carlo", "LEVELS",
]

#: Confidence levels reported by default (VaR and TVaR).
LEVELS = (0.95, 0.99, 0.995)

_TWO_PI = 2.0 * math.pi
_CF_TOL = 1e-15          # |phi_S| below which Fourier terms are dropped
_MAX_TERMS = 1 << 15     # beyond this the lattice method is used instead
_MAX_WORK = 4e7          # terms x quadrature nodes beyond which the lattice method is used
_THETA_GRID = np.geomspace(0.02, 50.0, 60)  # Chernoff exponents, in units of z/sd
_MAX_ATOMS = 2_000_000   # point masses of S kept exactly (beyond: an error, not a guess)
_ATOM_FLOOR = 1e-20      # a point mass of S below this (given no continuous claim) is dropped
_MAX_LATTICE_N = 1 << 26  # largest lattice a user may ask for (n=)
_MAX_SIMS = 10 ** 8      # Monte Carlo years (0.8 GB of results)
_MAX_DRAWS = 2e9         # Monte Carlo claims in all (about a minute)
_MAX_SAMPLE = 10 ** 8    # draws of S at once
_MAX_FRAME = 10 ** 6     # points of a frame
_MAX_H = 1e15            # a lattice step beyond any fund's payments


def _out(arr):
    """A float for a scalar argument, the array otherwise."""
    arr = np.asarray(arr, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


# =========================================================================================
# Result interface
# =========================================================================================
class AggregateLoss:
    """Distribution of the fund's annual payments S (base class of all methods).

    Exact moments come from the claim model; the distribution from the chosen method. Every
    method returns S >= 0: ``cdf(x)`` is 0 below 0 and at least :math:`P(S = 0)` from 0 on,
    quantiles are >= 0, and levels must lie strictly between 0 and 1.
    """

    method: str = ""
    #: the CDF is exact at 0 (P(S = 0) from the model); False for Monte Carlo estimates
    _exact_zero: bool = True

    def __init__(self, model: ClaimModel):
        self.model = model
        k1, k2, k3 = model.cumulants()
        self.mean = k1
        self.variance = k2
        self.sd = math.sqrt(k2)
        # k3 / k2^1.5 written so that a tiny variance (1e-300 claims a year) does not underflow
        self.skewness = k3 / k2 / self.sd if k2 > 0 else 0.0
        self.info: dict = {}
        #: P(S = 0), exactly: prod_l P_{N_l}(P(Y_l = 0))
        self.prob_zero = _prob_zero(model)

    # --- to implement ------------------------------------------------------------------
    def _cdf(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _pdf(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _stop_loss(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _ppf(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- public, checked -----------------------------------------------------------------
    def _name(self, what: str) -> str:
        return f"{type(self).__name__}.{what}"

    def cdf(self, x):
        """P(S <= x) (right-continuous: point masses at x included)."""
        x = chk.points(self._name("cdf"), "x", x)
        F = np.clip(self._cdf(x), 0.0, 1.0)
        if self._exact_zero:
            F = np.maximum(F, self.prob_zero)
        return _out(np.where(x < 0, 0.0, np.where(np.isposinf(x), 1.0, F)))

    def pdf(self, x):
        """Density of the continuous part of S (point masses, see :attr:`atoms`, excluded)."""
        x = chk.points(self._name("pdf"), "x", x)
        return _out(np.where(x < 0, 0.0, np.maximum(self._pdf(x), 0.0)))

    def stop_loss(self, v):
        r""":math:`E[(S - v)_+]` (:math:`E[S] - v` for :math:`v \le 0`, as :math:`S \ge 0`)."""
        v = chk.points(self._name("stop_loss"), "v", v)
        with np.errstate(invalid="ignore"):
            out = np.where(v <= 0, self.mean - v, np.maximum(self._stop_loss(np.maximum(v, 0.0)), 0.0))
        return _out(np.where(np.isposinf(v), 0.0, out))

    def ppf(self, q):
        """Quantile (value at risk) at level q: the smallest x with P(S <= x) >= q."""
        q = chk.levels(self._name("ppf"), "q", q)
        return _out(self._ppf_checked(q))

    def _ppf_checked(self, q: np.ndarray) -> np.ndarray:
        x = np.maximum(np.asarray(self._ppf(q), dtype=float), 0.0)
        if self._exact_zero:
            x = np.where(q <= self.prob_zero, 0.0, x)  # inside the point mass at 0
        return x

    def sf(self, x):
        """P(S > x)."""
        return _out(1.0 - np.asarray(self.cdf(x)))

    def prob_deficit(self, income):
        """P(S > income): the probability that the year's payments exceed the income."""
        chk.points(self._name("prob_deficit"), "income", income)
        return self.sf(income)

    def value_at_risk(self, q):
        return self.ppf(q)

    def tvar(self, q):
        r"""Tail value at risk :math:`\mathrm{VaR}_q + E[(S - \mathrm{VaR}_q)_+]/(1 - q)`
        (= :math:`E[S \mid S > \mathrm{VaR}_q]` for continuous S; right with point masses
        too). Source: Acerbi & Tasche (2002), "On the coherence of expected shortfall",
        *J. Banking & Finance* 26, 1487-1503."""
        q = chk.levels(self._name("tvar"), "q", q)
        v = self._ppf_checked(q)
        return _out(v + np.asarray(self.stop_loss(v)) / (1.0 - q))

    @property
    def atoms(self) -> pd.Series:
        """The point masses of S kept exactly (value -> probability); empty where they are
        negligible (below ``tail / 100`` in total)."""
        return pd.Series(dtype=float, name="P(S = x)")

    def point_mass(self, x):
        """P(S = x): the exact point mass at x (0 where S has none)."""
        x = chk.points(self._name("point_mass"), "x", x)
        a = self.atoms
        if a.empty:
            out = np.where(x == 0, self.prob_zero if self._exact_zero else 0.0, 0.0)
            return _out(out)
        v, m = a.index.to_numpy(dtype=float), a.to_numpy()
        i = np.clip(np.searchsorted(v, x), 0, v.size - 1)
        hit = np.isclose(v[i], x, rtol=1e-12, atol=0.0)
        return _out(np.where(hit, m[i], 0.0))

    def summary(self, levels: Sequence[float] = LEVELS, income: float | None = None) -> pd.Series:
        """Mean, sd, skewness, VaR and TVaR at ``levels`` and, given income, P(S > income)."""
        try:
            levels = list(levels)
        except TypeError:
            raise HealthcoverError(f"summary: levels = {levels!r} must be a list of levels, e.g. (0.95, 0.995)") from None
        levels = [chk.probability("summary", "levels", q) for q in levels]
        var = np.atleast_1d(self.ppf(np.array(levels)))
        tv = np.atleast_1d(self.tvar(np.array(levels)))
        out = {"mean": self.mean, "sd": self.sd, "skewness": self.skewness}
        for q, v in zip(levels, var):
            out[f"VaR {q:.1%}"] = float(v)
        for q, t in zip(levels, tv):
            out[f"TVaR {q:.1%}"] = float(t)
        if income is not None:
            income = chk.number("summary", "income", income)
            out["income"] = income
            out["P(S > income)"] = float(self.sf(income))
        return pd.Series(out, name=self.method)

    def frame(self, n: int = 400, lo: float | None = None, hi: float | None = None) -> pd.DataFrame:
        """Density, CDF and P(S > x) on ``n`` points (for charts)."""
        n = chk.positive_int("frame", "n", n)
        if n > _MAX_FRAME:
            raise HealthcoverError(f"frame: n = {n:,} is not allowed; n must be at most {_MAX_FRAME:,}")
        lo = float(self.ppf(1e-6)) if lo is None else chk.number("frame", "lo", lo)
        hi = float(self.ppf(1 - 1e-6)) if hi is None else chk.number("frame", "hi", hi)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo <= hi):
            raise HealthcoverError(f"frame: lo = {lo:g} and hi = {hi:g} must be finite with lo <= hi")
        x = np.linspace(lo, hi, n)
        F = np.asarray(self.cdf(x))
        return pd.DataFrame({"x": x, "pdf": np.asarray(self.pdf(x)), "cdf": F, "sf": 1.0 - F})

    def sample(self, size, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draws of S by inversion of the CDF (tabulated on a fine grid)."""
        size = _sample_size(size)
        rng = chk.rng_from_seed("sample", "rng", rng)
        x, F = self._table()
        return np.interp(rng.random(size), F, x)

    def _table(self, n: int = 1 << 14):
        if not hasattr(self, "_tab"):
            lo, hi = float(self.ppf(1e-12)), float(self.ppf(1 - 1e-12))
            x = np.linspace(lo, hi, n)
            F = np.maximum.accumulate(np.asarray(self.cdf(x)))
            F[0], F[-1] = 0.0, 1.0
            self._tab = (x, F)
        return self._tab

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method} mean={self.mean:.6g} sd={self.sd:.6g}>"

    def _repr_html_(self) -> str:
        from healthcover.display import aggregate_loss_html
        return aggregate_loss_html(self)


def _sample_size(size) -> int:
    size = chk.positive_int("sample", "size", size)
    if size > _MAX_SAMPLE:
        raise HealthcoverError(f"sample: size = {size:,} is not allowed; size must be at most {_MAX_SAMPLE:,}")
    return size


def _prob_zero(model: ClaimModel) -> float:
    """P(S = 0) = prod_l P_{N_l}(P(Y_l = 0))."""
    log_p = sum(float(np.real(ln.frequency.log_pgf_zm1(ln.payment.prob_zero - 1.0))) for ln in model.lines)
    return math.exp(log_p)


# =========================================================================================
# Characteristic function of S
# =========================================================================================
def _sum_expm1i(u: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    r""":math:`\sum_q w_q (e^{i u_j y_q} - 1)` for each :math:`u_j`, without cancellation.

    Small problems: :math:`e^{i\theta} - 1 = -2\sin^2(\theta/2) + 2i\sin(\theta/2)\cos(\theta/2)`
    on the whole (u, y) matrix. Large problems (``u`` equally spaced): the recurrence
    :math:`D_{j+1} = D_j z + (z - 1)`, :math:`D_j = e^{iu_j y} - 1`, :math:`z = e^{i\Delta u\, y}`,
    re-anchored exactly every 64 steps (one complex multiply-add per term instead of two
    transcendental functions, and no cancellation for small :math:`u y`).
    """
    J, Q = u.size, y.size
    out = np.empty(J, dtype=complex)
    if J * Q <= 200_000 or J < 3:
        th = np.multiply.outer(u, 0.5 * y)
        sn, cs = np.sin(th), np.cos(th)
        out[:] = -2.0 * ((sn * sn) @ w) + 2.0j * ((sn * cs) @ w)
        return out
    du = u[1] - u[0]
    th = 0.5 * du * y
    sn = np.sin(th)
    zm1 = -2.0 * sn * sn + 2.0j * sn * np.cos(th)
    z = zm1 + 1.0
    D = None
    for j in range(J):
        if j % 64 == 0:
            t = 0.5 * u[j] * y
            sj = np.sin(t)
            D = -2.0 * sj * sj + 2.0j * sj * np.cos(t)
        else:
            D *= z
            D += zm1
        out[j] = w @ D
    return out


def _log_cf(nodes, freqs, u: np.ndarray) -> np.ndarray:
    r""":math:`\ln\varphi_S(u) = \sum_l \ln P_{N_l}(\varphi_{Y_l}(u))`."""
    total = np.zeros(u.size, dtype=complex)
    for (y, w), f in zip(nodes, freqs):
        total += f.log_pgf_zm1(_sum_expm1i(u, y, w))
    return total


def _log_mgf(nodes, freqs, theta: np.ndarray) -> np.ndarray:
    """Cumulant generating function K(theta) of S on real theta (inf where it diverges)."""
    total = np.zeros(theta.size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for (y, w), f in zip(nodes, freqs):
            zm1 = np.expm1(np.multiply.outer(theta, y)) @ w
            if isinstance(f, NegativeBinomial):
                arg = 1.0 - f.beta * zm1
                k = np.where(arg > 0, -f.r * np.log(np.where(arg > 0, arg, 1.0)), np.inf)
            else:
                k = f.log_pgf_zm1(zm1)
            total += np.where(np.isfinite(k), k, np.inf)
    return total


def _window(model: ClaimModel, tail: float, nodes=None) -> tuple[float, float, str]:
    """[a, b] holding all but about ``tail`` of the mass of S on each side.

    Chernoff: P(S >= b) <= exp(K(theta) - theta b), P(S <= a) <= exp(K(-theta) + theta a);
    for an uncapped payment (no MGF) the right end adds the single-claim quantile
    (one big claim) to a skewness-corrected normal tail (without the correction where the
    third moment is infinite: the big claim carries that tail).
    """
    k1, k2, k3 = model.cumulants()
    sd = math.sqrt(k2)
    freqs = [ln.frequency for ln in model.lines]
    if nodes is None or sum(y.size for y, _ in nodes) > 200_000:
        # (nodes resolving high frequencies are not needed for the real MGF: a heavy tail has
        # millions of them)
        nodes = [ln.payment.cf_nodes(0.0) for ln in model.lines]
    z = math.sqrt(2.0 * math.log(1.0 / tail))
    log_eps = math.log(tail)
    capped = all(math.isfinite(ln.benefit.max_payment) for ln in model.lines)
    # exponents in units of z/sd suit many claims (S near normal); with few claims the best
    # exponent is set by the largest payment instead (a few caps hold all but tail of S)
    theta = z / sd * _THETA_GRID
    if capped:
        top = max(ln.benefit.max_payment for ln in model.lines)
        if top > 0 and theta[0] * top > 10.0:  # the grid cannot see one cap: few paying claims
            theta = np.concatenate([theta, np.geomspace(1e-2, 1e2, 40) / top])
    K = _log_mgf(nodes, freqs, np.concatenate([-theta, theta]) if capped else -theta)
    with np.errstate(invalid="ignore"):
        a = np.max((log_eps - K[: theta.size]) / theta)
    how = "chernoff"
    if capped:
        bs = (K[theta.size:] - log_eps) / theta
        b = float(np.min(bs[np.isfinite(bs)])) if np.isfinite(bs).any() else math.inf
    else:
        b = math.inf
    if not math.isfinite(b):
        g = k3 / k2 ** 1.5
        g = max(g, 0.0) if math.isfinite(g) else 0.0
        t_norm = sd * (z + (z * z - 1.0) * g / 6.0)
        n_tot = sum(ln.frequency.mean for ln in model.lines)
        big = max(ln.payment.upper_point(tail / max(n_tot, 1.0)) for ln in model.lines)
        b = k1 + t_norm + big
        how = "chernoff-left, one-big-claim right"
    a = float(a) if math.isfinite(a) else k1 - z * sd
    return a, b, how


# =========================================================================================
# Fourier-series inversion
# =========================================================================================
class FourierLoss(AggregateLoss):
    """S by Fourier-series inversion of its exact characteristic function on a window."""

    method = "fourier"

    def __init__(self, model: ClaimModel, a: float, width: float, psi: np.ndarray, info: dict):
        super().__init__(model)
        self.a = a
        self.width = width
        self.psi = psi
        self.u = _TWO_PI / width * np.arange(1, psi.size + 1)
        self.info = info
        # F(a + y) = y/W + Re sum c_j (1 - e^{-i u_j y}),  c_j = 2 psi_j / (W i u_j)
        self._c = 2.0 * psi / (width * 1j * self.u)
        self._c0 = float(np.sum(self._c.real))

    def _y(self, x):
        return np.clip(np.asarray(x, dtype=float) - self.a, 0.0, self.width)

    def _series(self, coef, y):
        """Re sum_j coef_j e^{-i u_j y} for an array y."""
        y = np.asarray(y, dtype=float)
        flat = y.ravel()
        out = np.empty(flat.size)
        block = max(1, int(4e6 // max(self.u.size, 1)))
        for s in range(0, flat.size, block):
            ph = np.multiply.outer(flat[s:s + block], self.u)
            out[s:s + block] = np.cos(ph) @ coef.real + np.sin(ph) @ coef.imag
        return out.reshape(y.shape)

    def _cdf(self, x):
        y = self._y(x)
        return y / self.width + self._c0 - self._series(self._c, y)

    def _cdf_pdf(self, x):
        """CDF and density at the points x (inside the window), sharing one phase matrix."""
        y = self._y(x)
        ph = np.multiply.outer(y, self.u)
        cs, sn = np.cos(ph), np.sin(ph)
        F = y / self.width + self._c0 - (cs @ self._c.real + sn @ self._c.imag)
        f = (1.0 + 2.0 * (cs @ self.psi.real + sn @ self.psi.imag)) / self.width
        return F, f

    def _pdf(self, x):
        y = self._y(x)
        inside = (np.asarray(x) >= self.a) & (np.asarray(x) <= self.a + self.width)
        return np.where(inside, (1.0 + 2.0 * self._series(self.psi, y)) / self.width, 0.0)

    def integrated_cdf(self, x):
        r""":math:`\int_a^x F(s)\,ds`."""
        y = self._y(x)
        d = self._c / (1j * self.u)
        return y * y / (2.0 * self.width) + y * np.sum(self._c.real) - np.sum(d.real) + self._series(d, y)

    def _stop_loss(self, v):
        r""":math:`E[(S - v)_+] = E[S] - v + \int_a^v F(s)\,ds` with the exact mean."""
        return np.maximum(self.mean - v + self.integrated_cdf(v), 0.0)

    def _ppf(self, q):
        flat = np.atleast_1d(q).ravel()
        z = special.ndtri(flat)
        g = self.skewness if math.isfinite(self.skewness) else 0.0
        x = self.mean + self.sd * (z + (z * z - 1.0) * g / 6.0)  # Cornish-Fisher start
        lo = np.full_like(x, self.a)
        hi = np.full_like(x, self.a + self.width)
        x = np.clip(x, lo, hi)
        for _ in range(60):
            F, f = self._cdf_pdf(x)
            lo = np.where(F < flat, x, lo)
            hi = np.where(F >= flat, x, hi)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = (F - flat) / f
            nx = x - step
            bad = ~np.isfinite(nx) | (nx <= lo) | (nx >= hi)
            nx = np.where(bad, 0.5 * (lo + hi), nx)
            # converged: F within rounding of q (keep x), or the step down to a few units in
            # the last place
            hit = np.abs(F - flat) <= 1e-15
            # a small Newton step (not a bisection) leaves an error of about its square
            done = hit | (~bad & (np.abs(nx - x) <= 1e-10 * np.maximum(np.abs(x), self.sd)))
            x = np.where(hit, x, nx)
            if np.all(done):
                break
        return x.reshape(q.shape) if q.ndim else float(x[0])

    def grid(self, n: int = 1 << 12):
        """x, pdf and cdf on ``n`` equally spaced points of the window (one FFT each)."""
        x = self.a + self.width * np.arange(n) / n
        j = np.arange(1, self.psi.size + 1) % n

        def series(coef):
            pad = np.zeros(n, dtype=complex)
            np.add.at(pad, j, coef)
            return np.fft.fft(pad).real

        pdf = (1.0 + 2.0 * series(self.psi)) / self.width
        cdf = (x - self.a) / self.width + np.sum(self._c.real) - series(self._c)
        return x, pdf, cdf


def _fourier(model: ClaimModel, tail: float, cf_tol: float = _CF_TOL,
             max_terms: int = _MAX_TERMS) -> FourierLoss | None:
    """Fourier inversion; None when it does not apply (atoms in S, too many terms)."""
    freqs = [ln.frequency for ln in model.lines]
    # S has (near-)atoms when the payments' own atoms carry weight: |phi_S| at high
    # frequency stays near prod_l P_N(atom mass), and the series would not converge.
    bound = 0.0
    for ln, f in zip(model.lines, freqs):
        atoms = ln.payment.atom_mass
        bound += float(np.real(f.log_pgf_zm1(atoms - 1.0)))
    if bound > math.log(cf_tol) + 2.0:
        return None
    k1, k2, k3 = model.cumulants()
    sd = math.sqrt(k2)
    n_tot = sum(f.mean for f in freqs)
    # Misplacing mass m of a payment moves ln phi_S by at most 2 E[N] m: keep that near 2 tail.
    node_eps = min(1e-13, tail / max(n_tot, 1.0))
    # One set of quadrature nodes resolving frequencies up to 8 u_g (u_g: where a normal
    # S would have |phi| = cf_tol) serves the window, the probes and usually the series.
    u_g = math.sqrt(2.0 * math.log(1.0 / cf_tol)) / sd
    probes = u_g * np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0])
    nodes_hi = [ln.payment.cf_nodes(probes[-1], node_eps) for ln in model.lines]
    if sum(y.size for y, _ in nodes_hi) * probes.size > _MAX_WORK:
        return None
    a, b, how = _window(model, tail, nodes_hi)
    width = b - a

    # Probe the decay of |phi_S| to choose the number of terms J.
    target = math.log(cf_tol)
    lp = _log_cf(nodes_hi, freqs, probes).real
    if lp.min() >= target or _TWO_PI / width * max_terms < probes[int(np.argmax(lp < target))]:
        return None
    i = int(np.argmax(lp < target))
    if i == 0:
        u_stop = probes[0]
    else:  # log|phi| ~ c u^p between the bracketing probes
        p = math.log(lp[i] / lp[i - 1]) / math.log(probes[i] / probes[i - 1]) if lp[i - 1] < 0 else 2.0
        u_stop = probes[i - 1] * (target / lp[i - 1]) ** (1.0 / max(p, 0.5)) if lp[i - 1] < 0 else probes[i]
    J = int(math.ceil(1.05 * u_stop * width / _TWO_PI)) + 4
    q_hi = sum(y.size for y, _ in nodes_hi)
    for _ in range(3):
        if J > max_terms:
            return None
        u = _TWO_PI / width * np.arange(1, J + 1)
        if u[-1] <= probes[-1] and J * q_hi <= 1e6:
            edges = [0, J]          # small problem: one block on the probe nodes
        else:                       # octave blocks, each with nodes resolving its top frequency
            edges = sorted({0, *[int(J >> k) for k in range(1, 6) if (J >> k) > 32], J})
        parts, work = [], 0.0
        for lo, hi in zip(edges[:-1], edges[1:]):
            blk = u[lo:hi]
            nodes = nodes_hi if len(edges) == 2 else [ln.payment.cf_nodes(blk[-1], node_eps)
                                                      for ln in model.lines]
            work += blk.size * sum(y.size for y, _ in nodes)
            if work > _MAX_WORK:
                return None
            parts.append(_log_cf(nodes, freqs, blk))
        logphi = np.concatenate(parts)
        mag = np.exp(logphi.real)
        if mag[-max(4, J // 16):].max() < cf_tol:
            psi = np.exp(logphi - 1j * u * a)
            info = {"window": (a, b), "window_rule": how, "terms": int(J),
                    "nodes": int(sum(y.size for y, _ in nodes)), "work": work, "tail": tail}
            return FourierLoss(model, a, width, psi, info)
        J = int(math.ceil(J * 1.3))
    return None


# =========================================================================================
# Point masses of S (exact)
# =========================================================================================
def _merge(v: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort point masses and add those at the same value (sums of caps computed in different
    orders differ in the last bits)."""
    if v.size == 0:
        return v, m
    o = np.argsort(v, kind="stable")
    v, m = v[o], m[o]
    new = np.ones(v.size, dtype=bool)
    new[1:] = np.diff(v) > 1e-12 * np.maximum(np.abs(v[1:]), 1.0)
    idx = np.cumsum(new) - 1
    return v[new], np.bincount(idx, weights=m)


def _too_many_atoms(count: float, where: str) -> HealthcoverError:
    return HealthcoverError(
        f"aggregate_loss: S has about {count:,.0f} point masses worth keeping ({where}), more than the "
        f"{_MAX_ATOMS:,} computed exactly; this happens when almost every claim is paid a fixed amount "
        "(a cap, a rate-0 band) and many claims are expected: lower the frequency, merge lines paying the "
        "same cap, or estimate with monte_carlo(model)"
    )


def _convolve(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]):
    """Distribution of the sum of two independent discrete parts (values, masses)."""
    (va, ma), (vb, mb) = a, b
    if va.size * vb.size > _MAX_ATOMS:
        raise _too_many_atoms(va.size * vb.size, "sums of point masses of several lines or caps")
    v = np.add.outer(va, vb).ravel()
    m = np.multiply.outer(ma, mb).ravel()
    keep = m >= _ATOM_FLOOR
    return _merge(v[keep], m[keep])


def _count_pmf(freq, q_eps: float) -> tuple[np.ndarray, np.ndarray]:
    """k and P(K = k) for K ~ freq, over all but about q_eps of its mass on each side.

    The negative binomial pmf is computed in logs from (r, beta): scipy's (r, p = 1/(1+beta))
    rounds p to 1 for beta below 1e-16 and loses the rare claim altogether."""
    dist = freq._scipy()
    lo = int(max(dist.ppf(q_eps) - 1, 0))
    hi = int(dist.isf(q_eps)) + 2
    if hi - lo + 1 > _MAX_ATOMS:
        raise _too_many_atoms(hi - lo + 1, f"a count of about {freq.mean:,.0f} a year at one fixed payment")
    k = np.arange(lo, hi + 1, dtype=float)
    if isinstance(freq, NegativeBinomial):
        r, b = freq.r, freq.beta
        logp = (special.gammaln(k + r) - special.gammaln(r) - special.gammaln(k + 1.0)
                - r * math.log1p(b) + k * (math.log(b) - math.log1p(b)))
        pmf = np.exp(logp)
    else:
        pmf = dist.pmf(k)
    return k, pmf


def _count_lattice(freq, value: float, q_eps: float):
    """k * value with P(K = k) for K ~ freq, over all but q_eps of its mass on each side."""
    k, pmf = _count_pmf(freq, q_eps)
    keep = pmf >= _ATOM_FLOOR
    return k[keep] * value, pmf[keep]


def _line_atoms(line, q_eps: float) -> tuple[np.ndarray, np.ndarray]:
    """Point masses of one line's S_l given that none of its claims is paid on a rising
    piece of g (a probability distribution; multiply by P_N(alpha) for the masses)."""
    v, m = line.payment.atoms()
    alpha = min(float(m.sum()), 1.0)
    nz = v > 0
    if not nz.any():
        return np.zeros(1), np.ones(1)
    drop = max(1.0 - alpha, 0.0)  # probability that a claim is paid on a rising piece
    vals, ms = v[nz], m[nz]
    freq = line.frequency
    if isinstance(freq, Poisson) or vals.size == 1:
        # Poisson: the counts at each atom are independent Poissons (thinning)
        parts = zip(vals, ms) if isinstance(freq, Poisson) else [(vals[0], ms[0])]
        out = (np.zeros(1), np.ones(1))
        for value, mass in parts:
            out = _convolve(out, _count_lattice(freq.kept_given_none(mass, drop), float(value), q_eps))
        return out
    # negative binomial with several fixed amounts: the count at any of them, split multinomially
    count = freq.kept_given_none(float(ms.sum()), drop)
    ks, pks = _count_pmf(count, q_eps)
    hi = int(ks[-1])
    pk = np.zeros(hi + 1)
    pk[ks.astype(np.int64)] = pks
    step = (vals, ms / ms.sum())
    power = (np.zeros(1), np.ones(1))
    acc_v, acc_m = [power[0]], [pk[0] * power[1]]
    total = 1
    for k in range(1, hi + 1):
        power = _convolve(power, step)
        total += power[0].size
        if total > _MAX_ATOMS:
            raise _too_many_atoms(total, f"{vals.size} fixed amounts paid to about {count.mean:,.0f} claims a year")
        acc_v.append(power[0])
        acc_m.append(pk[k] * power[1])
    v_all, m_all = np.concatenate(acc_v), np.concatenate(acc_m)
    keep = m_all >= _ATOM_FLOOR
    return _merge(v_all[keep], m_all[keep])


def _discrete_part(model: ClaimModel, tail: float):
    """(values, masses, log P(S discrete)) of the point masses of S, or None when their total
    is below ``tail / 100`` (negligible at the requested accuracy)."""
    log_delta = 0.0
    for ln in model.lines:
        alpha = min(float(ln.payment.atoms()[1].sum()), 1.0)
        log_delta += float(np.real(ln.frequency.log_pgf_zm1(alpha - 1.0)))
    if not log_delta >= math.log(tail / 100.0):
        return None
    q_eps = min(1e-15, tail * 1e-4)
    out = (np.zeros(1), np.ones(1))
    for ln in model.lines:
        out = _convolve(out, _line_atoms(ln, q_eps))
    values, masses = out
    return values, masses * math.exp(log_delta), log_delta


# =========================================================================================
# Piecewise-linear continuous part + exact point masses (lattice, Richardson, discrete)
# =========================================================================================
class _PiecewiseLoss(AggregateLoss):
    r"""CDF = a continuous part, piecewise linear through knots :math:`(x_k, F_k)`, plus exact
    point masses; the stop-loss transform integrates it exactly and quantiles invert it
    exactly (a quantile inside a point mass is its value)."""

    def _set_table(self, kx: np.ndarray, kF: np.ndarray, atoms=None) -> None:
        kF = np.maximum(np.asarray(kF, dtype=float), 0.0)
        if (kF[1:] < kF[:-1]).any():  # rounding or extrapolation dips: keep the CDF monotone
            kF = np.maximum.accumulate(kF)
        self._kx, self._kF = np.asarray(kx, dtype=float), kF
        self._kI_cache = None
        av, am = atoms if atoms is not None else (np.empty(0), np.empty(0))
        self._av, self._am = np.asarray(av, dtype=float), np.asarray(am, dtype=float)
        self._acum = np.concatenate([[0.0], np.cumsum(self._am)])
        self._amv = np.concatenate([[0.0], np.cumsum(self._am * self._av)])
        self._qtab = None

    def _quantile_table(self):
        """The whole CDF as a table with a vertical step at each point mass (built on first use:
        a Richardson result never inverts its two lattices)."""
        if self._qtab is None:
            if self._av.size:
                xs = np.union1d(self._kx, self._av)
                C = self._continuous_cdf(xs)
                left = C + self._acum[np.searchsorted(self._av, xs, side="left")]
                right = C + self._acum[np.searchsorted(self._av, xs, side="right")]
                qx, qF = np.repeat(xs, 2), np.column_stack([left, right]).ravel()
                qF = np.maximum.accumulate(qF)
            else:
                qx, qF = self._kx, self._kF  # already non-decreasing
            self._qtab = (qx, qF)
        return self._qtab

    @property
    def _kI(self) -> np.ndarray:
        """Integral of the continuous part's CDF from the first knot to each knot (trapezoids:
        it is linear between knots); built on first use."""
        if self._kI_cache is None:
            kF = self._kF
            self._kI_cache = np.concatenate([[0.0], np.cumsum(0.5 * np.diff(self._kx) * (kF[1:] + kF[:-1]))])
        return self._kI_cache

    @property
    def atoms(self) -> pd.Series:
        s = pd.Series(self._am, index=pd.Index(self._av, name="x"), name="P(S = x)")
        return s[s > 0]

    def _continuous_cdf(self, x):
        return np.interp(x, self._kx, self._kF, left=0.0, right=self._kF[-1])

    def _cdf(self, x):
        i = np.searchsorted(self._av, x, side="right")
        return self._continuous_cdf(x) + self._acum[i]

    def _pdf(self, x):
        kx, kF = self._kx, self._kF
        k = np.searchsorted(kx, x, side="right") - 1
        ok = (k >= 0) & (k < kx.size - 1)
        k = np.clip(k, 0, max(kx.size - 2, 0))
        if kx.size < 2:
            return np.zeros_like(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = (kF[k + 1] - kF[k]) / (kx[k + 1] - kx[k])
        return np.where(ok & np.isfinite(slope), slope, 0.0)

    def integrated_cdf(self, v):
        r""":math:`\int_{-\infty}^v F(s)\,ds` (exact for the table)."""
        v = np.asarray(v, dtype=float)
        kx = self._kx
        k = np.clip(np.searchsorted(kx, v, side="right") - 1, 0, kx.size - 1)
        Fv = self._continuous_cdf(v)
        part = 0.5 * (v - kx[k]) * (self._kF[k] + Fv)
        cont = np.where(v <= kx[0], 0.0, self._kI[k] + part)
        i = np.searchsorted(self._av, v, side="right")
        return cont + v * self._acum[i] - self._amv[i]

    def _stop_loss(self, v):
        return np.maximum(self.mean - v + self.integrated_cdf(v), 0.0)

    def _ppf(self, q):
        qx, qF = self._quantile_table()
        k = np.clip(np.searchsorted(qF, q, side="left"), 1, qF.size - 1)
        f0, f1 = qF[k - 1], qF[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(f1 > f0, np.clip((q - f0) / (f1 - f0), 0.0, 1.0), np.where(q > f1, 1.0, 0.0))
        return qx[k - 1] + t * (qx[k] - qx[k - 1])

    def sample(self, size, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draws of S by exact inversion of the CDF (point masses drawn at their values)."""
        size = _sample_size(size)
        rng = chk.rng_from_seed("sample", "rng", rng)
        u = rng.random(size)
        return np.maximum(np.where(u <= self.prob_zero, 0.0, self._ppf(np.maximum(u, 1e-300))), 0.0)


class LatticeLoss(_PiecewiseLoss):
    r"""S on the lattice :math:`x_0 + mh`, :math:`m = 0..n-1`, with masses :math:`g_m`.

    Each mass of the continuous part is read as spread uniformly over
    :math:`[x_m - h/2, x_m + h/2]` (from 0 at the first node, as S >= 0), so its CDF is
    piecewise linear and keeps the mean; the point masses of S (``atoms``) are exact and
    added at their values. ``masses`` are the lattice masses of all of S, point masses
    dispersed to nodes as the lattice computes them.
    """

    def __init__(self, model: ClaimModel, x0: float, h: float, masses: np.ndarray,
                 method: str, info: dict, atoms=None, continuous: np.ndarray | None = None):
        super().__init__(model)
        self.method = method
        self.x0, self.h, self.masses = x0, h, masses
        self.continuous = masses if continuous is None else continuous
        self.info = info
        n = masses.size
        self.x = x0 + h * np.arange(n)
        kx = np.concatenate([[max(x0 - 0.5 * h, 0.0)], self.x + 0.5 * h])
        kF = np.concatenate([[0.0], np.cumsum(self.continuous)])
        self._set_table(kx, kF, atoms[:2] if atoms is not None else None)


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The sorted union of two sorted arrays, in linear time (no sort)."""
    out = np.insert(a, np.searchsorted(a, b), b)
    keep = np.ones(out.size, dtype=bool)
    keep[1:] = out[1:] > out[:-1]
    return out[keep]


class RichardsonLoss(_PiecewiseLoss):
    r"""Richardson extrapolation of two lattice results, :math:`(4 F_h - F_{2h}) / 3`, of the
    continuous part's CDF (the lattice error is :math:`c h^2 + O(h^3)`); point masses exact.

    Both lattice CDFs are linear between the knots of either, so the extrapolated CDF is
    piecewise linear through the union of their knots: it is tabulated there (made
    non-decreasing where extrapolation would dip) and integrated and inverted exactly.
    """

    method = "fft+richardson"

    def __init__(self, fine: LatticeLoss, coarse: LatticeLoss):
        super().__init__(fine.model)
        self.fine, self.coarse = fine, coarse
        self.info = dict(fine.info, coarse_h=coarse.h)
        kx = _merge_sorted(fine._kx, coarse._kx)
        kF = (4.0 * fine._continuous_cdf(kx) - coarse._continuous_cdf(kx)) / 3.0
        atoms = (fine._av, fine._am) if fine._av.size else None
        self._set_table(kx, kF, atoms)

    def _pdf(self, x):
        return self.fine._pdf(x)


class DiscreteLoss(_PiecewiseLoss):
    """S with no continuous part worth keeping: only point masses (e.g. ``Benefit(rate=0)``,
    S = 0; a deductible above every cost; every claim paid one fixed amount)."""

    method = "atoms"

    def __init__(self, model: ClaimModel, values: np.ndarray, masses: np.ndarray, info: dict):
        super().__init__(model)
        self.info = info
        self._set_table(np.zeros(1), np.zeros(1), (values, masses))


# =========================================================================================
# Lattice (FFT / Panjer)
# =========================================================================================
def _merge_poisson(model: ClaimModel):
    """All-Poisson lines act as one Poisson line with the lambda-weighted payment mix."""
    return all(isinstance(ln.frequency, Poisson) for ln in model.lines)


_DIRECT_DFT = 64  # payments on at most this many nodes: their transform minus 1 computed directly


def _dft_expm1(p: np.ndarray, n: int) -> np.ndarray:
    r""":math:`\sum_k p_k (w^{jk} - 1)`, :math:`w = e^{-2\pi i/n}`, :math:`j = 0..n/2`, with no
    cancellation: ``rfft(p) - 1`` loses :math:`10^{-16}` absolutely, which a frequency with a
    huge dispersion (NB :math:`\beta = 10^{12}`) multiplies into the result when the payments
    are a sliver of a lattice cell. Direct sum, for payments on few nodes."""
    j = np.arange(n // 2 + 1)
    k = np.arange(p.size)
    half = np.pi * ((np.multiply.outer(j, k) % n) / n)  # theta / 2, theta = 2 pi jk / n
    sn = np.sin(half)
    return -2.0 * (sn * sn) @ p - 2.0j * (sn * np.cos(half)) @ p


def _lattice_pgf(model: ClaimModel, h: float, n: int, k0: int, theta: float = 0.0,
                 split: bool = False) -> tuple[np.ndarray, np.ndarray]:
    r"""Masses of S on k0 + m, m = 0..n-1 (lattice step h), by FFT with optional tilting:
    (all of S, its continuous part). With ``split``, the continuous part is
    :math:`\hat g_D \operatorname{expm1}(\Delta)` (see the module docstring), else all of S."""
    half = n // 2 + 1
    log_d = np.zeros(half, dtype=complex)   # ln of the discrete part's transform (or of all of S)
    delta = np.zeros(half, dtype=complex)   # ln phi_S - ln phi_D
    tilt = np.exp(-theta * np.arange(n)) if theta else None

    def transform(p, nominal, offset):
        """(DFT of p, tilted) - nominal, without cancellation where p sits on few nodes.

        ``offset`` is sum(p) - nominal as known exactly without tilting (0 for a payment, whose
        masses sum to 1; minus the continuous mass for its atoms; the continuous mass itself)."""
        if tilt is not None:
            p = p * (tilt[: p.size] if p.size <= n else np.exp(-theta * np.arange(p.size)))
            offset = float(p.sum()) - nominal
        if p.size <= _DIRECT_DFT and p.size * half <= 5e7:
            return _dft_expm1(p, n) + offset
        if p.size > n:  # fold: the DFT only sees k mod n
            pad = (-p.size) % n
            p = np.concatenate([p, np.zeros(pad)]).reshape(-1, n).sum(axis=0)
        return sfft.rfft(p, n) - nominal

    for ln in model.lines:
        if split:
            pa, pc = ln.payment.discretise_split(h)
            cont = float(pc.sum())
            za_m1 = transform(pa, 1.0, -cont)      # z_D - 1
            zc = transform(pc, 0.0, cont)          # z_C
            log_d += ln.frequency.log_pgf_zm1(za_m1)
            delta += ln.frequency.log_pgf_ratio(za_m1, zc)
        else:
            log_d += ln.frequency.log_pgf_zm1(transform(ln.payment.discretise(h), 1.0, 0.0))
    j = np.arange(half)
    # shift the window start to index 0: multiply by w^(-j k0) and undo the tilt's e^(-theta k0)
    log_d += theta * k0 + 2j * math.pi * ((j * (k0 % n)) % n) / n
    spec_d = np.exp(log_d)
    g = sfft.irfft(spec_d * np.exp(delta) if split else spec_d, n)
    gc = sfft.irfft(spec_d * np.expm1(delta), n) if split else g
    if theta:
        back = np.exp(theta * np.arange(n))
        g, gc = g * back, (gc * back if split else g * back)
    return g, gc


def _auto_h(model: ClaimModel, width: float, n_target: int) -> float:
    h = width / n_target
    caps = [ln.benefit.max_payment for ln in model.lines if math.isfinite(ln.benefit.max_payment)]
    # (not when S spans so many caps that a cap on a node needs more points than allowed: the
    # payments are then far below the lattice's resolution of S, and the variance check decides)
    if len(set(caps)) == 1 and 2.0 * width / caps[0] <= _LATTICE_MAX:
        # put the cap on a node of both lattices (h and 2h) so its atom is not split
        k = max(2, math.ceil(caps[0] / h))
        k += k % 2
        h = caps[0] / k
    return h


def _lattice(model: ClaimModel, h: float | None, n: int | None, tail: float,
             richardson: bool, tilt: float, atoms=None) -> AggregateLoss:
    a, b, how = _window(model, tail)
    a = max(a, 0.0)  # S >= 0
    if atoms is not None:
        # The window's tail rule is absolute (mass tail outside); with the point masses split
        # off, the continuous part may itself be tiny (1e-12 of S for a rare claim), and a
        # window cutting its range would alias most of it: hold one claim on top of any atom.
        # (the payments' lattice reaches their 1e-16 quantile: see Payment.discretise)
        b = max(b, float(atoms[0][-1]) + max(ln.payment.upper_point(1e-16) for ln in model.lines))
    if not (math.isfinite(a) and math.isfinite(b) and b > a and b < 1e27):  # 1e27: 1e12 claims of 1e12 yuan, x 1e3
        raise HealthcoverError(
            f"aggregate_loss: no finite window [{a:g}, {b:g}] holds S for this model ({model!r}); "
            "check the frequency and severity parameters"
        )
    auto = h is None and n is None
    if h is not None and h > (b - a) / 16:
        raise HealthcoverError(
            f"aggregate_loss: h = {h:g} leaves fewer than 16 lattice cells over S's window [{a:,.6g}, {b:,.6g}]; "
            f"give h at most {(b - a) / 16:.6g} (or leave h to the default)"
        )
    if h is None:
        h = _auto_h(model, b - a, n or (1 << 16))
    h = chk.positive("aggregate_loss", "h", h)
    split = atoms is not None
    top = max(ln.payment.upper_point(1e-16) for ln in model.lines)  # as Payment.discretise

    def one(step):
        k0 = int(math.floor(a / step))
        cells = (b - k0 * step) / step
        if n is None and not auto and cells > _LATTICE_MAX:
            raise HealthcoverError(
                f"aggregate_loss: h = {step:g} would need {cells:,.0f} lattice points to cover S's window "
                f"[{a:,.0f}, {b:,.0f}]; give a larger h (at least {(b - a) / _LATTICE_MAX:.4g}) or n"
            )
        if top / step > _MAX_LATTICE_N:
            raise HealthcoverError(
                f"aggregate_loss: h = {step:g} is too small for payments up to {top:,.0f} (more than "
                f"{_MAX_LATTICE_N:,} lattice points per claim); give a larger h or leave h and n to the default"
            )
        size = n or sfft.next_fast_len(int(math.ceil(cells)) + 2, real=True)
        theta = tilt / size if tilt else 0.0
        g, gc = _lattice_pgf(model, step, size, k0, theta, split)
        info = {"window": (k0 * step, (k0 + size) * step), "window_rule": how, "h": step,
                "n": size, "tilt": tilt, "tail": tail}
        if split:
            info.update(atoms=int(atoms[0].size), atoms_mass=float(atoms[1].sum()))
        return LatticeLoss(model, k0 * step, step, g, "fft", info, atoms=atoms, continuous=gc)

    fine = one(h)
    if auto:
        # A step too coarse for the payments (a heavy tail stretches the window) biases every
        # quantile while keeping the mean: refine until the lattice's variance matches the
        # model's exact variance, or say it cannot be done rather than return a wrong number.
        size = 1 << 16
        err = _lattice_variance_error(fine)
        beyond = (
            f"aggregate_loss: S spans [{a:,.4g}, {b:,.4g}] (sd {model.sd:,.4g}) and a lattice resolving the "
            f"payments would need more than 2^{_LATTICE_MAX.bit_length() - 1} points, while the Fourier "
            "series does not converge (a very dispersed frequency or a very heavy tail); this model is "
            "beyond the exact methods: use monte_carlo(model), or fewer or less dispersed claims"
            + (f" (tail={tail:g}; the default is 1e-10)" if tail < 1e-10 else "")
        )
        while err > _LATTICE_VAR_TOL:
            # the dispersal error falls about like h^2: a size beyond reach even with a margin
            # of 4 is refused now, not after minutes of refining
            if fine.h < top and size * math.sqrt(err / _LATTICE_VAR_TOL) / 4.0 > _LATTICE_MAX:
                raise HealthcoverError(beyond)
            if fine.h >= top:
                # every payment within one cell: dispersal adds about E[N] E[Y] h of variance,
                # so the step needed is known; jump there (or say at once it is out of reach)
                flow = sum(ln.frequency.mean * ln.payment.mean for ln in model.lines)
                h_need = 0.5 * _LATTICE_VAR_TOL * model.variance / flow if flow > 0 else fine.h / 2
                want = (b - a) / h_need
            else:
                # double: the dispersal error (+, about c h^2) and the variance outside the
                # window (-) may cross, so a predicted jump could step past the size that works
                want = 2 * size
            size = max(2 * size, 1 << max(0, math.ceil(math.log2(max(want, 1.0)))))
            if size > _LATTICE_MAX:
                raise HealthcoverError(beyond)
            h = _auto_h(model, b - a, size)
            if top / h > _MAX_LATTICE_N:
                raise HealthcoverError(
                    f"aggregate_loss: payments up to {top:,.4g} (the 1e-16 upper quantile of an uncapped payment) "
                    f"on a lattice step of {h:.4g} need more than 2^{_MAX_LATTICE_N.bit_length() - 1} points per claim; "
                    "give the benefit a per-claim limit= or cost_limit=, or use a lighter tail"
                )
            fine = one(h)
            new_err = _lattice_variance_error(fine)
            if new_err > 0.95 * err:  # no longer falling: refining will not help
                raise HealthcoverError(beyond)
            err = new_err
    if not richardson:
        return fine
    coarse = one(2.0 * h)
    return RichardsonLoss(fine, coarse)


_LATTICE_VAR_TOL = 1e-5  # relative variance error accepted before Richardson extrapolation
_LATTICE_MAX = 1 << 24


def _lattice_variance_error(loss: "LatticeLoss") -> float:
    """Relative error of the lattice's variance (continuous masses spread uniformly over each
    cell, point masses exact)."""
    g = loss.continuous
    av, am = loss._av, loss._am
    mean = float(np.dot(g, loss.x) + np.dot(am, av))
    var = (float(np.dot(g, (loss.x - mean) ** 2)) + float(g.sum()) * loss.h ** 2 / 12.0
           + float(np.dot(am, (av - mean) ** 2)))
    exact = loss.model.variance
    return abs(var - exact) / exact if exact > 0 else 0.0


def _panjer_masses(freq, p: np.ndarray, n: int) -> np.ndarray:
    """Panjer's recursion for the compound of ``freq`` with lattice masses ``p`` (which may
    sum to less than 1: the recursion holds for any severity sequence)."""
    a_, b_ = freq.panjer_ab()
    p0 = p[0]
    log_g0 = float(np.real(freq.log_pgf_zm1(p0 - 1.0)))
    jmax = p.size - 1
    j = np.arange(1, jmax + 1)
    c1 = a_ * p[1:]
    c2 = b_ * j * p[1:]
    g = np.zeros(n)
    g[0] = 1.0
    log_scale = log_g0
    denom = 1.0 - a_ * p0
    big = 1e250
    for k in range(1, n):
        m = min(k, jmax)
        prev = g[k - 1::-1][:m]
        gk = (c1[:m] @ prev + (c2[:m] @ prev) / k) / denom
        g[k] = gk
        if gk > big:
            g[: k + 1] /= big
            log_scale += math.log(big)
    with np.errstate(under="ignore"):
        return g * math.exp(log_scale) if log_scale > -700 else np.exp(np.log(np.maximum(g, 1e-320)) + log_scale)


def panjer(model: ClaimModel, h: float, n: int | None = None) -> LatticeLoss:
    r"""Panjer's recursion on the lattice :math:`0, h, 2h, \dots` (cross-check of ``"fft"``).

    .. math:: g_k = \frac{1}{1 - a p_0} \sum_{j=1}^{k} \Bigl(a + \frac{b j}{k}\Bigr) p_j g_{k-j},
              \qquad g_0 = P_N(p_0)

    Rescaled as it runs, so :math:`g_0` may underflow (large funds). All lines must be
    Poisson (merged into one) or the model a single line. Point masses of S are kept exactly
    as in :func:`aggregate_loss` (the recursion is run once more on the payments' atoms and
    the result subtracted). Source: Panjer (1981), *ASTIN Bulletin* 12, 22-26.
    """
    if not isinstance(model, ClaimModel):
        raise HealthcoverError(f"panjer: model must be a ClaimModel; got {type(model).__name__}")
    h = chk.positive_at_most("panjer", "h", h, _MAX_H)
    _check_model(model, "panjer")
    lines = model.lines
    if len(lines) == 1:
        freq = lines[0].frequency
        weights = [1.0]
    elif _merge_poisson(model):
        lam = sum(ln.frequency.mean for ln in lines)
        weights = [ln.frequency.mean / lam for ln in lines]
        freq = Poisson(lam)
    else:
        raise HealthcoverError(
            "panjer: the lines must be one line or all Poisson (merged); use aggregate_loss(method='fft')"
        )
    top = max(ln.payment.upper_point(1e-16) for ln in lines)
    if top / h > _MAX_LATTICE_N:
        raise HealthcoverError(
            f"panjer: h = {h:g} is too small for payments up to {top:,.0f} (more than {_MAX_LATTICE_N:,} "
            "lattice points per claim); give a larger h"
        )
    disc = _discrete_part(model, 1e-10)
    parts = [ln.payment.discretise_split(h) if disc is not None else (None, ln.payment.discretise(h))
             for ln in lines]
    size = max((pa if pa is not None else pc).size for pa, pc in parts)

    def mix(which):
        out = np.zeros(size)
        for w, pr in zip(weights, parts):
            arr = pr[1] if which == "all" and pr[0] is None else (pr[0] + pr[1] if which == "all" else pr[0])
            out[: arr.size] += w * arr
        return out

    p = mix("all")
    if n is None:
        n = int(math.ceil((model.mean + 12 * model.sd) / h)) + p.size
    n = chk.positive_int("panjer", "n", n)
    if n > _MAX_LATTICE_N:
        raise HealthcoverError(f"panjer: n = {n:,} is not allowed; n must be at most {_MAX_LATTICE_N:,} (give a larger h)")
    g = _panjer_masses(freq, p, n)
    info = {"window": (0.0, n * h), "h": h, "n": n}
    if disc is None:
        return LatticeLoss(model, 0.0, h, g, "panjer", info)
    gd = _panjer_masses(freq, mix("atoms"), n)
    info.update(atoms=int(disc[0].size), atoms_mass=float(disc[1].sum()))
    return LatticeLoss(model, 0.0, h, g, "panjer", info, atoms=disc, continuous=g - gd)


# =========================================================================================
# Monte Carlo (validation only)
# =========================================================================================
class MonteCarloLoss(AggregateLoss):
    """Empirical distribution of simulated annual payments, with standard errors."""

    method = "monte carlo"
    _exact_zero = False

    def __init__(self, model: ClaimModel, samples: np.ndarray, seed):
        super().__init__(model)
        self.samples = np.sort(samples)
        self.n = samples.size
        self.info = {"n": self.n, "seed": seed}

    @property
    def atoms(self) -> pd.Series:
        v, c = np.unique(self.samples, return_counts=True)
        keep = c > 1
        return pd.Series(c[keep] / self.n, index=pd.Index(v[keep], name="x"), name="P(S = x)")

    def _cdf(self, x):
        return np.searchsorted(self.samples, x, side="right") / self.n

    def _pdf(self, x):
        bw = 1.06 * self.samples.std() * self.n ** -0.2
        if not bw > 0:
            return np.zeros_like(x)
        lo = np.searchsorted(self.samples, x - bw)
        hi = np.searchsorted(self.samples, x + bw)
        return (hi - lo) / (self.n * 2 * bw)

    def _ppf(self, q):
        idx = np.clip(np.ceil(q * self.n).astype(np.int64) - 1, 0, self.n - 1)
        return self.samples[idx]

    def _stop_loss(self, v):
        # E[(S - v)+] = sum over draws above v, from a cumulative sum of the sorted draws
        tail_sum = np.concatenate([np.cumsum(self.samples[::-1])[::-1], [0.0]])
        i = np.searchsorted(self.samples, v, side="right")
        return (tail_sum[i] - v * (self.n - i)) / self.n

    def sample(self, size, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draws from the simulated years (with replacement)."""
        size = _sample_size(size)
        rng = chk.rng_from_seed("sample", "rng", rng)
        return rng.choice(self.samples, size=size, replace=True)

    def standard_errors(self, levels: Sequence[float] = LEVELS, income: float | None = None) -> pd.Series:
        r"""Standard errors of the sample mean, VaR (order statistic, density by kernel),
        TVaR (:math:`\sqrt{(\mathrm{Var}[S \mid S > v] + q (\mathrm{TVaR} - v)^2)/(n(1-q))}`)
        and :math:`\hat p = P(S > \text{income})` (:math:`\sqrt{\hat p(1-\hat p)/n}`).
        Source: Manistre & Hancock (2005), "Variance of the CTE estimator", *NAAJ* 9(2)."""
        levels = [chk.probability("standard_errors", "levels", q) for q in levels]
        s, n = self.samples, self.n
        out = {"mean": s.std(ddof=1) / math.sqrt(n) if n > 1 else math.inf}
        for q in levels:
            v = float(self.ppf(q))
            f = float(self.pdf(v))
            out[f"VaR {q:.1%}"] = math.sqrt(q * (1 - q) / n) / f if f > 0 else math.inf
        for q in levels:
            v = float(self.ppf(q))
            t = s[s > v]
            tv = float(self.tvar(q))
            var_tail = t.var(ddof=1) if t.size > 1 else 0.0
            out[f"TVaR {q:.1%}"] = math.sqrt((var_tail + q * (tv - v) ** 2) / (n * (1 - q)))
        if income is not None:
            p = float(self.sf(income))
            out["P(S > income)"] = math.sqrt(max(p * (1 - p), 0.0) / n)
        return pd.Series(out, name="standard error")


def monte_carlo(model: ClaimModel, n_sims: int = 100_000, seed: int | None = 0,
                max_draws: int = 5_000_000) -> MonteCarloLoss:
    """Simulate ``n_sims`` years of the fund (seeded), in chunks of at most ``max_draws`` claims."""
    if not isinstance(model, ClaimModel):
        raise HealthcoverError(f"monte_carlo: model must be a ClaimModel; got {type(model).__name__}")
    n_sims = chk.positive_int("monte_carlo", "n_sims", n_sims)
    if n_sims > _MAX_SIMS:
        raise HealthcoverError(f"monte_carlo: n_sims = {n_sims:,} is not allowed; n_sims must be at most {_MAX_SIMS:,}")
    max_draws = chk.positive_int("monte_carlo", "max_draws", max_draws)
    _check_model(model, "monte_carlo")
    draws = n_sims * model.expected_claims
    if draws > _MAX_DRAWS:
        raise HealthcoverError(
            f"monte_carlo: n_sims = {n_sims:,} years of {model.expected_claims:,.4g} expected claims is {draws:,.3g} "
            f"claims to simulate, more than {_MAX_DRAWS:,.0e}; lower n_sims (the exact aggregate_loss needs no simulation)"
        )
    rng = chk.rng_from_seed("monte_carlo", "seed", seed)
    total = np.zeros(n_sims)
    for ln in model.lines:
        counts = ln.frequency.sample(n_sims, rng).astype(np.int64)
        start = 0
        while start < n_sims:
            # as many years as fit in max_draws claims
            cum = np.cumsum(counts[start:])
            stop = start + max(1, int(np.searchsorted(cum, max_draws, side="right")))
            c = counts[start:stop]
            k = int(c.sum())
            if k:
                pay = ln.benefit.pay(ln.severity.sample(k, rng))
                owner = np.repeat(np.arange(stop - start), c)
                total[start:stop] += np.bincount(owner, weights=pay, minlength=stop - start)
            start = stop
    return MonteCarloLoss(model, total, seed)


# =========================================================================================
# Entry point
# =========================================================================================
def _check_model(model: ClaimModel, func: str) -> None:
    """Refuse models whose S has no finite variance, naming the line and what to change."""
    for ln in model.lines:
        var = ln.payment.variance
        if not math.isfinite(var):
            raise HealthcoverError(
                f"{func}: the fund's payment per claim on line '{ln.label}' ({ln.severity!r} under {ln.benefit!r}) "
                "has an infinite variance (a tail with alpha <= 2 and no cap), so S has no finite variance "
                "and no exact distribution is computed; give the benefit a per-claim limit= or cost_limit=, "
                "or use a severity tail with alpha > 2"
            )


def _check_tail(model: ClaimModel, func: str) -> None:
    """Where the Fourier series does not apply, an uncapped payment without a finite third
    moment (a Pareto tail with alpha <= 3) puts variance so far out that no lattice window
    holds it: say so and what to change, rather than refine for minutes."""
    for ln in model.lines:
        if not math.isfinite(ln.payment.moment(3)):
            raise HealthcoverError(
                f"{func}: the fund's payment per claim on line '{ln.label}' ({ln.severity!r} under {ln.benefit!r}) "
                "has an infinite third moment (a tail with alpha <= 3 and no cap) and the Fourier series needs "
                "too many terms for it; give the benefit a per-claim limit= or cost_limit=, or use a tail with "
                "alpha > 3"
            )


def aggregate_loss(model: ClaimModel, method: str = "auto", *, tail: float = 1e-10,
                   h: float | None = None, n: int | None = None, richardson: bool = True,
                   tilt: float = 0.0) -> AggregateLoss:
    """The distribution of the fund's annual payments S.

    Parameters
    ----------
    model : the claim model (:class:`ClaimModel`).
    method : ``"auto"`` (Fourier inversion where it applies, else the lattice FFT),
        ``"fourier"``, ``"fft"``.
    tail : mass of S allowed outside the computation window on each side (and, divided by the
        expected number of claims, the payment mass the quadrature may misplace); errors in
        probabilities are of this order, 1e-10 by default. Point masses of S totalling more
        than ``tail / 100`` are kept exactly (see the module docstring).
    h, n : lattice step and size for ``"fft"`` (default: 2^16 points over the window, with
        the payment cap on a node).
    richardson : for ``"fft"``, extrapolate over h and 2h.
    tilt : for ``"fft"``, exponential tilting :math:`\\theta n` (0 = none; about 20 damps
        wrap-around by :math:`e^{-20}` when the window is too short).

    Returns
    -------
    AggregateLoss with ``mean``, ``sd``, ``cdf``, ``sf``, ``ppf``, ``tvar``, ``stop_loss``,
    ``prob_deficit``, ``summary``, ``frame``, ``atoms`` and ``point_mass``. A model whose S
    has no continuous part (``Benefit(rate=0)``, a deductible above every cost) gives the
    exact discrete distribution (:class:`DiscreteLoss`) whatever the method.
    """
    func = "aggregate_loss"
    if not isinstance(model, ClaimModel):
        raise HealthcoverError(f"{func}: model must be a ClaimModel; got {type(model).__name__}")
    chk.choice(func, "method", method, ("auto", "fourier", "fft"))
    tail = chk.in_range(func, "tail", tail, 0.0, 1e-3, lo_open=True)
    if h is not None:
        h = chk.positive_at_most(func, "h", h, _MAX_H)
    if n is not None:
        n = chk.positive_int(func, "n", n)
        if not 16 <= n <= _MAX_LATTICE_N:
            raise HealthcoverError(f"{func}: n = {n:,} is not allowed; n must be from 16 to {_MAX_LATTICE_N:,}")
    if not isinstance(richardson, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: richardson = {richardson!r} is not allowed; give True or False")
    tilt = chk.in_range(func, "tilt", tilt, 0.0, 700.0)
    _check_model(model, func)
    disc = _discrete_part(model, tail)
    if disc is not None and -math.expm1(disc[2]) <= tail:
        values, masses, _ = disc
        info = {"atoms": int(values.size), "atoms_mass": float(masses.sum()), "tail": tail,
                "continuous_mass": -math.expm1(disc[2])}
        return DiscreteLoss(model, values, masses, info)
    if not model.variance > 0:
        raise HealthcoverError(
            f"{func}: the payments are too small to resolve: the variance of S underflows to 0 (mean "
            f"{model.mean:.3g}; e.g. a rate of 1e-200); use rate=0 for a benefit that pays nothing"
        )
    if method in ("auto", "fourier"):
        res = _fourier(model, tail) if disc is None else None
        if res is not None:
            return res
        _check_tail(model, func)
        if method == "fourier":
            why = (f"S has point masses (P(S = 0) = {_prob_zero(model):.4g}; few claims, or a deductible or cap "
                   "carrying much of the payment)" if disc is not None else
                   "the payment tail needs too many Fourier terms")
            raise HealthcoverError(f"{func}: method='fourier' does not apply to this model ({why}); use method='fft'")
    _check_tail(model, func)
    return _lattice(model, h, n, tail, richardson, tilt, atoms=disc)
