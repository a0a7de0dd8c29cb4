"""Ensure the app keeps every screening: autosave, hand-over, queue, finish, resume, idle lock, faults."""
import pytest
from conftest import GOOD_PRODUCT, all_answers
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QWizard

from screening_app.casework import Draft, Flow, Step
from screening_app.records import StoreError
from screening_app.records.settings import ClinicSettings
from screening_app.records.store import Store
from screening_app.ui.main_window import AppDialogs, MainWindow

PASSWORD = "correct horse battery"


class Answers(AppDialogs):
    def __init__(self):
        self.yes = True
        self.told = []

    def ask_yes_no(self, parent, title, text):
        return self.yes

    def tell(self, parent, title, text, error=False):
        self.told.append(text)

    def confirm_discard(self, parent):
        return True


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data")
    admin = s.create_first_admin("admin", "Ada Admin", PASSWORD)
    s.save_settings(admin, ClinicSettings(clinic_name="Riverside Clinic", clinic_phone="(217) 555-0147"))
    s.add_staff(admin, "desk", "Dee Desk", "front_desk", PASSWORD)
    s.add_staff(admin, "chen", "Dr. Maya Chen", "clinician", PASSWORD)
    s.add_staff(admin, "okafor", "Dr. Ike Okafor", "clinician", PASSWORD)
    yield s
    s.close()


def window(qtbot, store, username):
    staff = store.authenticate(username, PASSWORD)
    w = MainWindow(store, staff, Flow(), Answers())
    w.closeEvent = lambda e: e.accept()  # the fixture closes the store
    qtbot.addWidget(w)
    w.show()
    return w


def fill_front_desk(wizard, **answers):
    d = wizard.draft
    d.name, d.date_of_birth, d.route = "Zoë Ångström", "1980-04-02", "topical"
    d.answers.update(all_answers(**answers))
    wizard.draft_changed.emit()


def finish_do_not_treat(qtbot, store):
    """A clinician screens a patient with active cancer through to Done; returns the window and wizard."""
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard, active_malignancy="yes")
    for _ in range(4):
        wizard.next()
    assert wizard.currentId() == Step.SHEET
    wizard.button(QWizard.WizardButton.FinishButton).click()
    return chen, wizard


def test_tabs_follow_the_role(qtbot, store):
    tabs = lambda w: [w.tabs.tabText(i).replace("&", "") for i in range(w.tabs.count())]  # noqa: E731
    assert tabs(window(qtbot, store, "desk")) == ["Screenings", "Records", "Follow-up"]
    assert tabs(window(qtbot, store, "chen")) == ["Screenings", "Review queue", "Records", "Follow-up"]
    # The admin sees the queue to free or withdraw a screening, but opens none for review;
    # in Follow-up, only the lookback and recall of a lot.
    assert tabs(window(qtbot, store, "admin")) == ["Review queue", "Records", "Follow-up", "Accounts", "Settings",
                                                   "Audit trail"]


def test_typing_is_saved_without_pressing_anything(qtbot, store):
    w = window(qtbot, store, "desk")
    wizard = w.new_screening()
    wizard.draft.name = "Ann Lee"
    wizard.draft_changed.emit()
    qtbot.waitUntil(lambda: store.open_drafts(w.staff) and store.open_drafts(w.staff)[0].draft["name"] == "Ann Lee",
                    timeout=3000)
    assert "Saved" in wizard.currentPage().saved.text()


def test_front_desk_hands_over_and_a_clinician_claims(qtbot, store):
    desk = window(qtbot, store, "desk")
    wizard = desk.new_screening()
    fill_front_desk(wizard, cancer_history="yes")
    wizard.next()
    wizard.next()
    assert wizard.currentId() == Step.QUESTIONS
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "&Hand over to clinician"
    wizard.button(QWizard.WizardButton.FinishButton).click()
    queue = store.queue()
    assert [(r.patient_name, r.status, r.outcome) for r in queue] == \
        [("Zoë Ångström", "handed_over", "clinician_review")]

    chen = window(qtbot, store, "chen")
    chen.refresh()
    assert chen.queue.rowCount() == 1
    review = chen.review(queue[0].id)
    assert review.currentId() == Step.REVIEW
    okafor = window(qtbot, store, "okafor")
    assert okafor.review(queue[0].id) is None
    assert "Dr. Maya Chen is reviewing" in okafor.dialogs.told[0]


def test_clinician_finishes_and_the_record_is_kept_exactly(qtbot, store, tmp_path):
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard)
    for _ in range(3):
        wizard.next()
    assert wizard.currentId() == Step.REVIEW
    wizard.next()
    wizard.draft.product = dict(GOOD_PRODUCT)
    wizard.currentPage().initializePage()
    wizard.draft_changed.emit()
    wizard.next()
    assert wizard.currentId() == Step.SHEET
    page = wizard.currentPage()
    pdf = page.preview.data
    done = wizard.button(QWizard.WizardButton.FinishButton)
    assert not done.isEnabled() and "print or save" in page.status.text()  # a consent is signed on paper
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    page.preview.print_to(printer)
    assert done.isEnabled() and page.status.text() == ""
    done.click()
    (row,) = store.search(include_unfinished=False)
    record = store.record(row["id"])
    assert record.pdf == pdf and record.sheet_kind == "consent" and record.lot == "EV-2291"
    assert record.finished_by == "Dr. Maya Chen"
    (printed,) = store.paper_events(row["id"])
    assert printed["event"] == "printed" and printed["display_name"] == "Dr. Maya Chen"


def test_a_consent_not_printed_needs_a_reason_and_the_signed_copy_is_recorded(qtbot, store, monkeypatch):
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard)
    for _ in range(4):
        wizard.next()
    wizard.draft.product = dict(GOOD_PRODUCT)
    wizard.currentPage().initializePage()
    wizard.draft_changed.emit()
    wizard.next()
    page = wizard.currentPage()
    monkeypatch.setattr(chen.dialogs, "ask_reason", lambda *a: "", raising=False)
    page.not_printed.click()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()  # no reason, no way on
    monkeypatch.setattr(chen.dialogs, "ask_reason", lambda *a: "Printer jammed; copy emailed to the patient",
                        raising=False)
    page.not_printed.click()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    sid = wizard.session.sid
    assert [e["event"] for e in store.paper_events(sid)] == ["not_printed"]
    chen.run_search()
    chen.results.selectRow(0)
    dialog = chen.open_sheet()
    assert "not printed" in dialog.windowTitle().lower()
    scan = b"%PDF-1.4\n% signed copy scan\n%%EOF\n"
    monkeypatch.setattr(chen.dialogs, "ask_open_file", lambda *a: str(write_scan(store, scan)), raising=False)
    assert chen.signed_copy_received()
    assert store.paper_events(sid)[-1]["event"] == "signed_copy_received" and store.signed_copy(sid) == scan
    chen.run_search()
    assert "signed copy received" in chen.results.item(0, 5).text()


def write_scan(store, data: bytes):
    path = store.location.parent / "scan.pdf" if hasattr(store.location, "parent") else None
    path.write_bytes(data)
    return path


def test_do_not_treat_is_recorded_as_do_not_treat(qtbot, store):
    finish_do_not_treat(qtbot, store)
    (row,) = store.search(include_unfinished=False)
    assert store.record(row["id"]).sheet_kind == "do_not_treat"


def test_next_start_offers_to_resume_with_everything_typed(qtbot, store):
    first = window(qtbot, store, "desk")
    wizard = first.new_screening()
    fill_front_desk(wizard, cancer_history="dont_know")
    wizard.draft.follow_ups = {"cancer_history": {"details": "not sure, 2010?"}}
    wizard.session.save()
    wizard.hide()  # as if the app died here
    second = window(qtbot, store, "desk")
    resumed = second.offer_resume()
    assert resumed.draft.name == "Zoë Ångström"
    assert resumed.draft.answers["cancer_history"] == "dont_know"
    assert resumed.draft.follow_ups == {"cancer_history": {"details": "not sure, 2010?"}}


def test_idle_lock_hides_everything_and_keeps_the_open_screening(qtbot, store):
    w = window(qtbot, store, "desk")
    wizard = w.new_screening()
    wizard.draft.name = "Ann Lee"
    w.lock()
    assert not w.isVisible() and not wizard.isVisible()
    w.lock_dialog.password.setText("wrong password!")
    w.lock_dialog.submit()
    assert not wizard.isVisible() and w.lock_dialog.error.text() == "Wrong password."
    w.lock_dialog.reject()  # Escape does not unlock
    assert not wizard.isVisible()
    w.lock_dialog.password.setText(PASSWORD)
    w.lock_dialog.submit()
    assert w.isVisible() and wizard.isVisible() and wizard.draft.name == "Ann Lee"
    assert store.open_drafts(w.staff)[0].draft["name"] == "Ann Lee"  # saved before locking


def test_store_fault_while_typing_keeps_the_draft_and_retries(qtbot, store, monkeypatch):
    w = window(qtbot, store, "desk")
    wizard = w.new_screening()
    wizard.draft.name = "Ann"
    assert wizard.session.save()
    real = store.save_draft

    def busy(*args, **kwargs):
        raise StoreError("busy", "The records database is busy or locked by another program. "
                                 "Nothing typed is lost; try again in a moment.")
    monkeypatch.setattr(store, "save_draft", busy)
    wizard.draft.name = "Ann Lee"
    assert not wizard.session.save()
    assert "Not saved yet" in wizard.currentPage().saved.text() and wizard.draft.name == "Ann Lee"
    assert wizard.session.unsaved
    monkeypatch.setattr(store, "save_draft", real)
    assert wizard.session.save()
    assert store.draft(wizard.session.sid).draft["name"] == "Ann Lee"


def test_admin_changes_settings_and_accounts(qtbot, store):
    w = window(qtbot, store, "admin")
    from screening_app.records.settings import SETTINGS
    fields = w.settings_tab.fields
    assert list(fields) == [s.name for s in SETTINGS]  # the form is made from the one declaration
    fields["clinic_name"].setText("Riverside & Co")
    fields["idle_lock_minutes"].setValue(9)
    fields["minimum_age"].setValue(19)
    fields["witness_line"].setChecked(True)
    w.save_settings()
    saved = store.settings()
    assert saved.clinic_name == "Riverside & Co" and saved.idle_lock_minutes == 9
    assert saved.minimum_age == 19 and saved.witness_line is True
    assert fields["minimum_age"].minimum() == 18  # bounds come from the declaration too
    w.refresh()
    usernames = [w.accounts.item(r, 0).text() for r in range(w.accounts.rowCount())]
    assert usernames == ["admin", "chen", "desk", "okafor"]
    w.accounts.selectRow(usernames.index("desk"))
    w.toggle_account()
    assert store.authenticate("desk", PASSWORD) is None
    w.verify_audit()
    assert w.audit_state.text().startswith("Intact")


def test_records_search_and_amend(qtbot, store):
    chen, wizard = finish_do_not_treat(qtbot, store)
    chen.search_name.setText("angst")
    chen.run_search()
    assert chen.results.rowCount() == 1
    chen.results.selectRow(0)
    dialog = chen.open_sheet()
    assert dialog.findChild(type(wizard.pages[Step.SHEET].preview)).document.pageCount() >= 1
    amendment = chen.amend_selected()
    assert amendment.session.amends is not None
    amendment.session.save()
    chen.run_search()
    assert chen.results.rowCount() == 2


def test_closing_a_screening_keeps_it_and_frees_it_for_other_clinicians(qtbot, store):
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard, cancer_history="yes")
    for _ in range(3):
        wizard.next()
    assert wizard.currentId() == Step.REVIEW
    sid = wizard.session.sid
    wizard.reject()
    row = store.draft(sid)
    assert row.status == "handed_over" and row.claimed_by is None and row.draft["name"] == "Zoë Ångström"
    okafor = window(qtbot, store, "okafor")
    assert okafor.review(sid).currentId() == Step.REVIEW


def test_a_second_running_copy_is_told_and_lets_go(private_home):
    import subprocess
    import sys
    import textwrap
    code = textwrap.dedent("""
        import sys, time
        from PySide6.QtCore import QCoreApplication
        app = QCoreApplication([])
        from screening_app.ui.main_window import acquire_instance_lock
        lock = acquire_instance_lock()
        print("got" if lock else "refused", flush=True)
        if lock and sys.argv[1] == "hold":
            time.sleep(30)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code, "hold"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "got"
    second = subprocess.run([sys.executable, "-c", code, "try"], capture_output=True, text=True, timeout=30)
    assert second.stdout.strip() == "refused"
    holder.kill()
    holder.wait()
    # A copy that died is not a running copy: its lock is taken over.
    third = subprocess.run([sys.executable, "-c", code, "try"], capture_output=True, text=True, timeout=30)
    assert third.stdout.strip() == "got"


def test_every_input_of_every_window_and_dialog_has_an_accessible_name(qtbot, store):
    from PySide6.QtWidgets import QAbstractButton, QCheckBox, QComboBox, QLineEdit, QSpinBox, QTableWidget

    from screening_app.ui.main_window import LockDialog, LockWarning, SignInDialog
    admin, chen = window(qtbot, store, "admin"), window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard, cancer_history="yes")
    pages = []
    for _ in range(3):
        wizard.next()
        pages.append(wizard.currentPage())
    widgets = [admin, chen, wizard, *wizard.pages.values(), SignInDialog(store, first_admin=False),
               SignInDialog(store, first_admin=True), LockDialog(store, chen.staff), LockWarning(chen.idle)]
    missing = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r} in {type(top).__name__}" for top in widgets
               for kind in (QLineEdit, QComboBox, QSpinBox, QTableWidget, QCheckBox) for w in top.findChildren(kind)
               if not w.accessibleName().strip() and not isinstance(w.parent(), (QComboBox, QSpinBox))]
    assert missing == []
    # Buttons are named by their text; one with neither text nor name is invisible to a screen reader.
    blank = [type(top).__name__ for top in widgets for b in top.findChildren(QAbstractButton)
             if not b.text().replace("&", "").strip() and not b.accessibleName().strip() and b.isVisibleTo(top)]
    assert blank == []


def test_queue_refreshes_by_itself_when_the_front_desk_hands_over(qtbot, store, monkeypatch):
    chen = window(qtbot, store, "chen")
    chen.queue_timer.setInterval(50)
    assert chen.queue.rowCount() == 0
    desk = store.authenticate("desk", PASSWORD)
    row = store.new_draft(desk, Draft(name="Ann Lee", date_of_birth="1980-01-01").to_json())
    store.hand_over(desk, row.id, row.row_version)  # as another workstation would
    qtbot.waitUntil(lambda: chen.queue.rowCount() == 1, timeout=3000)
    assert chen.queue.item(0, 0).text() == "Ann Lee"


def test_idle_time_locks_by_itself_and_use_keeps_it_open(qtbot, store):
    w = window(qtbot, store, "desk")
    w.idle.timer.setInterval(300)
    w.idle.timer.start()
    qtbot.wait(150)
    from PySide6.QtCore import Qt
    qtbot.keyClick(w, Qt.Key.Key_Shift)  # any use restarts the clock
    qtbot.wait(200)
    assert w.isVisible()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=2000)
    assert w.lock_dialog.isVisible()


def test_records_export_fhir_writes_the_same_bundle_as_the_command(qtbot, store, tmp_path):
    import json

    from screening_app.records.export import export_screening
    chen, _ = finish_do_not_treat(qtbot, store)
    chen.run_search()
    chen.results.selectRow(0)
    target = tmp_path / "export.json"
    chen.dialogs.ask_file = lambda *args: str(target)
    chen.export_fhir()
    (row,) = store.search(include_unfinished=False)
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert bundle == export_screening(store, row["id"])
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "DocumentReference" in kinds and "Consent" not in kinds  # do not treat: nothing signable


def test_the_admin_sets_the_patient_id_system_in_the_settings_form(qtbot, store):
    w = window(qtbot, store, "admin")
    field = w.settings_tab.fields["patient_id_system"]
    assert field.text() == "urn:exosome-screening:local:patient-id"
    field.setText("urn:oid:1.2.3.4")
    w.save_settings()
    assert store.settings().patient_id_system == "urn:oid:1.2.3.4"
    field.setText("our numbers")
    w.save_settings()
    assert store.settings().patient_id_system == "urn:oid:1.2.3.4"  # refused, named, nothing saved
    assert any("patient IDs" in t and "must be a URI" in t for t in w.dialogs.told)


# --- one owner for a screening's life, through the windows ---------------------------------------

def hand_over_from_desk(qtbot, store, **answers) -> str:
    desk = window(qtbot, store, "desk")
    wizard = desk.new_screening()
    fill_front_desk(wizard, **answers)
    wizard.next()
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    return wizard.session.sid


def test_every_clinician_page_shows_who_the_patient_is_and_the_signed_in_reviewer(qtbot, store):
    sid = hand_over_from_desk(qtbot, store, cancer_history="yes")
    chen = window(qtbot, store, "chen")
    review = chen.review(sid)
    page = review.currentPage()
    banner = page.banner_widget.text()
    assert page.banner_widget.isVisible()
    assert "Zoë Ångström" in banner and "1980-04-02" in banner and "age " in banner
    assert "On the skin" in banner and review.draft.treatment_date in banner
    assert "Dr. Maya Chen" in page.clinician.text() and "signed in" in page.clinician.text()
    assert not page.answers.isVisible()
    page.answers_button.click()
    assert page.answers.isVisible() and "Yes" in page.answers.text()


def test_opening_a_screening_twice_brings_its_window_forward(qtbot, store):
    sid = hand_over_from_desk(qtbot, store)
    chen = window(qtbot, store, "chen")
    first = chen.review(sid)
    chen.refresh()
    assert chen.review(sid) is first and chen.resume(sid) is first
    assert len(chen.windows) == 1 and not chen.dialogs.told


def test_withdraw_and_free_from_the_queue_ask_a_reason(qtbot, store, monkeypatch):
    waiting = hand_over_from_desk(qtbot, store)
    held = hand_over_from_desk(qtbot, store)
    window(qtbot, store, "okafor").review(held)
    admin = window(qtbot, store, "admin")
    reasons = iter(["Duplicate of another screening", "Dr. Okafor went home"])
    monkeypatch.setattr(admin.dialogs, "ask_reason", lambda *a: next(reasons), raising=False)
    admin.refresh()
    row = next(i for i in range(admin.queue.rowCount()) if admin.queue.item(i, 0).data(256) == waiting)
    admin.queue.selectRow(row)
    assert admin.withdraw_selected()
    assert waiting not in [r.id for r in store.queue()]
    row = next(i for i in range(admin.queue.rowCount()) if admin.queue.item(i, 0).data(256) == held)
    admin.queue.selectRow(row)
    assert not admin.release_selected()  # held for less than the clinic's time
    assert "less than 30 minutes" in admin.dialogs.told[-1]


def test_rescreening_a_refused_patient_in_the_app_reaches_no_consent_without_a_reason(qtbot, store):
    finish_do_not_treat(qtbot, store)
    desk = window(qtbot, store, "desk")
    wizard = desk.new_screening()
    fill_front_desk(wizard)  # every answer "no" this time
    qtbot.waitUntil(lambda: wizard.pages[Step.PATIENT].seen.isVisibleTo(wizard.pages[Step.PATIENT]), timeout=3000)
    assert "ended without treatment" in wizard.pages[Step.PATIENT].seen.text()
    wizard.next()
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()
    chen = window(qtbot, store, "chen")
    review = chen.review(wizard.session.sid)
    page = review.currentPage()
    assert "seen_before" in page.decision_groups
    assert "Seen before" in page.banner_widget.text()
    assert not review.button(QWizard.WizardButton.NextButton).isEnabled()


def test_a_patient_who_declines_is_recorded_with_the_sheet_they_read(qtbot, store, monkeypatch):
    chen = window(qtbot, store, "chen")
    wizard = chen.new_screening()
    fill_front_desk(wizard)
    for _ in range(4):
        wizard.next()
    wizard.draft.product = dict(GOOD_PRODUCT)
    wizard.currentPage().initializePage()
    wizard.draft_changed.emit()
    wizard.next()
    page = wizard.currentPage()
    assert page.decline.isVisible()
    monkeypatch.setattr(chen.dialogs, "ask_reason", lambda *a: "Wants to think about it", raising=False)
    page.decline.click()
    assert page.kind.value == "declined" and not page.decline.isVisible()
    done = wizard.button(QWizard.WizardButton.FinishButton)
    assert done.isEnabled()  # nothing to sign, so nothing to print first
    done.click()
    record = store.record(wizard.session.sid)
    assert record.sheet_kind == "declined"
    assert record.screening_file["declined"]["recorded_by"] == "Dr. Maya Chen"
    assert record.screening_file["declined"]["note"] == "Wants to think about it"
    assert record.lot == "EV-2291"  # what was read, lot included


def test_a_draft_left_open_overnight_asks_for_the_new_treatment_date(qtbot, store):
    import datetime as dt
    desk = window(qtbot, store, "desk")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    d = Draft(name="Ann Lee", date_of_birth="1980-04-02", route="topical", treatment_date=yesterday)
    row = store.new_draft(desk.staff, d.to_json())
    wizard = desk.resume(row.id)
    assert wizard.currentId() == Step.TREATMENT
    assert any("has passed" in text for text in desk.dialogs.told)
    assert "in the past" in wizard.currentPage().status.text() or not wizard.currentPage().isComplete()


def test_after_an_offline_unlock_signing_asks_for_the_password_again(qtbot, store, tmp_path):
    """The idle lock closes the signing key; an unlock made while the records were out of reach
    cannot reopen it (the key is sealed in the records), so finishing asks for the password."""
    chen = window(qtbot, store, "chen")
    asked = []

    def answer(parent, title, label):
        asked.append(label)
        return answers.pop(0)
    answers = ["not my password", PASSWORD]
    chen.dialogs.ask_password = answer
    wizard = chen.new_screening()
    fill_front_desk(wizard, active_malignancy="yes")
    for _ in range(4):
        wizard.next()
    assert wizard.currentId() == Step.SHEET
    store.forget_signing_key(wizard.case.staff)  # as after the lock, unlocked offline
    done = wizard.button(QWizard.WizardButton.FinishButton)
    done.click()  # the wrong password: nothing is signed
    assert len(asked) == 1 and "type your password to sign" in asked[0]
    assert store.search(include_unfinished=False) == [] and "not your password" in chen.dialogs.told[-1]
    done.click()  # the right one reopens the key and signs
    (row,) = store.search(include_unfinished=False)
    assert store.signature(row["id"]).signer == "chen" and len(asked) == 2
    actions = [e["action"] for e in store.audit_entries(store.authenticate("admin", PASSWORD))]
    assert "unlock_failed" in actions and "unlocked" in actions
