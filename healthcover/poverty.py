r"""The illness-induced-poverty estimate of seed document 003 §1, with its uncertainty.

The essay on rural medical security (document 003, §1, line L27) estimates the number of rural
people "facing ruin through illness" as

.. math:: P = N_{hh} \times p_{poor} \times s_{illness} \times n = 24149 \times 3.86\% \times 35\%
          \times 4 = 1305.01196 \text{ (万 persons)}

Every input is stored with its source (document, section, line and a short quote) in
``data/statistics/illness-poverty.yaml``.
The text gives ranges for two inputs (the illness-induced share 20.7%-49.3%, with a 30%
three-province figure; household size 4.11-4.20), which drive the sensitivity analysis, the
tornado chart and the Monte Carlo interval.

Caveat (C-05 in the seed digest): the product multiplies a *stock* (poor households at one
point in time) but the text presents it as people facing ruin "each year" (「每年」); it is the
number of people living in illness-impoverished poor households, not an annual inflow. The
author also uses 4 persons per household although both cited sources give more (4.11, 4.20).
"""
from __future__ import annotations


import numpy as np
import pandas as pd

from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import Cited, read_cited, read_data

__all__ = [
    "Source",
    "INPUTS",
    "RANGES",
    "CAVEATS",
    "illness_induced_poor",
    "estimate_steps",
    "sensitivity",
    "tornado",
    "tornado_chart",
    "monte_carlo_draws",
    "monte_carlo",
    "sources_table",
]


#: A number with where it comes from in the seed documents (the one cited-number type).
Source = Cited

_FILE = ("statistics", "illness-poverty.yaml")
_RAW = read_data(*_FILE)
_WHERE = "data/statistics/illness-poverty.yaml"
#: The four inputs of the document's product, as the author used them.
INPUTS: dict[str, Cited] = read_cited(_RAW["inputs"], f"{_WHERE}: inputs")
#: The alternative values the text gives for an input (one-way sensitivity and Monte Carlo).
RANGES: dict[str, dict[str, Cited]] = {
    name: read_cited(alternatives, f"{_WHERE}: ranges.{name}") for name, alternatives in _RAW["ranges"].items()
}
#: The document's own result, for checks.
DOCUMENT_RESULT: Cited = read_cited({"result": _RAW["document_result"]}, _WHERE)["result"]
CAVEATS: dict[str, str] = dict(_RAW["caveats"])

PARAMETERS = tuple(INPUTS)


def _check(name: str, value) -> np.ndarray:
    try:
        if isinstance(value, (bool, np.bool_, str, bytes)):
            raise TypeError
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise HealthcoverError(f"illness_induced_poor: {name} must be a number (or an array of numbers); "
                               f"received {value!r}") from None
    if not np.isfinite(arr).all():
        raise HealthcoverError(f"illness_induced_poor: {name} must be finite; received {value!r}")
    if (arr < 0).any():
        raise HealthcoverError(f"illness_induced_poor: {name} must be >= 0; received {value!r}")
    if name in ("poverty_rate", "illness_share") and (arr > 1).any():
        raise HealthcoverError(
            f"illness_induced_poor: {name} is a share and must be between 0 and 1 "
            f"(3.86% is 0.0386); received {value!r}"
        )
    return arr


def illness_induced_poor(
    households: float = INPUTS["households"].value,
    poverty_rate: float = INPUTS["poverty_rate"].value,
    illness_share: float = INPUTS["illness_share"].value,
    household_size: float = INPUTS["household_size"].value,
):
    r"""People in poor households impoverished by illness (document 003 §1, L27).

    .. math:: P = N_{hh} \times p_{poor} \times s_{illness} \times n

    With the document's inputs (the defaults) this is 24149 × 3.86% × 35% × 4 = 1305.01196
    (万 persons, about 13.05 million). Multiplied left to right as the text writes it.
    Inputs may be numpy arrays (they broadcast), as in :func:`monte_carlo_draws`.

    Parameters
    ----------
    households : rural households, in the unit you want back (万 in the document).
    poverty_rate : share of households that are poor (0.0386).
    illness_share : share of poor households impoverished by illness (0.35).
    household_size : persons per household (4).

    Returns
    -------
    float (or array): persons, in the unit of ``households`` (万 persons by default).

    Notes
    -----
    A stock, not an annual flow, despite the text's "each year" (C-05); see :data:`CAVEATS`.

    References
    ----------
    Seed document 003 §1, L27 (「(24149×3.86%×35%×4=1305.01196)」); digest E20 and C-05.
    """
    h = _check("households", households)
    p = _check("poverty_rate", poverty_rate)
    s = _check("illness_share", illness_share)
    n = _check("household_size", household_size)
    out = h * p * s * n
    return float(out) if out.ndim == 0 else out


def estimate_steps(
    households: float = INPUTS["households"].value,
    poverty_rate: float = INPUTS["poverty_rate"].value,
    illness_share: float = INPUTS["illness_share"].value,
    household_size: float = INPUTS["household_size"].value,
) -> pd.DataFrame:
    """The three steps of the estimate (digest E20): poor households, illness-impoverished
    households, persons, each with its unit."""
    poor = illness_induced_poor(households, poverty_rate, 1.0, 1.0)
    ill = illness_induced_poor(households, poverty_rate, illness_share, 1.0)
    persons = illness_induced_poor(households, poverty_rate, illness_share, household_size)
    return pd.DataFrame(
        {
            "step": ["poor households", "illness-impoverished households", "persons"],
            "formula": [
                f"{households:g} × {poverty_rate:g}",
                f"… × {illness_share:g}",
                f"… × {household_size:g}",
            ],
            "value": [poor, ill, persons],
            "unit": ["万 households", "万 households", "万 persons"],
        }
    )


def sensitivity(base: dict[str, float] | None = None) -> pd.DataFrame:
    """One-way sensitivity: the estimate at every alternative value the text gives.

    One row per (parameter, scenario), other inputs at ``base`` (default: the document's).
    Columns ``parameter``, ``scenario``, ``value``, ``estimate`` (万 persons),
    ``change`` (vs base), ``source`` (doc, line and quote).
    """
    base = _base(base)
    base_est = illness_induced_poor(**base)
    rows = [("all", "document", np.nan, base_est, 0.0, DOCUMENT_RESULT.cite())]
    for param, alts in RANGES.items():
        for label, src in alts.items():
            est = illness_induced_poor(**{**base, param: src.value})
            rows.append((param, label, src.value, est, est - base_est, src.cite()))
    return pd.DataFrame(
        rows, columns=["parameter", "scenario", "value", "estimate", "change", "source"]
    )


def _base(base):
    out = {k: float(v.value) for k, v in INPUTS.items()}
    if base:
        unknown = set(base) - set(out)
        if unknown:
            raise HealthcoverError(
                f"illness_induced_poor: unknown input(s) {allowed(sorted(unknown))}; "
                f"allowed: {allowed(PARAMETERS)}"
            )
        out.update({k: float(v) for k, v in base.items()})
    return out


def tornado(
    ranges: dict[str, tuple[float, float]] | None = None, base: dict[str, float] | None = None
) -> pd.DataFrame:
    """Data for the tornado chart: the estimate at the low and high end of each range.

    ``ranges`` defaults to the text's: illness share 0.207-0.493 and household size
    4.11-4.20; pass e.g. ``{"poverty_rate": (0.03, 0.05)}`` to add your own. Sorted by
    swing, widest first. Note the author's 4 persons lies *below* the household-size range,
    so that bar sits entirely to the right of the base.
    """
    base = _base(base)
    ranges = dict(ranges or {p: (a["low"].value, a["high"].value) for p, a in RANGES.items()})
    base_est = illness_induced_poor(**base)
    rows = []
    for param, (lo, hi) in ranges.items():
        if param not in base:
            raise HealthcoverError(
                f"tornado: unknown input '{param}'; allowed: {allowed(PARAMETERS)}"
            )
        e_lo = illness_induced_poor(**{**base, param: lo})
        e_hi = illness_induced_poor(**{**base, param: hi})
        rows.append((param, lo, hi, e_lo, e_hi, base_est, abs(e_hi - e_lo)))
    out = pd.DataFrame(
        rows,
        columns=["parameter", "low", "high", "estimate_low", "estimate_high", "base", "swing"],
    )
    return out.sort_values("swing", ascending=False, ignore_index=True)


def tornado_chart(data: pd.DataFrame, *, title: str | None = None):
    """Altair tornado chart of :func:`tornado` data: bars from the low-end to the high-end
    estimate, a rule at the document's estimate (built by :func:`healthcover.plotting.tornado_chart`)."""
    from healthcover.plotting import tornado_chart as chart

    if title is None and "base" in getattr(data, "columns", ()) and len(data):
        title = f"Sensitivity of the {float(data['base'].iloc[0]):,.0f}万 estimate (one input at a time)"
    return chart(data, title=title, x_title="Persons in illness-impoverished households (万)")


def monte_carlo_draws(
    n: int = 100_000,
    seed: int = 0,
    *,
    illness_share: tuple[float, float, float] = (0.207, 0.35, 0.493),
    household_size: tuple[float, float] = (4.11, 4.20),
    households: float = INPUTS["households"].value,
    poverty_rate: float = INPUTS["poverty_rate"].value,
) -> pd.DataFrame:
    """Seeded draws of the inputs and the estimate.

    Default distributions (modelling choices, not from the text): illness share triangular
    on the text's range 20.7%-49.3% with mode at the author's 35%; household size uniform on
    the two cited figures 4.11-4.20; households and poverty rate fixed (the text gives no
    range for them). Columns ``illness_share``, ``household_size``, ``estimate`` (万 persons).
    """
    if int(n) < 1:
        raise HealthcoverError(f"monte_carlo: n must be a positive integer; received {n!r}")
    lo, mode, hi = illness_share
    if not lo <= mode <= hi:
        raise HealthcoverError(
            f"monte_carlo: illness_share must be (low, mode, high) with low <= mode <= high; "
            f"received {illness_share!r}"
        )
    a, b = household_size
    if a > b:
        raise HealthcoverError(
            f"monte_carlo: household_size must be (low, high) with low <= high; "
            f"received {household_size!r}"
        )
    rng = np.random.default_rng(seed)
    s = rng.triangular(lo, mode, hi, int(n)) if hi > lo else np.full(int(n), lo)
    size = rng.uniform(a, b, int(n))
    est = illness_induced_poor(households, poverty_rate, s, size)
    return pd.DataFrame({"illness_share": s, "household_size": size, "estimate": est})


def monte_carlo(n: int = 100_000, seed: int = 0, level: float = 0.95, **kwargs) -> dict:
    """Monte Carlo uncertainty interval of the estimate (万 persons).

    Returns ``mean``, ``median``, ``lower``, ``upper`` (equal-tailed ``level`` interval),
    ``level``, ``n`` and ``document`` (1305.01196, for comparison). Distributions as in
    :func:`monte_carlo_draws` (keyword arguments pass through). The interval reflects only
    the spread of the text's own figures, not sampling error, and keeps the stock-vs-flow
    caveat (C-05).
    """
    if not 0 < level < 1:
        raise HealthcoverError(f"monte_carlo: level must be between 0 and 1; received {level!r}")
    est = monte_carlo_draws(n, seed, **kwargs)["estimate"].to_numpy()
    alpha = (1 - level) / 2
    return {
        "mean": float(est.mean()),
        "median": float(np.median(est)),
        "lower": float(np.quantile(est, alpha)),
        "upper": float(np.quantile(est, 1 - alpha)),
        "level": float(level),
        "n": int(n),
        "document": illness_induced_poor(),
    }


def sources_table() -> pd.DataFrame:
    """Every input and alternative value with its source, as a table."""
    rows = [{"parameter": k, "scenario": "used", **v.row()} for k, v in INPUTS.items()]
    for param, alts in RANGES.items():
        rows += [{"parameter": param, "scenario": lab, **s.row()} for lab, s in alts.items()]
    return pd.DataFrame(rows)
