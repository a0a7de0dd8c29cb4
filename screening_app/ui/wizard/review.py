"""The clinician's consult screen: the outcome, every finding with its reason and source, and a
proceed-or-defer decision for each finding the core says needs one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...casework import Step
from ...markup import escape
from ...screening import ScreeningResult
from ...screening.consent import Decision, needs_review, review_needed
from ...screening.model import Answer, Finding, Outcome
from ...wording import say
from .page import Page, severity_colour

if TYPE_CHECKING:
    from .shell import ScreeningWizard

SEVERITY_ICON = {
    Outcome.DO_NOT_TREAT: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Outcome.CLINICIAN_REVIEW: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Outcome.NO_CONTRAINDICATION_FOUND: QStyle.StandardPixmap.SP_DialogApplyButton,
}


def outcome_explanation(outcome: Outcome) -> str:
    """What the outcome means for the clinician's next step."""
    return {
        Outcome.DO_NOT_TREAT: say("wizard.review.explain_do_not_treat"),
        Outcome.CLINICIAN_REVIEW: say("wizard.review.explain_clinician_review"),
        Outcome.NO_CONTRAINDICATION_FOUND: say("wizard.review.explain_no_contraindication_found"),
    }[outcome]


class ReviewPage(Page):
    """The consult screen: every finding with its reason and source, and the clinician's decisions."""

    step = Step.REVIEW

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.setSubTitle(say("wizard.review.subtitle"))
        self.result: ScreeningResult | None = None
        self.banner = QLabel(self)
        self.banner.setWordWrap(True)
        self.banner.setObjectName("outcomeBanner")
        self.banner_icon = QLabel(self)
        top = QHBoxLayout()
        top.addWidget(self.banner_icon)
        top.addWidget(self.banner, 1)
        # The reviewer is the signed-in clinician; nobody types a name.
        self.clinician = QLabel(self)
        self.clinician.setObjectName("reviewer")
        self.clinician.setWordWrap(True)
        self.answers_button = QToolButton(self)
        self.answers_button.setText(say("wizard.review.show_answers"))
        self.answers_button.setCheckable(True)
        self.answers_button.setAccessibleName(say("wizard.review.show_answers_accessible"))
        self.answers = QLabel(self)
        self.answers.setObjectName("answersGiven")
        self.answers.setWordWrap(True)
        self.answers.setVisible(False)
        self.answers_button.toggled.connect(self.answers.setVisible)
        self.changes = QLabel(self)
        self.changes.setObjectName("amendmentChanges")
        self.changes.setWordWrap(True)
        self.changes.setVisible(False)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self.body)
        layout.addWidget(self.banner_widget)
        layout.addLayout(top)
        layout.addWidget(self.clinician)
        layout.addWidget(self.changes)
        layout.addWidget(self.answers_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.answers)
        layout.addWidget(self.list_widget, 1)
        self.decision_groups: dict[str, QButtonGroup] = {}
        self.reason_edits: dict[str, QLineEdit] = {}

    def initializePage(self) -> None:
        self.result = result = self.w.flow.result(self.draft)
        outcome = result.outcome
        self.banner_icon.setPixmap(self.style().standardIcon(SEVERITY_ICON[outcome]).pixmap(32, 32))
        colour = severity_colour(outcome, self.palette()).name()
        explain = outcome_explanation(outcome)
        self.banner.setText(f'<b style="color:{colour}">{escape(outcome.label.upper())}</b><br/>{escape(explain)}')
        self.banner.setAccessibleName(say("wizard.review.outcome_accessible", outcome=outcome.label,
                                          explanation=explain))
        reviewer = self.w.flow.reviewer
        self.clinician.setText(say("wizard.review.reviewer", name=escape(reviewer)) if reviewer
                               else escape(say("wizard.review.no_reviewer")))
        self.clinician.setVisible(review_needed(result))
        self.answers.setText(self._answers_text())
        self.show_patient()
        if self.w.case.amends:
            changes = self.w.case.changes_from_original()
            items = "".join(f"<li>{escape(what)}: {escape(before)} → <b>{escape(now)}</b></li>"
                            for what, before, now in changes) \
                or f"<li>{escape(say('wizard.review.nothing_changed'))}</li>"
            self.changes.setText(f"{say('wizard.review.amends')}<ul>{items}</ul>")
        self.changes.setVisible(bool(self.w.case.amends))
        self._build_findings(result)
        self.refresh_messages()

    def _answers_text(self) -> str:
        rows = []
        given = {a.value for a in Answer}
        for number, q in enumerate(self.w.flow.content.questions, 1):
            value = self.draft.answers.get(q.id)
            answer = Answer(value).label if value in given else say("wizard.review.not_answered")
            rows.append(f"{number}. {escape(q.text)} <b>{escape(answer)}</b>")
        return "<br/>".join(rows)

    def _build_findings(self, result: ScreeningResult) -> None:
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.decision_groups.clear()
        self.reason_edits.clear()
        if not result.findings:
            self.list_layout.addWidget(QLabel(say("wizard.review.no_findings"), self.list_widget))
        decided = set(needs_review(result))  # the core's rule for which findings need a decision
        for f in result.findings:
            self.list_layout.addWidget(self._finding_box(self.w.flow.title(f.question), f, f.question in decided))
        for advice in result.advice:
            heading = say("wizard.review.advice", topic=advice.topic.replace("_", " "))
            note = QLabel(f"<b>{escape(heading)}</b> {escape(advice.text)}", self.list_widget)
            note.setWordWrap(True)
            self.list_layout.addWidget(note)
        self.list_layout.addStretch(1)

    def _finding_box(self, title: str, finding: Finding, decided: bool) -> QGroupBox:
        colour = severity_colour(finding.outcome, self.palette()).name()
        box = QGroupBox(self.list_widget)
        box.setAccessibleName(say("wizard.review.finding_accessible", outcome=finding.outcome.label, title=title))
        grid = QGridLayout(box)
        icon = QLabel(box)
        icon.setPixmap(self.style().standardIcon(SEVERITY_ICON[finding.outcome]).pixmap(24, 24))
        answer = finding.answer.label if finding.answer else say("wizard.review.not_answered")
        follow = "; ".join(self.draft.follow_ups.get(finding.question, {}).values())
        text = QLabel(
            f'<b style="color:{colour}">{escape(finding.outcome.label)}</b> &nbsp; {escape(title)} '
            + (f"<b>{escape(answer)}</b>" if finding.question in self.w.flow.content.question_ids else "")
            + ("<br/>" + say("wizard.review.patient_details", details=escape(follow)) if follow.strip() else "")
            + "<br/>" + escape(say("wizard.review.why", reason=finding.reason))
            + f"<br/><small>{escape(say('wizard.review.source', source=finding.source))}</small>", box)
        text.setWordWrap(True)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(text, 0, 1, 1, 3)
        grid.setColumnStretch(3, 1)
        if decided:
            self._decision_row(grid, finding.question, title)
        return box

    def _decision_row(self, grid: QGridLayout, qid: str, text: str) -> None:
        group = QButtonGroup(grid.parentWidget())
        saved = self.draft.decisions.get(qid, {})
        choices = ((Decision.PROCEED, say("wizard.review.proceed")), (Decision.DEFER, say("wizard.review.defer")))
        for col, (decision, label) in enumerate(choices):
            button = QRadioButton(label, grid.parentWidget())
            button.setAccessibleName(say("wizard.review.decision_accessible", decision=label, finding=text))
            button.setProperty("decision", decision.value)
            button.setChecked(saved.get("decision") == decision.value)
            group.addButton(button, col)
            grid.addWidget(button, 1, 1 + col)
        reason = QLineEdit(grid.parentWidget())
        reason.setMaxLength(2000)
        reason.setPlaceholderText(say("wizard.review.reason_hint"))
        reason.setAccessibleName(say("wizard.review.reason_accessible", finding=text))
        reason.setText(saved.get("reason", ""))
        grid.addWidget(reason, 2, 1, 1, 3)
        group.buttonClicked.connect(lambda b, q=qid: self._decide(q, decision=b.property("decision")))
        reason.textEdited.connect(lambda t, q=qid: self._decide(q, reason=t))
        self.decision_groups[qid], self.reason_edits[qid] = group, reason

    def _decide(self, qid: str, **change: str) -> None:
        self.draft.decisions.setdefault(qid, {}).update(change)
        self.draft.reviewed_at = ""
        self.changed()

    def validatePage(self) -> bool:
        # Recording the review is what Next does here: the signed-in clinician and the time.
        if self.result is not None and review_needed(self.result):
            self.w.stamp_review()
        return True

    def describe(self, field: str, message: str) -> str:
        if field.startswith("review.decisions."):
            qid = field.split(".")[2]
            return say("wizard.review.finding_problem", finding=self.w.flow.title(qid), message=message)
        return message
