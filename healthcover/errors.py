"""The one exception type users see, and helpers that phrase its messages."""
from __future__ import annotations

from typing import Iterable


class HealthcoverError(ValueError):
    """Bad input, a malformed scheme file, or a value the documents leave open.

    Messages name where the problem is (file, field, row, column), the value
    received and what is allowed, so the user can fix it without reading code.
    """


def allowed(values: Iterable[object]) -> str:
    """Format an allowed set for an error message: ``a, b, c``."""
    return ", ".join(str(v) for v in values)


def rows_preview(rows: Iterable[int], limit: int = 5) -> str:
    """``rows 3, 17, 20 (and 12 more)`` for error messages; rows are 0-based positions."""
    rows = list(rows)
    head = ", ".join(str(r) for r in rows[:limit])
    more = f" (and {len(rows) - limit} more)" if len(rows) > limit else ""
    word = "row" if len(rows) == 1 else "rows"
    return f"{word} {head}{more}"
