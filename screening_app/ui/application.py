"""The one QApplication, set up the same way for the app, its tests and its benchmark."""
from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ..resources import resource_path


def make_application(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    # Fusion follows the palette (light or dark) the same way on every platform.
    app.setStyle("Fusion")
    app.setApplicationName("Exosome screening")
    app.setOrganizationName("ExosomeScreening")
    icon = resource_path("icons", "app.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def self_check(pdf: bytes) -> str:
    """For --self-test: Qt starts (offscreen when there is no screen), the wizard shows, and
    QtPdf opens the sheet and reads its text back."""
    import os

    from PySide6.QtCore import QSize
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_application([])
    from .sheet_view import load_document
    from .wizard import ScreeningWizard
    wizard = ScreeningWizard()
    wizard.show()
    app.processEvents()
    document, _buffer = load_document(pdf)
    image = document.render(0, QSize(300, 390))
    assert not image.isNull(), "QtPdf rendered nothing"
    assert "Ångström" in document.getAllText(0).text(), "the sheet's text could not be read back"
    wizard.close()
    import PySide6
    return f"Qt {PySide6.__version__} ({app.platformName()}), {document.pageCount()} pages previewed"
