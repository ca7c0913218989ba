"""The dashboard framework in a real browser, offline: healthcover.widgets on a stand-in page.

tests/dashboards/framework-demo.ipynb draws one stand-in chart both ways (SVG rendered in
the kernel; altair.JupyterChart with its JavaScript bundled), a money total, a language
toggle and an error switch. Every request that is not to the local Voila is blocked.
"""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO = "/voila/render/framework-demo.ipynb"
BARS = '[aria-roledescription="bar"]'


def bar_labels(page, widget_class: str) -> list[str]:
    """The data of each bar, as vega writes it in the SVG's aria-labels."""
    return page.eval_on_selector_all(
        f".{widget_class} {BARS}", "els => els.map(e => e.getAttribute('aria-label'))"
    )


def wait_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected],
    )


def move_slider(page, widget_class: str, steps: int) -> None:
    handle = page.locator(f".{widget_class} [role=slider]").first
    handle.focus()
    for _ in range(steps):
        handle.press("ArrowRight")


def open_demo(web, demo_voila_url):
    page = web.page
    page.goto(demo_voila_url + DEMO)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(f".hc-svg {BARS}")
    page.wait_for_selector(f".hc-live {BARS}")
    return page


def test_charts_render_and_update_offline(web, demo_voila_url):
    page = open_demo(web, demo_voila_url)
    assert "框架演示" in page.inner_text(".hc-title")
    wait_text(page, ".hc-total", "1.66万元")
    svg_before = bar_labels(page, "hc-svg")
    live_before = bar_labels(page, "hc-live")
    assert any(lab.endswith(": 13100") for lab in svg_before), svg_before
    assert any(lab.endswith(": 13100") for lab in live_before), live_before
    web.screenshot("before")

    move_slider(page, "hc-k", 2)  # k: 1 -> 3
    wait_text(page, ".hc-total", "4.98万元")
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].some(e => e.getAttribute('aria-label').endsWith(': 39300'))",
        arg=f".hc-live {BARS}",
    )
    svg_after = bar_labels(page, "hc-svg")
    assert svg_after != svg_before
    assert any(lab.endswith(": 39300") for lab in svg_after), svg_after
    web.screenshot("after")
    web.assert_clean()


def test_language_toggle_relabels_everything(web, demo_voila_url):
    page = open_demo(web, demo_voila_url)
    wait_text(page, ".hc-total", "1.66万元")
    page.get_by_role("button", name="English").click()
    wait_text(page, ".hc-title", "Framework demo")
    wait_text(page, ".hc-total", "CNY 16,600")
    wait_text(page, ".hc-page", "Multiplier")
    page.wait_for_function(
        "() => document.querySelector('.hc-svg svg').innerHTML.includes('Fund pays (CNY)')"
    )
    assert "Source" in page.inner_text(".hc-sources-panel")
    web.screenshot("english")
    web.assert_clean()


def test_errors_show_a_message_never_a_traceback(web, demo_voila_url):
    page = open_demo(web, demo_voila_url)
    fail = page.locator(".hc-fail select")

    fail.select_option("library")
    # The library's message is for researchers (the server's log); a visitor reads no code.
    wait_text(page, ".hc-error", "无法按当前输入计算")
    assert "clinic" not in page.inner_text(".hc-error") and "无法计算" in page.inner_text(".hc-error")
    web.screenshot("library-error")

    fail.select_option("bug")
    wait_text(page, ".hc-error", "意外错误")
    body = page.inner_text("body")
    assert "secret internal detail" not in body
    assert "Traceback" not in body and "RuntimeError" not in body

    fail.select_option("none")
    page.wait_for_function("() => !document.querySelector('.hc-error').innerText.trim()")
    # the area is hidden before it is emptied (two widget messages), so hidden by now
    assert not page.locator(".hc-error").is_visible()
    web.assert_clean()


def test_results_are_hidden_while_an_error_is_shown():
    import ipywidgets as widgets

    from healthcover.errors import HealthcoverError
    from healthcover.widgets import Page

    page = Page({"zh": "标题", "en": "Title"})
    chart = widgets.HTML("<svg></svg>")
    page.hide_on_error(chart)
    boom = page.safe(lambda: (_ for _ in ()).throw(HealthcoverError("bad input")))
    boom()
    assert chart.layout.display == "none" and "无法计算" in page.error_html.value
    page.safe(lambda: None)()
    assert chart.layout.display is None and page.error_html.value == ""


def test_a_blank_in_the_document_reads_without_code():
    import healthcover as hc
    from healthcover.widgets.page import not_stated_html

    with pytest.raises(hc.NotStatedError) as info:
        hc.load_scheme("xiangzhou-resident").value("benefits.inpatient.rate")
    err = info.value
    assert (err.scheme_id, err.path) == ("xiangzhou-resident", "benefits.inpatient.rate")
    assert "load_scheme(" in str(err)  # a researcher's message says how to supply the value
    zh, en = not_stated_html(err, "zh"), not_stated_html(err, "en")
    # the citation in the page's language: the document's name and article, no raw codes or paths
    assert "报销比例" in zh and "《香洲区" in zh and "三(二)" in zh and "load_scheme" not in zh
    assert "benefits.inpatient.rate" not in zh + en and "doc 003" not in zh + en and "(L" not in zh + en
    assert "reimbursement rate" in en and "does not assume a value" in en and "load_scheme" not in en


def test_the_offline_bundle_is_built_once_and_reused(tmp_path, monkeypatch):
    """The JupyterChart bundle (about 0.9 MB, a second of vl-convert per kernel) is kept in a
    cache file; a kernel that finds it uses exactly what enable_offline would have built."""
    import altair as alt

    from healthcover.widgets import charts

    monkeypatch.setenv("HEALTHCOVER_CACHE", str(tmp_path))
    original = alt.JupyterChart._esm
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", original)
    charts._enable_offline()  # builds the bundle and writes the file
    built = alt.JupyterChart._esm
    assert alt.JupyterChart._is_offline and "cdn.jsdelivr" not in built[:2000]
    files = list(tmp_path.iterdir())
    assert [f.suffix for f in files] == [".js"]
    monkeypatch.setattr(alt.JupyterChart, "_is_offline", False)
    monkeypatch.setattr(alt.JupyterChart, "_esm", original)
    charts._enable_offline()  # another kernel: reads the file
    assert alt.JupyterChart._is_offline and alt.JupyterChart._esm == built
    chart = charts.InteractiveChart(alt.Chart().mark_point())
    assert chart._esm == built
