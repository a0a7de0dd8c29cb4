"""Renders the patient sheets the README shows into docs/sheet-*.png (no Qt needed):
    .venv/bin/python scripts/sheets.py
Each picture is one page of a real sheet, rendered by pdftoppm as a printer would see it.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402

from screening_app.screening import read_screening, screen  # noqa: E402
from screening_app.screening.signature import SignedBy  # noqa: E402
from screening_app.sheets import Clinic, build_sheet  # noqa: E402

TODAY = dt.date.today()
CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield, IL 62701", "(217) 555-0147",
                rights_contact="Questions about your rights in this study? Call the Prairie Review Board "
                               "(the board that checks this study) at (217) 555-0190.",
                injury_text="If this treatment hurts you, we will give you first care here at no charge "
                            "and help you get more care. We do not pay for care given elsewhere.",
                costs_text="This treatment costs $950 for each visit. Health insurance does not pay for it.")
PRODUCT = {"lot": "EV-2291", "name": "ExoRenew 10B", "coa_lot_matches": True, "markers": ["CD9", "CD63", "CD81"],
           "sterility_tested": True, "endotoxin_tested": True, "mycoplasma_tested": True, "donor_screened": True,
           "gmp_facility": True, "ind_number": "IND 12345", "storage_c": -80, "freeze_thaw_cycles": 0,
           "expiry": (TODAY + dt.timedelta(days=120)).isoformat()}


def screening(**overrides):
    from screening_app.screening import default_content
    data = {"patient": {"name": "Zoë Ångström", "date_of_birth": "1980-04-02", "patient_id": "A-1001"},
            "treatment": {"route": "topical", "area": "face", "date": TODAY.isoformat()},
            "answers": {q: "no" for q in default_content().question_ids}, "product": dict(PRODUCT)}
    answers = overrides.pop("answers", {})
    data.update(overrides)
    data["answers"].update(answers)
    return read_screening(json.dumps(data))


def page_of(pdf: bytes, *needles: str) -> int:
    """The first page (1-based) whose text holds every needle."""
    for number, page in enumerate(PdfReader(io.BytesIO(pdf)).pages, 1):
        text = " ".join(page.extract_text().split())
        if all(n in text for n in needles):
            return number
    raise SystemExit(f"no page holds {needles}")


def main() -> None:
    minor_review = {"clinician": "Dr. Maya Chen", "reviewed_at": f"{TODAY.isoformat()}T10:30",
                    "decisions": {"patient_is_minor": {"decision": "proceed",
                                                       "reason": "Mother present; Mia understands and agrees."}}}
    sheets = {
        "consent": (screening(), ("Exosome treatment",)),
        "consent-signatures": (screening(), ("Your consent", "Patient signature")),
        "consent-electronic-signature": (screening(), ("Electronic signature",)),
        "minor-consent-signatures": (screening(
            patient={"name": "Mia Lopez", "date_of_birth": TODAY.replace(year=TODAY.year - 15).isoformat()},
            representative={"name": "Rosa Lopez", "relationship": "mother"}, review=minor_review,
            signing={"interpreter": True}), ("Your consent", "assent")),
        "declined": (screening(declined={"recorded_by": "Ann Desk", "recorded_at": f"{TODAY.isoformat()}T10:45",
                                         "note": "Wants to talk with her own doctor first."}), ("You chose not",)),
        "do-not-treat": (screening(answers={"active_malignancy": "yes"}), ("We cannot give you",)),
        "awaiting-review": (screening(answers={"cancer_history": "dont_know"}), ("Not a consent form",)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (s, needles) in sheets.items():
            # As the store makes it for signing: the clinician's signature and the trail's mark.
            pdf = build_sheet(s, screen(s), clinic=CLINIC, anchor="57-3F9A2C1B",
                              signed=SignedBy("Dr. Maya Chen", f"{TODAY.isoformat()}T15:42:07+00:00"))
            path = Path(tmp) / f"{name}.pdf"
            path.write_bytes(pdf)
            page = str(page_of(pdf, *needles))
            subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", page, "-l", page, "-singlefile", str(path),
                            str(ROOT / "docs" / f"sheet-{name}")], check=True)


if __name__ == "__main__":
    main()
