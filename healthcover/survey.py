r"""Survey designs and design-based standard errors for any measure.

A household survey such as CHARLS or CFPS is not a simple random sample: households are drawn
in clusters (primary sampling units, PSUs: villages, communities) within strata, with unequal
weights. Standard errors that ignore this are too small. :class:`SurveyDesign` names the
design's columns (as Stata's ``svyset``) and :func:`standard_errors` re-estimates any measure
under it by one of three methods:

``"linearization"`` (Taylor linearisation, as Stata's ``svy: mean`` and ``svy: ratio``)
    The measure is written as a function of weighted totals; its derivative with respect to
    each household's weight, :math:`z_i = \partial\hat\theta/\partial w_i` (the linearised
    variable or influence value), turns it into a total :math:`\sum_i w_i z_i` whose variance
    is the usual one for a stratified cluster sample:

    .. math::

        t_{hj} = \sum_{i \in (h, j)} w_i z_i, \qquad
        \hat V(\hat\theta) = \sum_h (1 - f_h)\,\frac{n_h}{n_h - 1}
                             \sum_{j=1}^{n_h} (t_{hj} - \bar t_h)^2

    with :math:`n_h` PSUs in stratum *h*, :math:`\bar t_h` their mean and :math:`f_h` the
    sampling fraction (0 unless ``fpc`` is given). For a mean :math:`\bar y = \sum w y/\sum w`,
    :math:`z_i = (y_i - \bar y)/\sum w`; for a ratio :math:`R = \sum w y/\sum w x`,
    :math:`z_i = (y_i - R x_i)/\sum w x`: exactly Stata's ``svy: mean`` and ``svy: ratio``.
    Measures provide :math:`z` through an ``influence`` attribute: the catastrophic-payment
    measures, impoverishment, the unified classification, concentration indices and the
    Kakwani index do (concentration indices by the derivative of the weighted fractional
    ranks, as for the Gini coefficient in Binder & Kovacevic 1995).

``"jackknife"`` (delete-one-PSU JKn, as Stata's ``svy jackknife``)
    Replicate :math:`(h, j)` drops PSU *j* and multiplies the weights of the other PSUs of
    stratum *h* by :math:`n_h/(n_h - 1)`; the measure is recomputed on every replicate:

    .. math:: \hat V = \sum_h (1 - f_h)\,\frac{n_h - 1}{n_h}
              \sum_j (\hat\theta_{(hj)} - \bar\theta_{(h)})^2

    (``mse=True``: deviations from the full-sample :math:`\hat\theta` instead). Any measure.

``"bootstrap"`` (Rao-Wu rescaling bootstrap)
    Each replicate draws :math:`m_h = n_h - 1` PSUs with replacement in every stratum; PSU *j*
    drawn :math:`m^*_{hj}` times gets its weights multiplied by
    :math:`1 - \lambda_h + \lambda_h \frac{n_h}{m_h} m^*_{hj}`, :math:`\lambda_h =
    \sqrt{1 - f_h}`, and :math:`\hat V = \frac1B \sum_b (\hat\theta_b - \bar\theta)^2`. Seeded.

Confidence intervals are :math:`\hat\theta \pm t_{d,\,1-\alpha/2}\,\widehat{se}` with the
design degrees of freedom :math:`d` = number of PSUs minus number of strata (Stata's default).

A stratum with one PSU has no within-stratum variance. It is an error naming the stratum
unless ``singleton`` says how to treat it, as Stata's ``singleunit()``: ``"certainty"`` (it
contributes nothing), ``"scaled"`` (the variance from the other strata is scaled by
:math:`H / H_{>1}`, giving each singleton stratum their average) or ``"centered"``
(linearisation only: its PSU total is centred on the mean of all PSU totals). A stratum whose
``fpc`` says it was taken whole (:math:`f_h = 1`) contributes nothing and is not a singleton.

PSU identifiers are nested in strata (the same PSU code in two strata is two PSUs), as in
Stata. Without ``psu`` every household is its own PSU; without ``strata`` the sample is one
stratum. Rows of weight 0 add nothing to any total, but their PSUs are sampled PSUs and count
in :math:`n_h` (as in samplics and R's ``survey``; drop such rows first to leave them out).

References
----------
StataCorp. *Stata Survey Data Reference Manual*: [SVY] variance estimation, svy jackknife,
svy bootstrap, svyset (singleunit). Wolter, K. M. (2007). *Introduction to Variance
Estimation*, 2nd ed., ch. 4 (jackknife) and 6 (Taylor series). Rao, J. N. K., Wu, C. F. J. &
Yue, K. (1992). Some recent work on resampling methods for complex surveys. *Survey
Methodology* 18, 209-217. Kolenikov, S. (2010). Resampling variance estimation for complex
survey data. *The Stata Journal* 10(2), 165-199. Binder, D. A. & Kovacevic, M. S. (1995).
Estimating some measures of income inequality from survey data: an application of the
estimating equations approach. *Survey Methodology* 21, 137-145.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed

__all__ = ["SurveyDesign", "standard_errors", "SE_METHODS", "SINGLETON"]

#: Variance estimators of :func:`standard_errors`.
SE_METHODS = ("linearization", "jackknife", "bootstrap")
#: Treatments of a stratum with one PSU (Stata's ``singleunit()``; ``"error"`` refuses).
SINGLETON = ("error", "certainty", "scaled", "centered")
#: Column name used for the weights of a design without ``weight``.
_UNIT_WEIGHT = "_design_weight"


@dataclass(frozen=True)
class SurveyDesign:
    """The sampling design of a household table, as Stata's ``svyset``.

    Parameters
    ----------
    weight : column of sampling weights (>= 0, positive total); None for equal weights.
    strata : column of strata; None for one stratum.
    psu : column of primary sampling units (nested in strata); None: each row is a PSU.
    fpc : column of the finite population correction, constant within a stratum: a sampling
        fraction (<= 1) or the number of PSUs in the stratum's population (>= its sampled
        PSUs), as Stata's ``fpc()``; None for sampling with replacement (no correction).
    singleton : what to do with a stratum of one PSU: ``"error"`` (default), ``"certainty"``,
        ``"scaled"`` or ``"centered"`` (see :mod:`healthcover.survey`).

    Examples
    --------
    >>> design = SurveyDesign(weight="HH_weight", psu="communityID")
    >>> design.strata is None
    True
    """

    weight: str | None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    singleton: str = "error"

    def __post_init__(self):
        for name in ("weight", "strata", "psu", "fpc"):
            checks.column_name("SurveyDesign", name, getattr(self, name))
        checks.choice("SurveyDesign", "singleton", self.singleton, SINGLETON)

    def columns(self) -> list[str]:
        """The design's columns (those that are set)."""
        return [c for c in (self.weight, self.strata, self.psu, self.fpc) if c is not None]

    def summary(self, df: pd.DataFrame) -> dict[str, Any]:
        """Strata, PSUs, singleton strata and design degrees of freedom of ``df`` under this
        design (as Stata's ``svydescribe``)."""
        prep = _prepare(self, df, "SurveyDesign.summary", check_singletons=False)
        return {
            "households": prep.n,
            "strata": prep.H,
            "psus": prep.P,
            "singleton_strata": [prep.stratum_label(h) for h in np.flatnonzero(prep.singles)],
            "design_df": prep.P - prep.H,
        }

    def replicate_weights(self, df: pd.DataFrame, *, method: str = "jackknife",
                          reps: int | None = None, seed: int = 0) -> pd.DataFrame:
        """The replicate weights of ``method`` (``"jackknife"`` or ``"bootstrap"``), one column
        per replicate, aligned with ``df`` (for use in Stata's ``svyset ..., jkrweight()`` or
        ``bsrweight()``, or R's ``svrepdesign``). Jackknife columns are named
        ``jk_<stratum>_<psu>``; bootstrap columns ``bs_1`` ... ``bs_<reps>``."""
        func = "SurveyDesign.replicate_weights"
        checks.choice(func, "method", method, ("jackknife", "bootstrap"))
        prep = _prepare(self, df, func)
        if method == "jackknife":
            if reps is not None:
                raise HealthcoverError(f"{func}: reps applies to the bootstrap; the jackknife has one replicate per PSU")
            cols = {f"jk_{prep.stratum_label(prep.psu_stratum[j])}_{prep.psu_labels[j]}": prep.w * f
                    for j, f in _jackknife_factors(prep)}
        else:
            reps = checks.replicates(func, "reps", 500 if reps is None else reps, 2)
            seed = checks.seed(func, "seed", seed)
            factors = _rao_wu_factors(prep, reps, np.random.default_rng(seed))
            cols = {f"bs_{b + 1}": prep.w * factors[b][prep.psu] for b in range(reps)}
        return pd.DataFrame(cols, index=df.index)


# --------------------------------------------------------------------------- the prepared design


@dataclass
class _Prepared:
    """A design resolved on a table: weights, PSU index per row, strata per PSU."""

    n: int
    w: np.ndarray                 # row weights
    psu: np.ndarray               # row -> PSU index 0..P-1 (PSUs ordered by stratum)
    psu_stratum: np.ndarray       # PSU -> stratum index 0..H-1
    psu_labels: list              # PSU -> the user's PSU value (or row label)
    n_h: np.ndarray               # PSUs per stratum
    f_h: np.ndarray               # sampling fraction per stratum (0: none)
    strata_labels: pd.Index | None
    singleton: str
    order: np.ndarray             # rows sorted by PSU
    psu_start: np.ndarray         # PSU j's rows are order[psu_start[j]:psu_start[j + 1]]

    @property
    def H(self) -> int:
        return int(self.n_h.size)

    @property
    def P(self) -> int:
        return int(self.psu_stratum.size)

    @property
    def singles(self) -> np.ndarray:
        """Strata with one PSU that were not taken whole (f < 1)."""
        return (self.n_h == 1) & (self.f_h < 1)

    @property
    def multi(self) -> np.ndarray:
        return self.n_h > 1

    def stratum_label(self, h: int) -> str:
        return "(all)" if self.strata_labels is None else str(self.strata_labels[h])

    def scale(self) -> float:
        """Factor applied to the variance for ``singleton="scaled"`` (1 otherwise)."""
        k = int(self.singles.sum())
        if self.singleton != "scaled" or k == 0:
            return 1.0
        return (int(self.multi.sum()) + k) / int(self.multi.sum())


def _prepare(design: SurveyDesign, df: Any, func: str, *, check_singletons: bool = True,
             method: str = "linearization") -> _Prepared:
    if not isinstance(design, SurveyDesign):
        raise HealthcoverError(
            f"{func}: design = {design!r} is not a SurveyDesign; build one with "
            "healthcover.SurveyDesign(weight=..., strata=..., psu=...)"
        )
    checks.frame(df, f"{func}: the household table")
    checks.nonempty(df, func)
    n = len(df)
    w = checks.weights(df, design.weight, func)
    if design.strata is not None:
        s, strata_labels = checks.design_codes(df, design.strata, func, "strata")
    else:
        s, strata_labels = np.zeros(n, dtype=np.int64), None
    if design.psu is not None:
        p, psu_values = checks.design_codes(df, design.psu, func, "psu")
    else:
        p, psu_values = np.arange(n, dtype=np.int64), pd.Index(df.index)
    # PSUs are nested in strata: one index per (stratum, psu) pair, ordered by stratum.
    pair = s * (int(p.max()) + 1) + p
    uniq, psu = np.unique(pair, return_inverse=True)
    psu_stratum = uniq // (int(p.max()) + 1)
    psu_labels = list(psu_values[uniq % (int(p.max()) + 1)])
    H = int(s.max()) + 1
    n_h = np.bincount(psu_stratum, minlength=H)
    f_h = np.zeros(H)
    if design.fpc is not None:
        f_h = _fractions(df, design, s, n_h, strata_labels, func)
    order = np.argsort(psu, kind="stable")
    psu_start = np.concatenate([[0], np.cumsum(np.bincount(psu, minlength=uniq.size))])
    prep = _Prepared(n, w, psu, psu_stratum, psu_labels, n_h, f_h, strata_labels,
                     design.singleton, order, psu_start)
    if prep.P < 2:
        raise HealthcoverError(
            f"{func}: the design has only one PSU, so no sampling variance can be estimated; "
            "give the psu column (or leave psu=None: each household is then its own PSU)"
        )
    if check_singletons:
        _check_singletons(prep, design, func, method)
    return prep


def _fractions(df, design, s, n_h, strata_labels, func) -> np.ndarray:
    """Sampling fraction per stratum from the fpc column (a rate <= 1 or a PSU count >= n_h)."""
    v = checks.column(df, design.fpc, func, "fpc")
    H = n_h.size
    lo = np.full(H, np.inf)
    hi = np.full(H, -np.inf)
    np.minimum.at(lo, s, v)
    np.maximum.at(hi, s, v)
    label = (lambda h: "(all)") if strata_labels is None else (lambda h: repr(strata_labels[h]))
    varies = np.flatnonzero(lo != hi)
    if varies.size:
        h = int(varies[0])
        raise HealthcoverError(
            f"{func}: column '{design.fpc}' (fpc) varies within stratum {label(h)} "
            f"({lo[h]:g} to {hi[h]:g}); it must be one value per stratum"
        )
    rate = lo <= 1
    bad = np.flatnonzero((lo < 0) | (~rate & (lo < n_h)))
    if bad.size:
        h = int(bad[0])
        raise HealthcoverError(
            f"{func}: column '{design.fpc}' (fpc) is {lo[h]:g} in stratum {label(h)}, which has "
            f"{n_h[h]} sampled PSUs; allowed: a sampling fraction between 0 and 1, or the number "
            f"of PSUs in the stratum's population (at least {n_h[h]})"
        )
    return np.where(rate, lo, n_h / np.where(rate, 1.0, lo))


def _check_singletons(prep: _Prepared, design: SurveyDesign, func: str, method: str) -> None:
    singles = np.flatnonzero(prep.singles)
    if not singles.size:
        return
    names = ", ".join(repr(prep.stratum_label(h)) for h in singles[:5])
    more = f" (and {singles.size - 5} more)" if singles.size > 5 else ""
    if prep.singleton == "error":
        where = f"column '{design.strata}'" if design.strata else "the design"
        raise HealthcoverError(
            f"{func}: stratum {names}{more} of {where} has only one PSU, so its sampling variance "
            "cannot be estimated; pass SurveyDesign(..., singleton='certainty') (it adds no "
            "variance), 'scaled' (it gets the average variance of the other strata) or "
            "'centered' (its PSU is centred on the grand mean), as Stata's singleunit()"
        )
    if prep.singleton == "scaled" and not prep.multi.any():
        raise HealthcoverError(
            f"{func}: singleton='scaled' needs at least one stratum with two or more PSUs; every "
            "stratum has one"
        )
    if prep.singleton == "centered" and method != "linearization":
        raise HealthcoverError(
            f"{func}: singleton='centered' is defined for se='linearization' (Stata's "
            "singleunit(centered)); with the jackknife or the bootstrap use 'certainty' or 'scaled'"
        )


# --------------------------------------------------------------------------- variance formulas


def _psu_totals(prep: _Prepared, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (n x K) over the rows of each PSU: P x K."""
    sorted_values = values[prep.order]
    return np.add.reduceat(sorted_values, prep.psu_start[:-1], axis=0)


def _linearized_variance(prep: _Prepared, z: np.ndarray) -> np.ndarray:
    """Design variance of :math:`\\sum_i w_i z_i` for each column of ``z`` (n x K)."""
    t = _psu_totals(prep, prep.w[:, None] * z)
    K = t.shape[1]
    st_sum = np.zeros((prep.H, K))
    np.add.at(st_sum, prep.psu_stratum, t)
    mean_h = st_sum / prep.n_h[:, None]
    dev = t - mean_h[prep.psu_stratum]
    ss = np.zeros((prep.H, K))
    np.add.at(ss, prep.psu_stratum, dev**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        coef = np.where(prep.multi, (1.0 - prep.f_h) * prep.n_h / (prep.n_h - 1.0), 0.0)
    var = coef @ ss
    if prep.singleton == "centered" and prep.singles.any():
        grand = t.sum(axis=0) / prep.P
        single_psus = prep.singles[prep.psu_stratum]
        f = prep.f_h[prep.psu_stratum][single_psus]
        var = var + ((1.0 - f)[:, None] * (t[single_psus] - grand) ** 2).sum(axis=0)
    return var * prep.scale()


def _jackknife_factors(prep: _Prepared) -> Iterator[tuple[int, np.ndarray]]:
    """(PSU j, row weight factors) for each delete-one-PSU replicate of a stratum with two or
    more PSUs that was not taken whole."""
    row_stratum = prep.psu_stratum[prep.psu]
    for j in range(prep.P):
        h = prep.psu_stratum[j]
        if prep.n_h[h] < 2 or prep.f_h[h] >= 1:
            continue
        f = np.ones(prep.n)
        f[row_stratum == h] = prep.n_h[h] / (prep.n_h[h] - 1.0)
        f[prep.order[prep.psu_start[j]:prep.psu_start[j + 1]]] = 0.0
        yield j, f


def _jackknife_variance(prep: _Prepared, psus: np.ndarray, theta: np.ndarray,
                        estimate: np.ndarray, mse: bool) -> np.ndarray:
    """Stata's JKn variance from replicate estimates ``theta`` (R x K) of PSUs ``psus``."""
    h = prep.psu_stratum[psus]
    K = theta.shape[1]
    if mse:
        centre = estimate[None, :]
    else:
        sums = np.zeros((prep.H, K))
        np.add.at(sums, h, theta)
        centre = (sums / np.maximum(prep.n_h, 1)[:, None])[h]
    coef = (1.0 - prep.f_h[h]) * (prep.n_h[h] - 1.0) / prep.n_h[h]
    return (coef[:, None] * (theta - centre) ** 2).sum(axis=0) * prep.scale()


def _rao_wu_factors(prep: _Prepared, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Rao-Wu rescaling factors per replicate and PSU (reps x P), drawing n_h - 1 PSUs with
    replacement in each stratum of two or more PSUs (others keep factor 1)."""
    first = np.concatenate([[0], np.cumsum(prep.n_h)[:-1]])  # PSUs are ordered by stratum
    strata = np.flatnonzero(prep.multi)
    slot_h = np.repeat(strata, prep.n_h[strata] - 1)
    draws = rng.random((reps, slot_h.size))
    idx = first[slot_h] + np.minimum((draws * prep.n_h[slot_h]).astype(np.int64),
                                     prep.n_h[slot_h] - 1)
    offsets = (np.arange(reps) * prep.P)[:, None]
    counts = np.bincount((idx + offsets).ravel(), minlength=reps * prep.P).reshape(reps, prep.P)
    h = prep.psu_stratum
    lam = np.sqrt(np.clip(1.0 - prep.f_h[h], 0.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(prep.n_h[h] > 1, prep.n_h[h] / (prep.n_h[h] - 1.0), 0.0)
    factors = 1.0 - lam + lam * ratio * counts
    return np.where(prep.n_h[h] > 1, factors, 1.0)


# --------------------------------------------------------------------------- standard errors


def _flatten(result: Any, func: str, name: str, *, full: bool = False) -> dict:
    """A measure's result as {key: float}: a mapping, a Series, or a DataFrame (keys
    (row, column) over its numeric columns; in the full-sample result, cells that are NaN
    there are "not applicable" and get no key)."""
    if isinstance(result, pd.DataFrame):
        num = result.select_dtypes("number")
        cells = {(r, c): float(num.at[r, c]) for c in num.columns for r in num.index}
        return {k: v for k, v in cells.items() if not (full and np.isnan(v))}
    if isinstance(result, pd.Series):
        result = result.to_dict()
    if not isinstance(result, Mapping):
        raise HealthcoverError(
            f"{func}: {name} returned {type(result).__name__}; a measure must return a dict of "
            "floats, a Series or a DataFrame"
        )
    out = {}
    for k, v in result.items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise HealthcoverError(f"{func}: {name} returned {k!r} = {v!r}, which is not a number") from None
    return out


def _measure_name(measure) -> str:
    return getattr(measure, "__name__", type(measure).__name__)


def standard_errors(
    measure: Callable[..., Any],
    df: pd.DataFrame,
    *,
    design: SurveyDesign,
    se: str = "linearization",
    reps: int | None = None,
    seed: int = 0,
    level: float = 0.95,
    mse: bool = False,
    progress: bool = True,
    **measure_kwargs: Any,
) -> pd.DataFrame:
    r"""Design-based standard errors and confidence intervals of every key of a measure.

    Parameters
    ----------
    measure : a function ``measure(df, weight=<column>, **measure_kwargs)`` returning a dict of
        floats (or a Series, or a DataFrame whose numeric cells become keys ``(row, column)``):
        :func:`~healthcover.protection.catastrophic`,
        :func:`~healthcover.protection.impoverishment`, :func:`~healthcover.protection.unified`,
        :func:`~healthcover.protection.concentration_indices`,
        :func:`~healthcover.protection.kakwani`,
        :func:`~healthcover.protection.decompose_concentration` or your own.
    df : the household table, with the design's columns.
    design : a :class:`SurveyDesign`; its weight is passed to the measure as ``weight=``.
    se : ``"linearization"`` (measures with an ``influence`` attribute: all of the above but
        the decomposition), ``"jackknife"`` or ``"bootstrap"`` (any measure).
    reps : bootstrap replicates (default 500); not used by the other methods.
    seed : seed of the bootstrap (a whole number; the same seed gives the same result).
    level : coverage of the confidence interval.
    mse : jackknife and bootstrap: deviations from the full-sample estimate instead of the
        replicates' mean (Stata's ``mse`` option).
    progress : show a progress bar over the replicates.
    **measure_kwargs : passed to the measure (column names, threshold, method ...).

    Returns
    -------
    DataFrame indexed by the measure's keys with columns ``estimate``, ``se``, ``ci_low``,
    ``ci_high``. ``attrs`` records the method, design degrees of freedom, number of strata,
    PSUs and replicates. A key whose estimate is undefined (NaN, e.g. the mean positive
    overshoot when nobody is catastrophic) has NaN standard errors.

    Notes
    -----
    Linearisation treats what a measure estimates before its means as fixed (the subsistence
    spending of ``method="capacity_to_pay"``), as ``svy: mean`` on a precomputed indicator
    does; the jackknife and the bootstrap re-estimate it in every replicate.

    Examples
    --------
    >>> design = SurveyDesign(weight="weight", strata="stratum", psu="psu")   # doctest: +SKIP
    >>> standard_errors(protection.catastrophic, households, design=design,  # doctest: +SKIP
    ...                 oop="oop", consumption="consumption", threshold=0.1, method="total")

    References
    ----------
    See :mod:`healthcover.survey`.
    """
    func = "standard_errors"
    checks.measure(func, measure)
    checks.choice(func, "se", se, SE_METHODS)
    level = checks.probability(func, "level", level)
    checks.flag(func, "mse", mse)
    checks.flag(func, "progress", progress)
    if "weight" in measure_kwargs:
        raise HealthcoverError(
            f"{func}: weight= belongs to the design (SurveyDesign(weight=...)); do not pass it to "
            "the measure as well"
        )
    if se != "bootstrap" and reps is not None:
        raise HealthcoverError(
            f"{func}: reps = {reps!r} applies to se='bootstrap'; se='{se}' has no replicates to "
            "choose (the jackknife has one per PSU)"
        )
    if se == "bootstrap":
        reps = checks.replicates(func, "reps", 500 if reps is None else reps, 2)
        seed = checks.seed(func, "seed", seed)
    prep = _prepare(design, df, func, method=se)
    name = _measure_name(measure)
    try:
        result = measure(df, weight=design.weight, **measure_kwargs)
    except TypeError as exc:
        if "weight" not in str(exc):
            raise
        raise HealthcoverError(
            f"{func}: the design's weights reach the measure through weight=, which {name} does "
            "not accept; give it a weight=<column> argument"
        ) from None
    estimate = _flatten(result, func, name, full=True)
    keys = list(estimate)
    est = np.array([estimate[k] for k in keys])
    n_reps = None
    if se == "linearization":
        influence = getattr(measure, "influence", None)
        if influence is None:
            raise HealthcoverError(
                f"{func}: se='linearization' needs the measure's influence function and {name} has "
                "none (linearisation covers catastrophic, impoverishment, unified, "
                "concentration_indices and kakwani); use se='jackknife' or se='bootstrap'"
            )
        z = influence(df, weight=design.weight, **measure_kwargs)
        missing = [k for k in keys if k not in z]
        if missing:
            raise HealthcoverError(f"{func}: the influence function of {name} lacks {allowed(missing)}")
        defined = [k for k in keys if z[k] is not None and np.isfinite(estimate[k])]
        var = np.full(len(keys), np.nan)
        if defined:
            Z = np.column_stack([np.asarray(z[k], dtype=np.float64) for k in defined])
            var[[keys.index(k) for k in defined]] = _linearized_variance(prep, Z)
    else:
        theta, psus = _replicates(measure, df, design, prep, se, reps, seed, keys, progress,
                                  name, measure_kwargs)
        n_reps = theta.shape[0]
        var = _replicate_variance(prep, se, theta, psus, est, mse, keys, name)
    se_v = np.sqrt(np.maximum(var, 0.0))
    d = prep.P - prep.H
    from scipy import stats

    with np.errstate(invalid="ignore"):
        if d >= 1:
            q = stats.t.ppf(0.5 + level / 2.0, d)
        elif np.nanmax(np.append(se_v, 0.0)) > 0:
            raise HealthcoverError(
                f"{func}: the design has no degrees of freedom (as many strata as PSUs), so no "
                "confidence interval can be formed"
            )
        else:
            q = 0.0
    undefined = ~np.isfinite(est)
    se_v[undefined] = np.nan
    index = (pd.MultiIndex.from_tuples(keys, names=["row", "column"])
             if keys and all(isinstance(k, tuple) for k in keys) else pd.Index(keys, name="measure"))
    out = pd.DataFrame(
        {"estimate": est, "se": se_v, "ci_low": est - q * se_v, "ci_high": est + q * se_v},
        index=index,
    )
    out.attrs.update({
        "measure": name, "se_method": se, "design_df": int(d), "strata": prep.H, "psus": prep.P,
        "singleton_strata": int(prep.singles.sum()), "singleton": prep.singleton,
        "level": level, "replicates": n_reps, "mse": bool(mse),
    })
    return out


def _replicates(measure, df, design, prep, se, reps, seed, keys, progress, name, kwargs):
    """Replicate estimates (R x K) and, for the jackknife, the PSU each replicate drops."""
    from tqdm.auto import tqdm

    wcol = design.weight or _UNIT_WEIGHT
    base = df.copy(deep=False)
    if se == "jackknife":
        jobs = list(_jackknife_factors(prep))
        total = len(jobs)
        psus = np.array([j for j, _ in jobs], dtype=np.int64)
        factor_rows = (f for _, f in jobs)
    else:
        factors = _rao_wu_factors(prep, reps, np.random.default_rng(seed))
        total = reps
        psus = np.empty(0, dtype=np.int64)
        factor_rows = (factors[b][prep.psu] for b in range(reps))
    theta = np.empty((total, len(keys)))
    bar = tqdm(factor_rows, total=total, desc=f"{se} {name}", disable=not progress)
    for r, f in enumerate(bar):
        sample = base.copy(deep=False)
        sample[wcol] = prep.w * f
        try:
            res = _flatten(measure(sample, weight=wcol, **kwargs), "standard_errors", name)
        except HealthcoverError:
            # A replicate the measure cannot compute (e.g. no positive weight left) has no
            # estimate; the keys it would have given are reported below.
            theta[r] = np.nan
            continue
        try:
            theta[r] = [res[k] for k in keys]
        except KeyError as exc:
            raise HealthcoverError(
                f"standard_errors: {name} returned different keys on a replicate (no {exc.args[0]!r}); "
                "a measure must return the same keys whatever the weights"
            ) from None
    return theta, psus


def _replicate_variance(prep, se, theta, psus, est, mse, keys, name) -> np.ndarray:
    bad = ~np.isfinite(theta)
    if se == "jackknife":
        var = _jackknife_variance(prep, psus, np.where(bad, 0.0, theta), est, mse)
        broken = bad.any(axis=0) & np.isfinite(est)
        var[broken] = np.nan
        if broken.any():
            warnings.warn(
                f"standard_errors: {name}: some jackknife replicates have no value for "
                f"{allowed(str(keys[i]) for i in np.flatnonzero(broken))}; their standard errors are NaN",
                stacklevel=3,
            )
        return var
    good = (~bad).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = est if mse else np.where(good > 0, np.where(bad, 0.0, theta).sum(axis=0) / good, np.nan)
        var = np.where(bad, 0.0, (theta - centre) ** 2).sum(axis=0) / good
    dropped = (good < theta.shape[0]) & np.isfinite(est)
    if dropped.any():
        warnings.warn(
            f"standard_errors: {name}: bootstrap replicates without a value were left out for "
            f"{allowed(f'{keys[i]} ({theta.shape[0] - good[i]})' for i in np.flatnonzero(dropped))}",
            stacklevel=3,
        )
    return var * prep.scale()
