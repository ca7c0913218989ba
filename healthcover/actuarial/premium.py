r"""Contributions, balance and benefit design.

* Pure premium per insured :math:`E[S]/n`; loaded premium :math:`(1 + \theta) E[S]/n + e`.
* The contribution per insured that keeps the probability of a deficit at most :math:`\varepsilon`:
  :math:`c^* = (\mathrm{VaR}_{1-\varepsilon}(S) - \text{other income}) / n`, i.e.
  :math:`P(S > n c^* + \text{other}) \le \varepsilon`; the subsidy is :math:`c^*` less the
  individual part.
* Inverse design: the reimbursement rate (or deductible, or cap) within the document's
  permitted range that balances a given income with a target surplus margin,
  :math:`E[S(p)] = (1 - m)\,I` ("以收定支、收支平衡、略有结余"), or that keeps
  :math:`P(S(p) > I) = \varepsilon`; solved by ``scipy.optimize.brentq``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from healthcover import checks as chk
from healthcover.actuarial.aggregate import AggregateLoss, aggregate_loss
from healthcover.actuarial.model import ClaimModel
from healthcover.errors import HealthcoverError

__all__ = ["pure_premium", "loaded_premium", "required_contribution", "BenefitDesign",
           "design_benefit", "permitted_range", "sweep"]

_BENEFIT_FIELDS = ("rate", "deductible", "limit", "cost_limit")


def _model(func: str, model) -> ClaimModel:
    if not isinstance(model, ClaimModel):
        raise HealthcoverError(f"{func}: model must be a ClaimModel; got {type(model).__name__}")
    return model


def pure_premium(model: ClaimModel, insured: float) -> float:
    r"""Expected fund payments per insured, :math:`E[S]/n`."""
    _model("pure_premium", model)
    insured = chk.positive("pure_premium", "insured", insured)
    return model.mean / insured


def loaded_premium(model: ClaimModel, insured: float, loading: float = 0.05, expense: float = 0.0) -> float:
    r""":math:`(1 + \theta)\,E[S]/n + e` with safety loading :math:`\theta` and expense :math:`e` per insured."""
    _model("loaded_premium", model)
    insured = chk.positive("loaded_premium", "insured", insured)
    loading = chk.in_range("loaded_premium", "loading", loading, 0.0, 10.0)
    expense = chk.non_negative("loaded_premium", "expense", expense)
    return (1.0 + loading) * model.mean / insured + expense


def required_contribution(model: ClaimModel, insured: float, target: float = 0.05, *,
                          other_income: float = 0.0, individual: float | None = None,
                          agg: AggregateLoss | None = None) -> pd.Series:
    r"""The contribution per insured with :math:`P(\text{deficit}) \le` ``target``.

    Returns contribution, pure premium, implied loading, the probability of a deficit at that
    contribution and, given the ``individual`` part, the subsidy per insured that completes it.
    """
    func = "required_contribution"
    _model(func, model)
    insured = chk.positive(func, "insured", insured)
    target = chk.probability(func, "target", target)
    other_income = chk.non_negative(func, "other_income", other_income)
    if agg is None:
        agg = aggregate_loss(model)
    elif not isinstance(agg, AggregateLoss) or agg.model is not model:
        raise HealthcoverError(
            f"{func}: agg must be aggregate_loss(model) of this model; got "
            + ("the distribution of another model" if isinstance(agg, AggregateLoss) else type(agg).__name__)
        )
    var = float(agg.ppf(1.0 - target))
    c = max(var - other_income, 0.0) / insured
    pure = model.mean / insured
    out = {"contribution": c, "pure_premium": pure, "implied_loading": c / pure - 1.0 if pure > 0 else math.nan,
           "P(deficit)": float(agg.sf(c * insured + other_income)), "target": target}
    if individual is not None:
        individual = chk.non_negative(func, "individual", individual)
        out["individual"] = individual
        out["subsidy"] = max(c - individual, 0.0)
    return pd.Series(out, name="required contribution")


def permitted_range(scheme: Any, path: str, **dims: str) -> tuple[float, float]:
    """The document's permitted range ``(lo, hi)`` for a scheme parameter cell.

    A bound (``at_least``/``at_most``) gives an open end (``inf``); an exact value has no range.
    """
    if not all(hasattr(scheme, a) for a in ("leaf", "id")):
        raise HealthcoverError(
            f"permitted_range: scheme must be a scheme from healthcover.load_scheme; got {type(scheme).__name__}"
        )
    if not isinstance(path, str):
        raise HealthcoverError(
            f"permitted_range: path = {path!r} is not allowed; give a parameter path such as 'benefits.inpatient.rate'"
        )
    leaf = scheme.leaf(path, **dims)
    if leaf is None:
        raise HealthcoverError(f"permitted_range: {scheme.id} has no cell of {path} for {dims}")
    lo = -math.inf if leaf.lo is None else float(leaf.lo)
    hi = math.inf if leaf.hi is None else float(leaf.hi)
    if lo == -math.inf and hi == math.inf:
        raise HealthcoverError(
            f"permitted_range: {scheme.id} {path} ({dims or 'all'}) is fixed by the document at {leaf.value!r}; "
            f"there is no range to design within"
        )
    return lo, hi


def _variant(model: ClaimModel, parameter: str | Callable[[float], ClaimModel], value: float) -> ClaimModel:
    if callable(parameter):
        out = parameter(value)
        if not isinstance(out, ClaimModel):
            name = getattr(parameter, "__name__", "parameter")
            raise HealthcoverError(f"{name}({value:g}) must return a ClaimModel; it returned {type(out).__name__}")
        return out
    return model.with_benefit_changes(**{parameter: value})


@dataclass
class BenefitDesign:
    """Result of :func:`design_benefit`."""

    parameter: str
    value: float
    bounds: tuple[float, float]
    income: float
    criterion: str
    expected_payments: float
    margin: float
    prob_deficit: float
    model: ClaimModel

    def as_series(self) -> pd.Series:
        return pd.Series({"parameter": self.parameter, "value": self.value, "lower": self.bounds[0],
                          "upper": self.bounds[1], "income": self.income, "criterion": self.criterion,
                          "expected_payments": self.expected_payments, "margin": self.margin,
                          "P(deficit)": self.prob_deficit}, name="design")


def design_benefit(model: ClaimModel, parameter: str | Callable[[float], ClaimModel], *, income: float,
                   bounds: tuple[float, float], margin: float | None = None,
                   deficit_target: float | None = None) -> BenefitDesign:
    r"""The benefit parameter in ``bounds`` that balances ``income``.

    ``parameter``: a benefit field changed on every line (``"rate"``, ``"deductible"``,
    ``"limit"``, ``"cost_limit"``) or a function ``value -> ClaimModel``. Give either
    ``margin`` (expected surplus share: :math:`E[S] = (1 - m) I`) or ``deficit_target``
    (:math:`P(S > I) = \varepsilon`). ``bounds`` is the permitted range (e.g. from
    :func:`permitted_range`); if no value inside it meets the goal, the error says what the
    ends of the range achieve.
    """
    func = "design_benefit"
    _model(func, model)
    if not callable(parameter):
        chk.choice(func, "parameter", parameter, _BENEFIT_FIELDS)
    income = chk.positive(func, "income", income)
    try:
        lo, hi = (float(bounds[0]), float(bounds[1]))
    except (TypeError, ValueError, IndexError):
        raise HealthcoverError(f"{func}: bounds = {bounds!r} must be a pair (lower, upper)") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise HealthcoverError(f"{func}: bounds = ({lo:g}, {hi:g}) must be finite with lower < upper")
    if (margin is None) == (deficit_target is None):
        raise HealthcoverError(f"{func}: give exactly one of margin= or deficit_target=")
    name = parameter if isinstance(parameter, str) else getattr(parameter, "__name__", "parameter")
    if margin is not None:
        margin = chk.in_range(func, "margin", margin, -1.0, 1.0, lo_open=True, hi_open=True)
        goal = (1.0 - margin) * income
        crit = f"E[S] = (1 - {margin:g}) x income"

        def f(p):
            return _variant(model, parameter, p).mean - goal
    else:
        deficit_target = chk.probability(func, "deficit_target", deficit_target)
        crit = f"P(S > income) = {deficit_target:g}"

        def f(p):
            return float(aggregate_loss(_variant(model, parameter, p)).sf(income)) - deficit_target

    f_lo, f_hi = f(lo), f(hi)
    if f_lo * f_hi > 0:
        def show(p, fv):
            m = _variant(model, parameter, p)
            if margin is not None:
                return f"{name} = {p:g} gives E[S] = {m.mean:,.0f} (margin {1 - m.mean / income:.2%})"
            return f"{name} = {p:g} gives P(S > income) = {fv + deficit_target:.4g}"
        raise HealthcoverError(
            f"{func}: no {name} in the permitted range [{lo:g}, {hi:g}] meets {crit} for income {income:,.0f}: "
            f"{show(lo, f_lo)}; {show(hi, f_hi)}"
        )
    value = lo if f_lo == 0 else hi if f_hi == 0 else optimize.brentq(f, lo, hi, xtol=1e-12 * max(1.0, abs(hi)),
                                                                      rtol=1e-12)
    m = _variant(model, parameter, value)
    agg = aggregate_loss(m)
    return BenefitDesign(name, float(value), (lo, hi), income, crit, m.mean, 1.0 - m.mean / income,
                         float(agg.sf(income)), m)


def sweep(model: ClaimModel, parameter: str | Callable[[float], ClaimModel], values: Sequence[float], *,
          income: float | None = None, levels: Sequence[float] = (0.995,), method: str = "auto",
          progress: bool | None = None) -> pd.DataFrame:
    """Mean, sd, VaR, TVaR and P(S > income) for each value of a benefit parameter.

    One exact aggregate distribution per value (a dashboard sweeping a parameter); a
    progress bar shows on long sweeps (``progress=None``: from 200 values).
    """
    from tqdm.auto import tqdm

    func = "sweep"
    _model(func, model)
    if not callable(parameter):
        chk.choice(func, "parameter", parameter, _BENEFIT_FIELDS)
    values = chk.points(func, "values", values).ravel()
    if values.size == 0 or not np.isfinite(values).all():
        raise HealthcoverError(f"{func}: values must be one or more finite numbers; got {values.size} value(s)")
    try:
        levels = np.array([chk.probability(func, "levels", q) for q in levels])
    except TypeError:
        raise HealthcoverError(f"{func}: levels = {levels!r} must be a list of levels, e.g. (0.995,)") from None
    if income is not None:
        income = chk.number(func, "income", income)
    chk.choice(func, "method", method, ("auto", "fourier", "fft"))
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise HealthcoverError(f"{func}: progress = {progress!r} is not allowed; give True, False or None")
    show = progress if progress is not None else values.size >= 200
    rows = []
    for v in tqdm(values, desc=f"sweep {parameter if isinstance(parameter, str) else ''}",
                  disable=not show, leave=False):
        m = _variant(model, parameter, float(v))
        agg = aggregate_loss(m, method)
        var = np.atleast_1d(agg.ppf(levels))
        row = {"value": float(v), "mean": agg.mean, "sd": agg.sd}
        stop = np.atleast_1d(agg.stop_loss(var))
        for q, x, sl in zip(levels, var, stop):
            row[f"VaR {q:.1%}"] = float(x)
            row[f"TVaR {q:.1%}"] = float(x + sl / (1.0 - q))
        if income is not None:
            row["P(S > income)"] = float(agg.sf(income))
        rows.append(row)
    return pd.DataFrame(rows)
