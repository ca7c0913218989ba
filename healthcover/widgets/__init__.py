"""Dashboard building blocks: offline charts, bilingual labels, the page frame.

Controls and charts only; insurance rules live in the library (``healthcover.claims`` ...).
"""
from healthcover.widgets.charts import InteractiveChart, SvgChart, chart_svg, chart_widget
from healthcover.widgets.i18n import (
    LABELS,
    both,
    fmt_money,
    fmt_number,
    fmt_pct,
    language_toggle,
    register,
    text,
)
from healthcover.widgets.page import Page

__all__ = [
    "LABELS",
    "InteractiveChart",
    "Page",
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
