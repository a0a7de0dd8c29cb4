"""A screening's statuses and the moves between them: the one table the store's lifecycle reads.

A screening starts as the creator's draft; it is handed over to wait for a clinician, claimed
for review, and finished by the clinician holding it. Any unfinished screening can be
withdrawn (kept, marked, with why). A finished screening never changes: a correction is a new
draft that amends it. Nothing here touches the database: lifecycle.py turns a move into the
atomic UPDATE's condition, so a move the table does not list is refused in one place.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"                # the creator is typing
    HANDED_OVER = "handed_over"    # waiting in the queue for a clinician
    IN_REVIEW = "in_review"        # a clinician holds it
    FINISHED = "finished"          # signed; never changes again
    DISCARDED = "discarded"        # withdrawn or discarded; kept, with who and why


class Who(StrEnum):
    """Who may make a move, besides holding the permission the store asks for."""
    CREATOR = "creator"            # the person who started the screening
    HOLDER = "holder"              # the clinician who claimed it
    ANYONE = "anyone"              # anyone with the permission (the store adds its own checks)


@dataclass(frozen=True)
class Move:
    action: str
    source: Status
    target: Status
    who: Who


# Every allowed move. A pair (action, status) missing here is refused.
MOVES: tuple[Move, ...] = (
    Move("save", Status.DRAFT, Status.DRAFT, Who.CREATOR),
    Move("save", Status.IN_REVIEW, Status.IN_REVIEW, Who.HOLDER),
    Move("hand_over", Status.DRAFT, Status.HANDED_OVER, Who.CREATOR),
    Move("claim", Status.HANDED_OVER, Status.IN_REVIEW, Who.ANYONE),
    Move("claim", Status.IN_REVIEW, Status.IN_REVIEW, Who.HOLDER),    # reopening one's own
    Move("claim", Status.DRAFT, Status.IN_REVIEW, Who.CREATOR),       # a clinician's own amendment
    Move("release", Status.IN_REVIEW, Status.HANDED_OVER, Who.HOLDER),
    Move("free", Status.IN_REVIEW, Status.HANDED_OVER, Who.ANYONE),   # another's stale claim, with a reason
    Move("withdraw", Status.DRAFT, Status.DISCARDED, Who.ANYONE),
    Move("withdraw", Status.HANDED_OVER, Status.DISCARDED, Who.ANYONE),
    Move("withdraw", Status.IN_REVIEW, Status.DISCARDED, Who.ANYONE),
    Move("discard", Status.DRAFT, Status.DISCARDED, Who.CREATOR),
    Move("finish", Status.IN_REVIEW, Status.FINISHED, Who.HOLDER),
)
ACTIONS = tuple(dict.fromkeys(m.action for m in MOVES))
START = Status.DRAFT                      # every screening, amendments included, starts here
AMENDABLE = frozenset({Status.FINISHED})  # what an amendment may point to
OPEN = (Status.DRAFT, Status.HANDED_OVER, Status.IN_REVIEW)
QUEUED = (Status.HANDED_OVER, Status.IN_REVIEW)
# How an earlier screening's status reads to a later screening of the same patient.
HISTORY_LABELS = {Status.FINISHED: "finished", Status.DISCARDED: "withdrawn"}


def moves(action: str) -> tuple[Move, ...]:
    found = tuple(m for m in MOVES if m.action == action)
    if not found:
        raise KeyError(action)
    return found


def move(action: str, source: str) -> Move | None:
    """The allowed move for `action` from status `source`, or None when the table has none."""
    return next((m for m in moves(action) if m.source == source), None)


def target(action: str) -> Status:
    """Where `action` leads (the same from every status it may start from)."""
    (to,) = {m.target for m in moves(action)}
    return to


def may(action: str, source: str, *, is_creator: bool, is_holder: bool) -> bool:
    """Whether this person may make `action` from `source` (their permission apart)."""
    m = move(action, source)
    if m is None:
        return False
    return m.who == Who.ANYONE or (m.who == Who.CREATOR and is_creator) or (m.who == Who.HOLDER and is_holder)
