"""The report build: every notebook under ``notebooks/`` executed, as a static offline site.

::

    make report                                   # or: python -m healthcover.report
    python -m healthcover.report -p n_households 20000 -p catastrophic-spending:seed 7
    python -m healthcover.report --only illness-induced-poverty --no-pdf

Each notebook under ``notebooks/`` (not ``notebooks/dashboards/``) runs top to bottom with
papermill from its ``parameters`` cell; ``-p NAME VALUE`` sets a parameter in every notebook
that has it, ``-p NOTEBOOK:NAME VALUE`` in one. The build writes ``build/report/``:

* ``index.html``: the front page (package version, git commit and whether the tree was dirty,
  Python and key package versions, the environment lock, build time, and the parameters each
  notebook ran with, defaults and overrides);
* ``<notebook>.html``: one page per notebook (nbconvert, lab template without CDN links;
  Altair charts drawn to inline SVG by vl-convert);
* ``citations.html``: every scheme parameter with its source (the quote in its display form);
* ``references.html``: the works the notebooks cite by key (``[@xu2003]``), from
  ``docs/references.bib``;
* ``downloads/``: every table a notebook shows, as CSV and Excel;
* ``print.html`` and ``report.pdf`` (headless chromium) with everything in one document, code
  hidden, every table fitted to A4 (scaled, or on landscape pages);
* ``notebooks/<notebook>.ipynb`` (the executed notebooks) and ``manifest.json``.

Code is hidden in the pages behind a "Show code" switch (no script needed) and in the PDF;
tables show as :func:`healthcover.tables.reader_table` writes them (names, not codes; blanks,
not NaN).

Kernels run with ``PYTHONHASHSEED=0``, one BLAS thread, progress bars off and charts as
Vega-Lite specs (a clean IPython profile), so two builds from one commit give the same
numbers: :func:`report_numbers` extracts them and ``tests/test_report.py`` compares two builds;
with ``SOURCE_DATE_EPOCH`` set the two builds are byte-identical.

Modules: ``notebooks`` (find, parameters, run), ``stamp`` (git, lock, versions, time),
``outputs`` (charts, widgets, tables out of the executed notebooks), ``site`` (pages),
``bibliography``, ``downloads`` (the table writer), ``pdf``, ``build``, ``numbers``, ``cli``.
A failing cell stops the build with :class:`NotebookFailed`, which names the notebook, the
cell (index, first line, line in the ``.py`` pair) and the error; the executed notebook with
the full traceback is kept in ``build/report-failed/``.
"""
from __future__ import annotations

from healthcover.report.build import build_report, research_size
from healthcover.report.cli import cli, main
from healthcover.report.errors import NotebookFailed, ReportError
from healthcover.report.notebooks import (Parameter, find_notebooks, notebook_parameters,
                                          parse_value)
from healthcover.report.numbers import report_numbers
from healthcover.report.outputs import chart_svg, external_references, static_outputs
from healthcover.report.pdf import CHROMIUM, CHROMIUM_ARGS, local_files_only
from healthcover.report.stamp import build_stamp, git_state, lock_status, read_lock

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "NotebookFailed",
    "Parameter",
    "ReportError",
    "build_report",
    "build_stamp",
    "chart_svg",
    "cli",
    "external_references",
    "find_notebooks",
    "git_state",
    "local_files_only",
    "lock_status",
    "main",
    "notebook_parameters",
    "parse_value",
    "read_lock",
    "report_numbers",
    "research_size",
    "static_outputs",
]
