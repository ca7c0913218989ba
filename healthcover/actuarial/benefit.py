r"""The benefit formula per claim, and the exact distribution of the fund's payment.

A claim of eligible cost :math:`x` is paid

.. math:: g(x) = \min\Bigl(L,\ \sum_{b} r_b \bigl[\min(x, C) - d - e_{b-1}\bigr]_0^{e_b - e_{b-1}}\Bigr)

with deductible :math:`d`, up to three bands of the amount above the deductible
(:math:`0 = e_0 < e_1 < e_2 < e_3 = \infty`) paid at rates :math:`r_b` (one band = one rate),
an optional cap :math:`C` on the cost counted and a per-claim cap :math:`L` on the fund's
payment; in the simplest case :math:`g(x) = \min(\max(x - d, 0)\, r, L)`.
:math:`g` is continuous, non-decreasing and piecewise linear, so the payment
:math:`Y = g(X)` has atoms where :math:`g` is flat (at 0 below the deductible, at the caps)
and a density elsewhere. :class:`Payment` gives its exact moments, CDF and stop-loss transform
from the severity's partial moments, its exact lattice discretisation (mean preserving) and
quadrature nodes for its characteristic function.

Sources: the claims engine's formula (``docs/architecture.md``); bands at most 3 (seed 001
(五)3, DIGEST 001-29); Dazu tier-2 county hospital: deductible 200, rate 50%, limit 60,000
(seed 004 Art. 23(二)2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from healthcover import checks as chk
from healthcover.actuarial.severity import Severity, _TAIL_EPS
from healthcover.errors import HealthcoverError
from healthcover.schemes.bands import BandSchedule
from healthcover.money import MAX_YUAN

__all__ = ["Benefit", "Payment"]


@dataclass(frozen=True)
class Benefit:
    """Per-claim benefit: deductible, one rate or up to three bands, caps.

    Parameters
    ----------
    deductible : cost borne by the patient first (CNY per claim).
    rate : the fund's share of the cost above the deductible (0-1); ignored when ``bands``.
    bands : up to three ``(upper, rate)`` pairs over the amount *above the deductible*
        (as in the scheme files); the last upper may be ``None``/``inf``. Cost beyond a
        finite last upper is not paid.
    limit : cap on the fund's payment per claim (CNY); ``inf`` for none.
    cost_limit : cap on the eligible cost counted per claim (CNY); ``inf`` for none.

    Examples
    --------
    >>> b = Benefit(deductible=200, rate=0.5, limit=60_000)
    >>> float(b.pay(5_000))
    2400.0
    """

    deductible: float = 0.0
    rate: float | None = 1.0
    bands: tuple[tuple[float, float], ...] = ()
    limit: float = math.inf
    cost_limit: float = math.inf
    label: str = field(default="", compare=False)

    def __post_init__(self):
        f = "Benefit"
        object.__setattr__(self, "deductible", _amount(f, "deductible", self.deductible, zero_ok=True))
        object.__setattr__(self, "limit", _amount(f, "limit", self.limit, allow_inf=True))
        object.__setattr__(self, "cost_limit", _amount(f, "cost_limit", self.cost_limit, allow_inf=True))
        if self.cost_limit <= self.deductible:
            raise HealthcoverError(
                f"Benefit: cost_limit = {self.cost_limit:g} must exceed deductible = {self.deductible:g}"
            )
        if self.bands is None or isinstance(self.bands, (list, tuple)):
            bands = tuple(self.bands or ())
        else:
            raise HealthcoverError(
                f"Benefit: bands = {self.bands!r} is not allowed; give a list of up to 3 (upper, rate) pairs"
            )
        if bands:
            if len(bands) > 3:
                raise HealthcoverError(
                    f"Benefit: bands has {len(bands)} bands; at most 3 are allowed (seed 001 (五)3: 费用分段不得超过3段)"
                )
            clean = []
            prev = 0.0
            for i, band in enumerate(bands):
                try:
                    upper, r = band
                except (TypeError, ValueError):
                    raise HealthcoverError(f"Benefit: bands[{i}] = {band!r} must be a pair (upper, rate)") from None
                upper = math.inf if upper is None else _amount(f, f"bands[{i}] upper", upper, allow_inf=True)
                r = chk.in_range(f, f"bands[{i}] rate", r, 0.0, 1.0)
                if upper <= prev:
                    raise HealthcoverError(
                        f"Benefit: bands[{i}] upper = {upper:g} must exceed the previous upper {prev:g}"
                    )
                if math.isinf(upper) and i != len(bands) - 1:
                    raise HealthcoverError(f"Benefit: only the last band may have an open upper end; bands[{i}] has none")
                clean.append((upper, r))
                prev = upper
            object.__setattr__(self, "bands", tuple(clean))
            object.__setattr__(self, "rate", None)
        else:
            if self.rate is None:
                raise HealthcoverError("Benefit: give a rate or bands")
            object.__setattr__(self, "rate", chk.in_range(f, "rate", self.rate, 0.0, 1.0))
        xs, ys, ss = self._build_knots()
        object.__setattr__(self, "_x", xs)
        object.__setattr__(self, "_y", ys)
        object.__setattr__(self, "_s", ss)

    @property
    def schedule(self) -> BandSchedule:
        """The band schedule over the cost above the deductible (shared with the claims engine)."""
        return BandSchedule.of(self.rate, self.bands)

    # --- construction --------------------------------------------------------------------
    # (checks of from_scheme's arguments: a scheme object, care and cell names as text)
    @classmethod
    def from_scheme(cls, scheme: Any, care: str = "inpatient", *, annual_limit_as: str = "limit",
                    **dims: str) -> "Benefit":
        """The per-claim benefit of one care type at one facility for one category.

        Reads ``benefits.<care>.deductible``, ``rate`` or ``bands``, ``per_claim_limit`` and
        ``annual_limit`` (with ``annual_limit_basis``) through ``scheme.value(path, **dims)``,
        e.g. ``Benefit.from_scheme(s, "inpatient", facility="county", category="adult")``.

        An annual limit per person cannot be applied claim by claim; ``annual_limit_as="limit"``
        (default) applies it as a per-claim cap, exact for persons with at most one claim a year
        and otherwise an upper bound on the fund's payment (a prudent solvency assumption);
        ``"ignore"`` drops it.
        """
        func = "Benefit.from_scheme"
        if not all(hasattr(scheme, a) for a in ("has", "value", "leaf", "id")):
            raise HealthcoverError(
                f"{func}: scheme must be a scheme from healthcover.load_scheme; got {type(scheme).__name__}"
            )
        if not isinstance(care, str):
            raise HealthcoverError(f"{func}: care = {care!r} is not allowed; give a care type such as 'inpatient'")
        bad = {k: v for k, v in dims.items() if not isinstance(v, str)}
        if bad:
            k, v = next(iter(bad.items()))
            raise HealthcoverError(f"{func}: {k} = {v!r} is not allowed; give the cell's code as text, e.g. facility='county'")
        chk.choice(func, "annual_limit_as", annual_limit_as, ("limit", "ignore"))
        base = f"benefits.{care}"

        def get(name, default=None, optional=False):
            path = f"{base}.{name}"
            if not scheme.has(path):
                return default
            if optional:  # e.g. bands left to the pooling area: the single rate applies
                leaf = scheme.leaf(path, **dims)
                if leaf is None or not leaf.usable:
                    return default
            return scheme.value(path, **dims)

        if get("covered", True) is False:
            raise HealthcoverError(f"{func}: {care} is not covered by {scheme.id} for {dims or 'this variant'}")
        deductible = float(get("deductible", 0.0) or 0.0)
        bands = get("bands", optional=True)
        rate = get("rate")
        limit = get("per_claim_limit")
        limit = math.inf if limit is None else float(limit)
        cost_limit = math.inf
        annual = get("annual_limit")
        if annual is not None and annual_limit_as == "limit":
            if get("annual_limit_basis", "fund") == "cost":
                cost_limit = float(annual)
            else:
                limit = min(limit, float(annual))
        label = f"{scheme.id} {care}" + "".join(f" {k}={v}" for k, v in dims.items())
        if bands:
            return cls(deductible, None, tuple((None if u is None else float(u), float(r)) for u, r in bands),
                       limit, cost_limit, label=label)
        if rate is None:
            raise HealthcoverError(f"{func}: {scheme.id} has neither {base}.rate nor {base}.bands")
        return cls(deductible, float(rate), (), limit, cost_limit, label=label)

    def replace(self, **changes) -> "Benefit":
        """A copy with some fields changed (``rate`` clears ``bands`` unless both are given)."""
        fields = dict(deductible=self.deductible, rate=self.rate, bands=self.bands,
                      limit=self.limit, cost_limit=self.cost_limit, label=self.label)
        unknown = [k for k in changes if k not in fields]
        if unknown:
            raise HealthcoverError(
                f"Benefit.replace: {', '.join(map(str, unknown))} is not a benefit field; fields: {', '.join(fields)}"
            )
        if "rate" in changes and "bands" not in changes:
            fields["bands"] = ()
        fields.update(changes)
        return Benefit(**fields)

    def _build_knots(self):
        """Knots x_i, values y_i = g(x_i) and slopes s_i of g on [x_i, x_{i+1}) (last to inf)."""
        d = self.deductible
        # The band schedule the claims engine applies (healthcover.schemes.bands), shifted by
        # the deductible: nothing is paid below it.
        pieces = self.schedule.pieces()
        xs, ss = [0.0], [0.0]
        for start, _end, rate in pieces:
            if d + start == 0.0:
                ss[0] = rate
            else:
                xs.append(d + start)
                ss.append(rate)
        xs, ss = np.array(xs), np.array(ss)
        # cost cap
        if math.isfinite(self.cost_limit):
            keep = xs < self.cost_limit
            xs, ss = np.append(xs[keep], self.cost_limit), np.append(ss[keep], 0.0)
        ys = np.concatenate([[0.0], np.cumsum(ss[:-1] * np.diff(xs))])
        # fund cap: cut where g reaches L
        if math.isfinite(self.limit):
            L = self.limit
            above = np.flatnonzero(ys >= L)
            last_y = ys[-1] if ss[-1] == 0 else math.inf
            if above.size or last_y > L:
                i = (above[0] - 1) if above.size else len(xs) - 1
                x_cap = xs[i] + (L - ys[i]) / ss[i]
                xs = np.append(xs[: i + 1], x_cap)
                ss = np.append(ss[: i + 1], 0.0)
                ys = np.append(ys[: i + 1], L)
        # drop zero-length pieces
        keep = np.append(np.diff(xs) > 0, True)
        return xs[keep], ys[keep], ss[keep]

    # --- the formula ---------------------------------------------------------------------
    @property
    def max_payment(self) -> float:
        """The largest payment per claim (``inf`` if unbounded)."""
        return float(self._y[-1]) if self._s[-1] == 0 else math.inf

    def pay(self, cost):
        """Fund payment per claim for an array of eligible costs (>= 0, no NaN)."""
        x = chk.points("Benefit.pay", "cost", cost)
        if (x < 0).any():
            i = int(np.flatnonzero(np.ravel(x < 0))[0])
            raise HealthcoverError(
                f"Benefit.pay: cost = {float(np.ravel(x)[i]):g} is not allowed; a cost must be >= 0"
            )
        i = np.clip(np.searchsorted(self._x, x, side="right") - 1, 0, len(self._x) - 1)
        s = self._s[i]
        with np.errstate(invalid="ignore"):  # an infinite cost on a flat piece: 0 * inf
            rise = np.where(s > 0, s * (x - self._x[i]), 0.0)
        return np.where(x > 0, self._y[i] + rise, 0.0)

    def pieces(self):
        """(x_lo, x_hi, y_lo, slope) for each piece of g."""
        x_hi = np.append(self._x[1:], math.inf)
        return self._x, x_hi, self._y, self._s

    def __repr__(self) -> str:
        parts = [f"deductible={self.deductible:g}"]
        if self.bands:
            parts.append("bands=" + str([(u if math.isfinite(u) else None, r) for u, r in self.bands]))
        else:
            parts.append(f"rate={self.rate:g}")
        if math.isfinite(self.limit):
            parts.append(f"limit={self.limit:g}")
        if math.isfinite(self.cost_limit):
            parts.append(f"cost_limit={self.cost_limit:g}")
        return f"Benefit({', '.join(parts)})"


def _amount(func: str, name: str, value, *, allow_inf: bool = False, zero_ok: bool = False) -> float:
    """An amount in yuan: finite (or inf where "no cap" is meant), > 0 (>= 0 with ``zero_ok``)
    and at most MAX_YUAN, the largest single amount the package accepts."""
    x = chk.non_negative(func, name, value, allow_inf=allow_inf) if zero_ok else \
        chk.positive(func, name, value, allow_inf=allow_inf)
    if math.isfinite(x) and x > MAX_YUAN:
        rule = f"at most {MAX_YUAN:.0e} yuan" + (" (or inf for no cap)" if allow_inf else "")
        raise HealthcoverError(f"{func}: {name} = {x:g} is not allowed; {name} must be {rule}")
    return x


class Payment:
    r"""The fund's payment per claim :math:`Y = g(X)` for a severity and a benefit.

    Exact results come from the severity's partial moments :math:`M_k(a, b)`; on a piece
    :math:`g(x) = y_i + s_i (x - x_i)` of :math:`(x_i, x_{i+1}]`,

    .. math:: E[Y^k; \text{piece}] = \sum_{m \le k} \binom{k}{m} (y_i - s_i x_i)^{k-m} s_i^m M_m(x_i, x_{i+1}).
    """

    def __init__(self, severity: Severity, benefit: Benefit | None = None):
        if not isinstance(severity, Severity):
            raise HealthcoverError(f"Payment: severity must be a Severity; got {type(severity).__name__}")
        benefit = Benefit() if benefit is None else benefit
        if not isinstance(benefit, Benefit):
            raise HealthcoverError(f"Payment: benefit must be a Benefit; got {type(benefit).__name__}")
        self.severity = severity
        self.benefit = benefit
        self._moments: dict[int, float] = {}
        x_lo, x_hi, y_lo, s = benefit.pieces()
        #: P(x_i < X <= x_{i+1}) for each piece of g
        self.piece_mass = np.asarray(severity.partial_moment(0, x_lo, x_hi), dtype=float)
        self._pm = {0: self.piece_mass}
        if not math.isfinite(benefit.max_payment) and not math.isfinite(severity.mean):
            raise HealthcoverError(
                f"Payment: {severity!r} has an infinite mean and {benefit!r} has no cap; give a limit"
            )

    @property
    def atom_mass(self) -> float:
        """P(Y is on a flat piece of g): at 0 below the deductible and at the caps."""
        return float(self.piece_mass[self.benefit._s == 0.0].sum())

    def atoms(self) -> tuple[np.ndarray, np.ndarray]:
        """The point masses of Y: values (ascending) and probabilities, one per flat value of g.

        Y = 0 below the deductible (and where a band pays rate 0 from the start), Y = a cap
        where the payment or the cost counted is capped, Y = a band's payment where a band
        pays rate 0. Severities are continuous, so these are all the atoms of Y.
        """
        if "_atoms" not in self.__dict__:
            x_lo, x_hi, y_lo, s = self.benefit.pieces()
            flat = (s == 0.0) & (self.piece_mass > 0)
            v, m = np.asarray(y_lo[flat], dtype=float), np.asarray(self.piece_mass[flat], dtype=float)
            values, idx = np.unique(v, return_inverse=True)
            masses = np.bincount(idx, weights=m, minlength=values.size)
            self._atoms = (values, np.minimum(masses, 1.0))
        return self._atoms

    @property
    def prob_zero(self) -> float:
        """P(Y = 0): the claim is paid nothing (below the deductible, rate 0)."""
        v, m = self.atoms()
        return float(m[0]) if v.size and v[0] == 0.0 else 0.0

    def __repr__(self) -> str:
        return f"Payment({self.severity!r}, {self.benefit!r})"

    # --- exact summaries -----------------------------------------------------------------
    def moment(self, k: int) -> float:
        r""":math:`E[Y^k]` exactly (``inf`` if it does not exist)."""
        if k not in self._moments:
            self._compute_moments(max(k, 3))
        return self._moments[k]

    def _compute_moments(self, kmax: int) -> None:
        x_lo, x_hi, y_lo, s = self.benefit.pieces()
        for m in range(kmax + 1):
            if m not in self._pm:
                self._pm[m] = np.asarray(self.severity.partial_moment(m, x_lo, x_hi), dtype=float)
        pm = [self._pm[m].tolist() for m in range(kmax + 1)]
        pieces = list(zip((y_lo - s * x_lo).tolist(), s.tolist()))
        for k in range(1, kmax + 1):
            total = 0.0
            for i, (c, si) in enumerate(pieces):
                if si == 0.0:  # flat piece: payment c; only the m = 0 term (avoids 0 * inf)
                    total += c ** k * pm[0][i] if c != 0.0 else 0.0
                    continue
                for m in range(k + 1):
                    term = math.comb(k, m) * c ** (k - m) * si ** m
                    if term != 0.0:
                        total += term * pm[m][i]
            self._moments[k] = total

    @property
    def mean(self) -> float:
        return self.moment(1)

    @property
    def variance(self) -> float:
        m1 = self.moment(1)
        return self.moment(2) - m1 * m1

    @property
    def third_central(self) -> float:
        m1, m2, m3 = self.moment(1), self.moment(2), self.moment(3)
        return m3 - 3 * m1 * m2 + 2 * m1 ** 3

    def _x_star(self, y):
        """sup{x : g(x) <= y} (inf where every cost is paid at most y)."""
        y = np.asarray(y, dtype=float)
        bx, by, bs = self.benefit._x, self.benefit._y, self.benefit._s
        i = np.clip(np.searchsorted(by, y, side="right") - 1, 0, len(bx) - 1)
        nxt = np.append(bx[1:], math.inf)[i]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(bs[i] > 0, bx[i] + (y - by[i]) / np.where(bs[i] > 0, bs[i], 1.0), nxt)
        return np.where(y < 0, -1.0, inside)

    def cdf(self, y):
        """P(Y <= y)."""
        xs = self._x_star(y)
        return np.where(xs < 0, 0.0, np.where(np.isinf(xs), 1.0, self.severity.cdf(np.maximum(xs, 0.0))))

    def sf(self, y):
        """P(Y > y)."""
        xs = self._x_star(y)
        return np.where(xs < 0, 1.0, np.where(np.isinf(xs), 0.0, self.severity.sf(np.maximum(xs, 0.0))))

    def stop_loss(self, y, *, continuous: bool = False):
        r""":math:`G(y) = E[(Y - y)_+]`, exact; accurate in the tail (no cancellation of means).

        On the part :math:`(lo, hi]` of a piece above :math:`x^*(y)`:
        :math:`(g(lo) - y) P(lo < X \le hi) + s\,[\pi(lo) - \pi(hi) - (hi - lo) S(hi)]` with
        :math:`\pi(x) = E[(X - x)_+]`. With ``continuous``, only the pieces where g rises:
        :math:`E[(Y - y)_+; Y \text{ not at an atom}]`.
        """
        y = np.atleast_1d(np.asarray(y, dtype=float))
        sev = self.severity
        x_lo, x_hi, y_lo, s = self.benefit.pieces()
        xs = self._x_star(np.maximum(y, 0.0))
        out = np.zeros_like(y)
        for a, b, y0, si, mass in zip(x_lo, x_hi, y_lo, s, self.piece_mass):
            if continuous and si == 0.0:
                continue
            lo = np.maximum(a, xs)
            live = lo < b
            if not live.any():
                continue
            lo_l = lo[live]
            g_lo = y0 + si * (lo_l - a)
            part = (g_lo - y[live]) * sev.partial_moment(0, lo_l, b)
            if si > 0:
                if math.isinf(b):
                    part = part + si * sev.stop_loss(lo_l)
                elif math.isfinite(sev.mean) and float(sev.stop_loss(a)) < 1e8 * (b - a) * max(mass, 1e-300):
                    # E[X - lo; lo < X <= b] as a stop-loss difference (precise in the tail) ...
                    part = part + si * (sev.stop_loss(lo_l) - sev.stop_loss(b) - (b - lo_l) * sev.sf(b))
                else:
                    # ... or from partial moments where that difference would lose more than 8
                    # digits (a piece small against the severity's mean: a wide law, a low cap),
                    # and where the severity has no mean (a capped Pareto tail, alpha <= 1)
                    part = part + si * (sev.partial_moment(1, lo_l, b) - lo_l * sev.partial_moment(0, lo_l, b))
            out[live] += part
        out = np.maximum(out, 0.0)
        neg = y < 0
        if neg.any():
            if continuous:
                c = float(self.piece_mass[s > 0].sum())
                out[neg] = float(self.stop_loss(0.0, continuous=True)[0]) - c * y[neg]
            else:
                out[neg] = self.mean - y[neg]
        return out

    def limited_mean(self, y):
        r""":math:`E[Y \wedge y] = E[Y] - G(y)`."""
        return self.mean - self.stop_loss(y)

    # --- lattice and quadrature ----------------------------------------------------------
    def upper_point(self, eps: float = _TAIL_EPS) -> float:
        """The payment at the ``eps`` upper quantile of the cost, at most the cap (a cap far
        above every likely cost does not stretch a lattice)."""
        return min(self.benefit.max_payment, float(self.benefit.pay(self.severity.isf(eps))))

    def discretise(self, h: float, n_max: int | None = None, eps: float = 1e-16) -> np.ndarray:
        r"""Masses on the lattice :math:`0, h, 2h, \dots` by linear (mean-preserving) dispersal.

        .. math:: p_0 = 1 - \frac{E[Y] - G(h)}{h},\qquad
                  p_k = \frac{G((k-1)h) - 2G(kh) + G((k+1)h)}{h}

        (each point of mass is split between its two neighbours so as to keep its mean);
        :math:`\sum p_k = 1` and :math:`\sum kh\,p_k = E[Y]` exactly once the lattice covers
        the payment's range. Source: Gerber (1982), "On the numerical evaluation of the
        distribution of aggregate claims and its stop-loss premiums", *IME* 1, 13-18;
        Klugman, Panjer & Willmot, *Loss Models*, section 9.6.5.
        """
        h = chk.positive("Payment.discretise", "h", h)
        K = self._lattice_size(h, n_max, eps)
        grid = h * np.arange(-1, K + 2, dtype=float)
        G = self.stop_loss(grid)
        G[0] = self.mean + h  # G(-h) = E[Y] + h, so that p_0 follows the same formula
        p = (G[:-2] - 2.0 * G[1:-1] + G[2:]) / h
        # the last node takes the remaining mass: p_K = (G((K-1)h) - G(Kh)) / h
        p[-1] = (G[-3] - G[-2]) / h
        return np.maximum(p, 0.0)

    def _lattice_size(self, h: float, n_max: int | None, eps: float) -> int:
        top = self.upper_point(eps)
        K = max(1, math.ceil(top / h * (1 - 1e-12)))
        return min(K, n_max) if n_max is not None else K

    def discretise_split(self, h: float, n_max: int | None = None,
                         eps: float = 1e-16) -> tuple[np.ndarray, np.ndarray]:
        r""":meth:`discretise` split into the lattice masses of the atoms of Y and of the rest.

        Linear dispersal is linear in the distribution, so an atom at :math:`v` goes to the
        nodes :math:`\lfloor v/h \rfloor` and the next in proportion to its distance (all of
        it to one node when :math:`v` is on the lattice), and the continuous part is dispersed
        from its own stop-loss transform (the pieces where g rises). The two arrays add up to
        :meth:`discretise` (to rounding).
        """
        h = chk.positive("Payment.discretise_split", "h", h)
        K = self._lattice_size(h, n_max, eps)
        # the continuous part from its own stop-loss transform: taking the atoms' masses off
        # the whole lattice would leave rounding noise of the atoms' size (1e-12 a node) in a
        # part that may be 1e-7 of the payment
        grid = h * np.arange(-1, K + 2, dtype=float)
        G = self.stop_loss(grid, continuous=True)
        pc = (G[:-2] - 2.0 * G[1:-1] + G[2:]) / h
        pc[-1] = (G[-3] - G[-2]) / h
        pc = np.maximum(pc, 0.0)
        pa = np.zeros_like(pc)
        p = pc  # the lattice's length
        v, m = self.atoms()
        if v.size:
            t = v / h
            near = np.round(t)
            on_node = np.abs(t - near) <= 1e-9 * np.maximum(t, 1.0)  # a cap put on a node
            k = np.where(on_node, near, np.floor(t))
            frac = np.where(on_node, 0.0, t - k)
            k = np.minimum(k.astype(np.int64), p.size - 1)
            np.add.at(pa, k, m * (1.0 - frac))
            np.add.at(pa, np.minimum(k + 1, p.size - 1), m * frac)
        return pa, pc

    def cf_nodes(self, omega: float, eps: float = _TAIL_EPS):
        r"""Payment values and weights for :math:`\varphi_Y(u) = E[e^{iuY}]`, :math:`|u| \le \omega`.

        Returns ``(y, w)``: Gauss-Legendre nodes on every piece where :math:`g` rises
        (weights = probability) and atoms where :math:`g` is flat; the mass the quadrature
        cuts off in far tails sits at the cut points, so :math:`\sum w = 1`.
        """
        sev = self.severity
        x_lo, x_hi, y_lo, s = self.benefit.pieces()
        ys, ws = [], []
        for a, b, y0, si, mass in zip(x_lo, x_hi, y_lo, s, self.piece_mass):
            if mass <= 0:
                continue
            if si == 0.0:
                ys.append(np.array([y0]))
                ws.append(np.array([mass]))
                continue
            x, w = sev.quadrature(a, b, omega * si, eps)
            if x.size:
                y = y0 + si * (x - a)
                ys.append(y)
                ws.append(w)
            else:
                ys.append(np.array([y0 + si * (min(b, sev.ppf(0.5)) - a)]))
                ws.append(np.array([mass]))
        return np.concatenate(ys), np.concatenate(ws)
