"""Ensure people can change at a shared desk: sign out, switch user, the lock's warning, and
unlocking while the records are unreachable; and that every form tabs in reading order."""
import pytest
from PySide6.QtWidgets import QLineEdit, QWidget
from test_app_gui import PASSWORD, Answers, fill_front_desk

from screening_app.casework import Flow, Step
from screening_app.records import StoreError
from screening_app.records.store import Store
from screening_app.ui.main_window import IdleLock, MainWindow, SignInDialog, Workstation


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data")
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    s.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    yield s
    s.close()


def sign_in(qtbot, workstation: Workstation, username: str) -> MainWindow:
    dialog = workstation.sign_in
    qtbot.addWidget(dialog)
    dialog.username.setText(username)
    dialog.password.setText(PASSWORD)
    dialog.submit()
    window = workstation.window
    window.dialogs = Answers()
    qtbot.addWidget(window)
    return window


def test_sign_out_saves_the_open_screening_and_the_next_person_sees_none_of_it(qtbot, store):
    desk_station = Workstation(store, Flow())
    desk_station.ask()
    chen = sign_in(qtbot, desk_station, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard, cancer_history="yes")
    wizard.next()
    wizard.next()
    wizard.next()
    assert wizard.currentId() == Step.REVIEW  # Dr. Chen holds it for review
    sid = wizard.session.sid
    chen.sign_out()
    assert not chen.isVisible() and not wizard.isVisible()
    row = store.draft(sid)
    assert row.status == "handed_over" and row.claimed_by is None and row.draft["name"] == "Zoë Ångström"
    assert desk_station.sign_in.isVisible()
    desk = sign_in(qtbot, desk_station, "desk")
    assert desk.staff.username == "desk" and desk.windows == []
    assert desk.drafts.rowCount() == 0  # Dr. Chen's screening is in the queue, not on the desk's screen
    assert any(e["action"] == "signed_out" for e in store.audit_entries(store.authenticate("admin", PASSWORD)))


def test_the_lock_screen_lets_another_person_sign_in(qtbot, store):
    station = Workstation(store, Flow())
    station.ask()
    desk = sign_in(qtbot, station, "desk")
    wizard = desk.new_screening()
    wizard.draft.name = "Ann Lee"
    wizard.draft_changed.emit()
    desk.lock()
    desk.lock_dialog.switch_user.emit()
    assert station.sign_in.isVisible() and not desk.isVisible()
    assert store.open_drafts(desk.staff)[0].draft["name"] == "Ann Lee"  # kept for Dee, not lost
    assert sign_in(qtbot, station, "chen").staff.username == "chen"


def test_the_lock_warns_twenty_seconds_ahead_and_keep_working_puts_it_off(qtbot, store):
    window = MainWindow(store, store.authenticate("desk", PASSWORD), Flow(), Answers())
    window.closeEvent = lambda e: e.accept()
    qtbot.addWidget(window)
    window.show()
    assert IdleLock.WARN_MS == 20_000
    assert window.idle.warn_timer.interval() == window.idle.timer.interval() - 20_000
    window.idle.warn_timer.timeout.emit()
    assert window.lock_warning.isVisible() and "20 seconds" in window.lock_warning.text.text()
    window.lock_warning._count()
    assert "19 seconds" in window.lock_warning.text.text()
    window.lock_warning._keep()
    assert not window.lock_warning.isVisible() and window.idle.timer.isActive()
    assert not hasattr(window, "lock_dialog")


def test_unlocking_while_the_records_are_unreachable(qtbot, store, monkeypatch):
    station = Workstation(store, Flow())
    station.ask()
    desk = sign_in(qtbot, station, "desk")
    desk.lock()

    def down(*args, **kwargs):
        raise StoreError("offline", "The records server cannot be reached (no answer).")
    monkeypatch.setattr(store, "check_password", down)
    desk.lock_dialog.password.setText("not my password")
    desk.lock_dialog.submit()
    assert "cannot be reached" in desk.lock_dialog.error.text() and not desk.isVisible()
    desk.lock_dialog.password.setText(PASSWORD)
    desk.lock_dialog.submit()
    assert desk.isVisible() and "cannot be reached" in desk.statusBar().currentMessage()


def focus_chain(first: QWidget, count: int) -> list[QWidget]:
    chain, widget = [first], first
    for _ in range(count - 1):
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & widget.focusPolicy().TabFocus) or not isinstance(widget, QLineEdit):
            widget = widget.nextInFocusChain()
        chain.append(widget)
    return chain


def test_the_first_start_dialog_tabs_in_reading_order(qtbot, tmp_path):
    empty = Store.open(tmp_path / "empty")
    dialog = SignInDialog(empty, first_admin=True)
    qtbot.addWidget(dialog)
    dialog.show()
    # Typed in field order (Tab after each), the name lands in "Your name", the password hidden.
    chain = focus_chain(dialog.username, 4)
    assert chain == [dialog.username, dialog.display, dialog.password, dialog.repeat]
    for widget, text in zip(chain, ("ada", "Ada Admin", PASSWORD, PASSWORD), strict=True):
        widget.setText(text)
    assert dialog.display.text() == "Ada Admin"
    assert dialog.password.echoMode() == dialog.repeat.echoMode() == QLineEdit.EchoMode.Password
    empty.close()


def test_an_unexpected_fault_is_logged_and_shown_without_patient_data(qtbot, monkeypatch, private_home):
    import sys

    from PySide6.QtWidgets import QMessageBox

    from screening_app import logs
    from screening_app.ui.main_window import _quiet_excepthook
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    path = logs.setup()
    try:
        raise KeyError("Zoë Ångström, cancer_history=yes")
    except KeyError:
        _quiet_excepthook(*sys.exc_info())
    for handler in logs.log.handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "unexpected fault: KeyError at test_workstation_gui.py" in text
    assert "Zo" not in text and "cancer_history" not in text
    assert shown and "What you typed is kept" in shown[0] and "Zo" not in shown[0]
    for handler in list(logs.log.handlers):
        logs.log.removeHandler(handler)
        handler.close()


def test_lock_and_sign_out_hide_every_window_and_sign_out_closes_the_signing_key(qtbot, store):
    from PySide6.QtWidgets import QDialog
    station = Workstation(store, Flow())
    station.ask()
    chen = sign_in(qtbot, station, "chen")
    assert chen.staff.id in store._keys
    sheet_window = QDialog(chen)  # as the stored-sheet window is made
    sheet_window.show()
    chen.lock()
    assert not sheet_window.isVisible()  # a patient's sheet never stays on a locked screen
    chen.lock_dialog.password.setText(PASSWORD)
    chen.lock_dialog.submit()
    assert sheet_window.isVisible()
    chen.sign_out()
    assert not sheet_window.isVisible()
    assert chen.staff.id not in store._keys  # the next person at this desk cannot sign as Dr. Chen
