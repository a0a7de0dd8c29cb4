"""Is this a name the sheet can print exactly as written? (contract.md, second edition)

A patient's name is refused, naming each offending character by its code point and
Unicode name, when it holds:
- control or format characters: bidi embeddings, overrides and isolates, zero-width spaces,
  soft hyphens, byte order marks (zero-width joiner and non-joiner are allowed inside a word,
  where Persian, Indic and Arabic names need them);
- lone surrogates, unassigned code points or private-use characters;
- nothing visible (only blanks, fillers or marks);
- a character that none of the sheet's bundled fonts has.

Which characters the fonts have is read from the fonts themselves (`resources/fonts/fonts.toml`
lists them) with a small reader of the TrueType `cmap` table, rather than from a coverage file
made at build time: the clinical core may not import reportlab, and a file read from the fonts
on first use can never drift from the fonts that are shipped. Reading the seven tables takes a
few milliseconds, once per process.
"""
from __future__ import annotations

import struct
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..resources import resource_path
from ..wording import say

ZWNJ, ZWJ = "\u200c", "\u200d"
# Letters that print as nothing: Hangul fillers, the braille blank, Khmer inherent vowels.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


def font_list() -> list[dict]:
    with resource_path("fonts", "fonts.toml").open("rb") as fh:
        return tomllib.load(fh)["font"]


def read_cmap(path: Path) -> frozenset[int]:
    """The code points a TrueType/OpenType font maps to a glyph (cmap formats 4 and 12)."""
    with path.open("rb") as fh:
        head = fh.read(12)
        count = struct.unpack(">H", head[4:6])[0]
        tables = fh.read(16 * count)
        for i in range(count):
            tag, _, offset, length = struct.unpack(">4sIII", tables[16 * i:16 * i + 16])
            if tag == b"cmap":
                fh.seek(offset)
                data = fh.read(length)
                break
        else:
            return frozenset()
    _, n = struct.unpack(">HH", data[:4])
    at = None  # the subtable reportlab draws with: the last Unicode one (its TTFontFile's rule)
    for i in range(n):
        platform, encoding, offset = struct.unpack(">HHI", data[4 + 8 * i:12 + 8 * i])
        if platform == 3 or (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
            at = offset
    if at is None:
        return frozenset()
    fmt = struct.unpack(">H", data[at:at + 2])[0]
    if fmt not in (4, 12):
        raise ValueError(f"{path.name}: cmap format {fmt} is not read here; use a font with format 4 or 12")
    codes: set[int] = set()
    if fmt == 12:
        groups = struct.unpack(">I", data[at + 12:at + 16])[0]
        for g in range(groups):
            start, end, glyph = struct.unpack(">III", data[at + 16 + 12 * g:at + 28 + 12 * g])
            if glyph:
                codes.update(range(start, end + 1))
            else:  # a group starting at glyph 0 maps its first code point to .notdef
                codes.update(range(start + 1, end + 1))
        return frozenset(codes)
    segs = struct.unpack(">H", data[at + 6:at + 8])[0] // 2
    base = at + 14
    ends = struct.unpack(f">{segs}H", data[base:base + 2 * segs])
    starts = struct.unpack(f">{segs}H", data[base + 2 * segs + 2:base + 4 * segs + 2])
    deltas = struct.unpack(f">{segs}h", data[base + 4 * segs + 2:base + 6 * segs + 2])
    ro_at = base + 6 * segs + 2
    offsets = struct.unpack(f">{segs}H", data[ro_at:ro_at + 2 * segs])
    for s in range(segs):
        for code in range(starts[s], ends[s] + 1):
            if code == 0xFFFF:
                continue
            if offsets[s] == 0:
                glyph = (code + deltas[s]) & 0xFFFF
            else:
                where = ro_at + 2 * s + offsets[s] + 2 * (code - starts[s])
                glyph = struct.unpack(">H", data[where:where + 2])[0]
                if glyph:
                    glyph = (glyph + deltas[s]) & 0xFFFF
            if glyph:
                codes.add(code)
    return frozenset(codes)


@lru_cache(maxsize=1)
def printable() -> frozenset[int]:
    """Every code point one of the sheet's bundled fonts can print."""
    out: set[int] = set()
    for font in font_list():
        out |= read_cmap(resource_path("fonts", font["file"]))
    return frozenset(out)


def describe(ch: str) -> str:
    code = ord(ch)
    name = unicodedata.name(ch, "") if not 0xD800 <= code <= 0xDFFF else "lone surrogate"
    return f"U+{code:04X}" + (f" {name}" if name else "")


def _joiner_inside_word(name: str, i: int) -> bool:
    def wordlike(ch: str) -> bool:
        return unicodedata.category(ch)[0] in "LM"
    return 0 < i < len(name) - 1 and wordlike(name[i - 1]) and wordlike(name[i + 1])


def name_problems(name: str) -> list[str]:
    """What stops `name` from printing exactly as written; empty when it can."""
    hidden, unprintable = [], []
    fonts = printable()
    for i, ch in enumerate(name):
        category = unicodedata.category(ch)
        if ch in (ZWJ, ZWNJ):
            if not _joiner_inside_word(name, i):
                hidden.append(ch)
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") or ch in INVISIBLE:
            hidden.append(ch)
        elif ch != " " and ord(ch) not in fonts:
            unprintable.append(ch)
    problems = []  # the most telling first: a form shows one message per field
    visible = [ch for ch in name if unicodedata.category(ch)[0] in "LNPS" and ch not in INVISIBLE]
    if not visible:
        problems.append(say("intake.name.nothing_visible"))
    if hidden:
        problems.append(say("intake.name.hidden", characters=", ".join(describe(c) for c in dict.fromkeys(hidden))))
    if unprintable:
        problems.append(say("intake.name.unprintable",
                            characters=", ".join(describe(c) for c in dict.fromkeys(unprintable))))
    return problems
