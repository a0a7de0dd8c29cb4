"""Bundled fonts, so that every patient's name prints as written.

reportlab's built-in fonts are Latin-1 only. Noto Sans covers Latin with diacritics,
Greek and Cyrillic; Droid Sans Fallback (TrueType outlines, which reportlab can embed,
unlike the CFF-based Noto CJK) covers Chinese, Japanese and Korean. reportlab does not
fall back between fonts by itself, so `markup()` puts each run of characters the body
font lacks into the fallback font.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape as _html_escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..resources import resource_path

BODY = "NotoSans"
BODY_BOLD = "NotoSans-Bold"
FALLBACK = "DroidSansFallback"
_FILES = {
    BODY: "NotoSans-Regular.ttf",
    BODY_BOLD: "NotoSans-Bold.ttf",
    "NotoSans-Italic": "NotoSans-Italic.ttf",
    "NotoSans-BoldItalic": "NotoSans-BoldItalic.ttf",
    FALLBACK: "DroidSansFallbackFull.ttf",
}


@lru_cache(maxsize=1)
def register_fonts() -> tuple[frozenset[int], frozenset[int]]:
    """Registers the bundled fonts once; returns the code points each of body and fallback has."""
    for name, filename in _FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(resource_path("fonts", filename))))
    pdfmetrics.registerFontFamily(BODY, normal=BODY, bold=BODY_BOLD,
                                  italic="NotoSans-Italic", boldItalic="NotoSans-BoldItalic")
    for bold, italic, name in ((0, 0, BODY), (1, 0, BODY_BOLD), (0, 1, "NotoSans-Italic"),
                               (1, 1, "NotoSans-BoldItalic")):
        addMapping(BODY, bold, italic, name)
    body = pdfmetrics.getFont(BODY).face.charToGlyph
    fallback = pdfmetrics.getFont(FALLBACK).face.charToGlyph
    return frozenset(body), frozenset(fallback)


def covered(text: str) -> bool:
    """True when every character of `text` has a glyph in one of the bundled fonts."""
    body, fallback = register_fonts()
    return all(ch.isspace() or ord(ch) in body or ord(ch) in fallback for ch in text)


def escape(text: str) -> str:
    return _html_escape(text, quote=False)  # &, < and >; the same as xml.sax's, without its imports


@lru_cache(maxsize=4096)
def markup(text: str) -> str:
    """Patient or staff text as safe Paragraph markup: escaped, with font fallback runs.
    Cached: most of a sheet is the same fixed text every time."""
    body, fallback = register_fonts()
    out: list[str] = []
    run: list[str] = []
    in_fallback = False

    def flush():
        if run:
            chunk = escape("".join(run)).replace("\n", "<br/>")
            out.append(f'<font name="{FALLBACK}">{chunk}</font>' if in_fallback else chunk)
            run.clear()

    for ch in text:
        code = ord(ch)
        wants_fallback = code not in body and code in fallback and not ch.isspace()
        if wants_fallback != in_fallback:
            flush()
            in_fallback = wants_fallback
        run.append(ch)
    flush()
    return "".join(out)
