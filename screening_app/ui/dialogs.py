"""Every modal question the app asks, in one object that tests replace with their answers.

Never test by exec()-ing a real dialog: pass a subclass whose methods answer instead.
"""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox


class Dialogs:
    """Every modal question the sheet page asks; tests pass their own answers."""

    def ask_print(self, printer, parent) -> bool:
        from PySide6.QtPrintSupport import QPrintDialog
        return QPrintDialog(printer, parent).exec() == QPrintDialog.DialogCode.Accepted

    def ask_save_path(self, parent, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, "Save the patient sheet as PDF", suggested, "PDF (*.pdf)")
        return path or None

    def confirm_discard(self, parent) -> bool:
        return QMessageBox.question(
            parent, "Close this screening?",
            "What has been typed for this patient will be closed. Close anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes

    def tell(self, parent, title: str, text: str, error: bool = False) -> None:
        (QMessageBox.warning if error else QMessageBox.information)(parent, title, text)

    def ask_reason(self, parent, title: str, label: str) -> str | None:
        """A short reason in the person's words; None when they cancel."""
        text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, "")
        return text.strip() if ok else None
