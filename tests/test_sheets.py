"""Ensure the patient sheet says what it must, for every kind, in every script, inside the page."""
import datetime as dt
import io
import json
import re
import subprocess

import pytest
import textstat
from conftest import all_answers, screening_file
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from screening_app.resources import resource_path
from screening_app.screening import default_content, load_content, read_screening, screen
from screening_app.screening.consent import Decision, Review, ReviewDecision, SheetKind, sheet_kind
from screening_app.sheets import Clinic, build_sheet, sheet_texts
from screening_app.sheets.document import MARGIN
from screening_app.sheets.fonts import covered, markup

CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield", "(217) 555-0147")
REVIEW_OK = Review("Dr. Maya Chen", dt.datetime(2026, 11, 22, 10, 30),
                   {"cancer_history": ReviewDecision(Decision.PROCEED,
                                                     "Basal cell skin cancer removed 2012; topical only.")})
REVIEW_DEFER = Review("Dr. Maya Chen", dt.datetime(2026, 11, 22, 10, 30),
                      {"cancer_history": ReviewDecision(Decision.DEFER, "Please bring a letter from your oncologist.")})


def make(answers=None, review=None, **overrides):
    data = screening_file(answers=answers or all_answers(), **overrides)
    s = read_screening(json.dumps(data))
    result = screen(s)
    return s, result, build_sheet(s, result, clinic=CLINIC, review=review)


def pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def flat(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(pages(pdf)))


def test_clear_screening_prints_a_full_consent():
    s, result, pdf = make()
    text = flat(pdf)
    for must in ["Riverside Skin & Wellness", "(217) 555-0147", "Exosome treatment: risks and consent",
                 "Zoë Ångström", "1980-04-02", "A-1001", "On the skin", "face", "EV-2291",
                 "not approved by the FDA", "sepsis", "Allergy or immune reaction", "Cancer growth",
                 "Germs from the donor", "Unknown long-term effects", "Products are not all the same",
                 "cannot promise", "You can choose no treatment", "You can stop at any time",
                 "fever", "MedWatch", "3500B", "Do not give blood", "lot number",
                 "Your answers to our health questions", "Do you have cancer now",
                 "I agree to have this treatment", "Patient signature", "Clinician signature", "Date"]:
        assert must in text, must


def test_every_page_has_the_footer_with_versions_and_page_x_of_y():
    _, result, pdf = make()
    texts = pages(pdf)
    assert len(texts) >= 2
    for i, text in enumerate(texts, 1):
        flat_page = re.sub(r"\s+", " ", text)
        assert f"Page {i} of {len(texts)}" in flat_page
        assert "Zoë Ångström, born 1980-04-02" in flat_page
        assert f"Questions {result.questionnaire_version}, rules {result.rules_version}" in flat_page


def test_signature_block_is_kept_together_on_one_page():
    _, _, pdf = make()
    holding = [t for t in pages(pdf) if "Patient signature" in t or "Clinician signature" in t]
    assert len(holding) == 1
    assert "I agree to have this treatment" in holding[0] and "Clinician signature" in holding[0]


def test_do_not_treat_sheet_has_no_consent_and_no_signature():
    s, result, pdf = make(all_answers(active_malignancy="yes"))
    assert sheet_kind(result) is SheetKind.DO_NOT_TREAT
    text = flat(pdf)
    assert "We cannot give you exosome treatment today" in text
    assert "You told us you have cancer now" in text
    assert "Talk with your own doctor" in text
    for forbidden in ["signature", "Signature", "I agree", "Your consent", "Printed name"]:
        assert forbidden not in text


def test_do_not_treat_cannot_be_turned_into_a_consent_by_any_review():
    s, result, _ = make(all_answers(systemic_inflammation="yes", cancer_history="dont_know"))
    review = Review("Dr. X", dt.datetime(2026, 11, 22, 9, 0),
                    {"cancer_history": ReviewDecision(Decision.PROCEED, "fine")})
    assert sheet_kind(result, review) is SheetKind.DO_NOT_TREAT
    assert "signature" not in flat(build_sheet(s, result, review=review)).lower()


def test_cancer_history_iv_explains_the_route():
    _, _, pdf = make(all_answers(cancer_history="yes"), treatment={"route": "intravenous"})
    assert "this treatment would go into a vein (IV)" in flat(pdf)


def test_clinician_review_without_review_prints_nothing_to_sign():
    _, result, pdf = make(all_answers(cancer_history="dont_know"))
    assert sheet_kind(result) is SheetKind.AWAITING_REVIEW
    text = flat(pdf)
    assert "Not a consent form" in text and "Do not sign anything yet" in text
    assert "Patient signature" not in text and "I agree" not in text
    assert "Cancer growth" in text  # the risks can be read while waiting


def test_reviewed_consent_shows_who_reviewed_and_when():
    _, result, pdf = make(all_answers(cancer_history="yes"), review=REVIEW_OK)
    assert sheet_kind(result, REVIEW_OK) is SheetKind.CONSENT
    text = flat(pdf)
    assert "checked by Dr. Maya Chen on 2026-11-22 10:30" in text
    assert "Patient signature" in text and "Printed name: Dr. Maya Chen" in text


def test_proceed_without_reason_is_not_a_review():
    _, result, _ = make(all_answers(cancer_history="yes"))
    review = Review("Dr. X", dt.datetime(2026, 11, 22, 9, 0), {"cancer_history": ReviewDecision(Decision.PROCEED, " ")})
    assert sheet_kind(result, review) is SheetKind.AWAITING_REVIEW


def test_review_must_cover_every_finding():
    _, result, _ = make(all_answers(cancer_history="yes", current_infection="dont_know"))
    assert sheet_kind(result, REVIEW_OK) is SheetKind.AWAITING_REVIEW


def test_deferred_review_prints_the_on_hold_sheet():
    _, result, pdf = make(all_answers(cancer_history="yes"), review=REVIEW_DEFER)
    text = flat(pdf)
    assert "Your treatment is on hold" in text and "letter from your oncologist" in text
    assert "signature" not in text.lower()


NAMES = ["Zoë Ångström", "Łukasz Żółć", "Νίκος Παπαδόπουλος", "Олег Иванович", "李雷", "王小明 Wang",
         "François Nuñez-Müller", "O'Brien <b>bold</b> & Sons", "A&amp;B <br/>", "x" * 200]


@pytest.mark.parametrize("name", NAMES)
def test_names_print_exactly_as_written(name):
    _, _, pdf = make(patient={"name": name, "date_of_birth": "1980-04-02"})
    text = flat(pdf)
    assert name in text.replace(" ", "") or name in text
    assert covered(name)


def test_markup_in_patient_text_is_escaped_not_parsed():
    assert markup("a <b> & c") == "a &lt;b&gt; &amp; c"
    assert markup("李雷") == '<font name="DroidSansFallback">李雷</font>'
    _, _, pdf = make(patient={"name": "Ann <i>x</i>", "date_of_birth": "1980-04-02"},
                     follow_ups={"blood_donation": {"details": "Every 3 months & <soon>"}},
                     answers=all_answers(blood_donation="yes"))
    text = flat(pdf)
    assert "Ann <i>x</i>" in text and "Every 3 months & <soon>" in text


def _text_positions(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        found = []

        def visit(text, cm, tm, font, size, found=found):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                found.append((text, x, y))
        page.extract_text(visitor_text=visit)
        yield width, height, found


@pytest.mark.parametrize("name", ["x" * 200, "李" * 200, "Zoë " * 50])
def test_long_text_stays_inside_the_page(name):
    long_area = "forehead, cheeks and neck " * 7
    _, _, pdf = make(patient={"name": name, "date_of_birth": "1980-04-02", "patient_id": "9" * 200},
                     treatment={"route": "injection", "area": long_area.strip()[:200]},
                     follow_ups={"cancer_history": {"details": "w" * 2000}},
                     answers=all_answers(cancer_history="dont_know"))
    for width, height, found in _text_positions(pdf):
        assert found
        for text, x, y in found:
            assert 0 <= x < width - 20 and 0 < y < height, (text[:30], x, y)


def _rendered_pages(pdf: bytes, tmp_path, dpi=40):
    from PIL import Image
    src = tmp_path / "sheet.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(src), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.pgm"))]


def _ink_outside_margins(image, dpi=40) -> bool:
    margin = int(MARGIN / 72 * dpi) - 2  # a little inside the 2 cm margin
    width, height = image.size
    for box in ((0, 0, margin, height), (width - margin, 0, width, height)):
        if image.crop(box).getextrema()[0] < 200:  # anything darker than a light grey
            return True
    return False


@pytest.mark.parametrize("name", ["x" * 200, "李" * 200, "Zoë " * 50])
def test_rendered_pages_keep_their_margins(tmp_path, name):
    _, _, pdf = make(patient={"name": name, "date_of_birth": "1980-04-02", "patient_id": "9" * 200},
                     treatment={"route": "injection", "area": ("cheeks " * 28).strip()},
                     follow_ups={"cancer_history": {"details": "w" * 2000}},
                     answers=all_answers(cancer_history="dont_know"))
    images = _rendered_pages(pdf, tmp_path)
    assert images and not any(_ink_outside_margins(img) for img in images)


def test_margin_check_sees_text_that_runs_off(tmp_path):
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(400, 400, "this line runs far past the right margin of the page")
    canvas.save()
    assert _ink_outside_margins(_rendered_pages(buffer.getvalue(), tmp_path)[0])


def test_same_input_gives_the_same_bytes():
    s, result, pdf = make()
    assert build_sheet(s, result, clinic=CLINIC) == pdf


def test_a4_page_size_from_settings():
    s, result, _ = make()
    reader = PdfReader(io.BytesIO(build_sheet(s, result, clinic=Clinic(page_size="a4"))))
    assert round(float(reader.pages[0].mediabox.height)) == 842


def test_unset_clinic_header_is_visible_to_staff():
    s, result, _ = make()
    assert "ask the clinic admin to set it" in flat(build_sheet(s, result))


def _prose(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _prose(item)
    elif isinstance(node, dict):
        for key, item in node.items():
            if key not in ("footer", "version"):
                yield from _prose(item)


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade by textstat (syllables from the CMU dictionary, pyphen beyond it)."""
    return textstat.flesch_kincaid_grade(text)


def patient_texts() -> list[tuple[str, str]]:
    """Every text a patient reads or hears: each question, its follow-ups and "why we ask",
    and every paragraph of the sheet (labels and headings of under 8 words are not prose)."""
    texts = []
    for q in default_content().questions:
        texts.append((f"{q.id}: question", q.text))
        texts.append((f"{q.id}: why we ask", q.rationale))
        texts += [(f"{q.id}: follow-up {fu.id}", fu.prompt) for fu in q.follow_ups]
    texts += [("sheet.toml", p) for p in _prose(sheet_texts()) if len(p.split()) >= 8]
    return texts


def test_every_question_and_every_sheet_paragraph_reads_at_grade_8_or_lower():
    texts = patient_texts()
    assert len([t for t in texts if t[0].endswith(": question")]) == len(load_content().questions) >= 4
    assert sum(1 for t in texts if t[0] == "sheet.toml") >= 30
    too_hard = [(round(fk_grade(text), 1), where, text) for where, text in texts if fk_grade(text) > 8.0]
    assert too_hard == []


@pytest.mark.parametrize("answers,review", [
    (all_answers(), None),
    (all_answers(cancer_history="yes"), REVIEW_OK),
    (all_answers(cancer_history="yes"), REVIEW_DEFER),
    (all_answers(cancer_history="dont_know"), None),
    (all_answers(active_malignancy="yes", systemic_inflammation="yes"), None),
], ids=["consent", "reviewed-consent", "deferred", "awaiting-review", "do-not-treat"])
def test_rendered_sheet_reads_at_grade_8_or_lower(answers, review):
    _, _, pdf = make(answers, review=review)
    assert fk_grade("\n".join(pages(pdf))) <= 8.0


def test_the_grade_tells_hard_text_from_plain_text():
    plain = "The cat sat on the mat. It was a good day."
    hard = ("Extracellular vesicles demonstrate considerable heterogeneity regarding biogenesis, "
            "immunomodulatory characteristics and pharmacological applicability.")
    assert fk_grade(plain) < 3 < 12 < fk_grade(hard)
    old = ("Do you have an inflammatory or autoimmune illness that is active or not under control right now, "
           "such as a flare?")
    assert fk_grade(old) > 8.0  # the question as it read before it was rewritten


def test_body_text_is_12_point():
    from screening_app.sheets.document import _styles
    assert _styles()["body"].fontSize == 12


def test_us_spelling_in_everything_a_patient_or_clinic_reads():
    british = re.compile(r"\b(tumour|colour|behaviour|haem|anaem|oedema|programme|centre|licence|paediatric|"
                         r"oestrogen|foetus|favour|honour|labour|ageing|fibre|litre|grey|organis|recognis|"
                         r"minimis|authoris|immunis|sterilis|randomis|specialis|characteris|utilis|"
                         r"apologis|realis|analyse|counsell|travell|enrolment|judgement|catalogue)", re.IGNORECASE)
    found = []
    for path in resource_path().glob("*.toml"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("#"):
                found += [(path.name, number, m.group(0)) for m in british.finditer(line)]
    assert found == []


def test_blood_donation_advice_is_on_every_sheet_for_a_patient_who_may_be_treated():
    for answers in (all_answers(), all_answers(blood_donation="no")):
        assert "Do not give blood after this treatment" in flat(make(answers)[2])
    assert "The blood service will decide" in flat(make(all_answers(cancer_history="dont_know"))[2])


def test_every_sheet_kind_is_declared_once_with_a_builder_and_a_title():
    from screening_app.sheets.document import _SheetBuilder
    from screening_app.sheets.kinds import KINDS, kind_info
    texts = sheet_texts()
    assert set(KINDS) == set(SheetKind)
    for kind, info in KINDS.items():
        assert callable(getattr(_SheetBuilder, info.builder)), kind
        assert info.title(texts).strip(), kind
        assert kind_info(kind.value) is info
    # Only a consent has anything to sign; only a consent (or one declined) needs a verified lot.
    assert [k for k, i in KINDS.items() if i.signable] == [SheetKind.CONSENT]
    assert {k for k, i in KINDS.items() if i.needs_verified_lot} == {SheetKind.CONSENT, SheetKind.DECLINED}
    assert kind_info("a_kind_from_a_later_version") is None


@pytest.mark.parametrize("kind", list(SheetKind))
def test_each_sheet_is_titled_from_the_table(kind, monkeypatch):
    from screening_app.sheets import document
    from screening_app.sheets.kinds import KINDS
    monkeypatch.setattr(document, "sheet_kind", lambda *args, **kwargs: kind)
    data = screening_file(answers=all_answers(cancer_history="dont_know"),
                          declined={"recorded_by": "Dr. Maya Chen", "recorded_at": "2026-11-22T10:40"})
    s = read_screening(json.dumps(data))
    pdf = build_sheet(s, screen(s), clinic=CLINIC, review=REVIEW_DEFER)
    assert PdfReader(io.BytesIO(pdf)).metadata.title == KINDS[kind].title(sheet_texts())
