"""Ensure every script the product claims prints exactly on the sheet, or the name is refused
at intake (the `screen` command and the wizard), never printed blank, reversed or overprinted."""
import io
import json
import re
import subprocess
import unicodedata

import pytest
from conftest import screening_file
from pypdf import PdfReader
from test_cli import run
from test_wizard_gui import next_enabled, page, type_into, wizard  # noqa: F401  (the fixture)

from screening_app.resources import resource_path
from screening_app.screening import InputRefused, read_screening, screen
from screening_app.screening.names import font_list, name_problems, read_cmap
from screening_app.sheets import Clinic, build_sheet
from screening_app.sheets.fonts import runs

CLINIC = Clinic("Riverside Skin & Wellness", "12 Main St, Springfield", "(217) 555-0147")
NAMES = {
    "arabic": "محمد عبد الله",
    "hebrew": "דוד כהן",
    "korean": "김민준",
    "devanagari": "अक्षय शर्मा",
    "thai": "สมชาย ใจดี",
    "chinese": "王小明",
    "greek": "Νίκος Παπαδόπουλος",
    "cyrillic": "Олег Иванович",
    "latin": "François Nuñez-Müller",
}
def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def sheet_pages(name: str, normalise=nfkc) -> list[str]:
    s = read_screening(json.dumps(screening_file(patient={"name": name, "date_of_birth": "1980-04-02"})))
    pdf = build_sheet(s, screen(s), clinic=CLINIC)
    return [normalise(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]


def occurrences(name: str, text: str) -> int:
    return text.count(nfkc(name))


@pytest.mark.parametrize("script", NAMES)
def test_every_script_prints_in_the_patient_row_the_signature_block_and_every_footer(script):
    name = NAMES[script]
    texts = sheet_pages(name)
    assert len(texts) >= 2
    for number, text in enumerate(texts, 1):
        expected = 2 if number == 1 else 1  # the patient row, and the footer
        if "Printed name" in text:
            expected += 1  # the patient's printed-name line
            assert "Printed name: " + name in text
        assert occurrences(name, text) >= expected, (script, number, text[-300:])
    assert sum("Printed name" in t for t in texts) == 1


@pytest.mark.parametrize("script", NAMES)
def test_the_pdf_text_is_the_name_as_typed_without_normalising(script):
    # Joined Arabic forms read as their letters, conjuncts as theirs: a search finds the name.
    texts = sheet_pages(NAMES[script], normalise=lambda text: text)
    assert all(NAMES[script] in text for text in texts)


@pytest.mark.parametrize("name", ["प्रिया त्रिपाठी", "श्रीनिवास रामानुजन्", "अर्जुन", "राहुल कुमार", "सुनील गुप्ता",
                                  "पूजा", "किशोर", "น้ำ ผู้ใหญ่", "لا إله"])
def test_syllables_drawn_out_of_typed_order_still_read_as_typed(name):
    # The reph (र्) is drawn after its consonant, the short-i sign (ि) before it, and the u sign
    # (ु) pulled back under it; the PDF text still reads in typed order, with no gap inside a
    # word. Thai marks and the Arabic lam-alef ligature likewise.
    texts = sheet_pages(name)
    assert all(occurrences(name, t) >= 1 for t in texts)


def test_shaped_scripts_are_really_shaped_and_right_to_left_runs_are_in_visual_order():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from screening_app.sheets.document import _styles
    from screening_app.sheets.fonts import markup
    from screening_app.sheets.shaping import SheetParagraph

    def laid_out(text):
        para = SheetParagraph(markup(text), _styles()["body"])
        para.wrap(400, 400)
        return [(f.fontName, str(f.text)) for f in para.blPara.lines[0].words]

    arabic = laid_out("Patient: محمد علي, born")
    assert arabic[0] == ("NotoSans", "Patient: ")
    assert arabic[1][0] == "NotoSansArabic"
    # Visual order: the second word (علي) comes first from the left, each word's glyphs
    # right to left, joined (presentation forms, not the plain letters).
    first, second = arabic[1][1].split(" ")
    assert nfkc(first) == "علي"[::-1] and nfkc(second) == "محمد"[::-1]
    assert all(0xFB50 <= ord(c) <= 0xFEFF for c in first + second)
    assert arabic[2] == ("NotoSans", ", born")
    hebrew = laid_out("דוד כהן")
    assert [t for _, t in hebrew] == ["ןהכ דוד"]
    # Devanagari conjunct: क्ष is one glyph, not three characters side by side.
    devanagari = laid_out("अक्षय")
    assert devanagari[0][0] == "NotoSansDevanagari" and len(devanagari[0][1]) < len("अक्षय")
    assert stringWidth("x", "NotoSans", 12) > 0


def test_a_word_that_changes_font_is_shaped_per_font():
    assert runs("כהן, born") == [("NotoSansHebrew", "כהן"), ("NotoSans", ", born")]
    assert runs("محمد, علي") == [("NotoSansArabic", "محمد, علي")]
    assert runs("김민준, born") == [("NanumSquare", "김민준, "), ("NotoSans", "born")]
    assert runs("李雷") == [("DroidSansFallback", "李雷")]


def test_pdf_text_of_a_conjunct_is_its_letters():
    texts = sheet_pages("अक्षय")
    assert "अक्षय" in texts[0]


def test_no_discretionary_ligature_adds_marks_to_a_name():
    # Noto Sans Arabic's optional ligature for محمد carries vowel marks the name does not have.
    texts = sheet_pages("محمد")
    assert "ﷴ" not in texts[0] and "محمد" in texts[0]


def test_the_core_reads_the_same_characters_as_the_sheet_prints():
    from reportlab.pdfbase.ttfonts import TTFont
    for font in font_list():
        path = resource_path("fonts", font["file"])
        ours = read_cmap(path)
        theirs = {c for c, glyph in TTFont("check", str(path)).face.charToGlyph.items() if glyph}
        assert ours <= theirs, font["file"]
        assert theirs - ours <= {0xA0}, font["file"]  # reportlab adds no-break space itself


REFUSED = [
    ("Ann\u202eeM", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2067Ann\u2069", "U+2067 RIGHT-TO-LEFT ISOLATE"),
    ("An\u200bn", "U+200B ZERO WIDTH SPACE"),
    ("\u200dAnn", "U+200D ZERO WIDTH JOINER"),
    ("Ann\ufeff", "U+FEFF"),
    ("\ud800Ann", "U+D800 lone surrogate"),
    ("\u3164\u3164", "has nothing visible"),
    ("\u0301", "has nothing visible"),
    ("ཀ་ཤིས", "U+0F40 TIBETAN LETTER KA"),
    ("Ann \U0001F600", "U+1F600"),
    ("Ann\ue000", "U+E000"),
    ("Ann\tLee", "contains control characters: U+0009"),
    ("Ann\u2028Lee", "U+2028 LINE SEPARATOR"),
]


@pytest.mark.parametrize("name,words", REFUSED)
def test_names_that_would_not_print_exactly_are_refused_naming_the_characters(name, words):
    with pytest.raises(InputRefused) as exc:
        read_screening(json.dumps(screening_file(patient={"name": name, "date_of_birth": "1980-04-02"})))
    problems = [p for p in exc.value.problems if p.startswith("patient.name: ")]
    assert problems and any(words in p for p in problems), exc.value.problems


@pytest.mark.parametrize("name", [*NAMES.values(), "می\u200cخواهم", "क्\u200dष", "O'Brien-Smith", "Zoë  Ann"])
def test_names_in_every_claimed_script_and_joiners_inside_words_are_accepted(name):
    assert name_problems(unicodedata.normalize("NFC", name)) == []


@pytest.mark.parametrize("name,words", [REFUSED[0], REFUSED[5], REFUSED[6], REFUSED[8]])
def test_screen_refuses_the_name_with_exit_2(write_screening, tmp_path, name, words):
    path = write_screening(json.dumps(screening_file(patient={"name": name, "date_of_birth": "1980-04-02"})))
    out_pdf = tmp_path / "out.pdf"
    proc = run("screen", str(path), "--pdf", str(out_pdf))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "patient.name:" in err and words in err and "Traceback" not in err
    assert not out_pdf.exists()


@pytest.mark.parametrize("name,words", [REFUSED[0], REFUSED[2], REFUSED[6], REFUSED[8]])
def test_wizard_patient_page_says_why_the_name_is_refused(qtbot, wizard, name, words):  # noqa: F811
    p = page(wizard)
    type_into(qtbot, p.dob, "1990-01-01")
    type_into(qtbot, p.name, name)
    error = p.fields.errors["patient.name"]
    assert error.isVisibleTo(p) and words in error.text()
    assert not next_enabled(wizard)
    type_into(qtbot, p.name, NAMES["hebrew"])
    assert not error.isVisibleTo(p) and next_enabled(wizard)


# --- long names: wrapped, never over the signature line or the page body ----------------------

def _render(pdf: bytes, tmp_path, dpi=72):
    from PIL import Image
    src = tmp_path / "sheet.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(src), str(tmp_path / "page")], check=True)
    return [Image.open(p) for p in sorted(tmp_path.glob("page-*.pgm"))]


def _label_baselines(pdf: bytes, label: str) -> list[tuple[int, float]]:
    """(page index, baseline y in points from the top) of each text chunk starting with `label`."""
    found = []
    for index, pdf_page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        height = float(pdf_page.mediabox.height)

        def visit(text, cm, tm, font, size, index=index, height=height):
            if text.strip().startswith(label):
                found.append((index, height - (tm[5] * cm[3] + cm[5])))
        pdf_page.extract_text(visitor_text=visit)
    return found


def _row_kinds(image, box):
    """For each pixel row of `box`: 'rule' (one long dark run), 'ink' (anything else dark) or ''."""
    left, top, right, bottom = box
    px = image.load()
    kinds = []
    for y in range(top, bottom):
        dark = [x for x in range(left, right) if px[x, y] < 160]
        if not dark:
            kinds.append("")
        elif len(dark) >= 0.4 * (right - left):
            kinds.append("rule")
        else:
            kinds.append("ink")
    return kinds


LONG_NAMES = ["محمد " * 39 + "علي", "W" * 200, "김" * 200, "Zoë Ångström-" * 15, "אברהם " * 33]


@pytest.mark.parametrize("name", LONG_NAMES, ids=["arabic-words", "latin-no-spaces", "korean-no-spaces",
                                                   "latin-hyphens", "hebrew-words"])
def test_long_names_wrap_and_leave_the_signature_lines_clear(tmp_path, name):
    name = name.strip()[:200]
    s = read_screening(json.dumps(screening_file(patient={"name": name, "date_of_birth": "1980-04-02"})))
    pdf = build_sheet(s, screen(s), clinic=CLINIC)
    dpi = 100
    images = _render(pdf, tmp_path, dpi)
    scale = dpi / 72
    labels = _label_baselines(pdf, "Patient signature") + _label_baselines(pdf, "Clinician signature")
    assert len(labels) == 2
    for index, baseline in labels:
        image = images[index]
        left = int(2.2 / 2.54 * dpi)
        right = int(left + 0.55 * (image.size[0] - 2 * left))
        # The 1 cm above the label: the line to sign on, and nothing else (no name over it).
        box = (left, int((baseline - 9 - 28) * scale), right, int((baseline - 9) * scale))
        kinds = _row_kinds(image, box)
        assert "rule" in kinds and "ink" not in kinds, kinds
    # Every page: the footer's rule is one unbroken line with clear paper above it, so the
    # footer (which grows upwards with the name) never runs into the page body.
    for image in images:
        width, height = image.size
        px = image.load()
        left, right = int(2.1 / 2.54 * dpi), width - int(2.1 / 2.54 * dpi)

        def unbroken(y, px=px, left=left, right=right):
            return all(px[x, y] < 200 for x in range(left, right))
        rule = max(y for y in range(height // 2, height) if unbroken(y))
        above = _row_kinds(image, (0, rule - int(0.15 * dpi), width, rule - 1))
        assert set(above) == {""}, above
    # The whole name is on every page, in the footer.
    texts = [nfkc(p.extract_text()) for p in PdfReader(io.BytesIO(pdf)).pages]
    for text in texts:
        squeezed = re.sub(r"\s+", "", text)
        assert re.sub(r"\s+", "", name) in squeezed, text[-400:]


def test_a_long_name_is_not_cut_short_in_the_footer():
    name = "Bartholomew " * 16 + "Quincy-Adams"
    texts = sheet_pages(name[:200].strip())
    for text in texts:
        assert "…" not in text
        assert re.sub(r"\s+", " ", name[:200].strip()) in re.sub(r"\s+", " ", text)
