"""The admin's clinic settings, as a form made from the one table that declares them
(records.settings.SETTINGS: type, default, bounds, label), after Picard's options."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..records import StoreError
from ..records.accounts import PermissionDenied
from ..records.settings import SETTINGS, ClinicSettings
from ..wording import say
from .translations import TranslationRecords


class SettingsTab(QWidget):
    """One field per declared setting; Save checks them all through ClinicSettings.checked."""

    saved = Signal(object)  # the ClinicSettings saved
    refused = Signal(str)   # what was wrong, in the admin's words

    def __init__(self, store, staff, where: str = "", parent=None):
        super().__init__(parent)
        self.store, self.staff = store, staff
        self.fields: dict[str, QWidget] = {}
        form = QFormLayout()
        # Each caption above its field, the full width: long captions (and longer translations)
        # wrap there without being cut, which a caption squeezed beside its field was.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        previous = None
        for setting in SETTINGS:
            field = self._field(setting)
            field.setAccessibleName(setting.label)
            field.setObjectName(f"setting_{setting.name}")
            caption = QLabel(say("settings.required_mark", label=setting.label) if setting.required_to_print
                             else setting.label, self)
            # One line above its field; only a caption too long for any window wraps (a wrapping
            # label picks a narrow width of its own and breaks even short captions).
            caption.setWordWrap(len(caption.text()) > 90)
            caption.setBuddy(field)
            form.addRow(caption, field)
            if previous is not None:
                QWidget.setTabOrder(previous, field)
            previous = field
            self.fields[setting.name] = field
        note = QLabel(say("settings.required_note"), self)
        save = QPushButton(say("settings.save"), self)
        save.clicked.connect(self.save)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(save, 0, Qt.AlignmentFlag.AlignLeft)
        # Each language pack's translation record, and whether its sheets say it awaits review.
        self.translations = TranslationRecords(self.store.settings().translation_reviews, body)
        layout.addWidget(self.translations)
        self.saved.connect(lambda settings: self.translations.refresh(settings.translation_reviews))
        if where:
            place = QLabel(where, body)
            place.setWordWrap(True)
            place.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(place)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        QVBoxLayout(self).addWidget(scroll)
        self.refresh()

    def _field(self, setting) -> QWidget:
        if setting.type is bool:
            return QCheckBox(self)
        if setting.type is int:
            box = QSpinBox(self)
            low, high = setting.bounds or (0, 10 ** 6)
            box.setRange(low, high)
            return box
        if setting.choices:
            combo = QComboBox(self)
            combo.addItems(list(setting.choices))
            return combo
        edit = QLineEdit(self)
        edit.setMaxLength(setting.max_length)
        return edit

    def refresh(self) -> None:
        current = self.store.settings()
        for name, field in self.fields.items():
            value = getattr(current, name)
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            elif isinstance(field, QSpinBox):
                field.setValue(int(value))
            elif isinstance(field, QComboBox):
                field.setCurrentText(str(value))
            elif isinstance(field, QLineEdit):
                field.setText(str(value))

    def values(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name, field in self.fields.items():
            if isinstance(field, QCheckBox):
                out[name] = field.isChecked()
            elif isinstance(field, QSpinBox):
                out[name] = field.value()
            elif isinstance(field, QComboBox):
                out[name] = field.currentText()
            elif isinstance(field, QLineEdit):
                out[name] = field.text()
        return out

    def save(self) -> ClinicSettings | None:
        """The settings saved, or None when refused (and `refused` says why)."""
        settings, problems = ClinicSettings.check(self.values())
        labels = {s.name: s.label for s in SETTINGS}
        if problems:  # each beside its setting's own label, as (field, message) values
            self.refused.emit("\n".join(f"{labels.get(p.field, p.field)}: {p.message}" for p in problems))
            return None
        try:
            self.store.save_settings(self.staff, settings)
        except (StoreError, PermissionDenied) as exc:
            self.refused.emit(str(exc))
            return None
        self.saved.emit(settings)
        return settings
