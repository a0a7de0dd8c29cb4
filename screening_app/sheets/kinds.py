"""Every kind of patient sheet, declared once: its words in sheet.toml, the builder that lays it
out, whether it has anything to sign, whether it needs a verified lot, and how an export files it.

Which kind a screening gets is the core's one rule (`screening.consent.sheet_kind`); this table
says what each kind is. The sheet (document.py), the export (records/export.py), casework's
navigation (after the review: the lot page only on the way to a sheet that needs a lot) and the
wizard's sheet page read it here. Signable stays the core's own fact (`SheetKind.signable`): the
safety rule lives in the core, and the table shows it.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..screening.consent import SheetKind


@dataclass(frozen=True)
class SheetKindInfo:
    kind: SheetKind
    texts: str  # the table of sheet.toml holding this kind's words; its `title` names the PDF
    builder: str  # the method of document._SheetBuilder that lays the sheet out
    needs_verified_lot: bool  # only with a lot verified for the day (a consent, and a consent declined)
    fhir_consent: bool  # exported as a FHIR Consent (proposed, or rejected when declined), else a document
    fhir_request_status: str  # the ServiceRequest's status in an export

    @property
    def signable(self) -> bool:
        """A consent statement and signature lines: the core's rule (`SheetKind.signable`)."""
        return self.kind.signable

    def title(self, texts: dict) -> str:
        """The sheet's title from the sheet texts (`sheets.sheet_texts()`, in any language)."""
        return texts[self.texts]["title"]


KINDS: dict[SheetKind, SheetKindInfo] = {info.kind: info for info in (
    SheetKindInfo(SheetKind.CONSENT, "consent", "consent", needs_verified_lot=True,
                  fhir_consent=True, fhir_request_status="active"),
    SheetKindInfo(SheetKind.DECLINED, "declined", "declined_sheet", needs_verified_lot=True,
                  fhir_consent=True, fhir_request_status="revoked"),
    SheetKindInfo(SheetKind.DO_NOT_TREAT, "do_not_treat", "do_not_treat", needs_verified_lot=False,
                  fhir_consent=False, fhir_request_status="revoked"),
    SheetKindInfo(SheetKind.DEFERRED, "deferred", "deferred", needs_verified_lot=False,
                  fhir_consent=False, fhir_request_status="on-hold"),
    SheetKindInfo(SheetKind.AWAITING_REVIEW, "awaiting_review", "awaiting_review", needs_verified_lot=False,
                  fhir_consent=False, fhir_request_status="on-hold"),
    # Waits for a lot check: its ServiceRequest status has always been "unknown" in an export.
    SheetKindInfo(SheetKind.LOT_NOT_CHECKED, "lot_not_checked", "lot_not_checked", needs_verified_lot=False,
                  fhir_consent=False, fhir_request_status="unknown"),
    SheetKindInfo(SheetKind.LOT_NOT_VERIFIED, "lot_not_verified", "lot_not_verified", needs_verified_lot=False,
                  fhir_consent=False, fhir_request_status="on-hold"),
)}


def kind_info(kind: SheetKind | str) -> SheetKindInfo | None:
    """The entry for a kind, or for its stored name ("consent"); None for a name no kind has
    (a record written by a later version)."""
    try:
        return KINDS[SheetKind(kind)]
    except ValueError:
        return None
