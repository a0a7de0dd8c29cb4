"""The patient sheet: a screening result in, PDF bytes out.

Which sheet is printed is decided by `screening.consent.sheet_kind`, never here: a
do-not-treat screening gets a sheet with no consent statement and no signature line,
and so does a clinician-review screening that no clinician has yet approved.
"""
from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (KeepTogether, ListFlowable, ListItem, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from ..resources import resource_path
from ..screening import Screening, ScreeningResult, default_content
from ..screening.consent import Review, SheetKind, sheet_kind
from ..screening.content import Content
from ..screening.model import Outcome
from ..screening.history import finding_title
from .fonts import BODY, BODY_BOLD, markup, register_fonts
from .shaping import SheetParagraph as Paragraph

# Binary streams instead of ASCII85: PDFs are ~20% smaller and quicker to write; every reader
# since PDF 1.0 takes them.
rl_config.useA85 = 0

PAGE_SIZES = {"letter": letter, "a4": A4}
MARGIN = 2 * cm
FRAME_PADDING = 6  # reportlab's default Frame padding
FOOTER_BOTTOM = 1.2 * cm  # the footer grows upwards from here: a long name wraps, never overprints
INK = colors.HexColor("#1a1a1a")
SHADE = colors.HexColor("#f1f1f1")
RULE = colors.HexColor("#8a8a8a")


@dataclass(frozen=True)
class Clinic:
    """The clinic header; comes from the clinic settings."""

    name: str = ""
    address: str = ""
    phone: str = ""
    page_size: str = "letter"


@lru_cache(maxsize=1)
def sheet_texts() -> dict:
    with resource_path("sheet.toml").open("rb") as fh:
        return tomllib.load(fh)


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    # shaping=1: words in the fonts that need it (Arabic, Hebrew, Devanagari, Thai) are shaped.
    base = ParagraphStyle("body", fontName=BODY, fontSize=12, leading=16, textColor=INK,
                          spaceAfter=5, splitLongWords=1, shaping=1)
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
        "banner": ParagraphStyle("banner", parent=base, fontName=BODY_BOLD, fontSize=12, leading=16,
                                 alignment=TA_CENTER, spaceAfter=0),
        "footer": ParagraphStyle("footer", parent=base, fontSize=8, leading=10, spaceAfter=0,
                                 textColor=colors.HexColor("#444444")),
    }


def _p(text: str, style: str = "body", bold: bool = False) -> Paragraph:
    body = markup(text)
    return Paragraph(f"<b>{body}</b>" if bold else body, _styles()[style])


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


class _SheetBuilder:
    def __init__(self, screening: Screening, result: ScreeningResult, clinic: Clinic,
                 review: Review | None, content: Content):
        self.s, self.r, self.clinic, self.review, self.content = screening, result, clinic, review, content
        self.t = sheet_texts()
        self.kind = sheet_kind(result, review)
        self.pagesize = PAGE_SIZES.get(clinic.page_size, letter)
        # The frame keeps 6 pt of padding each side; tables as wide as the margins would stick out.
        self.width = self.pagesize[0] - 2 * MARGIN - 2 * FRAME_PADDING

    # --- pieces shared by every kind -----------------------------------------------------

    def header(self) -> list:
        c = self.clinic
        parts = [_p(c.name or "Clinic name not set: ask the clinic admin to set it", "clinic")]
        for line in (c.address, c.phone):
            if line:
                parts.append(_p(line, "small"))
        return parts

    def patient_details(self) -> Table:
        f, s = self.t["fields"], self.s
        rows = [(f["patient"], s.patient.name), (f["date_of_birth"], s.patient.date_of_birth.isoformat())]
        if s.patient.patient_id:
            rows.append((f["patient_id"], s.patient.patient_id))
        rows.append((f["route"], self.t["routes"][s.treatment.route.value]))
        if s.treatment.area:
            rows.append((f["area"], s.treatment.area))
        rows.append((f["date"], s.treatment.date.isoformat()))
        product = s.product or {}
        if product.get("name"):
            rows.append((f["product"], product["name"]))
        if self.r.product is not None and self.r.product.lot:
            lot = self.r.product.lot
            if not self.r.product.verified:
                lot += f" ({f['lot_not_verified']})"
            rows.append((f["lot"], lot))
        return _grid([[_p(k, "cell_bold"), _p(v, "cell")] for k, v in rows], [4.2 * cm, self.width - 4.2 * cm])

    def answers_table(self) -> list:
        labels = self.t["answers"]
        rows = []
        for q in self.content.questions:
            answer = self.s.answers.get(q.id)
            label = labels[answer.value] if answer else labels["missing"]
            question = [_p(q.text, "cell")]
            for detail in self.s.follow_ups.get(q.id, {}).values():
                question.append(Paragraph(f"<i>{markup(detail)}</i>", _styles()["cell"]))
            rows.append([question, _p(label, "cell_bold" if label != labels["no"] else "cell")])
        return [_p(self.t["consent"]["labels"]["answers_heading"], "heading"),
                _grid(rows, [self.width - 3.4 * cm, 3.4 * cm])]

    def sections(self) -> list:
        out = []
        for section in self.t["consent"]["section"]:
            out.append(_p(section["heading"], "heading"))
            if section.get("intro"):
                out.append(_p(section["intro"]))
            for para in section.get("paragraphs", []):
                out.append(_p(para))
            if section.get("items"):
                out.append(ListFlowable(
                    [ListItem(_p(item), leftIndent=18, value=i) for i, item in enumerate(section["items"], 1)],
                    bulletType="1", bulletFontName=BODY, bulletFontSize=12, leftIndent=18))
        phone = self.clinic.phone or "the clinic"
        out.append(_p(f"{self.t['consent']['labels']['clinic_contact']} {phone}.", bold=True))
        return out

    def blood_advice(self) -> list:
        advice = [a for a in self.r.advice if a.topic == "blood_donation"]
        if not advice:
            return []
        heading = self.t["consent"]["labels"]["blood_heading"]
        return [Spacer(1, 6), _boxed([_p(heading, "heading"), _p(advice[0].text)], self.width)]

    def review_note(self) -> list:
        if self.review is None or self.r.outcome is not Outcome.CLINICIAN_REVIEW:
            return []
        labels = self.t["consent"]["labels"]
        when = self.review.reviewed_at.strftime("%Y-%m-%d %H:%M")
        out = [_p(labels["review_heading"], "heading"),
               _p(labels["reviewed_by"].format(clinician=self.review.clinician, when=when))]
        for qid, decision in self.review.decisions.items():
            if decision.reason:
                out.append(_p(labels["review_note"].format(question=finding_title(self.content, qid),
                                                           reason=decision.reason), "small"))
        return out

    def signatures(self) -> KeepTogether:
        labels = self.t["consent"]["labels"]
        clinician = self.review.clinician if self.review else ""
        line_w, date_w, gap = self.width * 0.62, self.width * 0.30, self.width * 0.08

        def block(label: str, printed: str) -> Table:
            rows = [["", "", ""],
                    [_p(label, "small"), "", _p(labels["date"], "small")],
                    [_p(f"{labels['printed_name']}: {printed}" if printed else f"{labels['printed_name']}:", "small"),
                     "", ""]]
            # The printed-name row grows with a long name (it wraps), leaving room to write above.
            table = Table(rows, colWidths=[line_w, gap, date_w], rowHeights=[1.2 * cm, None, None])
            table.setStyle(TableStyle([
                ("TOPPADDING", (0, 2), (-1, 2), 0.5 * cm),
                ("LINEBELOW", (0, 0), (0, 0), 0.8, INK), ("LINEBELOW", (2, 0), (2, 0), 0.8, INK),
                ("LINEBELOW", (0, 2), (0, 2), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]))
            return table

        statement = [_p(labels["statement_heading"], "heading")]
        statement += [_p(line) for line in labels["statement"]]
        return KeepTogether(statement + [
            Spacer(1, 4), block(labels["signature_patient"], self.s.patient.name),
            Spacer(1, 10), block(labels["signature_clinician"], clinician),
            Spacer(1, 6), _p(labels["keep_copy"], "small")])

    # --- the four kinds ---------------------------------------------------------------------

    def consent(self) -> list:
        return ([*self.header(), _p(self.t["consent"]["title"], "title"), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table(), *self.review_note(),
                 self.signatures()])

    def awaiting_review(self) -> list:
        text = self.t["awaiting_review"]
        return ([*self.header(), _p(text["title"], "title"),
                 _boxed([_p(text["banner"], "banner")], self.width), Spacer(1, 8), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table()])

    def do_not_treat(self) -> list:
        text = self.t["do_not_treat"]
        reasons = text["reasons"]
        why = []
        for f in self.r.findings:
            if f.outcome is Outcome.DO_NOT_TREAT:
                key = f"{f.question}.{self.s.treatment.route.value}"
                why.append(reasons.get(key) or reasons.get(f.question) or reasons["default"])
        return ([*self.header(), _p(text["title"], "title"), self.patient_details(), Spacer(1, 8),
                 _p(text["intro"]), _p(text["why_heading"], "heading"), *self._bullets(dict.fromkeys(why)),
                 _p(text["next_heading"], "heading"), *self._bullets(text["next"]),
                 _p(f"{self.t['consent']['labels']['clinic_contact']} {self.clinic.phone or 'the clinic'}.",
                    bold=True),
                 _boxed([_p(text["no_charge"], "banner")], self.width), *self.answers_table()])

    def deferred(self) -> list:
        text = self.t["deferred"]
        notes = [d.reason for d in self.review.decisions.values() if d.decision.value == "defer" and d.reason]
        flow = [*self.header(), _p(text["title"], "title"), self.patient_details(), Spacer(1, 8), _p(text["intro"])]
        if notes:
            flow += [_p(text["why_heading"], "heading"), *self._bullets(notes)]
        return flow + [_p(self.t["do_not_treat"]["next_heading"], "heading"), *self._bullets(text["next"]),
                       *self.answers_table()]

    def _bullets(self, items) -> list:
        return [ListFlowable([ListItem(_p(i), leftIndent=14) for i in items], bulletType="bullet",
                             start="•", bulletFontName=BODY, leftIndent=14)]

    # --- output ----------------------------------------------------------------------------

    def footer_text(self, page: int, pages: int) -> str:
        return self.t["footer"]["text"].format(
            name=self.s.patient.name, dob=self.s.patient.date_of_birth.isoformat(),
            questionnaire=self.r.questionnaire_version, rules=self.r.rules_version,
            sheet=self.t["sheet"]["version"], page=page, pages=pages)

    def draw_footer(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        para = Paragraph(markup(self.footer_text(page, pages)), _styles()["footer"])
        _, height = para.wrapOn(canvas, self.width, self.pagesize[1] / 4)
        para.drawOn(canvas, MARGIN, FOOTER_BOTTOM)
        rule = FOOTER_BOTTOM + height + 0.15 * cm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, rule, self.pagesize[0] - MARGIN, rule)
        canvas.restoreState()

    def footer_height(self) -> float:
        """The tallest the footer gets (a long name wraps): the page body ends above it."""
        para = Paragraph(markup(self.footer_text(999, 999)), _styles()["footer"])
        return para.wrap(self.width, self.pagesize[1] / 4)[1]

    def build(self) -> bytes:
        flow = {SheetKind.CONSENT: self.consent, SheetKind.AWAITING_REVIEW: self.awaiting_review,
                SheetKind.DO_NOT_TREAT: self.do_not_treat, SheetKind.DEFERRED: self.deferred}[self.kind]()
        buffer = io.BytesIO()
        title = {SheetKind.CONSENT: self.t["consent"]["title"],
                 SheetKind.AWAITING_REVIEW: self.t["awaiting_review"]["title"],
                 SheetKind.DO_NOT_TREAT: self.t["do_not_treat"]["title"],
                 SheetKind.DEFERRED: self.t["deferred"]["title"]}[self.kind]
        doc = SimpleDocTemplate(buffer, pagesize=self.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                                topMargin=MARGIN, title=title,
                                bottomMargin=max(MARGIN + 0.6 * cm, FOOTER_BOTTOM + self.footer_height() + 0.9 * cm),
                                author=self.clinic.name or "Exosome screening assistant",
                                subject=f"{self.kind.value}", invariant=1)
        doc.build(flow, canvasmaker=_numbered_canvas(self.draw_footer))
        return buffer.getvalue()


def _numbered_canvas(draw_footer):
    """A canvas that holds pages back until the end, so every footer can say 'of Y'."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                draw_footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def build_sheet(screening: Screening, result: ScreeningResult, *, clinic: Clinic | None = None,
                review: Review | None = None, content: Content | None = None) -> bytes:
    """The patient sheet for this screening as PDF bytes (byte-stable for the same input)."""
    review = review if review is not None else screening.review
    return _SheetBuilder(screening, result, clinic or Clinic(), review, content or default_content()).build()
