"""Altair charts in dashboards, fully offline.

Altair's default renderers fetch vega/vega-lite/vega-embed from a CDN, and show nothing on a
machine without internet. Two paths need no network; both were checked in Voila with
headless chromium and every non-loopback request blocked (tests/test_dashboard_framework.py):

* ``SvgChart`` (the default): the kernel renders the chart to SVG with vl-convert and the
  page shows it in an ``ipywidgets.HTML``. No JavaScript reaches the browser, an update is a
  string swap (about 30 ms for a small chart), and tests read marks and labels from the SVG.
  No tooltips or in-chart selections.
* ``InteractiveChart`` (``interactive=True``): ``altair.JupyterChart`` in offline mode, which
  ships a vega-embed bundle (about 0.9 MB, built by vl-convert) through anywidget with each
  chart. Tooltips and selections work.

Both are updated in place with ``widget.update(chart)`` and keep the chart's Vega-Lite spec
in ``widget.spec`` for tests.
"""
from __future__ import annotations

import contextlib
import html
import os
import re
from pathlib import Path
from typing import Any

import altair as alt
import ipywidgets as widgets

__all__ = ["InteractiveChart", "SvgChart", "chart_svg", "chart_widget"]

# vl-convert's number/time format locales per dashboard language.
_FORMAT_LOCALE = {"zh": "zh-CN", "en": "en-US"}


def _spec(chart: Any) -> dict:
    """A Vega-Lite dict from an Altair chart or a dict already in that form."""
    if isinstance(chart, dict):
        return chart
    if hasattr(chart, "to_dict"):
        return chart.to_dict()
    raise TypeError(
        f"chart must be an Altair chart or a Vega-Lite dict; received {type(chart).__name__}"
    )


def chart_svg(chart: Any, lang: str = "zh") -> str:
    """Render a chart to an SVG string in the kernel with vl-convert (no browser, no network)."""
    import vl_convert as vlc  # imported here: it starts a JS runtime (~75 MB) on first use

    return vlc.vegalite_to_svg(
        _spec(chart),
        vl_version=_vl_version(),
        format_locale=_FORMAT_LOCALE.get(lang, "en-US"),
    )


def _vl_version() -> str:
    """The Vega-Lite version this Altair writes, as vl-convert names it (``"5.20"``)."""
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_version_for_vl_convert()


class SvgChart(widgets.HTML):
    """A chart rendered to SVG in the kernel, shown as HTML; ``update(chart)`` swaps it."""

    def __init__(self, chart: Any = None, *, lang: str = "zh", **kwargs: Any):
        kwargs.setdefault("layout", widgets.Layout(overflow="visible"))
        super().__init__(**kwargs)
        self.add_class("hc-chart")
        self.lang = lang
        self.spec: dict | None = None
        if chart is not None:
            self.update(chart)

    def update(self, chart: Any, lang: str | None = None) -> None:
        """Replace the chart (and optionally its number-format language) in place."""
        if lang is not None:
            self.lang = lang
        spec = _spec(chart)
        svg = chart_svg(spec, self.lang)
        self.spec = spec
        self.value = f'<div class="hc-chart-svg">{svg}</div>'

    def clear(self, message: str = "") -> None:
        self.spec = None
        self.value = f'<div class="hc-chart-empty">{html.escape(message)}</div>'


def _bundle_cache() -> Path:
    """Where the offline bundle is kept between kernels: one file per altair, vl-convert and
    Vega-Lite version (``$HEALTHCOVER_CACHE`` or ``~/.cache/healthcover``)."""
    import vl_convert as vlc
    from altair.utils._importers import vl_version_for_vl_convert

    root = Path(os.environ.get("HEALTHCOVER_CACHE") or Path.home() / ".cache" / "healthcover")
    name = f"jupyterchart-{alt.__version__}-{vlc.__version__}-{vl_version_for_vl_convert()}.js"
    return root / re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _enable_offline() -> None:
    """``JupyterChart.enable_offline()``, with its bundle read from a file when another kernel
    has built it: vl-convert takes about a second per kernel to bundle the same JavaScript."""
    cls = alt.JupyterChart
    if getattr(cls, "_is_offline", False):
        return
    try:
        path = _bundle_cache()
    except (ImportError, AttributeError):  # altair's internals moved: just bundle
        return cls.enable_offline(True)
    with contextlib.suppress(OSError):
        if hasattr(cls, "_is_offline"):
            cls._esm = path.read_text(encoding="utf-8")  # what enable_offline sets, no re-bundling
            cls._is_offline = True
            return
    cls.enable_offline(True)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(cls._esm, encoding="utf-8")
        tmp.replace(path)  # atomic: a kernel starting beside this one reads all or nothing


class InteractiveChart(alt.JupyterChart):
    """``altair.JupyterChart`` with its JavaScript bundled (no CDN); ``update(chart)`` swaps it."""

    def __init__(self, chart: Any, **kwargs: Any):
        # Offline mode swaps the class's ES module for a self-contained bundle; once per kernel.
        # anywidget reads ``_esm`` at instance creation, so subclasses pick up the bundle.
        _enable_offline()
        # SVG rather than vega-embed's default canvas: crisp CJK text, marks readable by tests.
        kwargs.setdefault("embed_options", {"renderer": "svg", "actions": False})
        super().__init__(chart, **kwargs)
        self.add_class("hc-chart")

    def update(self, chart: Any, lang: str | None = None) -> None:
        self.chart = chart

    @property
    def spec_dict(self) -> dict | None:
        return self.spec


def chart_widget(chart: Any, *, interactive: bool = False, lang: str = "zh"):
    """A widget showing ``chart`` offline; call ``.update(new_chart)`` to change it in place.

    Parameters
    ----------
    chart : an Altair chart (or a Vega-Lite dict for the SVG path).
    interactive : False (default) renders SVG in the kernel (no JavaScript, light pages);
        True uses ``altair.JupyterChart`` offline (tooltips, selections; ~0.9 MB per chart).
    lang : ``"zh"`` or ``"en"``: the locale of numbers vl-convert formats (SVG path only).

    Examples
    --------
    >>> w = chart_widget(alt.Chart(df).mark_bar().encode(x="a", y="b"))
    >>> w.update(alt.Chart(df2).mark_bar().encode(x="a", y="b"))
    """
    if interactive:
        return InteractiveChart(chart)
    return SvgChart(chart, lang=lang)
