"""Repeated wrong passwords: a growing delay, then a temporary lock an admin can lift.

Per (normalised) name typed, known or not, so the answer and its timing never tell whether
an account exists. After DELAY_AFTER failures in a row each further attempt waits longer
(0.5 s, 1 s, 2 s … up to MAX_DELAY_S); after LOCK_AFTER failures the name is locked for
LOCK_MINUTES, and each failure after a lock locks it again. A successful sign-in clears the
count. Every failure, lock and unlock is in the audit trail; this table is only the counter.
"""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import delete, insert, select, update

from ..wording import say
from . import StoreError
from . import schema as t

DELAY_AFTER = 3
LOCK_AFTER = 5
LOCK_MINUTES = 15
MAX_DELAY_S = 8.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SignInGuard:
    def __init__(self, sleep=time.sleep, clock=_now):
        self.sleep, self.clock = sleep, clock

    def before(self, c, name: str) -> None:
        """Waits as the failures so far ask; refuses a locked name."""
        row = c.execute(select(t.signin_state).where(t.signin_state.c.username == name)).mappings().first()
        if row is None:
            return
        if row["locked_until"] and dt.datetime.fromisoformat(row["locked_until"]) > self.clock():
            minutes = max(1, round((dt.datetime.fromisoformat(row["locked_until"]) - self.clock())
                                   .total_seconds() / 60))
            raise StoreError("locked", say("records.signin.locked", minutes=minutes))
        if row["failures"] >= DELAY_AFTER:
            self.sleep(min(0.5 * 2 ** (row["failures"] - DELAY_AFTER), MAX_DELAY_S))

    def failed(self, c, name: str) -> bool:
        """Counts a failure; True when it locks the name."""
        row = c.execute(select(t.signin_state.c.failures).where(t.signin_state.c.username == name)).first()
        failures = (row.failures if row else 0) + 1
        stamp = self.clock()
        locked = failures >= LOCK_AFTER
        values = {"failures": failures, "last_failure": stamp.isoformat(timespec="seconds"),
                  "locked_until": (stamp + dt.timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
                  if locked else None}
        if row is None:
            c.execute(insert(t.signin_state).values(username=name, **values))
        else:
            c.execute(update(t.signin_state).where(t.signin_state.c.username == name).values(**values))
        return locked

    @staticmethod
    def succeeded(c, name: str) -> None:
        c.execute(delete(t.signin_state).where(t.signin_state.c.username == name))

    @staticmethod
    def locked_names(c, now: dt.datetime) -> list[str]:
        rows = c.execute(select(t.signin_state.c.username, t.signin_state.c.locked_until)
                         .where(t.signin_state.c.locked_until.is_not(None))).all()
        return [r.username for r in rows if dt.datetime.fromisoformat(r.locked_until) > now]
