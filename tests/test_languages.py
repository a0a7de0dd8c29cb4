"""Ensure a patient who reads Spanish or Chinese gets their questions and every sheet in their language,
from packs that are checked key for key, marked honestly until reviewed, and readable."""
import dataclasses
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import textstat
from conftest import GOOD_PRODUCT, all_answers, screening_file
from pypdf import PdfReader
from readability import (
    chinese_sentences,
    common_share,
    fernandez_huerta,
    gb2312_level1,
    hanzi,
    sentence_lengths,
    syllables,
)

from screening_app.casework import Case, Draft
from screening_app.records.settings import ClinicSettings
from screening_app.records.store import Store
from screening_app.resources import ENV_VAR, shipped_resource_dir
from screening_app.screening import ContentError, InputRefused, default_content, read_screening, screen
from screening_app.screening import languages as lang
from screening_app.screening.consent import Decision, Declined, Review, ReviewDecision, SheetKind, sheet_kind
from screening_app.screening.localize import (
    awaiting_review,
    format_day,
    localized,
    review_entries,
    review_problem,
)
from screening_app.sheets import Clinic, build_sheet, clinic_from_settings, sheet_texts
from screening_app.sheets.kinds import KINDS as SHEET_KINDS

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("es", "zh-Hans")
CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield", "(217) 555-0147")
PASSWORD = "correct horse battery"
WHEN = dt.datetime(2026, 11, 22, 10, 30)
OK = Review("Dr. Maya Chen", WHEN, {"cancer_history": ReviewDecision(Decision.PROCEED, "Skin cancer removed 2012.")})
DEFER = Review("Dr. Maya Chen", WHEN, {"cancer_history": ReviewDecision(Decision.DEFER, "Bring a letter.")})
# Each sheet kind: (answers, review, product, declined)
KINDS = {
    SheetKind.CONSENT: (all_answers(cancer_history="yes"), OK, GOOD_PRODUCT, None),
    SheetKind.AWAITING_REVIEW: (all_answers(cancer_history="dont_know"), None, GOOD_PRODUCT, None),
    SheetKind.DO_NOT_TREAT: (all_answers(active_malignancy="yes"), None, GOOD_PRODUCT, None),
    SheetKind.DEFERRED: (all_answers(cancer_history="yes"), DEFER, GOOD_PRODUCT, None),
    SheetKind.DECLINED: (all_answers(), None, GOOD_PRODUCT, Declined("Dee Desk", WHEN, "")),
    SheetKind.LOT_NOT_CHECKED: (all_answers(), None, None, None),
    SheetKind.LOT_NOT_VERIFIED: (all_answers(), None, dict(GOOD_PRODUCT, sterility_tested=False), None),
}
ADVISED = (SheetKind.CONSENT, SheetKind.AWAITING_REVIEW, SheetKind.DECLINED, SheetKind.LOT_NOT_CHECKED)
# A word of each pack's sheet that English never prints, and the sheet's title in it.
MARKERS = {"es": ("Fecha de nacimiento", "Por favor, no done sangre"), "zh-Hans": ("出生日期", "请不要献血")}


def make(language: str, kind: SheetKind, clinic: Clinic = CLINIC) -> tuple:
    answers, review, product, declined = KINDS[kind]
    data = screening_file(answers=answers, language=language)
    if product is None:
        data.pop("product")
    else:
        data["product"] = dict(product)
    s = read_screening(json.dumps(data))
    result = screen(s)
    return s, result, build_sheet(s, result, clinic=clinic, review=review, declined=declined)


def text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def copy_packs(tmp_path, monkeypatch) -> Path:
    """A clinic's own copy of resources/, to break a pack in."""
    target = tmp_path / "resources"
    shutil.copytree(shipped_resource_dir(), target)
    monkeypatch.setenv(ENV_VAR, str(target))
    lang.clear_cache()
    return target


@pytest.fixture(autouse=True)
def fresh_packs():
    lang.clear_cache()
    yield
    lang.clear_cache()


# --- the packs: same keys, same versions, or refused --------------------------------------------

def test_both_packs_are_installed_and_have_every_key_of_english():
    assert lang.available_languages() == ("en", "es", "zh-Hans")
    content = default_content()
    for code in PACKS:
        pack = lang.load_pack(code, content)
        assert pack.questionnaire_version == content.questionnaire_version
        assert pack.sheet_version == sheet_texts()["sheet"]["version"]
        en, translated = lang.words(sheet_texts()), lang.words(pack.sheet)
        assert en.keys() == translated.keys() and len(en) > 150
        assert sum(en[k] != translated[k] for k in en) >= len(en) * 0.9  # translated, not copied


def test_a_pack_with_a_missing_key_is_refused_naming_the_key(tmp_path, monkeypatch):
    root = copy_packs(tmp_path, monkeypatch)
    path = root / "lang" / "es" / "questionnaire.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'follow_up.details.prompt = "¿Qué tipo de cáncer fue? ¿Cuándo terminó el tratamiento?"\n', ""),
        encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        lang.load_pack("es", default_content())
    assert refused.value.problems == [
        "lang/es/questionnaire.toml: question.cancer_history.follow_up.details.prompt: missing "
        "(English has it: 'What kind of cancer, and when did treatment end?')"]


def test_a_pack_with_an_extra_key_a_lost_placeholder_or_another_version_is_refused(tmp_path, monkeypatch):
    root = copy_packs(tmp_path, monkeypatch)
    sheet = root / "lang" / "es" / "sheet.toml"
    words = sheet.read_text(encoding="utf-8")
    words = words.replace('contact = "¿Preguntas o problemas? Llame a {clinic} al {phone}."',
                          'contact = "¿Preguntas o problemas? Llame a {clinic}."')
    sheet.write_text(words + '\n[extra]\nwhat = "una clave que el inglés no tiene"\n', encoding="utf-8")
    pack = root / "lang" / "es" / "pack.toml"
    pack.write_text(pack.read_text(encoding="utf-8").replace('sheet = "1.5.0"', 'sheet = "1.3.0"'),
                    encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        lang.load_pack("es", default_content())
    problems = "\n".join(refused.value.problems)
    assert "lang/es/sheet.toml: extra.what: not a key of the English text" in problems
    assert "lang/es/sheet.toml: consent_texts.contact: placeholders ['clinic'] differ" in problems
    assert "lang/es/pack.toml: pack.sheet: translates sheet 1.3.0, but the English sheet is 1.5.0" in problems


def test_a_broken_pack_stops_its_sheet_with_the_reason_never_an_english_or_half_sheet(tmp_path, monkeypatch):
    root = copy_packs(tmp_path, monkeypatch)
    path = root / "lang" / "es" / "sheet.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('blood_heading = "Por favor, no done sangre"\n', ""),
                    encoding="utf-8")
    sheet_texts.cache_clear()
    try:
        with pytest.raises(ContentError, match="consent.labels.blood_heading: missing"):
            make("es", SheetKind.CONSENT)
    finally:
        sheet_texts.cache_clear()


def test_a_pack_cannot_change_a_rule_an_id_or_a_source():
    content = default_content()
    for code in PACKS:
        local = localized(content, code)
        assert local.question_ids == content.question_ids
        assert local.rules == content.rules and local.references == content.references
        assert (local.questionnaire_version, local.rules_version, local.digest) == \
            (content.questionnaire_version, content.rules_version, content.digest)
        assert all(a.text != b.text for a, b in zip(local.questions, content.questions, strict=True))
        for kind, (answers, _review, product, _) in KINDS.items():
            data = screening_file(answers=answers)
            if product is not None:
                data["product"] = dict(product)
            s = read_screening(json.dumps(data))
            assert screen(s, content=local).outcome == screen(s).outcome, kind


def test_the_language_of_a_screening_file_is_checked():
    assert read_screening(json.dumps(screening_file())).language == "en"
    assert read_screening(json.dumps(screening_file(language="zh-hans"))).language == "zh-Hans"
    with pytest.raises(InputRefused) as refused:
        read_screening(json.dumps(screening_file(language="fr")))
    assert refused.value.problems == ["language: 'fr' is not an installed language (installed: en, es, zh-Hans)"]
    with pytest.raises(InputRefused, match="language: must be a language code"):
        read_screening(json.dumps(screening_file(language=7)))


# --- every sheet kind in every language --------------------------------------------------------------

@pytest.mark.parametrize("code", PACKS)
@pytest.mark.parametrize("kind", list(KINDS), ids=lambda k: k.value)
def test_every_sheet_kind_prints_in_the_patients_language(code, kind):
    s, result, pdf = make(code, kind)
    assert sheet_kind(result, KINDS[kind][1], KINDS[kind][3]) is kind
    words = text(pdf)
    title = SHEET_KINDS[kind].title(sheet_texts(code))
    assert _squash(title) in _squash(words)
    assert MARKERS[code][0] in words  # the patient's details, labelled in their language
    assert _squash(localized(default_content(), code).questions[0].text) in _squash(words)
    assert format_day(s.patient.date_of_birth, code) in words
    assert "Zoë Ångström" in words
    english_title = SHEET_KINDS[kind].title(sheet_texts())
    assert english_title not in words and "Date of birth" not in words
    assert ("Patient signature" in words) is False
    signable = kind is SheetKind.CONSENT
    assert (sheet_texts(code)["consent"]["labels"]["signature_patient"] in words) is signable
    if kind in ADVISED:  # the sheets that carry the blood donation advice carry it in the patient's language
        assert _squash(MARKERS[code][1]) in _squash(words)
    # Not reviewed by a qualified reviewer: said at the top and on every page.
    assert _squash(sheet_texts(code)["translation"]["awaiting_review"]) in _squash(words)
    short = sheet_texts(code)["translation"]["awaiting_review_short"]
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert _squash(short) in _squash(page.extract_text())


def _squash(words: str) -> str:
    return re.sub(r"\s+", "", words)


def test_dates_and_numbers_are_written_the_languages_way():
    day = dt.date(1980, 4, 2)
    assert format_day(day, "en") == "1980-04-02"
    assert format_day(day, "es") == "2 de abril de 1980"
    assert format_day(day, "zh-Hans") == "1980年4月2日"
    _, _, pdf = make("es", SheetKind.CONSENT)
    words = text(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert f"Página 1 de {pages}" in words and "nació el 2 de abril de 1980" in words
    assert "revisó sus respuestas el 22 de noviembre de 2026 10:30" in words
    _, _, pdf = make("zh-Hans", SheetKind.CONSENT)
    assert f"第1页，共{len(PdfReader(io.BytesIO(pdf)).pages)}页" in _squash(text(pdf))


def test_a_clinic_that_recorded_the_review_of_this_very_pack_prints_no_review_line():
    pack = lang.pack_for("es", default_content())
    recorded = f"es {pack.record.version} {pack.fingerprint}: Dr. Ana Ruiz, certified medical translator, 2026-12-01"
    assert review_problem(recorded) is None and review_entries(recorded)[0]["who"].startswith("Dr. Ana Ruiz")
    assert awaiting_review(pack, "") and not awaiting_review(pack, recorded)
    clinic = dataclasses.replace(CLINIC, translation_reviews=recorded)
    words = text(make("es", SheetKind.CONSENT, clinic)[2])
    assert "revisor" not in words and "Traducción pendiente" not in words
    # A review of another version or of an edited pack (another fingerprint) does not carry over.
    for other in (recorded.replace(pack.record.version, "es-0.9"), recorded.replace(pack.fingerprint, "00000000")):
        assert awaiting_review(pack, other)
    assert review_problem("es: someone") is not None
    assert review_problem(recorded.replace("2026-12-01", "2026-02-30")) == "review 1: 2026-02-30 is not a real date"


def test_both_packs_ship_honestly_awaiting_review():
    for code in PACKS:
        record = lang.pack_for(code, default_content()).record
        assert not record.signed_off and not record.reviewer and not record.back_translator
        assert "not a certified" in record.translator


def test_the_clinics_copy_in_english_follows_the_patients_with_its_own_page_numbers():
    settings = ClinicSettings(clinic_name="Riverside", clinic_phone="(217) 555-0147", clinic_copy_in_english=True)
    clinic = clinic_from_settings(settings)
    assert clinic.english_copy
    _, _, pdf = make("es", SheetKind.CONSENT, clinic)
    pages = [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    first_english = next(i for i, p in enumerate(pages) if "Clinic's copy in English" in p)
    assert "The patient's copy is in Spanish" in pages[first_english]
    spanish, english = pages[:first_english], pages[first_english:]
    assert all(f"Página {i} de {len(spanish)}" in p for i, p in enumerate(spanish, 1))
    assert all(f"Page {i} of {len(english)}" in p for i, p in enumerate(english, 1))
    assert "Exosome treatment: risks and consent" in english[0] and "Patient signature" in " ".join(english)
    assert "Firma del paciente" in " ".join(spanish)
    # An English screening never gets a second copy.
    s = read_screening(json.dumps(screening_file()))
    assert "Clinic's copy" not in text(build_sheet(s, screen(s), clinic=clinic))


# --- the screening keeps its language: the store, the case and the commands ------------------------

@pytest.fixture
def store(store_url):
    s = Store.open(url=store_url)  # SQLite, and PostgreSQL when SCREENING_APP_TEST_PG_URL is set
    yield s
    s.close()


def test_a_screening_started_in_spanish_stays_spanish_after_resume_and_is_signed_in_spanish(store):
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    store.save_settings(admin, ClinicSettings(clinic_name="Riverside", clinic_phone="(217) 555-0147"))
    draft = Draft(name="Lucía Pérez", date_of_birth="1980-04-02", patient_id="A-2001", route="topical",
                  answers=all_answers(), product=dict(GOOD_PRODUCT), language="es")
    case = Case(store, desk, draft=draft)
    case.hand_over()
    assert store.draft(case.sid).draft["language"] == "es"  # the draft as the store keeps it
    # The clinician's workstation opens it afresh, from the store.
    resumed = Case(store, doc, row=store.claim(doc, case.sid))
    assert resumed.draft.language == "es"
    assert resumed.flow.screening(resumed.draft).language == "es"
    resumed.stamp_review()
    words = text(resumed.sheet().pdf)
    assert "Tratamiento con exosomas: riesgos y consentimiento" in words and "Lucía Pérez" in words
    record = resumed.finish()
    assert record.screening_file["language"] == "es"
    assert "Firma del paciente" in text(store.record(case.sid).pdf)


def test_an_english_draft_keeps_its_screening_file_as_before():
    assert "language" not in Draft(name="A", date_of_birth="1980-04-02").to_screening_file()
    assert Draft.from_json({"name": "A"}).language == "en"  # drafts saved before languages existed


def run_cli(*args, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "screening_app", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, timeout=120)


def test_questions_json_in_spanish_through_the_command():
    done = run_cli("questions", "--json", "--language", "es")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["language"] == "es" and data["questionnaire_version"] == default_content().questionnaire_version
    assert [q["id"] for q in data["questions"]] == list(default_content().question_ids)
    asked = "¿Tiene cáncer ahora? ¿O le están tratando o haciendo pruebas por un cáncer?"
    assert data["questions"][0] == {"id": "active_malignancy", "required": True, "text": asked}
    assert fernandez_huerta(" ".join(q["text"] for q in data["questions"])) >= 70
    refused = run_cli("questions", "--json", "--language", "fr")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip() == "--language: 'fr' is not an installed language (installed: en, es, zh-Hans)"


def test_screen_prints_the_sheet_in_the_files_language(tmp_path):
    data = screening_file(language="zh-Hans", clinic={"name": "Riverside", "phone": "(217) 555-0147"})
    out = tmp_path / "sheet.pdf"
    done = run_cli("screen", "-", "--json", "--pdf", str(out), stdin=json.dumps(data, ensure_ascii=False))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sheet_kind"] == "consent"
    words = text(out.read_bytes())
    assert "出生日期" in words and _squash("翻译待审核") in _squash(words)


# --- readable in every language ------------------------------------------------------------------------

def patient_words(code: str) -> list[tuple[str, str]]:
    """Every text of a pack a patient reads or hears: questions, "why we ask", follow-ups, advice,
    and the sheet's texts (its one-line labels too)."""
    pack = lang.pack_for(code, default_content())
    return [(f"{name}: {key}", words) for name, tree in
            (("questionnaire", pack.questionnaire), ("advice", pack.advice),
             ("sheet", {k: v for k, v in pack.sheet.items() if k != "footer"}))
            for key, words in lang.words(tree).items()]


def test_spanish_syllables_are_counted_by_spanish_rules():
    for word, count in [("tratamiento", 4), ("ahora", 3), ("día", 2), ("país", 2), ("poeta", 3), ("ciudad", 2),
                        ("guerra", 2), ("que", 1), ("pingüino", 3), ("hoy", 1), ("y", 1), ("leer", 2),
                        ("aéreo", 4), ("oído", 3), ("cuidado", 3), ("buey", 1), ("reacción", 3), ("FDA", 3)]:
        assert syllables(word) == count, word


def test_fernandez_huerta_tells_hard_spanish_from_plain_spanish():
    plain = "No done sangre. Tome agua. Llame si tiene fiebre."
    hard = ("La caracterización inmunofenotípica de las vesículas extracelulares demuestra considerable "
            "heterogeneidad en su biogénesis y aplicabilidad farmacológica.")
    assert fernandez_huerta(plain) > 90 > 70 > 30 > fernandez_huerta(hard)


def test_spanish_reads_fairly_easily_fernandez_huerta_70_or_more():
    """Fernández-Huerta (Law's corrected formula) on every Spanish text of 8 words or more, with our
    Spanish syllable count and with textstat's (pyphen), taking the lower; and on each whole sheet."""
    textstat.set_lang("es")
    try:
        texts = [(where, t) for where, t in patient_words("es") if len(t.split()) >= 8]
        assert len(texts) >= 80
        hard = [(round(min(fernandez_huerta(t), textstat.fernandez_huerta(t)), 1), where) for where, t in texts
                if min(fernandez_huerta(t), textstat.fernandez_huerta(t)) < 70]
        assert hard == []
        for kind in KINDS:
            assert fernandez_huerta(text(make("es", kind)[2])) >= 70, kind  # the whole sheet, as printed
    finally:
        textstat.set_lang("en_US")


def test_chinese_uses_short_sentences_and_common_characters():
    """Measured: (1) sentence length in characters (a sentence ends at 。！？；): no sentence over 32
    characters and a mean of 16 or fewer, as plain-language guidance for Chinese asks for short
    sentences; (2) character frequency: at least 99.5% of the Chinese characters are in the first
    level of GB 2312 (the 3,755 most frequently used characters), and the few outside it are named
    medical words a reader needs (疱 of 唇疱疹, cold sore)."""
    texts = [t for _, t in patient_words("zh-Hans")]
    whole = "。".join(texts)
    lengths = sentence_lengths(whole)
    assert len(lengths) >= 250
    assert max(lengths) <= 32 and sum(lengths) / len(lengths) <= 16
    assert common_share(whole) >= 0.995
    assert {ch for ch in hanzi(whole) if ch not in gb2312_level1()} <= {"疱"}
    assert len(chinese_sentences("你好。我很好！")) == 2 and sentence_lengths("一二三，四。") == [4]


def test_a_long_chinese_sentence_or_a_rare_character_would_fail_the_measure():
    rare = "患者罹患嗜铬细胞瘤"  # pheochromocytoma: 罹, 嗜, 铬 are not everyday characters
    assert common_share(rare) < 0.9
    assert max(sentence_lengths("如果" + "您觉得不舒服并且" * 6 + "请告诉我们。")) > 32


@pytest.mark.parametrize("code", PACKS)
def test_every_page_of_every_kind_keeps_its_margins_when_rendered(tmp_path, code):
    """Each Spanish and Chinese page rendered with pdftoppm: no ink in the side margins (long Spanish
    words and Chinese lines broken between characters stay inside the page)."""
    from test_sheets import _ink_outside_margins, _rendered_pages
    for kind in KINDS:
        folder = tmp_path / kind.value
        folder.mkdir()
        images = _rendered_pages(make(code, kind)[2], folder)
        assert images and not [i for i, image in enumerate(images, 1) if _ink_outside_margins(image)], kind


def test_the_electronic_signature_and_the_trail_mark_print_in_the_patients_language():
    from screening_app.screening.signature import SignedBy
    answers, review, product, _ = KINDS[SheetKind.CONSENT]
    s = read_screening(json.dumps(screening_file(answers=answers, language="es")))
    pdf = build_sheet(s, screen(s), clinic=CLINIC, review=review,
                      signed=SignedBy("Dr. Maya Chen", "2026-11-22T15:42:07+00:00"), anchor="57-3F9A2C1B")
    words = text(pdf)
    assert "Firma electrónica" in words and "Registro 57-3F9A2C1B" in words
    # The meaning the store signs stays as it signs it (21 CFR 11.50), in English.
    assert "Signed electronically by Dr. Maya Chen on 2026-11-22 at 15:42:07 UTC" in words


def test_a_draft_in_a_language_no_longer_installed_stops_at_the_patient_step_naming_it():
    from screening_app.casework import Flow, Step
    draft = Draft(name="Lucía Pérez", date_of_birth="1980-04-02", route="topical", answers=all_answers(),
                  language="fr")
    assert Flow().problems(draft, Step.PATIENT) == {
        "language": "'fr' is not an installed language (installed: en, es, zh-Hans)"}
    draft.language = "es"
    assert Flow().problems(draft, Step.PATIENT) == {}
