r"""Claim models: independent compound lines by care type, facility and category.

A fund's annual payments are :math:`S = \sum_l S_l`, one compound sum per line,
:math:`S_l = Y_{l,1} + \dots + Y_{l,N_l}` with :math:`N_l` the line's number of claims and
:math:`Y_{l,i} = g_l(X_{l,i})` the fund's payment for a claim of cost :math:`X_{l,i}`.
Lines are independent, so cumulants add:

.. math::
    \kappa_1 = \sum_l E[N_l] E[Y_l],\quad
    \kappa_2 = \sum_l E[N_l] \mathrm{Var}[Y_l] + \mathrm{Var}[N_l] E[Y_l]^2,\\
    \kappa_3 = \sum_l E[N_l] \kappa_3(Y_l) + 3 \mathrm{Var}[N_l] E[Y_l] \mathrm{Var}[Y_l]
               + \kappa_3(N_l) E[Y_l]^3

(for a Poisson line :math:`\kappa_2 = \lambda E[Y^2]`, :math:`\kappa_3 = \lambda E[Y^3]`).
Source: Klugman, Panjer & Willmot, *Loss Models* (5th ed.), section 9.3.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from healthcover.actuarial.benefit import Benefit, Payment
from healthcover.actuarial.frequency import Frequency
from healthcover.actuarial.severity import Severity
from healthcover.errors import HealthcoverError

__all__ = ["ClaimLine", "ClaimModel"]


@dataclass(frozen=True)
class ClaimLine:
    """One cell of claims: how many a year, how costly, and how the fund pays each."""

    frequency: Frequency
    severity: Severity
    benefit: Benefit = field(default_factory=Benefit)
    care: str = ""
    facility: str = ""
    category: str = ""

    def __post_init__(self):
        if not isinstance(self.frequency, Frequency):
            raise HealthcoverError(
                f"ClaimLine: frequency must be a Frequency (Poisson, NegativeBinomial); got {type(self.frequency).__name__}"
            )
        if not isinstance(self.severity, Severity):
            raise HealthcoverError(
                f"ClaimLine: severity must be a Severity (Lognormal, Gamma, ...); got {type(self.severity).__name__}"
            )
        for name in ("care", "facility", "category"):
            if not isinstance(getattr(self, name), str):
                raise HealthcoverError(
                    f"ClaimLine: {name} = {getattr(self, name)!r} is not allowed; give a label as text (or leave it out)"
                )
        if not isinstance(self.benefit, Benefit):
            raise HealthcoverError(
                f"ClaimLine: benefit must be a Benefit; got {type(self.benefit).__name__} (Benefit() pays the whole cost)"
            )
        object.__setattr__(self, "payment", Payment(self.severity, self.benefit))

    @property
    def label(self) -> str:
        return "/".join(p for p in (self.care, self.facility, self.category) if p) or "claims"

    def cumulants(self) -> tuple[float, float, float]:
        n, y = self.frequency, self.payment
        m1 = y.mean
        var_y = y.variance
        k1 = n.mean * m1
        k2 = n.mean * var_y + n.variance * m1 * m1
        k3 = n.mean * y.third_central + 3 * n.variance * m1 * var_y + n.third_cumulant * m1 ** 3
        return k1, k2, k3


class ClaimModel:
    """A fund's claims: one or more independent :class:`ClaimLine`.

    Examples
    --------
    >>> from healthcover.actuarial import Poisson, Lognormal, Benefit
    >>> m = ClaimModel.single(Poisson(8000), Lognormal.from_mean_cv(3000, 1.5),
    ...                       Benefit(deductible=200, rate=0.5, limit=60_000))
    >>> round(m.mean)
    11199782
    """

    def __init__(self, lines: Iterable[ClaimLine]):
        if isinstance(lines, (ClaimLine, str, bytes)) or not hasattr(lines, "__iter__"):
            raise HealthcoverError(
                f"ClaimModel: lines must be a list of ClaimLine; got {type(lines).__name__} (one line: ClaimModel([line]))"
            )
        lines = tuple(lines)
        if not lines:
            raise HealthcoverError("ClaimModel: give at least one ClaimLine")
        for i, line in enumerate(lines):
            if not isinstance(line, ClaimLine):
                raise HealthcoverError(f"ClaimModel: lines[{i}] must be a ClaimLine; got {type(line).__name__}")
        self.lines = lines
        self._cum: tuple[float, float, float] | None = None

    @classmethod
    def single(cls, frequency: Frequency, severity: Severity, benefit: Benefit | None = None,
               **labels: str) -> "ClaimModel":
        return cls([ClaimLine(frequency, severity, benefit or Benefit(), **labels)])

    def __repr__(self) -> str:
        if len(self.lines) == 1:
            ln = self.lines[0]
            return f"ClaimModel({ln.frequency!r}, {ln.severity!r}, {ln.benefit!r})"
        return f"ClaimModel({len(self.lines)} lines, mean={self.mean:.6g})"

    # --- exact moments -------------------------------------------------------------------
    def cumulants(self) -> tuple[float, float, float]:
        if self._cum is None:
            parts = np.array([ln.cumulants() for ln in self.lines])
            self._cum = tuple(float(v) for v in parts.sum(axis=0))
        return self._cum

    @property
    def mean(self) -> float:
        return self.cumulants()[0]

    @property
    def variance(self) -> float:
        return self.cumulants()[1]

    @property
    def sd(self) -> float:
        return math.sqrt(self.variance)

    @property
    def skewness(self) -> float:
        """k3 / k2^1.5; 0 for a degenerate S (no variance: the fund pays a fixed amount, e.g. 0)."""
        k1, k2, k3 = self.cumulants()
        return k3 / k2 / math.sqrt(k2) if k2 > 0 else 0.0

    @property
    def expected_claims(self) -> float:
        return float(sum(ln.frequency.mean for ln in self.lines))

    def table(self) -> pd.DataFrame:
        """Per line: expected claims, mean cost and payment per claim, expected payments, share."""
        rows = []
        total = self.mean
        for ln in self.lines:
            k1 = ln.frequency.mean * ln.payment.mean
            rows.append({
                "care": ln.care, "facility": ln.facility, "category": ln.category,
                "expected_claims": ln.frequency.mean,
                "mean_cost": ln.severity.mean,
                "mean_payment": ln.payment.mean,
                "payment_share_of_cost": ln.payment.mean / ln.severity.mean,
                "expected_payments": k1,
                "share_of_fund": k1 / total if total > 0 else 0.0,  # a fund paying nothing: 0
            })
        return pd.DataFrame(rows)

    # --- variants ------------------------------------------------------------------------
    def scaled(self, frequency: float = 1.0, severity: float = 1.0) -> "ClaimModel":
        """More insured (``frequency`` x claims) and cost inflation (``severity`` x each cost).

        The benefit's deductible and caps stay fixed, so payments grow faster than costs.
        """
        return ClaimModel([
            replace(ln,
                    frequency=ln.frequency.scaled(frequency) if frequency != 1.0 else ln.frequency,
                    severity=ln.severity.scaled(severity) if severity != 1.0 else ln.severity)
            for ln in self.lines
        ])

    def with_benefit(self, benefit: Benefit | Callable[[ClaimLine], Benefit]) -> "ClaimModel":
        """The same claims under another benefit (one for all lines, or a function of the line)."""
        if not (isinstance(benefit, Benefit) or callable(benefit)):
            raise HealthcoverError(
                f"ClaimModel.with_benefit: benefit must be a Benefit or a function of the line; got {type(benefit).__name__}"
            )
        return ClaimModel([
            replace(ln, benefit=benefit(ln) if callable(benefit) else benefit) for ln in self.lines
        ])

    def with_benefit_changes(self, **changes) -> "ClaimModel":
        """Every line's benefit with some fields changed, e.g. ``rate=0.6`` or ``deductible=300``."""
        return ClaimModel([replace(ln, benefit=ln.benefit.replace(**changes)) for ln in self.lines])
