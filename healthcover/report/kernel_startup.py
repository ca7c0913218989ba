# Written into a fresh IPython profile by healthcover.report (notebooks.kernel_environment):
# the setup of every report kernel, run before the notebook's first cell. Not imported by the
# package; it is read as text.
import os as _os

_os.environ["TQDM_DISABLE"] = "1"  # progress bars are not report content (and carry timings)


def _healthcover_report_setup():
    ip = get_ipython()  # noqa: F821 - defined in IPython startup files
    if ip is None:
        return
    try:
        import altair as alt
    except ImportError:
        pass
    else:
        # Charts leave the kernel as Vega-Lite specs, which the builder draws to SVG. Altair's
        # own "mimetype" renderer writes application/vnd.vegalite.v6.json, which nbformat
        # rejects.
        vl_mime = "application/vnd.vegalite.v%s+json" % alt.SCHEMA_VERSION.lstrip("v").split(".")[0]
        alt.renderers.register(
            "healthcover-report",
            lambda spec, **_: ({vl_mime: spec, "text/plain": "<Vega-Lite chart>"}, {}),
        )
        alt.renderers.enable("healthcover-report")

    # Tables: every DataFrame (and healthcover.tables.ReaderTable) is shown as a reader reads
    # it (blanks, not NaN; numbers with separators) and saved whole for the report's CSV and
    # Excel downloads; the builder replaces the record below by the download links.
    import pandas as pd
    from IPython.core.formatters import JSONFormatter
    from traitlets import ObjectName, Unicode

    from healthcover.report.capture import TABLE_MIME, html_for_report, record_table
    from healthcover.tables import ReaderTable

    class TableRecord(JSONFormatter):
        format_type = Unicode(TABLE_MIME)
        print_method = ObjectName("_repr_healthcover_table_")  # no object has one

    formatters = ip.display_formatter.formatters
    formatters[TABLE_MIME] = TableRecord(parent=ip.display_formatter)
    for kind, func in ((TABLE_MIME, record_table), ("text/html", html_for_report)):
        formatters[kind].for_type(pd.DataFrame, func)
        formatters[kind].for_type(ReaderTable, func)
    if TABLE_MIME not in ip.display_formatter.active_types:
        ip.display_formatter.active_types.append(TABLE_MIME)


_healthcover_report_setup()
del _healthcover_report_setup, _os
