"""Altair charts of healthcover's results, and drawing them with no network.

One home for the library's chart builders (lifelines keeps its ``plotting.py`` the same way).
Each builder takes the DataFrame a library function returns and gives an Altair chart; the
data functions stay beside their computations (``protection.concentration_curve``,
``poverty.tornado``, ``actuarial.payment_frame`` ...) and the old chart names there still work.

Altair is imported inside each function, never at module level: ``import healthcover`` in a
script or a Dask worker does not load it (or IPython). This module sits low in the layers: it
imports only :mod:`healthcover.errors` and :mod:`healthcover.checks`, never the calculators or
the widgets.

Drawing without a network
-------------------------
Altair's default renderer writes HTML that loads vega, vega-lite and vega-embed from a CDN, so
on a machine without internet a notebook shows ``Error loading script`` where each chart
should be. Three offline paths, all tested in headless chromium with every non-loopback
request blocked:

* :func:`notebook_renderer` (Altair renderer ``"healthcover"``): the kernel compiles the
  Vega-Lite spec to Vega with vl-convert and sends it as ``application/vnd.vega.v5+json``,
  which JupyterLab (and Notebook 7, which shares its renderers) draws with the Vega bundled in
  JupyterLab itself. Tooltips and zoom work, and the output stays in the saved notebook.
  Importing healthcover in an IPython kernel turns it on (see :func:`enable_offline_charts`).
* :func:`chart_svg`: SVG drawn in the kernel by vl-convert (the dashboards' default and the
  rich display of results).
* :func:`enable_jupyterchart_offline`: ``altair.JupyterChart`` with its JavaScript bundled
  (the dashboards' interactive charts), the bundle cached on disk between kernels.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from healthcover import checks
from healthcover.errors import HealthcoverError, allowed

__all__ = [
    # drawing offline
    "chart_spec",
    "chart_svg",
    "vega_spec",
    "notebook_renderer",
    "enable_offline_charts",
    "disable_offline_charts",
    "offline_charts_enabled",
    "enable_jupyterchart_offline",
    "setup_notebook",
    "unique_svg_ids",
    "OFFLINE_CHARTS_ENV",
    # financial protection
    "concentration_curve_chart",
    "pens_parade_chart",
    "threshold_curve_chart",
    # sensitivity
    "tornado_chart",
    # actuarial
    "payment_cdf_chart",
    "aggregate_loss_chart",
    "deficit_probability_chart",
    "fan_chart",
    # dashboards
    "grouped_bars_chart",
    "density_marks_chart",
    "deficit_curve_chart",
    "fan_bands_chart",
    "range_bars_chart",
    "histogram_marks_chart",
    "stacked_bars_chart",
    "stacked_areas_chart",
    "chart_png",
]

# =============================================================================================
# Specs and SVG
# =============================================================================================

# vl-convert's number/time format locales per language.
_FORMAT_LOCALE = {"zh": "zh-CN", "en": "en-US"}


def chart_spec(chart: Any) -> dict:
    """The Vega-Lite spec (a dict) of an Altair chart, or a dict already in that form."""
    if isinstance(chart, dict):
        return chart
    if hasattr(chart, "to_dict"):
        return chart.to_dict()
    raise HealthcoverError(
        f"chart_spec: chart must be an Altair chart or a Vega-Lite dict; received "
        f"{type(chart).__name__}"
    )


def _vl_version() -> str:
    """The Vega-Lite version this Altair writes, as vl-convert names it (``"v6_4"``)."""
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_version_for_vl_convert()


def chart_svg(chart: Any, lang: str = "zh") -> str:
    """A chart drawn to an SVG string in the kernel by vl-convert: no browser, no network.

    ``lang`` (``"zh"`` or ``"en"``) picks the locale of the numbers vl-convert formats. A
    chart that points at data on another host fails here rather than fetching it.
    """
    import vl_convert as vlc  # here: it starts a JavaScript runtime (~75 MB) on first use

    if lang not in _FORMAT_LOCALE:
        raise HealthcoverError(f"chart_svg: lang must be one of {allowed(_FORMAT_LOCALE)}; received {lang!r}")
    return vlc.vegalite_to_svg(
        chart_spec(chart),
        vl_version=_vl_version(),
        format_locale=_FORMAT_LOCALE[lang],
        allowed_base_urls=[],
    )


def chart_png(chart: Any, lang: str = "zh", scale: float = 2.0) -> bytes:
    """A chart drawn to PNG bytes in the kernel by vl-convert (no browser, no network), at
    ``scale`` times its size: what a dashboard's "PNG" download sends."""
    import vl_convert as vlc

    if lang not in _FORMAT_LOCALE:
        raise HealthcoverError(f"chart_png: lang must be one of {allowed(_FORMAT_LOCALE)}; received {lang!r}")
    return vlc.vegalite_to_png(chart_spec(chart), vl_version=_vl_version(), scale=float(scale),
                               format_locale=_FORMAT_LOCALE[lang], allowed_base_urls=[])


def vega_spec(chart: Any) -> dict:
    """The Vega spec a chart compiles to (vl-convert, with the Vega-Lite version Altair writes)."""
    import vl_convert as vlc

    return vlc.vegalite_to_vega(chart_spec(chart), vl_version=_vl_version())


_SVG_ID = re.compile(r'\bid="([^"]+)"')


def unique_svg_ids(svg: str) -> str:
    """Give the ids an SVG defines (clip paths, gradients) a prefix taken from the SVG's own
    content: vl-convert numbers them per process (``clip1``, ``clip2`` ...), and two SVGs from
    two kernels shown in one browser page would otherwise point at each other's clip paths.
    The same SVG gets the same names in every run."""
    ids = list(dict.fromkeys(_SVG_ID.findall(svg)))
    if not ids:
        return svg

    def rename(text: str, names: dict[str, str]) -> str:
        pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, names)) + r')([")])')
        return pattern.sub(lambda m: f"{m.group(1)}{names[m.group(2)]}{m.group(3)}", text)

    # Number the ids in order of definition first, so the prefix does not depend on the counter.
    local = rename(svg, {old: f"hc-{k}" for k, old in enumerate(ids, 1)})
    prefix = "hc" + hashlib.sha1(local.encode("utf-8")).hexdigest()[:10]
    return rename(local, {f"hc-{k}": f"{prefix}-{k}" for k in range(1, len(ids) + 1)})


# =============================================================================================
# The notebook renderer
# =============================================================================================

#: Set to ``0`` (or ``false``, ``no``, ``off``) before the kernel starts to keep Altair's own
#: renderer when healthcover is imported.
OFFLINE_CHARTS_ENV = "HEALTHCOVER_OFFLINE_CHARTS"
_ENV_OFF = ("0", "false", "no", "off")
_ENV_ON = ("", "1", "true", "yes", "on")
#: JupyterLab 4 renders Vega 5 and Vega-Lite 3-5; Altair 6 writes Vega-Lite 6, so the kernel
#: sends the compiled Vega (checked in a browser against the pinned JupyterLab's Vega 5.33).
VEGA_MIME = "application/vnd.vega.v5+json"
RENDERER = "healthcover"
# SVG rather than vega-embed's default canvas: crisp CJK text, marks a test can read. The menu:
# export and source, but not "Open in Vega Editor" (a page on the internet).
_EMBED_OPTIONS = {"renderer": "svg",
                  "actions": {"export": True, "source": True, "compiled": True, "editor": False}}
# Altair's renderers that load JavaScript from a CDN; healthcover replaces only these.
_CDN_RENDERERS = ("default", "html")
# Where IPython is told about Altair's charts without importing altair: the class every
# top-level chart inherits, in the Altair majors healthcover supports.
_TOPLEVEL = ("altair.vegalite.v5.api.TopLevelMixin", "altair.vegalite.v6.api.TopLevelMixin")

_state: dict[str, Any] = {"previous": None, "hook": None}


def notebook_renderer(spec: dict, **metadata: Any) -> tuple[dict, dict]:
    """Altair renderer ``"healthcover"``: the chart as Vega that JupyterLab draws by itself.

    The kernel compiles the Vega-Lite spec with vl-convert (about 20 ms a chart; the first
    chart of a kernel also starts vl-convert's runtime, about half a second). The output
    carries ``application/vnd.vega.v5+json`` and a short ``text/plain``; JupyterLab adds a PNG
    of the drawn chart when it saves the notebook. ``embed_options`` (e.g. from
    ``alt.renderers.set_embed_options``) are passed to vega-embed.
    """
    vega = vega_spec(spec)
    options = {**_EMBED_OPTIONS, **(metadata.get("embed_options") or {})}
    title = spec.get("title") if isinstance(spec, dict) else None
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(map(str, title))
    text = f"<Altair chart{': ' + str(title) if title else ''}>"
    return {VEGA_MIME: vega, "text/plain": text}, {VEGA_MIME: {"embed_options": options}}


def _kernel_shell():
    """The IPython shell if this process is a Jupyter kernel (ipykernel), else None.

    Never imports IPython: a script or a Dask worker that has not loaded it is not a kernel.
    """
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def _register(alt) -> None:
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, notebook_renderer)


def enable_offline_charts(*, force: bool = False) -> str:
    """Draw Altair charts in this kernel with :func:`notebook_renderer` (no network).

    Importing healthcover in a Jupyter kernel does this by itself when the first chart is
    shown (or at once if altair is already imported), unless the environment variable
    ``HEALTHCOVER_OFFLINE_CHARTS=0`` is set. It replaces only Altair's CDN renderers
    (``default``, ``html``): a renderer you chose (``svg``, ``jupyter``, a report's own) is
    kept unless ``force=True``. Returns the renderer now active. Imports altair.

    Undo with :func:`disable_offline_charts`.
    """
    import altair as alt

    _register(alt)
    active = alt.renderers.active
    if active != RENDERER and (force or active in _CDN_RENDERERS):
        _state["previous"] = active
        alt.renderers.enable(RENDERER, **dict(alt.renderers.options))
    return alt.renderers.active


def disable_offline_charts() -> str:
    """Go back to the renderer Altair had before healthcover's (its CDN ``default`` if none),
    and stop healthcover from switching on first chart. Returns the renderer now active."""
    _remove_hook()
    if "altair" not in sys.modules:
        return "default"
    import altair as alt

    if alt.renderers.active == RENDERER:
        alt.renderers.enable(_state["previous"] or "default", **dict(alt.renderers.options))
    _state["previous"] = None
    return alt.renderers.active


def offline_charts_enabled() -> bool:
    """True when Altair charts in this process are drawn by :func:`notebook_renderer`, or will
    be from the first chart shown."""
    if _state["hook"] is not None:
        return True
    if "altair" not in sys.modules:
        return False
    return sys.modules["altair"].renderers.active == RENDERER


def _env_wants_charts() -> bool:
    value = os.environ.get(OFFLINE_CHARTS_ENV, "").strip().lower()
    if value in _ENV_OFF:
        return False
    if value in _ENV_ON:
        return True
    raise HealthcoverError(
        f"environment variable {OFFLINE_CHARTS_ENV}={os.environ[OFFLINE_CHARTS_ENV]!r}: allowed: "
        f"{allowed(repr(v) for v in _ENV_ON[1:] + _ENV_OFF)} (or unset); 0 keeps Altair's own renderer"
    )


def _remove_hook() -> None:
    shell, printer = _state["hook"] or (None, None)
    _state["hook"] = None
    if shell is None:
        return
    formatter = shell.display_formatter.mimebundle_formatter
    for name in _TOPLEVEL:
        try:
            current = formatter.lookup_by_type(name)
        except KeyError:
            continue
        if current is printer:  # leave a printer someone else registered since
            formatter.pop(name, None)


def setup_notebook() -> bool:
    """What ``import healthcover`` does in a Jupyter kernel: offline charts from the first
    Altair chart shown (yours too). Returns True when set up; outside a kernel, or with
    ``HEALTHCOVER_OFFLINE_CHARTS=0``, does nothing and returns False.

    altair stays unimported until a chart exists: IPython is told about Altair's chart class
    by name (a deferred display formatter), and the first chart it shows switches Altair's
    renderer, then the formatter steps aside.
    """
    shell = _kernel_shell()
    if shell is None or not _env_wants_charts():
        return False
    if "altair" in sys.modules:
        enable_offline_charts()
        return True
    if _state["hook"] is not None:
        return True

    def first_chart(chart):
        _remove_hook()
        enable_offline_charts()
        return chart._repr_mimebundle_()

    formatter = shell.display_formatter.mimebundle_formatter
    for name in _TOPLEVEL:
        module, cls = name.rsplit(".", 1)
        formatter.for_type_by_name(module, cls, first_chart)
    _state["hook"] = (shell, first_chart)
    return True


# =============================================================================================
# altair.JupyterChart offline
# =============================================================================================


def _bundle_cache() -> Path:
    """Where the offline bundle is kept between kernels: one file per altair, vl-convert and
    Vega-Lite version (``$HEALTHCOVER_CACHE`` or ``~/.cache/healthcover``)."""
    import altair as alt
    import vl_convert as vlc

    root = Path(os.environ.get("HEALTHCOVER_CACHE") or Path.home() / ".cache" / "healthcover")
    name = f"jupyterchart-{alt.__version__}-{vlc.__version__}-{_vl_version()}.js"
    return root / re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def enable_jupyterchart_offline() -> None:
    """``altair.JupyterChart.enable_offline()``, with its bundle (about 0.9 MB) read from a
    cache file when another kernel has built it: vl-convert takes about a second per kernel to
    bundle the same JavaScript."""
    import altair as alt

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


# =============================================================================================
# Builders
# =============================================================================================


def _data(data: Any, func: str, columns: list[str]) -> pd.DataFrame:
    checks.require_columns(data, columns, f"{func}: data",
                           "pass the DataFrame the matching library function returns")
    return data


# --- financial protection ---------------------------------------------------------------------


def concentration_curve_chart(data: pd.DataFrame, *, title: str | None = None):
    """Concentration curves of :func:`healthcover.protection.concentration_curve` data, with
    the line of equality."""
    import altair as alt

    data = _data(data, "concentration_curve_chart", ["variable", "population_share", "variable_share"])
    diag = pd.DataFrame({"population_share": [0.0, 1.0], "variable_share": [0.0, 1.0]})
    equality = (
        alt.Chart(diag)
        .mark_line(strokeDash=[4, 4], color="grey")
        .encode(x="population_share:Q", y="variable_share:Q")
    )
    curve = (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("population_share:Q", title="Cumulative share of households, poorest first"),
            y=alt.Y("variable_share:Q", title="Cumulative share of the variable"),
            color=alt.Color("variable:N", title=None),
            tooltip=["variable", "population_share", "variable_share"],
        )
    )
    return (equality + curve).properties(
        width=360, height=360, title=title or "Concentration curve"
    )


def pens_parade_chart(data: pd.DataFrame, *, title: str | None = None,
                      upper_quantile: float | None = 0.95):
    """Pen's parade with paint drips from :func:`healthcover.protection.pens_parade` data.

    The richest tail of a parade dwarfs the drips, so by default the y axis stops at 1.2 times
    the ``upper_quantile`` of pre-payment consumption (marks beyond are clipped); pass
    ``upper_quantile=None`` for the full range.
    """
    import altair as alt

    data = _data(data, "pens_parade_chart", ["population_share", "pre", "post", "drip", "poverty_line"])
    lower = float(min(data["post"].min(), 0.0))
    if upper_quantile is None:
        scale = alt.Scale()
    else:
        upper_quantile = checks.in_range("pens_parade_chart", "upper_quantile", upper_quantile,
                                         0.0, 1.0, lo_open=True)
        top = float(data["pre"].quantile(upper_quantile)) * 1.2
        if data["poverty_line"].notna().any():
            top = max(top, float(data["poverty_line"].iloc[0]) * 1.5)
        scale = alt.Scale(domain=[lower, top], clamp=False)
    base = alt.Chart(data).encode(
        x=alt.X("population_share:Q", title="Cumulative share of persons, ranked by "
                "pre-payment consumption per head")
    )
    drips = base.mark_rule(color="#d62728", opacity=0.7, clip=True).encode(
        y=alt.Y("pre:Q", title="Consumption per head", scale=scale), y2="post:Q",
        tooltip=["population_share", "pre", "post", "drip"],
    )
    parade = base.mark_line(color="black", clip=True).encode(y=alt.Y("pre:Q", scale=scale))
    layers = [drips, parade]
    if data["poverty_line"].notna().any():
        line = pd.DataFrame({"poverty_line": [float(data["poverty_line"].iloc[0])]})
        layers.append(
            alt.Chart(line).mark_rule(strokeDash=[6, 3], color="steelblue").encode(
                y=alt.Y("poverty_line:Q", scale=scale)
            )
        )
    return alt.layer(*layers).properties(
        width=520, height=320, title=title or "Pen's parade and paint drips"
    )


def threshold_curve_chart(data: pd.DataFrame, *, measure: str = "headcount",
                          title: str | None = None):
    """A :func:`healthcover.protection.threshold_curve` column against the threshold (one line
    per ``scenario`` where the data has that column)."""
    import altair as alt

    data = _data(data, "threshold_curve_chart", ["threshold"])
    if measure not in data.columns:
        raise HealthcoverError(
            f"threshold_curve_chart: measure '{measure}' is not a column; "
            f"allowed: {allowed(c for c in data.columns if c != 'threshold')}"
        )
    enc = dict(
        x=alt.X("threshold:Q", title="Threshold (share of the budget)",
                axis=alt.Axis(format="%")),
        y=alt.Y(f"{measure}:Q", title=measure.replace("_", " ")),
        tooltip=list(data.columns),
    )
    if "scenario" in data.columns:
        enc["color"] = alt.Color("scenario:N")
    return alt.Chart(data).mark_line(point=True).encode(**enc).properties(
        width=420, height=280, title=title or f"Catastrophic {measure} by threshold"
    )


# --- sensitivity --------------------------------------------------------------------------------


def tornado_chart(data: pd.DataFrame, *, title: str | None = None,
                  x_title: str = "Estimate"):
    """A tornado chart: for each input (widest swing first, as the data is ordered), a bar from
    the estimate at its low end to the estimate at its high end, and a rule at the base
    estimate. ``data`` has ``parameter, low, high, estimate_low, estimate_high, base`` (as
    :func:`healthcover.poverty.tornado` returns)."""
    import altair as alt

    data = _data(data, "tornado_chart",
                 ["parameter", "low", "high", "estimate_low", "estimate_high", "base"])
    order = list(data["parameter"])
    bars = (
        alt.Chart(data)
        .mark_bar(height=22)
        .encode(
            y=alt.Y("parameter:N", sort=order, title=None),
            x=alt.X("estimate_low:Q", title=x_title, scale=alt.Scale(zero=False)),
            x2="estimate_high:Q",
            tooltip=["parameter", "low", "high", "estimate_low", "estimate_high"],
        )
    )
    rule = (
        alt.Chart(data.head(1))
        .mark_rule(color="black", strokeDash=[4, 3])
        .encode(x="base:Q")
    )
    return (bars + rule).properties(
        width=440, height=40 * max(len(data), 1) + 20,
        title=title or "Sensitivity (one input at a time)",
    )


# --- actuarial ------------------------------------------------------------------------------------


def payment_cdf_chart(data: pd.DataFrame, *, title: str = "Fund payment per claim"):
    """The distribution function of the fund's payment per claim, as steps (atoms at the
    deductible and the caps show as jumps); ``data`` has ``payment, cdf`` (as
    :func:`healthcover.actuarial.payment_frame` returns)."""
    import altair as alt

    data = _data(data, "payment_cdf_chart", ["payment", "cdf"])
    return alt.Chart(data, title=title).mark_line(interpolate="step-after").encode(
        x=alt.X("payment:Q", title="fund payment per claim (CNY)"),
        y=alt.Y("cdf:Q", title="P(payment <= x)", scale=alt.Scale(domain=[0, 1])),
        tooltip=["payment", "cdf"],
    )


def aggregate_loss_chart(density: pd.DataFrame, marks: Mapping[str, float] | pd.Series,
                         *, title: str | None = "Annual fund payments S",
                         width: int | None = None, height: int | None = None):
    """The density of the fund's annual payments with dashed rules at ``marks`` (name ->
    amount, e.g. ``{"VaR 99.5%": ..., "income": ...}``); ``density`` has ``x, pdf`` (as
    ``AggregateLoss.frame()`` returns)."""
    import altair as alt

    density = _data(density, "aggregate_loss_chart", ["x", "pdf"])
    rows = [{"what": str(k), "x": checks.number("aggregate_loss_chart", f"marks[{k!r}]", v)}
            for k, v in dict(marks).items()]
    dens = alt.Chart(density, **({} if title is None else {"title": title})).mark_area(opacity=0.5).encode(
        x=alt.X("x:Q", title="annual fund payments (CNY)"), y=alt.Y("pdf:Q", title="density"))
    chart = dens
    if rows:
        rules = alt.Chart(pd.DataFrame(rows)).mark_rule(strokeDash=[4, 3]).encode(
            x="x:Q",
            color=alt.Color("what:N", title=None, sort=[r["what"] for r in rows]),
            tooltip=["what", alt.Tooltip("x:Q", format=",.0f")],
        )
        chart = dens + rules
    size = {k: v for k, v in (("width", width), ("height", height)) if v is not None}
    return chart.properties(**size) if size else chart


def deficit_probability_chart(data: pd.DataFrame, *, target: float | None = 0.05,
                              title: str = "Probability of a deficit"):
    """P(payments > income) against income on a log scale, with a rule at ``target``; ``data``
    has ``income`` and ``P(deficit)`` (as :func:`healthcover.actuarial.deficit_frame` returns)."""
    import altair as alt

    data = _data(data, "deficit_probability_chart", ["income", "P(deficit)"])
    line = alt.Chart(data, title=title).mark_line().encode(
        x=alt.X("income:Q", title="income (CNY)"),
        y=alt.Y("P(deficit):Q", title="P(payments > income)", scale=alt.Scale(type="log")),
        tooltip=[alt.Tooltip("income:Q", format=",.0f"), alt.Tooltip("P(deficit):Q", format=".3g")])
    if target is None:
        return line
    target = checks.in_range("deficit_probability_chart", "target", target, 0.0, 1.0,
                                  lo_open=True, why="a probability, drawn on a log scale")
    rule = alt.Chart(pd.DataFrame({"target": [target]})).mark_rule(strokeDash=[4, 3]).encode(y="target:Q")
    return line + rule


def fan_chart(fan: pd.DataFrame, quantity: str = "balance", title: str | None = None):
    """Bands 5-95% and 25-75% with the median by year, from ``Projection.fan``."""
    import altair as alt

    fan = _data(fan, "fan_chart", ["year", "q05", "q25", "q50", "q75", "q95"])
    base = alt.Chart(fan, title=title or f"Projected {quantity}").encode(
        x=alt.X("year:O", title="year"))
    outer = base.mark_area(opacity=0.25).encode(y=alt.Y("q05:Q", title=f"{quantity} (CNY)"), y2="q95:Q")
    inner = base.mark_area(opacity=0.45).encode(y="q25:Q", y2="q75:Q")
    mid = base.mark_line().encode(y="q50:Q")
    return outer + inner + mid


# --- dashboards -------------------------------------------------------------------------------------
# The dashboards' charts: each takes a DataFrame already labelled in the page's language (the
# widgets put names on the library's codes) and the titles, so the same builder serves both
# languages and a notebook user can draw any of them from the library's tables.


def _scale(domain: list[str], colours: list[str] | None):
    import altair as alt

    return alt.Scale(domain=domain, range=colours) if colours else alt.Scale(domain=domain)


def grouped_bars_chart(data: pd.DataFrame, *, x: str, y: str, group: str, x_title: str, y_title: str,
                       group_title: str, groups: list[str], colours: list[str] | None = None,
                       x_sort: list | None = None, facet: str | None = None, facets: list[str] | None = None,
                       columns: int = 4, independent_y: bool = False, y_format: str = ",.1f",
                       x_label_angle: int = 0, title: str | None = None, width: int = 190, height: int = 170,
                       tooltip: list[tuple[str, str, str]] | None = None):
    """Bars of ``y`` by ``x``, one bar per ``group`` side by side (e.g. baseline and reform by
    income quintile), in one panel per ``facet`` value when given.

    ``data`` holds the columns named by ``x``, ``y``, ``group`` (and ``facet``); ``groups`` orders
    the groups and ``colours`` colours them; ``tooltip`` lists extra ``(column, title, format)``.
    """
    import altair as alt

    cols = [x, y, group] + ([facet] if facet else [])
    data = _data(data, "grouped_bars_chart", cols)
    tips = [alt.Tooltip(f"{c}:N" if f == "" else f"{c}:Q", title=t, **({"format": f} if f else {}))
            for c, t, f in (tooltip or [])]
    tips += [alt.Tooltip(f"{group}:N", title=group_title), alt.Tooltip(f"{y}:Q", title=y_title, format=y_format)]
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{x}:O" if pd.api.types.is_numeric_dtype(data[x]) else f"{x}:N", title=x_title,
                sort=x_sort, axis=alt.Axis(labelAngle=x_label_angle)),
        xOffset=alt.XOffset(f"{group}:N", sort=groups, title=group_title),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
        color=alt.Color(f"{group}:N", scale=_scale(groups, colours), title=group_title,
                        legend=alt.Legend(orient="top")),
        tooltip=tips,
    ).properties(width=width, height=height)
    if facet:
        chart = chart.facet(facet=alt.Facet(f"{facet}:N", sort=facets, title=None), columns=columns)
        if independent_y:
            chart = chart.resolve_scale(y="independent")
    return chart.properties(title=title) if title else chart


def density_marks_chart(density: pd.DataFrame, marks: pd.DataFrame, *, x_title: str, y_title: str,
                        marker_title: str, colours: list[str] | None = None, x_format: str = ",.0f",
                        title: str | None = None, width: int = 460, height: int = 200):
    """A density (``x``, ``density``) as an area with dashed rules at ``marks`` (``x``, ``mark``),
    e.g. the fund's income and the payments at the target quantile."""
    import altair as alt

    density = _data(density, "density_marks_chart", ["x", "density"])
    marks = _data(marks, "density_marks_chart", ["x", "mark"])
    names = list(marks["mark"])
    area = alt.Chart(density).mark_area(opacity=0.5, color="#5c6bc0").encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=x_format, tickCount=6, labelOverlap=True)),
        y=alt.Y("density:Q", title=y_title),
    )
    rules = alt.Chart(marks).mark_rule(strokeWidth=2, strokeDash=[5, 3]).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=marker_title, legend=alt.Legend(orient="bottom"), scale=_scale(names, colours)),
        tooltip=[alt.Tooltip("mark:N", title=marker_title), alt.Tooltip("x:Q", title=x_title, format=x_format)],
    )
    chart = (area + rules).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def deficit_curve_chart(data: pd.DataFrame, marks: pd.DataFrame, target: float, *, x_title: str, y_title: str,
                        marker_title: str, colours: list[str] | None = None, title: str | None = None,
                        width: int = 460, height: int = 200):
    """The probability of a deficit (``p``, in percent) against the contribution per member
    (``per_member``), the target as a horizontal rule and ``marks`` (``x``, ``mark``) as
    vertical rules."""
    import altair as alt

    data = _data(data, "deficit_curve_chart", ["per_member", "p"])
    marks = _data(marks, "deficit_curve_chart", ["x", "mark"])
    names = list(marks["mark"])
    line = alt.Chart(data).mark_line(color="#37474f").encode(
        x=alt.X("per_member:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.0f")),
        y=alt.Y("p:Q", title=y_title, scale=alt.Scale(domain=[0, 100])),
    )
    vrules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=marker_title, legend=alt.Legend(orient="bottom"), scale=_scale(names, colours)),
        tooltip=[alt.Tooltip("mark:N", title=marker_title), alt.Tooltip("x:Q", title=x_title, format=",.0f")],
    )
    hrule = alt.Chart(pd.DataFrame({"y": [float(target)]})).mark_rule(color="#c62828", strokeDash=[5, 3]).encode(
        y="y:Q")
    chart = (line + vrules + hrule).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def fan_bands_chart(fan: pd.DataFrame, *, x_title: str, y_title: str, band_title: str, bands: tuple[str, str],
                    median_title: str, y_format: str = ",.0f", title: str | None = None,
                    width: int = 460, height: int = 220):
    """A projection fan (``year``, ``q05`` .. ``q95``): 5-95% and 25-75% bands named ``bands``,
    and the median."""
    import altair as alt

    fan = _data(fan, "fan_bands_chart", ["year", "q05", "q25", "q50", "q75", "q95"])
    long = pd.concat([fan.assign(lo=fan["q05"], hi=fan["q95"], band=bands[0]),
                      fan.assign(lo=fan["q25"], hi=fan["q75"], band=bands[1])])
    base = alt.Chart(long).encode(x=alt.X("year:O", title=x_title, axis=alt.Axis(labelAngle=0)))
    area = base.mark_area(opacity=0.35).encode(
        y=alt.Y("lo:Q", title=y_title, axis=alt.Axis(format=y_format)), y2="hi:Q",
        color=alt.Color("band:N", title=band_title, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=list(bands), range=["#90caf9", "#1e88e5"])),
    )
    mid = alt.Chart(fan).mark_line(color="#0d47a1", point=True).encode(
        x="year:O", y="q50:Q",
        tooltip=[alt.Tooltip("year:O", title=x_title), alt.Tooltip("q50:Q", title=median_title, format=y_format)],
    )
    chart = (area + mid).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def range_bars_chart(data: pd.DataFrame, marks: pd.DataFrame, *, x_title: str, marker_title: str,
                     colours: list[str] | None = None, x_format: str = ",.0f", title: str | None = None,
                     tooltip_titles: tuple[str, str, str, str] = ("", "", "", ""), width: int = 520,
                     height: int = 110):
    """Horizontal bars from ``low`` to ``high`` for each ``name`` (a tornado chart: the estimate
    at each end of an input's range), with vertical rules at ``marks`` (``x``, ``mark``, and
    optionally ``dash``: ``solid``/``dashed``). ``tooltip_titles`` name the name, range, low and
    high in the tooltip; ``data`` may carry a ``range`` text column."""
    import altair as alt

    data = _data(data, "range_bars_chart", ["name", "low", "high"])
    marks = _data(marks, "range_bars_chart", ["x", "mark"])
    order = list(data["name"])
    tips = [alt.Tooltip("name:N", title=tooltip_titles[0] or None)]
    if "range" in data.columns:
        tips.append(alt.Tooltip("range:N", title=tooltip_titles[1] or None))
    tips += [alt.Tooltip("low:Q", title=tooltip_titles[2] or None, format=x_format),
             alt.Tooltip("high:Q", title=tooltip_titles[3] or None, format=x_format)]
    bars = alt.Chart(data).mark_bar(height=26, color="#5c6bc0").encode(
        y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("low:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=x_format)),
        x2="high:Q", tooltip=tips,
    )
    enc = dict(x="x:Q", color=alt.Color("mark:N", title=marker_title, legend=alt.Legend(orient="bottom"),
                                         scale=_scale(list(dict.fromkeys(marks["mark"])), colours)))
    if "dash" in marks.columns:
        enc["strokeDash"] = alt.StrokeDash("dash:N", legend=None,
                                           scale=alt.Scale(domain=["solid", "dashed"], range=[[1, 0], [5, 4]]))
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(**enc)
    chart = (bars + rules).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def histogram_marks_chart(data: pd.DataFrame, marks: pd.DataFrame, *, x_title: str, y_title: str,
                          marker_title: str, colours: list[str] | None = None, x_format: str = ",.0f",
                          title: str | None = None, width: int = 520, height: int = 200):
    """A histogram from bins (``lower``, ``upper``, ``share`` in percent) with rules at ``marks``
    (``x``, ``mark``), e.g. the Monte Carlo draws with the interval's ends."""
    import altair as alt

    data = _data(data, "histogram_marks_chart", ["lower", "upper", "share"])
    marks = _data(marks, "histogram_marks_chart", ["x", "mark"])
    bars = alt.Chart(data).mark_rect(color="#90a4ae", stroke="white", strokeWidth=0.5).encode(
        x=alt.X("lower:Q", title=x_title, scale=alt.Scale(zero=False), axis=alt.Axis(format=x_format)),
        x2="upper:Q", y=alt.Y("share:Q", title=y_title), y2=alt.datum(0),
    )
    rules = alt.Chart(marks).mark_rule(strokeWidth=2).encode(
        x="x:Q",
        color=alt.Color("mark:N", title=marker_title, legend=alt.Legend(orient="bottom"),
                        scale=_scale(list(dict.fromkeys(marks["mark"])), colours)),
        tooltip=[alt.Tooltip("mark:N", title=marker_title), alt.Tooltip("x:Q", title=x_title, format=x_format)],
    )
    chart = (bars + rules).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def stacked_bars_chart(data: pd.DataFrame, *, y: str, x: str, part: str, order: list[str], colours: list[str],
                       y_order: list[str], x_title: str, part_title: str, x_format: str = ",.2f",
                       title: str | None = None, width: int = 360, height: int = 90):
    """Horizontal bars of ``x`` for each ``y`` (e.g. fund, patient), stacked by ``part`` in
    ``order`` (e.g. the patient's share split by why they pay)."""
    import altair as alt

    data = _data(data, "stacked_bars_chart", [y, x, part])
    data = data.assign(_order=[order.index(p) if p in order else len(order) for p in data[part]])
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y(f"{y}:N", title=None, sort=y_order),
        x=alt.X(f"{x}:Q", title=x_title, stack="zero"),
        color=alt.Color(f"{part}:N", title=part_title, scale=alt.Scale(domain=order, range=colours)),
        order=alt.Order("_order:Q"),
        tooltip=[alt.Tooltip(f"{part}:N", title=part_title), alt.Tooltip(f"{x}:Q", title=x_title, format=x_format)],
    ).properties(width=width, height=height)
    return chart.properties(title=title) if title else chart


def stacked_areas_chart(data: pd.DataFrame, *, x: str, y: str, part: str, order: list[str], colours: list[str],
                        x_title: str, y_title: str, part_title: str, rule_at: float | None = None,
                        title: str | None = None, width: int = 400, height: int = 200):
    """Areas of ``y`` against ``x`` stacked by ``part`` in ``order`` (e.g. what the fund and the
    patient pay as one claim's cost grows), with a dashed rule at ``rule_at``."""
    import altair as alt

    data = _data(data, "stacked_areas_chart", [x, y, part])
    data = data.assign(_order=[order.index(p) if p in order else len(order) for p in data[part]])
    areas = alt.Chart(data).mark_area(opacity=0.85).encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=",.0f")),
        y=alt.Y(f"{y}:Q", title=y_title, stack="zero", axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{part}:N", title=part_title, scale=alt.Scale(domain=order, range=colours)),
        order=alt.Order("_order:Q"),
    )
    chart = areas
    if rule_at is not None:
        chart = areas + alt.Chart(pd.DataFrame({x: [float(rule_at)]})).mark_rule(
            strokeDash=[4, 3], color="#000").encode(x=f"{x}:Q")
    chart = chart.properties(width=width, height=height)
    return chart.properties(title=title) if title else chart
