"""Page furniture: the footer on every page (who, versions, page X of Y, the consent's initials
line) and a canvas that holds pages back so each copy's footer can say "of Y".

A sheet may hold two copies (the patient's, then the clinic's in English): each copy's pages are
numbered on their own and carry that copy's footer."""
from __future__ import annotations

import datetime as dt
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from ..screening.consent import SheetKind
from .fonts import markup, runs
from .shaping import SheetParagraph as Paragraph
from .styles import FOOTER_BOTTOM, INITIALS_WIDTH, INK, MARGIN, RULE


def _draw_runs(canvas: Canvas, x: float, y: float, text: str, size: float) -> float:
    """Draws a short label run by run, each in the bundled font that has it; returns its width."""
    start = x
    for font, chunk in runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += pdfmetrics.stringWidth(chunk, font, size)
    return x - start


class CopyStart(Flowable):
    """Marks the page it is drawn on as the first page of copy `index` (nothing is drawn)."""

    width = height = 0

    def __init__(self, index: int):
        super().__init__()
        self.index = index

    def wrap(self, *_):
        return 0, 0

    def draw(self):
        self.canv._sheet_copy = self.index


class FooterParts:
    """Mixed into the sheet builder (gives `t`, `s`, `r`, `clinic`, `kind`, `width`, `pagesize`,
    `styles`, `day`, `number` and `awaiting`)."""

    t: dict
    s: Any
    r: Any
    clinic: Any
    kind: SheetKind
    width: float
    pagesize: tuple[float, float]
    styles: dict
    awaiting: bool
    anchor: str

    def day(self, day: dt.date) -> str:
        raise NotImplementedError

    def number(self, n: int) -> str:
        raise NotImplementedError

    def footer_text(self, page: int, pages: int) -> str:
        text = self.t["footer"]["text"].format(
            name=self.s.patient.name, dob=self.day(self.s.patient.date_of_birth),
            questionnaire=self.r.questionnaire_version, rules=self.r.rules_version,
            sheet=self.t["sheet"]["version"], page=self.number(page), pages=self.number(pages))
        if self.anchor:
            # The audit trail's mark when this sheet was made: paper that anchors the history
            # (`audit verify --fingerprint` checks it against the records).
            text += "  ·  " + self.t["footer"]["record"].format(anchor=self.anchor)
        if self.awaiting:  # on every page: the translation has not been reviewed
            text += "  ·  " + self.t["translation"]["awaiting_review_short"]
        return text

    def draw_footer(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        if page > 1 and (self.clinic.name or self.clinic.phone):
            # Whom to call, on every page: page 1 has it in its header.
            running = Paragraph(markup("  ·  ".join(p for p in (self.clinic.name, self.clinic.phone) if p)),
                                self.styles["footer"])
            running.wrapOn(canvas, self.width, MARGIN)
            running.drawOn(canvas, MARGIN, self.pagesize[1] - MARGIN + 0.4 * cm)
        para = Paragraph(markup(self.footer_text(page, pages)), self.styles["footer"])
        _, height = para.wrapOn(canvas, self.footer_width, self.pagesize[1] / 4)
        para.drawOn(canvas, MARGIN, FOOTER_BOTTOM)
        if self.kind is SheetKind.CONSENT:
            # A line for the patient's initials on every page of a consent, beside the footer.
            label = self.t["consent"]["labels"]["initials"] + ":"
            x = self.pagesize[0] - MARGIN - INITIALS_WIDTH + 0.4 * cm
            y = FOOTER_BOTTOM + 2
            canvas.setFillColor(colors.HexColor("#444444"))
            label_width = _draw_runs(canvas, x, y, label, 8)
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(0.6)
            canvas.line(x + label_width + 4, y - 1, self.pagesize[0] - MARGIN, y - 1)
        rule = FOOTER_BOTTOM + height + 0.15 * cm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, rule, self.pagesize[0] - MARGIN, rule)
        canvas.restoreState()

    @property
    def footer_width(self) -> float:
        return self.width - (INITIALS_WIDTH if self.kind is SheetKind.CONSENT else 0)

    def footer_height(self) -> float:
        """The tallest the footer gets (a long name wraps): the page body ends above it."""
        para = Paragraph(markup(self.footer_text(999, 999)), self.styles["footer"])
        return para.wrap(self.footer_width, self.pagesize[1] / 4)[1]


def numbered_canvas(footers):
    """A canvas that holds pages back until the end, so every footer can say 'of Y'.
    `footers[i]` draws the footer of copy i (see CopyStart)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []
            self._sheet_copy = 0

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            copies = [state.get("_sheet_copy", 0) for state in self._pages]
            for index, state in enumerate(self._pages):
                copy = copies[index]
                self.__dict__.update(state)
                footers[copy](self, copies[:index + 1].count(copy), copies.count(copy))
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas

