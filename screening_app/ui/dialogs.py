"""Every modal question the app asks, in one object that tests replace with their answers.

Never test by exec()-ing a real dialog: pass a subclass whose methods answer instead.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox

from ..wording import say


class Dialogs:
    """Every modal question the windows ask; tests pass their own answers."""

    def ask_print(self, printer, parent) -> bool:
        from PySide6.QtPrintSupport import QPrintDialog
        return QPrintDialog(printer, parent).exec() == QPrintDialog.DialogCode.Accepted

    def ask_save_path(self, parent, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, say("common.sheet.save_title"), suggested,
                                              say("common.sheet.pdf_pattern"))
        return path or None

    def confirm_discard(self, parent) -> bool:
        return QMessageBox.question(
            parent, say("common.screening.close_title"), say("common.screening.close_text"),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes

    def tell(self, parent, title: str, text: str, error: bool = False) -> None:
        (QMessageBox.warning if error else QMessageBox.information)(parent, title, text)

    def ask_reason(self, parent, title: str, label: str) -> str | None:
        """A short reason in the person's words; None when they cancel."""
        text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, "")
        return text.strip() if ok else None

    def ask_password(self, parent, title: str, label: str) -> str | None:
        """The signed-in person's password again (shown as dots); None when they cancel."""
        text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password, "")
        return text if ok else None

    def ask_yes_no(self, parent, title: str, text: str) -> bool:
        return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes

    def ask_file(self, parent, title: str, suggested: str, pattern: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, pattern)
        return path or None

    def ask_open_file(self, parent, title: str, pattern: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(parent, title, str(Path.home()), pattern)
        return path or None


class AppDialogs(Dialogs):
    """The name the main window's callers and tests know the app's questions by."""
