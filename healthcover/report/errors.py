"""The report build's two errors: a build that cannot start, and a notebook that failed."""
from __future__ import annotations

from pathlib import Path

__all__ = ["NotebookFailed", "ReportError"]


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
