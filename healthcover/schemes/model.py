"""The scheme-file format: what a file may contain, what each rule means, and its JSON Schema.

A scheme file is one YAML document per policy document (``data/schemes/<scheme-id>.yaml``).
Its metadata (titles, codes, readings) is a pydantic model; its four parameter trees
(``parameters``, ``contributions``, ``benefits``, ``fund``) hold *parameters*, each a table of
*leaves* over zero or more dimensions (variant, category or a category attribute, facility).

* :class:`SchemeFile` is the whole format; ``SchemeFile.model_json_schema()`` publishes it as
  JSON Schema (``docs/scheme.schema.json``), so an editor checks a file while it is written.
* :data:`BENEFIT_RULES` and :data:`CONTRIBUTION_RULES` are the rules the engine understands,
  each with its domain; :data:`UNIT_DOMAINS` gives the domain of any other parameter from the
  first word of its unit (``share ...`` lies in [0, 1], ``CNY ...`` is money >= 0).
* :class:`Leaf` and :class:`Parameter` are the checked, immutable form the loader builds.

:mod:`healthcover.schemes.load` reads and checks a file against this format; the compiler
(:mod:`healthcover.schemes.compile`) turns it into the arrays the engine reads.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypeAliasType

from healthcover.sources import Source

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

# --------------------------------------------------------------------------- domains

SHARE = "share"  # a number in [0, 1]
MONEY = "money"  # yuan: finite and >= 0 (a limit may be .inf: no limit)
NON_NEGATIVE = "non_negative"  # a multiple or a quantity: finite and >= 0
COUNT = "count"  # years, days, treatments: finite and >= 0
CODE = "code"  # a word from a fixed set
FLAG = "flag"  # true or false
BANDS = "bands"  # [[upper, rate], ...]
FACTORS = "factors"  # [f1, f2, ...]: shares in [0, 1], one per occurrence (the last repeats)
TEXT = "text"  # a rule in words, a date, a list: not computed with
DOMAINS = (SHARE, MONEY, NON_NEGATIVE, COUNT, CODE, FLAG, BANDS, FACTORS, TEXT)

#: Domain of a parameter by the first word of its ``unit``.
UNIT_DOMAINS: Mapping[str, str] = MappingProxyType({
    "share": SHARE,
    "CNY": MONEY,
    "multiple": NON_NEGATIVE,
    "years": COUNT, "months": COUNT, "days": COUNT, "age": COUNT, "treatments": COUNT,
    "drugs": COUNT, "communities": COUNT, "settlements": COUNT, "inspections": COUNT,
    "checks": COUNT,
    "code": CODE, "rate": CODE,
    "flag": FLAG,
    "bands": BANDS, "[[CNY": BANDS, "[[age": BANDS,
    "factors": FACTORS,
    "rule": TEXT, "list": TEXT, "dates": TEXT, "date": TEXT, "calendar": TEXT, "month": TEXT,
    "day": TEXT, "hospital": TEXT,
})


def unit_domain(unit: str | None) -> str | None:
    """The domain a unit implies (None for a unit this format does not know)."""
    if not unit:
        return None
    return UNIT_DOMAINS.get(str(unit).split()[0].rstrip(":,;"))


@dataclass(frozen=True)
class RuleSpec:
    """A rule the engine reads: its domain, allowed codes, default and what it means."""

    domain: str
    meaning: str
    options: tuple[str, ...] = ()
    default: Any = None
    #: one value per variant (a setting of the care type, not a table over people)
    setting: bool = False
    #: a limit: ``.inf`` (no limit) is allowed
    limit: bool = False
    #: read by the engine (else recorded for readers and checks only)
    engine: bool = True
    #: what a reader calls it, in Chinese and English
    zh: str = ""
    en: str = ""

    def name(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en


#: ``benefits.<care>.<rule>``: the benefit rules the claims engine applies, in its order.
BENEFIT_RULES: Mapping[str, RuleSpec] = MappingProxyType({
    "covered": RuleSpec(FLAG, "the care type is a benefit for this cell (default true)", default=True, zh="是否支付", en="coverage"),
    "fund_amount": RuleSpec(MONEY, "a fixed fund amount per claim (the fund pays the eligible cost up to it)", limit=True, zh="定额支付", en="fixed payment"),
    "deductible": RuleSpec(MONEY, "cost borne by the patient first (default 0)", default=0.0, zh="起付线", en="deductible"),
    "deductible_frequency": RuleSpec(CODE, "the deductible applies per claim or once per person-year",
                                     options=("per_claim", "per_year"), default="per_claim", setting=True, zh="起付线计算方式", en="deductible frequency"),
    "rate": RuleSpec(SHARE, "the fund's share of the cost above the deductible", zh="报销比例", en="reimbursement rate"),
    "bands": RuleSpec(BANDS, "up to three [upper, rate] bands over the cost above the deductible (replaces rate)", zh="分段报销比例", en="cost bands"),
    "enrolment_bonus": RuleSpec(FLAG, "the continuous-enrolment bonus raises the rate (default false)", default=False, zh="连续参保奖励", en="continuous-enrolment bonus"),
    "per_claim_limit": RuleSpec(MONEY, "cap on the fund's payment per claim", limit=True, zh="单次支付限额", en="limit per claim"),
    "annual_limit": RuleSpec(MONEY, "cap per person (or household) and year", limit=True, zh="年度最高支付限额", en="annual limit"),
    "annual_limit_basis": RuleSpec(CODE, "the annual limit caps the fund's payment or the eligible cost counted",
                                   options=("fund", "cost"), default="fund", setting=True, zh="最高限额计算基础", en="annual limit basis"),
    "annual_limit_pool": RuleSpec(CODE, "care types with the same pool share one annual limit (default: the care type)",
                                  setting=True, zh="共用限额的待遇", en="annual limit pool"),
    "annual_limit_scope": RuleSpec(CODE, "the annual limit is per person or pooled in the household",
                                   options=("person", "household"), default="person", setting=True, zh="限额适用范围", en="annual limit scope"),
    "annual_limit_carry_forward": RuleSpec(FLAG, "the unused annual limit carries to the next year (an account; default false)",
                                           default=False, setting=True, zh="结余结转下年", en="carry-forward of the unused limit"),
    "deductible_share_of_average_wage": RuleSpec(NON_NEGATIVE, "the deductible as a share of the person's average wage "
                                                 "(persons.average_wage); a stated deductible amount takes precedence",
                                                 zh="起付线(占平均工资比例)", en="deductible, share of the average wage"),
    "annual_limit_multiple_of_average_wage": RuleSpec(NON_NEGATIVE, "the annual limit as a multiple of the person's average "
                                                      "wage (persons.average_wage); a stated limit amount takes precedence",
                                                      zh="最高支付限额(平均工资倍数)", en="annual limit, multiple of the average wage"),
    "deductible_repeat_factors": RuleSpec(FACTORS, "factors on the deductible of a person's 1st, 2nd, ... claim of the care type "
                                          "in a year (the last repeats; default 1)", zh="多次住院起付线递减", en="repeat-admission deductibles"),
    "annual_stay_limit_days": RuleSpec(COUNT, "days of stay per person and year the fund pays for (claims column stay_days); "
                                       "a stay beyond is paid pro rata", limit=True, zh="年度住院天数限制", en="days of stay a year"),
    "covered_out_of_county": RuleSpec(FLAG, "the care is a benefit when received outside the county (claims column "
                                      "out_of_county; default true)", default=True, zh="县外就医是否支付", en="cover outside the county"),
})

_COMPONENT = "a contribution component: an amount, residual or {share_of_total: s}"

#: ``contributions.<rule>``: financing, flat-rate or payroll.
CONTRIBUTION_RULES: Mapping[str, RuleSpec] = MappingProxyType({
    "basis": RuleSpec(CODE, "flat-rate or payroll financing", options=("flat", "payroll"), default="flat", setting=True),
    "standard": RuleSpec(MONEY, "the financing standard (premium into the pooled fund)"),
    "individual": RuleSpec(MONEY, _COMPONENT),
    "employer": RuleSpec(MONEY, _COMPONENT),
    "subsidy_central": RuleSpec(MONEY, _COMPONENT),
    "subsidy_provincial": RuleSpec(MONEY, _COMPONENT),
    "subsidy_local": RuleSpec(MONEY, _COMPONENT),
    "subsidy_special": RuleSpec(MONEY, "a special subsidy whose paying level is subsidy_special_level"),
    "subsidy_special_level": RuleSpec(CODE, "the government level paying subsidy_special",
                                      options=("central", "provincial", "local"), setting=True),
    "personal_account": RuleSpec(MONEY, "amount held for the person outside the premium"),
    "outpatient_account": RuleSpec(MONEY, "the outpatient account credited per person (informational)"),
    "rate_individual": RuleSpec(SHARE, "the employee's contribution rate on the base"),
    "rate_employer": RuleSpec(SHARE, "the employer's contribution rate on the base"),
    "base_floor": RuleSpec(NON_NEGATIVE, "floor of the contribution base, a multiple of the average wage"),
    "base_cap": RuleSpec(NON_NEGATIVE, "cap of the contribution base, a multiple of the average wage"),
    "base_share_of_average_wage": RuleSpec(NON_NEGATIVE, "a fixed base, a multiple of the average wage"),
    "personal_account_share_individual": RuleSpec(SHARE, "share of the individual contribution credited to the personal account"),
    "personal_account_share_employer": RuleSpec(SHARE, "share of the employer contribution credited to the personal account"),
    "personal_account_share_employer_by_age": RuleSpec(
        BANDS, "share of the employer contribution credited to the personal account by age "
        "(persons.age; [[age, share], ..., [null, share]]: up to and including each age); replaces "
        "personal_account_share_employer"),
    "personal_account_share_of_pension": RuleSpec(SHARE, "personal-account credit as a share of the person's pension "
                                                  "(persons.pension, the previous year's)"),
    "personal_account_pension_floor": RuleSpec(NON_NEGATIVE, "floor of the pension base of the credit, a multiple of the "
                                               "average wage"),
    "subsidy_ratio_floor": RuleSpec(SHARE, "the subsidies cover at least this share of the standard (checked when the "
                                    "scheme is loaded or overridden)"),
    "subsidy_stated_total": RuleSpec(MONEY, "a subsidy total the document states without its split", engine=False),
})

#: ``parameters.<path>`` the engine reads, with their domains.
ENGINE_PARAMETERS: Mapping[str, RuleSpec] = MappingProxyType({
    "parameters.enrolment_bonus.start_year": RuleSpec(COUNT, "first consecutive year with the bonus"),
    "parameters.enrolment_bonus.every": RuleSpec(COUNT, "the bonus rises one step every this many years (>= 1)"),
    "parameters.enrolment_bonus.step": RuleSpec(SHARE, "bonus step added to the rate"),
    "parameters.enrolment_bonus.cap": RuleSpec(SHARE, "maximum total bonus"),
    "parameters.enrolment_bonus.mode": RuleSpec(CODE, "points or a relative share of the rate",
                                                options=("points", "relative"), default="points"),
    "parameters.special_exam_selfpay_share": RuleSpec(SHARE, "share of special-exam cost the patient pays first"),
    "parameters.personal_account_pays": RuleSpec(
        CODE, "what the flat personal account (contributions.personal_account) pays on claims: all the patient "
        "bears, or the patient's share of the covered cost", options=("patient_share", "covered_patient_share")),
    "parameters.personal_account_carry_forward": RuleSpec(FLAG, "the unused personal account carries to the next year",
                                                          default=False),
})


# --------------------------------------------------------------------------- the file format


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(_Strict):
    zh: str
    en: str


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


# Leaves, for the JSON Schema (the loader checks them with messages of its own).
Number = Union[int, float]
Band = tuple[Optional[Number], Number]


class _LeafBase(_Strict):
    note: Optional[str] = None
    source: Optional[Source] = None
    #: a bound relative to another cell of the same parameter (the code of the last dimension):
    #: this cell's value must be strictly above / below that cell's
    above: Optional[str] = None
    below: Optional[str] = None


class RangeLeaf(_LeafBase):
    """Left to local choice within ``range``; ``default`` is the value used."""

    range: tuple[Number, Number]
    default: Number


class AtLeastLeaf(_LeafBase):
    at_least: Number
    default: Optional[Number] = None


class AtMostLeaf(_LeafBase):
    at_most: Number
    default: Optional[Number] = None


class ApproxLeaf(_LeafBase):
    approx: Number


class NotStatedLeaf(_LeafBase):
    not_stated: Literal[True]


class ShareOfTotalLeaf(_LeafBase):
    """A share of the financing standard; with ``at_most`` / ``at_least`` / ``range`` a bound on
    the share (the share given is the value used)."""

    share_of_total: float = Field(ge=0, le=1)
    at_most: Optional[float] = Field(default=None, ge=0, le=1)
    at_least: Optional[float] = Field(default=None, ge=0, le=1)
    range: Optional[tuple[float, float]] = None


class ValueLeaf(_LeafBase):
    value: Union[Number, bool, str, list[Band], list[Number], list[str]]


LeafNode = Union[
    Number, bool, str, list[Band], list[Number], list[str],
    RangeLeaf, AtLeastLeaf, AtMostLeaf, ApproxLeaf, NotStatedLeaf, ShareOfTotalLeaf, ValueLeaf,
]
#: A table: a leaf, or codes (``"a, b"`` lists several, ``"*"`` the rest) mapping to tables.
Table = TypeAliasType("Table", Union[LeafNode, dict[str, "Table"]])


class ParameterNode(_Strict):
    """A parameter: what it is, its unit, its source, its dimensions and its table."""

    description: str
    unit: Optional[str] = None
    source: Source
    by: Union[list[str], str, None] = None
    values: Optional[Table] = None
    value: Optional[Table] = None
    effective: Optional[_dt.date] = None
    note: Optional[str] = None


#: A group of parameters (``benefits.inpatient``) or of groups.
Group = TypeAliasType("Group", dict[str, Union[ParameterNode, "Group"]])


class SchemeMeta(_Strict):
    """Top-level metadata of a scheme file; the parameter trees are checked by the loader."""

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


class SchemeFile(SchemeMeta):
    """The whole scheme-file format, for the JSON Schema (``SchemeFile.model_json_schema()``).

    The loader validates metadata with :class:`SchemeMeta` and walks the parameter trees
    itself, to name every problem by its field path; this model describes the same trees for
    editors and other tools."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="healthcover scheme file")

    parameters: Group = Field(default_factory=dict)
    contributions: Group = Field(default_factory=dict)
    benefits: dict[str, Group] = Field(default_factory=dict)
    fund: Group = Field(default_factory=dict)


def json_schema() -> dict[str, Any]:
    """The scheme-file format as JSON Schema (draft 2020-12), as written to
    ``docs/scheme.schema.json``."""
    schema = SchemeFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = (
        "A healthcover scheme file: one policy document's rules as cited data. Every parameter "
        "has a description, a unit, a source and a table of leaves; see docs/architecture.md."
    )
    return schema


# --------------------------------------------------------------------------- checked form


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
    above: Optional[str] = None  # strictly above the cell of this code (last dimension)
    below: Optional[str] = None

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
        if self.kind == SHARE_OF_TOTAL:
            if self.lo is not None and self.hi is not None:
                return f"share of the standard in [{_num(self.lo)}, {_num(self.hi)}]"
            if self.hi is not None:
                return f"share of the standard, at most {_num(self.hi)}"
            if self.lo is not None:
                return f"share of the standard, at least {_num(self.lo)}"
            return f"share of the standard, exactly {_num(self.original if self.overridden else self.value)}"
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
        original = self.original if self.overridden else self.value
        return replace(self, value=value, overridden=True, original=original)


@dataclass(frozen=True)
class Parameter:
    """A named rule: a table of leaves over zero or more dimensions, with unit and source."""

    path: str
    description: str
    unit: Optional[str]
    source: Source
    by: tuple[str, ...] = ()
    cells: Mapping[tuple[str, ...], Leaf] = field(default_factory=dict)
    effective: Optional[_dt.date] = None
    note: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "cells", MappingProxyType(dict(self.cells)))

    def __reduce__(self):
        return (_parameter, (self.path, self.description, self.unit, self.source, self.by,
                             dict(self.cells), self.effective, self.note))

    @property
    def domain(self) -> str | None:
        """The domain its unit implies (see :data:`UNIT_DOMAINS`)."""
        return unit_domain(self.unit)

    def leaf(self, key: tuple[str, ...]) -> Optional[Leaf]:
        return self.cells.get(key)

    def citation(self, key: tuple[str, ...] = ()) -> str:
        leaf = self.cells.get(key)
        src = leaf.source if leaf is not None and leaf.source is not None else self.source
        return src.cite()

    def with_cells(self, cells: Mapping[tuple[str, ...], Leaf]) -> "Parameter":
        return replace(self, cells=cells)


def _parameter(*args) -> Parameter:
    return Parameter(*args)


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    if isinstance(x, float) and math.isfinite(x):
        return f"{x:.6g}"
    return str(x)


if __name__ == "__main__":  # python -m healthcover.schemes.model > docs/scheme.schema.json
    import json

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
