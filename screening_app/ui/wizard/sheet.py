"""The patient sheet page: the real PDF previewed, printed or saved, and the screening finished.

A signable sheet (a consent) is signed on paper, so it must have been printed or saved, or the
clinician must say why not, before the screening can be finished."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout

from ...casework import Step
from ...records import StoreError
from ...records.accounts import PermissionDenied
from ...screening.consent import SheetKind
from ...wording import say
from .page import Page

if TYPE_CHECKING:
    from ..sheet_view import SheetPreview
    from .shell import ScreeningWizard


def sheet_subtitle(kind: SheetKind | None) -> str:
    """What the sheet of this kind is for, and whether there is anything to sign."""
    subtitles: dict[SheetKind | None, str] = {
        SheetKind.CONSENT: say("wizard.sheet.consent"),
        SheetKind.DO_NOT_TREAT: say("wizard.sheet.do_not_treat"),
        SheetKind.DEFERRED: say("wizard.sheet.deferred"),
        SheetKind.AWAITING_REVIEW: say("wizard.sheet.awaiting_review"),
        SheetKind.LOT_NOT_CHECKED: say("wizard.sheet.lot_not_checked"),
        SheetKind.LOT_NOT_VERIFIED: say("wizard.sheet.lot_not_verified"),
        SheetKind.DECLINED: say("wizard.sheet.declined"),
    }
    return subtitles.get(kind) or say("wizard.sheet.other")


def not_recorded(event: str, problem: str) -> str:
    """Why the fact that the sheet was printed, saved or not printed is missing from the records."""
    return {
        "printed": say("wizard.sheet.printing_not_recorded", problem=problem),
        "saved": say("wizard.sheet.saving_not_recorded", problem=problem),
    }.get(event) or say("wizard.sheet.not_printing_not_recorded", problem=problem)


class SheetPage(Page):
    step = Step.SHEET
    scrolls = False  # the preview scrolls its pages itself

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.preview: SheetPreview | None = None  # made on first use: QtPdf and reportlab stay out of start-up
        self.kind: SheetKind | None = None
        self.clinic_missing = False
        self.not_printed = QPushButton(say("wizard.sheet.not_printed"), self)
        self.not_printed.setAccessibleName(say("wizard.sheet.not_printed_accessible"))
        self.not_printed.clicked.connect(self._not_printed)
        self.decline = QPushButton(say("wizard.sheet.declined_button"), self)
        self.decline.setAccessibleName(say("wizard.sheet.declined_accessible"))
        self.decline.clicked.connect(self._declined)
        self.page_layout = QVBoxLayout(self.body)
        self.page_layout.setContentsMargins(0, 0, 0, 0)
        self.page_layout.addWidget(self.banner_widget)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.decline)
        buttons.addWidget(self.not_printed)
        self.page_layout.addLayout(buttons)

    def _made_preview(self) -> SheetPreview:
        from ..sheet_view import SheetPreview
        if self.preview is None:
            self.preview = SheetPreview(self.w.dialogs, self)
            self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self.page_layout.insertWidget(1, self.preview, 1)
            self.preview.printed.connect(
                lambda pages: self._paper("printed", say("wizard.sheet.printed_pages", pages=pages)))
            self.preview.saved.connect(lambda _path: self._paper("saved", say("wizard.sheet.saved_as_pdf")))
        return self.preview

    def initializePage(self) -> None:
        preview = self._made_preview()
        self.show_patient()
        draft = self.draft
        self.w.case.refresh()  # the patient's records and the clinic's settings as they are now
        made = self.w.case.sheet()
        self.kind = made.kind
        self.setSubTitle(sheet_subtitle(self.kind))
        stem = "".join(ch if ch.isalnum() else "-" for ch in draft.name.strip())[:40].strip("-") \
            or say("wizard.sheet.file_name")
        preview.set_pdf(made.pdf, f"{stem}-{made.kind.value}-{draft.treatment_date}")
        # A patient's sheet must say whom to call: nothing is printed before the admin sets it.
        from ...sheets import clinic_from
        self.clinic_missing = not clinic_from(self.w.settings).can_print
        for button in preview.findChildren(QAbstractButton):
            button.setEnabled(not self.clinic_missing)
        self.refresh_messages()

    def _paper(self, event: str, detail: str = "") -> None:
        try:
            self.w.case.record_paper(event, detail, sheet=self._made_preview().data)
        except (StoreError, PermissionDenied) as exc:
            self.w.dialogs.tell(self, say("wizard.sheet.not_recorded"), not_recorded(event, str(exc)), error=True)
            return
        self.refresh_messages()
        self.completeChanged.emit()

    def _not_printed(self) -> None:
        reason = self.w.dialogs.ask_reason(self, say("wizard.sheet.not_printed_title"),
                                           say("wizard.sheet.not_printed_question"))
        if reason:
            self._paper("not_printed", reason)

    def _declined(self) -> None:
        note = self.w.dialogs.ask_reason(self, say("wizard.sheet.declined_title"),
                                         say("wizard.sheet.declined_question"))
        if note is None:
            return
        self.w.case.decline(note)
        self.w.draft_changed.emit()
        self.initializePage()
        self.completeChanged.emit()

    def needs_paper(self) -> bool:
        # A signable sheet is signed on paper: this very sheet must have been printed or saved
        # (or why not said); a sheet changed since the printing needs printing again.
        return (self.kind is not None and self.kind.signable and self.preview is not None
                and not self.w.case.paper_done_for(self.preview.data))

    def isComplete(self) -> bool:
        return not self.needs_paper() and not self.clinic_missing

    def refresh_messages(self) -> None:
        self.not_printed.setVisible(self.needs_paper())
        # Only a consent can be declined: the patient read it and said no.
        self.decline.setVisible(self.kind is not None and self.kind.signable and self.w.session is not None)
        if self.clinic_missing:
            self.status.setText(say("wizard.sheet.clinic_missing"))
        else:
            self.status.setText(say("wizard.sheet.to_finish") if self.needs_paper() else "")

    def validatePage(self) -> bool:
        session = self.w.session
        if session is None:
            return True
        shown = self._made_preview().data
        if not self._signing_open():
            return False
        problem = session.finish(shown)
        if problem:
            self.initializePage()  # made again from the records and settings as they are now
            if self._made_preview().data != shown:
                problem += " " + say("wizard.sheet.made_again")
            self.w.dialogs.tell(self, say("wizard.sheet.not_finished"),
                                say("wizard.sheet.not_finished_problem", problem=problem), error=True)
            self.completeChanged.emit()
            return False
        return True

    def _signing_open(self) -> bool:
        """The clinician signs with their own key, opened by their password. After an unlock
        made while the records were out of reach it is still closed: ask for the password now."""
        case = self.w.case
        try:
            if case.can_sign():
                return True
            password = self.w.dialogs.ask_password(self, say("wizard.sheet.sign_title"),
                                                   say("wizard.sheet.sign_password", name=case.staff.display_name))
            if password is None:
                return False
            if case.open_signing(password):
                return True
        except StoreError as exc:
            self.w.dialogs.tell(self, say("wizard.sheet.not_finished"),
                                say("wizard.sheet.not_finished_problem", problem=exc), error=True)
            return False
        self.w.dialogs.tell(self, say("wizard.sheet.not_finished"), say("wizard.sheet.sign_wrong"), error=True)
        return False
