"""Bilingual labels (Chinese first, English second) and numbers formatted for people.

Dashboards show every label in the visitor's language, chosen with :func:`language_toggle`.
Labels live in one table, :data:`LABELS`, keyed by a short English code; a dashboard adds
its own with :func:`register`. A label can also be given inline as ``{"zh": ..., "en": ...}``.

Money follows each language's habit: Chinese groups by 万 (10^4) and 亿 (10^8)
(``1.31万元``, ``2.5亿元``); English uses thousands separators (``CNY 13,100``).
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


def _trim(s: str) -> str:
    """``"1.50"`` -> ``"1.5"``, ``"2.00"`` -> ``"2"``: fewer digits for people."""
    return s.rstrip("0").rstrip(".") if "." in s else s


def fmt_number(x: float, lang: str, digits: int = 2) -> str:
    """A count or amount without unit: ``1305万`` / ``2.5亿`` in Chinese, ``13,050,000`` in English.

    Chinese switches to 万 from 10,000 and to 亿 from 100,000,000, keeping ``digits``
    decimals (trailing zeros dropped); below 10,000 and in English it uses thousands
    separators with up to ``digits`` decimals. NaN and None give ``—``.
    """
    check_lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    x = float(x)
    sign = "-" if x < 0 else ""
    a = abs(x)
    # Pick the unit on the rounded value, so 99,999,999.9 reads 1亿, not 10,000万.
    if lang == "zh" and round(a / 1e4, digits) >= 1e4:
        body = _trim(f"{a / 1e8:,.{digits}f}") + "亿"
    elif lang == "zh" and round(a, digits) >= 1e4:
        body = _trim(f"{a / 1e4:,.{digits}f}") + "万"
    else:
        body = _trim(f"{a:,.{digits}f}")
    return sign + body if body != "0" else "0"


def fmt_money(x: float, lang: str, digits: int = 2, exact: bool = False) -> str:
    """Money in yuan for people: ``1.31万元``, ``2.5亿元``, ``850元``; ``CNY 13,100``.

    ``exact=True`` keeps every fen with thousands separators in both languages
    (``13,100.50元``, ``CNY 13,100.50``), for a claim where the fen matters.

    >>> fmt_money(13100, "zh"), fmt_money(2.5e8, "zh"), fmt_money(13100, "en")
    ('1.31万元', '2.5亿元', 'CNY 13,100')
    """
    check_lang(lang)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if exact:
        x = float(x)
        body = f"{abs(x):,.2f}"
        body = body.removesuffix(".00")
        sign = "-" if x < 0 and body != "0" else ""
        return f"{sign}{body}元" if lang == "zh" else f"{sign}CNY {body}"
    body = fmt_number(x, lang, digits)
    if lang == "zh":
        return body + "元"
    sign, body = ("-", body[1:]) if body.startswith("-") else ("", body)
    return f"{sign}CNY {body}"


def fmt_pct(share: float, lang: str, digits: int = 1) -> str:
    """A share as a percentage: ``0.125`` -> ``12.5%`` (the same in both languages)."""
    check_lang(lang)
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return _trim(f"{100 * float(share):.{digits}f}") + "%"
