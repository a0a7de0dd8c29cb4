"""Arabic, Hebrew, Devanagari and Thai on the sheet: shaped by harfbuzz, in the right order.

reportlab 5 shapes with uharfbuzz when a ParagraphStyle has `shaping=1` and the font is
`shapable`. Three gaps are closed here, each small and tested in tests/test_scripts.py:

1. reportlab shapes a word with the font of its first piece; a word that changes font (an
   Arabic name followed by an English comma) came out as wrong glyphs. `_shape_by_font` shapes
   each font's piece by itself, and only for the fonts that need shaping (fonts.toml), without
   discretionary ligatures (they would add vowel marks to a name such as Muhammad).
2. Glyphs that have no character of their own (Devanagari conjuncts, some Arabic forms) got
   private-use code points in the PDF's ToUnicode map, so copying or searching the sheet lost
   them. `_to_unicode_cmap` maps each such glyph to the characters it was shaped from, and
   `_logical_text` gives a syllable drawn out of typed order (reph, short i) one text in typed
   order. (A vowel sign the font draws lower, as in कु, is still read with a space before the
   next letter by pypdf, which takes the lowered glyph for a new line; the page is right.)
3. reportlab lays right-to-left text out only in one-font paragraphs, and needs `rlbidi`,
   which is not on PyPI. `SheetParagraph` reorders each laid-out line with the Unicode
   bidirectional algorithm (python-bidi), so a Hebrew or Arabic name reads right to left
   inside the English line, and a long name that wraps keeps its first words on the first line.
"""
from __future__ import annotations

import re
import unicodedata

from bidi import algorithm as uba
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.platypus import paragraph as rl_paragraph
from reportlab.platypus.paragraph import Paragraph

from .fonts import rtl_fonts, shaped_fonts

FEATURES = {"kern": True, "liga": True, "dlig": False}
_original_shape = ttfonts.shapeFragWord
_original_cmap = ttfonts.makeToUnicodeCMap
# face name -> {private-use code point: the characters its glyph stands for}
_GLYPH_TEXT: dict[str, dict[int, str]] = {}


def _pieces_width(pieces) -> float:
    return sum(pdfmetrics.stringWidth(s, f.fontName, f.fontSize) for f, s in pieces)


def _remember_glyph_text(font_name: str, text: str, shaped) -> None:
    """Notes, for each private-use glyph harfbuzz produced, the characters of its cluster."""
    face = pdfmetrics.getFont(font_name).face.name
    face = face.decode("latin-1") if isinstance(face, bytes) else face
    known = _GLYPH_TEXT.setdefault(face, {})
    data = [(ch, sd) for _, s in shaped for ch, sd in zip(s, getattr(s, "__shapeData__", None) or (), strict=False)]
    starts = sorted({sd.cluster for _, sd in data if 0 <= sd.cluster <= len(text)})
    for ch, sd in data:
        code = ord(ch)
        if not 0xE000 <= code <= 0xF8FF or code in known:
            continue
        later = [c for c in starts if c > sd.cluster]
        cluster = text[sd.cluster:later[0] if later else len(text)]
        for other, osd in data:  # characters another glyph of the cluster already stands for
            if osd.cluster == sd.cluster and not 0xE000 <= ord(other) <= 0xF8FF:
                cluster = cluster.replace(other, "", 1)
        if cluster:
            known[code] = cluster


_ALIASES: dict[tuple, int] = {}
_NEXT_ALIAS = [0xF0000]  # supplementary private use, clear of reportlab's own (U+E000 up)


def _alias(font, ch: str, width, text: str) -> str:
    """A private code point drawing the same glyph as `ch`, whose ToUnicode text is `text`."""
    face = font.face
    gid = face.charToGlyph[ord(ch)]
    key = (font.fontName, gid, text, width)
    code = _ALIASES.get(key)
    if code is None:
        code = _ALIASES[key] = _NEXT_ALIAS[0]
        _NEXT_ALIAS[0] += 1
        face.charToGlyph[code] = gid
        face.glyphToChar.setdefault(gid, []).append(code)
        face.charWidths[code] = width
        _GLYPH_TEXT.setdefault(_face_name(font), {})[code] = text
    return chr(code)


def _face_name(font) -> str:
    face = font.face.name
    return face.decode("latin-1") if isinstance(face, bytes) else face


def _logical_text(font_name: str, text: str, shaped) -> list:
    """Where harfbuzz drew a syllable's glyphs out of typed order (the Devanagari reph after its
    consonant, the short-i sign before it), the PDF text would come out scrambled. The first glyph
    of such a syllable then stands for the whole syllable and the others for nothing, through
    private code points of their own, so copying, searching and reading the sheet aloud get
    the name as typed. Glyphs drawn in order are left alone."""
    font = pdfmetrics.getFont(font_name)
    known = _GLYPH_TEXT.get(_face_name(font), {})
    glyphs = [(i, k, ch, sd) for i, (_, s) in enumerate(shaped)
              for k, (ch, sd) in enumerate(zip(s, getattr(s, "__shapeData__", None) or (), strict=False))]
    if not glyphs:
        return shaped
    starts = sorted({sd.cluster for *_, sd in glyphs})
    chars = [list(str(s)) for _, s in shaped]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        members = [g for g in glyphs if g[3].cluster == start]
        drawn = "".join(known.get(ord(ch), ch) for _, _, ch, _ in members)
        wanted = text[start:end]
        if unicodedata.normalize("NFC", drawn) == unicodedata.normalize("NFC", wanted):
            continue
        for m, (i, k, ch, sd) in enumerate(members):
            chars[i][k] = _alias(font, ch, sd.width, wanted if m == 0 else "")
    # A mark pulled back over its letter (कु) would need a step forward after it as wide as
    # a space, which text extraction reads as a word break inside the name. Its own code point
    # gives it that width instead, so the pen lands in the same place with no step at all.
    data = [list(getattr(s, "__shapeData__", None) or ()) for _, s in shaped]
    for i, k, _, sd in glyphs:
        if sd.x_advance == 0 and sd.x_offset < 0:
            ch = chars[i][k]
            own = known.get(ord(ch), ch) if ord(ch) >= 0xE000 else ch
            chars[i][k] = _alias(font, ch, -sd.x_offset, own)
            data[i][k] = sd._replace(width=-sd.x_offset)
    out = []
    for (f, s), new, sd in zip(shaped, chars, data, strict=False):
        has_data = getattr(s, "__shapeData__", None) is not None
        out.append((f, ttfonts.ShapedStr("".join(new), shapeData=sd) if has_data else s))
    return out


def _shape_by_font(w, features=None, force=False):
    """reportlab's shapeFragWord, one font at a time, for the fonts that need shaping."""
    if isinstance(w, ttfonts.ShapedFragWord):
        return w
    pieces = list(w[1:])
    shaped_names = shaped_fonts()
    if any(hasattr(f, "cbDefn") for f, _ in pieces) or not any(
            getattr(f, "fontName", None) in shaped_names for f, _ in pieces):
        return w
    groups: list[list] = []
    for f, s in pieces:
        if groups and groups[-1][0][0].fontName == f.fontName:
            groups[-1].append((f, s))
        else:
            groups.append([(f, s)])
    total, out, changed = 0.0, [], False
    for group in groups:
        result = [_pieces_width(group), *group]
        if group[0][0].fontName in shaped_names:
            result = _original_shape(result, features=FEATURES)
            if result is not None and isinstance(result, ttfonts.ShapedFragWord):
                changed = True
                name, text = group[0][0].fontName, "".join(s for _, s in group)
                _remember_glyph_text(name, text, result[1:])
                if name not in rtl_fonts():
                    result = [result[0], *_logical_text(name, text, result[1:])]
        total += result[0]
        out.extend(result[1:])
    if not changed:
        return w
    return ttfonts.makeShapedFragWord(w)([total, *out])


def _to_unicode_cmap(fontname: str, subset) -> str:
    """reportlab's ToUnicode map, with shaped glyphs mapped to their characters (a joined Arabic
    form to its plain letter, so a search for the typed name finds it) and characters beyond
    U+FFFF written as UTF-16 (reportlab wrote them as five hex digits)."""
    face = fontname.split("+", 1)[-1]
    extra = _GLYPH_TEXT.get(face, {})
    text = _original_cmap(fontname, subset)
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.endswith("beginbfchar")) + 1
    for i, code in enumerate(subset):
        target = extra[code] if code in extra else chr(code)
        if 0xFB1D <= code <= 0xFDFF or 0xFE70 <= code <= 0xFEFF:
            # A joined Arabic (or pointed Hebrew) form reads as the letters it is drawn from.
            target = unicodedata.normalize("NFKC", target)
        lines[start + i] = f"<{i:02X}> <{target.encode('utf-16-be').hex().upper()}>"
    return "\n".join(lines)


# reportlab's paragraph module imported shapeFragWord by name; both names are replaced.
ttfonts.shapeFragWord = rl_paragraph.shapeFragWord = _shape_by_font
ttfonts.makeToUnicodeCMap = _to_unicode_cmap

_RTL_PROXY, _LTR_PROXY = "\u05d0", "a"  # a Hebrew letter, a Latin letter: stand-ins for shaped words
_TOKENS = re.compile(r" +|[^ ]+")


def _visual_order(line) -> None:
    """Reorders one laid-out line's pieces from logical to visual order (UBA, LTR paragraph)."""
    words = getattr(line, "words", None)
    rtl = rtl_fonts()
    if not words or not any(getattr(f, "fontName", None) in rtl and (getattr(f, "text", "") or "").strip()
                            for f in words):
        return
    if any(getattr(f, "_sheet_visual", False) for f in words):
        return  # already in visual order (a paragraph split across pages keeps its lines)
    shaped = shaped_fonts()
    items: list[tuple[object, str | None, bool]] = []  # (frag, text, kept whole)
    proxy: list[str] = []
    for frag in words:
        text = getattr(frag, "text", None)
        if text is None or getattr(frag, "_fkind", 0) != 0:
            items.append((frag, text, True))
            proxy.append("\ufffc")  # an object: neutral
        elif frag.fontName in shaped:
            for m in _TOKENS.finditer(str(text)):
                token = text[m.start():m.end()]  # slicing keeps reportlab's shaping data
                items.append((frag, token, True))
                proxy.append(" " if token.startswith(" ") and not token.strip() else
                             _RTL_PROXY if frag.fontName in rtl else _LTR_PROXY)
        else:
            for k in range(len(text)):
                items.append((frag, text[k:k + 1], False))
                proxy.append(str(text[k]))
    storage = uba.get_empty_storage()
    storage["base_level"], storage["base_dir"] = 0, "L"
    uba.get_embedding_levels("".join(proxy), storage)
    for index, ch in enumerate(storage["chars"]):
        ch["item"] = index
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    uba.reorder_resolved_levels(storage, False)
    uba.apply_mirroring(storage, False)
    new: list = []
    for ch in storage["chars"]:
        frag, text, whole = items[ch["item"]]
        if not whole and ch["ch"] != proxy[ch["item"]]:
            text = ch["ch"]  # a mirrored bracket
        if new and new[-1][0] is frag and text is not None:
            new[-1][1] = new[-1][1] + text
        else:
            new.append([frag, text])
    out = []
    for frag, text in new:
        clone = frag.clone()
        if text is not None:
            clone.text = text
        clone._sheet_visual = True
        out.append(clone)
    line.words = out


_PLAIN_STYLES: dict[int, tuple] = {}


def _plain(style):
    """The same style without shaping: text with no complex script takes reportlab's quick path."""
    kept = _PLAIN_STYLES.get(id(style))
    if kept is None or kept[0] is not style:
        kept = _PLAIN_STYLES[id(style)] = (style, ParagraphStyle(f"{style.name}-plain", parent=style, shaping=0))
    return kept[1]


class SheetParagraph(Paragraph):
    """A Paragraph whose lines are put in visual order after they are broken; shaped only when
    its text has a run in a font that needs shaping."""

    def __init__(self, text, style=None, *args, **kwargs):
        if text and style is not None and getattr(style, "shaping", 0) and not any(
                f'name="{name}"' in text for name in shaped_fonts()):
            style = _plain(style)
        super().__init__(text, style, *args, **kwargs)

    def breakLines(self, width):
        lines = super().breakLines(width)
        if getattr(lines, "kind", 0) == 1:
            for line in lines.lines:
                _visual_order(line)
        return lines
