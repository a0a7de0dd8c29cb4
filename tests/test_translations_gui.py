"""Ensure Qt's own dialogs speak the patient's language when the interface is switched, the intake's
language chooser offers every installed pack, and the admin sees each translation's record."""
import pytest
from PySide6.QtCore import QCoreApplication, QLocale
from PySide6.QtWidgets import QDialogButtonBox

from screening_app import wording
from screening_app.screening import default_content
from screening_app.screening.languages import pack_for
from screening_app.ui.translations import COLUMNS, LanguageChooser, TranslationRecords, set_language


@pytest.fixture
def english_after(qapp):
    yield qapp
    set_language(qapp, "en")


@pytest.mark.parametrize("code, cancel", [("es", "Cancelar"), ("zh-Hans", "取消")])
def test_qts_own_buttons_use_qts_translations(english_after, qtbot, code, cancel):
    assert set_language(english_after, code) == code
    assert wording.current_language() == code
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(box)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == cancel
    assert QLocale().language() == QLocale(code.replace("-", "_")).language()
    set_language(english_after, "en")
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"
    assert set_language(english_after, "xx") == "en"  # unknown: English, never a half-switched interface


def test_the_language_chooser_offers_every_installed_pack_by_its_own_name(qtbot):
    chooser = LanguageChooser()
    qtbot.addWidget(chooser)
    assert [chooser.itemData(i) for i in range(chooser.count())] == ["en", "es", "zh-Hans"]
    assert chooser.itemText(1) == "Español (Spanish)" and chooser.itemText(2).startswith("简体中文")
    assert chooser.language() == "en"
    chooser.set_language("zh-hans")
    assert chooser.language() == "zh-Hans"


def test_the_admin_sees_each_translations_record_and_when_sheets_say_it_awaits_review(qtbot):
    view = TranslationRecords()
    qtbot.addWidget(view)
    table = view.table
    assert table.rowCount() == 2
    column = {name: i for i, name in enumerate(COLUMNS)}
    for row in range(2):
        assert table.item(row, column["status"]).text() == "Awaiting review: sheets say so"
        assert table.item(row, column["reviewer"]).text() == "nobody yet"
        assert "not a certified" in table.item(row, column["translator"]).text()
    pack = pack_for("es", default_content())
    assert table.item(0, column["fingerprint"]).text() == pack.fingerprint
    assert table.item(0, column["fingerprint"]).toolTip().startswith(f"es {pack.record.version} {pack.fingerprint}:")
    view.refresh(f"es {pack.record.version} {pack.fingerprint}: Dr. Ana Ruiz, certified medical translator, 2026-12-01")
    assert table.item(0, column["status"]).text() == \
        "Reviewed for this clinic by Dr. Ana Ruiz, certified medical translator on 2026-12-01"
    assert table.item(1, column["status"]).text() == "Awaiting review: sheets say so"


def test_the_screens_have_fonts_for_every_script_the_sheet_prints(qtbot):
    """A workstation without Chinese, Arabic, Hebrew, Devanagari or Thai fonts still shows a
    translated question or a patient's name: the app adds the fonts it bundles for the sheet."""
    from PySide6.QtGui import QFontDatabase

    from screening_app.ui.application import make_application
    make_application([])
    families = set(QFontDatabase.families())
    for family in ("Droid Sans Fallback", "NanumSquare", "Noto Sans Arabic", "Noto Sans Hebrew",
                   "Noto Sans Devanagari", "Noto Sans Thai"):
        assert family in families, family
