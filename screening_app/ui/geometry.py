"""Windows that open inside the screen they are on, at any scale."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget

# Room for the window frame and title bar, which Qt's sizes do not include.
FRAME_W, FRAME_H = 16, 48


def fit_to_screen(widget: QWidget, width: int, height: int) -> None:
    """Resizes to the preferred size, or to the screen's available area where that is smaller
    (a 1366x768 screen at 150% has 910x512 logical pixels), and moves the window inside it."""
    screen = widget.screen() or QApplication.primaryScreen()
    if screen is None:
        widget.resize(width, height)
        return
    area = screen.availableGeometry()
    w = max(200, min(width, area.width() - FRAME_W))
    h = max(200, min(height, area.height() - FRAME_H))
    widget.resize(w, h)
    x = area.x() + max(0, (area.width() - w - FRAME_W) // 2)
    y = area.y() + max(0, (area.height() - h - FRAME_H) // 2)
    widget.move(x, y)
