"""The patient sheet: a screening result in, PDF bytes out.

Which sheet is printed is decided by `screening.consent.sheet_kind`, never here: a
do-not-treat screening gets a sheet with no consent statement and no signature line,
and so does a clinician-review screening that no clinician has yet approved, and one
whose product lot is not checked or has not passed its checks. Only the consent kind
has signature lines.

Every risk on the sheet cites its sources by id (sheet.toml); they are listed in full at the
end of the sheet, so the patient or their doctor can look them up.
"""
from __future__ import annotations

import datetime as dt
import io
import re
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
from reportlab.platypus import KeepTogether, ListFlowable, ListItem, SimpleDocTemplate, Spacer, Table, TableStyle

from ..resources import resource_path
from ..screening import ContentError, Screening, ScreeningResult, default_content
from ..screening.consent import Declined, Review, SheetKind, sheet_kind
from ..screening.content import Content
from ..screening.history import finding_title
from ..screening.model import ClinicInfo, Outcome
from ..screening.references import REFERENCES_FILE, Reference
from ..screening.signature import SignedBy, signed_line
from .fonts import BODY, BODY_BOLD, markup, register_fonts
from .kinds import KINDS
from .shaping import SheetParagraph as Paragraph

# Binary streams instead of ASCII85: PDFs are ~20% smaller and quicker to write; every reader
# since PDF 1.0 takes them.
rl_config.useA85 = 0

PAGE_SIZES = {"letter": letter, "a4": A4}
MARGIN = 2 * cm
FRAME_PADDING = 6  # reportlab's default Frame padding
INITIALS_WIDTH = 5.2 * cm  # the footer's "Patient's initials" line on a consent
FOOTER_BOTTOM = 1.2 * cm  # the footer grows upwards from here: a long name wraps, never overprints
INK = colors.HexColor("#1a1a1a")
SHADE = colors.HexColor("#f1f1f1")
RULE = colors.HexColor("#8a8a8a")


@dataclass(frozen=True)
class Clinic:
    """The clinic on the sheet: header, whom to call, and the clinic's own consent texts.
    Comes from the clinic settings, or the screening file's `clinic` section."""

    name: str = ""
    address: str = ""
    phone: str = ""
    page_size: str = "letter"
    rights_contact: str = ""  # whom to contact about the patient's rights (21 CFR 50.25(a)(7))
    injury_text: str = ""  # care and who pays if the patient is injured (50.25(a)(6))
    costs_text: str = ""  # costs to the patient (50.25(b)(3))
    witness_line: bool = False
    interpreter_line: bool = False

    @property
    def can_print(self) -> bool:
        """A patient sheet must say whom to call: a name and a phone number at least."""
        return bool(self.name.strip() and self.phone.strip())


def clinic_from_settings(settings) -> Clinic:
    """The sheet's clinic from the workstation's clinic settings (records.settings.ClinicSettings)."""
    def get(name, default=""):
        return getattr(settings, name, default)
    return Clinic(get("clinic_name"), get("clinic_address"), get("clinic_phone"), get("page_size", "letter"),
                  get("clinic_rights_contact"), get("clinic_injury_text"), get("clinic_costs_text"),
                  get("witness_line", False), get("interpreter_line", False))


def clinic_from_file(info: ClinicInfo, page_size: str = "letter") -> Clinic:
    """The sheet's clinic from the screening file's `clinic` section."""
    return Clinic(info.name, info.address, info.phone, page_size, info.rights_contact, info.injury_text,
                  info.costs_text)


@lru_cache(maxsize=1)
def sheet_texts() -> dict:
    with resource_path("sheet.toml").open("rb") as fh:
        texts = tomllib.load(fh)
    problems = sheet_problems(texts, default_content().references)
    if problems:
        raise ContentError(problems)
    return texts


def _risk_lists(texts: dict):
    """(label, items) for every list of risks on the sheet."""
    for section in texts.get("consent", {}).get("section", []):
        if section.get("items"):
            yield f"consent.section {section.get('heading', '?')!r}", section["items"]
    for key, table in texts.get("procedure_risks", {}).items():
        yield f"procedure_risks.{key}", table.get("items", [])


def sheet_problems(texts: dict, references: dict[str, Reference]) -> list[str]:
    """Every risk must cite at least one source by an id of references.toml."""
    problems = []
    for label, items in _risk_lists(texts):
        for i, item in enumerate(items):
            where = f"sheet.toml: {label} item {i + 1}"
            ids = item.get("references") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                problems.append(f"{where}: must be {{text = \"...\", references = [ids]}}")
            elif not isinstance(ids, list) or not ids:
                problems.append(f"{where}.references: every risk cites its sources by id from {REFERENCES_FILE}")
            else:
                problems += [f"{where}.references: unknown id {rid!r} (not in {REFERENCES_FILE})"
                             for rid in ids if rid not in references]
    for key in ("topical_none", "microneedling", "laser", "injection", "intravenous"):
        if key not in texts.get("procedure_risks", {}):
            problems.append(f"sheet.toml: procedure_risks.{key}: missing")
    return problems


def procedure_key(treatment) -> str:
    """The procedure_risks entry for a treatment: the topical procedure, or the route."""
    route = treatment.route.value
    if route != "topical":
        return route
    procedure = getattr(treatment, "procedure", None) or "none"  # Treatment.procedure, where known
    procedure = str(getattr(procedure, "value", procedure))
    return "topical_none" if procedure == "none" else procedure


def ind_display(value: object) -> str:
    """The IND number as printed, the way FDA writes it: "IND 012345", "IND#012345" and "012345"
    all print as IND 012345."""
    text = value.strip() if isinstance(value, str) else ""
    number = re.sub(r"^IND[\s#:.-]*", "", text, flags=re.IGNORECASE).strip()
    return f"IND {number}" if number else ""


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
        "subheading": ParagraphStyle("subheading", parent=base, fontName=BODY_BOLD, fontSize=11, leading=15,
                                     spaceBefore=6, spaceAfter=3, keepWithNext=1),
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
                 review: Review | None, content: Content, declined: Declined | None = None,
                 completed_by: str = "", completed_on: dt.date | None = None, signed: SignedBy | None = None,
                 anchor: str = ""):
        self.s, self.r, self.clinic, self.review, self.content = screening, result, clinic, review, content
        self.signed, self.anchor = signed, anchor
        self.declined, self.completed_by, self.completed_on = declined, completed_by, completed_on
        self.t = sheet_texts()
        self.kind = sheet_kind(result, review, declined)
        self.pagesize = PAGE_SIZES.get(clinic.page_size, letter)
        # The frame keeps 6 pt of padding each side; tables as wide as the margins would stick out.
        self.width = self.pagesize[0] - 2 * MARGIN - 2 * FRAME_PADDING
        self.cited: list[Reference] = []  # in order of first citation: the sources list's numbers
        self.minor = any(f.question == "patient_is_minor" for f in result.findings)
        signing = getattr(screening, "signing", None)
        self.witness = clinic.witness_line or bool(signing and signing.witness)
        self.interpreter = clinic.interpreter_line or bool(signing and signing.interpreter)

    # --- pieces shared by every kind -----------------------------------------------------

    def header(self) -> list:
        c = self.clinic
        parts = [_p(c.name or "Clinic name not set: ask the clinic admin to set it", "clinic")]
        for line in (c.address, c.phone):
            if line:
                parts.append(_p(line, "small"))
        return parts

    @property
    def ind(self) -> str:
        return ind_display((self.s.product or {}).get("ind_number"))

    def patient_details(self) -> Table:
        f, s = self.t["fields"], self.s
        rows = [(f["patient"], s.patient.name), (f["date_of_birth"], s.patient.date_of_birth.isoformat())]
        if s.patient.patient_id:
            rows.append((f["patient_id"], s.patient.patient_id))
        representative = getattr(s, "representative", None)
        if representative is not None:
            rows.append((f["representative"], f"{representative.name} ({representative.relationship})"))
        rows.append((f["route"], self.t["routes"][s.treatment.route.value]))
        key = procedure_key(s.treatment)
        if s.treatment.route.value == "topical":
            rows.append((f["procedure"], self.t["procedures"].get(key.removeprefix("topical_"), key)))
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
            elif self.kind is SheetKind.LOT_NOT_CHECKED:
                lot += f" ({f['lot_not_checked']})"  # checked for an earlier day
            rows.append((f["lot"], lot))
        if self.ind:
            rows.append((f["ind"], self.ind))
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

    def cite(self, ids) -> str:
        """Paragraph markup for the sources list's numbers of `ids`, e.g. ' [1, 4]'."""
        numbers = []
        for rid in ids:
            ref = self.content.references[rid]
            if ref not in self.cited:
                self.cited.append(ref)
            numbers.append(self.cited.index(ref) + 1)
        return f' <font size="8">[{", ".join(str(n) for n in sorted(set(numbers)))}]</font>'

    def risk_list(self, items) -> ListFlowable:
        return ListFlowable(
            [ListItem(Paragraph(markup(item["text"]) + self.cite(item["references"]), _styles()["body"]),
                      leftIndent=18, value=i) for i, item in enumerate(items, 1)],
            bulletType="1", bulletFontName=BODY, bulletFontSize=12, leftIndent=18)

    def then(self, piece: str) -> list:
        """The parts of a section that come from the screening or the clinic, not from fixed text."""
        texts = self.t["consent_texts"]
        if piece == "investigation":
            return [_p(texts["investigation_with_ind"].format(ind=self.ind) if self.ind
                       else texts["investigation_without_ind"])]
        if piece == "procedure_risks":
            risks = self.t["procedure_risks"][procedure_key(self.s.treatment)]
            return [_p(risks["heading"], "subheading"), self.risk_list(risks["items"])]
        clinic_text = {"costs": self.clinic.costs_text, "injury": self.clinic.injury_text,
                       "rights": self.clinic.rights_contact}[piece]
        return [_p(clinic_text.strip() or texts[f"{piece}_default"])]

    def contact_line(self) -> Paragraph:
        c = self.clinic
        if c.phone:
            return _p(self.t["consent_texts"]["contact"].format(clinic=c.name or "the clinic", phone=c.phone),
                      bold=True)
        return _p(f"{self.t['consent']['labels']['clinic_contact']} the clinic.", bold=True)

    def sections(self) -> list:
        out = []
        for section in self.t["consent"]["section"]:
            out.append(_p(section["heading"], "heading"))
            if section.get("intro"):
                out.append(_p(section["intro"]))
            paragraphs = section.get("paragraphs", [])
            if paragraphs:
                out.append(_p(paragraphs[0]))
            if section.get("then") == "investigation":  # the IND statement belongs right after "not approved"
                out += self.then("investigation")
            out += [_p(para) for para in paragraphs[1:]]
            if section.get("items"):
                out.append(self.risk_list(section["items"]))
            if section.get("then") and section["then"] != "investigation":
                out += self.then(section["then"])
        out.append(self.contact_line())
        return out

    def sources(self) -> list:
        if not self.cited:
            return []
        labels = self.t["consent"]["labels"]
        items = [ListItem(_p(f"{ref.citation} {ref.url}", "small"), leftIndent=18, value=i)
                 for i, ref in enumerate(self.cited, 1)]
        return [_p(labels["sources_heading"], "heading"), _p(labels["sources_intro"], "small"),
                ListFlowable(items, bulletType="1", bulletFontName=BODY, bulletFontSize=8, leftIndent=18)]

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

    def _signature_block(self, label: str, lines: list[str]) -> Table:
        """A signature line and a date line, then one written line for each of `lines`
        ("Printed name: Ann Lee", "Relationship to the patient: ")."""
        labels = self.t["consent"]["labels"]
        line_w, date_w, gap = self.width * 0.62, self.width * 0.30, self.width * 0.08
        rows = [["", "", ""], [_p(label, "small"), "", _p(labels["date"], "small")]]
        rows += [[_p(line, "small"), "", ""] for line in lines]
        # Each written row grows with a long name (it wraps), leaving room to write above it.
        table = Table(rows, colWidths=[line_w, gap, date_w], rowHeights=[1.2 * cm, None] + [None] * len(lines))
        table.setStyle(TableStyle([
            ("TOPPADDING", (0, 2), (-1, -1), 0.45 * cm),
            ("LINEBELOW", (0, 0), (0, 0), 0.8, INK), ("LINEBELOW", (2, 0), (2, 0), 0.8, INK),
            *[("LINEBELOW", (0, r), (0, r), 0.4, RULE) for r in range(2, 2 + len(lines))],
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        return table

    def signatures(self) -> list:
        """The consent statement and the signatures of whoever consents, kept together: never a
        signature without the statement it signs. Witness, interpreter and the clinic's lines follow,
        kept together in their turn."""
        labels = self.t["consent"]["labels"]
        name = labels["printed_name"]

        def printed(value: str = "") -> str:
            return f"{name}: {value}" if value else f"{name}:"

        representative = getattr(self.s, "representative", None)
        flow = [_p(labels["statement_heading"], "heading")]
        if self.minor or representative is not None:
            flow += [_p(line) for line in labels["statement_representative"]]
            flow += [Spacer(1, 4), self._signature_block(labels["signature_representative"], [
                printed(representative.name if representative else ""),
                f"{labels['relationship']}: {representative.relationship if representative else ''}".rstrip()])]
            if self.minor:
                flow += [_p(labels["assent_heading"], "subheading"), _p(labels["assent"]),
                         self._signature_block(labels["signature_assent"], [printed(self.s.patient.name)])]
        else:
            flow += [_p(line) for line in labels["statement"]]
            flow += [Spacer(1, 4), self._signature_block(labels["signature_patient"], [printed(self.s.patient.name)])]
        clinician = self.review.clinician if self.review else ""
        flow += [Spacer(1, 8), self._signature_block(labels["signature_clinician"], [printed(clinician)])]
        more = []
        if self.witness:
            more += [Spacer(1, 6), _p(labels["witness"], "small"),
                     self._signature_block(labels["signature_witness"], [printed()])]
        if self.interpreter:
            more += [Spacer(1, 6), _p(labels["interpreter"], "small"),
                     self._signature_block(labels["signature_interpreter"], [printed(), f"{labels['language']}:"])]
        more += [Spacer(1, 6), _p(labels["keep_copy"], "small"), *self.staff_lines()]
        return [KeepTogether(flow), KeepTogether(more)]

    def staff_lines(self) -> list:
        """Who completed the form (front desk) and who reviewed it (clinician), each with a date."""
        labels = self.t["consent"]["labels"]
        done_on = self.completed_on.isoformat() if self.completed_on else ""
        reviewer, reviewed_on = "", ""
        if self.review is not None:
            reviewer, reviewed_on = self.review.clinician, self.review.reviewed_at.date().isoformat()
        rows = [[_p(f"{labels['completed_by']}: {self.completed_by}", "small"), "",
                 _p(f"{labels['date']}: {done_on}", "small")],
                [_p(f"{labels['reviewed_by_line']}: {reviewer}", "small"), "",
                 _p(f"{labels['date']}: {reviewed_on}", "small")]]
        table = Table(rows, colWidths=[self.width * 0.62, self.width * 0.08, self.width * 0.30],
                      rowHeights=[0.9 * cm, 0.9 * cm])
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (0, -1), 0.4, RULE), ("LINEBELOW", (2, 0), (2, -1), 0.4, RULE),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        return [_p(labels["staff_heading"], "subheading"), table]

    # --- the kinds ----------------------------------------------------------------------------

    def consent(self) -> list:
        return ([*self.header(), _p(self.t["consent"]["title"], "title"), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table(), *self.review_note(),
                 *self.signatures(), *self.sources()])

    def awaiting_review(self) -> list:
        text = self.t["awaiting_review"]
        return ([*self.header(), _p(text["title"], "title"),
                 _boxed([_p(text["banner"], "banner")], self.width), Spacer(1, 8), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table(), *self.sources()])

    def declined_sheet(self) -> list:
        """The patient read the consent and said no: the record shows what they read, nothing to sign."""
        text = self.t["declined"]
        recorded = [_p(text["recorded"].format(by=self.declined.recorded_by,
                                               when=self.declined.recorded_at.strftime("%Y-%m-%d %H:%M")))]
        if self.declined.note:
            recorded.append(_p(text["note"].format(note=self.declined.note), "small"))
        recorded.append(Spacer(1, 6))
        return ([*self.header(), _p(text["title"], "title"),
                 _boxed([_p(text["banner"], "banner")], self.width), Spacer(1, 8), *recorded,
                 self.patient_details(), _p(text["read_heading"], "heading"), *self.sections(),
                 *self.blood_advice(), *self.answers_table(), *self.review_note(), *self.staff_lines(),
                 *self.sources()])

    def lot_not_checked(self) -> list:
        text = self.t["lot_not_checked"]
        return ([*self.header(), _p(text["title"], "title"),
                 _boxed([_p(text["banner"], "banner")], self.width), Spacer(1, 8), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table()])

    def lot_not_verified(self) -> list:
        text = self.t["lot_not_verified"]
        return ([*self.header(), _p(text["title"], "title"),
                 _boxed([_p(text["banner"], "banner")], self.width), Spacer(1, 8), self.patient_details(),
                 Spacer(1, 8), _p(text["intro"]), _p(self.t["do_not_treat"]["next_heading"], "heading"),
                 *self._bullets(text["next"]),
                 _p(f"{self.t['consent']['labels']['clinic_contact']} {self.clinic.phone or 'the clinic'}.",
                    bold=True),
                 *self.answers_table()])

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
                 _p(text["next_heading"], "heading"), *self._bullets(text["next"]), self.contact_line(),
                 _boxed([_p(text["no_charge"], "banner")], self.width), *self.answers_table()])

    def deferred(self) -> list:
        text = self.t["deferred"]
        notes = [d.reason for d in self.review.decisions.values() if d.decision.value == "defer" and d.reason]
        flow = [*self.header(), _p(text["title"], "title"), self.patient_details(), Spacer(1, 8), _p(text["intro"])]
        if notes:
            flow += [_p(text["why_heading"], "heading"), *self._bullets(notes)]
        return flow + [_p(self.t["do_not_treat"]["next_heading"], "heading"), *self._bullets(text["next"]),
                       self.contact_line(), *self.answers_table()]

    def _bullets(self, items) -> list:
        return [ListFlowable([ListItem(_p(i), leftIndent=14) for i in items], bulletType="bullet",
                             start="•", bulletFontName=BODY, leftIndent=14)]

    # --- output ----------------------------------------------------------------------------

    def footer_text(self, page: int, pages: int) -> str:
        text = self.t["footer"]["text"].format(
            name=self.s.patient.name, dob=self.s.patient.date_of_birth.isoformat(),
            questionnaire=self.r.questionnaire_version, rules=self.r.rules_version,
            sheet=self.t["sheet"]["version"], page=page, pages=pages)
        if self.anchor:
            # The audit trail's mark when this sheet was made: paper that anchors the history
            # (`audit verify --fingerprint` checks it against the records).
            text += "  ·  " + self.t["footer"]["record"].format(anchor=self.anchor)
        return text

    def electronic_signature(self) -> list:
        """The clinician's electronic signature: printed name, date and time, and its meaning."""
        if self.signed is None:
            return []
        return [Spacer(1, 10), _boxed([_p(self.t["signature"]["heading"], "subheading"),
                                       _p(signed_line(self.signed, self.kind.value))], self.width)]

    def draw_footer(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        if page > 1 and (self.clinic.name or self.clinic.phone):
            # Whom to call, on every page: page 1 has it in its header.
            running = Paragraph(markup("  ·  ".join(p for p in (self.clinic.name, self.clinic.phone) if p)),
                                _styles()["footer"])
            running.wrapOn(canvas, self.width, MARGIN)
            running.drawOn(canvas, MARGIN, self.pagesize[1] - MARGIN + 0.4 * cm)
        para = Paragraph(markup(self.footer_text(page, pages)), _styles()["footer"])
        _, height = para.wrapOn(canvas, self.footer_width, self.pagesize[1] / 4)
        para.drawOn(canvas, MARGIN, FOOTER_BOTTOM)
        if self.kind is SheetKind.CONSENT:
            # A line for the patient's initials on every page of a consent, beside the footer.
            label = self.t["consent"]["labels"]["initials"] + ":"
            x = self.pagesize[0] - MARGIN - INITIALS_WIDTH + 0.4 * cm
            y = FOOTER_BOTTOM + 2
            canvas.setFont(BODY, 8)
            canvas.setFillColor(colors.HexColor("#444444"))
            canvas.drawString(x, y, label)
            canvas.setStrokeColor(INK)
            canvas.setLineWidth(0.6)
            canvas.line(x + canvas.stringWidth(label, BODY, 8) + 4, y - 1, self.pagesize[0] - MARGIN, y - 1)
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
        para = Paragraph(markup(self.footer_text(999, 999)), _styles()["footer"])
        return para.wrap(self.footer_width, self.pagesize[1] / 4)[1]

    def build(self) -> bytes:
        kind = KINDS[self.kind]  # the table of sheet kinds: which builder lays it out, its title
        flow = getattr(self, kind.builder)() + self.electronic_signature()
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=self.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                                topMargin=MARGIN, title=kind.title(self.t),
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
                review: Review | None = None, content: Content | None = None,
                declined: Declined | None = None, completed_by: str = "",
                completed_on: dt.date | None = None, signed: SignedBy | None = None, anchor: str = "") -> bytes:
    """The patient sheet for this screening as PDF bytes (byte-stable for the same input).

    `declined`: the patient read the consent and said no; the sheet becomes the record of what
    they read (nothing to sign). `completed_by`/`completed_on`: the front desk member who filled
    in the form, printed on the consent's "completed by" line (left blank to write by hand).
    `signed`: the clinician's electronic signature, printed with its meaning; `anchor`: the audit
    trail's mark when the sheet was made for signing, printed in every footer."""
    review = review if review is not None else screening.review
    declined = declined if declined is not None else getattr(screening, "declined", None)
    return _SheetBuilder(screening, result, clinic or Clinic(), review, content or default_content(),
                         declined, completed_by, completed_on, signed, anchor).build()
