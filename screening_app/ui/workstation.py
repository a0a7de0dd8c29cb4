"""Start-up and who is at the keyboard: one running copy per user, the questionnaire and the
records opened (or why not, in words), sign-in, the main window, and sign-in again after a
sign-out; and the one handler for an unexpected fault."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile, QObject
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import paths
from ..casework import Flow
from ..records import StoreError
from ..screening import ContentError
from ..wording import say
from .application import make_application
from .sign_in import SignInDialog

if TYPE_CHECKING:
    from .main_window import MainWindow

# The store's kinds of failure to open, each with its own title.
OPEN_FAILURE_TITLES = {"damaged": "workstation.start.damaged", "offline": "workstation.start.offline",
                       "refused": "workstation.start.refused", "full": "workstation.start.full"}


def acquire_instance_lock() -> QLockFile | None:
    """One running copy per user: a second one would show two versions of the same draft."""
    folder = paths.ensure_private_dir(paths.data_dir())
    lock = QLockFile(str(folder / "instance.lock"))
    lock.setStaleLockTime(0)  # a crashed copy's lock is taken over (Qt checks the process is gone)
    return lock if lock.tryLock(200) else None


def _quiet_excepthook(kind, value, tb) -> None:
    """The one handler for an unexpected fault in the GUI: it is logged and shown by its kind and
    place, never its message or values, which may hold a patient's name or answers. The
    screening on screen is kept (it is saved as typed)."""
    import sys

    from ..logs import fault_summary, log
    summary = fault_summary(kind, tb)
    log.error("unexpected fault: %s", summary)
    print(f"internal error: {summary} (details withheld: they may hold patient data)", file=sys.stderr)
    app = QApplication.instance()
    if app is not None and not getattr(app, "_showing_fault", False) and kind is not KeyboardInterrupt:
        app._showing_fault = True  # type: ignore[attr-defined]
        try:
            QMessageBox.warning(None, say("workstation.fault.title"), say("workstation.fault.text", summary=summary))
        finally:
            app._showing_fault = False  # type: ignore[attr-defined]


class Workstation(QObject):
    """Who is at the keyboard: sign-in, then the main window, and sign-in again after a sign-out."""

    def __init__(self, store, flow: Flow):
        super().__init__()
        self.store, self.flow = store, flow
        self.window: MainWindow | None = None
        self.sign_in: SignInDialog | None = None

    def ask(self) -> None:
        self.sign_in = SignInDialog(self.store, first_admin=not self.store.has_staff())
        self.sign_in.accepted.connect(self._signed_in)
        self.sign_in.rejected.connect(self._gave_up)
        self.sign_in.show()

    def _signed_in(self) -> None:
        from .main_window import MainWindow  # the window imports this module for its callers
        assert self.sign_in is not None and self.sign_in.staff is not None  # accepted: someone signed in
        staff, verifier = self.sign_in.staff, self.sign_in.verifier
        self.window = MainWindow(self.store, staff, self.flow, verifier=verifier, owns_store=False)
        self.window.signed_out.connect(self.ask)
        self.window.show()
        if staff.can("screen"):
            self.window.offer_resume()

    def _gave_up(self) -> None:
        if self.window is None or not self.window.isVisible():
            QApplication.instance().quit()


def run_gui(argv: list[str]) -> int:
    import sys

    from ..records.store import Store

    sys.excepthook = _quiet_excepthook
    from ..logs import log
    from ..logs import setup as setup_log
    setup_log()
    log.info("started")
    app = make_application(argv)
    try:
        lock = acquire_instance_lock()
    except OSError as exc:
        QMessageBox.critical(None, say("workstation.start.cannot_start"),
                             say("workstation.start.data_folder", problem=exc))
        return 1
    if lock is None:
        QMessageBox.information(None, say("workstation.start.already_open_title"),
                                say("workstation.start.already_open"))
        return 0
    try:
        flow = Flow()
    except ContentError as exc:
        QMessageBox.critical(None, say("workstation.start.content_title"),
                             say("workstation.start.content", problems="\n".join(exc.problems)))
        return 1
    try:
        store = Store.open()
    except StoreError as exc:
        title = say(OPEN_FAILURE_TITLES.get(exc.kind, "workstation.start.refused"))
        QMessageBox.critical(None, title, say("workstation.start.records", problem=exc))
        return 1
    if store.anchor_problem:
        QMessageBox.warning(None, say("workstation.start.trail_changed_title"),
                            say("workstation.start.trail_changed", problem=store.anchor_problem))
    workstation = Workstation(store, flow)
    workstation.ask()
    code = app.exec()
    store.close()
    lock.unlock()
    return code
