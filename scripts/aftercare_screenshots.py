"""Grabs the Follow-up tab and its forms into docs/screenshots/aftercare-*.png.

Run under a real X server so the windows are drawn as staff see them:
    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python scripts/aftercare_screenshots.py
The store is a temporary one filled through its own API (no patient of any clinic).
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import GOOD_PRODUCT, all_answers  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from screening_app.casework import Case, Draft, Flow  # noqa: E402
from screening_app.records.settings import ClinicSettings  # noqa: E402
from screening_app.records.store import Store  # noqa: E402
from screening_app.ui.application import make_application  # noqa: E402
from screening_app.ui.main_window import AppDialogs, MainWindow  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse battery"
PATIENTS = [("Zoë Ångström", "1980-04-02", "A-1001", "(217) 555-0101"),
            ("Bo Berg", "1971-09-14", "B-2002", "bo.berg@example.org"),
            ("Li Lei", "1990-01-30", "C-3003", "(217) 555-0177"),
            ("Łukasz Nowak", "1965-06-08", "D-4004", "")]


def consent(store, desk, doc, name, dob, pid, contact) -> str:
    draft = Draft(name=name, date_of_birth=dob, patient_id=pid, contact=contact, route="topical", area="face",
                  answers=all_answers(), product=dict(GOOD_PRODUCT, name="ExoRenew 10B"))
    front = Case(store, desk, draft=draft)
    front.hand_over()
    case = Case(store, doc, row=store.claim(doc, front.sid))
    for f in case.flow.evaluate(case.draft).result.findings:
        if f.outcome.value == "clinician_review":
            case.draft.decisions[f.question] = {"decision": "proceed", "reason": "Checked with the patient."}
    case.stamp_review()
    case.finish()
    return case.sid


def grab(widget, name: str) -> None:
    QApplication.processEvents()
    widget.grab().save(str(OUT / f"aftercare-{name}.png"))
    print("wrote", OUT / f"aftercare-{name}.png")


def main() -> None:
    app = make_application(sys.argv[:1]) if callable(make_application) else QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp())
    store = Store.open(folder)
    admin = store.create_first_admin("admin", "Ada Admin", PASSWORD)
    store.save_settings(admin, ClinicSettings("Riverside Skin & Wellness", "12 Main St, Springfield, IL 62701",
                                              "(217) 555-0147"))
    desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    sids = [consent(store, desk, doc, *p) for p in PATIENTS]
    for sid in sids[:3]:
        store.record_administration(doc, sid, lot="EV-2291", amount="1.5", unit="mL", site="cheeks and forehead",
                                    procedure="microneedling")
    contact = store.record_contact(desk, sids[1], follow_up_id=store.follow_ups(desk, sids[1])[0].id, reached=True,
                                   problem=True, note="Red, warm swelling on the left cheek since yesterday")
    store.record_adverse_event(doc, sids[1], description="Red, warm, tender swelling of the left cheek; "
                               "temperature 38.4 C", onset=dt.date.today().isoformat(),
                               seriousness=["required_intervention"], outcome="recovering",
                               treatment="Oral antibiotics; seen again in 48 hours", contact_id=contact.id)
    store.record_contact(desk, sids[2], follow_up_id=store.follow_ups(desk, sids[2])[0].id, reached=False,
                         note="No answer; message left")
    real = store.follow_up_queue
    store.follow_up_queue = lambda staff, **kw: real(staff, today=dt.date.today() + dt.timedelta(days=3), **kw)

    chen = MainWindow(store, store.authenticate("chen", PASSWORD), Flow(), AppDialogs())
    chen.resize(1100, 640)
    chen.show()
    chen.tabs.setCurrentWidget(chen.aftercare)
    tab = chen.aftercare
    for index, name in enumerate(("1-due", "2-treatments", "3-adverse-events")):
        tab.pages.setCurrentIndex(index)
        tab.refresh()
        grab(chen, name)
    tab.pages.setCurrentIndex(1)
    tab.pending.selectRow(0)
    form = tab.record_treatment()
    form.amount.setText("1.5")
    form.lot.setText("EV-2291")
    form.site.setText("cheeks")
    form.procedure.setText("microneedling")
    grab(form, "form-treatment")
    form.reject()
    tab.pages.setCurrentIndex(0)
    tab.due.selectRow(0)
    form = tab.record_contact()
    grab(form, "form-contact")
    form.reject()
    tab.pages.setCurrentIndex(2)
    tab.refresh()
    tab.events.selectRow(0)
    grab(tab.update_event(), "form-adverse-event")
    view = tab.medwatch()
    grab(view, "medwatch")
    view.close()

    store.recall_lot(admin, "EV-2291", "Maker's recall notice of today: sterility failure in this lot")
    tab.pages.setCurrentIndex(3)
    tab.lot.setText("EV-2291")
    tab.look_back()
    tab.lookback.selectRow(1)
    grab(chen, "4-lookback-recalled")
    app.quit()


if __name__ == "__main__":
    main()
