"""Small forms and button rows shared by the windows and tabs: labels that are buddies and
accessible names, tab order in reading order, and refusals shown inside the form."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..records import StoreError
from ..records.accounts import PermissionDenied


def labelled_form(parent, rows: Sequence[tuple[str, QWidget]], accessible_prefix: str = "") -> QFormLayout:
    """A form whose labels are buddies (so Alt+letter jumps to the field) and whose fields
    carry their label as accessible name, for screen readers."""
    form = QFormLayout()
    for label, widget in rows:
        caption = QLabel(label, parent)
        caption.setBuddy(widget)
        widget.setAccessibleName(accessible_prefix + label.replace("&", ""))
        form.addRow(caption, widget)
    # Tab follows the rows as they are read, whatever order the fields were made in: someone
    # typing in field order must never put their name into a hidden password box.
    fields = [w for _, w in rows]
    for first, second in zip(fields, fields[1:], strict=False):
        QWidget.setTabOrder(first, second)
    return form


def run_form(parent, title: str, rows: Sequence[tuple[str, QWidget]], ok_text: str,
             action: Callable[[], object]) -> bool:
    """Shows a small form; OK runs `action`, and a refusal is shown in the form, which stays open."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    error = QLabel(dialog)
    error.setWordWrap(True)
    error.setObjectName("dialogError")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(labelled_form(dialog, rows))
    layout.addWidget(error)
    layout.addWidget(buttons)

    def submit():
        try:
            action()
        except (StoreError, PermissionDenied) as exc:
            error.setText(str(exc))
            return
        dialog.accept()

    buttons.accepted.connect(submit)
    return dialog.exec() == QDialog.DialogCode.Accepted


def password_field(parent) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


def button_row(parent, buttons: Sequence[tuple[str, Callable[[], object]]]) -> QHBoxLayout:
    """Buttons left to right, then space."""
    row = QHBoxLayout()
    for text, slot in buttons:
        button = QPushButton(text, parent)
        button.clicked.connect(slot)
        row.addWidget(button)
    row.addStretch(1)
    return row


def note(text: str, parent) -> QLabel:
    """An explanatory line that wraps, so a tab fits a small or scaled screen."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label
