"""The one exception type users see, and helpers that phrase its messages."""
from __future__ import annotations

from typing import Iterable


class HealthcoverError(ValueError):
    """Bad input, a malformed scheme file, or a value the documents leave open.

    Messages name where the problem is (file, field, row, column), the value
    received and what is allowed, so the user can fix it without reading code.
    """


class NotStatedError(HealthcoverError):
    """A value the document leaves blank was needed: the caller must supply an assumption.

    Besides the message, it carries what a dashboard needs to explain it to a visitor without
    code: the scheme, variant, parameter path, the cell (e.g. ``"category=adult"``), the
    citation of the blank and the file's note on it.
    """

    def __init__(self, message: str, *, scheme_id: str, variant: str | None, path: str,
                 cell: str, citation: str, note: str = ""):
        super().__init__(message)
        self.scheme_id = scheme_id
        self.variant = variant
        self.path = path
        self.cell = cell
        self.citation = citation
        self.note = note

    def with_prefix(self, prefix: str) -> "NotStatedError":
        """The same error with ``prefix`` before the message (e.g. the rows that need it)."""
        return NotStatedError(f"{prefix}{self}", scheme_id=self.scheme_id, variant=self.variant,
                              path=self.path, cell=self.cell, citation=self.citation, note=self.note)


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


class HealthcoverWarning(UserWarning):
    """Something the user should know about a result that is still right: e.g. same-day claims
    ordered by the claims' index because no explicit order was given."""
