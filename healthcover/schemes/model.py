"""What a scheme file may contain: metadata schema (pydantic) and the parameter leaves.

A scheme file is checked in two passes: pydantic validates the shape of the metadata, then
:mod:`healthcover.schemes.load` walks the parameter trees (``parameters``, ``contributions``,
``benefits``, ``fund``) and checks every table key and leaf against the scheme's own codes.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Leaf kinds, in the words of the documents.
EXACT = "exact"  # a stated value
RANGE = "range"  # left to the pooling area inside [lo, hi]
AT_LEAST = "at_least"  # "not lower than"
AT_MOST = "at_most"  # "not higher than"
APPROX = "approx"  # "around", "generally": a target
NOT_STATED = "not_stated"  # blank in the document
RESIDUAL = "residual"  # contributions: this payer covers what the others leave
SHARE_OF_TOTAL = "share_of_total"  # contributions: a share of the financing standard
LEAF_KINDS = (EXACT, RANGE, AT_LEAST, AT_MOST, APPROX, NOT_STATED, RESIDUAL, SHARE_OF_TOTAL)

#: Dimensions a parameter table may be keyed by, besides category attributes.
CORE_DIMENSIONS = ("variant", "category", "facility", "care")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bilingual(_Strict):
    zh: str
    en: str


class Source(_Strict):
    """Where a rule comes from: seed document, article or section, line, original quote."""

    doc: str
    article: Optional[str] = None
    lines: Optional[str] = None
    quote: Optional[str] = None
    note: Optional[str] = None

    def cite(self) -> str:
        """``doc 004, Art. 23(二)2 (L381): 「成年人:6万元」``."""
        parts = [f"doc {self.doc}"]
        if self.article:
            parts.append(self.article)
        text = ", ".join(parts)
        if self.lines:
            text += f" ({self.lines})"
        if self.quote:
            text += f": 「{self.quote}」"
        return text


class Code(_Strict):
    """A code of the scheme (variant, category, facility, care type) with its names."""

    zh: str
    en: str
    note: Optional[str] = None
    attributes: dict[str, str] = Field(default_factory=dict)
    source: Optional[Source] = None


class Reading(_Strict):
    """A passage with two or more readings; the file names the one the code uses."""

    question: str
    options: dict[str, str]
    used: str
    #: option -> parameter overrides that option implies (the file's own values are the used option's)
    sets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: Optional[Source] = None
    note: Optional[str] = None

    @field_validator("used")
    @classmethod
    def _used_is_an_option(cls, v: str, info: Any) -> str:
        options = info.data.get("options") or {}
        if options and v not in options:
            raise ValueError(f"'{v}' is not one of the options: {', '.join(options)}")
        return v


class Dates(_Strict):
    issued: Optional[_dt.date] = None
    effective: Optional[_dt.date] = None
    note: Optional[str] = None


class SchemeMeta(_Strict):
    """Top-level metadata of a scheme file; the parameter trees are checked separately."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    kind: str = Field(pattern=r"^(resident|employee|fee|secondary|guideline)$")
    title: Bilingual
    issuer: Optional[Bilingual] = None
    document_number: Optional[str] = None
    dates: Dates = Field(default_factory=Dates)
    jurisdiction: Bilingual
    source: Source
    summary: Optional[str] = None
    currency: str = "CNY"
    variants: dict[str, Code] = Field(default_factory=dict)
    default_variant: Optional[str] = None
    categories: dict[str, Code]
    facilities: dict[str, Code] = Field(default_factory=dict)
    care: dict[str, Code] = Field(default_factory=dict)
    readings: dict[str, Reading] = Field(default_factory=dict)
    gaps: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    contributions: dict[str, Any] = Field(default_factory=dict)
    benefits: dict[str, Any] = Field(default_factory=dict)
    fund: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Leaf:
    """One cell of a parameter: its kind, the value used, and its permitted bounds."""

    kind: str
    value: Any = None  # the value used: stated, default, approximate, or an override
    lo: Optional[float] = None
    hi: Optional[float] = None
    note: Optional[str] = None
    source: Optional[Source] = None
    overridden: bool = False
    original: Any = None  # the file's value before an override

    @property
    def usable(self) -> bool:
        return self.kind != NOT_STATED or self.overridden

    def permitted(self) -> str:
        """The document's constraint in words, for messages and dashboards."""
        if self.kind == RANGE:
            return f"range [{_num(self.lo)}, {_num(self.hi)}]"
        if self.kind == AT_LEAST:
            return f"at least {_num(self.lo)}"
        if self.kind == AT_MOST:
            return f"at most {_num(self.hi)}"
        if self.kind == APPROX:
            return f"around {_num(self.original if self.overridden else self.value)}"
        if self.kind == NOT_STATED:
            return "not stated in the document"
        return f"exactly {_num(self.original if self.overridden else self.value)}"

    def within(self, value: Any) -> bool:
        """Whether ``value`` is inside what the document permits (ranges and bounds only)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return True
        if self.lo is not None and value < self.lo - 1e-12:
            return False
        if self.hi is not None and value > self.hi + 1e-12:
            return False
        return True

    def with_override(self, value: Any) -> "Leaf":
        return replace(self, value=value, overridden=True, original=self.value)


@dataclass
class Parameter:
    """A named rule: a table of leaves over zero or more dimensions, with unit and source."""

    path: str
    description: str
    unit: Optional[str]
    source: Source
    by: tuple[str, ...] = ()
    cells: dict[tuple[str, ...], Leaf] = field(default_factory=dict)
    effective: Optional[_dt.date] = None
    note: Optional[str] = None

    def leaf(self, key: tuple[str, ...]) -> Optional[Leaf]:
        return self.cells.get(key)

    def citation(self, key: tuple[str, ...] = ()) -> str:
        leaf = self.cells.get(key)
        src = leaf.source if leaf is not None and leaf.source is not None else self.source
        return src.cite()


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)
