"""Citations by key in the notebooks, and the bibliography, from a BibTeX file.

A markdown cell cites pandoc style: ``[@odonnell2008, ch. 18-19; @xu2003]``. The report
writes ``(O'Donnell et al. 2008, ch. 18-19; Xu et al. 2003)`` with each work linked to its
entry, and lists every cited work, formatted by pybtex's ``plain`` style, sorted by author
and year. Labels come from the authors' last names (one, two joined by "&", three or more
"et al."), or from a ``shortauthor`` field, or a ``shorthand`` field that replaces the label.
A cited key the file does not have stops the build, naming the notebook and the cell.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healthcover.report.errors import ReportError

__all__ = ["Bibliography", "CITATION"]

#: ``[@key]``, ``[@key, locator; @key2]`` (not a markdown link ``[text](url)``).
CITATION = re.compile(r"\[(?P<body>\s*-?@[^\[\]]*)\](?![(\[])")
_ITEM = re.compile(r"^\s*(?P<key>-?@[A-Za-z0-9_][\w:.#$%&+?<>~/-]*)\s*(?:,\s*(?P<locator>.*?))?\s*$")


def _plain(text: str) -> str:
    """A BibTeX name or field without braces and the commonest escapes."""
    from pybtex.richtext import Text

    try:
        return str(Text.from_latex(text))
    except Exception:  # noqa: BLE001 - fall back on removing braces
        return text.replace("{", "").replace("}", "").replace("\\&", "&")


@dataclass(frozen=True)
class Entry:
    key: str
    label: str  # "O'Donnell et al. 2008"
    sort_key: tuple
    html: str  # the formatted reference


class Bibliography:
    """The works of a BibTeX file, ready to cite: ``Bibliography(path)``."""

    def __init__(self, path: Path | str):
        from pybtex.database import parse_file
        from pybtex.plugin import find_plugin

        self.path = Path(path)
        if not self.path.exists():
            raise ReportError(f"{self.path}: no such BibTeX file (the notebooks' citations "
                              "need it)")
        try:
            data = parse_file(str(self.path), bib_format="bibtex")
        except Exception as exc:  # noqa: BLE001 - pybtex raises several kinds
            raise ReportError(f"{self.path}: not a readable BibTeX file: {exc}") from exc
        style = find_plugin("pybtex.style.formatting", "plain")()
        backend = find_plugin("pybtex.backends", "html")()
        formatted = {e.key: e.text.render(backend)
                     for e in style.format_entries(data.entries.values())}
        self.entries: dict[str, Entry] = {}
        for key, entry in data.entries.items():
            label, sort_key = self._label(key, entry)
            self.entries[key] = Entry(key, label, sort_key, formatted[key])

    @staticmethod
    def _label(key: str, entry: Any) -> tuple[str, tuple]:
        fields = entry.fields
        year = _plain(fields.get("year", "n.d."))
        if "shorthand" in fields:
            label = _plain(fields["shorthand"])
            return label, (label.lower(), year)
        persons = entry.persons.get("author") or entry.persons.get("editor") or []
        if "shortauthor" in fields:
            who = _plain(fields["shortauthor"])
        elif not persons:
            who = _plain(fields.get("title", key))
        else:
            names = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
            names = [n[0].upper() + n[1:] if n else n for n in names]
            who = (names[0] if len(names) == 1 else f"{names[0]} & {names[1]}"
                   if len(names) == 2 else f"{names[0]} et al.")
        sort = (re.sub(r"^(van|von|de|der)\s+", "", who, flags=re.I).lower(), year)
        return f"{who} {year}", sort

    def cite(self, body: str, target: str, where: str) -> tuple[str, list[str]]:
        """The markdown for one bracketed citation (``body`` without its brackets), author-year
        links to the entries, and its keys; ``target`` is the bibliography's page (``""``: this
        page)."""
        parts, keys = [], []
        for item in body.split(";"):
            m = _ITEM.match(item)
            if not m:
                raise ReportError(f"{where}: [{body}] is not a citation; write [@key] or "
                                  "[@key, locator; @key2]")
            key = m.group("key").lstrip("-@")
            if key not in self.entries:
                raise ReportError(
                    f"{where}: [{body}] cites {key!r}, which {self.path.name} does not have; "
                    f"its keys: {', '.join(sorted(self.entries))}")
            entry = self.entries[key]
            # A markdown link: nbconvert's markdown renderer keeps it whole (inline <a> tags
            # lose their text there).
            label = re.sub(r"([\[\]*_`\\])", r"\\\1", entry.label)
            text = f"[{label}]({target}#ref-{key})"
            if m.group("locator"):
                text += ", " + m.group("locator").replace("--", "\u2013")
            parts.append(text)
            keys.append(key)
        return "(" + "; ".join(parts) + ")", keys

    def render_markdown(self, source: str, target: str, where: str) -> tuple[str, list[str]]:
        """``source`` with every ``[@key ...]`` replaced by its HTML; returns the keys cited.
        Code spans and fenced blocks are left alone."""
        keys: list[str] = []
        pieces = re.split(r"(```.*?```|`[^`\n]*`)", source, flags=re.DOTALL)

        def replace(m: re.Match) -> str:
            text, cited = self.cite(m.group("body"), target, where)
            keys.extend(cited)
            return text

        out = [p if p.startswith("`") else CITATION.sub(replace, p) for p in pieces]
        return "".join(out), keys

    def html(self, keys: list[str] | None = None, *, heading: str = "References",
             level: int = 1, section_id: str = "references", link_to: str | None = None) -> str:
        """The bibliography (the works ``keys`` names, else all) as an HTML section. With
        ``link_to`` (a notebook's own list) entries carry no ids and their labels link to the
        full bibliography on that page."""
        wanted = self.entries.values() if keys is None else \
            [self.entries[k] for k in dict.fromkeys(keys)]
        items = []
        for e in sorted(wanted, key=lambda e: (e.sort_key, e.key)):
            label = html.escape(e.label)
            if link_to is None:
                items.append(f'<li id="ref-{e.key}"><span class="hc-bib-label">{label}</span> '
                             f"{e.html}</li>")
            else:
                items.append(f'<li><a class="hc-bib-label" href="{link_to}#ref-{e.key}">{label}'
                             f"</a> {e.html}</li>")
        ident = f' id="{section_id}"' if section_id else ""
        return (f'<section class="hc-references"{ident}><h{level}>{heading}</h{level}>'
                f'<ul class="hc-bib">{"".join(items)}</ul></section>')
