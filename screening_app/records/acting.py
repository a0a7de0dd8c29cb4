"""Who is acting: the account as the database has it now, never as the caller's object says."""
from __future__ import annotations

from sqlalchemy import select

from ..wording import say
from . import schema as t
from .accounts import PermissionDenied, Staff


def acting(c, actor: Staff, permission: str | None, what: str) -> Staff:
    """The acting account, read in the caller's transaction, with `permission` required.

    A relabelled copy (`dataclasses.replace(desk, role="clinician")`), an object for an
    account that was switched off after sign-in, or one with another id's name is refused."""
    row = c.execute(select(t.staff.c.id, t.staff.c.username, t.staff.c.display_name, t.staff.c.role,
                           t.staff.c.active).where(t.staff.c.id == getattr(actor, "id", None))).first()
    if row is None or row.username != getattr(actor, "username", None):
        raise PermissionDenied(say("records.acting.sign_not_known_account_sign"))
    staff = Staff(row.id, row.username, row.display_name, row.role, bool(row.active))
    if not staff.active:
        raise PermissionDenied(say("records.acting.display_name_s_account_switched", display_name=staff.display_name))
    if permission is not None:
        staff.require(permission, what)
    return staff
