"""The runnable scheme: a scheme's compiled rules (:mod:`healthcover.schemes`) joined with the
calculators that read them (:mod:`healthcover.claims`, :mod:`healthcover.contributions`).

The calculators never reach back into this object: they take ``scheme.compiled`` (plain arrays
keyed by codes), which is also all a worker on a cluster receives.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from healthcover import checks
from healthcover import claims as _claims
from healthcover import contributions as _contributions
from healthcover.schemes import list_schemes
from healthcover.schemes.rules import SchemeRules

__all__ = ["Scheme", "list_schemes", "load_scheme"]


class Scheme(SchemeRules):
    """A scheme resolved for one variant: its rules (see :class:`SchemeRules`) and what they
    compute: :meth:`contributions`, :meth:`adjudicate`, :meth:`payment_curve`."""

    __slots__ = ()

    def contributions(self, persons: pd.DataFrame, **kwargs) -> pd.DataFrame:
        """Per person: total, individual, employer, subsidies by level, personal account, pooled fund
        (see :func:`healthcover.contributions.contributions`). A Dask DataFrame gives a lazy Dask
        DataFrame (:func:`healthcover.distributed.contributions`)."""
        if checks.is_dask(persons):
            from healthcover.distributed import engine as distributed

            return distributed.contributions(self.compiled, persons, **kwargs)
        persons = checks.index_as_columns(persons, ("person_id",))
        return _contributions.contributions(self.compiled, persons, **kwargs)

    def adjudicate(self, claims: pd.DataFrame, persons: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
        """Per claim: eligible cost, deductible, rate, fund paid, out of pocket, limit reason
        (see :func:`healthcover.claims.adjudicate`). Dask DataFrames give a lazy Dask DataFrame
        with the same columns, index and numbers (:func:`healthcover.distributed.adjudicate`)."""
        if checks.is_dask(claims) or checks.is_dask(persons):
            from healthcover.distributed import engine as distributed

            return distributed.adjudicate(self.compiled.benefits, claims, persons, **kwargs)
        claims = checks.index_as_columns(claims, ("person_id",))
        persons = checks.index_as_columns(persons, ("person_id", "household_id"))
        return _claims.adjudicate(self.compiled.benefits, claims, persons, **kwargs)

    def payment_curve(self, costs, **kwargs) -> pd.DataFrame:
        """Fund payment as one claim's cost grows, by facility (see
        :func:`healthcover.claims.payment_curve`)."""
        return _claims.payment_curve(self.compiled.benefits, costs, **kwargs)


def load_scheme(
    scheme_id: str | Path,
    variant: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    allow_out_of_range: bool = False,
) -> Scheme:
    """Load a scheme by id (or from the path of your own file), for one variant.

    The file is read, checked whole and compiled once (every problem in it is reported at
    once); the result is immutable, and ``scheme.with_overrides({...})`` derives a new one.

    Parameters
    ----------
    scheme_id : a bundled id (see :func:`list_schemes`) or a path to a ``.yaml`` file.
    variant : e.g. ``"tier2"``; defaults to the file's ``default_variant``.
    overrides : local choices or a reform, ``{"benefits.inpatient.deductible.county": 300}``;
        readings are switched with ``{"readings.<name>": "<option>"}``. Values are normalised
        (NumPy scalars, numeric strings) and checked like the file's.
    allow_out_of_range : accept override values outside the document's ranges and bounds
        (for exploring reforms); they stay marked as outside in :meth:`Scheme.parameter_table`.

    Examples
    --------
    >>> s = load_scheme("dazu-resident", variant="tier2")
    >>> s.value("benefits.inpatient.deductible", facility="county")
    200.0
    """
    return Scheme.load(scheme_id, variant, overrides, allow_out_of_range=allow_out_of_range)
