"""``report.pdf``: headless chromium prints ``print.html`` on A4, every table fitted to the page.

Before printing, each output table is measured at the width of an A4 portrait page: a table
that cannot wrap to fit is scaled down a little, or, if it would have to shrink below
:data:`MIN_SCALE`, set on landscape pages (and scaled if it still does not fit); the
citations appendix is landscape throughout. After printing, the two dates chromium writes
into the PDF are set to the build's time, so with ``SOURCE_DATE_EPOCH`` two builds give the
same bytes.
"""
from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from healthcover.report.errors import ReportError

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "MIN_SCALE", "local_files_only", "pin_pdf", "print_pdf"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: The smallest scale a table is printed at on a portrait page before it moves to landscape.
MIN_SCALE = 0.8
_MM = 96 / 25.4  # CSS pixels per millimetre
#: Page content widths (A4 less 12 mm margins each side), in CSS pixels.
PORTRAIT_WIDTH = int((210 - 24) * _MM)
LANDSCAPE_WIDTH = int((297 - 24) * _MM)
LANDSCAPE_HEIGHT = int((210 - 26) * _MM)

# Runs in the page (print media, viewport one portrait page wide): fits each table, returns
# what it did. Tables inside an element already landscape (the citations appendix) are only
# scaled. Wrapping comes first (report.css lets cells wrap anywhere); scale and landscape are
# for tables whose narrowest layout is still too wide.
_FIT_TABLES = """([portrait, landscape, minScale, pageHeight]) => {
  const done = {scaled: 0, landscape: 0, too_wide: []};
  const tables = document.querySelectorAll(
      '.jp-OutputArea-output table, .hc-citations table, .hc-front table');
  for (const table of tables) {
    const box = table.closest('.jp-Cell, .hc-landscape-section, section') || table.parentElement;
    const inLandscape = !!table.closest('.hc-landscape-section');
    const room = inLandscape ? landscape : portrait;
    const width = table.scrollWidth;
    if (width <= room + 1) continue;
    let scale = room / width;
    const wrap = document.createElement('div');
    wrap.className = 'hc-fit';
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
    if (!inLandscape && scale < minScale) {
      box.classList.add('hc-landscape');
      done.landscape += 1;
      scale = Math.min(1, landscape / width);
    } else {
      done.scaled += 1;
    }
    if (scale < 1) wrap.style.zoom = scale.toFixed(3);
    if (scale < 0.45) done.too_wide.push((box.id || table.className || 'table') + ' at ' +
                                         Math.round(scale * 100) + '%');
  }
  // A landscape table takes the text that leads into it (the markdown cells just before),
  // and a short stretch of portrait content between two landscape cells goes landscape too:
  // otherwise each switch of orientation leaves a page with a few lines on it.
  const items = Array.from(document.querySelectorAll('.jp-Cell, .hc-print-break'));
  const visible = (c) => c.getBoundingClientRect().height > 0;
  for (let i = 0; i < items.length; i++) {
    if (!items[i].classList.contains('hc-landscape')) continue;
    for (let j = i - 1; j >= 0 && items[j].classList.contains('jp-MarkdownCell')
         && !items[j].classList.contains('hc-landscape'); j--) items[j].classList.add('hc-landscape');
  }
  let run = [], height = 0, afterLandscape = false;
  for (const c of items) {
    if (c.classList.contains('hc-print-break')) { run = []; height = 0; afterLandscape = false; continue; }
    if (c.classList.contains('hc-landscape')) {
      if (afterLandscape && run.length && height < 0.6 * pageHeight) {
        run.forEach((x) => x.classList.add('hc-landscape'));
      }
      run = []; height = 0; afterLandscape = true;
    } else if (visible(c)) {
      run.push(c); height += c.getBoundingClientRect().height;
    }
  }
  return done;
}"""


def local_files_only(page) -> list[str]:
    """Let a Playwright ``page`` load only local files (and data:, blob:, about:); every other
    request is aborted and its URL appended to the returned list."""
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    return blocked


def pin_pdf(data: bytes, when: _dt.datetime) -> bytes:
    """``data`` with its creation and modification dates set to ``when`` (same length, so
    the cross-reference offsets stay right)."""
    stamp = when.astimezone(_dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode()

    def fix(m: re.Match) -> bytes:
        old = m.group(2)
        new = stamp if len(stamp) == len(old) else stamp[: len(old)].ljust(len(old), b"0")
        return m.group(1) + new + b")"

    data = re.sub(rb"(/(?:CreationDate|ModDate)\s*\()(D:[^)]*)\)", fix, data)
    # Chromium names the tagged PDF's structure elements after DOM node numbers, which depend on
    # the order the page built its nodes in; renumber them by first appearance (same width, so
    # the cross-reference offsets stay right).
    names: dict[bytes, bytes] = {}

    def node(m: re.Match) -> bytes:
        digits = m.group(1)
        if digits not in names:
            names[digits] = str(len(names)).zfill(len(digits)).encode()
        return b"(node" + names[digits] + b")"

    return re.sub(rb"\(node(\d{8})\)", node, data)


def print_pdf(html_path: Path, pdf_path: Path, chromium: str, when: _dt.datetime) -> str:
    """Print ``html_path`` to ``pdf_path`` (Playwright, headless chromium); returns a status
    line. Raises :class:`ReportError` when the page asked for anything but local files."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": PORTRAIT_WIDTH, "height": 1000})
            # Nothing but the file itself may load: the PDF proves the page is self-contained.
            blocked = local_files_only(page)
            page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=300_000)
            page.emulate_media(media="print")
            fitted = page.evaluate(_FIT_TABLES, [PORTRAIT_WIDTH, LANDSCAPE_WIDTH, MIN_SCALE,
                                                 LANDSCAPE_HEIGHT])
            page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True,
                     outline=True, tagged=True, display_header_footer=True,
                     header_template="<span></span>",
                     footer_template=(
                         '<div style="font-size:8px;width:100%;text-align:center;color:#666">'
                         '<span class="pageNumber"></span> / <span class="totalPages"></span>'
                         "</div>"))
        finally:
            browser.close()
    if blocked:
        raise ReportError(f"print.html requested other hosts: {blocked[:5]}")
    data = pin_pdf(pdf_path.read_bytes(), when)
    pdf_path.write_bytes(data)
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    status = (f"{pages} pages, {len(data) / 1e6:.1f} MB, printed by headless chromium; "
              f"{fitted['scaled']} wide tables scaled to the page, {fitted['landscape']} set "
              "landscape")
    if fitted["too_wide"]:
        status += f"; printed below 45%: {', '.join(fitted['too_wide'][:5])}"
    return status
