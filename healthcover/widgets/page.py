"""The standard dashboard page: title, language toggle, error area, body, source panel.

A visitor never sees Python: callbacks registered through :meth:`Page.on_change` (or wrapped
with :meth:`Page.safe`) show a :class:`healthcover.HealthcoverError`'s message as text and
any other exception as a short bilingual notice, while the traceback goes to the server's
log (the kernel's real stderr), not to the page.

Typical use, in a notebook cell::

    page = Page({"zh": "报销计算器", "en": "Claim calculator"})
    cost = widgets.FloatText(value=10000)
    page.bind(cost, "cost")                      # relabelled when the language changes
    page.set_body(cost, result_html)
    page.on_change([cost], recompute)            # recompute() reads the controls
    page.on_lang(recompute)
    page.safe(recompute)()                       # first render, guarded too
    page
"""
from __future__ import annotations

import contextlib
import functools
import html
import logging
import sys
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from healthcover.errors import HealthcoverError, NotStatedError
from healthcover.schemes.model import BENEFIT_RULES
from healthcover.widgets.i18n import Label, language_toggle, register, text

__all__ = ["Bridge", "ChartPanel", "Page", "TablePanel", "VisitorError", "link_number", "log", "preheat_quietly", "query_string", "quiet_widget_errors"]

log = logging.getLogger("healthcover.widgets")
if not log.handlers:
    # sys.__stderr__ is the kernel process's own stderr (Voila's server log); sys.stderr in a
    # kernel would forward the traceback to the visitor's page.
    _handler = logging.StreamHandler(sys.__stderr__)
    _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False

def quiet_widget_errors(shell: Any = None) -> bool:
    """In a dashboard kernel, keep widget errors on the server.

    ipywidgets shows an exception raised while handling a message from the browser (a value
    that fails a widget's validation, sent by a stale or tampered page) with
    ``shell.showtraceback()``, which sends the full traceback, server paths included, to the
    visitor. Under Voila (its kernels carry ``VOILA_KERNEL_ID`` or ``VOILA_SERVER_URL``) the
    shell's ``showtraceback`` is replaced by one that writes the traceback to the server's log
    and sends the page nothing: the page keeps its last valid state. Returns whether it did.
    """
    import os

    if not (os.environ.get("VOILA_KERNEL_ID") or os.environ.get("VOILA_SERVER_URL")):
        return False
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - a kernel always has IPython
            return False
        shell = get_ipython()
    if shell is None or getattr(shell, "_healthcover_quiet", False):
        return shell is not None

    def showtraceback(*args, **kwargs):
        log.error("widget message failed in the kernel (not shown to the visitor)", exc_info=sys.exc_info())

    shell.showtraceback = showtraceback
    shell._healthcover_quiet = True
    return True


register({
    "print": {"zh": "打印", "en": "Print"},
    "copy_link": {"zh": "复制链接", "en": "Copy link"},
    "link_copied": {"zh": "链接已复制：打开它即可看到同一方案。", "en": "Link copied: it reopens this scenario."},
    "download": {"zh": "下载", "en": "Download"},
    "cannot_compute_inputs": {
        "zh": "无法按当前输入计算。请调整输入后重试。",
        "en": "These inputs cannot be computed. Adjust them and try again.",
    },
})

_CSS = """
<style>
.hc-page { max-width: 1180px; font-size: 14px; }
.hc-page * { box-sizing: border-box; }
.hc-page .widget-vbox > * { flex-shrink: 0; }
.hc-toolbar { gap: 6px; }
.hc-toolbar .widget-button, .hc-download .widget-button { width: auto; padding: 0 10px; }
.hc-download { gap: 4px; margin: 2px 0 8px 0; }
.hc-download .widget-button { height: 24px; font-size: 12px; }
.hc-term { border-bottom: 1px dotted #888; cursor: help; }
.hc-chart-svg svg { max-width: 100%; height: auto; }
.hc-page .widget-html-content { white-space: normal; overflow-wrap: break-word; }
.hc-page .widget-html, .hc-page .widget-html > .widget-html-content { height: auto; }
.hc-result th { vertical-align: bottom; }
.hc-page .widget-label, .hc-page .widget-inline-hbox .widget-label { white-space: normal; }
.hc-result { max-width: 100%; overflow-x: auto; }
.hc-result table { max-width: 100%; }
.hc-notice { font-size: 12px; color: #444; }
@media print {
  @page { size: A4; margin: 12mm; }
  html, body, #rendered_cells, #rendered_cells > div, .jp-Cell, .jp-OutputArea, .jp-OutputArea-child,
  .jp-OutputArea-output, .lm-Widget, .jupyter-widgets, .widget-container, .widget-box {
    overflow: visible !important; height: auto !important; max-height: none !important; }
  body { background: #fff !important; }
  #rendered_cells { padding: 0 !important; }
  #rendered_cells > div { padding: 0 !important; box-shadow: none !important; }
  .hc-page { max-width: 100% !important; width: 100% !important; font-size: 10.5pt; }
  .hc-toolbar, .hc-download, .hc-page .widget-toggle-buttons, .hc-page button { display: none !important; }
  .hc-chart, .hc-result table, .hc-summary table { break-inside: avoid; }
  .hc-chart-svg svg { max-width: 100% !important; height: auto !important; }
  .hc-page .widget-hbox { flex-wrap: wrap !important; }
  .hc-page .widget-slider, .hc-page .widget-dropdown, .hc-page .widget-text { max-width: 100% !important; }
  .hc-sources-panel .lm-Widget, .hc-sources-panel .jupyter-widget-Collapse-contents,
  .hc-sources-panel .p-Collapse-contents { display: block !important; }
}
.hc-title h2 { margin: 0.2em 0; }
.hc-title .hc-subtitle { color: var(--jp-ui-font-color2, #666); }
.hc-error { border-left: 4px solid #c62828; background: #fdecea; padding: 6px 10px;
            color: #7f1d1d; white-space: pre-wrap; }
.hc-sources ul { margin: 0.2em 0; padding-left: 1.4em; }
.hc-sources li { margin: 0.2em 0; }
.hc-result table { border-collapse: collapse; }
.hc-result th, .hc-result td { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
.hc-result td.num, .hc-result th.num { text-align: right; font-variant-numeric: tabular-nums; }
.hc-big { font-size: 1.4em; font-weight: 600; }
</style>
"""


def preheat_quietly() -> bool:
    """In a kernel Voila preheats (``VOILA_PREHEAT``), run at the lowest CPU priority until a
    visitor's request arrives (:func:`query_string` restores it), so a pool refilling after a
    burst of viewers does not slow the pages they are on (:mod:`healthcover._priority`; the
    server already lowers kernels it preheats, this covers a server that does not). Only where
    the priority can be restored (root, or ``RLIMIT_NICE`` >= 20); elsewhere, and outside Voila,
    it does nothing. Returns whether the priority is low."""
    import os

    from healthcover import _priority

    if os.environ.get("VOILA_PREHEAT", "False") != "True" or not _priority.can_restore():
        return False
    os.environ.setdefault(_priority.ENV, str(os.getpriority(os.PRIO_PROCESS, 0)))
    return _priority.lower()


def link_number(raw: Any, default: float, lo: float, hi: float) -> float:
    """A number from the address bar (a shared link), within ``[lo, hi]``; anything else (text,
    NaN, infinity, nothing) gives ``default``: a hand-edited link never breaks a page."""
    import math

    try:
        x = float(raw)
    except (TypeError, ValueError):
        return float(default)
    if not math.isfinite(x):
        return float(default)
    return float(min(max(x, lo), hi))


def query_string() -> dict[str, str]:
    """The page's query string as a dict (``?lang=en&scheme=...``), the last value of a repeated
    key winning. In a kernel Voila preheated before any visitor came, this waits for the
    visitor's request (``voila.utils.get_query_string``); elsewhere it reads ``QUERY_STRING``."""
    import os

    import time

    raw = None
    if os.environ.get("VOILA_PREHEAT", "False") == "True":
        try:
            from voila.utils import get_query_string
        except ImportError:  # pragma: no cover - Voila without preheating
            get_query_string = None
        if get_query_string is not None:
            t0 = time.monotonic()
            raw = get_query_string()
            from healthcover import _priority

            _priority.restore()
            log.info("preheated kernel %s: visitor's request after %.1f s",
                     os.environ.get("VOILA_KERNEL_ID", "?")[:8], time.monotonic() - t0)
    if raw is None:
        raw = os.environ.get("QUERY_STRING", "")
    return {k: v for k, v in urllib.parse.parse_qsl(raw or "", keep_blank_values=False)}


_BRIDGE_ESM = """
export default {
  render({ model, el }) {
    el.style.display = "none";
    const apply = () => {
      const q = model.get("query");
      const url = window.location.pathname + (q ? "?" + q : "") + window.location.hash;
      if (url !== window.location.pathname + window.location.search + window.location.hash) {
        window.history.replaceState(null, "", url);
      }
      const lang = model.get("lang") === "en" ? "en" : "zh-CN";
      document.documentElement.lang = lang;
      if (model.get("title")) { document.title = model.get("title"); }
    };
    model.on("change:query", apply);
    model.on("change:lang", apply);
    model.on("change:title", apply);
    apply();
    model.on("msg:custom", (msg, buffers) => {
      if (msg.kind === "download") {
        const blob = new Blob([buffers[0]], { type: msg.mime });
        const a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = msg.filename;
        a.className = "hc-download-link";
        document.body.appendChild(a);
        a.click();
        setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 5000);
      } else if (msg.kind === "print") {
        window.print();
      } else if (msg.kind === "copy") {
        const href = window.location.href;
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(href).catch(() => {});
        }
        model.set("copied", href);
        model.save_changes();
      }
    });
  }
};
"""


class Bridge(anywidget.AnyWidget):
    """The page's link to the browser window (a few lines of JavaScript, no library): keeps the
    scenario in the address bar (``query``), sets the document's language and title, and hands
    downloads and printing to the browser."""

    _esm = _BRIDGE_ESM
    query = traitlets.Unicode("").tag(sync=True)
    lang = traitlets.Unicode("zh").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    copied = traitlets.Unicode("").tag(sync=True)

    def download(self, filename: str, mime: str, data: bytes) -> None:
        self.send({"kind": "download", "filename": filename, "mime": mime}, buffers=[data])

    def print_page(self) -> None:
        self.send({"kind": "print"})

    def copy_link(self) -> None:
        self.send({"kind": "copy"})


class VisitorError(HealthcoverError):
    """An input a visitor can fix, with the message in both languages (``messages``)."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.messages = {"zh": zh, "en": en}


_MIMES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "svg": "image/svg+xml", "png": "image/png"}


def table_bytes(frame: Any, fmt: str, name: str = "table") -> bytes:
    """A table as a CSV (UTF-8 with a byte-order mark, so Excel reads Chinese) or Excel file,
    written by :func:`healthcover.export`."""
    from healthcover.tables import export

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{name}.{fmt}"
        if fmt == "csv":
            export({name: frame}, target, encoding="utf-8-sig")
        else:
            export({name: frame}, target)
        return target.read_bytes()


class _Downloads(widgets.HBox):
    """A row of small buttons, one per format; a click builds the file in the kernel and the
    browser saves it."""

    def __init__(self, page: "Page", formats: Sequence[str], make: Callable[[str], tuple[str, bytes]]):
        self._page, self._make = page, make
        buttons = []
        for fmt in formats:
            b = widgets.Button(description=fmt.upper() if fmt != "xlsx" else "Excel",
                               layout=widgets.Layout(width="auto"))
            b.add_class("hc-download-" + fmt)
            page.bind(b, {"zh": f"下载 {b.description}", "en": f"Download {b.description}"}, "tooltip")
            b.on_click(lambda _b, f=fmt: page.safe(self._deliver)(f))
            buttons.append(b)
        super().__init__(buttons)
        self.add_class("hc-download")

    def _deliver(self, fmt: str) -> None:
        filename, data = self._make(fmt)
        self._page.bridge.download(filename, _MIMES[fmt], data)


class ChartPanel(widgets.VBox):
    """A chart drawn to SVG in the kernel with PNG and SVG downloads of the same chart.

    ``update(chart, lang)`` swaps it; ``spec`` keeps the Vega-Lite spec for tests."""

    def __init__(self, page: "Page", name: str, cls: str, chart: Any = None, lang: str = "zh"):
        from healthcover.widgets.charts import SvgChart

        self.name = name
        self.svg = SvgChart(chart, lang=lang)
        self.svg.add_class(cls)
        self.downloads = _Downloads(page, ("png", "svg"), self._file)
        super().__init__([self.svg, self.downloads], layout=widgets.Layout(max_width="100%"))
        self.add_class("hc-chart-panel")

    @property
    def spec(self) -> dict | None:
        return self.svg.spec

    def update(self, chart: Any, lang: str | None = None) -> None:
        self.svg.update(chart, lang=lang)

    def clear(self, message: str = "") -> None:
        self.svg.clear(message)

    def _file(self, fmt: str) -> tuple[str, bytes]:
        from healthcover.plotting import chart_png, chart_svg

        if self.svg.spec is None:
            raise VisitorError("图表尚未生成。", "The chart is not drawn yet.")
        if fmt == "png":
            return f"{self.name}.png", chart_png(self.svg.spec, self.svg.lang)
        return f"{self.name}.svg", chart_svg(self.svg.spec, self.svg.lang).encode("utf-8")


class TablePanel(widgets.VBox):
    """A table shown as HTML with CSV and Excel downloads of the numbers behind it.

    ``update(html, frame)``: the HTML a visitor reads and the DataFrame the files hold (numbers
    unrounded, columns named in the page's language)."""

    def __init__(self, page: "Page", name: str, cls: str):
        self.name = name
        self.html = widgets.HTML()
        for c in (cls, "hc-result"):
            self.html.add_class(c)
        self.frame = None
        self.downloads = _Downloads(page, ("csv", "xlsx"), self._file)
        super().__init__([self.html, self.downloads], layout=widgets.Layout(max_width="100%"))
        self.add_class("hc-table-panel")

    @property
    def value(self) -> str:
        return self.html.value

    def update(self, html_text: str, frame: Any) -> None:
        self.frame = frame
        self.html.value = html_text

    def clear(self) -> None:
        self.frame = None
        self.html.value = ""

    def _file(self, fmt: str) -> tuple[str, bytes]:
        if self.frame is None:
            raise VisitorError("表格尚未生成。", "The table is not ready yet.")
        return f"{self.name}.{fmt}", table_bytes(self.frame, fmt, self.name.split("-")[-1][:28] or "table")


class Page(widgets.VBox):
    """A dashboard page; display it as the last expression of a cell.

    Parameters
    ----------
    title : label key or ``{"zh": ..., "en": ...}``.
    subtitle : optional label shown under the title.
    lang : starting language, ``"zh"`` (default) or ``"en"``.
    sources : items for the source panel (labels or plain strings, e.g. citations).
    """

    def __init__(
        self,
        title: Label,
        *,
        subtitle: Label | None = None,
        lang: str = "zh",
        sources: Iterable[Label] = (),
    ):
        quiet_widget_errors()
        self.title = title
        self.subtitle = subtitle
        self.language = language_toggle(lang)
        self.language.add_class("hc-language")
        self.title_html = widgets.HTML()
        self.title_html.add_class("hc-title")
        self.error_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.error_html.add_class("hc-error")
        self.body = widgets.VBox()
        self.sources_html = widgets.HTML()
        self.sources_html.add_class("hc-sources")
        self.sources_panel = widgets.Accordion(children=[self.sources_html])
        self.sources_panel.add_class("hc-sources-panel")
        self.bridge = Bridge(lang=lang)
        self.notice = widgets.HTML()
        self.notice.add_class("hc-notice")
        self.print_button = widgets.Button(icon="print", layout=widgets.Layout(width="auto"))
        self.print_button.add_class("hc-print")
        self.copy_button = widgets.Button(icon="link", layout=widgets.Layout(width="auto"))
        self.copy_button.add_class("hc-copy-link")
        self.print_button.on_click(lambda _: self.bridge.print_page())
        self.copy_button.on_click(lambda _: self.bridge.copy_link())
        self.bridge.observe(self._copied, "copied")
        self._sources: list[Any] = list(sources)
        self._bindings: list[tuple[Any, str, Label]] = []
        self._option_bindings: list[tuple[Any, list[tuple[Label, Any]]]] = []
        self._lang_callbacks: list[Callable[[], Any]] = []
        self._error_callbacks: list[Callable[[], Any]] = []
        self._results: list[Any] = []  # hidden while an error is shown (they would be stale)
        self._quiet = False  # True while relabelling: option resets are not user changes
        self._query: dict[str, str] = {}
        self._last_error: Any = None

        self.bind(self.print_button, "print")
        self.bind(self.copy_button, "copy_link")
        toolbar = widgets.HBox([self.language, self.copy_button, self.print_button],
                               layout=widgets.Layout(align_items="center", flex_flow="row wrap"))
        toolbar.add_class("hc-toolbar")
        header = widgets.HBox(
            [self.title_html, toolbar],
            layout=widgets.Layout(justify_content="space-between", align_items="center", flex_flow="row wrap"),
        )
        super().__init__(
            [widgets.HTML(_CSS), self.bridge, header, self.notice, self.error_html, self.body, self.sources_panel]
        )
        self.add_class("hc-page")
        self.language.observe(self._on_language, "value")
        self._render_static()

    # -- the address bar ------------------------------------------------------------------
    def set_query(self, state: Mapping[str, Any]) -> None:
        """Put the scenario in the address bar: ``lang`` and ``state`` (values as text, None
        left out), so a shared link reopens it."""
        q = {"lang": self.lang, **{k: _qs(v) for k, v in state.items() if v is not None}}
        self._query = q
        self.bridge.query = urllib.parse.urlencode(q, safe=",:")

    def _copied(self, change: dict) -> None:
        self.notice.value = html.escape(self.t("link_copied"))

    # -- language -------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.language.value

    def t(self, label: Label) -> str:
        """``label`` in the page's current language."""
        return text(label, self.lang)

    def bind(self, widget: Any, label: Label, attr: str = "description", *, help: str | None = None) -> Any:
        """Set ``widget.<attr>`` to ``label`` now and whenever the language changes; ``help``
        (a glossary term) becomes the control's tooltip, its explanation in the page's language."""
        # a widget's attribute has one label: binding it again replaces the former label
        self._bindings = [b for b in self._bindings if not (b[0] is widget and b[1] == attr)]
        self._bindings.append((widget, attr, label))
        setattr(widget, attr, self.t(label))
        if help is not None:
            from healthcover.widgets.reader import help_text

            tip = {"zh": f"{text(label, 'zh')}：{help_text(help, 'zh')}",
                   "en": f"{text(label, 'en')}: {help_text(help, 'en')}"}
            self._bindings = [b for b in self._bindings if not (b[0] is widget and b[1] == "tooltip")]
            self._bindings.append((widget, "tooltip", tip))
            widget.tooltip = self.t(tip)
        return widget

    def bind_options(self, widget: Any, options: Sequence[tuple[Label, Any]]) -> Any:
        """Give a selection widget (Dropdown, ToggleButtons, ...) bilingual option labels.

        Replaces any earlier options of that widget; keeps its value when still offered,
        else selects the first option (without firing guarded callbacks).
        """
        options = list(options)
        self._option_bindings = [(w, o) for w, o in self._option_bindings if w is not widget]
        self._option_bindings.append((widget, options))
        self._apply_options(widget, options)
        return widget

    def _apply_options(self, widget: Any, options: list[tuple[Label, Any]]) -> None:
        """Relabel options, keeping the value when still offered, else the first option.

        Guarded callbacks do not fire: the value either ends as it was, or the caller is
        switching context (another scheme) and recomputes itself.
        """
        old = widget.value
        values = [v for _, v in options]
        quiet, self._quiet = self._quiet, True
        try:
            # ipywidgets resets the selection (or leaves None) when options change.
            widget.options = [(self.t(lab), v) for lab, v in options]
            if values:
                widget.value = old if old in values else values[0]
        finally:
            self._quiet = quiet

    def on_lang(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``fn()`` (guarded by :meth:`safe`) after every language change."""
        self._lang_callbacks.append(self.safe(fn))
        return fn

    def _on_language(self, change: dict) -> None:
        quiet, self._quiet = self._quiet, True
        self.bridge.lang = self.lang
        self.notice.value = ""
        try:
            self._render_static()
            for widget, attr, label in self._bindings:
                setattr(widget, attr, self.t(label))
            for widget, options in self._option_bindings:
                self._apply_options(widget, options)
        finally:
            self._quiet = quiet
        if quiet:  # inside batch(): the caller redraws once at the end
            return
        for fn in self._lang_callbacks:
            fn()

    def _render_static(self) -> None:
        sub = (
            f'<div class="hc-subtitle">{html.escape(self.t(self.subtitle))}</div>'
            if self.subtitle
            else ""
        )
        self.title_html.value = f"<h2>{html.escape(self.t(self.title))}</h2>{sub}"
        self.bridge.title = self.t(self.title)
        self.sources_panel.set_title(0, self.t("sources"))
        self._render_sources()

    # -- body and sources -----------------------------------------------------------------
    def set_body(self, *children: Any) -> None:
        self.body.children = list(children)

    def set_sources(self, items: Iterable[Any]) -> None:
        """Replace the source panel's items: labels (keys or ``{"zh", "en"}``, shown as text) or
        functions of the language returning HTML (citations with their quotes)."""
        self._sources = list(items)
        self._render_sources()

    def _render_sources(self) -> None:
        if not self._sources:
            self.sources_html.value = ""
            return
        lis = "".join(f"<li>{s(self.lang) if callable(s) else html.escape(self.t(s))}</li>" for s in self._sources)
        self.sources_html.value = f"<ul>{lis}</ul>"

    # -- errors ---------------------------------------------------------------------------
    def show_error(self, error: BaseException | str | None = None) -> None:
        """Show a message in the error area, in the page's language and without code.

        A blank in the document (:class:`~healthcover.NotStatedError`) is explained; a
        :class:`VisitorError` shows its message; any other error a generic notice (its detail
        goes to the server's log).
        """
        self._last_error = error
        blank = _not_stated(error)
        if blank is not None:
            head = self.t("cannot_compute")
            body = not_stated_html(blank, self.lang)
        elif isinstance(error, VisitorError):
            head = self.t("cannot_compute")
            body = html.escape(error.messages[self.lang])
        elif isinstance(error, (HealthcoverError, str)):
            head = self.t("cannot_compute")
            body = html.escape(self.t("cannot_compute_inputs"))
        else:
            head = self.t("error")
            body = html.escape(self.t("unexpected_error"))
        self.error_html.value = f"<b>{html.escape(head)}</b><br>{body}"
        self.error_html.layout.display = None
        for w in self._results:
            w.layout.display = "none"
        for fn in self._error_callbacks:
            try:
                fn()
            except Exception:  # clearing must not raise into the visitor's page
                log.exception("error callback %s failed", getattr(fn, "__qualname__", fn))

    def on_error(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``fn()`` after an error is shown, e.g. to blank results that are now stale."""
        self._error_callbacks.append(fn)
        return fn

    def hide_on_error(self, *results: Any) -> None:
        """Widgets (charts, tables) hidden while an error is shown: after a failed update
        they still show the previous inputs' results, which the controls no longer match."""
        self._results.extend(results)

    def clear_error(self) -> None:
        # Hidden first, then emptied: the browser receives the two changes as separate
        # messages, and the other order shows an empty red box in between.
        self.error_html.layout.display = "none"
        self.error_html.value = ""
        for w in self._results:
            w.layout.display = None

    def safe(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a callback: errors go to the error area (and the server log), never the page.

        While the page relabels its controls after a language change the wrapped callback
        is skipped, since those value resets are not the visitor's.
        """

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self._quiet:
                return None
            try:
                result = fn(*args, **kwargs)
            except HealthcoverError as exc:
                log.info("%s: %s", getattr(fn, "__qualname__", fn), exc)
                self.show_error(exc)
                return None
            except Exception:  # a visitor must never see a traceback
                log.exception("dashboard callback %s failed", getattr(fn, "__qualname__", fn))
                self.show_error(None)
                return None
            self.clear_error()
            return result

        return guarded

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Change several controls at once without firing guarded callbacks in between."""
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    @contextlib.contextmanager
    def shared_link(self, state: Mapping[str, str] | None) -> Iterator[dict[str, str]]:
        """Open a shared link's scenario: the page's language from ``lang`` (other values are
        ignored), then the dashboard's own keys inside one :meth:`batch`::

            with page.shared_link(query) as state:
                if state.get("scheme") in schemes: ...
        """
        state = dict(state or {})
        with self.batch():
            if state.get("lang") in ("zh", "en"):
                self.language.value = state["lang"]
            yield state

    def on_change(
        self, controls: Iterable[Any], fn: Callable[[], Any], names: str = "value"
    ) -> Callable[[], Any]:
        """Call ``fn()`` (guarded) whenever any control's ``names`` trait changes."""
        guarded = self.safe(fn)
        for control in controls:
            control.observe(lambda change: guarded(), names=names)
        return guarded




def _not_stated(error: BaseException | str | None) -> NotStatedError | None:
    """The NotStatedError behind ``error`` (itself, or its cause or context), if any."""
    seen = 0
    while isinstance(error, BaseException) and seen < 5:
        if isinstance(error, NotStatedError):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _qs(value: Any) -> str:
    """A value for the address bar: numbers without trailing zeros, booleans as 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def not_stated_html(err: NotStatedError, lang: str) -> str:
    """A blank in the document explained without code: which rule, of which scheme, and where
    the document is silent; the dashboard does not invent the value."""
    from healthcover.scheme import load_scheme
    from healthcover.widgets.reader import cite, scheme_name

    try:
        s = load_scheme(err.scheme_id, err.variant)
        title = scheme_name(err.scheme_id, lang)
        if err.variant and s.meta.variants and err.variant in s.meta.variants:
            title += f" · {s.label('variant', err.variant, lang)}"
        p = s.param(err.path)
        where = cite(p.source, lang)
    except Exception:  # the explanation must not fail: fall back to the scheme's name
        title, where = err.scheme_id, ""
    rule = err.path.rsplit(".", 1)[-1]
    what = BENEFIT_RULES[rule].name(lang) if rule in BENEFIT_RULES else (
        "该项规定" if lang == "zh" else "this rule")
    if lang == "zh":
        msg = f"文件未规定「{title}」的{what}，仪表盘不替文件假设数值。请选择其他制度、档次或人员类别。"
        if where:
            msg += f"文件出处：{where}"
    else:
        msg = (f"The document leaves the {what} of “{title}” blank, and the dashboard does not assume a "
               f"value for it. Choose another scheme, variant or person category.")
        if where:
            msg += f" Where the document is silent: {where}"
    return html.escape(msg)
