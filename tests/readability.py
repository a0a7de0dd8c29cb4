"""Readability measures for the patient's words in Spanish and Chinese (used by test_languages.py).

Spanish: Fernández-Huerta's reading ease, in Law's corrected form (the one textstat 0.7.8 also
uses): 206.84 - 60 x (syllables per word) - 1.02 x (words per sentence); 70 or more reads as
"fairly easy" (about grade 7). textstat counts syllables with pyphen's hyphenation patterns,
which never split the first or last letters of a word ("ahora" is 2 there, 3 spoken), so it
over-rates Spanish text; the syllables here are counted by Spanish rules instead (`syllables`,
tested on its own), and the tests take the lower of the two scores.

Chinese has no syllables-per-word measure of this kind; two things are measured instead:
- sentence length in characters (Chinese plain-language guidance asks for short sentences;
  a sentence ends at 。！？ or ；);
- character frequency: the share of Chinese characters that are in the first level of
  GB 2312 (3,755 characters chosen as the most frequently used in modern Chinese), read from
  Python's own gb2312 codec, so the list is the standard's and needs no download. A patient who
  reads everyday Chinese knows these characters; rarer ones are the reading load.
"""
from __future__ import annotations

import re
import unicodedata
from functools import cache

STRONG = set("aeoáéó")
ACCENTED_WEAK = set("íú")
VOWELS = STRONG | ACCENTED_WEAK | set("iuü")
WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+|\d+")


def syllables(word: str) -> int:
    """Spoken syllables of one Spanish word: vowel groups, split where two strong vowels meet
    or an accented í/ú stands beside another vowel (hiatus); the u of que/qui/gue/gui is silent;
    y is a vowel alone or after a vowel at the end of a word (y, hoy, muy). An acronym in
    capitals is read letter by letter (FDA: efe-de-a), a number digit by digit."""
    if word.isdigit():
        return len(word)
    if len(word) >= 2 and word.isupper():
        return len(word)
    w = word.lower()
    if w == "y":
        return 1
    w = re.sub(r"(?<=[qg])u(?=[eéií])", "", w)
    if w.endswith("y") and len(w) > 1 and w[-2] in VOWELS:
        w = w[:-1] + "i"
    count, previous = 0, ""
    for ch in w:
        if ch in VOWELS:
            if not previous:
                count += 1
            elif (previous in STRONG and ch in STRONG) or ch in ACCENTED_WEAK or previous in ACCENTED_WEAK:
                count += 1  # hiatus: a new syllable
            previous = ch
        else:
            previous = ""
    return max(count, 1)


def _prose(text: str) -> str:
    text = re.sub(r"\{[^}]*\}", " ", text)  # placeholders are filled with names and numbers
    return re.sub(r"\S+\.(gov|org|com)\S*", " ", text)  # web addresses are not read as words


def words(text: str) -> list[str]:
    return WORD.findall(_prose(text))


def sentences(text: str) -> int:
    parts = [p for p in re.split(r"[.!?:]+(?:\s|$)", _prose(text)) if WORD.search(p)]
    return max(len(parts), 1)


def fernandez_huerta(text: str) -> float:
    found = words(text)
    if not found:
        return 0.0
    per_word = sum(syllables(w) for w in found) / len(found)
    return 206.84 - 60 * per_word - 1.02 * len(found) / sentences(text)


# --- Chinese ---------------------------------------------------------------------------------------

def hanzi(text: str) -> list[str]:
    return [ch for ch in text if unicodedata.name(ch, "").startswith("CJK UNIFIED IDEOGRAPH")]


@cache
def gb2312_level1() -> frozenset[str]:
    """GB 2312's level 1: rows 16 to 55, the 3,755 most frequently used characters."""
    out = set()
    for row in range(16, 56):
        for cell in range(1, 95):
            try:
                out.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return frozenset(out)


def chinese_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"[。！？；]", _prose(text)) if hanzi(s)]


def sentence_lengths(text: str) -> list[int]:
    """Characters per sentence (Chinese characters, letters and digits; punctuation aside)."""
    return [sum(1 for ch in s if ch.isalnum()) for s in chinese_sentences(text)]


def common_share(text: str) -> float:
    found = hanzi(text)
    return sum(ch in gb2312_level1() for ch in found) / len(found) if found else 1.0
