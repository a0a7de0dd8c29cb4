"""The screening file's sections about consent: the clinician's review, the representative who
consents for a minor, the clinic to call, the extra signature lines, and a patient's recorded no.
"""
from __future__ import annotations

from ..wording import say
from .consent import Decision, Declined, Review, ReviewDecision
from .content import Content
from .fields import MAX_LONG_TEXT, MAX_NAME, MAX_SHORT_TEXT, FieldChecker
from .history import CASE_FINDING_IDS
from .model import ClinicInfo, Representative, Signing
from .names import name_problems

REPRESENTATIVE_FIELDS = ("name", "relationship")
CLINIC_FIELDS = ("name", "address", "phone", "rights_contact", "injury_text", "costs_text")
SIGNING_FIELDS = ("witness", "interpreter")
DECLINED_FIELDS = ("recorded_by", "recorded_at", "note")
REVIEW_FIELDS = ("clinician", "reviewed_at", "decisions")


def check_consent_sections(c: FieldChecker, data: dict):
    """`representative`, `clinic`, `signing` and `declined`: who consents, whom to call, which extra
    lines to print, and a patient's recorded no."""
    representative = None
    raw = c.table(data, "representative", REPRESENTATIVE_FIELDS, required=False)
    if raw is not None:
        name = c.text(raw, "representative.name", "name", MAX_NAME, required=True)
        for problem in name_problems(name) if name is not None else ():  # printed on the consent, as written
            c.fail("representative.name", problem)
            name = None
        relationship = c.text(raw, "representative.relationship", "relationship", MAX_SHORT_TEXT, required=True)
        if name and relationship:
            representative = Representative(name, relationship)

    clinic = None
    raw = c.table(data, "clinic", CLINIC_FIELDS, required=False)
    if raw is not None:
        limits = {"injury_text": MAX_LONG_TEXT, "costs_text": MAX_LONG_TEXT, "rights_contact": MAX_LONG_TEXT,
                  "address": MAX_LONG_TEXT}
        values = {key: c.text(raw, f"clinic.{key}", key, limits.get(key, MAX_SHORT_TEXT), required=False) or ""
                  for key in CLINIC_FIELDS}
        clinic = ClinicInfo(**values)

    signing = Signing()
    raw = c.table(data, "signing", SIGNING_FIELDS, required=False)
    if raw is not None:
        signing = Signing(**{key: c.flag(raw, f"signing.{key}", key) for key in SIGNING_FIELDS})

    declined = None
    raw = c.table(data, "declined", DECLINED_FIELDS, required=False)
    if raw is not None:
        by = c.text(raw, "declined.recorded_by", "recorded_by", MAX_SHORT_TEXT, required=True)
        note = c.text(raw, "declined.note", "note", MAX_LONG_TEXT, required=False) or ""
        at = c.moment(raw, "declined.recorded_at", "recorded_at")
        if by and at:
            declined = Declined(by, at, note)
    return representative, clinic, signing, declined


def check_review(c: FieldChecker, data: dict, content: Content) -> Review | None:
    raw = c.table(data, "review", REVIEW_FIELDS, required=False)
    if raw is None:
        return None
    clinician = c.text(raw, "review.clinician", "clinician", MAX_SHORT_TEXT, required=True)
    reviewed_at = c.moment(raw, "review.reviewed_at", "reviewed_at")
    decisions: dict[str, ReviewDecision] = {}
    raw_decisions = c.table(raw, "decisions", None, required=False, field="review.decisions")
    for qid, field, entry in c.per_question(raw_decisions, "review.decisions", content,
                                            also=(*CASE_FINDING_IDS, *content.checks)):
        c.unknown_fields(field, entry, ("decision", "reason"))
        try:
            decision = Decision(entry.get("decision"))
        except ValueError:
            c.fail(f"{field}.decision", say("intake.not_decision"))
            continue
        reason = c.text(entry, f"{field}.reason", "reason", MAX_LONG_TEXT, required=False) or ""
        decisions[qid] = ReviewDecision(decision, reason)
    if clinician is None or reviewed_at is None:
        return None
    return Review(clinician, reviewed_at, decisions)
