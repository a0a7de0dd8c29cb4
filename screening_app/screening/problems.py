"""A problem with an input, as a value: which field, and what is wrong with it.

Intake, the product check table and the review rule produce `Problem`s; casework shows each
beside its field, the store carries them in its refusals, and the `screen` command prints them
one a line as contract.md says (`answers.cancer_history: missing`). The text is made from the
value, never the value from the text: nothing splits "field: message" back apart.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """`field` names the field as the screening file does (`patient.name`, `product.storage_c`),
    or the input as a whole (`screening file`, a command's `--user`); `message` says what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"

    def within(self, prefixes: tuple[str, ...]) -> bool:
        """Whether the field is one of those a step owns (`("patient.", "representative.")`)."""
        return self.field.startswith(prefixes)


def lines(problems: Iterable[Problem]) -> list[str]:
    """The problems as the lines the contract prints, one per problem."""
    return [str(p) for p in problems]


def as_fields(problems: Iterable[Problem]) -> dict[str, str]:
    """Field -> message, the first message of each field kept (what a form shows beside it)."""
    found: dict[str, str] = {}
    for p in problems:
        found.setdefault(p.field, p.message)
    return found


class InputRefused(Exception):
    """The input cannot be used; `found` holds every problem, `problems` the same as printed lines."""

    def __init__(self, problems: Iterable[Problem]):
        self.found: tuple[Problem, ...] = tuple(problems)
        # The lines of contract.md (one per problem, naming the field), made from `found`:
        # kept for whoever shows or matches the text.
        self.problems: list[str] = lines(self.found)
        super().__init__("\n".join(self.problems))
