"""The wizard window that holds the pages: it owns nothing but the Qt window. The case (draft,
flow, person, settings) comes from the session, or is made here for a preview or a test."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

from ...casework import Case, Draft, Flow, Step
from ...markup import escape
from ...records.accounts import Staff
from ...records.settings import ClinicSettings
from ...screening.model import Outcome, Procedure, Route
from ...wording import say
from ..dialogs import Dialogs
from ..geometry import fit_to_screen
from .intake import PatientPage, TreatmentPage
from .page import Page, age_on, severity_colour
from .product import ProductPage
from .questions import QuestionsPage
from .review import ReviewPage
from .sheet import SheetPage

if TYPE_CHECKING:
    from ..session import ScreeningSession

PREVIEW_STAFF = Staff(0, "preview", "", "clinician")
PAGES: tuple[type[Page], ...] = (PatientPage, TreatmentPage, QuestionsPage, ReviewPage, ProductPage, SheetPage)


class ScreeningWizard(QWizard):
    draft_changed = Signal()

    def __init__(self, draft: Draft | None = None, *, flow: Flow | None = None,
                 settings: ClinicSettings | None = None, dialogs: Dialogs | None = None,
                 session: ScreeningSession | None = None, hands_over: bool | None = None, start: Step = Step.PATIENT,
                 staff: Staff | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        # The case owns the draft, the flow and the person; the pages only show and edit.
        if session is not None:
            self.case = session.case
        else:  # nothing is stored (tests, previews): a clinician who signs nothing
            self.case = Case(None, staff or PREVIEW_STAFF, draft=draft or Draft(), flow=flow,
                             settings=settings or ClinicSettings())
            if hands_over is not None:
                self.case.flow.hands_over = hands_over
        self.draft, self.flow, self.settings = self.case.draft, self.case.flow, self.case.settings
        self.dialogs = dialogs or Dialogs()
        self.session = session
        # The front desk hands over after the questions; a clinician goes on to the review.
        self.hands_over = self.flow.hands_over
        self.setWindowTitle(say("wizard.window.title"))
        # Modern everywhere: the Aero style on Windows ignores the palette (dark mode).
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setButtonText(QWizard.WizardButton.FinishButton, say("wizard.window.done"))
        self.pages: dict[Step, Page] = {}
        for page_class in PAGES:
            page = page_class(self)
            self.setPage(int(page.step), page)
            self.pages[page.step] = page
        self.setStartId(int(start))
        self.currentIdChanged.connect(self._entered)
        if self.hands_over:
            self.pages[Step.QUESTIONS].setButtonText(QWizard.WizardButton.FinishButton,
                                                     say("wizard.window.hand_over"))
        if session is not None:
            session.attach(self)
            session.status.connect(self._show_save_state)
            session.history_changed.connect(self._history_changed)
        fit_to_screen(self, 900, 720)

    def _history_changed(self) -> None:
        page = self.currentPage()
        if isinstance(page, Page):
            page.refresh_messages()
            page.completeChanged.emit()

    def stamp_review(self) -> None:
        self.case.stamp_review()
        self.draft_changed.emit()

    def history_note(self) -> str:
        """For the front desk: this patient has been screened here before."""
        history = self.case.history
        if not history:
            return ""
        latest = history[0]
        outcome = Outcome(latest.outcome).label.lower() if latest.outcome else say("wizard.history.not_finished")
        stopped = sum(1 for e in history if e.stops_treatment)
        text = say("wizard.history.note", count=len(history), date=latest.date, outcome=outcome,
                   status=latest.status)
        if stopped:
            text += " " + say("wizard.history.stopped", count=stopped)
        return text

    def patient_banner(self) -> str:
        """Who the patient is, as rich text: name, birth date and age, ID, route, treatment date."""
        d = self.draft
        age = age_on(d.date_of_birth, d.treatment_date)
        route = Route(d.route).label if d.route in {r.value for r in Route} else say("wizard.banner.no_route")
        procedure = d.procedure or Procedure.NONE.value
        if d.route == Route.TOPICAL.value and procedure != Procedure.NONE.value \
                and procedure in {p.value for p in Procedure}:
            route = say("wizard.banner.topical_after", procedure=Procedure(procedure).label)
        born = (say("wizard.banner.born_age", date=d.date_of_birth, age=age) if age is not None
                else say("wizard.banner.born", date=d.date_of_birth))
        parts = [f"<b>{escape(d.name or say('wizard.banner.no_name'))}</b>", escape(born),
                 escape(say("wizard.banner.patient_id", patient_id=d.patient_id) if d.patient_id.strip()
                        else say("wizard.banner.no_patient_id")),
                 escape(route), escape(say("wizard.banner.treatment", date=d.treatment_date))]
        line = " · ".join(parts)
        extra = []
        if self.case.amends:
            extra.append(say("wizard.banner.amends"))
        if any(e.stops_treatment for e in self.case.history):
            extra.append(say("wizard.banner.seen_before_stopped"))
        elif self.case.history:
            extra.append(escape(say("wizard.banner.seen_before", count=len(self.case.history))))
        return line + ("<br/>" + " ".join(extra) if extra else "")

    def _show_save_state(self, message: str, problem: bool) -> None:
        colour = severity_colour(Outcome.DO_NOT_TREAT if problem else Outcome.NO_CONTRAINDICATION_FOUND,
                                 self.palette()).name()
        for page in self.pages.values():
            page.saved.setText(f'<span style="color:{colour}">{escape(message)}</span>')
            page.saved.setWordWrap(problem)

    def _entered(self, page_id: int) -> None:
        if page_id == int(Step.REVIEW):
            self.setWindowTitle(say("wizard.window.title_clinician"))

    def reject(self) -> None:
        # With a session the draft is kept and offered again; without one, closing loses it.
        if (self.session is None and (self.draft.name.strip() or self.draft.answers)
                and not self.dialogs.confirm_discard(self)):
            return
        super().reject()
