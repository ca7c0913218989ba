"""``build_report``: run the notebooks, write the site, swap it into place."""
from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from healthcover.report.bibliography import Bibliography
from healthcover.report.errors import NotebookFailed, ReportError
from healthcover.report.notebooks import (KERNEL_SETUP_NOTE, Notebook, execute, find_notebooks,
                                          kernel_environment, notebook_parameters,
                                          notebook_title, resolve_overrides, stable_ids)
from healthcover.report.pdf import CHROMIUM
from healthcover.report.stamp import build_stamp

__all__ = ["build_report", "research_size"]


def research_size(notebooks: Sequence[Notebook]) -> dict[str, Any]:
    """Whether each notebook ran at the size its metadata calls research size
    (``metadata.healthcover.research_size``: ``{parameter: minimum}``); the front page says
    which parameters a reduced build lowered and how to run the full one."""
    import nbformat

    reduced = []
    for nb in notebooks:
        meta = nbformat.read(nb.path, as_version=4).metadata.get("healthcover", {})
        for name, minimum in (meta.get("research_size") or {}).items():
            value = nb.overrides.get(name, (nb.parameters[name].default if name in nb.parameters
                                            else None, ""))[0]
            if isinstance(value, (int, float)) and value < minimum:
                reduced.append({"notebook": nb.name, "parameter": name, "value": value,
                                "minimum": minimum})
    return {"full": not reduced, "reduced": reduced,
            "command": "make report   (python -m healthcover.report)"}


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
    bibliography: Path | str | None = None,
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
    bibliography : the BibTeX file the notebooks cite from (default ``docs/references.bib``
        beside the notebooks directory).

    With ``SOURCE_DATE_EPOCH`` set, the build time is that instant and run times are left
    out: two builds of one commit with the same options are byte-identical (HTML, PDF,
    downloads, executed notebooks, manifest).

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
    notebooks = [Notebook(n, p, notebook_parameters(p)) for n, p in names.items()]
    resolve_overrides(notebooks, parameters)
    stamp = build_stamp(root, command or _command(parameters, only, pdf), kernel_name,
                        KERNEL_SETUP_NOTE)
    stamp["research_size"] = research_size(notebooks)
    bib_path = Path(bibliography) if bibliography else root / "docs" / "references.bib"
    bib = Bibliography(bib_path) if bib_path.exists() else None

    partial = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "notebooks").mkdir(parents=True)
    tables_dir = out_dir.parent / f".{out_dir.name}.tables-{os.getpid()}"
    shutil.rmtree(tables_dir, ignore_errors=True)
    try:
        executed: dict[str, Any] = {}
        bar = tqdm(total=len(notebooks), desc="report", unit="notebook", position=0,
                   disable=not progress, dynamic_ncols=True)
        with bar, kernel_environment():
            for nb in notebooks:
                bar.set_postfix_str(nb.name)
                target = partial / "notebooks" / f"{nb.slug}.ipynb"
                execute(nb, target, tables_dir=tables_dir / nb.slug, kernel_name=kernel_name,
                        timeout=timeout, progress=progress, root=root)
                executed[nb.name] = stable_ids(
                    nbformat.read(target, as_version=4), timings=not stamp["source_date_epoch"],
                    paths={"input_path": nb.rel(root),
                           "output_path": f"notebooks/{nb.slug}.ipynb"})
                nbformat.write(executed[nb.name], target)
                nb.title = notebook_title(executed[nb.name], nb.name)
                bar.update(1)
                if progress:
                    bar.write(f"  ran {nb.name} in {nb.seconds:.1f} s")
        from healthcover.report.site import write_site

        write_site(partial, notebooks, executed, stamp, root, tables_dir=tables_dir, pdf=pdf,
                   chromium=chromium, progress=progress, bibliography=bib)
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
    finally:
        shutil.rmtree(tables_dir, ignore_errors=True)
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    partial.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(out_dir.parent / f"{out_dir.name}-failed", ignore_errors=True)
    return out_dir

