"""Notebooks of the report: finding them, their parameters, running them under papermill.

Parameters come from :func:`papermill.inspect_notebook` (the cell tagged ``parameters``), so
the report lists exactly what papermill can set. Kernels run with ``PYTHONHASHSEED=0``, one
BLAS thread, a clean IPython profile whose startup file (``kernel_startup.py`` beside this
module) turns progress bars off, sends Altair charts out as Vega-Lite specs and records each
table a notebook shows, so two builds from one commit give the same numbers.
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from healthcover.report.capture import TABLES_ENV
from healthcover.report.errors import NotebookFailed, ReportError

__all__ = [
    "KERNEL_ENV", "KERNEL_SETUP_NOTE", "Parameter", "find_notebooks", "notebook_parameters",
    "parse_value",
]

KERNEL_ENV = {
    "PYTHONHASHSEED": "0",  # set and dict order of str keys fixed across runs
    # One BLAS/OpenMP thread: sums come out the same on any machine, and the 2 shared cores
    # are not oversubscribed.
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # no debugger warning on stderr
}
KERNEL_SETUP_NOTE = (
    "PYTHONHASHSEED=0, one BLAS thread, a clean IPython profile, progress bars off, Altair "
    "charts as Vega-Lite specs drawn to SVG by the builder (vl-convert), tables shown through "
    "healthcover.tables.reader_table and saved for download"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# A line of a parameters cell that assigns at the top level: "name = ...", "name: int = ...",
# "a, b = ..." (the last papermill cannot read).
_ASSIGNMENT = re.compile(r"^([A-Za-z_][\w\s,]*?)\s*(?::[^=]+)?=(?!=)")


@dataclass(frozen=True)
class Parameter:
    """One assignment in a notebook's ``parameters`` cell."""

    name: str
    default: Any  # the literal value, or the source text when it is not a literal
    literal: bool
    note: str = ""  # the comment on the assignment's line


@dataclass
class Notebook:
    """One notebook of a build: where it is, its parameters, what this build set, and what the
    run gave (title, seconds, chart and table counts)."""


    name: str  # path under notebooks/ without .ipynb: "catastrophic-spending"
    path: Path
    parameters: dict[str, Parameter]
    overrides: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (value, set by)
    title: str = ""
    seconds: float = 0.0
    charts: int = 0
    tables: int = 0
    workbook: str | None = None  # downloads/<slug>.xlsx, every table of the notebook

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", self.name)

    @property
    def page(self) -> str:
        return f"{self.slug}.html"

    def rel(self, root: Path) -> str:
        try:
            return str(self.path.relative_to(root))
        except ValueError:
            return str(self.path)


def find_notebooks(notebooks_dir: Path | str) -> list[Path]:
    """Every ``.ipynb`` under ``notebooks_dir``, sorted, without dashboards and checkpoints."""
    notebooks_dir = Path(notebooks_dir)
    return sorted(
        p for p in notebooks_dir.rglob("*.ipynb")
        if "dashboards" not in p.relative_to(notebooks_dir).parts
        and ".ipynb_checkpoints" not in p.parts
    )


def _parameters_cell(nb) -> tuple[int, Any] | None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return i, cell
    return None


def notebook_parameters(path: Path | str) -> dict[str, Parameter]:
    """The parameters papermill finds in a notebook's ``parameters`` cell, in order, with their
    defaults (the Python literal, or the source text when it is not one) and notes (the comment
    on the line).

    Raises :class:`ReportError` naming the notebook when no cell is tagged ``parameters``, or
    naming the line when the cell assigns something papermill cannot read (``a, b = 1, 2``, or
    an ``=`` inside the note), which papermill would otherwise skip without a word.
    """
    import nbformat
    import papermill

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    found = _parameters_cell(nb)
    if found is None:
        raise ReportError(
            f"{path}: no code cell is tagged 'parameters'; tag the first code cell so papermill "
            "can set its values (View > Cell Toolbar > Tags in Jupyter)"
        )
    try:
        inspected = papermill.inspect_notebook(str(path))
    except Exception as exc:  # noqa: BLE001 - papermill's own errors vary; name the notebook
        raise ReportError(f"{path}: papermill cannot inspect the parameters cell: {exc}") from exc
    params: dict[str, Parameter] = {}
    for name, p in inspected.items():
        text = str(p.get("default", ""))
        value = parse_value(text)
        literal = value is not text
        params[name] = Parameter(name, value if literal else text, literal, str(p.get("help", "")))
    for number, line in enumerate(found[1].source.splitlines(), 1):
        m = _ASSIGNMENT.match(line)
        if m and m.group(1).strip() not in params:
            raise ReportError(
                f"{path}: line {number} of the parameters cell, {line.strip()!r}, is not a "
                "parameter papermill can read; write one 'name = value  # note' per line, "
                "with no '=' in the note"
            )
    return params


def notebook_title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def parse_value(text: str) -> Any:
    """A ``-p`` value: a Python literal (``300``, ``0.5``, ``[1, 2]``, ``True``) or else a string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def resolve_overrides(notebooks: Sequence[Notebook], parameters: Mapping[str, Any]) -> None:
    """Attach ``parameters`` (``name`` for every notebook that has it, ``notebook:name`` for
    one) to ``notebooks``; a name no selected notebook has is an error, not a silent no-op."""
    by_name = {nb.name: nb for nb in notebooks}
    global_, single = {}, {}
    for key, value in parameters.items():
        nb_name, sep, name = key.rpartition(":")
        if not sep:
            global_[name] = value
            continue
        if nb_name not in by_name:
            raise ReportError(
                f"-p {key}: no notebook {nb_name!r} in this build; notebooks: "
                + ", ".join(by_name)
            )
        if name not in by_name[nb_name].parameters:
            raise ReportError(
                f"-p {key}: notebook {nb_name} has no parameter {name!r}; its parameters: "
                + (", ".join(by_name[nb_name].parameters) or "none")
            )
        single[(nb_name, name)] = (value, key)
    for name, value in global_.items():
        users = [nb for nb in notebooks if name in nb.parameters]
        if not users:
            known = sorted({p for nb in notebooks for p in nb.parameters})
            raise ReportError(
                f"-p {name}: no notebook in this build has a parameter {name!r}; "
                f"parameters: {', '.join(known)}"
            )
        for nb in users:
            nb.overrides[name] = (value, f"-p {name}")
    for (nb_name, name), (value, key) in single.items():  # one notebook wins over all
        by_name[nb_name].overrides[name] = (value, f"-p {key}")


# --------------------------------------------------------------------------------------------
# Running notebooks


@contextlib.contextmanager
def kernel_environment() -> Iterator[None]:
    """Kernels started inside inherit these variables and a fresh IPython profile whose
    startup file (``kernel_startup.py``) fixes the renderers and turns progress bars off."""
    startup_code = resources.files("healthcover.report").joinpath("kernel_startup.py").read_text(
        encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="healthcover-report-ipython-") as ipython_dir:
        startup = Path(ipython_dir, "profile_default", "startup")
        startup.mkdir(parents=True)
        (startup / "00-healthcover-report.py").write_text(startup_code, encoding="utf-8")
        # The kernel talks to this process over loopback; its warning about unencrypted TCP
        # would otherwise interleave with the progress bars once per notebook.
        (startup.parent / "ipython_kernel_config.py").write_text(
            'c.IPKernelApp.log_level = "ERROR"\n', encoding="utf-8")
        with _environ({**KERNEL_ENV, "IPYTHONDIR": ipython_dir}):
            yield


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with ``env`` set (kernels started inside inherit it), restored after."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _py_pair_line(path: Path, cell_index: int) -> str:
    """``notebooks/x.py:88``: where the cell starts in the jupytext percent pair, if any."""
    pair = path.with_suffix(".py")
    if not pair.exists():
        return ""
    markers = [i for i, line in enumerate(pair.read_text(encoding="utf-8").splitlines())
               if line.startswith("# %%")]
    if cell_index >= len(markers):
        return ""
    return f"{pair.name} line {markers[cell_index] + 2}"


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()
    return "(empty cell)"


def _failure(nb: Notebook, executed_path: Path, exc: BaseException, root: Path) -> NotebookFailed:
    """Turn what papermill raised into a message naming the cell of the *original* notebook."""
    import nbformat

    try:
        executed = nbformat.read(executed_path, as_version=4)
    except Exception:  # noqa: BLE001 (no executed notebook: name the notebook without a cell)
        executed = None
    else:
        # papermill saves two marker cells before the failing one; its cell_index predates them
        executed.cells = [c for c in executed.cells
                          if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    index = getattr(exc, "cell_index", None)
    cell = None
    if executed is not None:
        if index is None:  # timeout or dead kernel: the last cell papermill started
            started = [i for i, c in enumerate(executed.cells)
                       if c.metadata.get("papermill", {}).get("start_time")]
            index = started[-1] if started else None
        if index is not None and index < len(executed.cells):
            cell = executed.cells[index]
    original_index = None
    if cell is not None:
        original = nbformat.read(nb.path, as_version=4)
        ids = [c.get("id") for c in original.cells]
        if cell.get("id") in ids:
            original_index = ids.index(cell.get("id"))
        elif "injected-parameters" in cell.metadata.get("tags", []):
            original_index = None
    if hasattr(exc, "ename"):
        evalue = str(exc.evalue)
        evalue = evalue if len(evalue) <= 600 else evalue[:600] + " ... (truncated)"
        error = f"{exc.ename}: {evalue}".rstrip(": ")
        frames = [_ANSI.sub("", line) for line in (exc.traceback or [])]
        arrows = [ln.strip() for frame in frames for ln in frame.splitlines()
                  if ln.lstrip().startswith("---->")]
        cell_line = re.sub(r"^---->\s*", "line ", arrows[0]) if arrows else ""
    else:
        text = str(exc).strip()
        error = f"{type(exc).__name__}: {text[:600]}" + (" ... (truncated)" if len(text) > 600 else "")
        cell_line = ""
    source = cell.source if cell is not None else ""
    params = ", ".join(f"{k}={v!r} ({by})" for k, (v, by) in nb.overrides.items())
    if cell is not None and original_index is None:
        # the failing cell is papermill's injected one: an override broke it
        return NotebookFailed(nb.rel(root), index, "the parameters injected by papermill", error,
                              cell_line=cell_line, parameters=params, executed=executed_path)
    return NotebookFailed(
        nb.rel(root), original_index, _first_line(source), error, cell_line=cell_line,
        py_line=_py_pair_line(nb.path, original_index) if original_index is not None else "",
        parameters=params, executed=executed_path,
    )


def stable_ids(nb, *, timings: bool = True, paths: Mapping[str, str] | None = None):
    """Make an executed notebook the same from one build to the next: papermill's injected
    cell gets a fixed id (papermill's is random), widget views fixed model ids (their state,
    which needs a live kernel, is dropped), its paths are given as ``paths``
    (``input_path``, ``output_path``: relative, not the temporary build directory), and
    without ``timings`` (``SOURCE_DATE_EPOCH`` builds) the start and end times go."""
    # Live widgets (progress bars) get random model ids and need a kernel: keep their text.
    nb.metadata.pop("widgets", None)
    for k, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = f"injected-parameters-{k}"
        for j, out in enumerate(cell.get("outputs", [])):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if isinstance(view, dict) and "model_id" in view:
                view["model_id"] = f"widget-{k}-{j}"
        if not timings:
            cell.metadata.pop("execution", None)  # nbclient's iopub timestamps
            for key in ("start_time", "end_time", "duration"):
                if key in cell.metadata.get("papermill", {}):
                    cell.metadata["papermill"][key] = None
    meta = nb.metadata.get("papermill")
    if meta is not None:
        meta.update(paths or {})
        if not timings:
            for key in ("start_time", "end_time", "duration"):
                meta[key] = None
    return nb


def execute(nb: Notebook, executed_path: Path, *, tables_dir: Path, kernel_name: str | None,
             timeout: float, progress: bool, root: Path) -> None:
    """Run ``nb`` with papermill into ``executed_path``; the tables it shows go to
    ``tables_dir`` (see ``kernel_startup.py``). A failure raises :class:`NotebookFailed`."""
    import papermill as pm

    params = {name: value for name, (value, _) in nb.overrides.items()}
    bar: Any = {"desc": nb.name, "position": 1, "leave": False} if progress else False
    start = time.perf_counter()
    tables_dir.mkdir(parents=True, exist_ok=True)
    try:
        with _environ({TABLES_ENV: str(tables_dir)}):
            pm.execute_notebook(
                str(nb.path), str(executed_path), parameters=params, kernel_name=kernel_name,
                cwd=str(nb.path.parent), progress_bar=bar, log_output=False,
                execution_timeout=timeout, start_timeout=120,
            )
    except Exception as exc:
        raise _failure(nb, executed_path, exc, root) from None
    nb.seconds = time.perf_counter() - start


