"""A printable summary laid out as a form's fields (the MedWatch summary): title, intro,
sections of (label, value) rows and a footer, as PDF bytes. No Qt, no records: the caller
fills the fields (records/aftercare_report.py) and this only prints them.

Labels and values go through the sheet's fonts, so a patient's name or an event described in
any script prints (the same shaping as the patient sheet)."""
from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from .fonts import BODY, BODY_BOLD, markup, register_fonts
from .shaping import SheetParagraph as Paragraph

MARGIN = 1.8 * cm
RULE = colors.HexColor("#999999")
SHADE = colors.HexColor("#EEF1F4")


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=BODY, fontSize=10, leading=13)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=BODY_BOLD, fontSize=15, leading=19, spaceAfter=6),
        "intro": ParagraphStyle("intro", parent=base, fontSize=9.5, leading=12.5, spaceAfter=8),
        "section": ParagraphStyle("section", parent=base, fontName=BODY_BOLD, fontSize=11.5, leading=15,
                                  spaceBefore=8, spaceAfter=4),
        "label": ParagraphStyle("label", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")),
        "value": base,
        "footer": ParagraphStyle("footer", parent=base, fontSize=8, leading=10, textColor=colors.HexColor("#444444")),
    }


def form_summary_pdf(title: str, intro: str, sections: list[tuple[str, list[tuple[str, str]]]], footer: str,
                     *, warning: str = "") -> bytes:
    """`sections`: (heading, [(field label, value)]) in the form's order; `warning` prints on
    every page's foot (for example that the page holds patient information)."""
    register_fonts()
    st = _styles()
    buffer = io.BytesIO()
    width = letter[0] - 2 * MARGIN

    def P(text: str, style: str) -> Paragraph:  # noqa: N802 (a flowable, as reportlab names them)
        return Paragraph(markup(str(text)), st[style])

    flow: list = [P(title, "title"), P(intro, "intro")]
    for heading, rows in sections:
        table = Table([[P(label, "label"), P(value, "value")] for label, value in rows],
                      colWidths=[width * 0.38, width * 0.62], repeatRows=0)
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
            ("BACKGROUND", (0, 0), (0, -1), SHADE),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        # A heading never sits alone at a page's foot: it keeps its first row with it.
        flow.append(KeepTogether([P(heading, "section"), table]) if len(rows) <= 4 else P(heading, "section"))
        if len(rows) > 4:
            flow.append(table)
    flow += [Spacer(1, 10), P(footer, "footer")]

    def foot(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(BODY, 8)
        canvas.setFillColor(colors.HexColor("#444444"))
        text = f"{warning}  ·  {doc.page}" if warning else str(doc.page)
        canvas.drawRightString(letter[0] - MARGIN, 1.0 * cm, text)
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=title, invariant=1)
    doc.build(flow, onFirstPage=foot, onLaterPages=foot)
    return buffer.getvalue()
