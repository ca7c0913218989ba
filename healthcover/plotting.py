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
