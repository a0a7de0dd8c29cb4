"""The main window's tabs, one module each. A tab is a QWidget with `refresh()` that asks the
window for what it cannot do itself through Qt signals; no tab imports the window."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ...records.accounts import Staff
from ..dialogs import Dialogs


class Tab(QWidget):
    """What every tab shares: the store, the signed-in person, the modal questions, and two
    requests to the window."""

    status = Signal(str)  # a line for the window's status bar
    changed = Signal()    # the tab changed the records: the window refreshes every tab
    # The lists and actions that callers (tests, screenshots) reach through the window.
    exposes: tuple[str, ...] = ()

    def __init__(self, store, staff: Staff, dialogs: Dialogs, parent=None):
        super().__init__(parent)
        self.store, self.staff, self.dialogs = store, staff, dialogs

    def refresh(self) -> None:
        """Re-reads what the tab shows; a StoreError is the window's to report."""
