"""Dashboard building blocks: offline charts, bilingual labels, the page frame.

Controls and charts only; insurance rules live in the library (``healthcover.claims`` ...).
"""
import sys as _sys

# A dashboard kernel starts for every viewer. jsonschema (under altair) imports the optional
# rfc3987-syntax package when installed, which builds a grammar for a second and a half of CPU
# to check the "iri" string format: a format no chart schema uses. The dashboards skip it.
_sys.modules.setdefault("rfc3987_syntax", None)
from healthcover.widgets.charts import SvgChart, chart_svg, chart_widget
from healthcover.widgets.i18n import (
    LABELS,
    both,
    fmt_count,
    fmt_money,
    fmt_number,
    fmt_pct,
    fmt_points,
    language_toggle,
    register,
    text,
)
from healthcover.widgets.page import ChartPanel, Page, TablePanel, VisitorError, preheat_quietly, query_string


def __getattr__(name: str):
    if name == "InteractiveChart":  # altair loads only when asked for
        from healthcover.widgets.charts import _interactive_class

        return _interactive_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "LABELS",
    "ChartPanel",
    "InteractiveChart",
    "Page",
    "TablePanel",
    "VisitorError",
    "fmt_count",
    "fmt_points",
    "preheat_quietly",
    "query_string",
    "SvgChart",
    "both",
    "chart_svg",
    "chart_widget",
    "fmt_money",
    "fmt_number",
    "fmt_pct",
    "language_toggle",
    "register",
    "text",
]
