"""Illness and poverty: the estimate and its uncertainty against healthcover.poverty, the charts'
data, the widget without a browser, and the dashboard in a real browser."""
from __future__ import annotations

import html

import pytest

from healthcover import poverty as pv
from healthcover.widgets import chart_svg
from healthcover.widgets import poverty_dashboard as pd_

BARS = '[aria-roledescription="bar"]'
PAGE = "/voila/render/illness-poverty.ipynb"


def test_the_documents_estimate_and_its_steps():
    r = pd_.estimate()
    assert r.estimate == pytest.approx(1305.01196e4)
    assert r.document == pytest.approx(1305.01196e4)
    assert list(r.steps["value"]) == pytest.approx([932.1514, 326.25299, 1305.01196])
    # The tornado is the library's, around the document's inputs.
    assert r.tornado.equals(pv.tornado())
    assert r.interval["lower"] < r.estimate < r.interval["upper"]
    assert r.histogram["share"].sum() == pytest.approx(1.0)


def test_sliders_keep_to_the_texts_ranges():
    lo, hi, _ = pd_.SLIDERS["illness_share"]
    assert (lo, hi) == (0.207, 0.493)
    lo, hi, _ = pd_.SLIDERS["household_size"]
    assert (lo, hi) == (4, 4.2)  # the author's 4 and the higher of the cited 4.11 and 4.20


def test_assumptions_move_the_estimate_tornado_and_interval():
    r = pd_.estimate(illness_share=0.30, household_size=4.11, level=0.9)
    assert r.estimate == pytest.approx(pv.illness_induced_poor(illness_share=0.30, household_size=4.11) * 1e4)
    assert r.tornado.equals(pv.tornado(base={"illness_share": 0.30, "household_size": 4.11}))
    draws = pv.monte_carlo_draws(pd_.MC_DRAWS, pd_.MC_SEED, illness_share=(0.207, 0.30, 0.493))["estimate"]
    assert r.interval["lower"] == pytest.approx(draws.quantile(0.05) * 1e4, rel=1e-9)
    assert r.interval["upper"] == pytest.approx(draws.quantile(0.95) * 1e4, rel=1e-9)
    wider = pd_.estimate(illness_share=0.30, household_size=4.11, level=0.99)
    assert wider.interval["upper"] - wider.interval["lower"] > r.interval["upper"] - r.interval["lower"]


def test_charts_carry_units_and_numbers():
    r = pd_.estimate()
    zh = pd_.tornado_chart(r, "zh").to_dict()
    assert zh["layer"][0]["encoding"]["x"]["title"] == "因病致贫人口（万人）"
    en = pd_.tornado_chart(r, "en").to_dict()
    assert en["layer"][0]["encoding"]["x"]["title"] == "Persons (million)"
    mc = pd_.monte_carlo_chart(r, "en").to_dict()
    assert mc["layer"][0]["encoding"]["y"]["title"] == "Share of draws (%)"
    svg = chart_svg(pd_.tornado_chart(r, "en"), "en")
    assert "Share of poor households impoverished by illness" in svg
    assert "Persons" in svg


def test_widget_updates_and_relabels():
    page = pd_.illness_poverty("zh")
    d = page.dashboard
    assert "1,305万人" in d.summary.value  # policy precision, not 1,305.01万
    d.sliders["illness_share"].value = 0.493
    want = pv.illness_induced_poor(illness_share=0.493) * 1e4
    assert d.result.estimate == pytest.approx(want)
    assert "1,838万人" in d.summary.value
    assert "illness_share=0.493" in page.bridge.query  # the scenario in the address bar
    page.language.value = "en"
    assert "18.4 million persons" in d.summary.value
    assert "fixed: the text gives no range" in html.unescape(d.fixed.value)
    assert "Caveat:" in d.caveats.value and "C-05" not in d.caveats.value
    assert page.error_html.value == ""
    sources = page.sources_html.value
    assert "healthcover" not in sources and "(L27)" not in sources and "doc 003" not in sources


def test_a_shared_link_reopens_the_scenario():
    page = pd_.illness_poverty("zh", state={"lang": "en", "illness_share": "0.3", "household_size": "4.11",
                                            "level": "0.99"})
    d = page.dashboard
    assert page.lang == "en" and d.sliders["illness_share"].value == pytest.approx(0.3)
    assert d.result.interval["level"] == 0.99
    again = pd_.illness_poverty("zh", state=dict(__import__("urllib.parse").parse.parse_qsl(page.bridge.query)))
    assert again.dashboard.result.estimate == pytest.approx(d.result.estimate)


# -- in the browser -----------------------------------------------------------------------


def _wait_text(page, selector: str, expected: str) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected],
    )


def _labels(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(f"{selector} {BARS}", "els => els.map(e => e.getAttribute('aria-label'))")


@pytest.mark.browser
@pytest.mark.slow
def test_illness_poverty_in_the_browser(web, voila_url):
    page = web.page
    page.goto(voila_url + PAGE)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(f".hc-tornado-chart {BARS}")
    assert "因病致贫人口估算" in page.inner_text(".hc-title")
    _wait_text(page, ".hc-summary .hc-estimate", "1,305万人")
    assert "Traceback" not in page.inner_text("body")
    tornado_before = _labels(page, ".hc-tornado-chart")
    mc_before = page.inner_html(".hc-mc-chart svg")
    web.screenshot("initial")

    # The illness share to the top of the text's range (49.3%) with the keyboard.
    handle = page.locator(".hc-illness-share [role=slider]").first
    handle.focus()
    handle.press("End")
    r = pd_.estimate(illness_share=0.493)
    _wait_text(page, ".hc-summary .hc-estimate", "1,838万人")
    _wait_text(page, ".hc-summary .hc-interval", pd_._persons(r.interval["lower"], "zh"))
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerHTML !== before",
        arg=[".hc-mc-chart svg", mc_before],
    )
    tornado_after = _labels(page, ".hc-tornado-chart")
    assert tornado_after != tornado_before
    # The household-size bar now spans the estimates at 4.11 and 4.20 persons with a 49.3% share.
    t = r.tornado.set_index("parameter").loc["household_size"]
    assert any(f"{t['estimate_low']:,.0f}" in lab and f"{t['estimate_high']:,.0f}" in lab for lab in tornado_after), \
        tornado_after  # in 万 (vega's aria-labels)
    web.screenshot("share-49")

    # A wider interval.
    page.locator(".hc-level select").select_option(label="99%")
    wide = pd_.estimate(illness_share=0.493, level=0.99)
    _wait_text(page, ".hc-summary .hc-interval", pd_._persons(wide.interval["upper"], "zh"))

    page.get_by_role("button", name="English").click()
    _wait_text(page, ".hc-summary .hc-estimate", "18.4 million persons")
    page.wait_for_function("() => document.querySelector('.hc-tornado-chart svg').innerHTML.includes('Persons')")
    page.wait_for_function("() => document.querySelector('.hc-mc-chart svg').innerHTML.includes('Share of draws (%)')")
    web.screenshot("english")
    web.assert_clean()
