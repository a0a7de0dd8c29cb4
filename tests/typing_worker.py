"""Runs the real app offscreen and types into a screening until it is killed (see test_crash.py)."""
import os
import sys

os.environ["QT_QPA_PLATFORM"] = "offscreen"
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from screening_app.casework import Flow  # noqa: E402
from screening_app.records.store import Store  # noqa: E402
from screening_app.ui.application import make_application  # noqa: E402
from screening_app.ui.main_window import MainWindow  # noqa: E402

app = make_application([])
store = Store.open()
staff = store.authenticate("desk", "correct horse battery")
window = MainWindow(store, staff, Flow())
window.show()
wizard = window.new_screening()
page = wizard.currentPage()
page.name.setFocus()
typed = []


def report(message, problem):
    if message.startswith("Saved"):
        print("SAVED", "".join(typed), flush=True)


wizard.session.status.connect(report)


def type_one():
    # A person typing steadily; the parent kills this process somewhere in the middle.
    letter = "abcdefghij"[len(typed) % 10]
    QTest.keyClicks(page.name, letter)
    typed.append(letter)
    if len(typed) == 5:
        QTest.keyClicks(page.dob, "1980-04-02")


timer = QTimer()
timer.timeout.connect(type_one)
timer.start(60)
sys.exit(app.exec())
