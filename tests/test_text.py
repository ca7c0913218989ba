"""healthcover.text.display_quote: the source site's pinyin annotations go, everything else stays."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from healthcover import HealthcoverError
from healthcover.text import display_quote, is_pinyin_syllable

ROOT = Path(__file__).resolve().parents[1]
# An artefact: a Han character, then a bracketed pinyin syllable with a tone mark.
ARTEFACT = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*"
                      r"[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]*[)）]")


def _quotes(node, out):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "quote" and isinstance(value, str):
                out.append(value)
            else:
                _quotes(value, out)
    elif isinstance(node, list):
        for value in node:
            _quotes(value, out)
    return out


QUOTES = [(path.name, q) for path in sorted((ROOT / "data" / "schemes").glob("*.yaml"))
          for q in _quotes(yaml.safe_load(path.read_text(encoding="utf-8")), [])]


def test_there_are_quotes_with_artefacts():
    assert len(QUOTES) > 300
    assert sum(len(ARTEFACT.findall(q)) for _, q in QUOTES) > 500


@pytest.mark.parametrize("name, quote", QUOTES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(QUOTES)])
def test_every_scheme_quote_is_clean_and_keeps_its_own_brackets(name, quote):
    shown = display_quote(quote)
    assert not ARTEFACT.search(shown), f"{name}: {shown}"
    # Every bracket that is not a pinyin annotation is still there: only annotations went.
    annotations = [m for m in re.finditer(r"(?<=[\u3400-\u9fff])[(（]([A-Za-zÀ-ɏ]+)[)）]", quote)
                   if is_pinyin_syllable(m.group(1))[0]]
    opened = quote.count("(") + quote.count("（")
    assert shown.count("(") + shown.count("（") == opened - len(annotations), name
    assert len(shown) == len(quote) - sum(len(m.group(0)) for m in annotations), name
    # Nothing else changed: removing the annotations from the verbatim quote gives the same.
    assert shown == re.sub(r"(?<=[\u3400-\u9fff])[(（][^()（）]*[)）]",
                           lambda m: "" if is_pinyin_syllable(m.group(0)[1:-1])[0] else m.group(0),
                           quote)


@pytest.mark.parametrize("text, shown", [
    ("社區(qū)衛(wèi)生服務(wù)", "社區衛生服務"),
    ("繳費(fèi)標(biāo)準(zhǔn)", "繳費標準"),
    ("縣(市)", "縣(市)"),  # a Chinese aside
    ("條件(a)和(b)", "條件(a)和(b)"),  # enumerations, not pinyin with a tone
    ("新農合(NCMS)", "新農合(NCMS)"),  # an abbreviation
    ("我們(men)", "我們"),  # a neutral-tone syllable of two letters or more
    ("綠(lǜ)色（lǜ）", "綠色"),  # ü with a tone, full-width brackets
    ("II(2) y (3)", "II(2) y (3)"),  # Latin text
    ("", ""),
])
def test_display_quote_examples(text, shown):
    assert display_quote(text) == shown


def test_display_quote_rejects_what_is_not_text():
    with pytest.raises(HealthcoverError, match=r"display_quote: text must be a string .* got int"):
        display_quote(17)


HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
SYLLABLES = st.sampled_from(["qū", "wèi", "wù", "fèi", "biāo", "zhǔn", "lǜ", "zhǎng", "xiàng"])


@given(st.lists(st.tuples(HAN, st.one_of(st.none(), SYLLABLES)), max_size=30))
def test_annotations_removed_from_any_han_text(pairs):
    clean = "".join(c for c, _ in pairs)
    annotated = "".join(c + (f"({p})" if p else "") for c, p in pairs)
    assert display_quote(annotated) == clean
    assert display_quote(clean) == clean


@given(st.text(max_size=60))
def test_idempotent_and_never_longer(text):
    once = display_quote(text)
    assert display_quote(once) == once
    assert len(once) <= len(text)
