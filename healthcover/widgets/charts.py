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

import functools
import html
from typing import Any

import ipywidgets as widgets

# Rendering lives in healthcover.plotting; these names keep working here.
from healthcover.plotting import _vl_version, chart_svg  # noqa: F401
from healthcover.plotting import chart_spec as _spec
from healthcover.plotting import enable_jupyterchart_offline as _enable_offline
from healthcover.plotting import unique_svg_ids

__all__ = ["InteractiveChart", "SvgChart", "chart_svg", "chart_widget"]


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
        # Ids (clip paths) made unique to the chart: several charts share one page.
        svg = unique_svg_ids(chart_svg(spec, self.lang))
        self.spec = spec
        self.value = f'<div class="hc-chart-svg">{svg}</div>'

    def clear(self, message: str = "") -> None:
        self.spec = None
        self.value = f'<div class="hc-chart-empty">{html.escape(message)}</div>'


@functools.cache
def _interactive_class():
    import altair as alt

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

    return InteractiveChart


def __getattr__(name: str):
    # altair (about a second to import) loads only when an interactive chart is asked for.
    if name == "InteractiveChart":
        return _interactive_class()
    if name == "_bundle_cache":
        from healthcover.plotting import _bundle_cache

        return _bundle_cache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        return _interactive_class()(chart)
    return SvgChart(chart, lang=lang)
