"""The one QApplication, set up the same way for the app, its tests and its benchmark."""
from __future__ import annotations

import sys
from functools import cache
from typing import cast

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

from ..resources import resource_path


def make_application(argv: list[str]) -> QApplication:
    app = cast(QApplication, QApplication.instance() or QApplication([sys.argv[0], *argv]))
    # Fusion follows the palette (light or dark) the same way on every platform.
    app.setStyle("Fusion")
    app.setApplicationName("Exosome screening")
    app.setOrganizationName("ExosomeScreening")
    icon = resource_path("icons", "app.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    apply_contrast_aids(app)
    add_bundled_fonts()
    if app.findChild(_PaletteWatch) is None:
        app.installEventFilter(_PaletteWatch(app))
    return app


@cache
def add_bundled_fonts() -> None:
    """The fonts the sheet embeds (Chinese, Korean, Arabic, Hebrew, Devanagari, Thai) also serve
    the screens: a patient's name or a translated question shows on a workstation that has no
    such font installed, instead of empty boxes (Qt falls back to application fonts)."""
    for font in sorted(resource_path("fonts").glob("*.ttf")):
        QFontDatabase.addApplicationFont(str(font))


class _PaletteWatch(QObject):
    """Follows the desktop switching to or from a high-contrast theme while the app runs."""

    def eventFilter(self, obj, event):
        if obj is QApplication.instance() and event.type() == QEvent.Type.ApplicationPaletteChange:
            apply_contrast_aids(obj)
        return False


# Fusion draws frames and radio or check indicators a shade darker than the window: on a
# high-contrast black (or white) palette that is the window's own colour, so Proceed and Defer
# lose their circles and fields their borders. These rules draw them in the text colour.
CONTRAST_AIDS = """
QRadioButton::indicator, QCheckBox::indicator { width: 14px; height: 14px;
    border: 2px solid palette(window-text); background: palette(base); }
QRadioButton::indicator { border-radius: 9px; }
QRadioButton::indicator:checked, QCheckBox::indicator:checked { background: palette(highlight); }
QLineEdit, QSpinBox, QComboBox { border: 1px solid palette(window-text); padding: 2px; }
QGroupBox { border: 1px solid palette(window-text); margin-top: 4px; padding-top: 4px; }
"""


def is_high_contrast(palette) -> bool:
    from PySide6.QtGui import QPalette
    window = palette.color(QPalette.ColorRole.Window).lightness()
    text = palette.color(QPalette.ColorRole.WindowText).lightness()
    return (window <= 24 or window >= 250) and abs(window - text) >= 200 and \
        palette.color(QPalette.ColorRole.Window).darker(140).lightness() in range(window - 8, window + 9)


def apply_contrast_aids(app: QApplication) -> None:
    """Called at start and whenever the palette changes (tests and screenshots set one)."""
    app.setStyleSheet(CONTRAST_AIDS if is_high_contrast(app.palette()) else "")


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
