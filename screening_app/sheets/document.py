"""The patient sheet: a screening result in, PDF bytes out.

Which sheet is printed is decided by `screening.consent.sheet_kind`, never here: a
do-not-treat screening gets a sheet with no consent statement and no signature line,
and so does a clinician-review screening that no clinician has yet approved, and one
whose product lot is not checked or has not passed its checks. Only the consent kind
has signature lines.

Every risk on the sheet cites its sources by id (sheet.toml); they are listed in full at the
end of the sheet, so the patient or their doctor can look them up.

The sheet is in the screening's language (its language pack), with dates and numbers written
the language's way; a pack not yet signed off by a qualified reviewer says so at the top and in
every footer. When the clinic asks for it, the clinic's copy in English follows.
"""
from __future__ import annotations

import datetime as dt
import io

from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import cm
from reportlab.platypus import ListFlowable, ListItem, PageBreak, SimpleDocTemplate, Spacer

from ..screening import Screening, ScreeningResult, default_content
from ..screening.consent import Declined, Review, SheetKind, review_needed, sheet_kind
from ..screening.content import Content
from ..screening.engine import blood_donation_advice
from ..screening.history import finding_title
from ..screening.languages import ENGLISH, canonical_language, pack_for
from ..screening.localize import awaiting_review, format_day, format_moment, format_number, localized
from ..screening.model import Outcome
from ..screening.references import Reference
from ..screening.signature import SignedBy, signed_line
from .clinic import Clinic, clinic_from_file, clinic_from_settings
from .fonts import BODY, markup
from .kinds import KINDS
from .pages import CopyStart, FooterParts, numbered_canvas
from .shaping import SheetParagraph as Paragraph
from .signatures import SignatureParts
from .styles import FOOTER_BOTTOM, FRAME_PADDING, MARGIN, PAGE_SIZES, _boxed, _grid, _p, _styles
from .texts import ind_display, procedure_key, sheet_problems, sheet_texts

# Binary streams instead of ASCII85: PDFs are ~20% smaller and quicker to write; every reader
# since PDF 1.0 takes them.
rl_config.useA85 = 0

__all__ = ["MARGIN", "Clinic", "build_sheet", "clinic_from_file", "clinic_from_settings", "ind_display",
           "procedure_key", "sheet_problems", "sheet_texts", "_styles"]


class _SheetBuilder(SignatureParts, FooterParts):
    def __init__(self, screening: Screening, result: ScreeningResult, clinic: Clinic,
                 review: Review | None, content: Content, declined: Declined | None = None,
                 completed_by: str = "", completed_on: dt.date | None = None, signed: SignedBy | None = None,
                 anchor: str = "", language: str | None = None):
        self.s, self.r, self.clinic, self.review = screening, result, clinic, review
        self.signed, self.anchor = signed, anchor
        self.declined, self.completed_by, self.completed_on = declined, completed_by, completed_on
        self.language = canonical_language(language or getattr(screening, "language", ENGLISH)) or ENGLISH
        self.t = sheet_texts(self.language)
        self.content = localized(content, self.language)
        pack = pack_for(self.language, content) if self.language != ENGLISH else None
        self.pack = pack
        self.awaiting = pack is not None and awaiting_review(pack, clinic.translation_reviews)
        self.cjk = pack is not None and pack.line_breaks == "cjk"
        self.styles = _styles(self.cjk)
        self.kind = sheet_kind(result, review, declined)
        self.pagesize = PAGE_SIZES.get(clinic.page_size, letter)
        # The frame keeps 6 pt of padding each side; tables as wide as the margins would stick out.
        self.width = self.pagesize[0] - 2 * MARGIN - 2 * FRAME_PADDING
        self.cited: list[Reference] = []  # in order of first citation: the sources list's numbers
        self.minor = any(f.question == "patient_is_minor" for f in result.findings)
        signing = getattr(screening, "signing", None)
        self.witness = clinic.witness_line or bool(signing and signing.witness)
        self.interpreter = clinic.interpreter_line or bool(signing and signing.interpreter)

    # --- words, dates and numbers in the sheet's language ------------------------------------

    def p(self, text: str, style: str = "body", bold: bool = False) -> Paragraph:
        return _p(text, style, bold, self.cjk)

    def day(self, day: dt.date) -> str:
        return format_day(day, self.language)

    def moment(self, moment: dt.datetime) -> str:
        return format_moment(moment, self.language)

    def number(self, n: int) -> str:
        return format_number(n, self.language)

    # --- pieces shared by every kind -----------------------------------------------------

    def header(self) -> list:
        c = self.clinic
        parts = [self.p(c.name or self.t["header"]["no_clinic_name"], "clinic")]
        for line in (c.address, c.phone):
            if line:
                parts.append(self.p(line, "small"))
        if self.awaiting:
            # Seen before anything else: the translation has not been checked by a qualified reviewer.
            english = sheet_texts(ENGLISH)["translation"]["awaiting_review_short"]
            parts += [Spacer(1, 4), _boxed([self.p(self.t["translation"]["awaiting_review"], "cell_bold"),
                                            self.p(english, "small")], self.width)]
        return parts

    @property
    def ind(self) -> str:
        return ind_display((self.s.product or {}).get("ind_number"))

    def patient_details(self):
        f, s = self.t["fields"], self.s
        rows = [(f["patient"], s.patient.name), (f["date_of_birth"], self.day(s.patient.date_of_birth))]
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
        rows.append((f["date"], self.day(s.treatment.date)))
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
        return _grid([[self.p(k, "cell_bold"), self.p(v, "cell")] for k, v in rows],
                     [4.2 * cm, self.width - 4.2 * cm])

    def answers_table(self) -> list:
        labels = self.t["answers"]
        rows = []
        for q in self.content.questions:
            answer = self.s.answers.get(q.id)
            label = labels[answer.value] if answer else labels["missing"]
            question = [self.p(q.text, "cell")]
            for detail in self.s.follow_ups.get(q.id, {}).values():
                question.append(Paragraph(f"<i>{markup(detail)}</i>", self.styles["cell"]))
            rows.append([question, self.p(label, "cell_bold" if label != labels["no"] else "cell")])
        return [self.p(self.t["consent"]["labels"]["answers_heading"], "heading"),
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
            [ListItem(Paragraph(markup(item["text"]) + self.cite(item["references"]), self.styles["body"]),
                      leftIndent=18, value=i) for i, item in enumerate(items, 1)],
            bulletType="1", bulletFontName=BODY, bulletFontSize=12, leftIndent=18)

    def then(self, piece: str) -> list:
        """The parts of a section that come from the screening or the clinic, not from fixed text."""
        texts = self.t["consent_texts"]
        if piece == "investigation":
            return [self.p(texts["investigation_with_ind"].format(ind=self.ind) if self.ind
                           else texts["investigation_without_ind"])]
        if piece == "procedure_risks":
            risks = self.t["procedure_risks"][procedure_key(self.s.treatment)]
            return [self.p(risks["heading"], "subheading"), self.risk_list(risks["items"])]
        clinic_text = {"costs": self.clinic.costs_text, "injury": self.clinic.injury_text,
                       "rights": self.clinic.rights_contact}[piece]
        return [self.p(clinic_text.strip() or texts[f"{piece}_default"])]

    def contact_line(self) -> Paragraph:
        c = self.clinic
        the_clinic = self.t["header"]["the_clinic"]
        if c.phone:
            return self.p(self.t["consent_texts"]["contact"].format(clinic=c.name or the_clinic, phone=c.phone),
                          bold=True)
        return self.p(f"{self.t['consent']['labels']['clinic_contact']} {the_clinic}.", bold=True)

    def sections(self) -> list:
        out = []
        for section in self.t["consent"]["section"]:
            out.append(self.p(section["heading"], "heading"))
            if section.get("intro"):
                out.append(self.p(section["intro"]))
            paragraphs = section.get("paragraphs", [])
            if paragraphs:
                out.append(self.p(paragraphs[0]))
            if section.get("then") == "investigation":  # the IND statement belongs right after "not approved"
                out += self.then("investigation")
            out += [self.p(para) for para in paragraphs[1:]]
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
        # The sources are English citations and addresses: broken at spaces, never inside a word.
        items = [ListItem(_p(f"{ref.citation} {ref.url}", "small"), leftIndent=18, value=i)
                 for i, ref in enumerate(self.cited, 1)]
        return [self.p(labels["sources_heading"], "heading"), self.p(labels["sources_intro"], "small"),
                ListFlowable(items, bulletType="1", bulletFontName=BODY, bulletFontSize=8, leftIndent=18)]

    def blood_advice(self) -> list:
        advice = [a for a in self.r.advice if a.topic == "blood_donation"]
        if not advice:
            return []
        text = advice[0].text
        if self.language != ENGLISH:  # the pack's advice; the clinic's own sentence as the clinic wrote it
            text = blood_donation_advice(self.content, self.s.answers.get("blood_donation"),
                                         advice[0].clinic_text).text
        heading = self.t["consent"]["labels"]["blood_heading"]
        return [Spacer(1, 6), _boxed([self.p(heading, "heading"), self.p(text)], self.width)]

    def review_note(self) -> list:
        if self.review is None or not review_needed(self.r):
            return []
        labels = self.t["consent"]["labels"]
        out = [self.p(labels["review_heading"], "heading"),
               self.p(labels["reviewed_by"].format(clinician=self.review.clinician,
                                                   when=self.moment(self.review.reviewed_at)))]
        for qid, decision in self.review.decisions.items():
            if decision.reason:
                out.append(self.p(labels["review_note"].format(question=finding_title(self.content, qid),
                                                               reason=decision.reason), "small"))
        return out

    def electronic_signature(self) -> list:
        """The clinician's electronic signature: printed name, date and time, and its meaning (in
        English in every language: it is the meaning the store signs, 21 CFR 11.50)."""
        if self.signed is None:
            return []
        return [Spacer(1, 10), _boxed([self.p(self.t["signature"]["heading"], "subheading"),
                                       _p(signed_line(self.signed, self.kind.value))], self.width)]

    def banner(self, key: str) -> list:
        return [_boxed([self.p(self.t[key]["banner"], "banner")], self.width), Spacer(1, 8)]

    # --- the kinds ----------------------------------------------------------------------------

    def consent(self) -> list:
        return ([*self.header(), self.p(self.t["consent"]["title"], "title"), self.patient_details(),
                 *self.sections(), *self.blood_advice(), *self.answers_table(), *self.review_note(),
                 *self.signatures(), *self.sources()])

    def awaiting_review(self) -> list:
        return ([*self.header(), self.p(self.t["awaiting_review"]["title"], "title"), *self.banner("awaiting_review"),
                 self.patient_details(), *self.sections(), *self.blood_advice(), *self.answers_table(),
                 *self.sources()])

    def declined_sheet(self) -> list:
        """The patient read the consent and said no: the record shows what they read, nothing to sign."""
        text = self.t["declined"]
        assert self.declined is not None  # the kind is DECLINED only with a recorded refusal
        recorded = [self.p(text["recorded"].format(by=self.declined.recorded_by,
                                                   when=self.moment(self.declined.recorded_at)))]
        if self.declined.note:
            recorded.append(self.p(text["note"].format(note=self.declined.note), "small"))
        recorded.append(Spacer(1, 6))
        return ([*self.header(), self.p(text["title"], "title"), *self.banner("declined"), *recorded,
                 self.patient_details(), self.p(text["read_heading"], "heading"), *self.sections(),
                 *self.blood_advice(), *self.answers_table(), *self.review_note(), *self.staff_lines(),
                 *self.sources()])

    def lot_not_checked(self) -> list:
        return ([*self.header(), self.p(self.t["lot_not_checked"]["title"], "title"), *self.banner("lot_not_checked"),
                 self.patient_details(), *self.sections(), *self.blood_advice(), *self.answers_table()])

    def lot_not_verified(self) -> list:
        text = self.t["lot_not_verified"]
        call = f"{self.t['consent']['labels']['clinic_contact']} {self.clinic.phone or self.t['header']['the_clinic']}."
        return ([*self.header(), self.p(text["title"], "title"), *self.banner("lot_not_verified"),
                 self.patient_details(), Spacer(1, 8), self.p(text["intro"]),
                 self.p(self.t["do_not_treat"]["next_heading"], "heading"), *self._bullets(text["next"]),
                 self.p(call, bold=True), *self.answers_table()])

    def do_not_treat(self) -> list:
        text = self.t["do_not_treat"]
        reasons = text["reasons"]
        why = []
        for f in self.r.findings:
            if f.outcome is Outcome.DO_NOT_TREAT:
                key = f"{f.question}.{self.s.treatment.route.value}"
                why.append(reasons.get(key) or reasons.get(f.question) or reasons["default"])
        return ([*self.header(), self.p(text["title"], "title"), self.patient_details(), Spacer(1, 8),
                 self.p(text["intro"]), self.p(text["why_heading"], "heading"), *self._bullets(dict.fromkeys(why)),
                 self.p(text["next_heading"], "heading"), *self._bullets(text["next"]), self.contact_line(),
                 _boxed([self.p(text["no_charge"], "banner")], self.width), *self.answers_table()])

    def deferred(self) -> list:
        text = self.t["deferred"]
        assert self.review is not None  # the kind is DEFERRED only with a review that defers
        notes = [d.reason for d in self.review.decisions.values() if d.decision.value == "defer" and d.reason]
        flow = [*self.header(), self.p(text["title"], "title"), self.patient_details(), Spacer(1, 8),
                self.p(text["intro"])]
        if notes:
            flow += [self.p(text["why_heading"], "heading"), *self._bullets(notes)]
        return flow + [self.p(self.t["do_not_treat"]["next_heading"], "heading"), *self._bullets(text["next"]),
                       self.contact_line(), *self.answers_table()]

    def _bullets(self, items) -> list:
        return [ListFlowable([ListItem(self.p(i), leftIndent=14) for i in items], bulletType="bullet",
                             start="•", bulletFontName=BODY, leftIndent=14)]

    # --- output ----------------------------------------------------------------------------

    def flow(self) -> list:
        # The table of sheet kinds (kinds.py) says which builder lays this kind out.
        return getattr(self, KINDS[self.kind].builder)() + self.electronic_signature()

    def build(self, english_copy: _SheetBuilder | None = None) -> bytes:
        """The PDF; with `english_copy`, the clinic's copy in English follows the patient's,
        each copy's pages numbered on their own."""
        flow = self.flow()
        builders = [self]
        if english_copy is not None:
            notice = sheet_texts(ENGLISH)["translation"]["clinic_copy"].format(language=self.pack_name)
            flow += [PageBreak(), CopyStart(1), english_copy.p(notice, "cell_bold"), Spacer(1, 4),
                     *english_copy.flow()]
            builders.append(english_copy)
        buffer = io.BytesIO()
        footer = max(b.footer_height() for b in builders)
        doc = SimpleDocTemplate(buffer, pagesize=self.pagesize, leftMargin=MARGIN, rightMargin=MARGIN,
                                topMargin=MARGIN, title=KINDS[self.kind].title(self.t),
                                bottomMargin=max(MARGIN + 0.6 * cm, FOOTER_BOTTOM + footer + 0.9 * cm),
                                author=self.clinic.name or "Exosome screening assistant",
                                subject=f"{self.kind.value}", invariant=1, lang=self.language)
        doc.build(flow, canvasmaker=numbered_canvas([b.draw_footer for b in builders]))
        return buffer.getvalue()

    @property
    def pack_name(self) -> str:
        return self.pack.english_name if self.pack is not None else "English"


def build_sheet(screening: Screening, result: ScreeningResult, *, clinic: Clinic | None = None,
                review: Review | None = None, content: Content | None = None,
                declined: Declined | None = None, completed_by: str = "",
                completed_on: dt.date | None = None, signed: SignedBy | None = None, anchor: str = "",
                language: str | None = None) -> bytes:
    """The patient sheet for this screening as PDF bytes (byte-stable for the same input).

    `declined`: the patient read the consent and said no; the sheet becomes the record of what
    they read (nothing to sign). `completed_by`/`completed_on`: the front desk member who filled
    in the form, printed on the consent's "completed by" line (left blank to write by hand).
    `signed`: the clinician's electronic signature, printed with its meaning; `anchor`: the audit
    trail's mark when the sheet was made for signing, printed in every footer.
    `language`: the sheet's language (default: the screening's). When the clinic prints its
    copy in English (`clinic.english_copy`), a sheet in another language is followed by it."""
    review = review if review is not None else screening.review
    declined = declined if declined is not None else getattr(screening, "declined", None)
    clinic = clinic or Clinic()
    content = content or default_content()
    args = (screening, result, clinic, review, content, declined, completed_by, completed_on, signed, anchor)
    builder = _SheetBuilder(*args, language=language)
    english = _SheetBuilder(*args, language=ENGLISH) \
        if clinic.english_copy and builder.language != ENGLISH else None
    return builder.build(english)
