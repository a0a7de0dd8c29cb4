"""The consent's signature blocks and the clinic's staff lines: a part of the sheet builder."""
from __future__ import annotations

import datetime as dt
from typing import Any

from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from .styles import INK, RULE


class SignatureParts:
    """Mixed into the sheet builder, which gives `t` (the texts), `p` (a paragraph), `width`,
    `s` (the screening), `review`, `minor`, `witness`, `interpreter` and the date formats."""

    t: dict
    width: float
    s: Any
    review: Any
    minor: bool
    witness: bool
    interpreter: bool
    completed_by: str
    completed_on: dt.date | None

    def p(self, text: str, style: str = "body", bold: bool = False) -> Any:
        raise NotImplementedError

    def day(self, day: dt.date) -> str:
        raise NotImplementedError

    def _signature_block(self, label: str, lines: list[str]) -> Table:
        """A signature line and a date line, then one written line for each of `lines`
        ("Printed name: Ann Lee", "Relationship to the patient: ")."""
        labels = self.t["consent"]["labels"]
        line_w, date_w, gap = self.width * 0.62, self.width * 0.30, self.width * 0.08
        rows = [["", "", ""], [self.p(label, "small"), "", self.p(labels["date"], "small")]]
        rows += [[self.p(line, "small"), "", ""] for line in lines]
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
        p = self.p

        def printed(value: str = "") -> str:
            return f"{name}: {value}" if value else f"{name}:"

        representative = getattr(self.s, "representative", None)
        flow = [p(labels["statement_heading"], "heading")]
        if self.minor or representative is not None:
            flow += [p(line) for line in labels["statement_representative"]]
            flow += [Spacer(1, 4), self._signature_block(labels["signature_representative"], [
                printed(representative.name if representative else ""),
                f"{labels['relationship']}: {representative.relationship if representative else ''}".rstrip()])]
            if self.minor:
                flow += [p(labels["assent_heading"], "subheading"), p(labels["assent"]),
                         self._signature_block(labels["signature_assent"], [printed(self.s.patient.name)])]
        else:
            flow += [p(line) for line in labels["statement"]]
            flow += [Spacer(1, 4), self._signature_block(labels["signature_patient"], [printed(self.s.patient.name)])]
        clinician = self.review.clinician if self.review else ""
        flow += [Spacer(1, 8), self._signature_block(labels["signature_clinician"], [printed(clinician)])]
        more = []
        if self.witness:
            more += [Spacer(1, 6), p(labels["witness"], "small"),
                     self._signature_block(labels["signature_witness"], [printed()])]
        if self.interpreter:
            more += [Spacer(1, 6), p(labels["interpreter"], "small"),
                     self._signature_block(labels["signature_interpreter"], [printed(), f"{labels['language']}:"])]
        more += [Spacer(1, 6), p(labels["keep_copy"], "small"), *self.staff_lines()]
        return [KeepTogether(flow), KeepTogether(more)]

    def staff_lines(self) -> list:
        """Who completed the form (front desk) and who reviewed it (clinician), each with a date."""
        labels = self.t["consent"]["labels"]
        done_on = self.day(self.completed_on) if self.completed_on else ""
        reviewer, reviewed_on = "", ""
        if self.review is not None:
            reviewer, reviewed_on = self.review.clinician, self.day(self.review.reviewed_at.date())
        rows = [[self.p(f"{labels['completed_by']}: {self.completed_by}", "small"), "",
                 self.p(f"{labels['date']}: {done_on}", "small")],
                [self.p(f"{labels['reviewed_by_line']}: {reviewer}", "small"), "",
                 self.p(f"{labels['date']}: {reviewed_on}", "small")]]
        table = Table(rows, colWidths=[self.width * 0.62, self.width * 0.08, self.width * 0.30],
                      rowHeights=[0.9 * cm, 0.9 * cm])
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (0, -1), 0.4, RULE), ("LINEBELOW", (2, 0), (2, -1), 0.4, RULE),
            ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        return [self.p(labels["staff_heading"], "subheading"), table]
