"""The patient's language in the Qt interface: Qt's own translations, a language chooser and
the record of each translation for the admin.

- `set_language(app, code)` switches the app's own words (gettext, `wording.set_language`),
  Qt's own dialogs and buttons (PySide6's `qtbase_<lang>.qm` through a QTranslator) and Qt's
  default locale (dates and numbers in Qt's widgets) together, so they never disagree.
- `LanguageChooser` is the intake's "patient's language" box: every installed pack, each named
  in its own language; its value is the code the screening file and the draft keep.
- `TranslationRecords` shows the admin each pack's record (translator, back-translator,
  reviewer, dates, version, fingerprint) and whether its sheets say the translation awaits review.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .. import wording
from ..screening import ContentError, default_content
from ..screening.languages import ENGLISH, LanguagePack, available_languages, canonical_language, pack_for
from ..screening.localize import REVIEW_FORMAT, clinic_review
from ..wording import say

_installed: list[QTranslator] = []
_original_locale: list[QLocale] = []


def qt_locale(code: str) -> QLocale:
    """The QLocale of a pack's language ("zh-Hans" is Chinese in Simplified script)."""
    return QLocale(code.replace("-", "_"))


def install_qt_translations(app: QCoreApplication, code: str) -> list[QTranslator]:
    """Puts Qt's own translations for `code` in place (removing earlier ones); English needs none.
    Returns the translators installed (empty when Qt ships none for the language)."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    if code == ENGLISH:
        return []
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if translator.load(qt_locale(code), "qtbase", "_", folder):
        app.installTranslator(translator)
        _installed.append(translator)
    return list(_installed)


def set_language(app: QCoreApplication, code: str) -> str:
    """The interface's language for this process: the app's words, Qt's dialogs and Qt's locale.
    An unknown code falls back to English; returns the language now in use."""
    found = canonical_language(code) or ENGLISH
    if not _original_locale:
        _original_locale.append(QLocale())  # the workstation's own, restored for English
    wording.set_language(found)
    install_qt_translations(app, found)
    QLocale.setDefault(qt_locale(found) if found != ENGLISH else _original_locale[0])
    return found


def language_names() -> list[tuple[str, str]]:
    """(code, name shown) of every installed language, English first: "Español (Spanish)"."""
    out = [(ENGLISH, say("languages.english"))]
    for code in available_languages():
        if code == ENGLISH:
            continue
        try:
            out.append((code, pack_for(code, default_content()).label))
        except ContentError:
            continue  # a pack that cannot be used is never offered
    return out


class LanguageChooser(QComboBox):
    """The patient's preferred language, chosen at intake (the draft's `language`)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patient_language")
        self.setAccessibleName(say("languages.chooser_label"))
        self.setToolTip(say("languages.chooser_tip"))
        for code, name in language_names():
            self.addItem(name, code)

    def language(self) -> str:
        return str(self.currentData() or ENGLISH)

    def set_language(self, code: str) -> None:
        index = self.findData(canonical_language(code) or ENGLISH)
        self.setCurrentIndex(max(index, 0))


def bilingual(local: str, english: str) -> str:
    """Rich text for the front desk: the patient's wording to read aloud, and the English beneath
    it in grey so that staff who do not read the language know what is asked."""
    if local == english:
        return escape(english)
    return f'{escape(local)}<br/><span style="color:gray">{escape(english)}</span>'


def record_rows(reviews_text: str = "") -> list[dict[str, str]]:
    """One row per installed pack, as the admin reads it."""
    rows = []
    for code in available_languages():
        if code == ENGLISH:
            continue
        try:
            pack = pack_for(code, default_content())
        except ContentError as exc:
            rows.append({"language": code, "status": say("languages.status_broken", problem=exc.problems[0])})
            continue
        rows.append(_row(pack, reviews_text))
    return rows


def _row(pack: LanguagePack, reviews_text: str) -> dict[str, str]:
    r = pack.record
    nobody = say("languages.nobody_yet")

    def who(name: str, day) -> str:
        return f"{name} ({day.isoformat()})" if name and day else (name or nobody)

    clinic = clinic_review(pack, reviews_text)
    if r.signed_off:
        status = say("languages.status_signed_off", reviewer=r.reviewer, date=r.reviewed_on.isoformat())
    elif clinic is not None:
        status = say("languages.status_clinic_review", who=clinic["who"], date=clinic["date"])
    else:
        status = say("languages.status_awaiting")
    return {"language": pack.label, "version": r.version, "fingerprint": pack.fingerprint,
            "translator": who(r.translator, r.translated_on),
            "back_translator": who(r.back_translator, r.back_translated_on),
            "reviewer": who(r.reviewer, r.reviewed_on), "status": status, "method": r.method,
            "review_line": say("languages.review_line", code=pack.code, version=r.version,
                               fingerprint=pack.fingerprint)}


COLUMNS = ("language", "version", "fingerprint", "translator", "back_translator", "reviewer", "status", "method")


class TranslationRecords(QWidget):
    """The admin's view of every pack's translation record (read-only); `refresh(reviews_text)`
    after the settings change."""

    def __init__(self, reviews_text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("translation_records")
        intro = QLabel(say("languages.records_intro", format=REVIEW_FORMAT), self)
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([say(f"languages.column_{c}") for c in COLUMNS])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName(say("languages.records_title"))
        self.table.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{say('languages.records_title')}</b>", self))
        layout.addWidget(intro)
        layout.addWidget(self.table)
        self.refresh(reviews_text)

    def refresh(self, reviews_text: str = "") -> None:
        rows = record_rows(reviews_text)
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, column in enumerate(COLUMNS):
                item = QTableWidgetItem(row.get(column, ""))
                if column == "fingerprint" and "review_line" in row:
                    item.setToolTip(row["review_line"])  # what to write in the setting
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self.table.resizeRowsToContents()
