r"""Money: amounts in yuan as the user gives them, integer fen inside the calculators.

Every calculator rounds the same way, so a claim, a contribution and a late fee agree to the
fen:

.. math:: \text{fen}(x) = \operatorname{sign}(x)\,\lfloor 100\,|x| + \tfrac12 + \varepsilon \rfloor

(half away from zero, as money is usually rounded). :math:`\varepsilon` absorbs the binary
representation of decimal amounts: ``100.005`` is stored as ``100.00499999999999545``, and
without it would round down although it is written as a half fen.

* :func:`to_fen` gives integer fen (``int64``) for the claims engine, where sums of fen are
  exact and ``fund_paid + oop == cost`` holds to the fen;
* :func:`round_fen` gives yuan rounded to the fen (``float64``) for results shown in yuan;
* :func:`to_yuan` turns fen back into yuan.

:data:`MAX_YUAN` bounds any single amount a user gives (a claim's cost, a wage): far above any
real amount, and small enough that a person's year of such amounts stays exact in ``int64``
fen.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MAX_YUAN", "MAX_FEN", "NO_LIMIT", "to_fen", "round_fen", "to_yuan"]

#: The largest single amount accepted, in yuan (10^12: a trillion yuan). int64 fen hold
#: 9.2 x 10^18, so about 92,000 such amounts can be summed exactly.
MAX_YUAN = 1e12
MAX_FEN = int(MAX_YUAN * 100)
#: Stands for "no limit" in integer fen: far above any sum of amounts the checks admit.
NO_LIMIT = 2**62

# Half a fen, less than a millionth of a fen short of it, still rounds up.
_EPS = 1e-6


def to_fen(yuan) -> np.ndarray:
    """Amounts in yuan to integer fen (``int64``), rounded half away from zero.

    >>> to_fen([100.005, 0.004, -1.005]).tolist()
    [10001, 0, -101]
    """
    x = np.asarray(yuan, dtype=np.float64) * 100.0
    if x.ndim and x.size and x.min() >= 0:  # the common case (validated amounts): in place, lean
        x += 0.5 + _EPS
        np.floor(x, out=x)
        return x.astype(np.int64)
    out = np.floor(np.abs(x) + (0.5 + _EPS))
    return np.copysign(out, x).astype(np.int64)


def round_fen(yuan) -> np.ndarray:
    """Amounts in yuan rounded to the fen (half away from zero), still in yuan (``float64``).

    >>> round_fen([2.675, 1.0049]).tolist()
    [2.68, 1.0]
    """
    x = np.asarray(yuan, dtype=np.float64) * 100.0
    with np.errstate(invalid="ignore"):  # NaN stays NaN (a value the document leaves blank)
        out = np.floor(np.abs(x) + (0.5 + _EPS))
    return np.copysign(out, x) / 100.0


def to_yuan(fen) -> np.ndarray:
    """Integer fen back to yuan (``float64``)."""
    return np.asarray(fen, dtype=np.float64) / 100.0
