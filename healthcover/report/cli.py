"""The command line: ``python -m healthcover.report`` and the ``healthcover report`` script."""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from healthcover.report.build import _default_notebooks_dir, build_report
from healthcover.report.errors import ReportError
from healthcover.report.notebooks import find_notebooks, notebook_parameters, parse_value

__all__ = ["cli", "main"]


def _parser(prog: str = "python -m healthcover.report") -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog=prog,
        description="Execute every notebook under notebooks/ (not the dashboards) with papermill "
                    "and build an offline HTML report (and PDF) under build/report/.",
    )
    ap.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                    metavar=("NAME", "VALUE"),
                    help="set a parameter in every notebook that has it; NOTEBOOK:NAME sets it "
                         "in one notebook. VALUE is a Python literal (300, 0.5, [1, 2], True) "
                         "or else a string. Repeatable; recorded on the front page.")
    ap.add_argument("--only", action="append", metavar="NOTEBOOK",
                    help="build only this notebook (name under notebooks/ without .ipynb); "
                         "repeatable")
    ap.add_argument("-o", "--out", type=Path, default=None,
                    help="output directory (default: build/report)")
    ap.add_argument("--notebooks", type=Path, default=None,
                    help="notebooks directory (default: ./notebooks)")
    ap.add_argument("--no-pdf", action="store_true", help="skip report.pdf")
    ap.add_argument("--bibliography", type=Path, default=None,
                    help="BibTeX file the notebooks cite from (default: docs/references.bib)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds a cell may run (1800)")
    ap.add_argument("--kernel", default=None, help="kernel name (default: each notebook's own)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    ap.add_argument("--list", action="store_true",
                    help="list the notebooks and their parameters, and exit")
    return ap


def main(argv: Sequence[str] | None = None, prog: str = "python -m healthcover.report") -> int:
    """``python -m healthcover.report``; returns the exit status (1 when the build failed)."""
    args = _parser(prog).parse_args(argv)
    notebooks_dir = args.notebooks or _default_notebooks_dir()
    if args.list:
        try:
            for path in find_notebooks(notebooks_dir):
                print(path.relative_to(notebooks_dir).with_suffix(""))
                for p in notebook_parameters(path).values():
                    default = repr(p.default) if p.literal else p.default
                    print(f"    {p.name} = {default}" + (f"  # {p.note}" if p.note else ""))
        except ReportError as exc:
            print(f"\n{exc}", file=sys.stderr)
            return 1
        return 0
    parameters = {name: parse_value(value) for name, value in args.parameter}
    argv_list = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["python", "-m", "healthcover.report", *argv_list])
    start = time.perf_counter()
    try:
        out = build_report(args.out, notebooks_dir=notebooks_dir, parameters=parameters,
                           only=args.only, pdf=not args.no_pdf, progress=not args.quiet,
                           timeout=args.timeout, kernel_name=args.kernel, command=command,
                           bibliography=args.bibliography)
    except ReportError as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    index = out / "index.html"
    print(f"Report built in {time.perf_counter() - start:.0f} s: {index.as_uri()}")
    return 0


def cli(argv: Sequence[str] | None = None) -> int:
    """``healthcover report ...``: the ``healthcover`` console script's ``report`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage: healthcover report [options]   (healthcover report --help for options)")
        return 0 if argv else 2
    if argv[0] != "report":
        print(f"healthcover: unknown command {argv[0]!r}; commands: report", file=sys.stderr)
        return 2
    return main(argv[1:], prog="healthcover report")


