"""Text as a reader sees it: the display form of a quote from a seed document.

The seed texts were converted from simplified to traditional characters by a tool that wrote a
character's pinyin after it whenever the two scripts differ: 「社區(qū)衛(wèi)生服務(wù)」 for
「社區衛生服務」. The scheme files keep those quotes verbatim (they are what the seed says);
:func:`display_quote` derives the form shown to a reader. This module sits below everything
else in healthcover and imports nothing from it but the errors.
"""
from __future__ import annotations

import re
import unicodedata

from healthcover.errors import HealthcoverError

__all__ = ["display_quote", "is_pinyin_syllable"]

# Han ideographs: the unified block, extension A, compatibility ideographs, extensions B and on.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A Han character, then a parenthesised run of Latin letters (ASCII or full-width brackets).
_ANNOTATED = re.compile(rf"(?<=[{_HAN}])[(\uff08]([A-Za-z\u00c0-\u024f]{{1,7}})[)\uff09]")
_INITIALS = "zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw]"
_FINALS = ("iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|er|ia|ie|"
           "iu|in|ua|uo|ui|un|ue|ve|vn|a|o|e|i|u|v")
_SYLLABLE = re.compile(rf"^(?:{_INITIALS})?(?:{_FINALS})$")
_TONE_MARKS = {"\u0304", "\u0301", "\u030c", "\u0300"}  # macron, acute, caron, grave


def is_pinyin_syllable(text: str) -> tuple[bool, bool]:
    """(whether ``text`` is one Hanyu Pinyin syllable, whether it carries a tone mark).

    ``"qū"`` -> (True, True); ``"men"`` -> (True, False); ``"NCMS"`` or ``"ab"`` -> (False, ...).
    Lower case only: a capitalised word in brackets is an abbreviation, not an annotation.
    """
    decomposed = unicodedata.normalize("NFD", text)
    marks = [c for c in decomposed if unicodedata.combining(c)]
    toned = any(m in _TONE_MARKS for m in marks)
    # ü is u + diaeresis; pinyin spells it v in plain ASCII.
    base = "".join(c for c in decomposed.replace("u\u0308", "v") if not unicodedata.combining(c))
    if not base.isascii() or not base.islower():
        return False, toned
    return bool(_SYLLABLE.match(base)), toned


def display_quote(text: str) -> str:
    """The quote as a reader should see it: the converter's pinyin annotations removed.

    A bracketed pinyin syllable right after a Han character is dropped:
    ``"社區(qū)衛(wèi)生服務(wù)"`` -> ``"社區衛生服務"``. A syllable with a tone mark always
    counts; one without (a neutral tone, ``們(men)``) only when it has two letters or more, so
    ``條件(a)`` keeps its enumeration. Every other bracket stays as written: Chinese asides
    (``縣(市)``), numbers (``(一)``), abbreviations (``(NCMS)``) and Latin text.

    Raises :class:`~healthcover.HealthcoverError` when ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise HealthcoverError(
            f"display_quote: text must be a string (a quote from a scheme file), got "
            f"{type(text).__name__} {text!r:.60}"
        )

    def keep_or_drop(m: re.Match) -> str:
        syllable, toned = is_pinyin_syllable(m.group(1))
        if syllable and (toned or len(m.group(1)) >= 2):
            return ""
        return m.group(0)

    return _ANNOTATED.sub(keep_or_drop, text)
