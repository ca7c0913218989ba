"""Sources: the one citation type, numbers that carry their source, and the project's data files.

Everything healthcover states comes from somewhere: a scheme parameter from an article of a
seed document, a calibration statistic from a line of one, a modelling choice from a stated
assumption. :class:`Source` is that "somewhere" for all of them; :class:`Cited` is a number
(or a small table) with its unit, its meaning and its :class:`Source`. Data files are YAML
under ``data/`` (shipped inside the package as ``healthcover/_data``), read with the same
strict reader as scheme files (:func:`read_yaml`): not UTF-8, a key given twice, aliases that
blow up and tags that build Python objects are errors naming the file and line.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from healthcover.errors import HealthcoverError

__all__ = ["Source", "Cited", "read_yaml", "data_path", "read_cited", "MAX_EXPANDED_NODES", "MAX_DEPTH"]

#: YAML aliases may share a table (scheme files do), but the document they expand to stays
#: small: a few thousand nodes in the bundled files.
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 64


class Source(BaseModel):
    """Where a rule or a number comes from: seed document, article or section, lines, quote.

    An assumption has ``doc: assumption`` and says why in ``note`` (and, for a number from
    outside the seed documents, where it comes from)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc: str
    article: Optional[str] = None
    lines: Optional[str] = None
    quote: Optional[str] = None
    note: Optional[str] = None
    #: the note in Chinese, for pages that show an assumption to a Chinese reader
    note_zh: Optional[str] = None

    @property
    def is_assumption(self) -> bool:
        return self.doc == "assumption"

    def cite(self) -> str:
        """``doc 004, Art. 23(二)2 (L381): 「成年人:6万元」``; an assumption says so."""
        if self.is_assumption:
            return f"assumption: {self.note or ''}".rstrip()
        parts = [f"doc {self.doc}"]
        if self.article:
            parts.append(self.article)
        text = ", ".join(parts)
        if self.lines:
            text += f" ({self.lines})"
        if self.quote:
            text += f": 「{self.quote}」"
        return text


class Cited(BaseModel):
    """A number (or a small table of numbers) with its unit, meaning and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Any
    unit: str
    description: str
    source: Source
    year: Optional[str] = None

    # The fields of the former per-module types, read through the source.
    @property
    def doc(self) -> str:
        return self.source.doc

    @property
    def section(self) -> str | None:
        return self.source.article

    @property
    def line(self) -> str | None:
        return self.source.lines

    @property
    def quote(self) -> str | None:
        return self.source.quote

    @property
    def note(self) -> str | None:
        return self.source.note

    @property
    def is_assumption(self) -> bool:
        return self.source.is_assumption

    def cite(self) -> str:
        return self.source.cite()

    def row(self) -> dict[str, Any]:
        """The number and its source as one flat table row."""
        return {"value": self.value, "unit": self.unit, "description": self.description,
                "doc": self.doc, "section": self.section, "line": self.line, "quote": self.quote,
                "year": self.year, "note": self.note}


# --------------------------------------------------------------------------- safe YAML

# libyaml's parser is about ten times faster (a dashboard kernel's start reads several files);
# the constructor is PyYAML's safe one either way, so the checks below apply to both.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc, valid-type]
    pass


def _timestamp(loader, node):
    # PyYAML raises a bare ValueError for 2024-02-30; say where it is instead.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def read_yaml(path: Path, text: str | bytes | None = None) -> Any:
    """The YAML document of ``path`` (or of ``text``), read strictly (see the module docstring)."""
    data = path.read_bytes() if text is None else text
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise HealthcoverError(
                f"{path}: line {line}: the bytes {data[exc.start:exc.start + 4]!r} are not UTF-8; "
                "save the file as UTF-8"
            ) from None
    loader = _Loader(data)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _check_nodes(node, path)
        if problems:
            raise HealthcoverError("\n".join(problems))
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise HealthcoverError(f"{path}: not valid YAML: {_yaml_message(exc)}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # a value PyYAML cannot build
        if isinstance(exc, HealthcoverError):
            raise
        raise HealthcoverError(f"{path}: not valid YAML: {type(exc).__name__}: {exc}") from None
    finally:
        loader.dispose()


def _yaml_message(exc: yaml.YAMLError) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) < 300 else text[:297] + "..."


def _check_nodes(root: yaml.Node, path: Path) -> list[str]:
    """Duplicate keys, alias expansion and depth, from the node graph before construction."""
    problems: list[str] = []
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 0, False)]  # (node, depth, children done?)
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            if size[key] > MAX_EXPANDED_NODES:
                return [f"{path}: line {node.start_mark.line + 1}: YAML aliases expand this document beyond "
                        f"{MAX_EXPANDED_NODES:,} nodes; write the tables out or share fewer aliases"]
            continue
        if key in size:
            continue
        if key in on_path:  # a recursive alias
            return [f"{path}: line {node.start_mark.line + 1}: a YAML alias refers to itself"]
        if depth > MAX_DEPTH:
            return [f"{path}: line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep"]
        on_path.add(key)
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for k, _ in node.value:
                if not isinstance(k, yaml.ScalarNode) or k.tag == "tag:yaml.org,2002:merge":
                    continue
                if k.value in seen:
                    problems.append(
                        f"{path}: line {k.start_mark.line + 1}: key {k.value!r} is given twice in one mapping "
                        f"(first on line {seen[k.value]}); a later value would silently replace the first"
                    )
                else:
                    seen[k.value] = k.start_mark.line + 1
        for child in _children(node):
            stack.append((child, depth + 1, False))
    return problems


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


# --------------------------------------------------------------------------- data files


def data_dirs() -> list[Path]:
    """Folders holding the project's data: the installed package data, then the repository's."""
    dirs = []
    try:
        packaged = resources.files("healthcover") / "_data"
        if packaged.is_dir():
            dirs.append(Path(str(packaged)))
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - odd installs
        pass
    repo = Path(__file__).resolve().parents[1] / "data"
    if repo.is_dir() and repo not in dirs:
        dirs.append(repo)
    return dirs


def data_path(*parts: str) -> Path:
    """The path of a data file (``data_path("statistics", "calibration.yaml")``)."""
    for d in data_dirs():
        p = d.joinpath(*parts)
        if p.exists():
            return p
    raise HealthcoverError(f"data file {'/'.join(parts)} is missing from {', '.join(map(str, data_dirs()))}")


@lru_cache(maxsize=64)
def _read_data(path: str, mtime_ns: int) -> Any:
    return read_yaml(Path(path))


def read_data(*parts: str) -> Any:
    """A data file's YAML (cached by path and modification time)."""
    p = data_path(*parts)
    return _read_data(str(p), p.stat().st_mtime_ns)


def read_cited(mapping: Mapping[str, Any], where: str) -> dict[str, Cited]:
    """``{name: Cited}`` from a YAML mapping of entries (value, unit, description, source),
    with every problem named by file and field."""
    if not isinstance(mapping, Mapping):
        raise HealthcoverError(f"{where}: expected a mapping of cited numbers")
    out, problems = {}, []
    for name, entry in mapping.items():
        try:
            out[str(name)] = Cited.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append(f"{where}.{name}.{loc}: {err['msg']}")
    if problems:
        raise HealthcoverError("\n".join(problems))
    return out
