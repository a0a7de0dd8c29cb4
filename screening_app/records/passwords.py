"""What a password and a username must be, and the helpers sign-in needs around them.

Passwords: at least MIN_PASSWORD characters and zxcvbn score 3 or more ("safely
unguessable"). zxcvbn (Dropbox's estimator, kept up on PyPI as `zxcvbn`) knows the common
password lists, keyboard runs, repeats, sequences, dates and dictionary words, and is given
the username and name as well, so "aaaaaaaaaa", "1234567890" and "chen-password" are refused.

Usernames: normalised (NFKC, then casefold) before they are stored or compared, so "Admin"
and "ａｄｍｉｎ" are the account "admin". Look-alikes are refused with Unicode's confusables
data (the `confusable-homoglyphs` package, built from UTS #39): a username mixing scripts
("аdmin" with a Cyrillic а) is refused, and so is one written in another script whose every
letter has a Latin look-alike ("асе", all Cyrillic). Usernames in one non-Latin script that
do not pass for Latin ("иван") remain possible.
"""
from __future__ import annotations

import hashlib
import unicodedata

from ..wording import say

MIN_PASSWORD = 10
MIN_SCORE = 3


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold().strip()


def username_problem(username: str) -> str | None:
    if not 2 <= len(username) <= 64:
        return say("records.username.length")
    if not all(ch.isalnum() or ch in "._-" for ch in username):
        return say("records.username.characters")
    if not username.isascii():
        from confusable_homoglyphs import confusables
        if confusables.is_mixed_script(username, allowed_aliases=["COMMON"]):
            return say("records.username.mixed_script")
        letters = [ch for ch in username if ch.isalpha()]
        found = confusables.is_confusable(username, greedy=True, preferred_aliases=["LATIN"]) or []
        if letters and len({f["character"] for f in found}) >= len(set(letters)):
            return say("records.username.look_alike")
    return None


def password_problem(password: str, *, username: str = "", name: str = "") -> str | None:
    if len(password) < MIN_PASSWORD:
        return say("records.password.too_short", least=MIN_PASSWORD)
    if password.strip() != password:
        return say("records.password.spaces")
    from zxcvbn import zxcvbn
    verdict = zxcvbn(password[:100], user_inputs=[w for w in (username, name, *name.split()) if w])
    if verdict["score"] < MIN_SCORE:
        why = verdict["feedback"].get("warning") or say("records.password.guessable")
        hint = " ".join(verdict["feedback"].get("suggestions") or [])
        return say("records.password.too_easy", why=why.rstrip("."), hint=f" {hint}" if hint else "")
    return None


def password_fingerprint(password_hash: str) -> str:
    """A short digest of a stored (salted scrypt) hash, for the audit trail: it shows that the
    hash was replaced, and tells nothing about the password."""
    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


_DUMMY: str | None = None


def dummy_hash() -> str:
    """A hash of nothing anyone knows, checked when the name is unknown or disabled, so a
    sign-in takes the same time whether or not the account exists."""
    global _DUMMY
    if _DUMMY is None:
        import secrets

        from .accounts import hash_password
        _DUMMY = hash_password(secrets.token_urlsafe(24))
    return _DUMMY
