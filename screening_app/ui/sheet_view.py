"""Preview, printing and saving of the patient sheet (QtPdf, QtPrintSupport).

Printing rasterises each page with QtPdf at 300 dpi or more (QtPdf has no vector path to
a printer), one copy unless staff ask for more. Dialogs go through `Dialogs`, so tests
answer them instead of a person.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRect, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .. import paths
from ..wording import say
from .dialogs import Dialogs

PRINT_DPI = 300


def load_document(data: bytes, parent=None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument over `data`; keep the buffer alive as long as the document."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    if document.status() is not QPdfDocument.Status.Ready:
        raise ValueError(say("common.sheet.not_previewed", error=document.error().name))
    return document, buffer


def prepare_printer(printer: QPrinter, document: QPdfDocument) -> None:
    """Page size from the sheet, full page (the sheet has its own margins), one copy."""
    size = document.pagePointSize(0)
    printer.setPageLayout(QPageLayout(QPageSize(QSizeF(size.width(), size.height()), QPageSize.Unit.Point),
                                      QPageLayout.Orientation.Portrait, QMarginsF(0, 0, 0, 0)))
    printer.setFullPage(True)
    printer.setCopyCount(1)
    if printer.resolution() < PRINT_DPI:
        printer.setResolution(PRINT_DPI)


def print_document(document: QPdfDocument, printer: QPrinter) -> int:
    """Prints every page; returns the number of pages sent."""
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(say("common.sheet.printer_not_started"))
    try:
        dpi = max(printer.resolution(), PRINT_DPI)
        for index in range(document.pageCount()):
            if index:
                printer.newPage()
            points = document.pagePointSize(index)
            pixels = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
            image = document.render(index, pixels, fillColor=Qt.GlobalColor.white)
            target = painter.viewport()
            scaled = pixels.scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
            painter.drawImage(QRect(target.topLeft(), scaled), image)
        return document.pageCount()
    finally:
        painter.end()


class SheetPreview(QWidget):
    """The real PDF as the patient will get it, with Print and Save as PDF."""

    printed = Signal(int)
    saved = Signal(str)

    def __init__(self, dialogs: Dialogs | None = None, parent=None):
        super().__init__(parent)
        self.dialogs = dialogs or Dialogs()
        self.data = b""
        self.file_stem = "patient-sheet"
        self.document: QPdfDocument | None = None
        self._buffer: QBuffer | None = None
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setAccessibleName(say("common.sheet.preview_name"))
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.print_button = QPushButton(say("common.sheet.print"), self)
        self.save_button = QPushButton(say("common.sheet.save"), self)
        self.print_button.setAccessibleName(say("common.sheet.print_name"))
        self.save_button.setAccessibleName(say("common.sheet.save_name"))
        self.print_button.clicked.connect(self.print_with_dialog)
        self.save_button.clicked.connect(self.save_with_dialog)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 1)

    def set_pdf(self, data: bytes, file_stem: str = "patient-sheet") -> None:
        document, buffer = load_document(data, self)
        self.view.setDocument(document)
        if self.document is not None:
            self.document.deleteLater()
            self._buffer.deleteLater()
        self.data, self.file_stem, self.document, self._buffer = data, file_stem, document, buffer

    def _loaded(self) -> QPdfDocument:
        if self.document is None:
            raise OSError(say("common.sheet.nothing_to_print"))
        return self.document

    def print_to(self, printer: QPrinter) -> int:
        document = self._loaded()
        prepare_printer(printer, document)
        pages = print_document(document, printer)
        self.printed.emit(pages)
        return pages

    def print_with_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare_printer(printer, self._loaded())
        if not self.dialogs.ask_print(printer, self):
            return
        try:
            self.print_to(printer)
        except OSError as exc:
            self.dialogs.tell(self, say("common.sheet.print_failed_title"),
                              say("common.sheet.print_failed", problem=exc), error=True)

    def save_with_dialog(self) -> None:
        path = self.dialogs.ask_save_path(self, str(Path.home() / f"{self.file_stem}.pdf"))
        if not path:
            return
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        try:
            paths.write_atomically(Path(path), self.data)
        except OSError as exc:
            self.dialogs.tell(self, say("common.sheet.not_saved_title"),
                              say("common.sheet.not_saved", path=path, problem=exc.strerror or exc), error=True)
            return
        self.saved.emit(path)
