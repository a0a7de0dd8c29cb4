"""Starts the GUI: one Qt application, the Fusion style, and the screening wizard."""
from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from ..records.settings import load_settings
from ..resources import resource_path
from ..screening import ContentError
from ..workflow import Draft, Flow
from .wizard import ScreeningWizard


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


def run_gui(argv: list[str]) -> int:
    app = make_application(argv)
    try:
        flow = Flow()
    except ContentError as exc:
        QMessageBox.critical(None, "Questionnaire or rules cannot be used",
                             "Screening cannot start until resources/ is fixed:\n\n" + "\n".join(exc.problems))
        return 1
    settings, problems = load_settings()
    wizard = ScreeningWizard(Draft(), flow=flow, settings=settings)
    if problems:
        QMessageBox.warning(wizard, "Settings", "Some settings could not be read; defaults are used:\n\n"
                            + "\n".join(problems))

    def next_patient(code: int) -> None:
        # Done starts the next patient with an empty wizard; Cancel (after confirming) quits.
        if code == ScreeningWizard.DialogCode.Accepted:
            wizard.draft = Draft()
            wizard.restart()
            wizard.show()
        else:
            app.quit()

    wizard.finished.connect(next_patient)
    wizard.show()
    return app.exec()
