"""Bundled fonts, so that every patient's name prints as written.

reportlab's built-in fonts are Latin-1 only. `resources/fonts/fonts.toml` lists the bundled
TrueType fonts in the order a character is looked for: Noto Sans (Latin, Greek, Cyrillic),
Noto Sans Arabic, Hebrew, Devanagari and Thai, Droid Sans Fallback (Chinese, Japanese) and
NanumSquare (Korean). reportlab does not fall back between fonts by itself, so `markup()`
puts each run of characters into the font that has them. Arabic, Hebrew, Devanagari and Thai
are shaped with harfbuzz and laid out right to left where they should be (`shaping.py`).
Intake refuses a name none of these fonts can print (`screening/names.py` reads the same list).
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..markup import escape
from ..resources import resource_path
from ..screening.names import font_list, printable

BODY = "NotoSans"
BODY_BOLD = "NotoSans-Bold"
_STYLES = (("bold", 1, 0), ("italic", 0, 1), ("bold_italic", 1, 1))


@lru_cache(maxsize=1)
def _fonts() -> tuple[dict, ...]:
    return tuple(font_list())


def rtl_fonts() -> frozenset[str]:
    return frozenset(f["name"] for f in _fonts() if f.get("rtl"))


def shaped_fonts() -> frozenset[str]:
    return frozenset(f["name"] for f in _fonts() if f.get("shaped"))


@lru_cache(maxsize=1)
def register_fonts() -> dict[str, frozenset[int]]:
    """Registers the bundled fonts once; returns the code points each font has, by name."""
    from . import shaping  # noqa: F401  (puts harfbuzz shaping and ToUnicode in place)
    coverage = {}
    for font in _fonts():
        name = font["name"]
        # Every face reports `shapable`, so that paragraphs take reportlab's shaping path;
        # `shaping._shape_by_font` then shapes only the scripts that need it.
        pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", font["file"]))))
        faces = {"normal": name}
        for key, bold, italic in _STYLES:
            face = name  # a script font without bold or italic prints its regular face
            if key in font:
                face = f"{name}-{''.join(part.title() for part in key.split('_'))}"
                pdfmetrics.registerFont(TTFont(face, str(resource_path("fonts", font[key])), shapable=False))
            faces[key] = face
            addMapping(name, bold, italic, face)
        addMapping(name, 0, 0, name)
        pdfmetrics.registerFontFamily(name, normal=faces["normal"], bold=faces["bold"],
                                      italic=faces["italic"], boldItalic=faces["bold_italic"])
        # The font's own map, read before shaping adds private-use code points to it.
        coverage[name] = frozenset(c for c, glyph in pdfmetrics.getFont(name).face.charToGlyph.items() if glyph)
    return coverage


def covered(text: str) -> bool:
    """True when every character of `text` has a glyph in one of the bundled fonts."""
    fonts = printable()
    return all(ch == " " or ord(ch) in fonts for ch in text)


def _ranges(spec: list[str]) -> list[range]:
    out = []
    for item in spec:
        first, _, last = item.partition("-")
        out.append(range(int(first, 16), int(last or first, 16) + 1))
    return out


@lru_cache(maxsize=1)
def _preferences() -> tuple[tuple[range, str], ...]:
    return tuple((r, f["name"]) for f in _fonts() for r in _ranges(f.get("prefer", [])))


@lru_cache(maxsize=8192)
def font_for(ch: str) -> str:
    """The first bundled font that has `ch` (a font's `prefer` ranges come first)."""
    coverage = register_fonts()
    code = ord(ch)
    for span, name in _preferences():
        if code in span and code in coverage[name]:
            return name
    for font in _fonts():
        if code in coverage[font["name"]]:
            return font["name"]
    return BODY  # nothing has it: the body font's empty box shows that something is missing


_STRONG_RTL = ("R", "AL")
_STRONG = ("L", "R", "AL")


def _next_strong(text: str, i: int) -> str | None:
    for ch in text[i + 1:]:
        kind = unicodedata.bidirectional(ch)
        if kind in _STRONG:
            return kind
    return None


def runs(text: str) -> list[tuple[str, str]]:
    """`text` cut into (font name, characters) runs.

    Marks, spaces and punctuation stay in the font of the letters around them, so a word
    is shaped by one font; but a right-to-left run never takes the neutral characters at its
    ends (", " after an Arabic name belongs to the English around it, as the Unicode
    bidirectional algorithm says).
    """
    coverage = register_fonts()
    rtl = rtl_fonts()
    out: list[tuple[str, list[str]]] = []
    current = None
    for i, ch in enumerate(text):
        kind = unicodedata.bidirectional(ch)
        font = font_for(ch)
        if current is not None and current != font and (ord(ch) in coverage[current] or ch == " "):
            if current in rtl:
                if kind in _STRONG_RTL or kind == "NSM" or (
                        kind not in _STRONG and _next_strong(text, i) in _STRONG_RTL):
                    font = current
            elif kind not in _STRONG:  # marks, digits, spaces and punctuation stay with their letters
                font = current
        if out and out[-1][0] == font:
            out[-1][1].append(ch)
        else:
            out.append((font, [ch]))
        current = font
    return [(font, "".join(chars)) for font, chars in out]


@lru_cache(maxsize=4096)
def markup(text: str) -> str:
    """Patient or staff text as safe Paragraph markup: escaped, each run in a font that has it.
    Cached: most of a sheet is the same fixed text every time."""
    out = []
    for font, chunk in runs(text):
        chunk = escape(chunk).replace("\n", "<br/>")
        out.append(chunk if font == BODY else f'<font name="{font}">{chunk}</font>')
    return "".join(out)
