"""Ensure the front desk chooses the patient's language at intake, reads the questions in it (with the
English beneath), and the sheet the clinician previews is in it. (Goes with wizard-language.patch:
copy to tests/ once the patch is applied.)"""
import io
import re

from pypdf import PdfReader
from test_wizard_gui import answer_all, go_next, page, type_into, wizard  # noqa: F401  (wizard: the fixture)

from screening_app.casework import Step


def test_a_screening_chosen_in_spanish_asks_and_prints_in_spanish(qtbot, wizard):  # noqa: F811
    w = wizard
    p = page(w)
    assert p.language.language() == "en"
    p.language.set_language("es")  # the chooser, as the front desk picks "Español (Spanish)"
    p.language.setCurrentIndex(p.language.findData("es"))
    assert w.draft.language == "es"
    type_into(qtbot, p.name, "Lucía Pérez")
    type_into(qtbot, p.dob, "1980-04-02")
    go_next(qtbot, w)
    p = page(w)
    next(b for b in p.routes.buttons() if b.property("route") == "topical").click()
    go_next(qtbot, w)
    assert w.currentId() == Step.QUESTIONS
    _, text, _ = page(w).wording["active_malignancy"]
    assert "¿Tiene cáncer ahora?" in text.text() and "Do you have cancer now" in text.text()
    answer_all(qtbot, w, {})
    sheet = w.case.sheet().pdf
    words = re.sub(r"\s+", " ", " ".join(pg.extract_text() for pg in PdfReader(io.BytesIO(sheet)).pages))
    assert "Fecha de nacimiento" in words and "Lucía Pérez" in words
