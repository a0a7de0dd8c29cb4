"""The clinic's settings as the store keeps them: one row, checked before it is written."""
from __future__ import annotations

import json

from sqlalchemy import insert, select, update

from ..wording import say
from . import StoreError
from . import schema as t
from .accounts import Staff
from .acting import acting
from .audit import append, canonical
from .database import Database
from .settings import ClinicSettings


def read_settings(c) -> ClinicSettings:
    raw = c.execute(select(t.settings.c.value).where(t.settings.c.key == "clinic")).scalar()
    return ClinicSettings.from_json(json.loads(raw)) if raw else ClinicSettings()


class Clinic:
    def __init__(self, db: Database):
        self.db = db

    def settings(self) -> ClinicSettings:
        with self.db.read() as c:
            return read_settings(c)

    def save_settings(self, actor: Staff, settings: ClinicSettings) -> None:
        checked, problems = ClinicSettings.checked(settings.to_json())
        if problems:
            raise StoreError("refused", "; ".join(problems))
        value = canonical(checked.to_json())
        with self.db.write() as c:
            actor = acting(c, actor, "manage_settings", say("records.clinic.change_clinic_settings"))
            if c.execute(update(t.settings).where(t.settings.c.key == "clinic").values(value=value)).rowcount == 0:
                c.execute(insert(t.settings).values(key="clinic", value=value))
            append(c, actor.username, "settings_changed", None, settings.to_json())
