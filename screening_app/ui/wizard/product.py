"""The product lot page: the vial checked against its Certificate of Analysis."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...casework import Step
from ...markup import escape
from ...screening import InputRefused
from ...screening.model import Outcome, ProductCheck
from ...screening.product import FIELDS_BY_KEY, PRODUCT_FIELDS
from ...wording import say
from .page import Page, error_label, severity_colour, show_error

if TYPE_CHECKING:
    from .shell import ScreeningWizard


def accelerated(label: str, taken: set[str]) -> str:
    """The label with an &-mnemonic on the first letter no other field of the page uses."""
    for i, ch in enumerate(label):
        if ch.isalpha() and ch.lower() not in taken:
            taken.add(ch.lower())
            return label[:i] + "&" + label[i:]
    return label


def mnemonics_in_use(*labels: str) -> set[str]:
    """The letters the wizard's own buttons already claim with their "&"."""
    found = set()
    for label in labels:
        at = label.replace("&&", "").find("&")
        if 0 <= at < len(label) - 1:
            found.add(label.replace("&&", "")[at + 1].lower())
    return found


class ProductPage(Page):
    """The lot page, built from the product check table (screening.product.PRODUCT_FIELDS): the
    same rows intake and verification use, so a field, its check and its message are declared once."""

    step = Step.PRODUCT

    def __init__(self, wizard: ScreeningWizard):
        super().__init__(wizard)
        self.setSubTitle(say("wizard.product.subtitle"))
        settings = wizard.flow.content.product
        form = QFormLayout()
        self.texts: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.rows: dict[str, tuple[QLabel, QWidget]] = {}
        self.checks: dict[str, QCheckBox] = {}
        checks = QGroupBox(say("wizard.product.checks"), self)
        box = QVBoxLayout(checks)
        taken = mnemonics_in_use(wizard.buttonText(wizard.WizardButton.BackButton),
                                 wizard.buttonText(wizard.WizardButton.NextButton))
        for f in PRODUCT_FIELDS:
            if f.setting and not getattr(settings, f.setting):
                continue  # an optional clinic check that is off: nothing to enter
            label = f.label
            if f.type == "yes_no":
                check = QCheckBox(label, checks)
                check.setAccessibleName(label)
                check.setToolTip(f.how)
                check.toggled.connect(lambda on, k=f.key: self._check(k, on))
                box.addWidget(check)
                self.checks[f.key] = check
                continue
            edit = QLineEdit(self)
            edit.setAccessibleName(label)
            edit.setPlaceholderText(say("wizard.product.example", example=f.example) if f.example
                                    else say("wizard.product.optional"))
            edit.setToolTip(f.how)
            edit.setMaxLength(200)
            edit.textEdited.connect(lambda text, k=f.key: self._text(k, text))
            error = error_label(self)
            error.setAccessibleName(say("wizard.page.problem_accessible", field=label))
            cell = QWidget(self)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(edit)
            column.addWidget(error)
            caption = QLabel(accelerated(f.caption, taken), self)
            caption.setBuddy(edit)
            form.addRow(caption, cell)
            self.texts[f.key], self.errors[f.key], self.rows[f.key] = edit, error, (caption, cell)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setObjectName("lotResult")
        layout = QVBoxLayout(self.body)  # the page body scrolls (see Page)
        layout.addWidget(self.banner_widget)
        layout.addLayout(form)
        layout.addWidget(checks)
        layout.addWidget(self.result_label)
        layout.addStretch(1)

    def _text(self, key: str, text: str) -> None:
        value = FIELDS_BY_KEY[key].from_text(text)  # strict: "-8_0" stays text, and is refused
        if value is None:
            self.draft.product.pop(key, None)
        else:
            self.draft.product[key] = value
        self.changed()

    def _check(self, key: str, on: bool) -> None:
        if on:
            self.draft.product[key] = True
        else:
            self.draft.product.pop(key, None)  # unticked: not shown, which never passes
        self._show_freeze_dried()
        self.changed()

    def _show_freeze_dried(self) -> None:
        # The maker's storage limit is asked for a freeze-dried product only.
        row = self.rows.get("maker_max_storage_c")
        if row is not None:
            for widget in row:
                widget.setVisible(self.draft.product.get("lyophilised") is True)

    def initializePage(self) -> None:
        self.show_patient()
        product = self.draft.product
        for key, edit in self.texts.items():
            edit.setText(FIELDS_BY_KEY[key].to_text(product.get(key)))
        for key, check in self.checks.items():
            check.blockSignals(True)
            check.setChecked(product.get(key) is True)
            check.blockSignals(False)
        self._show_freeze_dried()
        self.refresh_messages()

    def describe(self, field: str, message: str) -> str:
        key = field.partition(".")[2]
        if key in FIELDS_BY_KEY:
            return FIELDS_BY_KEY[key].staff_message()
        return say("wizard.product.must_be_verified")

    def refresh_messages(self) -> None:
        problems = self.problems()
        # The fields whose value cannot be, from the flow (the product table decides), not by
        # taking "product.<key>" problem names apart.
        malformed = {f.key: f for f in self.w.flow.malformed_lot_fields(self.draft)}
        for key, error in self.errors.items():
            show_error(error, malformed[key].staff_message() if key in malformed else None)
        checked: ProductCheck | None = None
        if not malformed:
            try:
                checked = self.w.flow.result(self.draft, with_product=True).product
            except InputRefused:
                checked = None
        if checked is not None and checked.verified:
            colour = severity_colour(Outcome.NO_CONTRAINDICATION_FOUND, self.palette()).name()
            self.result_label.setText(f'<b style="color:{colour}">{escape(say("wizard.product.verified"))}</b>')
            self.status.setText("")
            return
        colour = severity_colour(Outcome.DO_NOT_TREAT, self.palette()).name()
        if malformed:
            lines = [f.staff_message() for f in malformed.values()]
        else:
            lines = list(checked.problems) if checked is not None else []
        items = "".join(f"<li>{escape(p)}</li>" for p in lines)
        self.result_label.setText(f'<b style="color:{colour}">{escape(say("wizard.product.not_verified"))}</b>'
                                  f"<ul>{items}</ul>")
        if problems:
            self.status.setText(say("wizard.page.to_continue", problem=self.describe(*next(iter(problems.items())))))
        else:
            self.status.setText("")
