"""The front desk's first two pages: who is being screened, and the planned treatment."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
)

from ...casework import Step
from ...markup import escape
from ...screening.model import Outcome, Procedure, Route
from ...wording import say
from ..translations import LanguageChooser
from .page import Page, TextFields, error_label, severity_colour, show_error

if TYPE_CHECKING:
    from .shell import ScreeningWizard


class PatientPage(Page):
    step = Step.PATIENT

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.setSubTitle(say("wizard.patient.subtitle"))
        form = QFormLayout()
        self.fields = TextFields(self, form)
        self.name = self.fields.add("name", "patient.name", say("wizard.patient.name"),
                                    say("wizard.patient.name_accessible"), say("wizard.patient.name_hint"),
                                    max_length=400)
        self.dob = self.fields.add("date_of_birth", "patient.date_of_birth", say("wizard.patient.date_of_birth"),
                                   say("wizard.patient.date_of_birth_accessible"),
                                   say("wizard.patient.date_of_birth_hint"), max_length=10)
        self.pid = self.fields.add("patient_id", "patient.patient_id", say("wizard.patient.patient_id"),
                                   say("wizard.patient.patient_id_accessible"), say("wizard.patient.patient_id_hint"))
        self.contact = self.fields.add("contact", "patient.contact", say("wizard.patient.contact"),
                                       say("wizard.patient.contact_accessible"), say("wizard.patient.contact_hint"))
        self.representative = self.fields.add(
            "representative_name", "representative.name", say("wizard.patient.representative"),
            say("wizard.patient.representative_accessible"), say("wizard.patient.representative_hint"))
        self.relationship = self.fields.add(
            "representative_relationship", "representative.relationship", say("wizard.patient.relationship"),
            say("wizard.patient.relationship_accessible"), say("wizard.patient.relationship_hint"))
        # The patient's preferred language: the questions are read in it and their sheet printed in it.
        self.language = LanguageChooser(self)
        language_caption = QLabel(say("languages.chooser_caption"), self)
        language_caption.setBuddy(self.language)
        form.addRow(language_caption, self.language)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.seen = QLabel(self)
        self.seen.setObjectName("seenBefore")
        self.seen.setWordWrap(True)
        self.seen.setVisible(False)
        layout = QVBoxLayout(self.body)
        layout.addLayout(form)
        layout.addWidget(self.seen)
        layout.addStretch(1)

    def initializePage(self) -> None:
        self.fields.load()
        self.language.blockSignals(True)
        self.language.set_language(self.draft.language)
        self.language.blockSignals(False)
        self.refresh_messages()

    def _language_chosen(self, _index: int) -> None:
        self.draft.language = self.language.language()
        self.changed()

    def refresh_messages(self) -> None:
        super().refresh_messages()
        self.fields.show(self.problems())
        note = self.w.history_note()
        if note:
            colour = severity_colour(Outcome.CLINICIAN_REVIEW, self.palette()).name()
            self.seen.setText(f'<b style="color:{colour}">{escape(say("wizard.patient.seen_before"))}</b> '
                              f'{escape(note)}')
            self.seen.setAccessibleName(say("wizard.patient.seen_before_accessible", note=note))
        self.seen.setVisible(bool(note))


class TreatmentPage(Page):
    step = Step.TREATMENT

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.setSubTitle(say("wizard.treatment.subtitle"))
        self.routes = QButtonGroup(self)
        route_box = QGroupBox(say("wizard.treatment.route"), self)
        route_box.setAccessibleName(say("wizard.treatment.route_accessible"))
        box = QVBoxLayout(route_box)
        for i, route in enumerate(Route):
            button = QRadioButton(route.label, route_box)
            button.setAccessibleName(say("wizard.treatment.route_option_accessible", route=route.label))
            button.setProperty("route", route.value)
            self.routes.addButton(button, i)
            box.addWidget(button)
        self.routes.buttonClicked.connect(self._route_chosen)
        # Microneedling and laser break the skin before a topical product: the rules ask about
        # bleeding for them as for a needle. Only the topical route has a procedure.
        self.procedures = QButtonGroup(self)
        self.procedure_box = QGroupBox(say("wizard.treatment.procedure"), self)
        self.procedure_box.setAccessibleName(say("wizard.treatment.procedure_accessible"))
        row = QHBoxLayout(self.procedure_box)
        for i, procedure in enumerate(Procedure):
            button = QRadioButton(procedure.label, self.procedure_box)
            button.setAccessibleName(say("wizard.treatment.procedure_option_accessible", procedure=procedure.label))
            button.setProperty("procedure", procedure.value)
            self.procedures.addButton(button, i)
            row.addWidget(button)
        row.addStretch(1)
        self.procedures.buttonClicked.connect(self._procedure_chosen)
        self.procedure_error = error_label(self)
        self.procedure_error.setAccessibleName(say("wizard.page.problem_accessible",
                                                   field=say("wizard.field.procedure")))
        form = QFormLayout()
        self.fields = TextFields(self, form)
        self.area = self.fields.add("area", "treatment.area", say("wizard.treatment.area"),
                                    say("wizard.treatment.area_accessible"), say("wizard.treatment.area_hint"))
        self.date = self.fields.add("treatment_date", "treatment.date", say("wizard.treatment.date"),
                                    say("wizard.treatment.date_accessible"), say("wizard.treatment.date_hint"),
                                    max_length=10)
        self.route_error = error_label(self)
        layout = QVBoxLayout(self.body)
        layout.addWidget(route_box)
        layout.addWidget(self.route_error)
        layout.addWidget(self.procedure_box)
        layout.addWidget(self.procedure_error)
        layout.addLayout(form)
        layout.addStretch(1)

    def _route_chosen(self, button: QAbstractButton) -> None:
        self.draft.route = button.property("route")
        if Procedure(self.draft.procedure or "none") not in Procedure.allowed_for(Route(self.draft.route)):
            self.draft.procedure = Procedure.NONE.value  # an injection or IV has no skin procedure
        self._show_procedure()
        self.changed()

    def _procedure_chosen(self, button: QAbstractButton) -> None:
        self.draft.procedure = button.property("procedure")
        self.changed()

    def _show_procedure(self) -> None:
        topical = self.draft.route == Route.TOPICAL.value
        self.procedure_box.setEnabled(topical)
        wanted = self.draft.procedure or Procedure.NONE.value
        for button in self.procedures.buttons():
            button.setChecked(button.property("procedure") == wanted)

    def initializePage(self) -> None:
        self.fields.load()
        for button in self.routes.buttons():
            button.setChecked(button.property("route") == self.draft.route)
        self._show_procedure()
        if "treatment.date" in self.problems():
            # A draft resumed on a later day: say at once that the planned date has passed.
            self.fields.touched.add("treatment.date")
        self.refresh_messages()

    def refresh_messages(self) -> None:
        super().refresh_messages()
        problems = self.problems()
        self.fields.show(problems)
        show_error(self.procedure_error, problems.get("treatment.procedure"))
