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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import ipywidgets as widgets

from healthcover.errors import HealthcoverError, NotStatedError
from healthcover.schemes.model import BENEFIT_RULES
from healthcover.widgets.i18n import Label, both, language_toggle, text

__all__ = ["Page", "log"]

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


_CSS = """
<style>
.hc-page { max-width: 1100px; font-size: 14px; }
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
        self.title_html = widgets.HTML()
        self.title_html.add_class("hc-title")
        self.error_html = widgets.HTML(layout=widgets.Layout(display="none"))
        self.error_html.add_class("hc-error")
        self.body = widgets.VBox()
        self.sources_html = widgets.HTML()
        self.sources_html.add_class("hc-sources")
        self.sources_panel = widgets.Accordion(children=[self.sources_html])
        self.sources_panel.add_class("hc-sources-panel")
        self._sources: list[Label] = list(sources)
        self._bindings: list[tuple[Any, str, Label]] = []
        self._option_bindings: list[tuple[Any, list[tuple[Label, Any]]]] = []
        self._lang_callbacks: list[Callable[[], Any]] = []
        self._error_callbacks: list[Callable[[], Any]] = []
        self._results: list[Any] = []  # hidden while an error is shown (they would be stale)
        self._quiet = False  # True while relabelling: option resets are not user changes

        header = widgets.HBox(
            [self.title_html, self.language],
            layout=widgets.Layout(justify_content="space-between", align_items="center"),
        )
        super().__init__(
            [widgets.HTML(_CSS), header, self.error_html, self.body, self.sources_panel]
        )
        self.add_class("hc-page")
        self.language.observe(self._on_language, "value")
        self._render_static()

    # -- language -------------------------------------------------------------------------
    @property
    def lang(self) -> str:
        return self.language.value

    def t(self, label: Label) -> str:
        """``label`` in the page's current language."""
        return text(label, self.lang)

    def bind(self, widget: Any, label: Label, attr: str = "description") -> Any:
        """Set ``widget.<attr>`` to ``label`` now and whenever the language changes."""
        self._bindings.append((widget, attr, label))
        setattr(widget, attr, self.t(label))
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
        self._quiet = True
        try:
            self._render_static()
            for widget, attr, label in self._bindings:
                setattr(widget, attr, self.t(label))
            for widget, options in self._option_bindings:
                self._apply_options(widget, options)
        finally:
            self._quiet = False
        for fn in self._lang_callbacks:
            fn()

    def _render_static(self) -> None:
        sub = (
            f'<div class="hc-subtitle">{html.escape(self.t(self.subtitle))}</div>'
            if self.subtitle
            else ""
        )
        self.title_html.value = f"<h2>{html.escape(self.t(self.title))}</h2>{sub}"
        self.sources_panel.set_title(0, both("source"))
        self._render_sources()

    # -- body and sources -----------------------------------------------------------------
    def set_body(self, *children: Any) -> None:
        self.body.children = list(children)

    def set_sources(self, items: Iterable[Label]) -> None:
        """Replace the source panel's items (labels or plain strings such as citations)."""
        self._sources = list(items)
        self._render_sources()

    def _render_sources(self) -> None:
        if not self._sources:
            self.sources_html.value = ""
            return
        lis = "".join(f"<li>{html.escape(self.t(s))}</li>" for s in self._sources)
        self.sources_html.value = f"<ul>{lis}</ul>"

    # -- errors ---------------------------------------------------------------------------
    def show_error(self, error: BaseException | str | None = None) -> None:
        """Show a message in the error area.

        A :class:`HealthcoverError` (or a string) is shown as its text after a bilingual
        "cannot compute"; anything else shows only a generic notice.
        """
        blank = _not_stated(error)
        if blank is not None:
            head = both("cannot_compute")
            body = not_stated_html(blank, self.lang)
        elif isinstance(error, (HealthcoverError, str)):
            head = both("cannot_compute")
            body = html.escape(str(error))
        else:
            head = both("error")
            body = html.escape(text("unexpected_error", "zh") + "\n" + text("unexpected_error", "en"))
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
        self.error_html.value = ""
        self.error_html.layout.display = "none"
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


def not_stated_html(err: NotStatedError, lang: str) -> str:
    """A blank in the document explained without code: which rule, of which scheme, and where
    the document is silent; the dashboard does not invent the value."""
    from healthcover.scheme import load_scheme

    try:
        s = load_scheme(err.scheme_id, err.variant)
        title = text({"zh": s.meta.title.zh, "en": s.meta.title.en}, lang)
        if err.variant and s.meta.variants and err.variant in s.meta.variants:
            v = s.meta.variants[err.variant]
            title += f" · {text({'zh': v.zh, 'en': v.en}, lang)}"
    except Exception:  # the explanation must not fail: fall back to the id
        title = err.scheme_id + (f" · {err.variant}" if err.variant else "")
    rule = err.path.rsplit(".", 1)[-1]
    what = BENEFIT_RULES[rule].name(lang) if rule in BENEFIT_RULES else err.path
    if lang == "zh":
        msg = (f"文件未规定「{title}」的{what}，仪表盘不替文件假设数值。"
               f"请选择其他制度、档次或人员类别。文件出处：{err.citation}")
    else:
        msg = (f"The document leaves the {what} of “{title}” blank, and the dashboard does "
               f"not assume a value for it. Choose another scheme, variant or person category. "
               f"Where the document is silent: {err.citation}")
        if err.note:
            msg += f" ({err.note})"
    return html.escape(msg) + f'<br><span class="hc-error-path">{html.escape(err.path)}</span>'

