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

:func:`monte_carlo` simulates (seeded) and reports standard errors: a validation path only.

Sources: Embrechts & Frei (2009), "Panjer recursion versus FFT for compound distributions",
*Math. Meth. Oper. Res.* 69, 497-508 (aliasing, tilting); Grübel & Hermesmeier (1999),
"Computation of compound distributions I: aliasing errors and exponential tilting", *ASTIN
Bulletin* 29, 197-214; Panjer (1981), *ASTIN Bulletin* 12, 22-26; Fang & Oosterlee (2008),
*SIAM J. Sci. Comput.* 31, 826-848 (Fourier-series inversion on a window).
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
    "AggregateLoss", "FourierLoss", "LatticeLoss", "RichardsonLoss", "MonteCarloLoss",
    "aggregate_loss", "panjer", "monte_carlo", "LEVELS",
]

#: Confidence levels reported by default (VaR and TVaR).
LEVELS = (0.95, 0.99, 0.995)

_TWO_PI = 2.0 * math.pi
_CF_TOL = 1e-15          # |phi_S| below which Fourier terms are dropped
_MAX_TERMS = 1 << 15     # beyond this the lattice method is used instead
_MAX_WORK = 4e7          # terms x quadrature nodes beyond which the lattice method is used
_THETA_GRID = np.geomspace(0.02, 50.0, 60)  # Chernoff exponents, in units of z/sd


# =========================================================================================
# Result interface
# =========================================================================================
class AggregateLoss:
    """Distribution of the fund's annual payments S (base class of all methods).

    Exact moments come from the claim model; the distribution from the chosen method.
    """

    method: str = ""

    def __init__(self, model: ClaimModel):
        self.model = model
        k1, k2, k3 = model.cumulants()
        self.mean = k1
        self.variance = k2
        self.sd = math.sqrt(k2)
        self.skewness = k3 / k2 ** 1.5 if k2 > 0 else 0.0
        self.info: dict = {}

    # to implement: cdf, pdf, stop_loss, ppf
    def cdf(self, x):
        raise NotImplementedError

    def pdf(self, x):
        raise NotImplementedError

    def stop_loss(self, v):
        r""":math:`E[(S - v)_+]`."""
        raise NotImplementedError

    def ppf(self, q):
        """Quantile (value at risk) at level q."""
        raise NotImplementedError

    # derived
    def sf(self, x):
        """P(S > x)."""
        return 1.0 - self.cdf(x)

    def prob_deficit(self, income):
        """P(S > income): the probability that the year's payments exceed the income."""
        return self.sf(income)

    def value_at_risk(self, q):
        return self.ppf(q)

    def tvar(self, q):
        r"""Tail value at risk :math:`\mathrm{VaR}_q + E[(S - \mathrm{VaR}_q)_+]/(1 - q)`
        (= :math:`E[S \mid S > \mathrm{VaR}_q]` for continuous S). Source: Acerbi & Tasche
        (2002), "On the coherence of expected shortfall", *J. Banking & Finance* 26, 1487-1503."""
        q = np.asarray(q, dtype=float)
        v = self.ppf(q)
        return v + self.stop_loss(v) / (1.0 - q)

    def summary(self, levels: Sequence[float] = LEVELS, income: float | None = None) -> pd.Series:
        """Mean, sd, skewness, VaR and TVaR at ``levels`` and, given income, P(S > income)."""
        levels = [chk.probability("summary", "levels", q) for q in levels]
        var = np.atleast_1d(self.ppf(np.array(levels)))
        tv = np.atleast_1d(self.tvar(np.array(levels)))
        out = {"mean": self.mean, "sd": self.sd, "skewness": self.skewness}
        for q, v, t in zip(levels, var, tv):
            out[f"VaR {q:.1%}"] = float(v)
        for q, v, t in zip(levels, var, tv):
            out[f"TVaR {q:.1%}"] = float(t)
        if income is not None:
            out["income"] = float(income)
            out["P(S > income)"] = float(self.sf(float(income)))
        return pd.Series(out, name=self.method)

    def frame(self, n: int = 400, lo: float | None = None, hi: float | None = None) -> pd.DataFrame:
        """Density, CDF and P(S > x) on ``n`` points (for charts)."""
        lo = float(self.ppf(1e-6)) if lo is None else lo
        hi = float(self.ppf(1 - 1e-6)) if hi is None else hi
        x = np.linspace(lo, hi, n)
        F = np.clip(self.cdf(x), 0.0, 1.0)
        return pd.DataFrame({"x": x, "pdf": np.maximum(self.pdf(x), 0.0), "cdf": F, "sf": 1.0 - F})

    def sample(self, size, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draws of S by inversion of the CDF tabulated on a fine grid."""
        rng = np.random.default_rng(rng)
        x, F = self._table()
        return np.interp(rng.random(size), F, x)

    def _table(self, n: int = 1 << 14):
        if not hasattr(self, "_tab"):
            lo, hi = float(self.ppf(1e-12)), float(self.ppf(1 - 1e-12))
            x = np.linspace(lo, hi, n)
            F = np.maximum.accumulate(np.clip(self.cdf(x), 0.0, 1.0))
            F[0], F[-1] = 0.0, 1.0
            self._tab = (x, F)
        return self._tab

    def __repr__(self) -> str:
        return f"<{type(self).__name__} method={self.method} mean={self.mean:.6g} sd={self.sd:.6g}>"

    def _repr_html_(self) -> str:
        from healthcover.display import aggregate_loss_html
        return aggregate_loss_html(self)


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
    (one big claim) to a skewness-corrected normal tail.
    """
    k1, k2, k3 = model.cumulants()
    sd = math.sqrt(k2)
    freqs = [ln.frequency for ln in model.lines]
    if nodes is None:
        nodes = [ln.payment.cf_nodes(0.0) for ln in model.lines]
    z = math.sqrt(2.0 * math.log(1.0 / tail))
    theta = z / sd * _THETA_GRID
    log_eps = math.log(tail)
    capped = all(math.isfinite(ln.benefit.max_payment) for ln in model.lines)
    K = _log_mgf(nodes, freqs, np.concatenate([-theta, theta]) if capped else -theta)
    a = np.max((log_eps - K[: theta.size]) / theta)
    if capped:
        bs = (K[theta.size:] - log_eps) / theta
        b = float(np.min(bs[np.isfinite(bs)])) if np.isfinite(bs).any() else math.inf
        how = "chernoff"
    else:
        b = math.inf
    if not math.isfinite(b):
        g = max(k3 / k2 ** 1.5, 0.0)
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

    def cdf(self, x):
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

    def pdf(self, x):
        y = self._y(x)
        inside = (np.asarray(x) >= self.a) & (np.asarray(x) <= self.a + self.width)
        return np.where(inside, (1.0 + 2.0 * self._series(self.psi, y)) / self.width, 0.0)

    def integrated_cdf(self, x):
        r""":math:`\int_a^x F(s)\,ds`."""
        y = self._y(x)
        d = self._c / (1j * self.u)
        return y * y / (2.0 * self.width) + y * np.sum(self._c.real) - np.sum(d.real) + self._series(d, y)

    def stop_loss(self, v):
        r""":math:`E[(S - v)_+] = E[S] - v + \int_a^v F(s)\,ds` with the exact mean."""
        v = np.asarray(v, dtype=float)
        return np.maximum(self.mean - v + self.integrated_cdf(v), 0.0)

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        flat = np.atleast_1d(q).ravel()
        z = special.ndtri(flat)
        g = self.skewness
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
            done = np.abs(nx - x) <= 1e-14 * np.maximum(np.abs(x), self.sd)
            x = nx
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
# Lattice (FFT / Panjer)
# =========================================================================================
class LatticeLoss(AggregateLoss):
    r"""S on the lattice :math:`x_0 + mh`, :math:`m = 0..n-1`, with masses :math:`g_m`.

    Each mass is read as spread uniformly over :math:`[x_m - h/2, x_m + h/2]`, so the CDF is
    piecewise linear through :math:`(x_m + h/2, \sum_{i \le m} g_i)` and keeps the mean.
    """

    def __init__(self, model: ClaimModel, x0: float, h: float, masses: np.ndarray,
                 method: str, info: dict):
        super().__init__(model)
        self.method = method
        self.x0, self.h, self.masses = x0, h, masses
        self.info = info
        n = masses.size
        self.x = x0 + h * np.arange(n)
        self._kx = np.concatenate([[x0 - 0.5 * h], self.x + 0.5 * h])
        self._kF = np.concatenate([[0.0], np.cumsum(masses)])
        # integral of F from the first knot to each knot (trapezoids: F is linear between knots)
        self._kI = np.concatenate([[0.0], np.cumsum(0.5 * h * (self._kF[1:] + self._kF[:-1]))])

    def cdf(self, x):
        return np.interp(x, self._kx, self._kF, left=0.0, right=self._kF[-1])

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        m = np.floor((x - self._kx[0]) / self.h).astype(np.int64)
        ok = (m >= 0) & (m < self.masses.size)
        return np.where(ok, self.masses[np.clip(m, 0, self.masses.size - 1)] / self.h, 0.0)

    def integrated_cdf(self, v):
        v = np.asarray(v, dtype=float)
        k = np.clip(np.searchsorted(self._kx, v, side="right") - 1, 0, self._kx.size - 1)
        Fv = self.cdf(v)
        part = 0.5 * (v - self._kx[k]) * (self._kF[k] + Fv)
        return np.where(v <= self._kx[0], 0.0, self._kI[k] + part)

    def stop_loss(self, v):
        v = np.asarray(v, dtype=float)
        return np.maximum(self.mean - v + self.integrated_cdf(v), 0.0)

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        F = self._kF
        k = np.clip(np.searchsorted(F, q, side="left"), 1, F.size - 1)
        f0, f1 = F[k - 1], F[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(f1 > f0, (q - f0) / (f1 - f0), 0.0)
        out = self._kx[k - 1] + t * self.h
        return out if q.ndim else float(out)


class RichardsonLoss(AggregateLoss):
    r"""Richardson extrapolation of two lattice results, :math:`(4 R_h - R_{2h}) / 3`,
    for each reported quantity (the lattice error is :math:`c h^2 + O(h^3)`)."""

    method = "fft+richardson"

    def __init__(self, fine: LatticeLoss, coarse: LatticeLoss):
        super().__init__(fine.model)
        self.fine, self.coarse = fine, coarse
        self.info = dict(fine.info, coarse_h=coarse.h)

    def _r(self, name, x):
        return (4.0 * getattr(self.fine, name)(x) - getattr(self.coarse, name)(x)) / 3.0

    def cdf(self, x):
        return self._r("cdf", x)

    def pdf(self, x):
        return self.fine.pdf(x)

    def stop_loss(self, v):
        return self._r("stop_loss", v)

    def ppf(self, q):
        return self._r("ppf", q)

    def tvar(self, q):
        return self._r("tvar", q)


def _merge_poisson(model: ClaimModel):
    """All-Poisson lines act as one Poisson line with the lambda-weighted payment mix."""
    return all(isinstance(ln.frequency, Poisson) for ln in model.lines)


def _lattice_pgf(model: ClaimModel, h: float, n: int, k0: int, theta: float = 0.0) -> np.ndarray:
    """Masses of S on k0 + m, m = 0..n-1 (lattice step h), by FFT with optional tilting."""
    logphi = np.zeros(n // 2 + 1, dtype=complex)
    for ln in model.lines:
        p = ln.payment.discretise(h)
        if theta:
            p = p * np.exp(-theta * np.arange(p.size))
        if p.size > n:  # fold: the DFT only sees k mod n
            pad = (-p.size) % n
            p = np.concatenate([p, np.zeros(pad)]).reshape(-1, n).sum(axis=0)
        ph = sfft.rfft(p, n)
        logphi += ln.frequency.log_pgf_zm1(ph - 1.0)
    j = np.arange(n // 2 + 1)
    # shift the window start to index 0: multiply by w^(-j k0) and undo the tilt's e^(-theta k0)
    logphi += theta * k0 + 2j * math.pi * ((j * (k0 % n)) % n) / n
    g = sfft.irfft(np.exp(logphi), n)
    if theta:
        g = g * np.exp(theta * np.arange(n))
    return g


def _auto_h(model: ClaimModel, width: float, n_target: int) -> float:
    h = width / n_target
    caps = [ln.benefit.max_payment for ln in model.lines if math.isfinite(ln.benefit.max_payment)]
    if len(set(caps)) == 1:
        # put the cap on a node of both lattices (h and 2h) so its atom is not split
        k = max(2, math.ceil(caps[0] / h))
        k += k % 2
        h = caps[0] / k
    return h


def _lattice(model: ClaimModel, h: float | None, n: int | None, tail: float,
             richardson: bool, tilt: float) -> AggregateLoss:
    a, b, how = _window(model, tail)
    a = max(a, 0.0)  # S >= 0
    auto = h is None and n is None
    if h is None:
        h = _auto_h(model, b - a, n or (1 << 16))
    h = chk.positive("aggregate_loss", "h", h)

    def one(step):
        k0 = int(math.floor(a / step))
        size = n or sfft.next_fast_len(int(math.ceil((b - k0 * step) / step)) + 2, real=True)
        theta = tilt / size if tilt else 0.0
        g = _lattice_pgf(model, step, size, k0, theta)
        info = {"window": (k0 * step, (k0 + size) * step), "window_rule": how, "h": step,
                "n": size, "tilt": tilt, "tail": tail}
        return LatticeLoss(model, k0 * step, step, g, "fft", info)

    fine = one(h)
    if auto:
        # A step too coarse for the payments (a heavy tail stretches the window) biases every
        # quantile while keeping the mean: refine until the lattice's variance matches the
        # model's exact variance, or say it cannot be done rather than return a wrong number.
        size = 1 << 16
        while _lattice_variance_error(fine) > _LATTICE_VAR_TOL:
            size *= 2
            if size > _LATTICE_MAX:
                raise HealthcoverError(
                    f"aggregate_loss: the lattice FFT would need more than 2^{_LATTICE_MAX.bit_length() - 1} points "
                    f"to resolve these payments over the window [{a:,.0f}, {b:,.0f}] (tail={tail:g}); use the "
                    "default tail=1e-10 (where the Fourier method applies) or give h and n explicitly"
                )
            h = _auto_h(model, b - a, size)
            fine = one(h)
    if not richardson:
        return fine
    coarse = one(2.0 * h)
    return RichardsonLoss(fine, coarse)


_LATTICE_VAR_TOL = 1e-5  # relative variance error accepted before Richardson extrapolation
_LATTICE_MAX = 1 << 24


def _lattice_variance_error(loss: "LatticeLoss") -> float:
    """Relative error of the lattice's variance (masses spread uniformly over each cell)."""
    g = loss.masses
    mean = float(np.dot(g, loss.x))
    var = float(np.dot(g, (loss.x - mean) ** 2)) + loss.h**2 / 12.0
    exact = loss.model.sd ** 2
    return abs(var - exact) / exact if exact > 0 else 0.0


def panjer(model: ClaimModel, h: float, n: int | None = None) -> LatticeLoss:
    r"""Panjer's recursion on the lattice :math:`0, h, 2h, \dots` (cross-check of ``"fft"``).

    .. math:: g_k = \frac{1}{1 - a p_0} \sum_{j=1}^{k} \Bigl(a + \frac{b j}{k}\Bigr) p_j g_{k-j},
              \qquad g_0 = P_N(p_0)

    Rescaled as it runs, so :math:`g_0` may underflow (large funds). All lines must be
    Poisson (merged into one) or the model a single line. Source: Panjer (1981), *ASTIN
    Bulletin* 12, 22-26.
    """
    h = chk.positive("panjer", "h", h)
    lines = model.lines
    if len(lines) == 1:
        freq = lines[0].frequency
        p = lines[0].payment.discretise(h)
    elif _merge_poisson(model):
        lam = sum(ln.frequency.mean for ln in lines)
        ps = [ln.payment.discretise(h) for ln in lines]
        m = max(x.size for x in ps)
        p = sum(np.pad(x, (0, m - x.size)) * ln.frequency.mean for x, ln in zip(ps, lines)) / lam
        freq = Poisson(lam)
    else:
        raise HealthcoverError(
            "panjer: the lines must be one line or all Poisson (merged); use aggregate_loss(method='fft')"
        )
    a_, b_ = freq.panjer_ab()
    if n is None:
        n = int(math.ceil((model.mean + 12 * model.sd) / h)) + p.size
    n = chk.positive_int("panjer", "n", n)
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
        prev = g[k - 1::-1][:m] if k - 1 >= 0 else g[:0]
        gk = (c1[:m] @ prev + (c2[:m] @ prev) / k) / denom
        g[k] = gk
        if gk > big:
            g[: k + 1] /= big
            log_scale += math.log(big)
    with np.errstate(under="ignore"):
        g = g * math.exp(log_scale) if log_scale > -700 else np.exp(np.log(np.maximum(g, 1e-320)) + log_scale)
    info = {"window": (0.0, n * h), "h": h, "n": n}
    return LatticeLoss(model, 0.0, h, g, "panjer", info)


# =========================================================================================
# Monte Carlo (validation only)
# =========================================================================================
class MonteCarloLoss(AggregateLoss):
    """Empirical distribution of simulated annual payments, with standard errors."""

    method = "monte carlo"

    def __init__(self, model: ClaimModel, samples: np.ndarray, seed):
        super().__init__(model)
        self.samples = np.sort(samples)
        self.n = samples.size
        self.info = {"n": self.n, "seed": seed}

    def cdf(self, x):
        return np.searchsorted(self.samples, np.asarray(x, dtype=float), side="right") / self.n

    def pdf(self, x):
        x = np.asarray(x, dtype=float)
        bw = 1.06 * self.samples.std() * self.n ** -0.2
        lo = np.searchsorted(self.samples, x - bw)
        hi = np.searchsorted(self.samples, x + bw)
        return (hi - lo) / (self.n * 2 * bw)

    def ppf(self, q):
        q = np.asarray(q, dtype=float)
        idx = np.clip(np.ceil(q * self.n).astype(np.int64) - 1, 0, self.n - 1)
        return self.samples[idx]

    def stop_loss(self, v):
        v = np.asarray(v, dtype=float)
        flat = np.atleast_1d(v).ravel()
        out = np.array([np.maximum(self.samples - t, 0.0).mean() for t in flat])
        return out.reshape(v.shape) if v.ndim else float(out[0])

    def standard_errors(self, levels: Sequence[float] = LEVELS, income: float | None = None) -> pd.Series:
        r"""Standard errors of the sample mean, VaR (order statistic, density by kernel),
        TVaR (:math:`\sqrt{(\mathrm{Var}[S \mid S > v] + q (\mathrm{TVaR} - v)^2)/(n(1-q))}`)
        and :math:`\hat p = P(S > \text{income})` (:math:`\sqrt{\hat p(1-\hat p)/n}`).
        Source: Manistre & Hancock (2005), "Variance of the CTE estimator", *NAAJ* 9(2)."""
        s, n = self.samples, self.n
        out = {"mean": s.std(ddof=1) / math.sqrt(n)}
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
    n_sims = chk.positive_int("monte_carlo", "n_sims", n_sims)
    rng = np.random.default_rng(seed)
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
        probabilities are of this order, 1e-10 by default.
    h, n : lattice step and size for ``"fft"`` (default: 2^16 points over the window, with
        the payment cap on a node).
    richardson : for ``"fft"``, extrapolate over h and 2h.
    tilt : for ``"fft"``, exponential tilting :math:`\\theta n` (0 = none; about 20 damps
        wrap-around by :math:`e^{-20}` when the window is too short).

    Returns
    -------
    AggregateLoss with ``mean``, ``sd``, ``cdf``, ``sf``, ``ppf``, ``tvar``, ``stop_loss``,
    ``prob_deficit``, ``summary`` and ``frame``.
    """
    if not isinstance(model, ClaimModel):
        raise HealthcoverError(f"aggregate_loss: model must be a ClaimModel; got {type(model).__name__}")
    chk.choice("aggregate_loss", "method", method, ("auto", "fourier", "fft"))
    tail = chk.in_range("aggregate_loss", "tail", tail, 0.0, 1e-3, lo_open=True)
    if method in ("auto", "fourier"):
        res = _fourier(model, tail)
        if res is not None:
            return res
        if method == "fourier":
            raise HealthcoverError(
                "aggregate_loss: method='fourier' does not apply to this model (S has atoms, e.g. few "
                "claims or a payment cap carrying much mass, or the payment tail needs too many terms); "
                "use method='fft'"
            )
    return _lattice(model, h, n, tail, richardson, tilt)
