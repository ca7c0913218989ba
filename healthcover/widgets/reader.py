"""What a visitor reads: short names of schemes, citations in the page's language, terms of art
with their explanation on hover.

* :func:`scheme_name` and :func:`document_name` come from ``data/dashboards/names.yaml``.
* :func:`cite` writes a :class:`~healthcover.sources.Source` for a reader: the document's name,
  its article in the page's language (``第23条(二)2`` / ``Art. 23(二)2``) and the quote as
  :func:`healthcover.text.display_quote` cleans it; an assumption gives its reason in the page's
  language. Line numbers and file names stay in the scheme files.
* :func:`term` marks a term of art (``data/dashboards/glossary.yaml``) with its one-line
  explanation as a tooltip; :func:`help_text` gives the explanation for a control's tooltip.
"""
from __future__ import annotations

import functools
import html
import re
from typing import Any

from healthcover.errors import HealthcoverError, allowed
from healthcover.sources import read_data
from healthcover.text import display_quote
from healthcover.widgets.i18n import check_lang, register, text

register({"src_heading": {"zh": "制度文件", "en": "The scheme's document"}})

__all__ = ["GLOSSARY", "cite", "document_heading", "document_name", "glossary", "help_text", "names", "scheme_name", "term"]


@functools.cache
def names() -> dict[str, Any]:
    """``data/dashboards/names.yaml``: short names of schemes and seed documents."""
    return read_data("dashboards", "names.yaml")


@functools.cache
def glossary() -> dict[str, dict[str, str]]:
    """``data/dashboards/glossary.yaml``: term -> zh, en, zh_help, en_help."""
    raw = read_data("dashboards", "glossary.yaml")
    for key, entry in raw.items():
        missing = [f for f in ("zh", "en", "zh_help", "en_help") if not entry.get(f)]
        if missing:
            raise HealthcoverError(f"data/dashboards/glossary.yaml: {key}: give {allowed(missing)}")
    return raw


GLOSSARY = glossary


def scheme_name(scheme_id: str, lang: str) -> str:
    """A scheme's short name in ``lang`` (its file's title when names.yaml has none)."""
    check_lang(lang)
    entry = names()["schemes"].get(scheme_id)
    if entry:
        return entry[lang]
    from healthcover.scheme import load_scheme

    return display_quote(getattr(load_scheme(scheme_id).meta.title, lang))


def document_name(doc: str, article: str | None, lang: str) -> str | None:
    """The name of seed document ``doc`` (and of its section, for collections), or None."""
    docs = names()["documents"]
    m = re.match(r"\s*(§\d+)", article or "")
    for key in ([f"{doc} {m.group(1)}"] if m else []) + [doc]:
        if key in docs:
            return docs[key][lang]
    return None


_ARTICLE = re.compile(r"Art\.\s*(\d+)")
_SECTION = re.compile(r"§(\d+)\s*(\([^)]*\))?,?\s*")


def document_heading(scheme: Any, lang: str) -> str:
    """The source panel's heading for a scheme: "The scheme's document: <name> · <number> ·
    <issuer>" in the page's language (HTML)."""
    meta = scheme.meta
    name = document_name(meta.source.doc, meta.source.article, lang) or scheme_name(scheme.id, lang)
    issuer = getattr(meta.issuer, lang) if meta.issuer is not None else ""
    parts = [f"《{name}》" if lang == "zh" else name, *(x for x in (meta.document_number,) if x), issuer]
    return (f"<b>{html.escape(text('src_heading', lang))}</b>{'：' if lang == 'zh' else ': '}"
            + html.escape(" · ".join(p for p in parts if p)))


def article_text(article: str | None, lang: str) -> str:
    """An article reference for a reader: ``Art. 23(二)2`` -> ``第23条(二)2`` in Chinese; the
    collection's section number (``§4 (篇4),``) is dropped, since the document's name says it."""
    if not article:
        return ""
    a = _SECTION.sub("", article).strip(" ,")
    if lang == "zh":
        a = _ARTICLE.sub(lambda m: f"第{m.group(1)}条", a)
        a = a.replace("Art.", "条").replace(", ", "、")
    return a


def cite(source: Any, lang: str, *, own_doc: str | None = None, with_quote: bool = True) -> str:
    """``source`` (a :class:`~healthcover.sources.Source` or anything with ``.source``) as a
    reader reads it, in ``lang``; the document's name is left out when it is ``own_doc`` (the
    page's own document, named once in the source panel's heading)."""
    check_lang(lang)
    src = getattr(source, "source", source)
    if src is None:
        return ""
    if src.doc == "assumption":
        note = src.note_zh if lang == "zh" and src.note_zh else src.note or ""
        if lang == "zh" and not src.note_zh:
            note = "（说明见英文版）"
        return ("假设：" if lang == "zh" else "Assumption: ") + note
    if src.doc == "literature":
        return f"{src.article}" + (f" — {src.note}" if src.note and lang == "en" else "")
    parts = []
    if own_doc is None or src.doc != own_doc:
        name = document_name(src.doc, src.article, lang)
        parts.append(f"《{name}》" if lang == "zh" and name else name or (f"文件{src.doc}" if lang == "zh" else f"Document {src.doc}"))
    art = article_text(src.article, lang)
    if art:
        parts.append(art)
    out = " ".join(parts)
    if with_quote and src.quote:
        quote = display_quote(src.quote)
        sep = "：" if lang == "zh" else ": "
        docs = names()["documents"]
        foreign = (docs.get(src.doc) or {}).get("lang")
        if foreign and foreign != lang:
            tag = {"es": ("西班牙文译本原文", "Spanish translation")}.get(foreign, (foreign, foreign))
            out += f"{sep}「{quote}」（{tag[0]}）" if lang == "zh" else f"{sep}“{quote}” ({tag[1]})"
        else:
            out += f"{sep}「{quote}」" if lang == "zh" else f"{sep}“{quote}”"
    return out


def help_text(key: str, lang: str) -> str:
    """The one-line explanation of term ``key`` in ``lang``."""
    check_lang(lang)
    entry = glossary().get(key)
    if entry is None:
        raise HealthcoverError(f"help_text: {key!r} is not in data/dashboards/glossary.yaml; known: {allowed(glossary())}")
    return entry[f"{lang}_help"]


def term(key: str, lang: str, label: str | None = None) -> str:
    """HTML: the term's name (or ``label``) marked, with its explanation on hover."""
    check_lang(lang)
    entry = glossary().get(key)
    if entry is None:
        raise HealthcoverError(f"term: {key!r} is not in data/dashboards/glossary.yaml; known: {allowed(glossary())}")
    shown = entry[lang] if label is None else label
    return (f'<span class="hc-term" data-term="{html.escape(key)}" tabindex="0" '
            f'title="{html.escape(entry[lang + "_help"])}">{html.escape(shown)}</span>')
