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
        (2.5e8, "2.5亿元", "CNY 250,000,000"),
        (99_999_999.9, "1亿元", "CNY 99,999,999.9"),
        (1.305e7, "1,305万元", "CNY 13,050,000"),
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
    assert fmt_number(1.305e7, "zh") == "1,305万"
    assert fmt_number(1.305e7, "en") == "13,050,000"
    assert fmt_pct(0.125, "zh") == "12.5%"


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
    assert "claims row 3: cost -5 is negative" in page.error_html.value
    assert "无法计算 / Cannot compute" in page.error_html.value
    page.safe(bug)()
    assert "internal" not in page.error_html.value
    assert "Traceback" not in page.error_html.value
    assert "unexpected error" in page.error_html.value
    assert blanked == [True, True]
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
