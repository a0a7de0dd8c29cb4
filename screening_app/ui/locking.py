"""The idle lock: a warning twenty seconds ahead, then a lock that the same person's password
opens, with everything as it was; or Switch user, which signs out."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..records import StoreError
from ..records.accounts import Staff, verify_password
from ..wording import say
from .forms import password_field


class LockDialog(QDialog):
    """Shown after the idle time: the same person's password opens everything as it was."""

    switch_user = Signal()

    def __init__(self, store, staff: Staff, parent=None, verifier: str | None = None):
        super().__init__(parent)
        self.store, self.staff, self.verifier = store, staff, verifier
        self.offline = False
        store.forget_signing_key(staff)  # closed while locked; the password below reopens it
        self.setWindowTitle(say("workstation.lock.title"))
        self.setModal(True)
        self.password = password_field(self)
        self.password.setAccessibleName(say("workstation.lock.password"))
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName("lockError")
        text = QLabel(say("workstation.lock.text", name=staff.display_name), self)
        text.setWordWrap(True)
        unlock = QPushButton(say("workstation.lock.unlock"), self)
        unlock.setDefault(True)
        unlock.clicked.connect(self.submit)
        other = QPushButton(say("workstation.lock.switch_user"), self)
        other.clicked.connect(self.switch_user.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(unlock)
        buttons.addWidget(other)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def submit(self) -> None:
        try:
            ok = self.store.check_password(self.staff, self.password.text())
        except StoreError as exc:
            # The records cannot be reached: the same person may still unlock with the password
            # they signed in with (checked against a hash kept in memory since sign-in).
            if self.verifier and verify_password(self.password.text(), self.verifier):
                self.offline = True
                self.accept()
                return
            self.password.clear()
            self.error.setText(say("workstation.lock.offline", problem=exc))
            return
        if ok:
            self.accept()
        else:
            self.password.clear()
            self.error.setText(say("workstation.lock.wrong_password"))

    def reject(self) -> None:  # Escape must not unlock
        pass


class IdleLock(QObject):
    """Locks every window after the clinic's idle time; any key or mouse use resets it.
    Warns WARN_MS before (WCAG 2.2.1 asks for 20 seconds), and any use or "Keep working"
    puts the lock off again."""

    locked = Signal()
    warning = Signal(int)  # seconds left
    resumed = Signal()
    WARN_MS = 20_000

    def __init__(self, minutes: int, parent=None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.locked.emit)
        self.warn_timer = QTimer(self)
        self.warn_timer.setSingleShot(True)
        self.warn_timer.timeout.connect(lambda: self.warning.emit(self.WARN_MS // 1000))
        self.warned = False
        self.set_minutes(minutes)
        self.active = True
        QApplication.instance().installEventFilter(self)
        self.restart()

    def set_minutes(self, minutes: int) -> None:
        self.timer.setInterval(max(1, minutes) * 60_000)
        self.warn_timer.setInterval(max(0, self.timer.interval() - self.WARN_MS))

    def restart(self) -> None:
        self.timer.start()
        self.warn_timer.start()
        if self.warned:
            self.warned = False
            self.resumed.emit()

    def stop(self) -> None:
        self.timer.stop()
        self.warn_timer.stop()

    def eventFilter(self, obj, event):
        if self.active and event.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                                            QEvent.Type.MouseMove, QEvent.Type.Wheel):
            self.restart()
        return False


class LockWarning(QDialog):
    """Says the screen will lock soon, with a countdown; "Keep working" puts it off."""

    def __init__(self, idle: IdleLock, parent=None):
        super().__init__(parent)
        self.idle = idle
        self.setWindowTitle(say("workstation.lock_warning.title"))
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setObjectName("lockWarning")
        keep = QPushButton(say("workstation.lock_warning.keep"), self)
        keep.setDefault(True)
        keep.clicked.connect(self._keep)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(keep)
        self.left = 0
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._count)
        idle.warning.connect(self.start)
        idle.resumed.connect(self.stop)
        idle.locked.connect(self.stop)

    def start(self, seconds: int) -> None:
        self.idle.warned = True
        self.left = seconds
        self._show_left()
        self.tick.start()
        self.show()

    def _count(self) -> None:
        self.left = max(0, self.left - 1)
        self._show_left()

    def _show_left(self) -> None:
        self.text.setText(say("workstation.lock_warning.text", seconds=self.left))

    def _keep(self) -> None:
        self.idle.restart()

    def stop(self) -> None:
        self.tick.stop()
        self.hide()
