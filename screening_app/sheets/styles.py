"""The sheet's look: page sizes, margins, colours, paragraph styles and the boxes and grids."""
from __future__ import annotations

from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Table, TableStyle
from reportlab.platypus import paragraph as rl_paragraph

from .fonts import BODY, BODY_BOLD, markup, register_fonts
from .shaping import SheetParagraph as Paragraph

# reportlab's CJK wrapping keeps Japanese closing punctuation off the start of a line, but not the
# full-width marks Chinese uses (，、；：！？ and closing brackets): a line began with "，".
_CHINESE_CANNOT_START = "，、；：！？）》」』】〉"
rl_paragraph.ALL_CANNOT_START += "".join(ch for ch in _CHINESE_CANNOT_START
                                         if ch not in rl_paragraph.ALL_CANNOT_START)

PAGE_SIZES = {"letter": letter, "a4": A4}
MARGIN = 2 * cm
FRAME_PADDING = 6  # reportlab's default Frame padding
INITIALS_WIDTH = 5.2 * cm  # the footer's "Patient's initials" line on a consent
FOOTER_BOTTOM = 1.2 * cm  # the footer grows upwards from here: a long name wraps, never overprints
INK = colors.HexColor("#1a1a1a")
SHADE = colors.HexColor("#f1f1f1")
RULE = colors.HexColor("#8a8a8a")


@lru_cache(maxsize=2)
def _styles(cjk: bool = False) -> dict[str, ParagraphStyle]:
    """`cjk`: lines may break between any two characters (Chinese has no spaces), as reportlab's
    CJK wrapping does, which also keeps closing punctuation off the start of a line."""
    register_fonts()
    # shaping=1: words in the fonts that need it (Arabic, Hebrew, Devanagari, Thai) are shaped.
    extra = {"wordWrap": "CJK"} if cjk else {}
    base = ParagraphStyle("body", fontName=BODY, fontSize=12, leading=16, textColor=INK,
                          spaceAfter=5, splitLongWords=1, shaping=1, **extra)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=11, leading=14, spaceAfter=0),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=BODY_BOLD, fontSize=11, leading=14,
                                    spaceAfter=0),
        "clinic": ParagraphStyle("clinic", parent=base, fontName=BODY_BOLD, fontSize=13, leading=16,
                                 spaceAfter=1),
        "title": ParagraphStyle("title", parent=base, fontName=BODY_BOLD, fontSize=18, leading=22,
                                spaceBefore=8, spaceAfter=10),
        "heading": ParagraphStyle("heading", parent=base, fontName=BODY_BOLD, fontSize=13, leading=17,
                                  spaceBefore=9, spaceAfter=4, keepWithNext=1),
        "subheading": ParagraphStyle("subheading", parent=base, fontName=BODY_BOLD, fontSize=11, leading=15,
                                     spaceBefore=6, spaceAfter=3, keepWithNext=1),
        "banner": ParagraphStyle("banner", parent=base, fontName=BODY_BOLD, fontSize=12, leading=16,
                                 alignment=TA_CENTER, spaceAfter=0),
        "footer": ParagraphStyle("footer", parent=base, fontSize=8, leading=10, spaceAfter=0,
                                 textColor=colors.HexColor("#444444")),
    }


BOLD_STYLES = frozenset({"cell_bold", "clinic", "title", "heading", "subheading", "banner"})


class EmboldenedParagraph(Paragraph):
    """Bold for a script whose bundled font has no bold face (Chinese): the glyphs are filled and
    outlined (PDF text render mode 2), so headings stand out as they do in English."""

    def draw(self):
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(self.style.textColor)
        canvas.setLineWidth(self.style.fontSize * 0.035)
        canvas._code.append("2 Tr")
        super().draw()
        canvas.restoreState()


def _p(text: str, style: str = "body", bold: bool = False, cjk: bool = False) -> Paragraph:
    body = markup(text)
    # Only text with CJK characters: Latin text has its real bold face (Noto Sans Bold).
    wide = any(ord(ch) >= 0x2E80 for ch in text)
    kind = EmboldenedParagraph if cjk and wide and (bold or style in BOLD_STYLES) else Paragraph
    return kind(f"<b>{body}</b>" if bold else body, _styles(cjk)[style])


def _boxed(flowables, width: float, background=SHADE) -> Table:
    table = Table([[flowables]], colWidths=[width])
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), background),
        ("BOX", (0, 0), (-1, -1), 0.8, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def _grid(rows, widths, header: bool = False) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), SHADE))
    table.setStyle(TableStyle(style))
    return table
