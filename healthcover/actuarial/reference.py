r"""Slow, independent reference values for validating the aggregate-loss methods.

Gil-Pelaez inversion on the whole half-line (no window, no lattice, no periodisation):

.. math::
    F(x) = \frac12 - \frac1\pi \int_0^\infty \frac{\Im[e^{-iux}\varphi_S(u)]}{u}\,du,\qquad
    E[(S - v)_+] = \frac{E[S] - v}{2} + \frac1\pi \int_0^\infty
        \frac{1 - \Re[e^{-iuv}\varphi_S(u)]}{u^2}\,du,

with :math:`\varphi_Y` from QUADPACK's adaptive Gauss-Kronrod (``scipy.integrate.quad_vec``)
over the severity density (not the Gauss-Legendre panels of :mod:`aggregate`), and the
outer integral by composite Gauss-Legendre in :math:`u` up to where :math:`|\varphi_S|`
falls below 1e-20 (plus the exact :math:`\int_{u_{max}}^\infty u^{-2}du` of the stop-loss
integrand). Used by the tests and the benchmark to measure errors honestly.

Sources: Gil-Pelaez (1951), "Note on the inversion theorem", *Biometrika* 38, 481-482;
the stop-loss form follows from :math:`E|S - v| = \frac2\pi\int_0^\infty (1 - \Re\,
\varphi_{S-v}(u))\,u^{-2}\,du`.
"""
from __future__ import annotations

import math

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import integrate, optimize

from healthcover import checks as chk
from healthcover.actuarial.model import ClaimModel
from healthcover.errors import HealthcoverError

__all__ = ["GilPelaez"]


def _phi_y_minus_1(payment, u: np.ndarray, tail: float = 1e-22) -> np.ndarray:
    """E[exp(i u Y)] - 1 by adaptive quadrature in t = ln x on each rising piece."""
    sev = payment.severity
    x_lo, x_hi, y_lo, s = payment.benefit.pieces()
    out = np.zeros(u.size, dtype=complex)
    for a, b, y0, si in zip(x_lo, x_hi, y_lo, s):
        mass = float(sev.partial_moment(0, a, b))
        if mass <= 0:
            continue
        if si == 0.0:
            th = u * y0
            out += mass * (np.cos(th) - 1.0 + 1j * np.sin(th))
            continue
        lo = max(a, float(sev.ppf(tail)), sev.support[0])
        hi = min(b, float(sev.isf(tail)), sev.support[1])
        if not hi > lo:
            continue

        def f(t):
            x = math.exp(t)
            dens = x * float(sev.pdf(x))
            th = u * (y0 + si * (x - a))
            sn = np.sin(0.5 * th)
            return np.concatenate([-2.0 * sn * sn * dens, 2.0 * sn * np.cos(0.5 * th) * dens])

        val, err = integrate.quad_vec(f, math.log(lo), math.log(hi), epsabs=1e-17, epsrel=1e-13,
                                      norm="max", limit=20000)
        out += val[: u.size] + 1j * val[u.size:]
        # tail mass beyond the cut-off (< tail): put at the cut-off payment
        rest = float(sev.partial_moment(0, hi, b))
        th = u * (y0 + si * (hi - a))
        out += rest * (np.cos(th) - 1.0 + 1j * np.sin(th))
    return out


class GilPelaez:
    """Reference distribution of S (slow: seconds to minutes)."""

    def __init__(self, model: ClaimModel, panels: int = 400, order: int = 20, cf_floor: float = 1e-20):
        if not isinstance(model, ClaimModel):
            raise HealthcoverError(f"GilPelaez: model must be a ClaimModel; got {type(model).__name__}")
        panels = chk.positive_int("GilPelaez", "panels", panels)
        order = chk.positive_int("GilPelaez", "order", order)
        cf_floor = chk.in_range("GilPelaez", "cf_floor", cf_floor, 0.0, 1e-3, lo_open=True)
        if not (model.variance > 0 and math.isfinite(model.variance)):
            raise HealthcoverError(
                f"GilPelaez: S must have a finite, positive variance (got {model.variance:g}); "
                "use aggregate_loss for degenerate models"
            )
        self.model = model
        k1, k2, _ = model.cumulants()
        self.mean, self.sd = k1, math.sqrt(k2)
        # find where |phi_S| falls below cf_floor
        u_max = 4.0 / self.sd
        while True:
            probe = np.array([u_max])
            if self._log_cf(probe).real[0] < math.log(cf_floor):
                break
            u_max *= 1.5
        gx, gw = leggauss(order)
        edges = np.linspace(0.0, u_max, panels + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        self.u = (mid[:, None] + half[:, None] * gx).ravel()
        self.w = (half[:, None] * gw).ravel()
        self.L = self._log_cf(self.u)
        self.u_max = u_max

    def _log_cf(self, u):
        total = np.zeros(u.size, dtype=complex)
        for ln in self.model.lines:
            total += ln.frequency.log_pgf_zm1(_phi_y_minus_1(ln.payment, u))
        return total

    def cdf(self, x):
        x = np.atleast_1d(np.asarray(x, dtype=float))
        L = self.L[None, :] - 1j * np.multiply.outer(x, self.u)
        integrand = np.exp(L.real) * np.sin(L.imag) / self.u
        return 0.5 - (integrand @ self.w) / math.pi

    def sf(self, x):
        return 1.0 - self.cdf(x)

    def stop_loss(self, v):
        v = np.atleast_1d(np.asarray(v, dtype=float))
        L = self.L[None, :] - 1j * np.multiply.outer(v, self.u)
        # 1 - Re e^L = -expm1(Re L) cos(Im L) + 2 sin^2(Im L / 2), without cancellation
        one_minus = -np.expm1(L.real) * np.cos(L.imag) + 2.0 * np.sin(0.5 * L.imag) ** 2
        # beyond u_max phi_S is negligible and the integrand is 1/u^2: its integral is 1/u_max
        return 0.5 * (self.mean - v) + ((one_minus / self.u ** 2) @ self.w + 1.0 / self.u_max) / math.pi

    def ppf(self, q: float) -> float:
        lo, hi = self.mean - 12 * self.sd, self.mean + 40 * self.sd
        lo = max(lo, 0.0)
        return optimize.brentq(lambda x: self.cdf(x)[0] - q, lo, hi, xtol=1e-13 * self.mean, rtol=1e-15,
                               maxiter=200)

    def tvar(self, q: float) -> float:
        v = self.ppf(q)
        return v + float(self.stop_loss(v)[0]) / (1.0 - q)
