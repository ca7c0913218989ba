"""healthcover.widgets without a browser: labels, number formats, charts, the page frame."""
from __future__ import annotations

import altair as alt
import ipywidgets as widgets
import pandas as pd
import pytest

import healthcover as hc
from healthcover.widgets import (
    LABELS,
    Page,
    VisitorError,
    SvgChart,
    chart_widget,
    fmt_money,
    fmt_number,
    fmt_pct,
    register,
    text,
)


@pytest.mark.parametrize(
    "x, zh, en",
    [
        (0, "0元", "CNY 0"),
        (850, "850元", "CNY 850"),
        (850.5, "850.5元", "CNY 850.5"),
        (13100, "1.31万元", "CNY 13,100"),
        (10000, "1万元", "CNY 10,000"),
        (9999.999, "1万元", "CNY 10,000"),
        (123456, "12.3万元", "CNY 123,500"),
        (2.5e8, "2.5亿元", "CNY 250 million"),
        (99_999_999.9, "1亿元", "CNY 100 million"),
        (1.305e7, "1,305万元", "CNY 13.1 million"),
        (5.718e10, "571.8亿元", "CNY 57.2 billion"),
        (4.0107e10, "401.1亿元", "CNY 40.1 billion"),
        (-13100, "-1.31万元", "-CNY 13,100"),
        (float("nan"), "—", "—"),
    ],
)
def test_fmt_money(x, zh, en):
    assert fmt_money(x, "zh") == zh
    assert fmt_money(x, "en") == en


def test_fmt_money_exact_keeps_every_fen():
    assert fmt_money(13100.5, "zh", exact=True) == "13,100.50元"
    assert fmt_money(13100.5, "en", exact=True) == "CNY 13,100.50"
    assert fmt_money(300, "zh", exact=True) == "300元"


def test_fmt_number_and_pct():
    """Policy precision through Babel's compact decimal formatting (issue 15: 1,305万人,
    571.8亿元, CNY 40.1 billion); tiny shares and -0 read as people expect."""
    from healthcover.widgets import fmt_count, fmt_points

    assert fmt_number(1.305e7, "zh") == "1,305万"
    assert fmt_number(1.305e7, "en") == "13.1 million"
    assert fmt_count(13_050_119.6, "zh", "persons_unit") == "1,305万人"
    assert fmt_count(2_000, "en", "households_unit") == "2,000 households"
    assert fmt_pct(0.125, "zh") == "12.5%"
    assert fmt_pct(-0.0, "en") == "0%" and fmt_pct(1e-7, "en") == "< 0.1%"
    assert fmt_points(0.0035, "zh") == "+0.35个百分点" and fmt_points(-0.0002, "en") == "−0.02 pp"


@pytest.mark.parametrize("x", [0.0, 0.004, 7.5, 850.5, 9_999.4, 12_345.678, 999_999.7, 3.3e7, 9.99e8, 1.2e11, 7e12])
def test_money_at_policy_precision_keeps_its_unit_and_few_figures(x):
    import re

    for lang in ("zh", "en"):
        s = fmt_money(x, lang)
        assert s.endswith("元") if lang == "zh" else s.startswith("CNY ")
        digits = re.sub(r"[^0-9]", "", s.split(".")[0] if "万" not in s and "亿" not in s and "ion" not in s else s)
        assert len(digits.lstrip("0")) <= 7, s  # never a long tail of false precision


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="lang must be one of zh, en; received 'fr'"):
        fmt_money(1, "fr")


def test_labels_have_both_languages():
    for key, entry in LABELS.items():
        assert entry.get("zh") and entry.get("en"), key


def test_text_and_register():
    assert text("fund_pays", "zh") == "基金支付"
    assert text({"zh": "甲", "en": "A"}, "en") == "A"
    assert text("no_such_key", "zh") == "no_such_key"
    with pytest.raises(ValueError, match="label 'half' lacks en"):
        register({"half": {"zh": "半"}})


def _chart(k: float) -> alt.Chart:
    df = pd.DataFrame({"facility": ["county", "township"], "fund_paid": [1000.0 * k, 13100.0 * k]})
    return alt.Chart(df).mark_bar().encode(x="facility:N", y="fund_paid:Q")


def test_svg_chart_updates_in_place():
    w = chart_widget(_chart(1))
    assert isinstance(w, SvgChart)
    assert "<svg" in w.value and "fund_paid: 13100" in w.value
    assert w.spec["mark"] == {"type": "bar"}
    w.update(_chart(3))
    assert "fund_paid: 39300" in w.value
    assert "fund_paid: 13100" not in w.value


def test_interactive_chart_is_offline():
    w = chart_widget(_chart(1), interactive=True)
    # The offline bundle carries vega itself: no import from a CDN.
    assert "esm.sh" not in w._esm and "cdn." not in w._esm
    before = w.spec
    w.update(_chart(2))
    assert w.spec != before


def test_page_shows_library_errors_as_text_and_hides_bugs():
    page = Page({"zh": "测", "en": "T"})
    blanked = []
    page.on_error(lambda: blanked.append(True))

    def library():
        raise hc.HealthcoverError("claims row 3: cost -5 is negative")

    def bug():
        raise KeyError("internal")

    page.safe(library)()
    # A visitor reads no code: the library's message goes to the server's log.
    assert "claims row 3" not in page.error_html.value
    assert "无法计算" in page.error_html.value and "请调整输入" in page.error_html.value
    page.safe(bug)()
    assert "internal" not in page.error_html.value
    assert "Traceback" not in page.error_html.value
    assert "意外错误" in page.error_html.value
    assert blanked == [True, True]
    page.language.value = "en"
    page.show_error(VisitorError("贫困线须为正数。", "The poverty line must be positive."))
    assert "The poverty line must be positive." in page.error_html.value
    assert page.safe(lambda: 42)() == 42
    assert page.error_html.value == "" and page.error_html.layout.display == "none"


def test_page_escapes_messages():
    page = Page("scheme")
    page.show_error(hc.HealthcoverError("<script>alert(1)</script>"))
    assert "<script>" not in page.error_html.value


def test_language_change_relabels_without_spurious_callbacks():
    page = Page({"zh": "测", "en": "T"}, sources=[{"zh": "文件", "en": "Document"}])
    dd = widgets.Dropdown()
    page.bind_options(dd, [("scheme", "a"), ("facility", "b")])
    slider = page.bind(widgets.IntSlider(), "cost")
    dd.value = "b"
    calls = []
    page.on_change([dd, slider], lambda: calls.append(dd.value))
    page.on_lang(lambda: calls.append("lang"))
    page.language.value = "en"
    assert dd.options == (("Scheme", "a"), ("Facility level", "b"))
    assert dd.value == "b"
    assert slider.description == "Medical cost (CNY)"
    assert "Document" in page.sources_html.value
    assert "<h2>T</h2>" in page.title_html.value
    assert calls == ["lang"]  # option resets while relabelling are not the visitor's
