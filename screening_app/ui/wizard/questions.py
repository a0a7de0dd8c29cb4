"""The health questions, read to the patient as written: yes / no / don't know for each, why
we ask, and the follow-ups an answer opens. The front desk hands over from here."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...casework import Step
from ...markup import escape
from ...screening.content import FollowUp, Question
from ...screening.localize import localized
from ...screening.model import Answer
from ...wording import say
from ..translations import bilingual
from .page import Page

if TYPE_CHECKING:
    from .shell import ScreeningWizard

ANSWER_KEYS = {Qt.Key.Key_Y: Answer.YES, Qt.Key.Key_N: Answer.NO, Qt.Key.Key_D: Answer.DONT_KNOW}


class AnswerKeys(QObject):
    """Y, N or D on a question's buttons answers it and moves on: quick without a mouse."""

    def __init__(self, page: QuestionsPage):
        super().__init__(page)
        self.page = page

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in ANSWER_KEYS:
            qid = obj.property("question")
            if qid:
                self.page.answer(qid, ANSWER_KEYS[Qt.Key(event.key())], move_on=True)
                return True
        return False


class QuestionsPage(Page):
    step = Step.QUESTIONS

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.setSubTitle(say("wizard.questions.subtitle"))
        self.groups: dict[str, QButtonGroup] = {}
        self.follow_edits: dict[str, list[tuple[FollowUp, QLineEdit, QLabel]]] = {}
        self.boxes: dict[str, QGroupBox] = {}
        self.wording: dict[str, tuple[int, QLabel, QLabel]] = {}  # question id: (number, text, why we ask)
        self.keys = AnswerKeys(self)
        column = QVBoxLayout(self.body)
        for number, q in enumerate(wizard.flow.content.questions, 1):
            column.addWidget(self._question_box(number, q))
        column.addStretch(1)

    def _question_box(self, number: int, q: Question) -> QGroupBox:
        # The question is a wrapped label, not the box's title: a title never wraps, and a long
        # question would push the page sideways on a small or scaled screen.
        box = QGroupBox()
        box.setAccessibleName(say("wizard.questions.question_accessible", number=number, question=q.text))
        outer = QVBoxLayout(box)
        text = QLabel(f"<b>{number}.</b> {escape(q.text)}", box)
        text.setWordWrap(True)
        text.setObjectName("questionText")
        outer.addWidget(text)
        grid = QGridLayout()
        outer.addLayout(grid)
        group = QButtonGroup(box)
        for col, answer in enumerate(Answer):
            button = QRadioButton(answer.label, box)
            button.setAccessibleName(say("wizard.questions.answer_accessible", number=number, answer=answer.label))
            button.setProperty("question", q.id)
            button.setProperty("answer", answer.value)
            button.installEventFilter(self.keys)
            group.addButton(button, col)
            grid.addWidget(button, 0, col)
        group.buttonClicked.connect(lambda b, qid=q.id: self.answer(qid, Answer(b.property("answer"))))
        why = QToolButton(box)
        why.setText(say("wizard.questions.why"))
        why.setCheckable(True)
        why.setAccessibleName(say("wizard.questions.why_accessible", number=number))
        why.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        source = escape(say("wizard.questions.source", source=q.source))
        rationale = QLabel(f"{escape(q.rationale)}<br/><i>{source}</i>", box)
        rationale.setWordWrap(True)
        rationale.setVisible(False)
        why.toggled.connect(rationale.setVisible)
        grid.addWidget(why, 0, 3, alignment=Qt.AlignmentFlag.AlignRight)
        grid.setColumnStretch(3, 1)
        grid.addWidget(rationale, 1, 0, 1, 4)
        row = 2
        entries = []
        for fu in q.follow_ups:
            label = QLabel(escape(fu.prompt), box)
            label.setWordWrap(True)
            edit = QLineEdit(box)
            edit.setMaxLength(2000)
            edit.setAccessibleName(say("wizard.questions.follow_up_accessible", number=number, prompt=fu.prompt))
            label.setBuddy(edit)
            edit.textEdited.connect(lambda text, qid=q.id, fid=fu.id: self._follow_up(qid, fid, text))
            grid.addWidget(label, row, 0, 1, 4)
            grid.addWidget(edit, row + 1, 0, 1, 4)
            row += 2
            entries.append((fu, edit, label))
        self.groups[q.id], self.follow_edits[q.id], self.boxes[q.id] = group, entries, box
        self.wording[q.id] = (number, text, rationale)
        return box

    def _show_language(self) -> None:
        """Each question, "why we ask" and follow-up prompt in the patient's language (the draft's),
        with the English beneath for staff who do not read it."""
        english = self.w.flow.content
        local = localized(english, self.draft.language)
        for q, lq in zip(english.questions, local.questions, strict=True):
            number, text, rationale = self.wording[q.id]
            text.setText(f"<b>{number}.</b> {bilingual(lq.text, q.text)}")
            source = escape(say("wizard.questions.source", source=q.source))
            rationale.setText(f"{bilingual(lq.rationale, q.rationale)}<br/><i>{source}</i>")
            for (fu, _, label), lfu in zip(self.follow_edits[q.id], lq.follow_ups, strict=True):
                label.setText(bilingual(lfu.prompt, fu.prompt))

    def answer(self, qid: str, answer: Answer, move_on: bool = False) -> None:
        self.draft.answers[qid] = answer.value
        for button in self.groups[qid].buttons():
            button.setChecked(button.property("answer") == answer.value)
        self._show_follow_ups(qid)
        self.changed()
        if move_on:
            ids = list(self.groups)
            index = ids.index(qid)
            target: QWidget | None = self.follow_edits[qid][0][1] if self._follow_ups_visible(qid) else None
            if target is None and index + 1 < len(ids):
                target = self.groups[ids[index + 1]].buttons()[0]
            if target is not None:
                target.setFocus(Qt.FocusReason.TabFocusReason)
                self.scroller.ensureWidgetVisible(target)

    def _follow_ups_visible(self, qid: str) -> bool:
        return any(edit.isVisibleTo(self) for _, edit, _ in self.follow_edits[qid])

    def _follow_up(self, qid: str, fid: str, text: str) -> None:
        self.draft.follow_ups.setdefault(qid, {})[fid] = text
        self.changed()

    def _show_follow_ups(self, qid: str) -> None:
        answer = self.draft.answers.get(qid)
        for fu, edit, label in self.follow_edits[qid]:
            wanted = answer is not None and Answer(answer) in fu.when
            edit.setVisible(wanted)
            label.setVisible(wanted)

    def initializePage(self) -> None:
        self._show_language()
        for qid, group in self.groups.items():
            group.setExclusive(False)  # lets "nothing chosen" be shown again after Back
            for button in group.buttons():
                button.setChecked(button.property("answer") == self.draft.answers.get(qid))
            group.setExclusive(True)
            for fu, edit, _ in self.follow_edits[qid]:
                edit.setText(self.draft.follow_ups.get(qid, {}).get(fu.id, ""))
            self._show_follow_ups(qid)
        self.refresh_messages()

    def validatePage(self) -> bool:
        session = self.w.session
        if session is None:
            return True
        problem = session.hand_over() if self.w.hands_over else session.claim_for_review()
        if problem:
            self.w.dialogs.tell(self, say("wizard.questions.cannot_go_on"), problem, error=True)
            return False
        return True

    def refresh_messages(self) -> None:
        unanswered = self.w.flow.unanswered(self.draft)
        if unanswered:
            order = {q: i for i, q in enumerate(self.groups, 1)}
            numbers = ", ".join(str(order[q]) for q in unanswered)
            self.status.setText(say("wizard.questions.unanswered", numbers=numbers))
        else:
            super().refresh_messages()
