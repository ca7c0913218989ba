"""Bilingual labels (Chinese first, English second) and numbers formatted for people.

Dashboards show every label in the visitor's language, chosen with :func:`language_toggle`.
Labels live in one table, :data:`LABELS`, keyed by a short English code; a dashboard adds
its own with :func:`register`. A label can also be given inline as ``{"zh": ..., "en": ...}``.

Numbers are shown at policy precision through Babel's compact decimal formatting: Chinese
groups by 万 (10^4) and 亿 (10^8) (``1,305万人``, ``571.8亿元``); English writes thousands in
full and millions and billions in words (``CNY 13,100``, ``CNY 40.1 billion``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import ipywidgets as widgets

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

Label = str | Mapping[str, str]

#: key -> {"zh": ..., "en": ...}. Shared by every dashboard; dashboards add their own keys.
LABELS: dict[str, dict[str, str]] = {
    "language": {"zh": "语言", "en": "Language"},
    "source": {"zh": "来源", "en": "Source"},
    "sources": {"zh": "来源与依据", "en": "Sources"},
    "error": {"zh": "错误", "en": "Error"},
    "cannot_compute": {"zh": "无法计算", "en": "Cannot compute"},
    "unexpected_error": {
        "zh": "出现意外错误，未能完成计算。请调整输入后重试；如问题持续，请联系维护者。",
        "en": "An unexpected error stopped the calculation. Adjust the inputs and try again; "
        "if it persists, tell the maintainers.",
    },
    "loading": {"zh": "计算中……", "en": "Computing…"},
    "yuan": {"zh": "元", "en": "CNY"},
    "scheme": {"zh": "制度", "en": "Scheme"},
    "variant": {"zh": "档次/地区", "en": "Variant"},
    "category": {"zh": "人员类别", "en": "Person category"},
    "facility": {"zh": "医疗机构级别", "en": "Facility level"},
    "care": {"zh": "就医类型", "en": "Type of care"},
    "cost": {"zh": "医疗费用（元）", "en": "Medical cost (CNY)"},
    "fund_pays": {"zh": "基金支付", "en": "Fund pays"},
    "you_pay": {"zh": "个人负担", "en": "You pay"},
    "total_cost": {"zh": "总费用", "en": "Total cost"},
    "amount_cny": {"zh": "金额（元）", "en": "Amount (CNY)"},
}


def register(labels: Mapping[str, Mapping[str, str]]) -> None:
    """Add or replace labels; each needs both ``zh`` and ``en``.

    >>> register({"episode": {"zh": "就诊", "en": "Episode"}})
    """
    for key, entry in labels.items():
        missing = [lang for lang in LANGS if not entry.get(lang)]
        if missing:
            raise ValueError(
                f"label {key!r} lacks {', '.join(missing)}; every label needs zh and en"
            )
        LABELS[key] = {lang: entry[lang] for lang in LANGS}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}; received {lang!r}")
    return lang


def text(label: Label, lang: str) -> str:
    """The label in ``lang``: a key of :data:`LABELS` or an inline ``{"zh", "en"}`` mapping.

    An unknown key is returned as it is, so a missing translation shows a code, never fails.
    """
    check_lang(lang)
    if isinstance(label, Mapping):
        return label.get(lang) or label.get("en") or label.get("zh") or ""
    entry = LABELS.get(label)
    return entry[lang] if entry else str(label)


def both(label: Label, sep: str = " / ") -> str:
    """Chinese and English together, for places shown before a language is chosen."""
    return f"{text(label, 'zh')}{sep}{text(label, 'en')}"


def language_toggle(value: str = DEFAULT_LANG) -> widgets.ToggleButtons:
    """The language switch: 中文 (default) or English; ``.value`` is ``"zh"`` or ``"en"``."""
    return widgets.ToggleButtons(
        options=[("中文", "zh"), ("English", "en")],
        value=check_lang(value),
        tooltips=["中文", "English"],
        style={"button_width": "80px"},
        layout=widgets.Layout(width="auto"),
    )


def _blank(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _decimals(v: float) -> int:
    """Policy precision: three or four significant figures, never fewer than the integer part
    (1.31, 13.1, 571.8, 1,305)."""
    if v < 10:
        return 2
    if v < 1000:
        return 1
    return 0


def _group(s: str, lang: str) -> str:
    """Thousands separators on the leading whole number of a compact form: ``1305万`` ->
    ``1,305万`` (Babel's Chinese compact pattern ``0000万`` writes none)."""
    from babel.numbers import get_group_symbol

    i = 0
    while i < len(s) and s[i].isdigit():
        i += 1
    if i <= 3:
        return s
    head, sep = s[:i], get_group_symbol(_LOCALES[lang])
    groups = []
    while len(head) > 3:
        groups.insert(0, head[-3:])
        head = head[:-3]
    return sep.join([head, *groups]) + s[i:]


#: Babel locales of the two languages.
_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
#: Below these magnitudes numbers are written in full (13,100); above, compactly (1.31万, 13.1 million).
_COMPACT_FROM = {"zh": 1e4, "en": 1e6}


def _round(v: float, d: int) -> float:
    """Half away from zero (policy tables), not Python's half-to-even on binary floats."""
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))


def fmt_number(x: float, lang: str, digits: int | None = None) -> str:
    """A count or amount without unit, at policy precision, through Babel's compact decimal
    formatting: ``1,305万`` / ``571.8亿`` in Chinese, ``13.1 million`` / ``40.1 billion`` in
    English; smaller numbers in full with separators, to four significant figures
    (``13,100``, ``123,500``). ``digits`` caps the decimals. NaN and None give ``—``.
    """
    from babel.numbers import format_compact_decimal, format_decimal

    check_lang(lang)
    if _blank(x):
        return "—"
    x = float(x)
    a = abs(x)
    sign = "-" if x < 0 else ""
    loc = _LOCALES[lang]

    def places(v: float) -> int:
        return _decimals(v) if digits is None else min(digits, _decimals(v))

    full = _round(a, places(a))
    if full >= 10_000:  # four significant figures: 123,456 -> 123,500
        k = 10 ** (len(str(int(full))) - 4)
        full = _round(full / k, 0) * k
    if full < _COMPACT_FROM[lang]:
        d = places(a)
        body = format_decimal(full, format="#,##0" + ("." + "#" * d if d else ""), locale=loc)
    else:
        # The unit is chosen on the rounded value, so 99,999,999.9 reads 1亿, not 10,000万.
        units = (1e4, 1e8, 1e12) if lang == "zh" else (1e6, 1e9, 1e12)
        unit = units[0]
        for u in units:
            if _round(a / u, places(a / u)) >= 1:
                unit = u
        d = places(a / unit)
        body = format_compact_decimal(_round(a / unit, d) * unit, format_type="short" if lang == "zh" else "long",
                                      locale=loc, fraction_digits=d)
        body = _group(body, lang)
    if body in ("0", "0.0"):
        return "0"
    return sign + body


def fmt_money(x: float, lang: str, digits: int | None = None, exact: bool = False) -> str:
    """Money in yuan for people, at policy precision: ``1.31万元``, ``571.8亿元``, ``850元``;
    ``CNY 13,100``, ``CNY 40.1 billion``.

    ``exact=True`` keeps every fen with thousands separators in both languages
    (``13,100.50元``, ``CNY 13,100.50``), for a claim where the fen matters.

    >>> fmt_money(13100, "zh"), fmt_money(5.718e10, "zh"), fmt_money(4.0107e10, "en")
    ('1.31万元', '571.8亿元', 'CNY 40.1 billion')
    """
    from babel.numbers import format_decimal

    check_lang(lang)
    if _blank(x):
        return "—"
    x = float(x)
    if exact:
        body = format_decimal(abs(x), format="#,##0.00", locale=_LOCALES[lang]).removesuffix(".00")
        sign = "-" if x < 0 and body != "0" else ""
        return f"{sign}{body}元" if lang == "zh" else f"{sign}CNY {body}"
    body = fmt_number(x, lang, digits)
    if lang == "zh":
        return body + "元"
    sign, body = ("-", body[1:]) if body.startswith("-") else ("", body)
    return f"{sign}CNY {body}"


def fmt_count(x: float, lang: str, unit: Label | None = None) -> str:
    """A count of people or households: ``1,305万人``, ``13.1 million persons``; whole numbers
    below the compact range (``2,000户``)."""
    check_lang(lang)
    if _blank(x):
        return "—"
    body = fmt_number(round(float(x)) if abs(float(x)) < _COMPACT_FROM[lang] else float(x), lang)
    if unit is None:
        return body
    u = text(unit, lang)
    return f"{body}{u}" if lang == "zh" else f"{body} {u}"


def fmt_pct(share: float, lang: str, digits: int = 1) -> str:
    """A share as a percentage: ``0.125`` -> ``12.5%`` (the same in both languages); a positive
    share too small to show at this precision reads ``< 0.1%``."""
    check_lang(lang)
    if _blank(share):
        return "—"
    v = 100 * float(share)
    if abs(v) < 1e-9:  # -0.0 and rounding noise of a zero probability
        v = 0.0
    if 0 < abs(v) < 0.5 * 10 ** -digits:
        return ("< " if v > 0 else "> -") + f"{10 ** -digits:.{digits}f}%"
    s = f"{v:.{digits}f}"
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return ("0" if s in ("-0", "") else s) + "%"


def fmt_points(change: float, lang: str, digits: int = 2) -> str:
    """A change of a share in percentage points, signed: ``+0.35个百分点`` / ``+0.35 pp``."""
    check_lang(lang)
    if _blank(change):
        return "—"
    pts = 100.0 * float(change)
    s = f"{abs(pts):.{digits}f}".rstrip("0").rstrip(".")
    if s in ("0", ""):
        return "±0" + ("个百分点" if lang == "zh" else " pp")
    sign = "+" if pts > 0 else "−"
    return f"{sign}{s}" + ("个百分点" if lang == "zh" else " pp")
