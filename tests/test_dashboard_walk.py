"""The dashboards as a policymaker uses them, in chromium (issue 15): every scheme, variant and
language and every control, each asserting that the numbers or a chart changed (or that the
control is disabled, or says it binds for nobody); the layout at two screen sizes in both
languages; downloads of tables and charts; the scenario in the address bar and a shared link
that reopens it; the loading screen in the visitor's language; printing on A4.

One Voila server for the session (tests/conftest.py), with a small population; expected numbers
come from the library, formatted as the page formats them.
"""
from __future__ import annotations

import io
import time
import urllib.parse

import pytest

import healthcover as hc
from healthcover import funds, reforms
from healthcover.widgets import fmt_money

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {name: f"/voila/render/{name}.ipynb" for name in
         ("reform-explorer", "fund-solvency", "claim-calculator", "illness-poverty")}
SIZES = ((1366, 900), (1920, 1080))
# A short, cheap fingerprint of what a visitor sees: the result tables and the charts' drawing.
STATE_JS = """() => {
  const h = s => { let x = 0; for (let i = 0; i < s.length; i++) { x = (x * 31 + s.charCodeAt(i)) | 0; } return x; };
  const summary = [...document.querySelectorAll('.hc-summary, .hc-result')].map(e => e.innerText).join('|');
  const charts = [...document.querySelectorAll('.hc-chart svg')].map(s => h(s.innerHTML)).join(',');
  return summary + '#' + charts;
}"""


def _wait_text(page, selector: str, expected: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "([sel, txt]) => { const e = document.querySelector(sel); return e && e.innerText.includes(txt); }",
        arg=[selector, expected], timeout=timeout,
    )


def _open(web, url: str):
    page = web.page
    page.goto(url)
    page.wait_for_selector(".hc-page")
    page.wait_for_selector(".hc-chart svg", state="attached")
    page.wait_for_function("() => document.querySelector('.hc-summary') && document.querySelector('.hc-summary').innerText.trim()")
    return page


def _state(page) -> str:
    return page.evaluate(STATE_JS)


def _changed(page, before: str, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _state(page) != before:
            return True
        time.sleep(0.1)
    return False


def _move(page, cls: str) -> None:
    """Move a slider to the other end of its range with the keyboard."""
    handle = page.locator(f".{cls} [role=slider]").first
    now, top = float(handle.get_attribute("aria-valuenow")), float(handle.get_attribute("aria-valuemax"))
    handle.focus()
    handle.press("Home" if now >= top else "End")


def _settle(page) -> None:
    """Wait until a move's redraw is over (the page keeps no widget busy for long)."""
    last, still = _state(page), 0
    while still < 3:
        time.sleep(0.15)
        now = _state(page)
        still = still + 1 if now == last else 0
        last = now


# -- the reform explorer: every scheme, variant, language and control -----------------------------


def test_reform_explorer_walk(web, voila_url):
    n = reforms.default_households()
    runnable = reforms.reform_schemes().query("runnable")
    schemes = list(dict.fromkeys(runnable["scheme_id"]))
    page = _open(web, voila_url + PAGES["reform-explorer"])
    assert [o for o in page.locator(".hc-scheme select option").all_inner_texts()] and \
        page.locator(".hc-scheme select option").count() == len(schemes)
    walked = disabled = silent = 0
    for i, sid in enumerate(schemes):
        page.locator(".hc-scheme select").select_option(index=i)
        variants = [v for v in runnable.loc[runnable["scheme_id"] == sid, "variant"]]
        for j, variant in enumerate(variants):
            if variant is not None:
                page.locator(".hc-variant select").select_option(index=j)
            base = reforms.ReformModel(sid, variant, n_households=n).run({})
            for lang, button in (("en", "English"), ("zh", "中文")):
                page.get_by_role("button", name=button).click()
                _wait_text(page, ".hc-summary .hc-m-fund_total .hc-base", fmt_money(base.value("fund_total"), lang))
                page.wait_for_function("(l) => location.search.includes('lang=' + l)", arg=lang)
                assert page.locator(".hc-error").inner_text().strip() == "", (sid, variant, lang)
                text = page.inner_text(".hc-page")
                assert "benefits." not in text and ".yaml" not in text and "doc 0" not in text, (sid, lang)
            # every control, in one language: the results change, or it is fixed by the document,
            # or it says no household of the population reaches it
            cares = page.locator(".hc-care-select button")
            shown = cares.count() if cares.count() and cares.first.is_visible() else 0
            for k in range(max(shown, 1)):
                if shown:
                    cares.nth(k).click()
                    page.wait_for_timeout(200)
                classes = page.eval_on_selector_all(
                    ".hc-care-panel:not([style*='display: none']) .hc-param",
                    "els => els.filter(e => e.offsetParent !== null).map(e => [[...e.classList].find(c => c.startsWith('hc-p-')),"
                    " e.querySelector('.noUi-target').hasAttribute('disabled')])")
                for cls, off in classes:
                    if off:
                        disabled += 1
                        continue
                    _settle(page)
                    before = _state(page)
                    _move(page, cls)
                    if not _changed(page, before):
                        note = page.evaluate(
                            "c => document.querySelector('.' + c).closest('.widget-hbox').innerText", cls)
                        assert ("没有住户" in note or "No household" in note or "没有适用" in note
                                or "No claim" in note), (sid, variant, cls, note)
                        silent += 1
                    walked += 1
            page.locator(".hc-reset").click()
            _settle(page)
    assert walked > 40 and disabled > 10, (walked, disabled, silent)
    web.assert_clean()


# -- fund solvency: every fund, variant, language and control ------------------------------------------


def test_fund_solvency_walk(web, voila_url):
    available = funds.funds()
    page = _open(web, voila_url + PAGES["fund-solvency"])
    for i, (sid, fund) in enumerate(available.items()):
        page.locator(".hc-fund select").select_option(index=i)
        variants = hc.load_scheme(sid).variants or [None]
        for j, variant in enumerate(variants):
            if variant is not None:
                page.locator(".hc-variant select").select_option(index=j)
            r = funds.solvency(sid, variant)
            for lang, button in (("en", "English"), ("zh", "中文")):
                page.get_by_role("button", name=button).click()
                _wait_text(page, ".hc-summary .hc-m-income_for_claims", fmt_money(r.value("income_for_claims"), lang))
                _wait_text(page, ".hc-summary .hc-m-expected_payments", fmt_money(r.value("expected_payments"), lang))
                assert page.locator(".hc-error").inner_text().strip() == "", (sid, variant, lang)
    # every control on the first fund, each moved to an end and back (at the extremes together a
    # fund is in deficit every year, and the projection no longer moves)
    page.locator(".hc-fund select").select_option(index=0)
    _wait_text(page, ".hc-summary .hc-m-income_for_claims",
               fmt_money(funds.solvency(next(iter(available))).value("income_for_claims"), "zh"))
    for cls in ("hc-members", "hc-admissions-per-100", "hc-mean-cost", "hc-claims-inflation", "hc-subsidy-growth",
                "hc-individual-growth"):
        _settle(page)
        before = _state(page)
        handle = page.locator(f".{cls} [role=slider]").first
        start = handle.get_attribute("aria-valuenow")
        _move(page, cls)
        assert _changed(page, before), cls
        _settle(page)
        handle.focus()
        handle.press("Home")
        for _ in range(400):  # back to where it was, step by step
            if float(handle.get_attribute("aria-valuenow")) >= float(start) - 1e-9:
                break
            handle.press("ArrowRight")
    before = _state(page)
    page.locator(".hc-target select").select_option(index=0)
    assert _changed(page, before)
    web.assert_clean()


# -- claim calculator and illness-and-poverty: every scheme, variant, language and control ------------


def test_claim_calculator_walk(web, voila_url):
    from healthcover.widgets.claim_calculator import calculate, claim_schemes, default_episode, _scheme

    offered, _ = claim_schemes()
    page = _open(web, voila_url + PAGES["claim-calculator"])
    for i, sid in enumerate(offered):
        page.locator(".hc-scheme select").select_option(index=i)
        variants = hc.load_scheme(sid).variants or [None]
        for j, variant in enumerate(variants):
            if variant is not None:
                page.locator(".hc-variant select").select_option(index=j)
            s = _scheme(sid, variant)
            r = calculate(sid, variant, s.categories[0], [default_episode(s)])
            for lang, button in (("en", "English"), ("zh", "中文")):
                page.get_by_role("button", name=button).click()
                _wait_text(page, ".hc-fund", hc.widgets.fmt_money(r.fund_paid, lang, exact=True))
                assert page.locator(".hc-error").inner_text().strip() == "", (sid, variant, lang)
        before = _state(page)
        cost = page.locator(".hc-episode-1 .hc-cost input")
        cost.fill(str(default_episode(_scheme(sid, None)).cost * 3))
        cost.press("Enter")
        assert _changed(page, before), sid
    for cls in ("hc-category", "hc-care", "hc-facility"):
        box = page.locator(f".hc-episode-1 .{cls} select, .{cls} > select").first
        if box.is_visible() and box.locator("option").count() > 1:
            before = _state(page)
            # another option than the one shown (the default episode may already use the last)
            current = box.input_value()
            other = next(v for v in box.locator("option").evaluate_all("os => os.map(o => o.value)") if v != current)
            box.select_option(value=other)
            assert _changed(page, before), cls
    web.assert_clean()


def test_illness_poverty_walk(web, voila_url):
    page = _open(web, voila_url + PAGES["illness-poverty"])
    for lang, button in (("en", "English"), ("zh", "中文")):
        page.get_by_role("button", name=button).click()
        page.wait_for_function("(l) => location.search.includes('lang=' + l)", arg=lang)
        for cls in ("hc-illness-share", "hc-household-size"):
            _settle(page)
            before = _state(page)
            _move(page, cls)
            assert _changed(page, before), (lang, cls)
        before = _state(page)
        page.locator(".hc-level select").select_option(index=0 if lang == "en" else 2)
        assert _changed(page, before)
    web.assert_clean()


# -- layout: nothing overflows at two sizes in both languages ---------------------------------------------

OVERFLOW_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const canvas = document.createElement('canvas').getContext('2d');
  const name = e => (e.className && e.className.baseVal === undefined ? String(e.className).slice(0, 60) : e.tagName)
                    + ' «' + (e.innerText || e.value || '').slice(0, 40) + '»';
  const bad = [];
  for (const e of document.querySelectorAll('.hc-page *')) {
    if (e.closest('svg')) continue;
    const st = getComputedStyle(e);
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || st.visibility === 'hidden') continue;
    if (r.right > vw + 1) { bad.push('beyond the window: ' + name(e) + ' right=' + Math.round(r.right)); continue; }
    const clips = ['hidden', 'clip'].includes(st.overflowX) || st.textOverflow === 'ellipsis';
    if (clips && e.children.length === 0 && (e.textContent || '').trim() && e.scrollWidth > e.clientWidth + 1) {
      bad.push('text cut: ' + name(e) + ' ' + e.scrollWidth + '>' + e.clientWidth);
    }
    if (e.tagName === 'SELECT' && e.selectedIndex >= 0) {
      canvas.font = st.font;
      const w = canvas.measureText(e.options[e.selectedIndex].text).width;
      if (w > e.clientWidth - 24) bad.push('drop-down cut: ' + name(e) + ' ' + Math.round(w) + '>' + e.clientWidth);
    }
  }
  return bad;
}"""


@pytest.mark.parametrize("name", list(PAGES))
def test_layout_holds_in_both_languages_at_two_sizes(web, voila_url, name):
    page = web.page
    page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
    _open(web, voila_url + PAGES[name])
    for lang, button in (("zh", "中文"), ("en", "English")):
        page.get_by_role("button", name=button).click()
        page.wait_for_function("(l) => location.search.includes('lang=' + l)", arg=lang)
        _settle(page)
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(300)
            bad = page.evaluate(OVERFLOW_JS)
            web.screenshot(f"{lang}-{width}")
            assert not bad, f"{name} {lang} {width}x{height}:\n" + "\n".join(bad[:15])
    web.assert_clean()


# -- export, share, print, loading --------------------------------------------------------------------------


def test_tables_and_charts_download_offline(web, voila_url):
    page = _open(web, voila_url + PAGES["reform-explorer"])
    got = {}
    for panel, fmt in ((".hc-table-panel", "csv"), (".hc-table-panel", "xlsx"), (".hc-chart-panel", "png"),
                       (".hc-chart-panel", "svg")):
        with page.expect_download() as info:
            page.locator(f"{panel} .hc-download-{fmt}").first.click()
        d = info.value
        assert d.suggested_filename.endswith("." + fmt), d.suggested_filename
        got[fmt] = open(d.path(), "rb").read()
    csv = got["csv"].decode("utf-8-sig")
    assert "基金支出" in csv and "基准" in csv  # named in the page's language
    assert got["xlsx"][:2] == b"PK"
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(got["xlsx"])).active
    assert sheet.max_row > 8
    assert got["png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in got["svg"][:500]
    web.assert_clean()


def test_the_address_bar_holds_the_scenario_and_a_shared_link_reopens_it(web, voila_url, browser):
    page = _open(web, voila_url + PAGES["reform-explorer"] + "?lang=en&scheme=jilin-resident-2008&variant=county")
    assert "Reform explorer" in page.inner_text(".hc-title")
    page.locator(".hc-beyond input").check()
    page.wait_for_function("() => location.search.includes('beyond=1')")
    _settle(page)
    before = _state(page)
    _move(page, "hc-p-benefits-inpatient-deductible-adult-county")
    assert _changed(page, before)
    page.wait_for_function("() => location.search.includes('benefits.inpatient.deductible.adult.county=')")
    _settle(page)
    url = page.url
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query))
    assert query["scheme"] == "jilin-resident-2008" and query["variant"] == "county" and query["lang"] == "en"
    assert "benefits.inpatient.deductible.adult.county" in query
    reform = page.inner_text(".hc-summary .hc-m-fund_total .hc-new")
    other = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        shared = other.new_page()
        shared.goto(url)
        shared.wait_for_selector(".hc-summary table", state="attached")
        _wait_text(shared, ".hc-summary .hc-m-fund_total .hc-new", reform)
        assert "Reform explorer" in shared.inner_text(".hc-title")
        assert shared.locator(".hc-beyond input").is_checked()
    finally:
        other.close()
    web.assert_clean()


@pytest.mark.parametrize("lang, words", [("en", ("Opening", "Computing", "Still computing")),
                                         ("zh", ("正在打开", "正在计算", "仍在计算"))])
def test_the_loading_screen_speaks_the_visitors_language(web, voila_url, lang, words):
    page = web.page
    page.goto(voila_url + PAGES["illness-poverty"] + f"?lang={lang}", wait_until="commit")
    seen = ""
    deadline = time.monotonic() + 30
    while not seen and time.monotonic() < deadline:
        seen = page.evaluate("() => { const e = document.getElementById('loading_text'); return e ? e.textContent : ''; }")
        time.sleep(0.02)
    assert any(w in seen for w in words), seen
    assert "Executing" not in seen and "Running" not in seen
    page.wait_for_selector(".hc-page")


def test_the_page_prints_whole_on_a4(web, voila_url):
    page = _open(web, voila_url + PAGES["reform-explorer"])
    _settle(page)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 718, "height": 1000})  # A4 less 12 mm margins, at 96 dpi
    page.wait_for_timeout(300)
    bad = [b for b in page.evaluate(OVERFLOW_JS) if b.startswith("beyond")]
    assert not bad, "\n".join(bad[:10])
    assert not page.locator(".hc-toolbar").is_visible() and page.locator(".hc-summary table").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 2, pages  # the whole page, not one screen cut off
    web.screenshot("print")
