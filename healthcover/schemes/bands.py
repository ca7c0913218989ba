r"""One band schedule: what the fund pays of the amount above the deductible.

Up to three bands over the amount :math:`x` above the deductible (seed 001 (五)3: 费用分段不得
超过3段), with uppers :math:`0 = u_0 < u_1 < u_2 \le u_3 = \infty` and rates :math:`r_b`:

.. math:: \text{pay}(x) = \sum_b r_b \,\bigl[\min(x, u_b) - u_{b-1}\bigr]_0^{u_b - u_{b-1}}

One rate is one band. A finite last upper means the amount beyond it is not paid (a band of
rate 0), as :class:`healthcover.actuarial.Benefit` allows.

The claims engine applies the schedule claim by claim from its compiled tables (rates of shape
``(n, 3)``, uppers ``(n, 2)`` in fen, padded: unused bands repeat the last rate beyond an open
upper) through :func:`band_pay`; the actuarial helpers take the knots of one schedule
(:meth:`BandSchedule.pieces`) to integrate the payment exactly. Both read this module, so they
pay the same on a single claim (``tests/test_band_schedule.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = ["BandSchedule", "band_pay", "MAX_BANDS"]

MAX_BANDS = 3


def band_pay(amount: np.ndarray, rates: np.ndarray, uppers: np.ndarray | None) -> np.ndarray:
    """The payment of ``amount`` above the deductible, unrounded (float).

    ``rates``: ``(n,)`` one rate per amount, or ``(n, 3)`` band rates with ``uppers`` ``(n, 2)``
    (``inf`` for an open band); ``(3,)`` and ``(2,)`` apply one schedule to every amount."""
    x = np.asarray(amount, dtype=np.float64)
    rates = np.asarray(rates, dtype=np.float64)
    if uppers is None:
        return x * (rates if rates.ndim <= 1 else rates[..., 0])
    u1, u2 = uppers[..., 0], uppers[..., 1]
    fin1, fin2 = np.isfinite(u1), np.isfinite(u2)
    u1z = np.where(fin1, u1, 0.0)
    width2 = np.where(fin2, u2 - u1z, np.inf)
    b1 = np.minimum(x, u1)
    b2 = np.where(fin1, np.minimum(np.maximum(x - u1z, 0), width2), 0.0)
    b3 = np.where(fin2, np.maximum(x - np.where(fin2, u2, 0.0), 0), 0.0)
    return b1 * rates[..., 0] + b2 * rates[..., 1] + b3 * rates[..., 2]


@dataclass(frozen=True)
class BandSchedule:
    """Bands ``((upper, rate), ...)`` over the amount above the deductible, the last upper open
    (``inf``) or finite (nothing is paid beyond it). Build with :meth:`of`."""

    bands: tuple[tuple[float, float], ...]

    @classmethod
    def of(cls, rate: float | None = None, bands: Iterable[Sequence[float | None]] | None = None) -> "BandSchedule":
        """A schedule from one rate or from ``[[upper, rate], ..., [None, rate]]`` (already checked)."""
        if bands:
            out = tuple((math.inf if u is None else float(u), float(r)) for u, r in bands)
        else:
            out = ((math.inf, float(rate)),)
        return cls(out)

    @classmethod
    def from_tables(cls, rates: np.ndarray, uppers: np.ndarray, no_limit: float) -> "BandSchedule":
        """The schedule of one compiled cell (rates ``(3,)``, uppers ``(2,)`` in the tables'
        units, ``no_limit`` standing for an open upper)."""
        out = []
        for b in range(MAX_BANDS):
            upper = float(uppers[b]) if b < 2 and uppers[b] < no_limit else math.inf
            out.append((upper, float(rates[b])))
            if math.isinf(upper):
                break
        return cls(tuple(out))

    @property
    def first_rate(self) -> float:
        return self.bands[0][1]

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """The padded ``(rates (3,), uppers (2,))`` the claims engine reads (the last upper
        open, as scheme files write it)."""
        if math.isfinite(self.bands[-1][0]):
            raise ValueError("the engine's tables hold schedules whose last band is open")
        rates = np.full(MAX_BANDS, self.bands[-1][1])
        uppers = np.full(2, np.inf)
        for b, (u, r) in enumerate(self.bands):
            rates[b] = r
            if b < 2 and math.isfinite(u):
                uppers[b] = u
        return rates, uppers

    def pay(self, amount) -> np.ndarray:
        """The payment of amounts above the deductible (unrounded): the sum over the pieces."""
        x = np.asarray(amount, dtype=np.float64)
        out = np.zeros_like(x)
        for start, end, rate in self.pieces():
            if rate:
                out += rate * np.clip(x - start, 0.0, end - start)
        return out

    def pieces(self) -> list[tuple[float, float, float]]:
        """``(start, end, rate)`` of each band over the amount above the deductible; a finite
        last upper adds a last piece of rate 0 to infinity."""
        out, lower = [], 0.0
        for upper, rate in self.bands:
            out.append((lower, upper, rate))
            lower = upper
        if math.isfinite(lower):
            out.append((lower, math.inf, 0.0))
        return out
