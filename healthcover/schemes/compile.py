r"""Compile a scheme's rules, for one variant, into the arrays the engine reads.

The claims engine and the contributions calculator never walk a parameter tree: they index
flat tables by integer codes. A benefit table is over cells :math:`(c, k, f)` of care type,
category and facility level, flattened as :math:`(c \cdot K + k) \cdot F + f`; a contribution
table is per category. Money is integer fen; "no limit" is :data:`~healthcover.money.NO_LIMIT`.

Compiling is also the second half of checking a file (the first is
:mod:`healthcover.schemes.load`): every cell a covered category x facility x care type needs
must be present, or the file must say that it is not covered (``covered: false``) or not
stated (``{not_stated: true}``); a setting (deductible frequency, limit basis, pool, scope) takes
one value per variant; a category has at most one residual payer, which may not be negative;
the continuous-enrolment bonus has a valid schedule. Every problem is listed, none stops the
others.

A cell the document leaves blank compiles to a :class:`Blank`: the engine raises
:class:`~healthcover.errors.NotStatedError` only for the claims or persons that need it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from healthcover.errors import NotStatedError, allowed
from healthcover.money import NO_LIMIT, to_fen
from healthcover.schemes.model import (
    BANDS,
    BENEFIT_RULES,
    CONTRIBUTION_RULES,
    NOT_STATED,
    RESIDUAL,
    SHARE_OF_TOTAL,
    Leaf,
    Parameter,
    SchemeMeta,
)

__all__ = ["Blank", "BenefitTables", "ContributionTables", "BonusSchedule", "Compiled", "compile_rules",
           "cell_key", "fmt_key"]

#: Status of a table cell.
OK, BLANK = 0, 1
#: Kind of a contribution component for a category.
AMOUNT, RESIDUAL_KIND, SHARE_KIND, BLANK_KIND, ABSENT = 0, 1, 2, 3, 4
_BENEFIT_ORDER = ("covered", "fund_amount", "deductible", "rate", "bands", "enrolment_bonus",
                  "per_claim_limit", "annual_limit", "deductible_repeat_factors", "annual_stay_limit_days",
                  "covered_out_of_county")
#: Longest list of repeat-admission factors (the last one repeats beyond it).
MAX_FACTORS = 12
#: "No limit" on days of stay (int32; far above any count of days).
STAY_NO_LIMIT = 2**31 - 1
#: Reasons a claim's payment is limited, in the order of the codes in ``limit_reason``.
REASONS = ("none", "annual_limit", "per_claim_limit", "not_covered", "not_insured", "stay_limit")


@dataclass(frozen=True)
class Blank:
    """A cell the document leaves blank that a computation may need."""

    scheme_id: str
    variant: str | None
    path: str
    by: tuple[str, ...]
    key: tuple[str, ...]
    citation: str
    note: str
    file_name: str

    def error(self, prefix: str = "") -> NotStatedError:
        dims = [(d, k) for d, k in zip(self.by, self.key) if d != "variant"]
        cell = ".".join(k for _, k in dims)
        okey = self.path + (f".{cell}" if cell else "")
        note = f" ({self.note})" if self.note else ""
        variant = f", variant={self.variant!r}" if self.variant else ""
        return NotStatedError(
            f"{prefix}{self.file_name}: {self.path} ({fmt_key(self.by, self.key) or 'all'}) is not stated "
            f"in the document [{self.citation}]{note}; supply an explicit assumption, e.g. "
            f"load_scheme({self.scheme_id!r}{variant}, overrides={{{okey!r}: ...}})",
            scheme_id=self.scheme_id, variant=self.variant, path=self.path,
            cell=fmt_key(*zip(*dims)) if dims else "", citation=self.citation, note=self.note,
        )


@dataclass(frozen=True)
class BonusSchedule:
    r"""Continuous-enrolment bonus (Dazu Art. 23(二)4): after ``n`` consecutive years,

    .. math:: b(n) = \min(\text{cap}, \text{step}\,(1 + \lfloor (n - \text{start}) / \text{every} \rfloor))
              \quad (n \ge \text{start};\ 0 \text{ before})

    added to the rate (``points``) or as a share of it (``relative``)."""

    start: float
    every: float
    step: float
    cap: float
    mode: str

    @property
    def saturates_at(self) -> int:
        """The first year from which the bonus stays at its cap."""
        if self.step <= 0:
            return int(max(self.start, 0))
        steps = max(math.ceil(self.cap / self.step - 1e-12) - 1, 0)
        return int(max(self.start, 0) + steps * self.every)

    def bonus(self, n) -> np.ndarray:
        """The bonus after ``n`` consecutive years (the formula above)."""
        n = np.asarray(n, dtype=np.float64)
        return np.where(n >= self.start, np.minimum(self.cap, self.step * (np.floor((n - self.start) / self.every) + 1)), 0.0)

    def table(self, years: np.ndarray) -> np.ndarray:
        """The bonus for each element of ``years`` (whole numbers >= 0), through a lookup table
        up to saturation, so a count of 10^8 years costs nothing more than 10."""
        top = self.saturates_at + 1
        lookup = self.bonus(np.arange(top + 1))
        return lookup[np.minimum(np.asarray(years, dtype=np.int64), top)]


@dataclass(frozen=True, eq=False)
class BenefitTables:
    """Every care type's benefit rules for one variant, as flat arrays over cells (read-only)."""

    scheme_id: str
    variant: str | None
    file_name: str
    care_types: tuple[str, ...]
    categories: tuple[str, ...]
    facilities: tuple[str, ...]
    covered: np.ndarray  # bool
    fixed: np.ndarray  # fen, NO_LIMIT = none (fund_amount)
    deductible: np.ndarray  # fen
    rates: np.ndarray  # (cells, 3) band rates
    uppers: np.ndarray  # (cells, 2) band uppers in fen above the deductible, NO_LIMIT = open
    bonus: np.ndarray  # bool
    per_claim: np.ndarray  # fen, NO_LIMIT = none
    annual: np.ndarray  # fen, NO_LIMIT = none
    per_year: np.ndarray  # per care: the deductible is once a year
    cost_basis: np.ndarray  # per care: the annual limit caps eligible cost
    household: np.ndarray  # per care: the annual limit is pooled in the household
    pool: np.ndarray  # per care: limit-pool number
    pool_names: tuple[str, ...]
    #: rule -> int8 status per cell (0 usable, 1 blank in the document); only rules with a blank
    #: (and ``covered``) are present
    status: Mapping[str, np.ndarray]
    #: (rule, cell) -> the blank
    blanks: Mapping[tuple[str, int], Blank]
    bonus_schedule: BonusSchedule | None = None
    bonus_blank: Blank | None = None
    selfpay_share: float | None = None
    selfpay_blank: Blank | None = None
    #: per cell: deductible / annual limit as a share / multiple of persons.average_wage (NaN: the
    #: amount applies); None when no cell is wage-linked
    wage_deductible: np.ndarray | None = None
    wage_limit: np.ndarray | None = None
    #: (cells, MAX_FACTORS) factors on the deductible of a person-year's 1st, 2nd ... claim; None: all 1
    deductible_factors: np.ndarray | None = None
    #: per cell: days of stay a person-year the fund pays for (STAY_NO_LIMIT: none); None when none
    stay_limit: np.ndarray | None = None
    #: per cell: the care is a benefit outside the county; None when it is everywhere
    out_of_county: np.ndarray | None = None
    #: per care: the unused annual limit carries to the next year
    carry: np.ndarray | None = None
    #: the flat personal account that pays claims: fen per category, what it pays, carry-forward
    account: np.ndarray | None = None
    account_pays: str | None = None
    account_carry: bool = False
    account_blanks: Mapping[int, Blank] | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.care_types), len(self.categories), max(len(self.facilities), 1)

    @property
    def has_bands(self) -> bool:
        return bool((self.uppers < NO_LIMIT).any())

    @property
    def any_per_claim(self) -> bool:
        return bool((self.per_claim < NO_LIMIT).any())

    @property
    def any_fixed(self) -> bool:
        return bool((self.fixed < NO_LIMIT).any())

    @property
    def annual_finite(self) -> np.ndarray:
        return self.annual < NO_LIMIT

    def cell(self, care: np.ndarray, category: np.ndarray, facility: np.ndarray) -> np.ndarray:
        """Flat cell index of each claim from its integer codes."""
        _, ncat, nfac = self.shape
        return (care.astype(np.int32) * ncat + category) * nfac + facility

    def describe(self, cell: int) -> dict[str, str]:
        ncare, ncat, nfac = self.shape
        c, rest = divmod(int(cell), ncat * nfac)
        k, f = divmod(rest, nfac)
        out = {"care": self.care_types[c], "category": self.categories[k]}
        if self.facilities:
            out["facility"] = self.facilities[f]
        return out


@dataclass(frozen=True, eq=False)
class ContributionTables:
    """Financing rules for one variant, per category (read-only)."""

    scheme_id: str
    file_name: str
    basis: str
    categories: tuple[str, ...]
    #: rule -> (kind per category: AMOUNT, RESIDUAL_KIND, SHARE_KIND, BLANK_KIND or ABSENT; number)
    components: Mapping[str, tuple[np.ndarray, np.ndarray]]
    blanks: Mapping[tuple[str, int], Blank]
    special_level: str | None = None
    special_level_blank: Blank | None = None
    basis_blank: Blank | None = None
    #: per category: age uppers (2, inclusive; NaN open) and shares (3) of the employer
    #: contribution credited by age (``personal_account_share_employer_by_age``)
    age_uppers: np.ndarray | None = None
    age_shares: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Compiled:
    """A scheme compiled for one variant: what the engine reads, nothing else (small to pickle)."""

    benefits: BenefitTables
    contributions: ContributionTables


def fmt_key(by: tuple[str, ...], key: tuple[str, ...]) -> str:
    return ", ".join(f"{d}={k}" for d, k in zip(by, key))


def cell_key(meta: SchemeMeta, p: Parameter, dims: Mapping[str, str | None]) -> tuple[str, ...] | None:
    """The table key of ``p`` for the given codes (a category fills in its attributes); None
    when a dimension ``p`` needs is not given."""
    key = []
    for d in p.by:
        code = dims.get(d)
        if code is None and d not in ("variant", "category", "facility", "care") and dims.get("category"):
            cat = meta.categories.get(dims["category"])
            code = cat.attributes.get(d) if cat is not None else None
        if code is None:
            return None
        key.append(code)
    return tuple(key)


def _blank(meta: SchemeMeta, variant, p: Parameter, key, leaf: Leaf, file_name: str) -> Blank:
    src = leaf.source or p.source
    blank = Blank(meta.id, variant, p.path, p.by, key, src.cite(), leaf.note or "", file_name)
    # One object per distinct blank: the cells sharing it pickle it once (a bounded memo).
    if len(_BLANKS) > 20_000:
        _BLANKS.clear()
    return _BLANKS.setdefault(blank, blank)


_BLANKS: dict[Blank, Blank] = {}


def compile_rules(meta: SchemeMeta, params: Mapping[str, Parameter], variant: str | None,
                  file_name: str, *, relaxed: bool = False) -> tuple[Compiled, list[str]]:
    """The compiled tables for ``variant`` and the problems found (empty if none).

    Bounds the document puts across cells (band rates within the rate's range, a cell above or
    below another, the subsidy floor of a category) are problems too, unless ``relaxed``
    (an override with ``allow_out_of_range=True``: a reform being explored)."""
    problems: list[str] = []
    benefits = _benefits(meta, params, variant, file_name, problems, relaxed)
    contributions = _contributions(meta, params, variant, file_name, problems, relaxed)
    if not relaxed:
        problems += _relations(meta, params, variant, file_name)
    return Compiled(benefits, contributions), list(dict.fromkeys(problems))


def _outside(where: str, path: str, cell: str, value, rule: str, src) -> str:
    return (f"{where}: {path}{('.' + cell) if cell else ''} = {value} is outside the document's {rule} "
            f"({src.cite()}); pass allow_out_of_range=True to explore it as a reform")


def _relations(meta, params, variant, file_name) -> list[str]:
    """A cell the document puts above (or below) another cell of the same parameter, e.g.
    Liaoning II(6): retirees' share of the employer contribution above active employees'."""
    problems = []
    where = _where(file_name, variant)
    for path, p in params.items():
        for key, leaf in p.cells.items():
            if not (leaf.above or leaf.below) or not leaf.usable or not key:
                continue
            if "variant" in p.by and key[p.by.index("variant")] != variant:
                continue
            for side in ("above", "below"):
                code = getattr(leaf, side)
                if code is None:
                    continue
                other = p.cells.get(key[:-1] + (code,))
                if other is None or not other.usable:
                    continue
                a, b = leaf.value, other.value
                if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
                    continue
                if (side == "above" and not a > b) or (side == "below" and not a < b):
                    src = leaf.source or p.source
                    cell = ".".join(k for k, d in zip(key, p.by) if d != "variant")
                    problems.append(_outside(where, path, cell, _fmt(a), f"rule: {side} the {code} cell ({_fmt(b)})", src))
    return problems


def _fmt(x) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


# --------------------------------------------------------------------------- benefits


def _where(file_name: str, variant: str | None) -> str:
    return file_name + (f" (variant {variant})" if variant else "")


def _benefits(meta, params, variant, file_name, problems, relaxed=False) -> BenefitTables:
    cares, cats, facs = list(meta.care), list(meta.categories), list(meta.facilities)
    nc, nk, nf = len(cares), len(cats), max(len(facs), 1)
    shape = (nc, nk, nf)
    covered = np.ones(shape, dtype=bool)
    fixed = np.full(shape, np.inf)
    ded = np.zeros(shape)
    rates = np.zeros(shape + (3,))
    uppers = np.full(shape + (2,), np.inf)
    bonus = np.zeros(shape, dtype=bool)
    per_claim = np.full(shape, np.inf)
    annual = np.full(shape, np.inf)
    wage_ded = np.full(shape, np.nan)
    wage_lim = np.full(shape, np.nan)
    factors = np.ones(shape + (MAX_FACTORS,))
    stay = np.full(shape, np.inf)
    ooc = np.ones(shape, dtype=bool)
    carry = np.zeros(nc, dtype=bool)
    status = {r: np.zeros(shape, dtype=np.int8) for r in _BENEFIT_ORDER + ("setting",)}
    blanks: dict[tuple[str, int], Blank] = {}
    per_year = np.zeros(nc, dtype=bool)
    cost_basis = np.zeros(nc, dtype=bool)
    household = np.zeros(nc, dtype=bool)
    pool = np.zeros(nc, dtype=np.int64)
    pool_names: list[str] = []
    where = _where(file_name, variant)

    def flat(c, k, f):
        return (c * nk + k) * nf + f

    def grid(path):
        """Leaf (or None) of each (category, facility) cell of a parameter, and its keys."""
        p = params[path]
        leaves = np.empty((nk, nf), dtype=object)
        keys = np.empty((nk, nf), dtype=object)
        for k, cat in enumerate(cats):
            for f in range(nf):
                key = cell_key(meta, p, {"variant": variant, "category": cat,
                                         "facility": facs[f] if facs else None})
                keys[k, f] = key
                leaves[k, f] = p.cells.get(key) if key is not None else None
        return p, leaves, keys

    def mark_blank(rule, c, k, f, p, key, leaf):
        status[rule][c, k, f] = 1
        blanks[(rule, flat(c, k, f))] = _blank(meta, variant, p, key, leaf, file_name)

    def missing(path, k, f):
        cell = f"category={cats[k]}" + (f", facility={facs[f]}" if facs else "")
        problems.append(
            f"{where}: {path} has no cell for {cell}; give a value, {{not_stated: true}} for a blank in the "
            f"document, or covered: false where the care is not a benefit"
        )

    any_bonus = False
    for c, care in enumerate(cares):
        base = f"benefits.{care}"
        present = {r for r in BENEFIT_RULES if f"{base}.{r}" in params}
        grids = {r: grid(f"{base}.{r}") for r in present if not BENEFIT_RULES[r].setting}
        if "covered" in grids:
            p, leaves, keys = grids["covered"]
            for k in range(nk):
                for f in range(nf):
                    leaf = leaves[k, f]
                    if leaf is None:
                        missing(p.path, k, f)
                    elif not leaf.usable:
                        mark_blank("covered", c, k, f, p, keys[k, f], leaf)
                    else:
                        covered[c, k, f] = bool(leaf.value)
        active = covered[c] | (status["covered"][c] == 1)

        def usable_grid(rule):
            """Values of a rule's usable cells (NaN elsewhere)."""
            out = np.full((nk, nf), np.nan)
            if rule in grids:
                for k in range(nk):
                    for f in range(nf):
                        leaf = grids[rule][1][k, f]
                        if leaf is not None and leaf.usable:
                            out[k, f] = float(leaf.value)
            return out

        def numeric(rule, out, limit, fallback=None, fallback_out=None):
            """Fill ``out`` from a rule's cells; where the amount is blank or absent, a usable
            ``fallback`` (a wage-linked share) stands in for it."""
            if rule not in grids and fallback is None:
                return
            p, leaves, keys = grids[rule] if rule in grids else (None, None, None)
            for k in range(nk):
                for f in range(nf):
                    leaf = leaves[k, f] if leaves is not None else None
                    if leaf is not None and leaf.usable:
                        v = float(leaf.value)
                        out[c, k, f] = v if (limit or math.isfinite(v)) else np.nan
                        continue
                    if fallback is not None and not np.isnan(fallback[k, f]):
                        fallback_out[c, k, f] = fallback[k, f]
                        continue
                    if p is None:
                        continue
                    if leaf is None:
                        if active[k, f]:
                            missing(p.path, k, f)
                        continue
                    if active[k, f]:
                        mark_blank(rule, c, k, f, p, keys[k, f], leaf)

        numeric("fund_amount", fixed, True)
        numeric("deductible", ded, False, usable_grid("deductible_share_of_average_wage"), wage_ded)
        numeric("per_claim_limit", per_claim, True)
        numeric("annual_limit", annual, True, usable_grid("annual_limit_multiple_of_average_wage"), wage_lim)
        numeric("annual_stay_limit_days", stay, True)
        for rule, amount in (("deductible_share_of_average_wage", "deductible"),
                             ("annual_limit_multiple_of_average_wage", "annual_limit")):
            # Without an amount rule, a blank share is the blank the claims need.
            if rule in grids and amount not in grids:
                p, leaves, keys = grids[rule]
                for k in range(nk):
                    for f in range(nf):
                        leaf = leaves[k, f]
                        if leaf is not None and not leaf.usable and active[k, f]:
                            mark_blank(amount, c, k, f, p, keys[k, f], leaf)
        for rule, out in (("deductible_repeat_factors", factors), ("covered_out_of_county", ooc)):
            if rule not in grids:
                continue
            p, leaves, keys = grids[rule]
            for k in range(nk):
                for f in range(nf):
                    leaf = leaves[k, f]
                    if leaf is None:
                        continue
                    if not leaf.usable:
                        if active[k, f]:
                            mark_blank(rule, c, k, f, p, keys[k, f], leaf)
                        continue
                    if rule == "covered_out_of_county":
                        out[c, k, f] = bool(leaf.value)
                    else:
                        vals = [float(x) for x in leaf.value][:MAX_FACTORS]
                        out[c, k, f, :len(vals)] = vals
                        out[c, k, f, len(vals):] = vals[-1]

        # The payment rule: bands where usable, else the rate, else a fixed amount paid in full.
        band_ok = np.zeros((nk, nf), dtype=bool)
        band_blank = [[None] * nf for _ in range(nk)]
        if "bands" in grids:
            p, leaves, keys = grids["bands"]
            for k in range(nk):
                for f in range(nf):
                    leaf = leaves[k, f]
                    if leaf is None:
                        continue
                    if not leaf.usable:
                        band_blank[k][f] = (p, keys[k, f], leaf)
                        continue
                    band_ok[k, f] = True
                    bands = leaf.value
                    rleaf = grids["rate"][1][k, f] if "rate" in grids else None
                    if not relaxed and rleaf is not None and (rleaf.lo is not None or rleaf.hi is not None):
                        # Band rates lie where the document puts the rate (Jilin (五)3: 30%-70%).
                        off = [r for _, r in bands if not rleaf.within(float(r))]
                        if off:
                            src = rleaf.source or grids["rate"][0].source
                            problems.append(_outside(where, p.path, ".".join(keys[k, f][1:] if "variant" in p.by else keys[k, f]),
                                                     _fmt(float(off[0])) + " (a band rate)",
                                                     f"{rleaf.permitted()} for the rate", src))
                    for b, (upper, rate) in enumerate(bands):
                        rates[c, k, f, b] = float(rate)
                        if b < len(bands) - 1:
                            uppers[c, k, f, b] = float(upper)
                    rates[c, k, f, len(bands):] = rates[c, k, f, len(bands) - 1]
        rate_leaves = grids["rate"] if "rate" in grids else None
        if not ({"rate", "bands", "fund_amount"} & set(grids)) and active.any():
            problems.append(f"{where}: {base}: a covered care type needs a rate, bands or a fund_amount "
                            "(or covered: false)")
            active = np.zeros_like(active)
        for k in range(nk):
            for f in range(nf):
                if band_ok[k, f] or not active[k, f]:
                    continue
                leaf = rate_leaves[1][k, f] if rate_leaves is not None else None
                if leaf is not None and leaf.usable:
                    rates[c, k, f, :] = float(leaf.value)
                elif leaf is not None:
                    mark_blank("rate", c, k, f, rate_leaves[0], rate_leaves[2][k, f], leaf)
                elif band_blank[k][f] is not None:
                    mark_blank("bands", c, k, f, *band_blank[k][f])
                elif "fund_amount" in grids:
                    rates[c, k, f, :] = 1.0
                elif rate_leaves is not None:
                    missing(rate_leaves[0].path, k, f)
                else:
                    missing(f"{base}.rate", k, f)

        if "enrolment_bonus" in grids:
            p, leaves, keys = grids["enrolment_bonus"]
            for k in range(nk):
                for f in range(nf):
                    leaf = leaves[k, f]
                    if leaf is None:
                        if active[k, f]:
                            missing(p.path, k, f)
                    elif not leaf.usable:
                        if active[k, f]:
                            mark_blank("enrolment_bonus", c, k, f, p, keys[k, f], leaf)
                    else:
                        bonus[c, k, f] = bool(leaf.value)
            any_bonus |= bool(bonus[c].any())

        # Settings: one value for the care type in this variant.
        def setting(rule):
            spec = BENEFIT_RULES[rule]
            path = f"{base}.{rule}"
            if path not in params:
                return spec.default if spec.default is not None else care, None
            p = params[path]
            values = {}
            for key, leaf in p.cells.items():
                if "variant" in p.by and key[p.by.index("variant")] != variant:
                    continue
                if not leaf.usable:
                    return None, _blank(meta, variant, p, key, leaf, file_name)
                values[str(leaf.value)] = leaf.value
            if len(values) != 1:
                problems.append(f"{where}: {path} must take one value per variant; found "
                                f"{allowed(sorted(values)) or 'none'}")
                return spec.default, None
            return next(iter(values.values())), None

        value, blank = setting("annual_limit_carry_forward")
        if blank is not None:
            for k, f in zip(*np.nonzero(active)):
                status["setting"][c, k, f] = 1
                blanks[("setting", flat(c, k, f))] = blank
        else:
            carry[c] = value is True
        for rule, target in (("deductible_frequency", per_year), ("annual_limit_basis", cost_basis),
                             ("annual_limit_scope", household)):
            value, blank = setting(rule)
            if blank is not None:
                # every covered cell of the care type needs the setting the document leaves blank
                for k, f in zip(*np.nonzero(active)):
                    status["setting"][c, k, f] = 1
                    blanks[("setting", flat(c, k, f))] = blank
                continue
            target[c] = value in ("per_year", "cost", "household")
        name, blank = setting("annual_limit_pool")
        name = care if blank is not None else str(name)
        if name not in pool_names:
            pool_names.append(name)
        pool[c] = pool_names.index(name)

    schedule, bonus_blank = (None, None)
    if any_bonus:
        schedule, bonus_blank = _bonus_schedule(meta, params, variant, file_name, where, problems)
    selfpay, selfpay_blank = None, None
    sp = params.get("parameters.special_exam_selfpay_share")
    if sp is not None:
        leaf = sp.cells.get(())
        if leaf is not None and leaf.usable:
            selfpay = float(leaf.value)
        elif leaf is not None:
            selfpay_blank = _blank(meta, variant, sp, (), leaf, file_name)

    account, account_pays, account_carry, account_blanks = _account(meta, params, variant, file_name, where, problems)

    def fen(a):
        a = np.where(np.isnan(a), np.inf, a)
        out = np.full(a.shape, NO_LIMIT, dtype=np.int64)
        fin = np.isfinite(a)
        out[fin] = to_fen(a[fin])
        return out

    def ro(a):
        a = np.ascontiguousarray(a)
        a.flags.writeable = False
        return a

    return BenefitTables(
        scheme_id=meta.id, variant=variant, file_name=file_name,
        care_types=tuple(cares), categories=tuple(cats), facilities=tuple(facs),
        covered=ro(covered.reshape(-1)), fixed=ro(fen(fixed).reshape(-1)),
        deductible=ro(fen(ded).reshape(-1)), rates=ro(rates.reshape(-1, 3)),
        uppers=ro(fen(uppers).reshape(-1, 2)), bonus=ro(bonus.reshape(-1)),
        per_claim=ro(fen(per_claim).reshape(-1)), annual=ro(fen(annual).reshape(-1)),
        per_year=ro(per_year), cost_basis=ro(cost_basis), household=ro(household), pool=ro(pool),
        pool_names=tuple(pool_names),
        # Only the rules with a blank keep a status array (small to pickle); "covered" always.
        status={r: ro(s.reshape(-1)) for r, s in status.items() if r == "covered" or s.any()}, blanks=dict(blanks),
        bonus_schedule=schedule, bonus_blank=bonus_blank,
        selfpay_share=selfpay, selfpay_blank=selfpay_blank,
        wage_deductible=ro(wage_ded.reshape(-1)) if not np.isnan(wage_ded).all() else None,
        wage_limit=ro(wage_lim.reshape(-1)) if not np.isnan(wage_lim).all() else None,
        deductible_factors=ro(factors.reshape(-1, MAX_FACTORS)) if (factors != 1).any() else None,
        stay_limit=(ro(np.where(np.isfinite(stay), np.floor(np.where(np.isfinite(stay), np.minimum(stay, 2**30), 0)),
                                STAY_NO_LIMIT).astype(np.int32).reshape(-1)) if np.isfinite(stay).any() else None),
        out_of_county=(ro(ooc.reshape(-1)) if (~ooc).any() or status["covered_out_of_county"].any() else None),
        carry=ro(carry),
        account=None if account is None else ro(account), account_pays=account_pays,
        account_carry=account_carry, account_blanks=account_blanks,
    )


def _account(meta, params, variant, file_name, where, problems):
    """The flat personal account that pays claims (Dazu Art. 14(四)1: 50 yuan held by the county
    centre for the insured's own share): contributions.personal_account per category, in fen,
    when parameters.personal_account_pays says what it pays."""
    p = params.get("parameters.personal_account_pays")
    leaf = p.cells.get(()) if p is not None else None
    if leaf is None:
        return None, None, False, None
    if not leaf.usable:
        problems.append(f"{where}: parameters.personal_account_pays is not stated; give what the account pays")
        return None, None, False, None
    carry_p = params.get("parameters.personal_account_carry_forward")
    carry_leaf = carry_p.cells.get(()) if carry_p is not None else None
    carry = bool(carry_leaf.value) if carry_leaf is not None and carry_leaf.usable else False
    pa = params.get("contributions.personal_account")
    cats = list(meta.categories)
    amount = np.zeros(len(cats), dtype=np.int64)
    blanks: dict[int, Blank] = {}
    if pa is None:
        problems.append(f"{where}: parameters.personal_account_pays needs contributions.personal_account "
                        "(the amount held per person)")
        return None, None, False, None
    for k, cat in enumerate(cats):
        key = cell_key(meta, pa, {"variant": variant, "category": cat})
        cell = pa.cells.get(key) if key is not None else None
        if cell is None:
            continue
        if not cell.usable:
            blanks[k] = _blank(meta, variant, pa, key, cell, file_name)
        elif isinstance(cell.value, (int, float)):
            amount[k] = int(to_fen(float(cell.value)))
    if not amount.any() and not blanks:
        return None, None, False, None
    return amount, str(leaf.value), carry, blanks


def _bonus_schedule(meta, params, variant, file_name, where, problems):
    values = {}
    for name in ("start_year", "every", "step", "cap", "mode"):
        path = f"parameters.enrolment_bonus.{name}"
        p = params.get(path)
        leaf = p.cells.get(()) if p is not None else None
        if leaf is None:
            if name == "mode":
                values[name] = "points"
                continue
            problems.append(f"{where}: {path}: missing; a care type has enrolment_bonus: true")
            return None, None
        if not leaf.usable:
            return None, _blank(meta, variant, p, (), leaf, file_name)
        values[name] = leaf.value
    if problems and any("enrolment_bonus" in x for x in problems):
        return None, None
    if not float(values["every"]) >= 1:
        problems.append(f"{where}: parameters.enrolment_bonus.every = {values['every']!r}: allowed: a number of years >= 1")
        return None, None
    return BonusSchedule(float(values["start_year"]), float(values["every"]), float(values["step"]),
                         float(values["cap"]), str(values["mode"])), None


# --------------------------------------------------------------------------- contributions


def _contributions(meta, params, variant, file_name, problems, relaxed=False) -> ContributionTables:
    cats = list(meta.categories)
    nk = len(cats)
    where = _where(file_name, variant)
    blanks: dict[tuple[str, int], Blank] = {}
    components: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def setting(rule):
        path = f"contributions.{rule}"
        p = params.get(path)
        if p is None:
            return CONTRIBUTION_RULES[rule].default, None
        for key, leaf in p.cells.items():
            if "variant" in p.by and key[p.by.index("variant")] != variant:
                continue
            if not leaf.usable:
                return None, _blank(meta, variant, p, key, leaf, file_name)
            return leaf.value, None
        return CONTRIBUTION_RULES[rule].default, None

    basis, basis_blank = setting("basis")
    special_level, special_blank = setting("subsidy_special_level")
    age_uppers = age_shares = None
    for rule, spec in CONTRIBUTION_RULES.items():
        if spec.setting:
            continue
        path = f"contributions.{rule}"
        kind = np.full(nk, ABSENT, dtype=np.int8)
        num = np.zeros(nk)
        p = params.get(path)
        if p is not None:
            for k, cat in enumerate(cats):
                key = cell_key(meta, p, {"variant": variant, "category": cat})
                leaf = p.cells.get(key) if key is not None else None
                if leaf is None:
                    continue
                if leaf.kind == NOT_STATED and not leaf.overridden:
                    kind[k] = BLANK_KIND
                    num[k] = np.nan
                    blanks[(rule, k)] = _blank(meta, variant, p, key, leaf, file_name)
                elif spec.domain == BANDS:
                    kind[k] = AMOUNT
                    if age_uppers is None:
                        age_uppers, age_shares = np.full((nk, 2), np.nan), np.zeros((nk, 3))
                    for b, (upper, share) in enumerate(leaf.value):
                        age_shares[k, b] = float(share)
                        if b < len(leaf.value) - 1:
                            age_uppers[k, b] = float(upper)
                    age_shares[k, len(leaf.value):] = age_shares[k, len(leaf.value) - 1]
                elif leaf.value == RESIDUAL or (leaf.kind == "residual" and not leaf.overridden):
                    kind[k] = RESIDUAL_KIND
                elif leaf.kind == SHARE_OF_TOTAL:
                    kind[k], num[k] = SHARE_KIND, float(leaf.value)
                else:
                    kind[k], num[k] = AMOUNT, float(leaf.value)
        kind.flags.writeable = False
        num.flags.writeable = False
        components[rule] = (kind, num)

    if basis == "flat":
        comps = ("individual", "employer", "subsidy_central", "subsidy_provincial", "subsidy_local")
        kinds = np.stack([components[c][0] for c in comps])
        two = (kinds == RESIDUAL_KIND).sum(axis=0) > 1
        for k in np.flatnonzero(two):
            names = [comps[j] for j in np.flatnonzero(kinds[:, k] == RESIDUAL_KIND)]
            problems.append(f"{where}: contributions: two residual components for category {cats[k]} "
                            f"({' and '.join(names)}); only one payer can cover the rest")
        std = components["standard"]
        pa = components["personal_account"]
        special = components["subsidy_special"]
        for k in range(nk):
            res = [j for j in range(len(comps)) if kinds[j, k] == RESIDUAL_KIND]
            if len(res) != 1 or std[0][k] in (BLANK_KIND,):
                continue
            known = [components[c] for j, c in enumerate(comps) if j != res[0]]
            if any(kk[k] == BLANK_KIND for kk, _ in known) or special[0][k] == BLANK_KIND:
                continue
            standard = std[1][k] if std[0][k] == AMOUNT else 0.0
            others = sum((n[k] * standard if kk[k] == SHARE_KIND else n[k] if kk[k] == AMOUNT else 0.0)
                         for kk, n in known)
            others += special[1][k] if special[0][k] == AMOUNT else 0.0
            rest = standard + (pa[1][k] if pa[0][k] == AMOUNT else 0.0) - others
            if rest < -1e-9:
                problems.append(f"{where}: the residual {comps[res[0]]} of category {cats[k]} would be "
                                f"{rest:.2f} (< 0): the other parts exceed the standard")
        if not relaxed:
            problems += _subsidy_floor(meta, params, variant, where, components, comps, cats)
    return ContributionTables(
        scheme_id=meta.id, file_name=file_name, basis=str(basis) if basis is not None else "flat", categories=tuple(cats), components=components,
        blanks=blanks, special_level=special_level, special_level_blank=special_blank, basis_blank=basis_blank,
        age_uppers=age_uppers, age_shares=age_shares,
    )


def _subsidy_floor(meta, params, variant, where, components, comps, cats) -> list[str]:
    """Categories whose subsidies must cover at least a share of the standard (Jilin (四)2(2)-(3):
    「按不低於繳費標準的80%給予補助」): the subsidies as resolved (amounts, shares, the residual,
    the special subsidy) against the floor. Categories with a blank part are not checked."""
    p = params.get("contributions.subsidy_ratio_floor")
    if p is None:
        return []
    problems = []
    std = components["standard"]
    pa = components["personal_account"]
    special = components["subsidy_special"]
    for k, cat in enumerate(cats):
        key = cell_key(meta, p, {"variant": variant, "category": cat})
        leaf = p.cells.get(key) if key is not None else None
        if leaf is None or not leaf.usable or std[0][k] != AMOUNT:
            continue
        standard = std[1][k]
        parts = {}
        for c in comps:
            kind, num = components[c]
            if kind[k] == BLANK_KIND:
                break
            parts[c] = (num[k] * standard if kind[k] == SHARE_KIND else num[k] if kind[k] == AMOUNT
                        else None if kind[k] == RESIDUAL_KIND else 0.0)
        else:
            if special[0][k] == BLANK_KIND:
                continue
            known = sum(v for v in parts.values() if v is not None) + (special[1][k] if special[0][k] == AMOUNT else 0.0)
            rest = standard + (pa[1][k] if pa[0][k] == AMOUNT else 0.0) - known
            parts = {c: (rest if v is None else v) for c, v in parts.items()}
            subsidy = sum(parts[c] for c in comps if c.startswith("subsidy_")) + (
                special[1][k] if special[0][k] == AMOUNT else 0.0)
            floor = float(leaf.value)
            if subsidy < floor * standard - 1e-6:
                src = leaf.source or p.source
                problems.append(
                    f"{where}: contributions.subsidy_* of category {cat} add up to {_fmt(round(subsidy, 2))} = "
                    f"{subsidy / standard:.0%} of the standard {_fmt(standard)}, below the document's floor of "
                    f"{_fmt(floor)} ({src.cite()}); pass allow_out_of_range=True to explore it as a reform")
    return problems
