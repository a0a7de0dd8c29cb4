"""Grabs every wizard page, light and dark, and one page of each sheet kind, into docs/.

Run under a real X server so the window is drawn as staff see it:
    xvfb-run -a -s "-screen 0 1280x900x24" .venv/bin/python scripts/screenshots.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from screening_app.casework import Draft, Flow, Step  # noqa: E402
from screening_app.records.accounts import Staff  # noqa: E402
from screening_app.records.settings import ClinicSettings  # noqa: E402
from screening_app.ui.application import make_application  # noqa: E402
from screening_app.ui.wizard import ScreeningWizard  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SETTINGS = ClinicSettings("Riverside Skin & Wellness", "12 Main St, Springfield, IL 62701", "(217) 555-0147")
PRODUCT = {"lot": "EV-2291", "name": "ExoRenew 10B", "coa_lot_matches": True, "markers": ["CD9", "CD63", "CD81"],
           "sterility_tested": True, "endotoxin_tested": True, "mycoplasma_tested": True, "donor_screened": True,
           "gmp_facility": True, "ind_number": "IND 12345", "storage_c": -80, "freeze_thaw_cycles": 0,
           "expiry": "2027-03-01"}


def dark_palette() -> QPalette:
    p = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#333333"),
                         (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#3a3a3a"),
                         (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#3d7ab8"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"),
                         (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
                         (QPalette.ColorRole.ToolTipBase, "#3a3a3a"), (QPalette.ColorRole.ToolTipText, "#e6e6e6")):
        p.setColor(role, QColor(colour))
    return p


def draft(answers: dict) -> Draft:
    d = Draft(name="Zoë Ångström", date_of_birth="1980-04-02", patient_id="A-1001", route="topical", area="face")
    d.answers = {q: "no" for q in ["active_malignancy", "cancer_history", "systemic_inflammation", "blood_donation",
                                   "current_infection", "skin_problem_at_site", "immune_suppression",
                                   "biologic_reaction", "known_allergy", "pregnant_or_breastfeeding", "bleeding_risk"]}
    d.answers.update(answers)
    return d


def grab(app: QApplication, wizard, name: str) -> None:
    # QPdfView renders pages in the background: give it a moment, as a person's eye would.
    on_sheet = getattr(wizard, "currentId", lambda: -1)() == Step.SHEET
    deadline = time.monotonic() + (1.5 if on_sheet else 0.2)
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    wizard.grab().save(str(OUT / f"{name}.png"))


CLINICIAN = Staff(7, "chen", "Dr. Maya Chen", "clinician")


def walk(app, theme: str, name: str, d: Draft, decisions=None, stop_at=None) -> ScreeningWizard:
    wizard = ScreeningWizard(d, settings=SETTINGS, staff=CLINICIAN)
    wizard.resize(960, 760)
    wizard.show()
    for step in (Step.PATIENT, Step.TREATMENT, Step.QUESTIONS, Step.REVIEW, Step.PRODUCT, Step.SHEET):
        if wizard.currentId() != step:
            continue
        page = wizard.currentPage()
        if step is Step.REVIEW and decisions:
            d.decisions.update(decisions)
            page.initializePage()
        if step is Step.PRODUCT:
            d.product = dict(PRODUCT)
            page.initializePage()
        grab(app, wizard, f"{theme}-{name}-{int(step)}-{step.name.lower()}")
        if step == stop_at:
            break
        wizard.next()
    return wizard


def shell(app) -> None:
    """The windows around the wizard, on a throw-away store with sample screenings."""
    import os

    from screening_app.records.store import Store
    from screening_app.ui.main_window import LockDialog, MainWindow, SignInDialog
    with tempfile.TemporaryDirectory() as home:
        os.environ["SCREENING_APP_HOME"] = home
        store = Store.open()
        sign_in = SignInDialog(store, first_admin=True)
        sign_in.resize(460, 260)
        sign_in.show()
        grab(app, sign_in, "light-app-0-first-admin")
        admin = store.create_first_admin("admin", "Ada Admin", "correct horse battery")
        store.save_settings(admin, SETTINGS)
        desk = store.add_staff(admin, "desk", "Dee Desk", "front_desk", "correct horse battery")
        doc = store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", "correct horse battery")
        for name, answers in (("Zoë Ångström", {"cancer_history": "yes"}), ("李雷", {"current_infection": "dont_know"}),
                              ("Олег Иванов", {})):
            d = draft(answers)
            d.name = name
            row = store.new_draft(desk, d.to_json())
            store.save_draft(desk, row.id, d.to_json(), step=2, version=row.row_version,
                             outcome=Flow().result(d).outcome.value)
            store.hand_over(desk, row.id, row.row_version + 1)
        window = MainWindow(store, doc, Flow())
        def show_tab(w, label):  # by its label: the tabs a role sees differ in number and order
            w.tabs.setCurrentIndex(next(i for i in range(w.tabs.count())
                                        if w.tabs.tabText(i).replace("&", "").lower().startswith(label)))

        for index, (name, label) in enumerate((("home", "screenings"), ("queue", "review queue"),
                                               ("records", "records"))):
            show_tab(window, label)
            window.show()
            grab(app, window, f"light-app-{index + 1}-{name}")
        window.hide()
        admin_window = MainWindow(store, admin, Flow())
        for name in ("records", "accounts", "settings", "audit"):
            show_tab(admin_window, name)
            admin_window.refresh()
            admin_window.show()
            grab(app, admin_window, f"light-app-admin-{name}")
        admin_window.hide()
        lock = LockDialog(store, doc)
        lock.resize(420, 180)
        lock.show()
        grab(app, lock, "light-app-lock")
        lock.hide()
        store.close()
        del os.environ["SCREENING_APP_HOME"]


def journeys(app) -> None:
    """A refused patient re-screened minutes later, and a refused screening amended: what the
    front desk and the clinician see (journey-*.png)."""
    import os

    from screening_app.casework import Case
    from screening_app.records.store import Store
    from screening_app.ui.main_window import MainWindow
    with tempfile.TemporaryDirectory() as home:
        os.environ["SCREENING_APP_HOME"] = home
        store = Store.open()
        admin = store.create_first_admin("admin", "Ada Admin", "correct horse battery")
        store.save_settings(admin, SETTINGS)
        store.add_staff(admin, "desk", "Dee Desk", "front_desk", "correct horse battery")
        store.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", "correct horse battery")
        desk = store.authenticate("desk", "correct horse battery")
        doc = store.authenticate("chen", "correct horse battery")
        first = Case(store, desk, draft=draft({"active_malignancy": "yes"}))
        first.hand_over()
        refused = Case(store, doc, row=store.claim(doc, first.sid))
        refused.finish()
        # Two minutes later the front desk starts again, every answer "no".
        desk_window = MainWindow(store, desk, Flow())
        again = desk_window.new_screening()
        again.resize(960, 760)
        d = again.draft
        d.name, d.date_of_birth, d.patient_id = "ZOE ANGSTROM", "1980-04-02", "A-1001"
        again.currentPage().initializePage()
        again.session.save()
        again.currentPage().refresh_messages()
        grab(app, again, "journey-1-front-desk-seen-before")
        d.route, d.area = "topical", "face"
        d.answers.update(draft({}).answers)
        again.session.save()
        again.next()
        again.next()
        again.button(again.WizardButton.FinishButton).click()
        doc_window = MainWindow(store, doc, Flow())
        review = doc_window.review(again.session.sid)
        review.resize(960, 760)
        grab(app, review, "journey-2-clinician-seen-before")
        review.reject()
        # The clinician amends the refused screening: every change is shown against the original.
        amendment = doc_window._open_wizard(store.amend(doc, first.sid))
        amendment.resize(960, 760)
        amendment.draft.answers["active_malignancy"] = "no"
        amendment.session.save()
        amendment.next()
        amendment.next()
        amendment.next()
        grab(app, amendment, "journey-3-amendment-review")
        amendment.reject()
        store.close()
        del os.environ["SCREENING_APP_HOME"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    app = make_application([])
    journeys(app)
    if "--journeys" in sys.argv:
        return
    shell(app)
    for theme in ("light", "dark"):
        app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
        empty = ScreeningWizard(Draft(), settings=SETTINGS)
        empty.resize(960, 760)
        empty.show()
        grab(app, empty, f"{theme}-empty-0-patient")
        walk(app, theme, "review", draft({"cancer_history": "yes", "current_infection": "dont_know"}),
             {"cancer_history": {"decision": "proceed", "reason": "Basal cell skin cancer removed 2012; topical only."},
              "current_infection": {"decision": "proceed", "reason": "No fever; temperature 36.8 C."}})
        walk(app, theme, "dnt", draft({"active_malignancy": "yes"}))
    # The sheet pictures of the README: scripts/sheets.py (no Qt needed).
    subprocess.run([sys.executable, str(ROOT / "scripts" / "sheets.py")], check=True)

if __name__ == "__main__":
    main()
