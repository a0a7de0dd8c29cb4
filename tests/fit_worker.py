"""A worker for tests/test_fit.py: opens every wizard page and the main window on whatever screen
it is given (run under Xvfb with QT_SCALE_FACTOR set) and reports what does not fit, as JSON."""
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QAbstractButton, QScrollArea, QWidget  # noqa: E402

from screening_app.casework import Draft, Step  # noqa: E402
from screening_app.records.accounts import Staff  # noqa: E402
from screening_app.ui.application import make_application  # noqa: E402
from screening_app.ui.wizard import ScreeningWizard  # noqa: E402

GOOD_PRODUCT = {"lot": "EV-2291", "coa_lot_matches": True, "markers": ["CD9", "CD63", "CD81"],
                "sterility_tested": True, "endotoxin_tested": True, "mycoplasma_tested": True,
                "donor_screened": True, "gmp_facility": True, "ind_number": "IND 12345", "storage_c": -80,
                "freeze_thaw_cycles": 0, "expiry": "2099-01-01"}


def settle(app, seconds=0.15):
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()


def problems_of(window: QWidget, where: str) -> list[str]:
    out = []
    area = window.screen().availableGeometry()
    frame = window.frameGeometry()
    if not area.contains(frame.topLeft()) or frame.width() > area.width() or window.height() > area.height():
        out.append(f"{where}: window {frame.getRect()} is outside the screen's area {area.getRect()}")
    for scroll in window.findChildren(QScrollArea):
        if scroll.isVisible() and scroll.horizontalScrollBar().isVisible():
            out.append(f"{where}: {scroll.objectName() or 'a scroll area'} scrolls sideways")
        inner = scroll.widget()
        if scroll.isVisible() and inner is not None and inner.minimumSizeHint().width() > scroll.viewport().width() + 1:
            out.append(f"{where}: content needs {inner.minimumSizeHint().width()} px, shown in "
                       f"{scroll.viewport().width()}")
    for button in window.findChildren(QAbstractButton):
        if not button.isVisible():
            continue
        scroll = next((a for a in _ancestors(button) if isinstance(a, QScrollArea)), None)
        if scroll is not None:
            # Reachable by scrolling down; it must never need scrolling sideways.
            left = button.mapTo(scroll.viewport(), button.rect().topLeft()).x()
            if left < 0 or left + button.width() > scroll.viewport().width() + 1:
                out.append(f"{where}: button {button.text()!r} sticks out sideways")
            continue
        top_left = button.mapTo(window, button.rect().topLeft())
        if top_left.x() + button.width() > window.width() + 1 or top_left.y() + button.height() > window.height() + 1:
            out.append(f"{where}: button {button.text()!r} is cut off")
    return out


def _ancestors(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def main():
    app = make_application([])
    found = []
    d = Draft(name="Zoë Ångström-" + "Wolfeschlegelsteinhausenberger" * 2, date_of_birth="1980-04-02",
              route="topical", area="face")
    from screening_app.screening import default_content
    d.answers = {q: "no" for q in default_content().question_ids}
    d.answers.update(cancer_history="yes", current_infection="dont_know")
    d.product = dict(GOOD_PRODUCT)
    wizard = ScreeningWizard(d, staff=Staff(7, "chen", "Dr. Maya Chen", "clinician"))
    wizard.show()
    for step in Step:
        if step is Step.REVIEW:
            d.decisions = {"cancer_history": {"decision": "proceed", "reason": "Skin cancer removed 2012."},
                           "current_infection": {"decision": "proceed", "reason": "No fever today."}}
        settle(app)
        found += problems_of(wizard, step.name.lower())
        if step is not Step.SHEET:
            if step is Step.REVIEW:
                wizard.stamp_review()
            wizard.next()
            if wizard.currentId() != step + 1:
                found.append(f"{step.name.lower()}: Next did not lead on")
                break
    wizard.hide()  # not close(): without a store, closing asks whether to drop what was typed
    with tempfile.TemporaryDirectory() as home:
        import os
        os.environ["SCREENING_APP_HOME"] = home
        from screening_app.casework import Flow
        from screening_app.records.store import Store
        from screening_app.ui.main_window import MainWindow
        store = Store.open()
        admin = store.create_first_admin("admin", "Ada Admin", "correct horse battery")
        for tab in range(5):
            window = MainWindow(store, admin, Flow(), owns_store=False)
            window.tabs.setCurrentIndex(tab)
            window.show()
            settle(app)
            found += problems_of(window, f"main window tab {window.tabs.tabText(tab)}")
            window.idle.stop()
            window.close()
        store.close()
    screen = app.primaryScreen()
    print(json.dumps({"screen": screen.availableGeometry().getRect(), "ratio": screen.devicePixelRatio(),
                      "problems": found}))


if __name__ == "__main__":
    main()
