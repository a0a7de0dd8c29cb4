"""The clinician's electronic signature as the sheet prints it (21 CFR 11.50): the signer's
printed name, the date and time of signing, and what the signature means for this kind of sheet.

The words live in `resources/signature.toml`; the store signs the same meaning it prints."""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from ..resources import resource_path


@dataclass(frozen=True)
class SignedBy:
    """Who signs and when (ISO 8601, UTC): the store decides both, from the signed-in account and
    its own clock, when the sheet is made for signing."""
    name: str
    at: str


@lru_cache(maxsize=1)
def signature_words() -> dict:
    with open(resource_path("signature.toml"), "rb") as fh:
        return tomllib.load(fh)


def meaning_for(sheet_kind: str) -> str:
    meanings = signature_words()["meaning"]
    return meanings.get(sheet_kind, meanings["default"])


def signed_line(signed: SignedBy, sheet_kind: str) -> str:
    return format_signed(signed.name, signed.at, meaning_for(sheet_kind))


def format_signed(name: str, at: str, meaning: str) -> str:
    """"Signed electronically by … on 2026-11-22 at 15:42:07 UTC: reviewed and approved …"."""
    when = dt.datetime.fromisoformat(at)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return signature_words()["words"]["signed_line"].format(
        name=name, date=when.date().isoformat(), time=when.strftime("%H:%M:%S"), meaning=meaning)
