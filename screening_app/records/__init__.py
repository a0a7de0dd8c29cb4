"""Where screenings live: the store, drafts, the review queue, staff, settings, audit, export.

No Qt. StoreError lives here so callers can catch it without loading the database layer.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..screening.problems import Problem


class StoreError(Exception):
    """A fault staff can act on; `kind` is busy, unwritable, full, conflict or refused.

    A refusal of bad input may carry its `problems` (field, message), so a form can show each
    beside its field; the message is what staff read when nothing can be shown that way."""

    def __init__(self, kind: str, message: str, problems: Iterable[Problem] = ()):
        super().__init__(message)
        self.kind = kind
        self.problems: tuple[Problem, ...] = tuple(problems)

    @classmethod
    def refusing(cls, problems: Iterable[Problem], lead: str = "") -> StoreError:
        """A refusal naming each problem ("lot: empty; reason: empty"), after `lead` when given."""
        found = tuple(problems)
        return cls("refused", lead + "; ".join(str(p) for p in found), found)
